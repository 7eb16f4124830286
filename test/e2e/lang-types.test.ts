/**
 * Type resolution on the real kernel (src/passes/resolve-types.ts): map keys and values take the
 * types of all their uses, every use is converted to that layout, pointers keep their type through
 * maps, tuples are packed as bpftrace packs them. Whole stdout compared exactly.
 */
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

async function stdoutOf(t: ExecutionContext, args: readonly string[]): Promise<string> {
  const r = await runTsbpf(['--no-cache', ...args]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout;
}

kernelTest('multi-key maps whose string parts differ in length keep every key intact', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { @["hi", 1] = 1; @["hellolongstr", 2] = 2; @b[(int8)1, "a", (int16)3] = 1; @b[(int8)2, "bbbbbbbbb", (int16)4] = 2; printf("%d %d\\n", @["hi", 1], @b[(int8)2, "bbbbbbbbb", (int16)4]); exit(); }']);
  t.is(out, '1 2\n\n\n@[hi, 1]: 1\n@[hellolongstr, 2]: 2\n@b[1, a, 3]: 1\n@b[2, bbbbbbbbb, 4]: 2\n');
});

kernelTest('integer keys unify across probes; reads, has_key and for-over-map use the resolved key', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { @s[(int32)-1] = 1; } interval:ms:1 { @s[(uint64)2] = 2; $n = 0; for ($kv : @s) { $n += $kv.0; } printf("%d %d %d\\n", $n, @s[(uint8)2], has_key(@s, (int16)-1)); exit(); }']);
  t.is(out, '1 2 1\n\n\n@s[-1]: 1\n@s[2]: 2\n');
});

kernelTest('@m[a, b], @m[(a, b)] and a tuple variable are the same key', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { @m[1, "x"] = 1; @m[(1, "x")] += 2; $k = (1, "x"); @m[$k] += 4; printf("%d %d\\n", @m[$k], has_key(@m, (1, "x"))); delete(@m, $k); @m[2, "longer"] = 5; exit(); }']);
  t.is(out, '7 1\n\n\n@m[2, longer]: 5\n');
});

kernelTest('a pointer kept in a map stays a pointer: scaled ++, printed in hex', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { @ = (int32 *)0x32; @++; @q = (int64 *)0x100; @q += 2; exit(); }']);
  t.is(out, '\n\n@: 0x36\n@q: 0x110\n');
});

kernelTest('addresses print in hex inside tuples', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { $a = 5; print((&$a, *&$a)); exit(); }']);
  t.regex(out, /^\(0x[0-9a-f]+, 5\)\n\n\n$/);
});

kernelTest('fields through a pointer read back from a map (naptime.bt)', async (t) => {
  const script = 'tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { @rqtp[tid] = args.rqtp; } '
    + 'tracepoint:syscalls:sys_exit_clock_nanosleep /pid == cpid && has_key(@rqtp, tid)/ { $t = @rqtp[tid]; printf("slept %d s %d ns\\n", $t.tv_sec, $t->tv_nsec); delete(@rqtp, tid); }';
  const out = await stdoutOf(t, ['-c', 'sleep 1.25', '-e', script]);
  t.is(out, 'slept 1 s 250000000 ns\n\n\n');
});

kernelTest('string and tuple variables grow to the largest value assigned; ?: branches meet in the promoted tuple', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { $a = ""; if (pid > 0) { $a = "hello"; } printf("%s|\\n", $a); $t = (1, "a"); $t = (100000, "abcdef"); print($t); $c = pid == 0 ? (1, "a") : ((int64)-2, "bcd"); print($c); exit(); }']);
  t.is(out, 'hello|\n(100000, abcdef)\n(-2, bcd)\n\n\n');
});

kernelTest('tuples are packed as bpftrace packs them: sizeof, map values, JSON', async (t) => {
  const out = await stdoutOf(t, ['-e', 'BEGIN { printf("%d %d %d\\n", sizeof(((int8)1, (int16)1, (int32)1)), sizeof(((int8)1, "ab", (int64)2)), sizeof((a=(int8)1, b=(int16)2))); @t = ((int8)-1, (int16)300, (int32)-70000); @u = ((int8)1, "ab"); @u = ((int32)100000, "abcdef"); exit(); }']);
  t.is(out, '8 16 4\n\n\n@t: (-1, 300, -70000)\n@u: (100000, abcdef)\n');
  const json = await stdoutOf(t, ['-f', 'json', '-e', 'BEGIN { @t = ((int8)-1, (int16)300, (int32)-70000); exit(); }']);
  t.is(json.split('\n').filter((l) => l.includes('"map"')).join('\n'), '{"type": "map", "data": {"@t": [-1,300,-70000]}}');
});

kernelTest('printf %s with a pointer is rejected with a caret at the argument', async (t) => {
  const script = 'BEGIN { $p = (int8 *)1; printf("%s\\n", $p); }';
  const r = await runTsbpf(['--no-cache', '-e', script]);
  t.not(r.code, 0, describeRun(r));
  const col = script.indexOf('$p)') + 1;
  t.is(r.stderr, `stdin:1:${col}-${col + 2}: ERROR: %s needs a string, got a pointer (int8 *)\n${script}\n${' '.repeat(col - 1)}^~\nHINT: read the string it points to with str($p)\n`);
});

kernelTest('kernel enum constants from BTF; let without a type; #define values with comments', async (t) => {
  const script = '#define TWO 2 /* two */\nBEGIN { let $s; if (pid > 0) { $s = "abc"; } printf("%d %d %s %d\\n", TCP_FIN_WAIT1, TCP_CLOSE, $s, TWO); exit(); }';
  const out = await stdoutOf(t, ['-e', script]);
  t.is(out, '4 7 abc 2\n\n\n');
});
