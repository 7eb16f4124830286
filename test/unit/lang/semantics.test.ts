/**
 * Checker tests for bpftrace 0.26's integer semantics, map declarations, tuple comparison and
 * block expressions (no kernel: compileFrontend only). Assertions are on codes and spans.
 */
import test from 'ava';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { compileFrontend } from '../../../src/compile.js';
import { arithResult, compareSigned, foldBinary, foldUnary, literalType, promoteInt } from '../../../src/passes/int-semantics.js';
import { parse } from '../../../src/syntax/index.js';

function diags(text: string, severity: Diagnostic['severity']): string[] {
  return compileFrontend({ name: 'test', text }).diagnostics
    .filter((d) => d.severity === severity)
    .map((d) => `${d.code}@${d.span ? text.slice(d.span.start, d.span.end) : ''}`);
}
const errs = (text: string): string[] => diags(text, 'error');
const warns = (text: string): string[] => diags(text, 'warning');

test('literal types: smallest signed type, flexible when non-negative; uint64 above INT64_MAX', (t) => {
  t.deepEqual(literalType(1n), { kind: 'int', bits: 8, signed: true, flex: true });
  t.deepEqual(literalType(1000n), { kind: 'int', bits: 16, signed: true, flex: true });
  t.deepEqual(literalType(1n << 63n), { kind: 'int', bits: 64, signed: false });
});

test('promotion, comparison signedness and arithmetic result types follow get_promoted_int/get_binop_int', (t) => {
  const u64 = { kind: 'int', bits: 64, signed: false } as const;
  const i8 = { kind: 'int', bits: 8, signed: true } as const;
  const u32 = { kind: 'int', bits: 32, signed: false } as const;
  t.deepEqual(promoteInt(u64, i8), { kind: 'int', bits: 64, signed: true });
  t.deepEqual(promoteInt(u32, i8), { kind: 'int', bits: 64, signed: true });
  t.deepEqual(promoteInt(u64, literalType(5n)), { kind: 'int', bits: 64, signed: false });
  t.false(compareSigned(u64, literalType(1n)));
  t.true(compareSigned(u64, i8));
  t.deepEqual(arithResult('-', u64, u64).type, { kind: 'int', bits: 64, signed: true });
  t.deepEqual(arithResult('+', u64, literalType(1n)).type, { kind: 'int', bits: 64, signed: false });
  t.true(arithResult('/', i8, u64).signedDivWarning);
  t.false(arithResult('/', i8, literalType(2n)).signedDivWarning);
});

test('literal folding: C division, overflow and division by zero are errors', (t) => {
  t.deepEqual(foldBinary('/', { kind: 'int', value: -7n }, { kind: 'int', value: 2n }), { kind: 'int', value: -3n });
  t.deepEqual(foldBinary('%', { kind: 'int', value: -7n }, { kind: 'int', value: 3n }), { kind: 'int', value: -1n });
  t.deepEqual(foldBinary('*', { kind: 'int', value: 1n << 62n }, { kind: 'int', value: 8n }), { error: 'overflow' });
  t.deepEqual(foldBinary('<<', { kind: 'int', value: 1n }, { kind: 'int', value: 64n }), { error: 'overflow' });
  t.deepEqual(foldUnary('~', { kind: 'int', value: 0n }), { kind: 'int', value: (1n << 64n) - 1n });
  t.deepEqual(errs('BEGIN { $a = 5 / 0; }'), ['literal-overflow@5 / 0']);
  t.deepEqual(errs('BEGIN { $a = 0xffffffffffffffff + 1; }'), ['literal-overflow@0xffffffffffffffff + 1']);
  t.deepEqual(errs('BEGIN { $z = 0; $a = 5 / $z; }'), []);
});

test('signed operands of / and % of different types warn, as in bpftrace', (t) => {
  t.deepEqual(warns('BEGIN { $a = -7; $u = (uint64)3; $b = $a / $u; }'), ['signed-division@$a / $u']);
  t.deepEqual(warns('BEGIN { $a = -7; $b = $a / 2; }'), []);
});

test('map declarations: kinds, argument, compatibility, unused', (t) => {
  t.deepEqual(errs('let @a = lruhash(10); let @b = percpuhash(5); BEGIN { @a[1] = 1; @b[1] = count(); }'), []);
  t.deepEqual(errs('let @a = hashh(10); BEGIN { @a[1] = 1; }'), ['invalid-map-type@let @a = hashh(10);']);
  t.deepEqual(errs('let @a = hash(0); BEGIN { @a[1] = 1; }'), ['invalid-argument@0']);
  t.deepEqual(errs('let @a = hash(10); BEGIN { @a[1] = count(); }'), ['incompatible-map-type@let @a = hash(10);']);
  t.deepEqual(errs('let @a = percpulruhash(10); BEGIN { @a[1] = 1; }'), ['incompatible-map-type@let @a = percpulruhash(10);']);
  t.deepEqual(warns('let @u = hash(3); BEGIN { @a = 1; }'), ['unused-map@let @u = hash(3);']);
  const f = compileFrontend({ name: 'test', text: 'let @a = lruhash(7); BEGIN { @a[1] = 1; }' });
  const m = f.maps.find((x) => x.name === '@a');
  t.is(m?.bpfType, 9);
  t.is(m?.maxEntries, 7);
});

test('tuples compare with == and != when their shapes match', (t) => {
  t.deepEqual(errs('BEGIN { $a = (1, "x", (2, 3)); $b = $a == (1, "yy", (4, 5)); $c = $a != $a; }'), []);
  t.deepEqual(errs('BEGIN { $b = (1, "x") == ("x", 1); }'), ['type-mismatch@(1, "x") == ("x", 1)']);
  t.deepEqual(errs('BEGIN { $b = (1, 2) < (1, 3); }'), ['type-mismatch@(1, 2) < (1, 3)']);
});

test('block expressions parse as BlockExpr and must end with an expression', (t) => {
  const p = parse({ name: 'test', text: 'BEGIN { let $a = { let $b = 1; $b }; }' });
  t.deepEqual(p.diagnostics, []);
  const decl = p.program!.probes[0]!.body.stmts[0]!;
  t.is(decl.kind === 'VarDecl' ? decl.value?.kind : undefined, 'BlockExpr');
  t.deepEqual(errs('BEGIN { let $a = { let $b = 1; $b + 1 }; @x = { let $c = 2; avg($c) }; { $d = 1; } }'), []);
  t.deepEqual(errs('BEGIN { $a = { $x = 1; }; }'), ['syntax-error@{ $x = 1; }']);
});
