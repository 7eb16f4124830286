import test from 'ava';
import type { Call, FieldAccess, IntLiteral, MapRef, StringLiteral } from '../../../src/ast/nodes.js';
import { at, expr, parseErr, parseOk, sx } from './util.js';

const cases: [string, string][] = [
  // precedence, low to high
  ['1 || 2 && 3', '(|| 1 (&& 2 3))'],
  ['1 && 2 | 3', '(&& 1 (| 2 3))'],
  ['1 | 2 ^ 3', '(| 1 (^ 2 3))'],
  ['1 ^ 2 & 3', '(^ 1 (& 2 3))'],
  ['1 & 2 == 3', '(& 1 (== 2 3))'],
  ['1 == 2 < 3', '(== 1 (< 2 3))'],
  ['1 != 2 >= 3', '(!= 1 (>= 2 3))'],
  ['1 < 2 << 3', '(< 1 (<< 2 3))'],
  ['1 <= 2 >> 3', '(<= 1 (>> 2 3))'],
  ['1 << 2 + 3', '(<< 1 (+ 2 3))'],
  ['1 + 2 * 3', '(+ 1 (* 2 3))'],
  ['1 - 2 / 3 % 4', '(- 1 (% (/ 2 3) 4))'],
  ['1 * 2 + 3', '(+ (* 1 2) 3)'],
  ['1 || 2 && 3 | 4 ^ 5 & 6 == 7 < 8 << 9 + 10 * 11', '(|| 1 (&& 2 (| 3 (^ 4 (& 5 (== 6 (< 7 (<< 8 (+ 9 (* 10 11))))))))))'],
  ['1 * 2 + 3 << 4 < 5 == 6 & 7 ^ 8 | 9 && 10 || 11', '(|| (&& (| (^ (& (== (< (<< (+ (* 1 2) 3) 4) 5) 6) 7) 8) 9) 10) 11)'],
  // left associativity
  ['1 - 2 - 3', '(- (- 1 2) 3)'],
  ['8 / 4 / 2', '(/ (/ 8 4) 2)'],
  ['1 == 2 == 3', '(== (== 1 2) 3)'],
  ['$a && $b && $c', '(&& (&& $a $b) $c)'],
  // parentheses
  ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
  ['((1))', '1'],
  // ternary (right associative, lowest)
  ['$a ? 1 : 2', '(? $a 1 2)'],
  ['$a ? 1 : $b ? 2 : 3', '(? $a 1 (? $b 2 3))'],
  ['$a ? $b ? 1 : 2 : 3', '(? $a (? $b 1 2) 3)'],
  ['$a || $b ? 1 + 2 : 3 * 4', '(? (|| $a $b) (+ 1 2) (* 3 4))'],
  ['$x ?: 5', '(? $x _ 5)'],
  ['$x ?: $y ?: 6', '(? $x _ (? $y _ 6))'],
  // unary
  ['-1', '(- 1)'],
  ['- -1', '(- (- 1))'],
  ['!$a', '(! $a)'],
  ['~$a', '(~ $a)'],
  ['*$p', '(* $p)'],
  ['&$x', '(& $x)'],
  ['&@m', '(& @m)'],
  ['!$a && !$b', '(&& (! $a) (! $b))'],
  ['-$a * -$b', '(* (- $a) (- $b))'],
  ['*$p + 1', '(+ (* $p) 1)'],
  ['$a & &$b', '(& $a (& $b))'],
  ['$a * *$p', '(* $a (* $p))'],
  ['$a - -$b', '(- $a (- $b))'],
  ['-$a.b', '(- (. $a b))'],
  ['!f()', '(! f())'],
  // increments
  ['$x++', '(post++ $x)'],
  ['$x--', '(post-- $x)'],
  ['++$x', '(pre++ $x)'],
  ['--@m[1]', '(pre-- @m[1])'],
  ['@++', '(post++ @)'],
  ['$i++ + 1', '(+ (post++ $i) 1)'],
  // postfix
  ['args.filename', '(. args filename)'],
  ['args->filename', '(-> args filename)'],
  ['$t.0', '(. $t 0)'],
  ['$t.0.1', '(. (. $t 0) 1)'],
  ['$s.a.b->c', '(-> (. (. $s a) b) c)'],
  ['$a[1]', '(index $a 1)'],
  ['$s.y[0]', '(index (. $s y) 0)'],
  ['@m[1][2]', '(index @m[1] 2)'],
  ['f(1)[2].x', '(. (index f(1) 2) x)'],
  ['ctx.config', '(. ctx config)'],
  ['$s.if', '(. $s if)'],
  // primaries
  ['pid', 'pid'],
  ['arg0', 'arg0'],
  ['retval', 'retval'],
  ['iffy', 'iffy'],
  ['forever', 'forever'],
  ['true', 'true'],
  ['false', 'false'],
  ['$x', '$x'],
  ['$1', '$1'],
  ['$12', '$12'],
  ['$#', '$#'],
  ['@', '@'],
  ['@name', '@name'],
  ['@name[1, 2]', '@name[1, 2]'],
  ['@name[(1, 2)]', '@name[(tuple 1 2)]'],
  ['@[comm]', '@[comm]'],
  ['count()', 'count()'],
  ['printf("%d %s\\n", $a, comm)', 'printf("%d %s\\n", $a, comm)'],
  ['str(args.filename, 16)', 'str((. args filename), 16)'],
  ['f(g(h()))', 'f(g(h()))'],
  ['(1, "hi", (2, 3))', '(tuple 1 "hi" (tuple 2 3))'],
  ['(1,)', '(tuple 1)'],
  ['(1, 2,)', '(tuple 1 2)'],
  ['()', '(tuple)'],
  // a comment inside an expression
  ['1 /* one */ + // plus\n 2', '(+ 1 2)'],
];

