/**
 * The rest of issue 4: casting pton()'s byte array to an integer, --no-warnings, -B, and
 * BPFTRACE_PERF_RB_PAGES (the ring buffer's size, read back from the map's fdinfo).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describeRun, kernelTest, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

kernelTest('(uint32)pton("127.0.0.1") is the address bytes as an integer; pton is uint8[4]/uint8[16]', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%x %s %s\\n", (uint32)pton("127.0.0.1"), ntop(pton("10.1.2.3")), ntop(pton("::1"))); print(pton("1.2.3.4")); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  // Network order bytes 7f 00 00 01 read as a little-endian u32.
  t.is(r.stdout, '100007f 10.1.2.3 ::1\n[1,2,3,4]\n\n\n');
  const bad = await runTsbpf(['-e', 'BEGIN { $a = (uint64)pton("1.2.3.4"); exit(); }']);
  t.not(bad.code, 0);
  t.true(bad.stderr.includes('ERROR: cannot cast uint8[4] (4 bytes) to uint64 (8 bytes)'), bad.stderr);
});

kernelTest('--no-warnings silences compile warnings, warnf() and runtime warnings', async (t) => {
  const prog = 'BEGIN { warnf("careful %d", 1); $x = 0; printf("%d\\n", 5 / $x); @ = tseries(1, 1s, 2); clear(@); exit(); }';
  const loud = await runTsbpf(['-e', prog]);
  t.is(loud.code, 0, describeRun(loud));
  t.true(loud.stderr.includes('WARNING: careful 1'), loud.stderr);
  t.true(loud.stderr.includes('WARNING: Script is using an unstable feature: tseries'), loud.stderr);
  t.true(loud.stderr.includes('WARNING: Divide or modulo by 0'), loud.stderr);
  const quiet = await runTsbpf(['--no-warnings', '-e', prog]);
  t.is(quiet.code, 0, describeRun(quiet));
  t.false(quiet.stderr.includes('WARNING'), quiet.stderr);
  t.is(quiet.stdout, loud.stdout);
});

kernelTest('-B full|line|none give the same output; a bad mode is a usage error', async (t) => {
  const prog = 'i:ms:20 { @n++; printf("line %d\\n", @n); if (@n == 3) { exit(); } } END { clear(@n); }';
  for (const mode of ['full', 'line', 'none']) {
    const r = await runTsbpf(['-B', mode, '-e', prog]);
    t.is(r.code, 0, describeRun(r));
    t.is(r.stdout, 'line 1\nline 2\nline 3\n\n\n', mode);
  }
  const bad = await runTsbpf(['-B', 'sometimes', '-e', 'BEGIN { exit(); }']);
  t.is(bad.code, 1);
  t.true(bad.stderr.includes("ERROR: USAGE: -B must be either 'line', 'full', or 'none'."), bad.stderr);
});

/** max_entries of the ring buffer map (type 27) process `pid` holds open. */
function ringbufBytesOf(pid: number): number | undefined {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    if (/^map_type:\s+27$/m.test(info)) return Number(/^max_entries:\s+(\d+)$/m.exec(info)?.[1]);
  }
  return undefined;
}

kernelTest('BPFTRACE_PERF_RB_PAGES sizes the event ring buffer (over the config block), 16 MiB by default as bpftrace\'s; a bad value is an error', async (t) => {
  const run = async (env: Record<string, string>, prog = 'i:s:10 { printf("x\\n"); }') => {
    const h = startTsbpf(['-e', prog], { t, env });
    await h.attached;
    const bytes = ringbufBytesOf(h.child.pid!);
    await h.stop('SIGINT');
    return bytes;
  };
  const cpus = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
  const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));
  t.is(await run({}), 16 * 1024 * 1024);
  t.is(await run({ BPFTRACE_PERF_RB_PAGES: '64' }), pow2(Math.max(64, cpus)) * 4096);
  t.is(await run({ BPFTRACE_PERF_RB_PAGES: '256' }, 'config = { perf_rb_pages = 64 } i:s:10 { printf("x\\n"); }'), pow2(Math.max(256, cpus)) * 4096);
  const bad = await runTsbpf(['-e', 'BEGIN { exit(); }'], { env: { BPFTRACE_PERF_RB_PAGES: 'lots' } });
  t.not(bad.code, 0);
  t.true(bad.stderr.includes('BPFTRACE_PERF_RB_PAGES needs a number of pages from 1 to 262144, got "lots"'), bad.stderr);
});

kernelTest('a script whose attached probes send no events gets a ring of the pages BEGIN/END fill; BEGIN output past a page is all there', async (t) => {
  const cpus = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
  const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));
  const h = startTsbpf(['-e', 'BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_getppid { @ = count(); } END { clear(@); }'], { t });
  await h.attached;
  const bytes = ringbufBytesOf(h.child.pid!);
  await h.stop('SIGINT');
  t.is(bytes, pow2(Math.max(1, cpus)) * 4096);
  // 400 records of ~60 bytes: several pages, all read, none lost.
  const lines = Array.from({ length: 400 }, (_, i) => `printf("line %d ${'x'.repeat(40)}\\n", ${i});`).join(' ');
  const r = await runTsbpf(['-e', `BEGIN { ${lines} exit(); } tracepoint:syscalls:sys_enter_getppid { @ = count(); } END { clear(@); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join('') + '\n\n');
  t.false(r.stderr.includes('Lost'), r.stderr);
});
