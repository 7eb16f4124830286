import test from 'ava';
import { at, parseErr, parseOk, ss, sx } from './util.js';

test('empty input is an empty program', (t) => {
  const p = parseOk(t, '');
  t.is(p.kind, 'Program');
  t.deepEqual([p.probes, p.macros, p.mapDecls, p.structs, p.preprocessor], [[], [], [], [], []]);
  t.is(p.config, undefined);
  t.deepEqual(p.span, { start: 0, end: 0 });
});

test('whitespace and comments only', (t) => {
  const p = parseOk(t, '  // nothing\n/* at all */\n');
  t.is(p.probes.length, 0);
});

test('shebang line is skipped', (t) => {
  const text = '#!/usr/bin/env tsbpf\nBEGIN { exit(); }\n';
  const p = parseOk(t, text);
  t.is(p.preprocessor.length, 0);
  t.is(p.probes[0]!.attachPoints[0]!.raw, 'BEGIN');
  t.is(p.probes[0]!.span.start, at(text, 'BEGIN'));
});

test('preprocessor lines are kept as text', (t) => {
  const text = '#include <linux/sched.h>\n  #define RED "\\033[31m"\n#define LONG 1 + \\\n  2\nBEGIN { }';
  const p = parseOk(t, text);
  t.deepEqual(
    p.preprocessor.map((l) => l.text),
    ['#include <linux/sched.h>', '#define RED "\\033[31m"', '#define LONG 1 + \\\n  2'],
  );
  t.deepEqual(p.preprocessor[0]!.span, { start: 0, end: '#include <linux/sched.h>'.length });
  t.is(p.probes.length, 1);
});

test('inline struct and union definitions', (t) => {
  const text = `
struct Foo { int a; char b[8]; unsigned long c; struct task_struct *t; u32 **pp; };
union U { int x; char y[4]; }
BEGIN { $f = (struct Foo *)arg0; }`;
  const p = parseOk(t, text);
  t.is(p.structs.length, 2);
  const foo = p.structs[0]!;
  t.is(foo.keyword, 'struct');
  t.is(foo.name, 'Foo');
  t.deepEqual(
    foo.fields.map((f) => [f.name, f.type.name, f.type.pointerDepth, f.arrayDims]),
    [
      ['a', 'int', 0, []],
      ['b', 'char', 0, [8]],
      ['c', 'unsigned long', 0, []],
      ['t', 'struct task_struct', 1, []],
      ['pp', 'u32', 2, []],
    ],
  );
  t.is(foo.span.start, at(text, 'struct Foo'));
  t.is(foo.fields[1]!.span.start, at(text, 'char b'));
  t.is(p.structs[1]!.keyword, 'union');
  t.is(p.structs[1]!.name, 'U');
  t.is(p.probes.length, 1);
});

test('struct field named like a keyword', (t) => {
  const p = parseOk(t, 'struct S { int config; int if; } BEGIN { }');
  t.deepEqual(
    p.structs[0]!.fields.map((f) => f.name),
    ['config', 'if'],
  );
});

test('config block', (t) => {
  const text = 'config = { max_map_keys = 2; stack_mode = perf; missing_probes = "warn" }\nBEGIN { }';
  const p = parseOk(t, text);
  const c = p.config!;
  t.is(c.kind, 'ConfigBlock');
  t.deepEqual(
    c.entries.map((e) => [e.key, sx(e.value)]),
    [
      ['max_map_keys', '2'],
      ['stack_mode', 'perf'],
      ['missing_probes', '"warn"'],
    ],
  );
  t.is(c.span.start, 0);
  t.is(c.entries[1]!.span.start, at(text, 'stack_mode'));
});

test('config block with trailing semicolons', (t) => {
  const p = parseOk(t, 'config = { a = 1; b = true; };\nBEGIN { }');
  t.is(p.config!.entries.length, 2);
});

