/**
 * Declarations bpftrace accepts, run on the real kernel: `for` without parentheses, if-expressions,
 * inline/anonymous records, multi-dimensional arrays and attributes in struct definitions, script
 * enums (symbolized as bpftrace's tests/runtime/call and other expect), typeof(...) passed to a macro.
 * Whole stdout compared exactly.
 */
import type { ExecutionContext } from 'ava';
import { createSocket } from 'node:dgram';
import { describeRun, kernelTest, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

async function stdoutOf(t: ExecutionContext, args: readonly string[]): Promise<string> {
  const r = await runTsbpf(['--no-cache', ...args]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout;
}

kernelTest('for $i : a..b without parentheses; if-expressions nest and feed print()', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { for $i : 0..3 { printf("%d ", $i); } let $x = 1; let $y = 0; '
    + '$a = if ($x) { if ($y) { 10 } else { 20 } } else { 30 }; print($a); print(if ($y) { 1 } else if ($x) { 2 } else { 3 }); exit(); }']);
  t.is(out, '0 1 2 20\n2\n\n\n');
});

const FOO = 'struct Foo { int a; struct { int b; long c; } inner; union { int d; char e; }; int y[2][3]; char z; }';

kernelTest('inline and anonymous records, int y[2][3]: C layout, packed and aligned', async (t) => {
  const out = await stdoutOf(t, ['-e', `${FOO} struct P { char a; int b; } __attribute__((packed)); struct __attribute__((aligned(16))) A { char a; }; `
    + 'BEGIN { printf("%d %d %d %d %d %d %d\\n", sizeof(struct Foo), offsetof(struct Foo, inner.c), offsetof(struct Foo, e), offsetof(struct Foo, z), '
    + 'sizeof(struct P), offsetof(struct P, b), sizeof(struct A)); exit(); }']);
  t.is(out, '56 16 24 52 5 1 16\n\n\n');
});

kernelTest('fields of inline records and multi-dimensional arrays read the memory at their offsets', async (t) => {
  const out = await stdoutOf(t, ['-e', `${FOO} BEGIN { $p = (struct Foo *)curtask; $base = (uint64)curtask; `
    + 'printf("%d %d %d %d\\n", $p->inner.c == *(int64 *)($base + 16), $p->e == *(int8 *)($base + 24), '
    + '$p->y[1][2] == *(int32 *)($base + 48), $p.z == *(int8 *)($base + 52)); exit(); }']);
  t.is(out, '1 1 1 1\n\n\n');
});

const ENUM = 'enum Foo { ONE = 1, TWO = 2, OTHER = 99999 };';

kernelTest('script enums: printf %s symbolizes constants, variables, maps and casts; %d prints the number', async (t) => {
  const out = await stdoutOf(t, ['-e', `${ENUM} BEGIN { $two = TWO; @other = OTHER; $x = 100; `
    + 'printf("%d %s %s %s %d %s %s\\n", ONE, ONE, $two, @other, @other, (enum Foo)1, (enum Foo)$x); clear(@other); exit(); }']);
  t.is(out, '1 ONE TWO OTHER 99999 ONE 100\n\n\n');
  const widths = await stdoutOf(t, ['-e', 'enum Foo { A, B, C, }; BEGIN { printf("%-5s %5s %s\\n", A, B, C); exit() }']);
  t.is(widths, 'A         B C\n\n\n');
});

kernelTest('enum values print symbolized in map keys and values, not after arithmetic; JSON keeps numbers', async (t) => {
  const out = await stdoutOf(t, ['-e', 'enum { ONE = 1, TWO = 2 }; BEGIN { @[ONE] = 11; @[TWO] = 22; @t[ONE, TWO, ONE] = -1; @v = ONE; @tv = (ONE, TWO); @a[ONE + 1] = TWO - 1; exit(); }']);
  t.is(out, '\n\n@[ONE]: 11\n@[TWO]: 22\n@a[2]: 1\n@t[ONE, TWO, ONE]: -1\n@tv: (ONE, TWO)\n@v: ONE\n');
  const json = await stdoutOf(t, ['-q', '-f', 'json', '-e', 'enum { FOO = 333 }; BEGIN { $f = FOO; print($f); exit(); }']);
  t.is(json, '{"type": "value", "data": 333}\n');
});

kernelTest('typeof(...) as a macro argument substitutes a type (docs/language.md p_cast)', async (t) => {
  const out = await stdoutOf(t, ['-e', `${FOO} macro as(t, x) { (t)x } macro size(t) { sizeof(t) } BEGIN { print(as(typeof(uint8), -1)); print(size(typeof(uint16))); print(size(typeof(struct Foo))); exit(); }`]);
  t.is(out, '255\n2\n56\n\n\n');
});

kernelTest('str() of a tracepoint __data_loc field reads the data at ctx + (loc & 0xffff) (sched_process_exec filename)', async (t) => {
  const out = await stdoutOf(t, ['-c', '/bin/true', '-e', 'tracepoint:sched:sched_process_exec /pid == cpid/ { printf("[%s] %d %s\\n", str(args.filename), args.filename != 0, str(args.filename, 4)); }']);
  // str(p, n) keeps n - 1 bytes and a NUL (bpftrace docs/stdlib.md).
  t.is(out, '[/bin/true] 1 /bi\n\n\n');
});

kernelTest('kernel enums: a BTF enumerator and a tracepoint enum field (kfree_skb reason) print symbolized with %s', async (t) => {
  const h = startTsbpf(['--no-cache', '-e', 'tracepoint:skb:kfree_skb /args.reason == SKB_DROP_REASON_NO_SOCKET/ { $r = SKB_DROP_REASON_NO_SOCKET; '
    + 'printf("%d %s %s %d\\n", args.reason, args.reason, $r, args.reason == $r); exit(); }'], { t });
  await h.attached;
  // A UDP datagram to a port nobody listens on (one just released) is dropped for NO_SOCKET.
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  const port = sock.address().port;
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  const sender = createSocket('udp4');
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => sender.send('x', port, '127.0.0.1', () => resolve()));
  sender.close();
  const r = await h.exited;
  t.regex(r.stdout, /^\d+ SKB_DROP_REASON_NO_SOCKET SKB_DROP_REASON_NO_SOCKET 1\n/, describeRun(r));
});