for (const [text, want] of cases) {
  test(`expression ${JSON.stringify(text)}`, (t) => {
    t.is(sx(expr(t, text)), want);
  });
}

test('integer literals', (t) => {
  const ints: [string, bigint][] = [
    ['0', 0n],
    ['42', 42n],
    ['0x10', 16n],
    ['0XfF', 255n],
    ['0123', 83n],
    ['0b101', 5n],
    ['1_000_000', 1_000_000n],
    ['2e3', 2000n],
    ['1e6', 1_000_000n],
    ['123UL', 123n],
    ['7u', 7n],
    ['7LL', 7n],
    ['7ULL', 7n],
    ['18446744073709551615', 18446744073709551615n],
    ['100ns', 100n],
    ['10us', 10_000n],
    ['100ms', 100_000_000n],
    ['5s', 5_000_000_000n],
    ['1m', 60_000_000_000n],
    ['2h', 7_200_000_000_000n],
    ['1d', 86_400_000_000_000n],
    ['0x1d', 29n],
  ];
  for (const [raw, value] of ints) {
    const e = expr(t, raw) as IntLiteral;
    t.is(e.kind, 'IntLiteral', raw);
    t.is(e.value, value, raw);
    t.is(e.raw, raw);
  }
});

test('string literals and escapes', (t) => {
  const strs: [string, string][] = [
    ['"hello"', 'hello'],
    ['""', ''],
    ['"a\\tb\\n"', 'a\tb\n'],
    ['"q\\"q"', 'q"q'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"\\x41\\101"', 'AA'],
    ['"\\0"', '\0'],
    ['"\\033[31m"', '\x1b[31m'],
    ['"\\xff"', '\udcff'], // one raw byte 0xFF (src/contract/bytes.ts)
    ['"%s // not a comment /* nor this */"', '%s // not a comment /* nor this */'],
  ];
  for (const [raw, value] of strs) {
    const e = expr(t, raw) as StringLiteral;
    t.is(e.kind, 'StringLiteral');
    t.is(e.value, value, raw);
  }
});

test('literal spans', (t) => {
  const text = 'BEGIN { printf("%d\\n", 0x10); }';
  const call = expr(t, 'printf("%d\\n", 0x10)') as Call;
  t.is(call.kind, 'Call');
  const p = parseOk(t, text).probes[0]!.body.stmts[0]!;
  if (p.kind !== 'ExprStmt' || p.expr.kind !== 'Call') return t.fail();
  t.deepEqual(p.expr.calleeSpan, { start: at(text, 'printf'), end: at(text, '(') });
  t.deepEqual(p.expr.args[0]!.span, { start: at(text, '"'), end: at(text, ',') });
  t.deepEqual(p.expr.args[1]!.span, { start: at(text, '0x10'), end: at(text, '0x10') + 4 });
  t.deepEqual(p.expr.span, { start: at(text, 'printf'), end: at(text, ');') + 1 });
});

test('binary, field and map spans', (t) => {
  const text = 'BEGIN { @m[pid, 1] + args->filename.len; }';
  const s = parseOk(t, text).probes[0]!.body.stmts[0]!;
  if (s.kind !== 'ExprStmt' || s.expr.kind !== 'Binary') return t.fail();
  t.deepEqual(s.expr.span, { start: at(text, '@m'), end: at(text, ';') });
  const map = s.expr.left as MapRef;
  t.deepEqual(map.span, { start: at(text, '@m'), end: at(text, '] ') + 1 });
  t.deepEqual(map.keys[1]!.span, { start: at(text, '1]'), end: at(text, '1]') + 1 });
  const f = s.expr.right as FieldAccess;
  t.is(f.field, 'len');
  t.deepEqual(f.fieldSpan, { start: at(text, '.len') + 1, end: at(text, '.len') + 4 });
  t.deepEqual(f.span, { start: at(text, 'args'), end: at(text, ';') });
});

test('keywords are not identifiers, but identifiers may start with one', (t) => {
  t.is(sx(expr(t, 'iffy + whiley + format + sizeofx')), '(+ (+ (+ iffy whiley) format) sizeofx)');
  parseErr(t, 'BEGIN { $x = while; }');
});

test('invalid literals are errors at the literal', (t) => {
  for (const bad of ['09', '0x_ff', '1__0', '1_', '0xg', '12abc', '99999999999999999999', '1e30', '0b2']) {
    const text = `BEGIN { $x = ${bad}; }`;
    const d = parseErr(t, text);
    t.is(d[0]!.code, 'syntax-error', bad);
    t.deepEqual(d[0]!.span, { start: at(text, bad), end: at(text, bad) + bad.length }, bad);
  }
});

test('invalid escapes are errors at the escape', (t) => {
  const text = 'BEGIN { printf("ok \\q"); }';
  const d = parseErr(t, text);
  t.is(d[0]!.code, 'syntax-error');
  t.deepEqual(d[0]!.span, { start: at(text, '\\q'), end: at(text, '\\q') + 2 });
  const oct = 'BEGIN { printf("\\777"); }';
  t.is(parseErr(t, oct)[0]!.span!.start, at(oct, '\\777'));
});

test('++ and -- need a variable or map', (t) => {
  for (const bad of ['1++', '++pid', '(1 + 2)--', 'f()++']) {
    const text = `BEGIN { ${bad}; }`;
    const d = parseErr(t, text);
    t.is(d[0]!.code, 'syntax-error', bad);
  }
});

test('spans include parentheses of grouped operands', (t) => {
  const text = 'BEGIN { (1 + 2) * ($a).b; }';
  const s = parseOk(t, text).probes[0]!.body.stmts[0]!;
  if (s.kind !== 'ExprStmt' || s.expr.kind !== 'Binary') return t.fail();
  t.deepEqual(s.expr.span, { start: at(text, '('), end: at(text, ';') });
  t.deepEqual(s.expr.left.span, { start: at(text, '1'), end: at(text, '2') + 1 });
  t.deepEqual(s.expr.right.span, { start: at(text, '($a)'), end: at(text, ';') });
});

test('a byte order mark is skipped', (t) => {
  t.is(parseOk(t, '\ufeffBEGIN { }').probes.length, 1);
});
