/**
 * Big maps are sorted through an index permutation and written a chunk of entries at a time
 * (runtime/output/format-map.ts formatMapSource, MAP_CHUNK): the text and JSON must be exactly
 * what sorting and rendering every entry at once gives.
 */
import test from 'ava';
import { MAP_CHUNK } from '../../../runtime/output/format-map.js';
import { mapJson, writeMapJson } from '../../../runtime/output/json.js';
import { mapText, writeMapText } from '../../../runtime/output/text.js';
import { V, dumpSource, type MapDump, type MapEntry, type MapValue } from '../../../runtime/output/value.js';

const N = MAP_CHUNK * 2 + 17;

/** Entry i of a keyed map whose values repeat (so ties keep kernel order) and may be large or negative. */
function dump(value: (i: number) => MapValue, key: (i: number) => MapEntry['key'] = (i) => [V.int((i * 7919) % N)]): MapDump {
  const entries: MapEntry[] = [];
  for (let i = 0; i < N; i++) entries.push({ key: key(i), value: value(i) });
  return { name: '@m', entries };
}

/** The reference order: a stable sort of decoded entries by the given number. */
function expectedText(d: MapDump, by: (v: MapValue) => bigint, render: (e: MapEntry) => string): string {
  const sorted = d.entries.map((e, i) => ({ e, i })).sort((a, b) => {
    const x = by(a.e.value);
    const y = by(b.e.value);
    return x < y ? -1 : x > y ? 1 : a.i - b.i;
  });
  return sorted.map(({ e }) => render(e)).join('');
}

const intOf = (v: MapValue): bigint => (v.kind === 'int' ? v.value : 0n);
const keyOf = (e: MapEntry): string => String(e.key[0]!.kind === 'int' ? e.key[0]!.value : '?');

test('counts in int32 range: stable sort by value, written in chunks', (t) => {
  const d = dump((i) => ({ kind: 'int', value: BigInt(i % 13), agg: 'count' }));
  const chunks: string[] = [];
  writeMapText(dumpSource(d), undefined, (s) => chunks.push(s));
  t.is(chunks.length, Math.ceil(N / MAP_CHUNK));
  t.is(chunks.join(''), expectedText(d, intOf, (e) => `@m[${keyOf(e)}]: ${intOf(e.value)}\n`));
  t.is(mapText(d), chunks.join(''));
});

test('sums past 2^31 and negative ones, and min as uint64, take the exact (bigint) path', (t) => {
  const sums = dump((i) => ({ kind: 'int', value: (i % 5 === 0 ? -1n : 1n) * (BigInt(i % 11) << 40n), agg: 'sum' }));
  t.is(mapText(sums), expectedText(sums, intOf, (e) => `@m[${keyOf(e)}]: ${intOf(e.value)}\n`));
  const mins = dump((i) => ({ kind: 'int', value: BigInt((i % 7) - 3), agg: 'min' }));
  t.is(mapText(mins), expectedText(mins, (v) => BigInt.asUintN(64, intOf(v)), (e) => `@m[${keyOf(e)}]: ${intOf(e.value)}\n`));
});

test('JSON of a chunked map is one line, equal to the unchunked rendering, and parses', (t) => {
  const d = dump((i) => ({ kind: 'int', value: BigInt(i % 3) }));
  const chunks: string[] = [];
  writeMapJson(dumpSource(d), undefined, (s) => chunks.push(s));
  t.true(chunks.length > 1);
  const line = chunks.join('');
  t.is(line, mapJson(d));
  t.is(line.split('\n').length, 2);
  const parsed = JSON.parse(line) as { type: string; data: { '@m': Record<string, number> } };
  t.is(parsed.type, 'map');
  t.is(Object.keys(parsed.data['@m']).length, N);
  t.is(line.indexOf('"'), 1);
});

test('top keeps the largest entries; string keys of a value map sort bytewise', (t) => {
  const d = dump((i) => ({ kind: 'int', value: BigInt(i) }));
  t.is(mapText(d, { top: 3 }), `@m[${(N - 3) * 7919 % N}]: ${N - 3}\n@m[${(N - 2) * 7919 % N}]: ${N - 2}\n@m[${(N - 1) * 7919 % N}]: ${N - 1}\n`);
  const strs = dump((i) => ({ kind: 'value', value: V.str('x') }), (i) => [V.str(`k${(i * 31) % N}`)]);
  const keys = mapText(strs).split('\n').filter(Boolean).map((l) => l.slice(3, l.indexOf(']')));
  t.deepEqual(keys, [...keys].sort());
  t.is(keys.length, N);
});
