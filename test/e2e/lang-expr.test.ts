/**
 * Language semantics on the real kernel: each script is compiled to BPF, loaded, and run (BEGIN
 * bodies run through BPF_PROG_TEST_RUN in tsbpf's own context), and its whole stdout is
 * compared exactly. BEGIN-only scripts need no workload: their output depends only on the
 * language's semantics (and on `comm`, the tsbpf process's own name).
 */
import type { ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

async function stdoutOf(t: ExecutionContext, script: string, args: readonly string[] = []): Promise<string> {
  const r = await runTsbpf(['--no-cache', '-e', script, ...args]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout;
}

/** A script run from a file (for multi-line scripts with struct definitions, macros, config). */
async function fileStdout(t: ExecutionContext, script: string, args: readonly string[] = []): Promise<string> {
  const file = join(scratchDir(t), 'script.tbpf');
  writeFileSync(file, script);
  const r = await runTsbpf(['--no-cache', file, ...args]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout;
}

// ------------------------------------------------------------------------------ operators

kernelTest('arithmetic with C precedence; literals fold with C division and modulo', async (t) => {
  // Division semantics at run time (unsigned, x / 0 == 1) are in lang-semantics.test.ts.
  const out = await stdoutOf(t, 'BEGIN { printf("%d %d %d %d\\n", 7 / 2, -7 / 2, 7 % 3, -7 % 3); printf("%d %d %d\\n", 2 + 3 * 4, (2 + 3) * 4, 10 - 2 - 3); exit(); }');
  t.is(out, '3 -3 1 -1\n14 20 5\n\n\n');
});

kernelTest('bitwise operators, shifts, unary - ~ !, comparisons', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { printf("%d %d %d %d %d %d\\n", 6 & 3, 6 | 3, 6 ^ 3, 1 << 4, 256 >> 2, ~0); printf("%d %d %d %d %d %d\\n", !0, !5, -(3), 1 < 2 == 1, 3 >= 3, 2 != 2); exit(); }');
  t.is(out, '2 7 5 16 64 -1\n1 0 -3 1 1 0\n\n\n');
});

kernelTest('integer casts truncate and extend; hex, octal, underscores, exponents, suffixes', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $x = 1<<16; printf("%d %d %d %d %d\\n", (uint16)$x, $x, (int8)255, (uint8)-1, (int32)0xffffffff); printf("%d %d %d %d\\n", 0x10 + 010, 1_000 + 2e3, 5UL, 1ms); exit(); }');
  t.is(out, '0 65536 -1 255 -1\n24 3000 5 1000000\n\n\n');
});

kernelTest('logical operators short-circuit', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @n = 0; if (0 && @n++) { } if (1 || @n++) { } if (1 && @n++ == 0) { } printf("%d %d %d\\n", @n, 1 || 0, 0 || 0); exit(); }');
  t.is(out, '1 1 0\n\n\n@n: 1\n');
});

kernelTest('string comparison and string ternary', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $s = 1 > 0 ? "yes" : "no"; $u = 0 ? "yes" : "nope"; printf("%d %d %s %s %d\\n", "abc" == "abc", "abc" != "abd", $s, $u, $s == "yes"); exit(); }');
  t.is(out, '1 1 yes nope 1\n\n\n');
});

kernelTest('compound assignment on variables and maps; map sugar', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $x = 10; $x += 5; $x -= 3; $x *= 2; $x /= 4; $x %= 4; $x <<= 3; $x >>= 1; $x |= 1; $x &= 7; $x ^= 2; printf("%d\\n", $x); @m = 1; @m += 5; @m = @m + 1; @m *= 2; @n++; @n++; @n--; exit(); }');
  t.is(out, '3\n\n\n@m: 14\n@n: 1\n');
});

kernelTest('pre and post ++/-- inside expressions, on variables and maps', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $x = 10; $y = $x--; $a = 10; $b = --$a; printf("%d %d %d %d\\n", $x, $y, $a, $b); $i = 5; $j = $i++ + ++$i; printf("%d %d\\n", $i, $j); @c = 1; $k = @c++; $l = ++@c; printf("%d %d %d\\n", $k, $l, @c); exit(); }');
  t.is(out, '9 10 9 9\n7 12\n1 3 3\n\n\n@c: 3\n');
});

kernelTest('ternary with integers, the short form, and nesting', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $a = 5; printf("%d %d %d\\n", $a > 3 ? 1 : 2, $a < 3 ? 1 : $a == 5 ? 7 : 8, 0 ?: 9); exit(); }');
  t.is(out, '1 7 9\n\n\n');
});

// ------------------------------------------------------------------------------ variables, tuples, maps

kernelTest('tuples: elements by .N and [N], nested tuples, tuples as map values and keys', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $t = (1, "ab", (3, -4)); printf("%d %s %d %d %d\\n", $t.0, $t.1, $t.2.0, $t.2.1, $t[0]); @v[1] = (2, "x"); @k[(5, "y")] = 6; $u = @v[1]; printf("%d %s %d\\n", $u.0, $u.1, @k[5, "y"]); exit(); }');
  t.is(out, '1 ab 3 -4 1\n2 x 6\n\n\n@k[5, y]: 6\n@v[1]: (2, x)\n');
});

