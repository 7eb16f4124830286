/**
 * On the real kernel, with exact outputs: `typeof` in casts, `let` and `sizeof` (bpftrace 0.26),
 * bool map keys and values printed as `true`/`false` (bpftrace's tests/runtime/bool), `-- --help`
 * printing only the HINT lines (tests/runtime/other), and printf's 32-bit `%x` without a length
 * modifier (tests/runtime/call printf_length_modifiers).
 */
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

async function run(t: ExecutionContext, script: string, args: readonly string[] = []): Promise<{ stdout: string; stderr: string }> {
  const r = await runTsbpf(['--no-cache', ...args, '-e', script]);
  t.is(r.code, 0, describeRun(r));
  return r;
}

kernelTest('typeof(expr) in a cast, a let and sizeof takes the expression\'s type', async (t) => {
  const r = await run(t, 'BEGIN { $a = (uint16)5; $b = (typeof($a))70000; print($b); let $c: typeof($a) = 65537; print($c); print(sizeof(typeof($a))); print(sizeof(typeof(uint32))); exit(); }');
  t.is(r.stdout, '4464\n1\n2\n4\n\n\n');
});

kernelTest('typeof(type), typeof of strings, bools and nested typeof', async (t) => {
  const r = await run(t, 'BEGIN { $s = "abc"; let $t: typeof($s) = "xy"; print($t); print((typeof(true))5); print((typeof(typeof((int8)1)))300); let $d: typeof(size_t) = 1; let $e: typeof(size_t*) = &$d; print(sizeof($e)); exit(); }');
  t.is(r.stdout, 'xy\ntrue\n44\n8\n\n\n');
});

kernelTest('typeof(x) of a macro argument (bpftrace tests/runtime/macro)', async (t) => {
  const r = await run(t, 'macro add(x) { let $y: typeof(x); if (true) { $y = 1 } x + $y  } begin { print(add(1));  }');
  t.is(r.stdout, '2\n\n\n');
});

kernelTest('typeof(unknown) is an unknown type', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { print((typeof(mytype))1); }']);
  t.is(r.code, 1);
  t.regex(r.stderr, /stdin:1:16-30: ERROR: unknown type: mytype\n/);
});

kernelTest('bool map keys and values print true/false in text (bpftrace tests/runtime/bool)', async (t) => {
  const r = await run(t, 'begin { @a[true] = false; @m[(1, true)] = 1; @n[false, 1, true] = 1; @n[true, (int32)2, false] = 2; @c[false] = count(); exit(); }');
  t.is(r.stdout, '\n\n@a[true]: false\n@c[false]: 1\n@m[1, true]: 1\n@n[false, 1, true]: 1\n@n[true, 2, false]: 2\n');
});

kernelTest('bool map keys and values in JSON', async (t) => {
  const r = await run(t, 'begin { @a[true] = false; @m[(1, true)] = 1; exit(); }', ['-f', 'json']);
  const maps = r.stdout.split('\n').filter((l) => l.startsWith('{"type": "map"'));
  t.deepEqual(maps, ['{"type": "map", "data": {"@a": {"true": false}}}', '{"type": "map", "data": {"@m": {"1,true": 1}}}']);
});

kernelTest('-- --help prints only the HINT lines (bpftrace tests/runtime/other)', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'begin { print((getopt("aa", 10, "Description of aa"), getopt("bb", 1), getopt("cc"))); }', '--', '--help']);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^HINT: expected program options:\n--aa: Description of aa\n--bb\n--cc\n$/m);
  t.notRegex(r.stderr, /ERROR/);
  const both = await runTsbpf(['--no-cache', '-e', 'begin { print(getopt("aa", 10)); }', '--', '--help', '--zz']);
  t.is(both.code, 1);
  t.regex(both.stderr, /ERROR: unexpected program command line options: --zz\nHINT: expected program options:\n--aa\n/);
});

kernelTest('printf %x / %d without a length modifier print 32 bits, as bpftrace 0.26 does', async (t) => {
  const r = await run(t, 'begin { $x = 0x12345678abcdef; printf("%hhx %hx %x %jx\\n", $x, $x, $x, $x); printf("%x %llx %d %u\\n", (uint64)0x1122334455667788, (uint64)0x1122334455667788, 0x100000005, -1); printf("%llx\\n", bswap(0x1122334455667788)); exit(); }');
  t.is(r.stdout, 'ef cdef 78abcdef 12345678abcdef\n55667788 1122334455667788 5 4294967295\n8877665544332211\n\n\n');
});
