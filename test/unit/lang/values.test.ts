/**
 * Checker tests (no kernel) for variable promotion, records, struct values, array casts, import
 * and getopt: types learned, diagnostics by code and span.
 */
import test from 'ava';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { compileFrontend } from '../../../src/compile.js';
import { mergeVarType, intFitsInto } from '../../../src/passes/var-types.js';
import { splitParams } from '../../../src/passes/named-params.js';
import { parse } from '../../../src/syntax/index.js';
import { typeToString, type Type } from '../../../src/types/types.js';

function diags(text: string, severity: Diagnostic['severity'], positionals: string[] = []): string[] {
  return compileFrontend({ name: 'test', text }, { positionals }).diagnostics
    .filter((d) => d.severity === severity)
    .map((d) => `${d.code}@${d.span ? text.slice(d.span.start, d.span.end) : ''}`);
}
const errs = (text: string, positionals: string[] = []): string[] => diags(text, 'error', positionals);
const warns = (text: string): string[] => diags(text, 'warning');

const int = (bits: 8 | 16 | 32 | 64, signed: boolean, flex = false): Type => (flex ? { kind: 'int', bits, signed, flex } : { kind: 'int', bits, signed });

test('variable promotion merges types as bpftrace 0.26 does', (t) => {
  t.is(typeToString(mergeVarType(int(32, false), int(8, true))!), 'int64');
  t.is(typeToString(mergeVarType(int(8, true, true), int(64, false))!), 'uint64');
  t.is(typeToString(mergeVarType(int(8, false), int(16, true, true))!), 'uint16');
  t.is(typeToString(mergeVarType({ kind: 'str', size: 2 }, { kind: 'str', size: 14 })!), 'string[14]');
  t.is(mergeVarType({ kind: 'str', size: 2 }, int(8, true)), undefined);
  t.true(intFitsInto(int(32, false), int(64, true)));
  t.false(intFitsInto(int(64, false), int(64, true)));
});

test('records parse with names; a record needs a name for every field, once', (t) => {
  const p = parse({ name: 't', text: 'BEGIN { $r = (a=1, b="x"); }' });
  const s = p.program!.probes[0]!.body.stmts[0]!;
  t.is(s.kind, 'Assign');
  if (s.kind === 'Assign') {
    t.is(s.value.kind, 'Record');
    if (s.value.kind === 'Record') t.deepEqual(s.value.names, ['a', 'b']);
  }
  t.true(parse({ name: 't', text: 'BEGIN { $r = (a=1, 2); }' }).diagnostics.some((d) => d.code === 'syntax-error'));
  t.true(parse({ name: 't', text: 'BEGIN { $r = (a=1, a=2); }' }).diagnostics.some((d) => d.code === 'syntax-error'));
});

test('an unknown record field is reported at the field', (t) => {
  t.deepEqual(errs('BEGIN { $r = (size=1, color="x"); print($r.sise); }'), ['unknown-field@sise']);
});

test('the implicit-cast warning is at the assigned expression, not for literals', (t) => {
  t.deepEqual(warns('BEGIN { $c = (uint64)1; $d = (int64)-1; $c = $d; }'), ['implicit-cast@(uint64)1']);
  t.deepEqual(warns('BEGIN { $a = (uint32)5; $a = -1; }'), []);
});

test('array casts check sizes', (t) => {
  t.deepEqual(errs('BEGIN { $a = (uint8[3])"hello"; }'), ['type-mismatch@(uint8[3])"hello"']);
  t.deepEqual(errs('BEGIN { $a = (uint8[4])(uint32)1; $b = (uint64)$a; }'), ['type-mismatch@(uint64)$a']);
  t.deepEqual(errs('BEGIN { $a = (uint8[4])(uint32)1; $b = (uint32)$a; }'), []);
});

test('struct values need a struct the script or BTF defines; bitfields are refused', (t) => {
  t.deepEqual(errs('struct Foo { int m; int n; } BEGIN { $v = (uint64)1; $f = *(struct Foo *)(&$v); print($f.n); }'), []);
});

test('getopt: argument checks, same default everywhere, unknown options', (t) => {
  t.deepEqual(errs('BEGIN { print(getopt(1)); }'), ['invalid-argument@1']);
  t.deepEqual(errs('BEGIN { print(getopt("a", 1 + 1)); }'), ['invalid-argument@1 + 1']);
  t.deepEqual(errs('BEGIN { print(getopt("a", 1)); print(getopt("a", 2)); }'), ['getopt-mismatch@getopt("a", 2)']);
  t.deepEqual(errs('BEGIN { print(getopt("a", 1)); }', ['--b']), ['unexpected-named-param@']);
  t.deepEqual(splitParams(['1', '--a=2', '--b', 'x']), { positionals: ['1', 'x'], named: new Map([['a', '2'], ['b', undefined]]) });
});

test('import is resolved by the compiler: a missing file is an error at the statement', (t) => {
  t.deepEqual(errs('import "/nonexistent/x.bt"; BEGIN { }'), ['import-not-found@import "/nonexistent/x.bt";']);
  t.deepEqual(errs('import "/etc/hostname"; BEGIN { }'), ['import-unsupported@import "/etc/hostname";']);
});
