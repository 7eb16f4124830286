/**
 * `probe` as a map key (src/passes/lower-maps.ts keyExprTypes, probeKeyValue): a u64 probe id
 * (PROBE_ID_KEY) in the map's key, the script's probe-name table giving the names back; the
 * string layout where the map is also keyed by strings there. No kernel needed (BEGIN/END/interval).
 */
import test from 'ava';
import { compileFrontend, type CompiledMap, type FrontendResult } from '../../../src/compile.js';
import { checkCompiledScript } from '../../../runtime/compile/compiled-script-check.js';
import { PROBE_ID_KEY } from '../../../src/contract/index.js';
import type { IrBlob, IrProgram } from '../../../src/ir/ir.js';

function compile(text: string): FrontendResult {
  const r = compileFrontend({ name: 'test', text });
  if (r.diagnostics.some((d) => d.severity === 'error')) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

function map(r: FrontendResult, name: string): CompiledMap {
  return r.maps.find((m) => m.name === name)!;
}

test('@[probe]: an 8-byte probe-id key, ids by probe name in probe order, the same name the same id', (t) => {
  const r = compile('BEGIN { @[probe] = count(); } interval:s:1 { @[probe] = count(); } END { @[probe] = count(); @n[probe] = 1; }');
  t.deepEqual(map(r, '@').spec?.keyTypes, [PROBE_ID_KEY]);
  t.is(map(r, '@').keySize, 8);
  t.deepEqual(r.probeNames, ['BEGIN', 'interval:s:1', 'END']);
});

test('the key stores the constant id: no string is built for it', (t) => {
  const r = compile('BEGIN { @[probe] = count(); } END { @[probe] = count(); }');
  const blobs: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const b = v as Partial<IrBlob> & Record<string, unknown>;
      if (b.op === 'string') blobs.push(String((b as { value?: unknown }).value));
      Object.values(b).forEach(visit);
    }
  };
  const programs: readonly IrProgram[] = r.ir!.programs;
  visit(programs.map((p) => p.body));
  t.deepEqual(blobs, []);
});

test('multi-keys and __builtin_probe: the probe part is the id, packed as a u64', (t) => {
  const r = compile('BEGIN { @k[probe, 1] = count(); @b[__builtin_probe, "x"] = count(); }');
  t.deepEqual(map(r, '@k').spec?.keyTypes.map((k) => k.kind), ['rich', 'int']);
  t.deepEqual(map(r, '@k').spec?.keyTypes[0], PROBE_ID_KEY);
  t.is(map(r, '@k').keySize, 16);
  t.deepEqual(map(r, '@b').spec?.keyTypes[0], PROBE_ID_KEY);
  t.is(map(r, '@b').keySize, 16);
});

test('a map keyed by probe in one place and by a string in another keeps the string layout', (t) => {
  const r = compile('BEGIN { @[probe] = count(); } END { @["x"] = count(); @t[probe, 1] = 1; } interval:s:1 { @t["y", 2] = 1; }');
  t.deepEqual(map(r, '@').spec?.keyTypes, [{ kind: 'str', size: 64 }]);
  t.deepEqual(map(r, '@t').spec?.keyTypes[0], { kind: 'str', size: 64 });
  t.is(r.probeNames, undefined);
});

test('other uses of probe stay strings: a variable, a tuple key, printf', (t) => {
  const r = compile('BEGIN { $p = probe; @v[$p] = 1; @t[(probe, 1)] = 1; printf("%s\\n", probe); }');
  t.deepEqual(map(r, '@v').spec?.keyTypes, [{ kind: 'str', size: 64 }]);
  t.deepEqual(map(r, '@t').spec?.keyTypes.map((k) => k.kind), ['str', 'int']);
  t.is(r.probeNames, undefined);
});

test('the compile cache check accepts probeNames and the probe key kind, and refuses a bad table', (t) => {
  const base = {
    format: 1,
    maps: [
      { id: 0, name: '@', bpfType: 1, keySize: 8, valueSize: 8, maxEntries: 10, spec: { kind: 'count', keyTypes: [PROBE_ID_KEY], valueType: { kind: 'int', bits: 64, signed: false }, params: [] } },
      { id: 1, name: '.ringbuf', bpfType: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
      { id: 2, name: '.lost', bpfType: 6, keySize: 4, valueSize: 8, maxEntries: 1 },
    ],
    programs: [{
      name: 'BEGIN_0',
      probe: { provider: 'special', name: 'BEGIN', progType: 1, attach: { kind: 'special', which: 'BEGIN' }, args: undefined, registers: [] },
      insns: Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).toString('base64'),
    }],
    events: [],
    ringbufMap: 1,
    lostMap: 2,
    warnings: [],
  };
  t.is(checkCompiledScript({ ...base, probeNames: ['BEGIN'] }), undefined);
  t.regex(checkCompiledScript({ ...base, probeNames: [1] }) ?? '', /probeNames\[0\]: not a string/);
});
