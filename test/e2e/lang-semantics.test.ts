/**
 * Integer semantics of bpftrace 0.26 on the real kernel, with exact outputs (see
 * src/passes/int-semantics.ts for the rules and the bpftrace sources they come from):
 * literal folding, unsigned `/ % >>` at run time, division by zero, signed/unsigned comparisons.
 */
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

async function run(t: ExecutionContext, script: string, args: readonly string[] = []): Promise<{ stdout: string; stderr: string }> {
  const r = await runTsbpf(['--no-cache', '-e', script, ...args]);
  t.is(r.code, 0, describeRun(r));
  return r;
}

kernelTest('run-time / % >> are unsigned 64-bit operations (bpftrace has no signed division)', async (t) => {
  const r = await run(t, 'BEGIN { $a = -7; $b = 2; print($a / $b); print($a % 3); print($a >> 1); print((uint64)100 / $b); exit(); }');
  // (2^64 - 7) / 2, (2^64 - 7) % 3, (2^64 - 7) >> 1 (logical)
  t.is(r.stdout, '9223372036854775804\n0\n9223372036854775804\n50\n\n\n');
});

kernelTest('literal expressions fold with exact C arithmetic', async (t) => {
  const r = await run(t, 'BEGIN { print(-7 / 2); print(-7 % 3); print(-8 >> 1); print(~0); print(1 << 63); print(-(-5)); print(0x7fffffffffffffff + 1); exit(); }');
  t.is(r.stdout, '-3\n-1\n-4\n18446744073709551615\n9223372036854775808\n5\n9223372036854775808\n\n\n');
});

kernelTest('subtraction yields a signed value; unary minus keeps an unsigned operand unsigned', async (t) => {
  const r = await run(t, 'BEGIN { $u = (uint64)1; $v = (uint64)2; print($u - $v); print(-$v); $w = $u - $v; print($w < 0); exit(); }');
  t.is(r.stdout, '-1\n18446744073709551614\ntrue\n\n\n');
});

kernelTest('comparisons are signed unless both sides are unsigned; literals take the other side\'s sign', async (t) => {
  const r = await run(
    t,
    'BEGIN { $big = (uint64)0xffffffffffffffff; $u32 = (uint32)4000000000; $n = -1; '
    + 'print($big > 1); print((uint64)1 > -1); print($u32 > $n); print($n < (uint8)1); print($big == -1); exit(); }',
  );
  // $big > 1: unsigned (1 adopts uint64); (uint64)1 > -1: signed (bpftrace promotes uint64/int8 to int64)
  t.is(r.stdout, 'true\ntrue\ntrue\ntrue\ntrue\n\n\n');
});

kernelTest('division or modulo by a run-time 0 gives 1 and bpftrace\'s warning on stderr', async (t) => {
  const script = 'BEGIN { $z = 0; print((uint64)10 / $z); print((uint64)10 % $z); exit(); }';
  const r = await run(t, script);
  t.is(r.stdout, '1\n1\n\n\n');
  const msg = 'WARNING: Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.';
  const lines = r.stderr.split('\n');
  t.true(lines.includes(`stdin:1:23-38: ${msg}`), r.stderr);
  t.true(lines.includes(`stdin:1:47-62: ${msg}`), r.stderr);
  const i = lines.indexOf(`stdin:1:23-38: ${msg}`);
  t.is(lines[i + 1], script);
  t.is(lines[i + 2], ' '.repeat(22) + '^' + '~'.repeat(14));
});

kernelTest('positional parameters are literals: decimal, octal, hex, negative', async (t) => {
  const r = await run(t, 'BEGIN { printf("%d %o 0x%x %lu %d\\n", $1, $2, $3, $4, $5 / 2); exit(); }', ['--', '123', '0775', '0x123', '0xffffffffffffffff', '-9']);
  t.is(r.stdout, '123 775 0x123 18446744073709551615 -4\n\n\n');
});

kernelTest('bpftrace intcast tests: truncation, small-int binops, promotion', async (t) => {
  const r = await run(t, 'BEGIN { printf("Values: %d %d\\n", (uint8) -10, (uint16) 131087); $a = (int16)0; $a = 2; $b = (int8)3; $b = -100; print(($a, $b)); $x = (uint8)0xF; $x |= (uint8)0xF0; print($x); $y = (uint32)0; $y = (uint32)5 + (uint16)1; print($y); exit(); }');
  t.is(r.stdout, 'Values: 246 15\n(2, -100)\n255\n6\n\n\n');
});

kernelTest('tuples compare with == and !=, element by element', async (t) => {
  const r = await run(t, 'BEGIN { $a = (1, "ab", (2, 3)); $b = (1, "ab", (2, 3)); $c = (1, "abc", (2, 4)); print($a == $b); print($a != $b); print($a == $c); $d = (1, (uint8)2); print($d == (1, 2)); exit(); }');
  t.is(r.stdout, 'true\nfalse\nfalse\ntrue\n\n\n');
});

kernelTest('block expressions: statements in their own scope, then the value; map aggregation from a block', async (t) => {
  const r = await run(t, 'BEGIN { let $a = { let $b = 1; $b + 41 }; print($a); $s = { $t = "x"; $t }; print($s); @ = { let $c = 100; avg($c) }; exit(); }');
  t.is(r.stdout, '42\nx\n\n\n@: 100\n');
});

kernelTest('let @m = lruhash(N) evicts beyond N entries; percpulruhash holds aggregations', async (t) => {
  const r = await run(t, 'let @a = lruhash(2); let @c = percpulruhash(10); BEGIN { @a[1] = 1; @a[2] = 2; @a[3] = 3; @c[7] = count(); @c[7] = count(); exit(); }');
  t.is(r.stdout, '\n\n@a[2]: 2\n@a[3]: 3\n@c[7]: 2\n');
});

kernelTest('a probe over the 512-byte BPF stack is a diagnostic at the probe, not an internal error', async (t) => {
  // Values over 32 bytes live in the per-CPU scratch map, and a statement's temporaries are free
  // again after it; twenty 32-byte string variables live at once still fill the stack.
  const vars = Array.from({ length: 20 }, (_, i) => `$v${i} = str(args.filename, 31);`).join(' ');
  const script = `tracepoint:syscalls:sys_enter_openat { ${vars} ${Array.from({ length: 20 }, (_, i) => `@m${i}[$v${i}]++;`).join(' ')} }`;
  const r = await runTsbpf(['--no-cache', '--verify', '-e', script]);
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /^stdin:1:1-37: ERROR: probe tracepoint:syscalls:sys_enter_openat needs more than the 512 bytes of BPF stack\n/);
  t.regex(r.stderr, /HINT: /);
  t.notRegex(r.stderr, /internal compiler error|    at /);
});
