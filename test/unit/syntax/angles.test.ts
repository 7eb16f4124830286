import test from 'ava';
import type { Program } from '../../../src/ast/nodes.js';
import { at, parseErr, parseOk, ss, sx } from './util.js';

/** Spans-free shape of the probes, to compare the two action forms. */
function shape(p: Program): unknown {
  return p.probes.map((x) => ({
    aps: x.attachPoints.map((a) => a.raw),
    pred: x.predicate ? sx(x.predicate) : undefined,
    body: ss(x.body),
  }));
}

test('kprobe:tcp_set_state < @[comm]++ >', (t) => {
  const text = 'kprobe:tcp_set_state < @[comm]++ >';
  const p = parseOk(t, text);
  const probe = p.probes[0]!;
  t.is(probe.form, 'angles');
  t.is(ss(probe.body), '{ (post++ @[comm]) }');
  t.deepEqual(probe.body.span, { start: at(text, '<'), end: text.length });
});

test('tracepoint:syscalls:sys_enter_openat < @[comm]++ >', (t) => {
  const p = parseOk(t, 'tracepoint:syscalls:sys_enter_openat < @[comm]++ >');
  t.is(p.probes[0]!.attachPoints[0]!.raw, 'tracepoint:syscalls:sys_enter_openat');
  t.is(ss(p.probes[0]!.body), '{ (post++ @[comm]) }');
});

test('BEGIN < printf("hi\\n"); exit(); >', (t) => {
  const p = parseOk(t, 'BEGIN < printf("hi\\n"); exit(); >');
  t.is(ss(p.probes[0]!.body), '{ printf("hi\\n"); exit() }');
});

test('two angle probes in a row', (t) => {
  const p = parseOk(t, 't:a:b < @x = 1 > t:c:d < @y = 2 >');
  t.deepEqual(shape(p), [
    { aps: ['t:a:b'], pred: undefined, body: '{ @x = 1 }' },
    { aps: ['t:c:d'], pred: undefined, body: '{ @y = 2 }' },
  ]);
});

test('predicate with > and an if with > inside an angle block', (t) => {
  const p = parseOk(t, 't:a:b /pid > 100/ < if (pid > 5) { @x++ } >');
  t.deepEqual(shape(p), [{ aps: ['t:a:b'], pred: '(> pid 100)', body: '{ if (> pid 5) { (post++ @x) } }' }]);
});

test('a > followed by an operand is a comparison', (t) => {
  const p = parseOk(t, 'i:s:1 < @x = 1 > 0 ? 1 : 2; exit() >');
  t.is(ss(p.probes[0]!.body), '{ @x = (? (> 1 0) 1 2); exit() }');
});

test('comparisons whose right side starts like an operand', (t) => {
  const cases: [string, string][] = [
    ['BEGIN < @x = $a > $b >', '{ @x = (> $a $b) }'],
    ['BEGIN < @x = $a > @b >', '{ @x = (> $a @b) }'],
    ['BEGIN < @x = $a > -1 >', '{ @x = (> $a (- 1)) }'],
    ['BEGIN < @x = $a > (1) >', '{ @x = (> $a 1) }'],
    ['BEGIN < @x = $a > pid >', '{ @x = (> $a pid) }'],
    ['BEGIN < @x = $a > !$b >', '{ @x = (> $a (! $b)) }'],
    ['BEGIN < @x = $a > ~$b >', '{ @x = (> $a (~ $b)) }'],
    ['BEGIN < @x = $a > *$p >', '{ @x = (> $a (* $p)) }'],
    ['BEGIN < @x = $a > "s" >', '{ @x = (> $a "s") }'],
    ['BEGIN < @x = $a > ++$b >', '{ @x = (> $a (pre++ $b)) }'],
    ['BEGIN < @x = $a > sizeof(int) >', '{ @x = (> $a (sizeof type int)) }'],
    ['BEGIN < @x = $a > $1 >', '{ @x = (> $a $1) }'],
    ['BEGIN < @x = $a > END >', '{ @x = (> $a END) }'],
    ['BEGIN < @x = $a >= 2 >', '{ @x = (>= $a 2) }'],
    ['BEGIN < @x = $a >> 2 >', '{ @x = (>> $a 2) }'],
    ['BEGIN < @x = $a\n  > 2 >', '{ @x = (> $a 2) }'],
  ];
  for (const [text, body] of cases) t.is(ss(parseOk(t, text).probes[0]!.body), body, text);
});

