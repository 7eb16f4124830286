/**
 * Language features of issue #3 on the real kernel, with exact outputs: variable type promotion on
 * reassignment (bpftrace 0.26), records, struct values copied from memory, `&`, array casts,
 * `import`, and named parameters (`getopt`).
 */
import type { ExecutionContext } from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

async function run(t: ExecutionContext, script: string, args: readonly string[] = [], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  const r = await runTsbpf(['--no-cache', '-e', script, ...args], cwd ? { cwd } : {});
  t.is(r.code, 0, describeRun(r));
  return r;
}

kernelTest('a reassignment promotes a variable: uint32 then -1 is int64, int8 then uint64 is uint64, uint8 then 300 is uint16', async (t) => {
  const r = await run(t, 'BEGIN { $a = (uint32)5; $a = -1; print($a); $b = 1; $b = (uint64)2; print($b); $c = (uint8)3; $c = 300; print($c); print(sizeof($c)); exit(); }');
  t.is(r.stdout, '-1\n2\n300\n2\n\n\n');
});

kernelTest('string and tuple variables widen to their longest assignment', async (t) => {
  const r = await run(t, 'BEGIN { $s = "a"; $s = "longer string"; print($s); $t = (1, "x"); $t = (2, "yyyy"); print($t); exit(); }');
  t.is(r.stdout, 'longer string\n(2, yyyy)\n\n\n');
});

kernelTest('a uint64 variable assigned an int64 becomes int64 with bpftrace\'s implicit-cast warning', async (t) => {
  const r = await run(t, 'BEGIN { $c = (uint64)1; $d = (int64)-1; $c = $d; print($c); exit(); }');
  t.is(r.stdout, '-1\n\n\n');
  t.regex(r.stderr, /WARNING: Expression of type: uint64 being cast to type: int64\. This may cause unexpected results\. Use an explicit cast to suppress this warning\./);
});

kernelTest('records: construction, field access, printing, as map values and keys', async (t) => {
  const r = await run(t, 'BEGIN { $v = (x=1, y=2); $t = (a=0, b=1, c="str", d=(5, 6), e=$v); print($t); '
    + 'printf("%d %d %s %d %d %d\\n", $t.a, $t.b, $t.c, $t.d.0, $t.d.1, $t.e.y); @r = (a=1, b=(2, "hi")); @k[(a=1, b="x")] = 3; exit(); }');
  t.is(r.stdout, '{ .a = 0, .b = 1, .c = str, .d = (5, 6), .e = { .x = 1, .y = 2 } }\n0 1 str 5 6 2\n\n\n@k[{ .a = 1, .b = x }]: 3\n@r: { .a = 1, .b = (2, hi) }\n');
});

kernelTest('a record reassigned with its fields in another order keeps the first order', async (t) => {
  const r = await run(t, 'BEGIN { $a = (foo=1, bar=2); $a = (bar=3, foo=4); print($a); exit(); }');
  t.is(r.stdout, '{ .foo = 4, .bar = 3 }\n\n\n');
});

kernelTest('struct values: *ptr copies the struct; fields, print, map values and keys, nested structs', async (t) => {
  const r = await run(t, 'struct Foo { int m; int n; } BEGIN { $val = (uint64)0x300000002; $f = *(struct Foo *)(&$val); print($f); printf("%d %d\\n", $f.m, $f.n); '
    + '@s = $f; @k[$f, 42] = 0; print((1, $f)); exit(); }');
  t.is(r.stdout, '{ .m = 2, .n = 3 }\n2 3\n(1, { .m = 2, .n = 3 })\n\n\n@k[{ .m = 2, .n = 3 }, 42]: 0\n@s: { .m = 2, .n = 3 }\n');
});

kernelTest('kernel BTF struct values print whole, pointers in hex', async (t) => {
  const r = await run(t, 'BEGIN { $l = curtask.se.load; print($l.weight == curtask.se.load.weight); print(curtask.fs.root); exit(); }');
  t.regex(r.stdout, /^true\n\{ \.mnt = 0x[0-9a-f]+, \.dentry = 0x[0-9a-f]+ \}\n/);
});

