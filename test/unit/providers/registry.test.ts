/**
 * What providers say about themselves (listing, -p filtering, completion) and the shared
 * perf-event attach helper, on the real kernel: it closes every event it opened when one fails.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { bpf } from '../../../native/index.js';
import { kernelOps } from '../../../runtime/session/session.js';
import { attachPerfEvents } from '../../../src/providers/provider.js';
import { PROVIDERS } from '../../../src/providers/registry.js';

const names = (f: (p: (typeof PROVIDERS)[number]) => boolean): string[] => PROVIDERS.filter(f).map((p) => p.name).sort();

test('wildcard listing and in-program -p filters come from the providers, as bpftrace decides them', (t) => {
  // bpftrace's show_in_kernel_list / user-space list (probe_types.h) and pid_filter_pass's probe types.
  t.deepEqual(names((p) => p.listing?.wildcard === 'kernel'), ['fentry', 'hardware', 'kprobe', 'rawtracepoint', 'software', 'tracepoint']);
  t.deepEqual(names((p) => p.listing?.wildcard === 'user'), ['uprobe', 'usdt']);
  t.deepEqual(names((p) => p.pidFilter === 'program'), ['fentry', 'fexit', 'kprobe', 'kretprobe', 'rawtracepoint', 'tracepoint']);
  t.deepEqual(names((p) => p.completion?.bare === true), ['BEGIN', 'END']);
});

const PROG_RAW_TRACEPOINT = 17;
const PROG_PERF_EVENT = 7;
const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_CPU_CLOCK = 0;
/** r0 = 0; exit */
const RETURN_0 = Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

const openFds = (): number => readdirSync('/proc/self/fd').length;
const rootTest = process.getuid?.() === 0 ? test : test.skip;

rootTest('attachPerfEvents: one event per target; on a failure every event it opened is closed and the error rethrown', (t) => {
  const cpus = kernelOps.onlineCpus();
  const attr = { type: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_CPU_CLOCK, samplePeriod: 1_000_000_000 };
  const targets = cpus.map((cpu) => ({ pid: -1, cpu }));
  const good = bpf.progLoad(PROG_PERF_EVENT, RETURN_0, 'GPL', 'tsbpf_t_perf');
  const fds = attachPerfEvents(kernelOps, attr, targets, good.fd);
  t.is(fds.length, cpus.length);
  for (const fd of fds) kernelOps.close(fd);
  // A raw tracepoint program cannot hang off a perf event: PERF_EVENT_IOC_SET_BPF refuses it.
  const wrong = bpf.progLoad(PROG_RAW_TRACEPOINT, RETURN_0, 'GPL', 'tsbpf_t_raw');
  const before = openFds();
  t.throws(() => attachPerfEvents(kernelOps, attr, targets, wrong.fd));
  t.is(openFds(), before);
  bpf.close(good.fd);
  bpf.close(wrong.fd);
});
