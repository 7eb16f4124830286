import test from 'ava';
import { renderDiagnostics } from '../../../src/common/render.js';
import { parse } from '../../../src/syntax/index.js';
import { at, parseErr, parseText } from './util.js';

/** [source, offset of the first diagnostic] */
const FIRST_ERROR_AT: [string, (text: string) => number][] = [
  ['BEGIN { @x = 1 @y = 2 }', (s) => at(s, '@y')],
  ['BEGIN { @x = (1 + ; }', (s) => at(s, ';')],
  ['BEGIN { for }', (s) => at(s, '}')],
  ['BEGIN { if (1) { } else }', (s) => at(s, '}', 1)],
  ['BEGIN { } }', (s) => at(s, '}', 1)],
  ['{ }', () => 0],
  ['kprobe:f /pid == 1 { }', (s) => at(s, '{')],
  ['BEGIN { $x = 1 +; }', (s) => at(s, ';')],
  ['BEGIN { @x[1 = 2; }', (s) => at(s, '=')],
  ['BEGIN { f(1, ); }', (s) => at(s, ')')],
  ['BEGIN { $x = ; }', (s) => at(s, ';')],
  ['BEGIN { let = 1; }', (s) => at(s, '=')],
  ['BEGIN { let $x: = 1; }', (s) => at(s, '= 1')],
  ['BEGIN { $t.; }', (s) => at(s, ';')],
  ['BEGIN { args->; }', (s) => at(s, ';')],
  // `{ }` after `while` is a block expression (the condition); the body is missing.
  ['BEGIN { while { } }', (s) => at(s, '}', 1)],
  ['BEGIN { unroll 3 { } }', (s) => at(s, '3')],
  ['BEGIN { for ($i 0..3) { } }', (s) => at(s, '0')],
  ['BEGIN { return return; }', (s) => at(s, 'return', 1)],
  ['BEGIN { $a ? 1; }', (s) => at(s, ';')],
  ['BEGIN { sizeof(); }', (s) => at(s, ')')],
  ['BEGIN { offsetof(struct X); }', (s) => at(s, ')')],
  ['config = { a = 1 b = 2 }', (s) => at(s, 'b')],
  ['config { a = 1 }', (s) => at(s, '{')],
  ['struct S { int a }', (s) => at(s, '}')],
  ['macro m(1) { }', (s) => at(s, '1')],
  ['let @m = 5;', (s) => at(s, '5')],
  ['BEGIN exit();', (s) => at(s, 'exit')],
  ['BEGIN', (s) => s.length],
  ['BEGIN {', (s) => s.length],
  ['BEGIN {\n  @x = 1;\n\n', () => '@x = 1;'.length + 10],
  ['BEGIN < @x = 1', (s) => s.length],
  ['BEGIN /1/', (s) => s.length],
  ['BEGIN { printf("hi) }', (s) => at(s, '"')],
  ['BEGIN { @x = 1 ` 2; }', (s) => at(s, '`')],
  ['BEGIN { @x = 1; # }', (s) => at(s, '#')],
  ['BEGIN { $x = 1 /* oops }', (s) => at(s, '/*')],
  ['BEGIN { @x = "\\q"; }', (s) => at(s, '\\q')],
  ['BEGIN { @x = 08; }', (s) => at(s, '08')],
  ['BEGIN { $ = 1; }', (s) => at(s, '$')],
  ['123 { }', () => 0],
  ['BEGIN { } 5', (s) => at(s, '5')],
  ['BEGIN { 1 = 2 }', (s) => at(s, '1')],
];

for (const [text, where] of FIRST_ERROR_AT) {
  test(`error: ${JSON.stringify(text)}`, (t) => {
    const d = parseErr(t, text);
    t.is(d[0]!.code, 'syntax-error');
    t.is(d[0]!.severity, 'error');
    t.truthy(d[0]!.span);
    t.is(d[0]!.span!.start, where(text), renderDiagnostics(d, { name: 'test', text }));
    t.true(d[0]!.message.length > 0);
  });
}

test('message shape follows bpftrace', (t) => {
  const d = parseErr(t, 'BEGIN { @x = 1 @y = 2 }');
  t.regex(d[0]!.message, /^syntax error, unexpected @y, expecting ;$/);
  const e = parseErr(t, 'BEGIN { } }');
  t.regex(e[0]!.message, /^syntax error, unexpected }/);
});

test('renders with file:line:col', (t) => {
  const source = { name: 'stdin', text: 'BEGIN {\n  @x = 1 @y = 2\n}' };
  const r = parse(source);
  t.regex(renderDiagnostics(r.diagnostics, source), /^stdin:2:10-12: ERROR: syntax error, unexpected @y/);
});

test('several errors are collected, in order, without duplicates', (t) => {
  const text = 'BEGIN { @x = ; }\nEND { @y = ) }\ni:s:1 { $z = 1 ` 2; }';
  const d = parseErr(t, text);
  const starts = d.map((x) => x.span!.start);
  t.true(d.length >= 3, JSON.stringify(d));
  t.deepEqual(starts, [...starts].sort((a, b) => a - b));
  t.is(new Set(starts).size, starts.length);
  t.true(starts.includes(at(text, ';')));
  t.true(starts.includes(at(text, ')')));
  t.true(starts.includes(at(text, '`')));
});

test('several literal errors are collected', (t) => {
  const text = 'BEGIN { $a = 09; $b = "\\q"; $c = 1__2; }';
  const d = parseErr(t, text);
  t.deepEqual(
    d.map((x) => x.span!.start),
    [at(text, '09'), at(text, '\\q'), at(text, '1__2')],
  );
});

test('the number of syntax errors is capped', (t) => {
  const text = Array.from({ length: 40 }, (_, i) => `i:s:${i + 1} { @x = ; }`).join('\n');
  const d = parseErr(t, text);
  t.true(d.length <= 10);
});

