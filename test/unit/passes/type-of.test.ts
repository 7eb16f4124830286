/**
 * The type pass on its own (src/passes/type-of.ts): parsed and expanded probes in, expression
 * types, resolved map and variable types or diagnostics out, with no lowering at all.
 */
import test from 'ava';
import type * as ast from '../../../src/ast/nodes.js';
import { compileFrontend, PIPELINE, type CompileState } from '../../../src/compile.js';
import { Diagnostics } from '../../../src/common/diagnostic.js';
import { ProbeLowerer } from '../../../src/passes/lower.js';
import { resolveScriptTypes } from '../../../src/passes/resolve-script-types.js';
import { ProbeTyper } from '../../../src/passes/type-of.js';
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from '../../../src/builtins/functions.js';
import { typeToString, type Type } from '../../../src/types/types.js';

/** The pipeline's state up to (not including) type resolution: the typed pass's input. */
function setup(text: string): CompileState {
  const state: CompileState = { original: { name: 'test', text }, opts: {} };
  const diags = new Diagnostics();
  for (const pass of PIPELINE) {
    if (pass.name === 'resolve-types') break;
    pass.run(state, diags);
  }
  if (diags.hasErrors) throw new Error(diags.items.map((d) => d.message).join('\n'));
  return state;
}

/** Each map's resolved `kind [keys] value`, and each variable's resolved type by name. */
function resolved(text: string): { maps: Record<string, string>; vars: Record<string, string> } {
  const s = setup(text);
  const r = resolveScriptTypes(s.expanded!, s.newScript!, s.imported!.source);
  const maps: Record<string, string> = {};
  for (const m of r.table.maps.values()) maps[m.name] = `${m.kind} [${m.keyTypes.map(typeToString).join(', ')}] ${typeToString(m.valueType)}${m.params.length ? ` (${m.params.join(', ')})` : ''}`;
  const vars: Record<string, string> = {};
  for (const [key, type] of r.varTypes) vars[key.split('|').at(-1)!] = typeToString(type);
  return { maps, vars };
}

/** The type of each expression statement of the first probe's body. */
function exprTypes(text: string): string[] {
  const s = setup(text);
  const { node, probe } = s.expanded![0]!;
  const typer = new ProbeTyper(s.newScript!(), probe, new Diagnostics());
  return node.body.stmts.filter((st): st is ast.ExprStmt => st.kind === 'ExprStmt').map((st) => typeToString(typer.typeOf(st.expr)));
}

test('expression types from the AST: integer promotion, folding, tuples packed, strings sized', (t) => {
  t.deepEqual(exprTypes('BEGIN { (int8)1 + (uint8)2; 1 + 2; -(uint32)1; (1 == 2); ((int8)1, (int16)1, (int32)1); "abc"; (a = 1, b = "x"); }'), [
    // A folded literal takes the smallest type holding it, as bpftrace's literals.
    'int64', 'int8', 'uint64', 'bool', '(int8, int16, int32)', 'string[4]', 'record { .a = int8, .b = string[2] }',
  ]);
});

test('expression types of casts, ternaries, sizeof and pointers', (t) => {
  t.deepEqual(exprTypes('BEGIN { (int32 *)0x32; (int32 *)0x32 + 1; 1 ? "a" : "abcd"; 1 ? (uint8)1 : (int8)2; sizeof((uint8)1); (uint16)70000; }'), [
    'int32 *', 'int32 *', 'string[5]', 'int16', 'uint64', 'uint16',
  ]);
});

test('library calls are typed without lowering: builtin variables, str(), statement functions', (t) => {
  t.deepEqual(exprTypes('BEGIN { pid; comm; nsecs; str(0); str(0, 5); probe; }'), ['uint32', 'string[16]', 'uint64', 'string[1024]', 'string[6]', 'string[64]']);
});

test('maps resolve over every probe: keys and values promoted, strings grown, pointers kept', (t) => {
  const r = resolved('BEGIN { @s["hi", 1] = 1; @p = (int32 *)0x32; $x = ""; $x = @late; } END { @s["hellolongstr", (uint8)2] = 2; @late = "abcdef"; @late = "a"; }');
  t.is(r.maps['@s'], 'int [string[13], uint8] int64');
  t.is(r.maps['@p'], 'int [] int32 *');
  t.is(r.maps['@late'], 'value [] string[7]');
  // Read before any probe assigns @late: the variable still takes its resolved type.
  t.is(r.vars['$x'], 'string[7]');
});

test('aggregations declare their maps with kind and parameters', (t) => {
  const r = resolved('BEGIN { @c[comm] = count(); @h = hist(5, 2); @l[1, "a"] = lhist(3, 0, 100, 10); @a = avg((int8)1); }');
  t.is(r.maps['@c'], 'count [string[16]] uint64');
  t.is(r.maps['@h'], 'hist [] uint64 (2)');
  t.is(r.maps['@l'], 'lhist [int8, string[2]] uint64 (0, 100, 10)');
  t.is(r.maps['@a'], 'avg [] uint64');
});

