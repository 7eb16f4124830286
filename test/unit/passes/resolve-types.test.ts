/**
 * The type resolution pass (src/passes/resolve-types.ts) on its own: bpftrace's promotion rules,
 * the map type table with its conflict diagnostics, and whole scripts of BEGIN/END probes (no
 * kernel) whose map types are resolved over every probe before lowering.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { compileFrontend, type FrontendResult } from '../../../src/compile.js';
import { Diagnostics, type Diagnostic } from '../../../src/common/diagnostic.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { promoteType, resolveTypes, TypeTable } from '../../../src/passes/resolve-types.js';
import { typeToString, type Type } from '../../../src/types/types.js';

const int = (bits: 8 | 16 | 32 | 64, signed: boolean): Type => ({ kind: 'int', bits, signed });
const str = (size: number): Type => ({ kind: 'str', size });
const ptr = (to: string): Type => ({ kind: 'ptr', to, space: 'kernel' });
const show = (t: Type | undefined): string => (t ? typeToString(t) : 'conflict');

function compile(text: string): FrontendResult {
  return compileFrontend({ name: 'test', text });
}

function mapTypes(text: string): Record<string, string> {
  const r = compile(text);
  if (!r.ir) throw new Error(renderDiagnostics(r.diagnostics, { name: 'test', text }));
  const out: Record<string, string> = {};
  for (const m of r.maps) if (m.spec) out[m.name] = `${m.spec.kind} [${m.spec.keyTypes.map(typeToString).join(', ')}] ${typeToString(m.spec.valueType)} key ${m.keySize} value ${m.valueSize}`;
  return out;
}

function errorsOf(text: string): Diagnostic[] {
  const r = compile(text);
  return r.diagnostics.filter((d) => d.severity === 'error');
}

test('integers promote as get_promoted_int: larger size, mixed signs to a signed type that holds both', (t) => {
  t.is(show(promoteType(int(32, true), int(64, false))), 'int64');
  t.is(show(promoteType(int(32, false), int(64, false))), 'uint64');
  t.is(show(promoteType(int(8, true), int(8, false))), 'int16');
  t.is(show(promoteType(int(64, true), int(16, false))), 'int64');
  t.is(show(promoteType(undefined, int(16, false))), 'uint16');
});

test('strings take the larger size; tuples and records promote element by element; pointers keep their pointee', (t) => {
  t.is(show(promoteType(str(3), str(13))), 'string[13]');
  t.is(show(promoteType({ kind: 'tuple', elems: [int(8, true), str(2)] }, { kind: 'tuple', elems: [int(16, true), str(10)] })), '(int16, string[10])');
  t.is(
    show(promoteType({ kind: 'tuple', elems: [int(8, true), str(2)], names: ['a', 'b'] }, { kind: 'tuple', elems: [str(5), int(32, true)], names: ['b', 'a'] })),
    'record { .a = int32, .b = string[5] }',
  );
  t.is(show(promoteType(ptr('const struct timespec'), ptr('struct timespec'))), 'const struct timespec *');
  t.is(show(promoteType(ptr('void'), ptr('int32'))), 'int32 *');
});

test('incompatible types conflict: string and integer, pointers to different types, tuples of other shapes', (t) => {
  t.is(promoteType(str(4), int(64, true)), undefined);
  t.is(promoteType(ptr('int32'), ptr('struct task_struct')), undefined);
  t.is(promoteType(ptr('int32'), int(64, false)), undefined);
  t.is(promoteType({ kind: 'tuple', elems: [int(8, true)] }, { kind: 'tuple', elems: [int(8, true), int(8, true)] }), undefined);
  t.is(promoteType({ kind: 'tuple', elems: [int(8, true), int(8, true)], names: ['a', 'b'] }, { kind: 'tuple', elems: [int(8, true), int(8, true)] }), undefined);
});

test('the table promotes keys and values at every use and reports a conflict with a hint at the other place', (t) => {
  const text = 'BEGIN { @a[1] = 1; }\nEND { @a["x"] = 2; }';
  const table = new TypeTable({ name: 'test', text });
  const diags = new Diagnostics();
  const first = { kind: 'Block', span: { start: 8, end: 17 }, stmts: [] } as const;
  t.truthy(table.observeValue('@a', 'int', [int(32, true)], int(64, true), [], first, diags, { start: 8, end: 13 }));
  t.deepEqual(table.observeKeys('@a', [int(64, false)], { start: 8, end: 13 }, diags)?.map(typeToString), ['int64']);
  const second = text.indexOf('@a["x"]');
  t.is(table.observeKeys('@a', [str(2)], { start: second, end: second + 7 }, diags), undefined);
  t.is(diags.items.length, 1);
  t.is(diags.items[0]!.code, 'map-key-mismatch');
  t.deepEqual(diags.items[0]!.span, { start: second, end: second + 7 });
  t.regex(diags.items[0]!.hints?.[0] ?? '', /test:1:9/);
});

test('resolveTypes walks until no type changes', (t) => {
  // A chain: @b's key follows @a's value type, which a later observation widens.
  let walks = 0;
  const r = resolveTypes((table) => {
    walks++;
    const d = new Diagnostics();
    const node = { kind: 'Block', span: { start: 0, end: 1 }, stmts: [] } as const;
    const a = table.maps.get('@a')?.valueType;
    table.observeValue('@b', 'int', a ? [a] : [int(8, false)], int(64, true), [], node, d, node.span);
    table.observeValue('@a', 'int', [], walks > 1 ? int(64, false) : int(32, false), [], node, d, node.span);
  });
  t.is(show(r.table.maps.get('@b')!.keyTypes[0]), 'uint64');
  t.true(r.rounds >= 3 && r.rounds <= 8);
});

test('string parts of multi-key maps take the largest size over all uses', (t) => {
  const m = mapTypes('BEGIN { @["hi", 1] = 1; @["hellolongstr", 2] = 2; exit(); }');
  t.is(m['@'], 'int [string[13], int8] int64 key 14 value 8');
});

test('integer keys unify across probes (args.ret in one, uint64 in another)', (t) => {
  const m = mapTypes('BEGIN { @s[(int32)-1] = 1; } END { @s[(uint64)2] = 2; $x = @s[(uint8)3]; }');
  t.is(m['@s'], 'int [int64] int64 key 8 value 8');
});

test('@m[a, b], @m[(a, b)] and a tuple variable are one key type', (t) => {
  const m = mapTypes('BEGIN { @m[1, 2] = 1; @m[(3, 4)] = 2; $k = ((uint64)5, (uint64)6); @m[$k] = 3; print(@m[$k]); delete(@m, (1, 2)); }');
  t.is(m['@m'], 'int [uint64, uint64] int64 key 16 value 8');
});

test('a map read in one probe before another assigns it gets the resolved type', (t) => {
  const m = mapTypes('BEGIN { $x = @late[1]; print($x); } END { @late[(uint8)1] = "abcdef"; @late[2] = "a"; }');
  t.is(m['@late'], 'value [uint8] string[7] key 1 value 7');
});

test('pointers keep their type in maps', (t) => {
  const m = mapTypes('BEGIN { @p = (int32 *)0x32; @p++; $q = @p; print($q + 1); }');
  // A keyless assigned integer is a one-entry array {value, written flag} (src/passes/scalar-maps.ts).
  t.is(m['@p'], 'int [] int32 * key 4 value 16');
});

test('tuples are packed as bpftrace lays them out', (t) => {
  const m = mapTypes('BEGIN { @t = ((int8)1, (int16)1, (int32)1); @u = ((int8)1, "ab", (int64)2); @r = (a=(int8)1, b=(int16)2); }');
  t.is(m['@t'], 'value [] (int8, int16, int32) key 8 value 8');
  t.is(m['@u'], 'value [] (int8, string[3], int64) key 8 value 16');
  t.is(m['@r'], 'value [] record { .a = int8, .b = int16 } key 8 value 4');
});

test('tuple values promote: an element widens and a string grows', (t) => {
  const m = mapTypes('BEGIN { @t = ((int8)1, "a"); } END { @t = ((int32)70000, "abcdef"); }');
  t.is(m['@t'], 'value [] (int32, string[7]) key 8 value 12');
});

test('a real conflict is reported at the conflicting use with a hint at the other one', (t) => {
  const text = 'BEGIN { @a = 1; }\nEND { @a = "str"; }';
  const errs = errorsOf(text);
  t.is(errs.length, 1);
  t.is(errs[0]!.code, 'map-type-mismatch');
  t.is(errs[0]!.span?.start, text.indexOf('@a = "str"'));
  t.regex(errs[0]!.hints?.[0] ?? '', /test:1:9/);
});

test('printf %s with a pointer is an error at the argument, with a str() hint', (t) => {
  const text = 'BEGIN { $p = (int8 *)1; printf("%s\\n", $p); }';
  const errs = errorsOf(text);
  t.is(errs.length, 1);
  t.is(errs[0]!.code, 'invalid-format');
  t.deepEqual(errs[0]!.span, { start: text.indexOf('$p)'), end: text.indexOf('$p)') + 2 });
  t.regex(errs[0]!.hints?.[0] ?? '', /str\(\$p\)/);
});

test('string variables grow to the largest value assigned', (t) => {
  const r = compile('BEGIN { $a = ""; if (pid > 0) { $a = "hello"; } printf("%s\\n", $a); }');
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
});

test('let $x; without a type takes the type of what is assigned to it later', (t) => {
  const r = compile('BEGIN { let $s; let $n; if (pid > 0) { $s = "abc"; } else { $s = "z"; } printf("%s %d\\n", $s, $n); }');
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
});

const kallsymsAddresses = ((): boolean => {
  try {
    return /^[0-9a-f]*[1-9a-f][0-9a-f]* T vfs_read$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
})();

(kallsymsAddresses ? test : test.skip)(`func in a kprobe is a ksym, so it shares a map with ksym() values (xfsdist.bt)${kallsymsAddresses ? '' : ' (skipped: /proc/kallsyms shows no addresses here)'}`, (t) => {
  const m = mapTypes('BEGIN { @name[0] = ksym(0); } kprobe:vfs_read { @name[tid] = func; @[func] = count(); }');
  t.is(m['@name'], 'value [uint32] ksym[8] key 4 value 8');
  t.is(m['@'], 'count [ksym[8]] uint64 key 8 value 8');
});
