import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { LLkLookaheadStrategy } from '../../../grammar/chevrotain.js';
import { cstTypesSource, lookaheadSource } from '../../../grammar/generate.js';
import { getLexer, tokenize } from '../../../grammar/lexer.js';
import { MAX_LOOKAHEAD, TbpfParser } from '../../../grammar/parser.js';
import type { CstNode } from '../../../grammar/index.js';
import { builtinNamesSource } from '../../../src/builtins/builtins.js';

const root = new URL('../../../../', import.meta.url);
const update = process.env['UPDATE_GENERATED'] === '1';

for (const [file, source] of [
  ['grammar/generated/cst.d.ts', cstTypesSource],
  ['grammar/generated/lookahead.ts', lookaheadSource],
  ['grammar/generated/builtin-names.ts', builtinNamesSource],
] as const) {
  test(`${file} is up to date (UPDATE_GENERATED=1 rewrites it)`, (t) => {
    const path = new URL(file, root);
    const want = source();
    if (update) writeFileSync(path, want);
    t.is(readFileSync(path, 'utf8'), want, `${file} is stale: run the tests with UPDATE_GENERATED=1, then rebuild`);
  });
}

test('the grammar passes Chevrotain validations', (t) => {
  t.notThrows(() => new TbpfParser({ validate: true }));
  t.notThrows(() => new TbpfParser({ validate: true, recovery: true, lookahead: new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD }) }));
});

test('the lexer passes Chevrotain validations and keeps its first-character optimization', (t) => {
  t.notThrows(() => getLexer(true));
});

function shape(node: CstNode | undefined): unknown {
  if (!node) return null; // a parser without recovery gives up at the first error
  return JSON.parse(
    JSON.stringify(node, (k, v) => (k === 'tokenType' ? (v as { name: string }).name : k === 'location' ? undefined : v)),
  );
}

test('the lookahead table parses exactly like computed lookahead', (t) => {
  const table = new TbpfParser();
  const computed = new TbpfParser({ lookahead: new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD }) });
  const corpus = [
    '#!/usr/bin/env tsbpf\n#include <x.h>\nstruct S { int a; char b[8]; }\nconfig = { a = 1 }\nlet @m = hash(2);\nmacro f($a, @b, c) { $a + 1 }',
    'kprobe:f, kprobe:g, /pid > 1 && comm == "x"/ { @[comm, pid] = count(); $x = (uint8)-1; $t = (1, 2,); $u = (1,); $v = (); }',
    'BEGIN { if (1) { } else if (2) { } else { } while ($i < 3) { $i++ } unroll(2) { } for ($kv : @m) { } for ($i : 0..3) { break; continue; } return; }',
    'BEGIN { let $a: unsigned long = sizeof(struct x) + sizeof($y) + offsetof(struct x, a.b); $b = $a ? 1 : 2; $c = $a ?: 3; args->f.g[1]++; --@x; }',
    'i:s:1 < @x = 1 > 0 ? 1 : 2; exit() > t:a:b /pid > 100/ < if (pid > 5) { @x++ } >',
    'BEGIN { @x = 1 @y = 2 }',
    'BEGIN { (((1 + ) }',
    'BEGIN { for }',
  ];
  for (const text of corpus) {
    const tokens = tokenize(text).tokens;
    table.input = tokens;
    const a = shape(table.program());
    const aErrors = table.errors.map((e) => e.message);
    computed.input = tokens;
    const b = shape(computed.program());
    const bErrors = computed.errors.map((e) => e.message);
    t.deepEqual(a, b, text);
    t.deepEqual(aErrors, bErrors, text);
  }
});
