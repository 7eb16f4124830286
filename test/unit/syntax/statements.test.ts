import test from 'ava';
import type { Assign, AssignOp, ForMap, ForRange, If, VarDecl } from '../../../src/ast/nodes.js';
import { at, parseErr, parseOk, ss, stmts } from './util.js';

test('statements are ; separated, the last ; is optional, empty blocks are fine', (t) => {
  t.deepEqual(stmts(t, '$a = 1; @b = 2').map(ss), ['$a = 1', '@b = 2']);
  t.deepEqual(stmts(t, '$a = 1; @b = 2;').map(ss), ['$a = 1', '@b = 2']);
  t.deepEqual(stmts(t, ';;$a = 1;;').map(ss), ['$a = 1']);
  t.deepEqual(stmts(t, ''), []);
  t.deepEqual(stmts(t, '{ } { ; }').map(ss), ['{ }', '{ }']);
});

test('assignment operators on variables and maps', (t) => {
  const ops: AssignOp[] = ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>='];
  for (const op of ops) {
    const [v, m] = stmts(t, `$x ${op} 1; @m[pid, comm] ${op} 2;`) as Assign[];
    t.is(v!.kind, 'Assign');
    t.is(v!.op, op);
    t.is(v!.target.kind, 'Variable');
    t.is(m!.op, op);
    t.is(m!.target.kind, 'MapRef');
    t.is(ss(m!), `@m[pid, comm] ${op} 2`);
  }
});

test('assignment spans', (t) => {
  const text = 'BEGIN { @x[1] = count(); }';
  const s = parseOk(t, text).probes[0]!.body.stmts[0] as Assign;
  t.deepEqual(s.span, { start: at(text, '@x'), end: at(text, ';') });
  t.deepEqual(s.target.span, { start: at(text, '@x'), end: at(text, ' =') });
  t.deepEqual(s.value.span, { start: at(text, 'count'), end: at(text, ';') });
});

test('assignment is right of everything: $x = $a ? 1 : 2', (t) => {
  t.is(ss(stmts(t, '$x = $a ? 1 : 2')[0]!), '$x = (? $a 1 2)');
  t.is(ss(stmts(t, '$x = $a || $b')[0]!), '$x = (|| $a $b)');
});

test('_ = expr discards the value', (t) => {
  const s = stmts(t, '_ = foo();');
  t.is(s[0]!.kind, 'ExprStmt');
  t.is(ss(s[0]!), 'foo()');
});

test('let declarations', (t) => {
  const s = stmts(t, 'let $a; let $b = 1; let $c: uint16 = 3; let $d: struct task_struct * = curtask; let $e: unsigned long;') as VarDecl[];
  t.deepEqual(s.map(ss), [
    'let $a',
    'let $b = 1',
    'let $c: uint16 = 3',
    'let $d: struct task_struct* = curtask',
    'let $e: unsigned long',
  ]);
  t.is(s[0]!.kind, 'VarDecl');
  t.is(s[0]!.type, undefined);
  t.is(s[0]!.value, undefined);
  t.is(s[2]!.type!.name, 'uint16');
});

test('if / else if / else', (t) => {
  const [s] = stmts(t, 'if ($a == 1) { @x = 1 } else if ($a == 2) { @x = 2; } else { @x = 3 }') as If[];
  t.is(s!.kind, 'If');
  t.is(ss(s!), 'if (== $a 1) { @x = 1 } else if (== $a 2) { @x = 2 } else { @x = 3 }');
  t.is(s!.else!.kind, 'If');
  t.is((s!.else as If).else!.kind, 'Block');
  t.is(ss(stmts(t, 'if (1) { }')[0]!), 'if 1 { }');
});

test('if without parentheses around a simple condition', (t) => {
  t.is(ss(stmts(t, 'if $a { @x = 1 }')[0]!), 'if $a { @x = 1 }');
});

test('compound statements need no ; after them', (t) => {
  t.deepEqual(stmts(t, 'if (1) { } @a = 1; while ($i < 3) { $i++ } @b = 2; { @c = 3 } @d = 4').map(ss), [
    'if 1 { }',
    '@a = 1',
    'while (< $i 3) { (post++ $i) }',
    '@b = 2',
    '{ @c = 3 }',
    '@d = 4',
  ]);
});

test('while, unroll', (t) => {
  t.is(ss(stmts(t, 'while ($i < 10) { $i++; }')[0]!), 'while (< $i 10) { (post++ $i) }');
  t.is(ss(stmts(t, 'unroll(3) { print("x"); }')[0]!), 'unroll 3 { print("x") }');
  t.is(ss(stmts(t, 'unroll (2 + 1) { }')[0]!), 'unroll (+ 2 1) { }');
});

test('for over a map and over a range', (t) => {
  const [m, r] = stmts(t, 'for ($kv : @map) { print($kv.0); } for ($i : 0..ncpus) { continue; }') as [ForMap, ForRange];
  t.is(m.kind, 'ForMap');
  t.is(m.variable.name, '$kv');
  t.is(m.map.name, '@map');
  t.is(ss(m), 'for $kv : @map { print((. $kv 0)) }');
  t.is(r.kind, 'ForRange');
  t.is(ss(r), 'for $i : 0..ncpus { continue }');
  t.is(ss(stmts(t, 'for ($i : $a + 1..@n[1]) { }')[0]!), 'for $i : (+ $a 1)..@n[1] { }');
});

test('break, continue, return', (t) => {
  t.deepEqual(stmts(t, 'break; continue; return; return 1 + 2').map(ss), ['break', 'continue', 'return', 'return (+ 1 2)']);
  t.deepEqual(stmts(t, 'return').map(ss), ['return']);
});

test('nested blocks', (t) => {
  t.is(ss(stmts(t, '{ $a = 1; { $b = 2 } }')[0]!), '{ $a = 1; { $b = 2 } }');
});

test('statement spans exclude the separator', (t) => {
  const text = 'BEGIN { let $x = 1; if (1) { } break; return 2; }';
  const s = parseOk(t, text).probes[0]!.body.stmts;
  t.deepEqual(s[0]!.span, { start: at(text, 'let'), end: at(text, ';') });
  t.deepEqual(s[1]!.span, { start: at(text, 'if'), end: at(text, '}') + 1 });
  t.deepEqual(s[2]!.span, { start: at(text, 'break'), end: at(text, 'break') + 5 });
  t.deepEqual(s[3]!.span, { start: at(text, 'return'), end: at(text, '2;') + 1 });
});

test('missing ; between statements is an error at the second statement', (t) => {
  const text = 'BEGIN { @x = 1 @y = 2 }';
  const d = parseErr(t, text);
  t.is(d.length, 1);
  t.is(d[0]!.code, 'syntax-error');
  t.deepEqual(d[0]!.span, { start: at(text, '@y'), end: at(text, '@y') + 2 });
});

test('assigning to something that is not a variable or map is an error', (t) => {
  for (const target of ['1', 'pid', 'f()', '$x + 1', '$t.0', '*$p']) {
    const text = `BEGIN { ${target} = 2; }`;
    const d = parseErr(t, text);
    t.is(d[0]!.code, 'syntax-error');
    t.is(d[0]!.span!.start, at(text, target), target);
  }
});

test('for over something else than a map or a range is an error', (t) => {
  const text = 'BEGIN { for ($x : pid) { } }';
  t.is(parseErr(t, text)[0]!.span!.start, at(text, 'pid'));
});

test('let of a map inside a probe is an error', (t) => {
  const text = 'BEGIN { let @m = hash(1); }';
  t.is(parseErr(t, text)[0]!.span!.start, at(text, '@m'));
});
