/** Map snapshots (runtime/api/map-snapshot.ts): entries in the CLI's order, histograms as buckets with bounds. */
import test from 'ava';
import { mapSnapshot } from '../../../runtime/api/map-snapshot.js';
import { histBucketCount, histBucketIndex, lhistBucketCount, lhistBucketIndex, V } from '../../../runtime/output/value.js';

function histCounts(values: readonly bigint[]): bigint[] {
  const b: bigint[] = new Array<bigint>(histBucketCount()).fill(0n);
  for (const v of values) b[histBucketIndex(v)]! += 1n;
  return b;
}

test('hist: from the first non-empty bucket to the last; the negative bucket has no lower bound', (t) => {
  const snap = mapSnapshot({ name: '@h', entries: [{ key: [], value: { kind: 'hist', buckets: histCounts([-5n, 0n, 3n, 3n]) } }] });
  t.deepEqual(snap, {
    name: '@h',
    entries: [
      {
        key: [],
        value: {
          kind: 'hist',
          buckets: [
            { min: null, max: 0n, count: 1n },
            { min: 0n, max: 1n, count: 1n },
            { min: 1n, max: 2n, count: 0n },
            { min: 2n, max: 4n, count: 2n },
          ],
        },
      },
    ],
  });
});

test('lhist: values past max land in a bucket with no upper bound', (t) => {
  const [min, max, step] = [0n, 10n, 5n];
  const buckets: bigint[] = new Array<bigint>(lhistBucketCount(min, max, step)).fill(0n);
  for (const v of [7n, 100n]) buckets[lhistBucketIndex(v, min, max, step)]! += 1n;
  const snap = mapSnapshot({ name: '@l', entries: [{ key: [], value: { kind: 'lhist', min, max, step, buckets } }] });
  t.deepEqual(snap.entries[0]!.value, { kind: 'lhist', min, max, step, buckets: [{ min: 5n, max: 10n, count: 1n }, { min: 10n, max: null, count: 1n }] });
});

test('entries sorted as the CLI prints them; aggregations keep their kind; stats as a record', (t) => {
  const snap = mapSnapshot({
    name: '@c',
    entries: [
      { key: [V.str('b')], value: { kind: 'int', value: 9n, agg: 'count' } },
      { key: [V.str('a')], value: { kind: 'int', value: 2n, agg: 'count' } },
    ],
  });
  t.deepEqual(snap.entries, [
    { key: [V.str('a')], value: { kind: 'count', value: 2n } },
    { key: [V.str('b')], value: { kind: 'count', value: 9n } },
  ]);
  const stats = mapSnapshot({ name: '@s', entries: [{ key: [V.int(1), V.str('x')], value: { kind: 'stats', count: 3n, average: 4n, total: 12n } }] });
  t.deepEqual(stats.entries[0], { key: [V.int(1), V.str('x')], value: { kind: 'stats', count: 3n, average: 4n, total: 12n } });
  t.deepEqual(mapSnapshot({ name: '@e', entries: [], kind: 'hist' }), { name: '@e', entries: [] });
});