test('macros', (t) => {
  const p = parseOk(t, 'macro add_one(x) { x + 1 }\nmacro inc($a, @b) { $a += 1; @b += 1; }\nmacro one() { 1 }\nBEGIN { print(add_one(one())); }');
  t.deepEqual(
    p.macros.map((m) => [m.name, m.params]),
    [
      ['add_one', ['x']],
      ['inc', ['$a', '@b']],
      ['one', []],
    ],
  );
  t.is(ss(p.macros[0]!.body), '{ (+ x 1) }');
  t.is(ss(p.macros[1]!.body), '{ $a += 1; @b += 1 }');
});

test('map declarations', (t) => {
  const p = parseOk(t, 'let @a = hash(100);\nlet @b = lruhash(10)\nlet @c = percpuhash(5);\nBEGIN { @a[1] = 1; }');
  t.deepEqual(
    p.mapDecls.map((d) => [d.name, d.mapKind, d.args.map(sx)]),
    [
      ['@a', 'hash', ['100']],
      ['@b', 'lruhash', ['10']],
      ['@c', 'percpuhash', ['5']],
    ],
  );
});

test('all sections together, in any order of macros, maps and probes', (t) => {
  const text = `#!/usr/bin/env tsbpf
#include <linux/sched.h>
struct S { int x; }
config = { max_strlen = 64 }
let @m = hash(10);
macro twice(x) { x * 2 }
BEGIN { @m[1] = twice(2); }
let @n = lruhash(4);
END { clear(@m); }
`;
  const p = parseOk(t, text);
  t.is(p.preprocessor.length, 1);
  t.is(p.structs.length, 1);
  t.truthy(p.config);
  t.is(p.mapDecls.length, 2);
  t.is(p.macros.length, 1);
  t.deepEqual(
    p.probes.map((x) => x.attachPoints[0]!.raw),
    ['BEGIN', 'END'],
  );
  t.deepEqual(p.span, { start: 0, end: text.length });
});

test('comments anywhere', (t) => {
  const text = `// leading
BEGIN /* between */ { // after brace
  $x = 1 /* inside */ + /* an */ 2; // trailing
  /* multi
     line */
}
/* between probes */ END { }`;
  const p = parseOk(t, text);
  t.is(p.probes.length, 2);
  t.is(ss(p.probes[0]!.body), '{ $x = (+ 1 2) }');
});

test('probe span covers attach points to the end of the body', (t) => {
  const text = '  kprobe:f, kprobe:g /pid/ { @x = 1; }  ';
  const p = parseOk(t, text);
  t.deepEqual(p.probes[0]!.span, { start: 2, end: text.trimEnd().length });
  t.deepEqual(p.probes[0]!.body.span, { start: at(text, '{'), end: text.trimEnd().length });
});

test('multiple probes without separators', (t) => {
  const p = parseOk(t, 'BEGIN { @a = 1 } END { @b = 2 } interval:s:1 { exit() }');
  t.is(p.probes.length, 3);
});

test('stray semicolons between top-level items are allowed', (t) => {
  const p = parseOk(t, 'BEGIN { };\nEND { };');
  t.is(p.probes.length, 2);
});

test('a second config block is an error', (t) => {
  const text = 'config = { a = 1 }\nconfig = { b = 2 }\nBEGIN { }';
  const d = parseErr(t, text);
  t.is(d[0]!.code, 'syntax-error');
  t.is(d[0]!.span!.start, at(text, 'config', 1));
});

test('import is parsed but reported as unsupported', (t) => {
  const text = 'import "helpers.bt";\nBEGIN { }';
  const d = parseErr(t, text);
  t.is(d[0]!.code, 'syntax-error');
  t.is(d[0]!.span!.start, 0);
});

test('an enum body holds enumerators, not fields', (t) => {
  const text = 'enum E { int a; }\nBEGIN { }';
  const d = parseErr(t, text);
  t.is(d[0]!.span!.start, at(text, 'a;'));
});

test('bit-fields are reported', (t) => {
  const text = 'struct S { u32 a : 3; }';
  const d = parseErr(t, text);
  t.is(d[0]!.span!.start, at(text, ':'));
});