test('a variable takes the largest string assigned to it and integers promote', (t) => {
  const r = resolved('BEGIN { $a = ""; if (pid > 0) { $a = "hello"; } $n = (int8)1; $n = (uint32)2; }');
  t.is(r.vars['$a'], 'string[6]');
  t.is(r.vars['$n'], 'int64');
});

test('a conflict comes out as a diagnostic of the type pass', (t) => {
  const s = setup('BEGIN { @x = 1; @x = "s"; }');
  const walk = { ...s.newScript!() };
  const diags = new Diagnostics();
  new ProbeTyper(walk, s.expanded![0]!.probe, diags).typeProbe(s.expanded![0]!.node);
  t.deepEqual(diags.items.map((d) => `${d.code}: ${d.message}`), ["map-type-mismatch: Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int64'"]);
});

test('type resolution never lowers: each probe is lowered exactly once', (t) => {
  const original = ProbeLowerer.prototype.lower;
  let lowered = 0;
  ProbeLowerer.prototype.lower = function (this: ProbeLowerer, ...args: Parameters<typeof original>) {
    lowered++;
    return original.apply(this, args);
  };
  try {
    const r = compileFrontend({ name: 'test', text: 'BEGIN { $x = @a; } END { @a = (uint8)1; @a = (int64)2; } interval:s:1 { @b[@a] = 1; }' });
    t.truthy(r.ir, r.diagnostics.map((d) => d.message).join('\n'));
    t.is(lowered, 3);
  } finally {
    ProbeLowerer.prototype.lower = original;
  }
});

/** Scripts exercising every expression kind, for the agreement test below. */
const CORPUS = [
  'BEGIN { $a = (int8)1 + (uint16)2; $b = $a * 3 / 2 % 5 << 1; $c = -$a; $d = !$b; $e = ~(uint32)7; @x[$a, "k"] = $b; printf("%d %d %d\\n", $c, $d, $e); }',
  'BEGIN { $t = ((int8)1, "ab", (uint64)3); $r = (a = 1, b = "x"); @t = $t; @r[$r.a] = $r; print(($t.0, $t.1, $r.b)); $u = $t == $t; }',
  'BEGIN { $s = "a"; $s = "longer"; @s[$s] = count(); @h = hist((int32)5); @l = lhist(5, 0, 10, 1); @m = max(3); @v = avg(2); $z = @s[$s]; }',
  'BEGIN { $p = (int32 *)0x1000; $q = $p + 2; @p = $p; @p++; $i = $q == $p; $n = sizeof($p); $w = 1 ? "x" : "xyz"; $k = 0 ? (uint8)1 : (int8)2; }',
  'macro inc(x) { x + 1 } macro twice(v) { v * 2 } BEGIN { $a = inc(1); $b = twice($a); @m[inc($b)] = { let $c = 3; $c + $b }; }',
  'BEGIN { for ($i : 0..5) { @f[$i] = $i * 2; } for ($kv : @f) { $k = $kv.0; $v = $kv.1; } $j = 0; while ($j < 3) { $j++; } unroll(2) { @u += 1; } }',
  'BEGIN { @c = comm; @p = pid; @n = nsecs; @t = tid; $s = str(0, 4); @q[comm, pid] = sum((uint32)1); if (@p > 1) { delete(@q, (comm, pid)); } $has = has_key(@q, (comm, pid)); }',
  // Library functions: the type pass uses each record's declared typing, lowering its lowering hook.
  'BEGIN { $s = str(0, 8); $l = strlen($s); $b = bswap((uint32)7); $c = strcontains($s, "a"); $n = strncmp($s, "ab", 2); $k = kstack; $u = ustack(3); $t = ntop(2, (uint32)0); $p = pton("1.2.3.4"); $j = str_concat("ab", "cd"); $e = elapsed; $cp = ncpus; $f = strftime("%H", nsecs); $cg = cgroup; @x[$s, $l] = hist($b); @y = stats($n); $h = has_key(@x, ($s, $l)); $len = len(@x); delete(@x, ($s, $l)); $ks = ksym(0); $us = usym(0); $bf = buf($s, 4); $pr = probe; $pt = probetype; }',
  'BEGIN { $s = str(0, 8); $a = is_str($s); $b = is_integer(1); $c = is_ptr((int8 *)0); $d = is_literal(1); $e = is_err((int8 *)0); $k = kptr(0); $u = uptr((int8 *)0); $i = strstr($s, "b"); $m = memcmp($s, "abcdefgh", 2); $cap = strcap($s); $mac = macaddr("abcdef"); $sig = signal_name(9); $err = strerror(2); $dl = default_str_length; $cp = cgroup_path(1); $pid = pid(init); $ms = nsecs(monotonic); $up = usermode; }',
  'macro m() { (int16)2 } macro n(x) { x ? "a" : "bb" } BEGIN { $a = m; $b = n(m); @c[n(1), m] = (m, n(0)); }',
  'struct Foo { int a; char b[4]; } BEGIN { $f = (struct Foo *)0; $a = $f->a; $b = $f->b; @f = $a; $o = offsetof(struct Foo, b); $sz = sizeof(struct Foo); }',
];

