/**
 * `typeof(type)` / `typeof(expr)` (bpftrace 0.26 docs/language.md, src/parser.cpp
 * parse_type_annotation / try_parse_cast_expr), bool map keys and values (bpftrace's
 * tests/runtime/bool), the hint-only `-- --help` diagnostic, and the 32-bit `%x` rule of
 * bpftrace's src/format_string.cpp (tests/runtime/call printf_length_modifiers). No kernel needed.
 */
import test, { type ExecutionContext } from 'ava';
import type { Expr, TypeExpr } from '../../../src/ast/nodes.js';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { formatPrintf } from '../../../runtime/output/printf.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { compileFrontend } from '../../../src/compile.js';
import { parse } from '../../../src/syntax/index.js';
import { boolStorage, mapStorageType, u64 } from '../../../src/types/types.js';
import { decodeKey, decodeMapValue } from '../../../runtime/session/decode.js';

function errors(text: string): readonly Diagnostic[] {
  return compileFrontend({ name: 'test', text }).diagnostics.filter((d) => d.severity === 'error');
}

function ok(t: ExecutionContext, text: string): void {
  const errs = errors(text);
  t.deepEqual(errs, [], renderDiagnostics(errs, { name: 'test', text }));
}

function codes(text: string): string[] {
  return errors(text).map((d) => `${d.code}@${d.span ? text.slice(d.span.start, d.span.end) : ''}`);
}

/** The expression of the first statement of `BEGIN { <text>; }`. */
function expr(t: ExecutionContext, text: string): Expr {
  const r = parse({ name: 'test', text: `BEGIN { ${text}; }` });
  t.deepEqual(r.diagnostics, [], renderDiagnostics(r.diagnostics, { name: 'test', text }));
  const s = r.program!.probes[0]!.body.stmts[0]!;
  if (s.kind !== 'ExprStmt') throw new Error(`not an expression statement: ${s.kind}`);
  return s.expr;
}

function castType(t: ExecutionContext, text: string): TypeExpr {
  const e = expr(t, text);
  if (e.kind !== 'Cast') throw new Error(`not a cast: ${e.kind}`);
  return e.type;
}

// ------------------------------------------------------------------------------ parsing

test('(typeof(expr))x is a cast whose type is typeof an expression', (t) => {
  const ty = castType(t, '(typeof($a + 1))2');
  t.is(ty.name, 'typeof');
  t.is(ty.of?.kind, 'Binary');
  t.is(ty.pointerDepth, 0);
});

test('(typeof(type))x: a certain type inside typeof is a TypeExpr', (t) => {
  for (const [src, name, depth] of [['uint8', 'uint8', 0], ['struct task_struct *', 'struct task_struct', 1], ['size_t*', 'size_t', 1]] as const) {
    const ty = castType(t, `(typeof(${src}))arg0`);
    t.is(ty.of?.kind, 'TypeExpr', src);
    const inner = ty.of as TypeExpr;
    t.is(inner.name, name);
    t.is(inner.pointerDepth, depth);
  }
});

test('typeof(mytype): a lone unknown name parses as an expression (bpftrace: Typeof(Identifier))', (t) => {
  t.is(castType(t, '(typeof(mytype))arg0').of?.kind, 'Identifier');
});

test('a typeof cast needs no operand start to be a cast; (x) alone is still a grouping', (t) => {
  t.is(expr(t, '(typeof($a))-1').kind, 'Cast');
  t.is(expr(t, '(typeof($a))($b)').kind, 'Cast');
  t.is(expr(t, '(typeof((1, 2)))$t').kind, 'Cast');
  t.is(expr(t, '(pid) - 1').kind, 'Binary');
});

test('let $x: typeof(...) and sizeof(typeof(...)) parse', (t) => {
  const r = parse({ name: 'test', text: 'BEGIN { let $x: typeof($y) = 1; let $z: typeof(uint16); $s = sizeof(typeof($x)); }' });
  t.deepEqual(r.diagnostics, []);
  const s = r.program!.probes[0]!.body.stmts;
  t.is(s[0]!.kind, 'VarDecl');
  const decl = s[0] as Extract<(typeof s)[number], { kind: 'VarDecl' }>;
  t.is(decl.type?.name, 'typeof');
  t.is(decl.type?.of?.kind, 'Variable');
});

test('typeof takes no pointer or array suffix and is not an expression', (t) => {
  for (const text of ['BEGIN { (typeof($a)*)1; }', 'BEGIN { $x = typeof($a); }', 'BEGIN { (typeof)1; }']) {
    const r = parse({ name: 'test', text });
    t.true(r.diagnostics.length > 0, text);
  }
});

