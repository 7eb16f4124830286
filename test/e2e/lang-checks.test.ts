/**
 * bpftrace's checks and zero values on the real kernel: print(@) of a scalar map nothing wrote
 * prints its zero value (tests/runtime/call print_empty_scalar_*), a constant index past an
 * array's end is an error, statements after exit()/return are "Unreachable statement." warnings.
 */
import { readFileSync } from 'node:fs';
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

kernelTest('print(@) of a scalar map not written yet prints its zero value (int, stats, record)', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { print(@a); print(@s); print(@r); print(@m); } END { @a = 1; @s = stats(1); @r = (a=1, b=(2, "hi")); @m[1] = 2; } BEGIN { exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '@a: 0\n@s: { .count = 0, .average = 0, .total = 0 }\n@r: { .a = 0, .b = (0, ) }\n\n\n@a: 1\n@m[1]: 2\n@r: { .a = 1, .b = (2, hi) }\n@s: { .count = 1, .average = 1, .total = 1 }\n');
});

kernelTest('a constant index past the end of an array or string is an error (bpftrace wording)', async (t) => {
  const r = await runTsbpf(['--no-cache', '--verify', '-e', 'struct B { int y[4]; } BEGIN { $b = (struct B *)curtask; print($b->y[3]); print($b->y[4]); $s = "abc"; print($s[3]); print($s[4]); }']);
  t.is(r.code, 1, describeRun(r));
  const errors = r.stderr.split('\n').filter((l) => l.includes('ERROR'));
  t.deepEqual(errors, [
    'stdin:1:81-89: ERROR: the index 4 is out of bounds for array of size 4',
    'stdin:1:124-129: ERROR: the index 4 is out of bounds for array of size 4',
  ]);
});

kernelTest('statements after exit(), return or an if whose branches both leave are unreachable (a warning; they never run)', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { printf("a\\n"); exit(); printf("after\\n"); } BEGIN { if (pid) { return; } else { exit(); } printf("b\\n"); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'a\n\n\n');
  const warnings = r.stderr.split('\n').filter((l) => l.includes('WARNING'));
  t.deepEqual(warnings, ['stdin:1:32-49: WARNING: Unreachable statement.', 'stdin:1:99-112: WARNING: Unreachable statement.']);
});

kernelTest('buf(ptr, len) with a length known only at run time reads that many bytes, at most 64 (undump.bt)', async (t) => {
  // dd copies the first 71 bytes of /bin/sh to /dev/null in one write(2).
  const bytes = readFileSync('/bin/sh').subarray(0, 71);
  const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const r = await runTsbpf(['--no-cache', '-c', '/bin/dd if=/bin/sh of=/dev/null bs=71 count=1 status=none', '-e',
    'tracepoint:syscalls:sys_enter_write /pid == cpid && args.count == 71/ { $n = args.count - 60; printf("%rh|%rh|%d\\n", buf(args.buf, args.count), buf(args.buf, $n), $n); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, `${hex(bytes.subarray(0, 64))}|${hex(bytes.subarray(0, 11))}|11\n\n\n`);
});
