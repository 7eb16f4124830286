/**
 * The end of a run (runtime/session/session.ts finish, runtime/session/detach.ts): the probes'
 * closes run off the JavaScript thread while the kernel symbol table is read, END and the map
 * reads wait for the unguarded ones, and everything is released before tsbpf exits.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bpf, nativeFile } from '../../native/index.js';
import { referenceFind } from '../helpers/kallsyms-reference.js';
import { bpfObjectsOf, describeRun, eventually, kernelTest, runTsbpf, scratchDir, startTsbpf } from '../helpers/tsbpf.js';

kernelTest('exit() in a lone probe: every kernel stack frame printed at exit is the nearest /proc/kallsyms text symbol and its offset', async (t) => {
  const r = await runTsbpf(['-e', 'tracepoint:sched:sched_switch { @[kstack(8), kstack(raw, 8)] = count(); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  const find = referenceFind(readFileSync('/proc/kallsyms', 'utf8'));
  // Each entry: `@[`, the symbolized frames, `, `, the same frames' raw addresses, `]: N`.
  const entries = [...r.stdout.matchAll(/^@\[\n((?: {8}.*\n)+), \n((?:[0-9a-f]+\n)+)\]: \d+$/gm)];
  t.true(entries.length > 0, describeRun(r));
  let frames = 0;
  for (const [, symbolized, raw] of entries) {
    const names = symbolized!.trimEnd().split('\n').map((l) => l.trim());
    const addrs = raw!.trimEnd().split('\n').map((h) => BigInt('0x' + h));
    t.is(names.length, addrs.length, describeRun(r));
    for (let i = 0; i < addrs.length; i++) {
      const s = find(addrs[i]!);
      t.is(names[i], s ? `${s.name}+${s.offset}` : '0x' + addrs[i]!.toString(16));
      frames++;
    }
  }
  t.true(frames > 0);
});

kernelTest('exit() in a lone probe: END starts only once the probe is detached (a map END clears is printed empty)', async (t) => {
  // The lone probe has no `.stopped` guard: were END to run while it is still attached (its close
  // left for later), sched_switch would refill @ during END's sleep.
  const r = await runTsbpf(['--unsafe', '-e', 'tracepoint:sched:sched_switch { @ = count(); exit(); } END { clear(@); system("sleep 0.2"); printf("end\\n"); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\nend\n\n\n', describeRun(r));
});

const SCHED = ['sched_switch', 'sched_wakeup', 'sched_waking', 'sched_stat_runtime', 'sched_process_exec'];

// One probe (closed in the threadpool, awaited before END), two (guarded, closed in the threadpool
// while END runs) and six (guarded, handed to the detach child at once).
for (const n of [1, 2, 6]) {
  kernelTest(`exit() with ${n} attached probe${n === 1 ? '' : 's'}: the maps are printed and every program is gone after tsbpf exits`, async (t) => {
    const probes = SCHED.slice(0, n - 1).map((tp) => `tracepoint:sched:${tp} { @[probe] = count(); }`);
    const h = startTsbpf(['-e', [...probes, 'interval:ms:300 { @[probe] = count(); exit(); }'].join('\n')], { t });
    await h.attached;
    const progs = bpfObjectsOf(h.pid).progIds;
    t.is(progs.length, n, describeRun(h));
    const r = await h.exited;
    t.is(r.code, 0, describeRun(r));
    t.regex(r.stdout, /^@\[interval:ms:300\]: 1$/m, describeRun(r));
    if (n > 1) t.regex(r.stdout, /^@\[tracepoint:sched:sched_switch\]: \d+$/m, describeRun(r));
    const gone = await eventually(() => progs.every((id) => bpf.progInfoById(id) === null), 10_000, 50);
    t.true(gone, `programs left: ${progs.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
  });
}

kernelTest('-c: the command\'s exit ends the run; the maps are printed and every program is gone after tsbpf exits', async (t) => {
  const h = startTsbpf(['-c', '/bin/sleep 0.3', '-e', 'tracepoint:sched:sched_switch { @s = count(); } tracepoint:sched:sched_process_exit /pid == cpid/ { @e = count(); }'], { t });
  await h.attached;
  const progs = bpfObjectsOf(h.pid).progIds;
  t.is(progs.length, 2, describeRun(h));
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /^@e: 1\n@s: \d+\n$/m, describeRun(r));
  const gone = await eventually(() => progs.every((id) => bpf.progInfoById(id) === null), 10_000, 50);
  t.true(gone, `programs left: ${progs.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
});

/** The syscalls of the twelve probes below (each has a tracepoint on every kernel tsbpf supports). */
const TWELVE = ['read', 'write', 'openat', 'close', 'getppid', 'getpid', 'newfstat', 'mmap', 'brk', 'munmap', 'mprotect', 'lseek'];