test('200 nested parentheses and nested typeofs still parse', (t) => {
  const deep = '('.repeat(200) + '1' + ')'.repeat(200);
  t.is(expr(t, deep).kind, 'IntLiteral');
  t.is(expr(t, `(typeof(${deep}))2`).kind, 'Cast');
  t.is(castType(t, '(typeof(typeof(typeof($a))))2').of?.kind, 'TypeExpr');
});

// ------------------------------------------------------------------------------ checking

test('typeof resolves to the expression\'s type in casts, let, sizeof and offsetof', (t) => {
  ok(t, 'BEGIN { $a = (uint16)5; $b = (typeof($a))70000; let $c: typeof($a) = 65537; $d = sizeof(typeof($a)); }');
  ok(t, 'BEGIN { $s = "abc"; let $t: typeof($s) = "xy"; $u = (typeof(true))5; $p = (typeof(curtask))0; }');
  ok(t, 'BEGIN { let $a: typeof(size_t) = 1; let $b: typeof(size_t*) = &$a; $c = (typeof(typeof((int8)1)))300; }');
  ok(t, 'struct Foo { int a; int b; } BEGIN { $o = offsetof(typeof(struct Foo), b); $n = sizeof(typeof(struct Foo)); }');
  ok(t, 'macro add(x) { let $y: typeof(x); if (true) { $y = 1 } x + $y } BEGIN { print(add(1)); }');
});

test('typeof errors: unknown names are unknown types, undefined variables are reported', (t) => {
  t.deepEqual(codes('BEGIN { $x = (typeof(mytype))1; }'), ['unknown-type@typeof(mytype)']);
  t.deepEqual(codes('BEGIN { let $x: typeof($nope) = 1; }').map((c) => c.split('@')[1]), ['$nope']);
});

test('a typeof variable declaration keeps the declared type', (t) => {
  const r = compileFrontend({ name: 'test', text: 'BEGIN { $a = (int8)1; let $b: typeof($a) = 2; @m[$b] = sizeof($b); }' });
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const m = r.maps.find((x) => x.spec && x.name === '@m');
  t.truthy(m);
});

// ------------------------------------------------------------------------------ bool keys and values

test('bool map keys keep a 64-bit layout but decode as bools', (t) => {
  t.deepEqual(mapStorageType({ kind: 'bool' }), boolStorage);
  t.deepEqual(mapStorageType({ kind: 'int', bits: 8, signed: true }), { kind: 'int', bits: 64, signed: true });
  const r = compileFrontend({ name: 'test', text: 'BEGIN { @m[(1, true)] = 1; @a[true] = false; }' });
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const m = r.maps.find((x) => x.name === '@m')!;
  t.is(m.keySize, 16);
  const key = Buffer.alloc(16);
  key.writeBigInt64LE(1n, 0);
  key.writeBigUInt64LE(1n, 8);
  t.deepEqual(decodeKey(key, 0, m.spec!.keyTypes), [{ kind: 'int', value: 1n }, { kind: 'bool', value: true }]);
  const a = r.maps.find((x) => x.name === '@a')!;
  t.is(a.keySize, 8);
  const v = Buffer.alloc(8);
  t.deepEqual(decodeKey(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), 0, a.spec!.keyTypes), [{ kind: 'bool', value: true }]);
  t.deepEqual(decodeMapValue(v, 0, { kind: 'int', keyTypes: a.spec!.keyTypes, valueType: a.spec!.valueType, params: [], valueSize: 8, cpus: 1 }), { kind: 'value', value: { kind: 'bool', value: false } });
  t.deepEqual(decodeKey(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), 0, [u64]), [{ kind: 'int', value: 2n }]);
});

// ------------------------------------------------------------------------------ --help and printf

test('a diagnostic without a message renders as its hints alone', (t) => {
  t.is(renderDiagnostics([{ severity: 'error', code: 'named-param-help', message: '', hints: ['expected program options:\n--aa'] }]), 'HINT: expected program options:\n--aa\n');
});

test('printf: no length modifier is int / unsigned int, as bpftrace 0.26 casts (tests/runtime/call)', (t) => {
  const x = 0x12345678abcdefn;
  t.is(formatPrintf('%hhx %hx %x %jx\n', [x, x, x, x]), 'ef cdef 78abcdef 12345678abcdef\n');
  const y = 0x1122334455667788n;
  t.is(formatPrintf('%x %X %lx %llx %d %u', [y, y, y, y, 0x100000005n, -1n]), '55667788 55667788 1122334455667788 1122334455667788 5 4294967295');
  t.is(formatPrintf('%llx', [0x8877665544332211n]), '8877665544332211');
});