const BROKEN = [
  '', '{', '}', '<', '>', '/', '//', '/*', '*/', '"', "'", '`', '#', '#!', '@', '$', '(', ')', '[', ']', ';', ',',
  ':', '::::', '....', '0x', '1e', '0b2', '$#$#', '@@@@',
  'BEGIN', 'BEGIN {', 'BEGIN }', 'BEGIN <', 'BEGIN < >>', 'BEGIN /', 'BEGIN //', 'BEGIN /*', 'BEGIN /pid',
  'BEGIN /pid/', 'BEGIN /pid/ <', 'BEGIN, {', 'BEGIN,,END {}', 'kprobe:', ':kprobe', 'kprobe:f:', 'uprobe:"unterminated { }',
  'BEGIN { ( }', 'BEGIN { ) }', 'BEGIN { [ }', 'BEGIN { ] }', 'BEGIN { { }', 'BEGIN { } } }', 'BEGIN { (((((( }',
  'BEGIN { @x[ }', 'BEGIN { @x[1,] }', 'BEGIN { f(,) }', 'BEGIN { $x = = 1 }', 'BEGIN { $x += }', 'BEGIN { ++ }',
  'BEGIN { a ? }', 'BEGIN { a ? b }', 'BEGIN { a ?: }', 'BEGIN { (uint8) }', 'BEGIN { (struct) x }', 'BEGIN { (struct x *) }',
  'BEGIN { sizeof( }', 'BEGIN { offsetof( }', 'BEGIN { offsetof(struct x, ) }', 'BEGIN { if }', 'BEGIN { if ( }',
  'BEGIN { if (1) }', 'BEGIN { else { } }', 'BEGIN { for ( }', 'BEGIN { for ($x : ) { } }', 'BEGIN { for ($x : 1..) { } }',
  'BEGIN { while }', 'BEGIN { unroll }', 'BEGIN { unroll() {} }', 'BEGIN { let }', 'BEGIN { let $x: }', 'BEGIN { let $x = }',
  'BEGIN { return ; ; return }', 'BEGIN { break continue }', 'BEGIN { "abc }', 'BEGIN { "\\', 'BEGIN { "\\x" }',
  'BEGIN { "\\777" }', 'BEGIN { 99999999999999999999999999 }', 'BEGIN { 1e99 }', 'BEGIN { 0_ }', 'BEGIN { $1x }',
  'config', 'config =', 'config = {', 'config = { a }', 'config = { = 1 }', 'struct', 'struct X', 'struct X {',
  'struct X { int }', 'struct X { a b c d e f; } ;;;', 'union { }', 'enum E { A, B }', 'macro', 'macro m', 'macro m(',
  'macro m() {', 'macro m($a,) { }', 'let', 'let @', 'let @m =', 'let @m = hash(', 'import', 'import "x"',
  'i:s:1 < @x = 1 > > >', 'i:s:1 < < >', 'i:s:1 < ( > )', 'i:s:1 < { > }', 'i:s:1 /1/ /2/ { }', 'BEGIN { }\x00',
  'BEGIN { \u00e9 = 1 }', 'BEGIN { @x = "\u00e9" }', 'BEGIN\n{\n@x\n=\n', '\n\n\n}', 'BEGIN { $x = (1, 2' ,
  'BEGIN { @[1,2,3,4,5,6,7,8,9,10,] }', 'BEGIN { ' + '('.repeat(200) + ' }', 'BEGIN { ' + '-'.repeat(300) + '1 }',
  'kprobe:f /' + 'a && '.repeat(100) + '/ { }',
];

test(`parse never throws (${BROKEN.length} broken inputs)`, (t) => {
  t.true(BROKEN.length >= 30);
  for (const text of BROKEN) {
    let r: ReturnType<typeof parseText> | undefined;
    t.notThrows(() => {
      r = parseText(text);
    }, JSON.stringify(text));
    if (!r) continue;
    // Either a program or at least one error; every diagnostic has a code and, if it has a span, a sane one.
    t.true(r.program !== undefined || r.diagnostics.some((d) => d.severity === 'error'), JSON.stringify(text));
    for (const d of r.diagnostics) {
      t.is(typeof d.code, 'string');
      t.not(d.code, 'internal-error', `${JSON.stringify(text)}: ${d.message}`);
      if (d.span) {
        t.true(d.span.start >= 0 && d.span.start <= text.length && d.span.end <= text.length, JSON.stringify(text));
      }
    }
    t.notThrows(() => renderDiagnostics(r!.diagnostics, { name: 'x', text }));
  }
});

test('parse never throws on random garbage', (t) => {
  const alphabet = 'BEGIN kprobe:f {}<>()[]/;,@$#"\\\'`*&|^!~?:.=+-%0x1e_abc \n\t';
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 300; i++) {
    const len = 1 + rand(40);
    let text = '';
    for (let j = 0; j < len; j++) text += alphabet[rand(alphabet.length)];
    const r = parseText(text);
    t.false(r.diagnostics.some((d) => d.code === 'internal-error'), JSON.stringify(text));
  }
});

test('incomplete input is flagged for the interactive shell', (t) => {
  for (const text of ['BEGIN {', 'BEGIN { if (1) {', 'BEGIN < @x = 1', 'BEGIN /pid', 'BEGIN { @x = (1 +', '/* open', 'kprobe:f,', 'BEGIN']) {
    t.true(parseText(text).incomplete, text);
  }
  for (const text of ['BEGIN { }', 'BEGIN { } }', 'BEGIN { @x = 1 @y }', 'BEGIN { "abc }', '{']) {
    t.false(parseText(text).incomplete, text);
  }
});
