import test from 'ava';
import { buildSeries, reduceCells, tseriesJson, tseriesText, utcTimestamp } from '../../../runtime/output/tseries.js';

// Local-time rendering below is checked in UTC (Node applies a TZ change at once).
process.env.TZ = 'UTC';

const cell = (val: bigint, meta: bigint, epoch: bigint): Buffer => {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(BigInt.asUintN(64, val), 0);
  b.writeBigUInt64LE(BigInt.asUintN(64, meta), 8);
  b.writeBigUInt64LE(epoch, 16);
  return b;
};

test('reduceCells merges the CPUs of the latest epoch as util/tseries.cpp does', (t) => {
  const p = { intervalNs: 1n, numIntervals: 5n, signed: true } as const;
  // CPU 0 holds an older epoch, CPUs 1 and 2 the latest.
  const cpus = Buffer.concat([cell(100n, 1n, 3n), cell(-4n, 2n, 8n), cell(10n, 3n, 8n)]);
  t.deepEqual(reduceCells(cpus, 0, 3, { ...p, agg: 'sum' }), [8n, 6n]);
  t.deepEqual(reduceCells(cpus, 0, 3, { ...p, agg: 'min' }), [8n, -4n]);
  t.deepEqual(reduceCells(cpus, 0, 3, { ...p, agg: 'max' }), [8n, 10n]);
  // avg: values and counts add up, then divide (truncating): (-4 + 10) / (2 + 3).
  t.deepEqual(reduceCells(cpus, 0, 3, { ...p, agg: 'avg' }), [8n, 1n]);
  // last: the newest timestamp (meta) wins.
  t.deepEqual(reduceCells(cpus, 0, 3, { ...p, agg: 'last' }), [8n, 10n]);
  // Epoch 0 = never used.
  t.deepEqual(reduceCells(cell(5n, 1n, 0n), 0, 1, { ...p, agg: 'last' }), [0n, 0n]);
});

test('buildSeries starts at the key\'s first interval inside the window', (t) => {
  const s = new Map([[3n, 1n], [5n, 2n]]);
  t.deepEqual(buildSeries(s, 2n, 6n, 10n), [{ start: 30n, value: 1n }, { start: 40n }, { start: 50n, value: 2n }, { start: 60n }]);
});

test('tseriesText: microsecond intervals, a single point, no data', (t) => {
  const text = tseriesText([{ start: 1_000n, value: 3n }, { start: 2_000n, value: 5n }], false);
  const lines = text.split('\n');
  // "hh:mm:ss.μs" is padded by bytes (std::setw), so the μ takes two columns' worth.
  t.is(lines[1], 'hh:mm:ss.μs    |___________________________________________________|');
  t.is(lines[0], ' '.repeat(16) + '3'.padEnd(21) + '5'.padStart(32));
  t.is(lines[2]!.slice(0, 16), '00:00:00.000001 ');
  t.is(lines[2]!.slice(16), '*                                                   | 3');
  t.is(lines[3]!.slice(16), '|                                                   * 5');
  // One point: interval 0 → nanoseconds; min == max → one either side, point in the middle.
  const one = tseriesText([{ start: 7n, value: 0n }], true).split('\n');
  t.is(one[0], ' '.repeat(19) + '-1'.padEnd(21) + '1'.padStart(32));
  t.is(one[2], '00:00:00.000000007 |                         *                         | 0');
  t.is(tseriesText([], false), '<no data>');
  t.is(tseriesJson([{ start: 1_500_000_000n, value: -2n }, { start: 2_500_000_000n }]), '[{"interval_start":"1970-01-01 00:00:01.500000000","value":-2}]');
  t.is(utcTimestamp(86_400_000_000_001n), '1970-01-02 00:00:00.000000001');
});