test('> nested in brackets and braces never closes the block', (t) => {
  const p = parseOk(t, 'BEGIN < $a = ($b > 1); $c = @m[$d > 2]; if ($e) { $f = $g > 3 } >');
  t.is(ss(p.probes[0]!.body), '{ $a = (> $b 1); $c = @m[(> $d 2)]; if $e { $f = (> $g 3) } }');
});

test('< inside an angle block is less-than', (t) => {
  const p = parseOk(t, 'BEGIN < @x = $a < $b; @y = 1 << 2 >');
  t.is(ss(p.probes[0]!.body), '{ @x = (< $a $b); @y = (<< 1 2) }');
});

test('the block closes before the next probe, whatever its form', (t) => {
  const text = 'BEGIN < @a = 1 >\nkprobe:f { @b = 2 }\nEND < @c = 3 > i:s:1 /pid/ < @d = 4 > u:/bin/sh:main,\nu:/bin/sh:exit < @e = 5 >';
  const p = parseOk(t, text);
  t.deepEqual(
    p.probes.map((x) => [x.attachPoints.map((a) => a.raw).join(','), x.form, ss(x.body)]),
    [
      ['BEGIN', 'angles', '{ @a = 1 }'],
      ['kprobe:f', 'braces', '{ @b = 2 }'],
      ['END', 'angles', '{ @c = 3 }'],
      ['i:s:1', 'angles', '{ @d = 4 }'],
      ['u:/bin/sh:main,u:/bin/sh:exit', 'angles', '{ @e = 5 }'],
    ],
  );
});

test('the block closes before a macro, a map declaration, or a comment then a probe', (t) => {
  const p = parseOk(t, 'BEGIN < @a = 1 > macro m() { 1 } BEGIN < @b = 2 > let @c = hash(2); END < @d = 3 > // bye\n/* x */ END < @e = 4 >');
  t.is(p.probes.length, 4);
  t.is(p.macros.length, 1);
  t.is(p.mapDecls.length, 1);
});

test('angle blocks without spaces', (t) => {
  const p = parseOk(t, 'BEGIN<@x=1>END<@y=2>');
  t.deepEqual(shape(p), [
    { aps: ['BEGIN'], pred: undefined, body: '{ @x = 1 }' },
    { aps: ['END'], pred: undefined, body: '{ @y = 2 }' },
  ]);
});

test('empty angle block and a trailing semicolon', (t) => {
  t.is(parseOk(t, 'BEGIN < >').probes[0]!.body.stmts.length, 0);
  t.is(parseOk(t, 'BEGIN <>').probes[0]!.body.stmts.length, 0);
  t.is(ss(parseOk(t, 'BEGIN < @x = 1; >').probes[0]!.body), '{ @x = 1 }');
});

test('both action forms give the same AST shape', (t) => {
  const bodies = [
    '@[comm] = count()',
    'if (pid > 5) { @x++ } else { @y-- }',
    '$t = nsecs; @lat = hist(nsecs - $t); printf("%d\\n", $t)',
    'for ($i : 0..10) { @s += $i; }',
    '@x = 1 > 0 ? 1 : 2; exit()',
  ];
  for (const b of bodies) {
    const braces = parseOk(t, `kprobe:f /pid > 1/ { ${b} }`);
    const angles = parseOk(t, `kprobe:f /pid > 1/ < ${b} >`);
    t.deepEqual(shape(angles), shape(braces), b);
    t.is(braces.probes[0]!.form, 'braces');
    t.is(angles.probes[0]!.form, 'angles');
  }
});

test('unclosed angle block is an error at the end', (t) => {
  const text = 'BEGIN < @x = 1 > 2';
  const d = parseErr(t, text);
  t.is(d[0]!.code, 'syntax-error');
  t.is(d[0]!.span!.start, text.length);
});

test('a stray > after an angle block is an error', (t) => {
  const text = 'BEGIN < @x = 1 > >';
  const d = parseErr(t, text);
  t.is(d[0]!.span!.start, at(text, '>', 1));
});
