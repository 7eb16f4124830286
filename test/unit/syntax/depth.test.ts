/**
 * Input nested deeper than the compiler handles is a located `too-deep` diagnostic, never a stack
 * overflow; nesting well past what scripts write still compiles.
 */
import test from 'ava';
import { compileFrontend } from '../../../src/compile.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { parse } from '../../../src/syntax/index.js';
import { MAX_AST_DEPTH } from '../../../src/syntax/depth.js';

const DEEP: Record<string, (n: number) => string> = {
  parentheses: (n) => `BEGIN { $x = ${'('.repeat(n)}1${')'.repeat(n)}; }`,
  tuples: (n) => `BEGIN { $x = ${'('.repeat(n)}1${',1)'.repeat(n)}; }`,
  'nested ifs': (n) => `BEGIN { $c = 1; ${'if ($c) { '.repeat(n)}${'}'.repeat(n)} }`,
  'else-if chains': (n) => `BEGIN { $c = 1; if ($c) { }${' else if ($c) { }'.repeat(n)} }`,
  blocks: (n) => `BEGIN { ${'{ '.repeat(n)}${'}'.repeat(n)} }`,
  '! chains': (n) => `BEGIN { $x = ${'!'.repeat(n)}1; }`,
  '- chains': (n) => `BEGIN { $x = ${'- '.repeat(n)}1; }`,
  casts: (n) => `BEGIN { $x = ${'(uint64)'.repeat(n)}1; }`,
  ternaries: (n) => `BEGIN { $c = 1; $x = ${'$c ? 1 : '.repeat(n)}2; }`,
  calls: (n) => `BEGIN { $x = ${'bswap('.repeat(n)}1${')'.repeat(n)}; }`,
  '+ chains': (n) => `BEGIN { $x = ${Array(n).fill('1').join(' + ')}; }`,
  '&& chains': (n) => `BEGIN { $c = 1; $x = ${Array(n).fill('$c').join(' && ')}; }`,
};

for (const [name, gen] of Object.entries(DEEP)) {
  test(`${name}: 20 levels compile, 10000 are a located too-deep diagnostic`, (t) => {
    const shallow = compileFrontend({ name: 'stdin', text: gen(20) });
    t.deepEqual(shallow.diagnostics.filter((d) => d.severity === 'error'), []);
    const text = gen(10000);
    const r = compileFrontend({ name: 'stdin', text });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    t.deepEqual(errors.map((d) => d.code), ['too-deep']);
    const d = errors[0]!;
    t.truthy(d.span);
    t.true(d.span!.start > 0 && d.span!.start < text.length, 'inside the text');
    t.true((d.hints ?? []).length > 0);
    // Rendered like every diagnostic: place, source line, `^~~` under the span.
    const out = renderDiagnostics(errors, { name: 'stdin', text });
    t.regex(out, /^stdin:1:\d+(-\d+)?: ERROR: .*too deep|^stdin:1:\d+(-\d+)?: ERROR: .*levels deep/m);
    t.regex(out, /\n *\^~*\n/);
  });
}

test('the parser refuses where the limit is reached: the caret is on the first token past it', (t) => {
  const text = `BEGIN { $x = ${'('.repeat(1000)}1${')'.repeat(1000)}; }`;
  const d = parse({ name: 'stdin', text }).diagnostics;
  t.is(d.length, 1);
  t.is(text[d[0]!.span!.start], '(');
  t.true(d[0]!.span!.start > 'BEGIN { $x = '.length + 50, 'not at the first parenthesis');
});

test('a long operator chain just under the AST limit compiles; past it is too-deep', (t) => {
  const chain = (n: number) => `BEGIN { $x = ${Array(n).fill('1').join('+')}; }`;
  t.deepEqual(compileFrontend({ name: 'stdin', text: chain(MAX_AST_DEPTH - 10) }).diagnostics.filter((d) => d.severity === 'error'), []);
  t.deepEqual(compileFrontend({ name: 'stdin', text: chain(MAX_AST_DEPTH + 10) }).diagnostics.map((d) => d.code), ['too-deep']);
});

test('a broken program with thousands of else-ifs is one syntax error, not an overflow in error recovery', (t) => {
  const text = `config = { if (pid == 0) { $x = 0; }${Array.from({ length: 10000 }, (_, i) => ` else if (pid == ${i}) { $x = ${i}; }`).join('')} }`;
  const d = parse({ name: 'stdin', text }).diagnostics;
  t.deepEqual(d.map((x) => x.code), ['syntax-error']);
  t.truthy(d[0]!.span);
});

test('chains of * that are not pointers end in a diagnostic (each level is checked once, not twice)', (t) => {
  // Lowering asked each level as a place and then as a value: 2^n work, so 40 levels never finished.
  const r = compileFrontend({ name: 'stdin', text: `BEGIN { $x = ${'*'.repeat(40)}"s"; }` });
  t.deepEqual([...new Set(r.diagnostics.map((d) => d.code))], ['type-mismatch']);
  // Of an integer each * reads a uint64 (as bpftrace): 40 levels compile, in linear time too.
  t.deepEqual(compileFrontend({ name: 'stdin', text: `BEGIN { $x = ${'*'.repeat(40)}0; }` }).diagnostics.filter((d) => d.severity === 'error'), []);
});

test('macros calling macros cannot nest expressions past the lowering limit: too-deep at the place reached', (t) => {
  const body = Array(380).fill('x').join(' + ');
  const text = `macro m(x) { ${body} }\nBEGIN { $y = 1; $z = ${'m('.repeat(12)}$y${')'.repeat(12)}; }`;
  const r = compileFrontend({ name: 'stdin', text });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  t.deepEqual([...new Set(errors.map((d) => d.code))], ['too-deep']);
  t.truthy(errors[0]!.span);
  // Two levels of the same macro are fine.
  t.deepEqual(compileFrontend({ name: 'stdin', text: `macro m(x) { ${Array(50).fill('x').join(' + ')} }\nBEGIN { $y = 1; $z = m(m($y)); }` }).diagnostics.filter((d) => d.severity === 'error'), []);
});

test('nested typeof counts as nesting too', (t) => {
  const text = `BEGIN { $x = (${'typeof('.repeat(10000)}1${')'.repeat(10000)})2; }`;
  t.deepEqual(parse({ name: 'stdin', text }).diagnostics.map((d) => d.code), ['too-deep']);
});

test('an unsupported expression in a predicate is a diagnostic, not an exception', (t) => {
  const r = compileFrontend({ name: 'stdin', text: 'BEGIN /$# . 0 || pid/ { exit(); }' });
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), ['not-supported']);
});