kernelTest('exit() with 12 syscall tracepoints: tsbpf-release gets every attachment, and every program is gone after tsbpf exits', async (t) => {
  // TSBPF_NATIVE_DIR is searched first (native/search-dirs.ts): there, a tsbpf-release that notes
  // its arguments and the descriptors it inherited, then runs the real one (exec keeps them).
  const real = nativeFile('tsbpf-release');
  if (!real) return t.fail('native/build/Release/tsbpf-release is not built (npm run build:native)');
  const dir = scratchDir(t);
  const log = join(dir, 'release.log');
  const wrapper = join(dir, 'tsbpf-release');
  const noteFds = `for f in /proc/$$/fd/*; do case $(readlink $f) in *perf_event*) printf '%s ' \${f##*/};; esac; done`;
  writeFileSync(wrapper, `#!/bin/sh\necho "$@" > '${log}'\n${noteFds} >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  const probes = TWELVE.map((s) => `tracepoint:syscalls:sys_enter_${s}`).join(',');
  // The run ends when this test says so (a kill(2) of signal 0 to itself), after it has counted the
  // attachments: an exit() that fires on its own could end the run before they are seen.
  const h = startTsbpf(['-e', `${probes} { @[probe] = count(); } tracepoint:syscalls:sys_enter_kill /pid == ${process.pid}/ { exit(); }`], { t, env: { TSBPF_NATIVE_DIR: dir } });
  await h.attached;
  const progs = bpfObjectsOf(h.pid).progIds;
  t.is(progs.length, 13, describeRun(h));
  const perfEvents = readdirSync(`/proc/${h.pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${h.pid}/fd/${fd}`) === 'anon_inode:[perf_event]';
    } catch {
      return false;
    }
  }).length;
  t.is(perfEvents, 13, 'one perf event per tracepoint');
  process.kill(process.pid, 0);
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /^@\[tracepoint:syscalls:sys_enter_read\]: \d+$/m, describeRun(r));
  // tsbpf exits after the child has: the log is complete. The child closes descriptors 3..COUNT+2,
  // which are exactly the perf events it inherited.
  const [args, fds] = readFileSync(log, 'utf8').trimEnd().split('\n');
  t.is(args, String(perfEvents), 'every attachment is handed to tsbpf-release');
  const expected = Array.from({ length: perfEvents }, (_, i) => 3 + i);
  t.deepEqual(fds?.trim().split(' ').map(Number).sort((a, b) => a - b), expected, `perf event descriptors of the child: ${fds}`);
  const gone = await eventually(() => progs.every((id) => bpf.progInfoById(id) === null), 10_000, 50);
  t.true(gone, `programs left: ${progs.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
});

kernelTest('exit() on every syscall: the repeated exit requests fill the small ring without a loss reported, and the run ends once', async (t) => {
  // A dd of one-byte reads and writes keeps the probe firing until it is detached (tens of ms after
  // the first exit() is read): thousands of exit records for a ring sized for one (src/ir/ring-demand.ts).
  const flood = spawn('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=100000000'], { stdio: 'ignore' });
  try {
    const r = await runTsbpf(['-e', `tracepoint:raw_syscalls:sys_enter /pid == ${flood.pid}/ { @ = count(); exit(); }`]);
    t.is(r.code, 0, describeRun(r));
    t.regex(r.stdout, /^\n\n@: \d+\n$/, describeRun(r));
    t.notRegex(r.stderr, /Lost/, describeRun(r));
    // Far more requests than the ring holds (a page: ~170 records of 24 bytes) were sent.
    t.true(Number(/@: (\d+)/.exec(r.stdout)![1]) > 1000, describeRun(r));
  } finally {
    flood.kill('SIGKILL');
  }
});
