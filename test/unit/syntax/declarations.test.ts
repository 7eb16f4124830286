/**
 * Declarations and forms bpftrace accepts (docs/language.md, its parser tests and tools): `for`
 * without parentheses, if-expressions, inline and anonymous records, multi-dimensional arrays,
 * attributes, enums, `typeof(...)` as a macro argument, `_ = expr`.
 */
import test from 'ava';
import { at, parseErr, parseOk, ss, stmts, sx } from './util.js';

test('for without parentheses: a range (opensnoop.bt) and a map', (t) => {
  const [range, map] = stmts(t, 'for $i : 0..10 { print($i); } for $kv : @m { print($kv); }');
  t.is(ss(range!), ss(stmts(t, 'for ($i : 0..10) { print($i); }')[0]!));
  t.is(map!.kind, 'ForMap');
  const d = parseErr(t, 'BEGIN { for $i : 0..3 ) { } }');
  t.true(d.length > 0);
});

test('if as an expression is a ternary of block expressions; else-if and nested ifs nest', (t) => {
  const [assign] = stmts(t, '$a = if (1) { 2 } else { 3 };');
  t.is(assign!.kind, 'Assign');
  if (assign!.kind !== 'Assign') return;
  t.is(sx(assign.value), '(? 1 (block 2) (block 3))');
  const [call] = stmts(t, 'print(if ($x) { if ($y) { $x } else { $y } } else if ($z) { 1 } else { 0 });');
  if (call!.kind !== 'ExprStmt' || call.expr.kind !== 'Call') return t.fail();
  t.is(sx(call.expr.args[0]), '(? $x (block (? $y (block $x) (block $y))) (? $z (block 1) (block 0)))');
});

test('an if used as a value needs an else', (t) => {
  const text = 'BEGIN { $a = if (1) { 2 }; }';
  const d = parseErr(t, text);
  t.is(d[0]!.message, 'an if used as a value needs an else branch');
  t.is(d[0]!.span!.start, at(text, 'if'));
});

test('inline named and anonymous records, multi-dimensional arrays, attributes', (t) => {
  const text = `struct __attribute__((aligned(16))) Foo {
  int a;
  struct { int b; long c; } inner;
  union { int d; char e; };
  int y[2][3];
  struct Bar *p;
} __attribute__((packed));
BEGIN { }`;
  const foo = parseOk(t, text).structs[0]!;
  t.is(foo.name, 'Foo');
  t.true(foo.packed);
  t.is(foo.aligned, 16);
  t.deepEqual(foo.fields.map((f) => [f.name, f.inline?.keyword, f.inline?.fields.map((g) => g.name), f.arrayDims]), [
    ['a', undefined, undefined, []],
    ['inner', 'struct', ['b', 'c'], []],
    ['', 'union', ['d', 'e'], []],
    ['y', undefined, undefined, [2, 3]],
    ['p', undefined, undefined, []],
  ]);
  t.is(foo.fields[4]!.type.name, 'struct Bar');
  t.is(foo.fields[4]!.type.pointerDepth, 1);
});

test('a top-level struct needs a name', (t) => {
  const d = parseErr(t, 'struct { int a; };\nBEGIN { }');
  t.is(d[0]!.message, 'a top-level struct or union needs a name');
});

test('enums: named and anonymous, values optional, trailing comma', (t) => {
  const text = 'enum Foo { ONE = 1, TWO, BIG = 1 << 40, };\nenum { A, B = -2 }\nBEGIN { }';
  const p = parseOk(t, text);
  t.deepEqual(p.enums.map((e) => [e.name, e.enumerators.map((x) => [x.name, x.value ? sx(x.value) : undefined])]), [
    ['Foo', [['ONE', '1'], ['TWO', undefined], ['BIG', '(<< 1 40)']]],
    [undefined, [['A', undefined], ['B', '(- 2)']]],
  ]);
  t.is(p.enums[0]!.enumerators[2]!.span.start, at(text, 'BIG'));
});

test('typeof(...) is a value only where a macro takes it', (t) => {
  const [s] = stmts(t, 'print(p_cast(typeof(uint8), -1));');
  if (s!.kind !== 'ExprStmt' || s.expr.kind !== 'Call') return t.fail();
  const inner = s.expr.args[0]!;
  if (inner.kind !== 'Call') return t.fail();
  t.is(sx(inner.args[0]), '(typearg typeof)');
  const arg = inner.args[0]!;
  t.is(arg.kind === 'TypeArg' ? arg.type.of?.kind : undefined, 'TypeExpr');
  const text = 'BEGIN { $x = typeof(int8); }';
  const d = parseErr(t, text);
  t.is(d[0]!.message, 'typeof(...) is a type: as a value it can only be passed to a macro');
  t.is(d[0]!.span!.start, at(text, 'typeof'));
});

test('_ = expr discards the value', (t) => {
  const [s] = stmts(t, '_ = has_key(@a, 1);');
  t.is(s!.kind, 'ExprStmt');
});
