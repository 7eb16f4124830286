import test from 'ava';
import type { Cast, Offsetof, Sizeof } from '../../../src/ast/nodes.js';
import { at, expr, parseOk, stmts, sx } from './util.js';

const cases: [string, string][] = [
  ['(uint8)$x', '(cast uint8 $x)'],
  ['(int64)-1', '(cast int64 (- 1))'],
  ['(uint32)$x + 1', '(+ (cast uint32 $x) 1)'],
  ['(uint16)$s.a', '(cast uint16 (. $s a))'],
  ['(struct task_struct *)curtask', '(cast struct task_struct* curtask)'],
  ['(struct task_struct *)curtask->pid', '(cast struct task_struct* (-> curtask pid))'],
  ['((struct task_struct *)curtask)->pid', '(-> (cast struct task_struct* curtask) pid)'],
  ['(union u **)arg0', '(cast union u** arg0)'],
  ['(enum e)1', '(cast enum e 1)'],
  ['(int8[8])$x', '(cast int8[8] $x)'],
  ['(string[64])arg0', '(cast string[64] arg0)'],
  ['(unsigned long)$x', '(cast unsigned long $x)'],
  ['(unsigned long long *)$x', '(cast unsigned long long* $x)'],
  ['(int32*[4])$x', '(cast int32*[4] $x)'],
  ['(u32)*$p', '(cast u32 (* $p))'],
  ['(uint8)(uint16)$x', '(cast uint8 (cast uint16 $x))'],
  ['(mytype)$x', '(cast mytype $x)'],
  ['(bool)!$x', '(cast bool (! $x))'],
  // not casts: a builtin in parentheses, or nothing that can be an operand after `)`
  ['(pid) - 1', '(- pid 1)'],
  ['(comm)', 'comm'],
  ['(arg0) * 2', '(* arg0 2)'],
  ['(x)', 'x'],
  ['($x) - 1', '(- $x 1)'],
  ['(a) + 1', '(+ a 1)'],
  ['(a) == 1', '(== a 1)'],
  // sizeof and offsetof
  ['sizeof(struct task_struct)', '(sizeof type struct task_struct)'],
  ['sizeof(uint64)', '(sizeof type uint64)'],
  ['sizeof(int)', '(sizeof type int)'],
  ['sizeof(unsigned int)', '(sizeof type unsigned int)'],
  ['sizeof(u8 *)', '(sizeof type u8*)'],
  ['sizeof(char[16])', '(sizeof type char[16])'],
  ['sizeof(mytype *)', '(sizeof type mytype*)'],
  ['sizeof($x)', '(sizeof $x)'],
  ['sizeof(x)', '(sizeof x)'],
  ['sizeof(@m[1])', '(sizeof @m[1])'],
  ['sizeof($x + 1)', '(sizeof (+ $x 1))'],
  ['sizeof(x * 2)', '(sizeof (* x 2))'],
  ['offsetof(struct Foo, a)', '(offsetof struct Foo a)'],
  ['offsetof(struct Foo, a.b.c)', '(offsetof struct Foo a.b.c)'],
  ['offsetof(Foo, x)', '(offsetof Foo x)'],
];

for (const [text, want] of cases) {
  test(`type expression ${JSON.stringify(text)}`, (t) => {
    t.is(sx(expr(t, text)), want);
  });
}

test('TypeExpr fields and spans', (t) => {
  const text = 'BEGIN { (struct task_struct **)curtask; }';
  const s = parseOk(t, text).probes[0]!.body.stmts[0]!;
  if (s.kind !== 'ExprStmt') return t.fail();
  const c = s.expr as Cast;
  t.is(c.kind, 'Cast');
  t.is(c.type.kind, 'TypeExpr');
  t.is(c.type.name, 'struct task_struct');
  t.is(c.type.pointerDepth, 2);
  t.is(c.type.arraySize, undefined);
  t.deepEqual(c.type.span, { start: at(text, 'struct'), end: at(text, ')') });
  t.deepEqual(c.span, { start: at(text, '('), end: at(text, ';') });
});

test('sizeof and offsetof nodes', (t) => {
  const s = expr(t, 'sizeof(struct Foo)') as Sizeof;
  t.is(s.kind, 'Sizeof');
  t.is(s.arg.kind, 'TypeExpr');
  const o = expr(t, 'offsetof(struct Foo, a.b)') as Offsetof;
  t.is(o.kind, 'Offsetof');
  t.deepEqual(o.path, ['a', 'b']);
  t.is(o.type.name, 'struct Foo');
});

test('let with types', (t) => {
  const s = stmts(t, 'let $a: int8[4]; let $b: struct x *;');
  t.is(s.length, 2);
  if (s[0]!.kind !== 'VarDecl' || s[1]!.kind !== 'VarDecl') return t.fail();
  t.deepEqual([s[0].type!.name, s[0].type!.arraySize], ['int8', 4]);
  t.deepEqual([s[1].type!.name, s[1].type!.pointerDepth], ['struct x', 1]);
});
