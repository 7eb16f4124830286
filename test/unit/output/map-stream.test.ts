/**
 * Big maps are sorted through an index permutation and written a chunk of entries at a time
 * (runtime/output/format-map.ts formatMapSource, MAP_CHUNK_CHARS): the text and JSON must be exactly
 * what sorting and rendering every entry at once gives.
 */
import test from 'ava';
import { MAP_CHUNK_CHARS } from '../../../runtime/output/format-map.js';
import { mapJson, writeMapJson } from '../../../runtime/output/json.js';
import { mapText, writeMapText } from '../../../runtime/output/text.js';
import { V, dumpSource, type MapDump, type MapEntry, type MapValue } from '../../../runtime/output/value.js';

/** Several chunks of text (an entry is about 15 characters). */
const N = Math.ceil(MAP_CHUNK_CHARS / 15) * 4 + 17;

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
  t.true(chunks.length > 2);
  // Every chunk but the last ends at the first entry that takes it to MAP_CHUNK_CHARS.
  for (const c of chunks.slice(0, -1)) {
    t.true(c.length >= MAP_CHUNK_CHARS);
    t.true(c.length - (c.slice(0, -1).lastIndexOf('\n') + 1) + MAP_CHUNK_CHARS > c.length);
  }
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

test('64-bit values (radix order): negative sums, uint64 min/max past 2^63, keeping ties in kernel order', (t) => {
  const big = dump((i) => ({ kind: 'int', value: (i % 3 === 0 ? -1n : 1n) * ((BigInt(i % 17) << 50n) + 5n), agg: 'sum' }));
  t.is(mapText(big), expectedText(big, intOf, (e) => `@m[${keyOf(e)}]: ${intOf(e.value)}\n`));
  // min as uint64: -1 (2^64 - 1) sorts last, other negatives past 2^63 above every positive.
  const mins = dump((i) => ({ kind: 'int', value: i % 4 === 0 ? -BigInt(i % 9) : BigInt(i % 9) << 40n, agg: 'min' }));
  t.is(mapText(mins), expectedText(mins, (v) => BigInt.asUintN(64, intOf(v)), (e) => `@m[${keyOf(e)}]: ${intOf(e.value)}\n`));
});

test('hist totals past 64 bits fall back to an exact comparison', (t) => {
  const hists = dump((i) => ({ kind: 'hist', buckets: [BigInt(i % 5) << 63n, BigInt(i % 5) << 63n, BigInt(i % 2)] }));
  const total = (v: MapValue): bigint => (v.kind === 'hist' ? v.buckets.reduce((a, b) => a + b, 0n) : 0n);
  const order = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('@m[')).map((l) => l.slice(3, l.indexOf(']')));
  t.deepEqual(order(mapText(hists)), expectedText(hists, total, (e) => keyOf(e) + '\n').split('\n').filter(Boolean));
});

test('a value map with one integer key field sorts by it: numerically, negatives first, pointers as unsigned', (t) => {
  const ints = dump((i) => ({ kind: 'value', value: V.str('x') }), (i) => [V.int(((i * 7919) % N) - 1000)]);
  const keys = mapText(ints).split('\n').filter(Boolean).map((l) => Number(l.slice(3, l.indexOf(']'))));
  t.deepEqual(keys, [...keys].sort((a, b) => a - b));
  t.is(keys[0], -1000);
  const ptrs = dump((i) => ({ kind: 'value', value: V.str('x') }), (i) => [V.ptr(0xffff_0000_0000_0000n + BigInt((i * 31) % N))]);
  const texts = mapText(ptrs).split('\n').filter(Boolean).map((l) => BigInt(l.slice(3, l.indexOf(']'))));
  t.deepEqual(texts, [...texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});