test('the type pass never runs a library lowering hook: each record\'s declared typing types it', (t) => {
  const hooks: [Record<string, unknown>, string][] = [];
  for (const f of LIBRARY_FUNCTIONS.values()) for (const h of ['expr', 'stmt', 'aggregate']) if ((f as unknown as Record<string, unknown>)[h]) hooks.push([f as unknown as Record<string, unknown>, h]);
  for (const v of LIBRARY_VARS.values()) hooks.push([v as unknown as Record<string, unknown>, 'lower']);
  const originals = hooks.map(([o, h]) => o[h]);
  const called: string[] = [];
  hooks.forEach(([o, h]) => {
    o[h] = () => {
      called.push(`${String(o.name)}.${h}`);
      throw new Error('lowering hook run by the type pass');
    };
  });
  try {
    // With records whose typing types an expression built from the call (config, comm(), find).
    for (const text of [...CORPUS, 'BEGIN { $c = config.max_strlen; $m = comm(); @m[1] = 2; $v = 0; $f = find(@m, 1, $v); $cpu = __builtin_cpu; }']) {
      const s = setup(text);
      resolveScriptTypes(s.expanded!, s.newScript!, s.imported!.source);
    }
  } finally {
    hooks.forEach(([o, h], i) => (o[h] = originals[i]));
  }
  t.deepEqual(called, []);
});

test('the type pass gives every expression the type lowering gives it', (t) => {
  for (const text of CORPUS) {
    const s = setup(text);
    const r = resolveScriptTypes(s.expanded!, s.newScript!, s.imported!.source);
    s.expanded!.forEach(({ node, probe }) => {
      const script = { ...s.newScript!(), maps: r.table.maps, table: r.table, varTypes: r.varTypes };
      const lowered = new Map<ast.Expr, Type>();
      const diags = new Diagnostics();
      new ProbeLowerer(script, probe, diags, lowered).lower(node, 'p', 'p');
      t.deepEqual(diags.items.filter((d) => d.severity === 'error').map((d) => d.message), [], text);
      const typed = new Map<ast.Expr, Type>();
      new ProbeTyper(script, probe, new Diagnostics(), typed).typeProbe(node);
      let compared = 0;
      for (const [e, type] of lowered) {
        if (!typed.has(e)) continue;
        compared++;
        t.is(typeToString(typed.get(e)!), typeToString(type), `${text.slice(e.span.start, e.span.end)} in ${text}`);
      }
      // Macro bodies are expanded once for both passes (src/passes/macros.ts): every node is compared
      // (but those a library hook builds while lowering, as container_of does: none here).
      t.is(compared, lowered.size, `${compared} of ${lowered.size} expressions typed in ${text}`);
    });
  }
});

test('lowering reads the type pass\'s types: a type given by the type pass is the one lowering uses', (t) => {
  const s = setup('BEGIN { $x = 1 ? (int8)1 : (int8)2; print(((int8)1 + (int8)2, -(int8)1)); }');
  const { node, probe } = s.expanded![0]!;
  const r = resolveScriptTypes(s.expanded!, s.newScript!, s.imported!.source);
  const script = { ...s.newScript!(), maps: r.table.maps, table: r.table, varTypes: r.varTypes };
  const typed = new Map(r.exprTypes[0]!);
  // Every binary, unary and ternary the type pass saw is told to be a uint16: lowering follows.
  for (const e of typed.keys()) if (e.kind === 'Binary' || e.kind === 'Unary' || e.kind === 'Ternary') typed.set(e, { kind: 'int', bits: 16, signed: false });
  const lowered = new Map<ast.Expr, Type>();
  new ProbeLowerer(script, probe, new Diagnostics(), lowered, typed).lower(node, 'p', 'p');
  const kinds = [...lowered].filter(([e]) => e.kind === 'Binary' || e.kind === 'Unary' || e.kind === 'Ternary').map(([e, type]) => `${e.kind} ${typeToString(type)}`);
  t.deepEqual(kinds.sort(), ['Binary uint16', 'Ternary uint16', 'Unary uint16']);
});

test('sizeof(e) and typeof(e) take the type pass\'s type and never lower their operand; its errors are still reported', (t) => {
  // Lowering `$a / $b` would register the division-by-zero runtime warning's event and warn of signed operands.
  const ok = compileFrontend({ name: 'test', text: 'BEGIN { $a = 1; $b = 0; @s = sizeof($a / $b); $t = (typeof($a / $b))3; @t = $t; }' });
  t.deepEqual(ok.diagnostics.map((d) => d.message), []);
  t.deepEqual(ok.events.filter((e) => JSON.stringify(e).includes('Divide')), []);
  const bad = compileFrontend({ name: 'test', text: 'BEGIN { @n = sizeof($nope); $x = (typeof(@undefined_map[1]))1; @s = sizeof(1 + "x"); }' });
  t.deepEqual(bad.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [
    'Undefined or undeclared variable: $nope', 'Undefined map: @undefined_map', 'operator + cannot be used on int8 and string[2]',
  ]);
});