kernelTest('& takes the address of variables and of fields', async (t) => {
  const r = await run(t, 'BEGIN { $a = 1; $b = &$a; print(*$b); $s = "hello"; $c = (int8 *)&$s; printf("%c %c\\n", *$c, *($c + 1)); $p = &curtask.pid; print(*$p == pid); exit(); }');
  t.is(r.stdout, '1\nh e\ntrue\n\n\n');
});

kernelTest('array casts: int to int array, automatic size, string to int8[], int array to int', async (t) => {
  const r = await run(t, 'BEGIN { printf("first byte: %x\\n", ((int8[8])12345)[0]); printf("byte: %x\\n", ((int8[])12345)[1]); print((int8[])"hello"); '
    + '$a = (uint8[4])(uint32)0x01020304; print($a); print((uint32)$a); exit(); }');
  t.is(r.stdout, 'first byte: 39\nbyte: 30\n[104,101,108,108,111,0]\n[4,3,2,1]\n16909060\n\n\n');
});

kernelTest('import: relative to the importing script, imported once, probes first, directories', async (t) => {
  const dir = scratchDir(t);
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'helpers.bt'), 'macro twice(x) { x * 2 }\nBEGIN { printf("helper begin\\n"); }\n');
  writeFileSync(join(dir, 'lib', 'more.bt'), 'import "helpers.bt";\nmacro thrice(x) { x * 3 }\n');
  writeFileSync(join(dir, 'main.bt'), 'import "lib/helpers.bt";\nimport "lib/more.bt";\nBEGIN { printf("%d %d\\n", twice(21), thrice(2)); exit(); }\n');
  const r = await runTsbpf(['--no-cache', join(dir, 'main.bt')]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'helper begin\n42 6\n\n\n');
  const d = await run(t, 'import "lib"; BEGIN { print(twice(4)); exit(); }', [], dir);
  t.is(d.stdout, 'helper begin\n8\n\n\n');
});

kernelTest('import errors: missing file, config in an imported file', async (t) => {
  const dir = scratchDir(t);
  writeFileSync(join(dir, 'cfg.bt'), 'config = { max_map_keys = 2 }\nBEGIN { }\n');
  const missing = await runTsbpf(['--no-cache', '-e', 'import "nope.bt"; BEGIN { exit(); }'], { cwd: dir });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /ERROR: cannot import \S*nope\.bt: no such file or directory/);
  const cfg = await runTsbpf(['--no-cache', '-e', 'import "cfg.bt"; BEGIN { exit(); }'], { cwd: dir });
  t.is(cfg.code, 1);
  t.regex(cfg.stderr, /ERROR: \S*cfg\.bt:1:1: an imported file cannot have a config block/);
});

kernelTest('getopt: named parameters after --, typed by their default', async (t) => {
  const r = await run(t, 'BEGIN { print((getopt("aa", 1), getopt("bb"), getopt("name", "x", "the name"), getopt("neg", -5))); print(($1, $#)); exit(); }', ['--', '--aa=20', '--bb', '7']);
  t.is(r.stdout, '(20, true, x, -5)\n(7, 1)\n\n\n');
  const d = await run(t, 'BEGIN { print((getopt("aa", 1), getopt("bb"), getopt("name", "x"))); exit(); }');
  t.is(d.stdout, '(1, false, x)\n\n\n');
});

kernelTest('getopt: --help lists the parameters, unknown and malformed ones are errors', async (t) => {
  const help = await runTsbpf(['--no-cache', '-e', 'BEGIN { print((getopt("aa", 1, "count"), getopt("bb"))); }', '--', '--help']);
  t.is(help.code, 1);
  t.regex(help.stderr, /HINT: expected program options:\n--aa: count\n--bb\n/);
  const unknown = await runTsbpf(['--no-cache', '-e', 'BEGIN { print(getopt("aa", 1)); }', '--', '--zz=1']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /ERROR: unexpected program command line options: --zz\nHINT: expected program options: --aa\n/);
  const bad = await runTsbpf(['--no-cache', '-e', 'BEGIN { print(getopt("aa", 1)); }', '--', '--aa=x']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /ERROR: program command line option --aa is not a valid unsigned integer \(value: x\)/);
});