kernelTest('maps with several keys', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m[1, "a"] = 10; @m[2, "b"] = 20; @m[1, "a"] += 1; printf("%d %d %d\\n", @m[1, "a"], @m[2, "b"], @m[3, "c"]); exit(); }');
  t.is(out, '11 20 0\n\n\n@m[1, a]: 11\n@m[2, b]: 20\n');
});

kernelTest('let declarations, typed let, and block scoping', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { let $a; let $b: uint8 = 300; let $c = 3; if ($c == 3) { $d = 1; $a = $d + 1; } if (1) { $d = "shadow-free"; printf("%s\\n", $d); } printf("%d %d %d\\n", $a, $b, $c); exit(); }');
  t.is(out, 'shadow-free\n2 44 3\n\n\n');
});

kernelTest('positional parameters $1, $#, str($1)', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { printf("%d %s %d %d\\n", $1, str($2), $#, $1 + 1); exit(); }', ['41', 'hello']);
  t.is(out, '41 hello 2 42\n\n\n');
});

// ------------------------------------------------------------------------------ control flow

kernelTest('if / else if / else', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $i = 0; while ($i < 4) { if ($i == 0) { printf("zero "); } else if ($i == 1) { printf("one "); } else { printf("many "); } $i++; } printf("\\n"); exit(); }');
  t.is(out, 'zero one many many \n\n\n');
});

kernelTest('while with break and continue', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $i = 0; while ($i < 10) { $i++; if ($i == 2) { continue; } if ($i == 5) { break; } printf("%d ", $i); } printf("end %d\\n", $i); exit(); }');
  t.is(out, '1 3 4 end 5\n\n\n');
});

kernelTest('for over a range: bounds evaluated once, break and continue', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $n = 5; for ($i : 0..$n) { $n--; if ($i == 1) { continue; } if ($i == 4) { break; } printf("%d ", $i); } for ($j : 2..2) { printf("never"); } printf("| %d\\n", $n); exit(); }');
  t.is(out, '0 2 3 | 0\n\n\n');
});

kernelTest('unroll repeats its block at compile time', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $s = 0; unroll(4) { $s += 2; printf("u"); } printf(" %d\\n", $s); exit(); }');
  t.is(out, 'uuuu 8\n\n\n');
});

kernelTest('return leaves the probe; a predicate filters', async (t) => {
  const out = await stdoutOf(t, 'BEGIN /1 == 1/ { printf("a\\n"); if (1) { return; } printf("b\\n"); } BEGIN /0/ { printf("c\\n"); } BEGIN { exit(); }');
  t.is(out, 'a\n\n\n');
});

// ------------------------------------------------------------------------------ kernel types

kernelTest('curtask->parent->pid and struct casts through kernel BTF', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { printf("%d %d %d %s\\n", curtask->pid == tid, curtask->tgid == pid, curtask->parent->pid == curtask->real_parent->tgid, ((struct task_struct *)curtask)->comm == comm); $p = curtask->parent; printf("%d %d\\n", $p->pid > 0, (*curtask).pid == tid); exit(); }',
  );
  t.is(out, '1 1 1 1\n1 1\n\n\n');
});

kernelTest('sizeof and offsetof of kernel and script types', async (t) => {
  const out = await fileStdout(
    t,
    `#include <linux/sched.h>
struct Foo { int a; char b[5]; long c; struct Foo *next; }
BEGIN {
  printf("%d %d %d %d\\n", sizeof(struct Foo), offsetof(struct Foo, c), sizeof(uint16), sizeof(struct task_struct) > 1000);
  printf("%d %d\\n", offsetof(struct task_struct, pid) > 0, sizeof(curtask->comm));
  exit();
}
`,
  );
  t.is(out, '32 16 2 1\n1 16\n\n\n');
});

kernelTest('a char array in a kernel struct reads as a string; arrays index', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $c = curtask->comm; printf("%s %d %d\\n", $c, curtask->comm[0] == 116, $c == comm); exit(); }');
  // tsbpf names its process tsbpf (bin/tsbpf.js): comm is "tsbpf", curtask->comm[0] is 't' (116).
  t.is(out, 'tsbpf 1 1\n\n\n');
});

// ------------------------------------------------------------------------------ macros and config

kernelTest('macros: expression, variable and map parameters; hygiene; nesting', async (t) => {
  const out = await fileStdout(
    t,
    `macro one() { 1 }
macro add_one(x) { x + 1 }
macro add_two(x) { add_one(x) + 1 }
macro bump($a, @b) { $a += 1; @b += 1; }
macro local() { $a = 100; $a }
BEGIN {
  $a = 10;
  printf("%d %d %d %d\\n", one(), one, add_one($a), add_two(1));
  @b = 5;
  bump($a, @b);
  printf("%d %d %d\\n", $a + @b, local(), $a);
  exit();
}
`,
  );
  t.is(out, '1 1 11 3\n17 100 11\n\n\n@b: 6\n');
});

kernelTest('config block: max_map_keys limits a map', async (t) => {
  const out = await fileStdout(t, 'config = { max_map_keys = 2; stack_mode = perf }\nBEGIN { @[1] = 1; @[2] = 2; @[3] = 3; exit(); }\n');
  t.is(out, '\n\n@[1]: 1\n@[2]: 2\n');
});
