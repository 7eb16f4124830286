/**
 * bench: and test: probes with --bench and --test (bpftrace's micro-benchmarks and tests): each
 * body is run with BPF_PROG_TEST_RUN (timed by the kernel, or checked); without the flag they are
 * left out.
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

kernelTest('--bench runs BEGIN, then times each bench: probe in order (bpftrace\'s table); other probes are not attached', async (t) => {
  const r = await runTsbpf(['--bench', '-e', 'BEGIN { printf("begin\\n"); } bench:count { @b = count(); } bench:lhist { @a = lhist(rand % 10, 1, 10, 1); } tracepoint:syscalls:sys_enter_getppid { printf("never\\n"); }']);
  t.is(r.code, 0, describeRun(r));
  const out = lines(r.stdout);
  t.deepEqual(out.slice(0, 3), ['begin', `${'Benchmark'.padEnd(41)}${'Time(ns)'.padEnd(15)}Iterations`, '-'.repeat(66)]);
  t.is(out.length, 5, describeRun(r));
  t.regex(out[3]!, /^count {36}\d+ +\d+$/);
  t.regex(out[4]!, /^lhist {36}\d+ +\d+$/);
  t.false(r.stderr.includes('Attached'), describeRun(r));
});

kernelTest('without --bench, bench: probes are left out (bpftrace\'s error when nothing else is left)', async (t) => {
  const only = await runTsbpf(['-e', 'bench:count { @b = count(); }']);
  t.is(only.code, 1, describeRun(only));
  t.deepEqual(lines(only.stderr), ['ERROR: No probes attached; use --bench to run benchmark probes.']);
  const mixed = await runTsbpf(['-e', 'bench:count { @b = count(); } BEGIN { printf("ran\\n"); exit(); }']);
  t.is(mixed.code, 0, describeRun(mixed));
  t.deepEqual(lines(mixed.stdout), ['ran']);
  const bad = await runTsbpf(['-e', 'bench: { }']);
  t.is(bad.code, 1, describeRun(bad));
  t.is(bad.stderr.split('\n')[0], 'stdin:1:1-7: ERROR: bench probes must have a name');
});

kernelTest('--test runs BEGIN, then each test: probe once: a pass hides its output, exit(1) or errorf fails it (bpftrace\'s report)', async (t) => {
  const r = await runTsbpf(['--test', '-e', 'BEGIN { printf("begin\\n"); } test:okay { print("suppressed"); } test:failure { print("shown"); exit(1); } test:errs { errorf("bad %d", 3); } tracepoint:syscalls:sys_enter_getppid { printf("never\\n"); }']);
  t.is(r.code, 1, describeRun(r));
  const g = (s: string): string => `\x1b[32m${s}\x1b[0m`;
  const red = (s: string): string => `\x1b[31m${s}\x1b[0m`;
  t.deepEqual(lines(r.stdout.replace(/\(\d+ (ns|us|ms|s)\)/g, '(T)')), [
    'begin',
    `${g('[==========]')} Running 3 tests.`,
    `${g('[ RUN      ]')} okay`,
    `${g('[       OK ]')} okay (T)`,
    `${g('[ RUN      ]')} failure`,
    'shown',
    `${red('[  FAILED  ]')} failure (T)`,
    `${g('[ RUN      ]')} errs`,
    'stdin:1:119-138: ERROR: bad 3',
    `${red('[  FAILED  ]')} errs (T)`,
    `${g('[==========]')} 3 tests ran.`,
    `${g('[  PASSED  ]')} 1 test.`,
    `${red('[  FAILED  ]')} 2 tests, listed below:`,
    `${red('[  FAILED  ]')} failure`,
    `${red('[  FAILED  ]')} errs`,
  ]);
  const pass = await runTsbpf(['--test', '-e', 'test:a { $x = 1; }']);
  t.is(pass.code, 0, describeRun(pass));
  const none = await runTsbpf(['-e', 'test:a { }']);
  t.is(none.code, 1, describeRun(none));
  t.deepEqual(lines(none.stderr), ['ERROR: No probes attached; use --test to run test probes.']);
});
