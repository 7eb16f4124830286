/**
 * tseries() maps at print time: reduce the per-CPU {value, meta, epoch} cells of every
 * (key, bucket) entry, group them by key, cut every series to the last `num_intervals` intervals
 * of the whole map, and render bpftrace 0.26's text chart and JSON list.
 *
 * Reference: bpftrace v0.26.1 src/util/tseries.cpp (reduce_tseries_value), src/bpfmap.cpp
 * (collect_tseries_data), src/types_format.cpp (build_time_series, format), src/output/text.cpp
 * (TextEmitter<Value::TimeSeries>), src/output/json.cpp (JsonEmitter<Value::TimeSeries>).
 */
import type { MapEntry, Value } from './value.js';

/** One interval of a series: its start (ns since the epoch, TAI clock as bpftrace), and its value unless none was recorded. */
export interface TseriesPoint {
  readonly start: bigint;
  readonly value?: bigint;
}

/** What the compiler records in a tseries map's params (src/builtins/tseries.ts). */
export interface TseriesParams {
  readonly intervalNs: bigint;
  readonly numIntervals: bigint;
  readonly agg: 'last' | 'avg' | 'max' | 'min' | 'sum';
  readonly signed: boolean;
}

const AGGS = ['last', 'avg', 'max', 'min', 'sum'] as const;
const CELL = 24;
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function tseriesParams(params: readonly string[]): TseriesParams {
  return {
    intervalNs: BigInt(params[0] ?? '1'),
    numIntervals: BigInt(params[1] ?? '1'),
    agg: AGGS[Number(params[2] ?? 0)] ?? 'last',
    signed: params[3] === '1',
  };
}

/**
 * reduce_tseries_value: combine the CPUs' cells of one bucket that share an epoch and return the
 * latest epoch's value ([0, 0] when the bucket was never used).
 */
export function reduceCells(buf: Buffer, offset: number, cpus: number, p: TseriesParams): [bigint, bigint] {
  const conv = (v: bigint): bigint => (p.signed ? BigInt.asIntN(64, v) : U64(v));
  const byEpoch = new Map<bigint, { val: bigint; meta: bigint }>();
  let latest = 0n;
  for (let c = 0; c < cpus; c++) {
    const o = offset + c * CELL;
    const val = conv(buf.readBigUInt64LE(o));
    const meta = conv(buf.readBigUInt64LE(o + 8));
    const epoch = buf.readBigUInt64LE(o + 16);
    if (epoch === 0n) continue; // never used
    if (epoch > latest) latest = epoch;
    const cur = byEpoch.get(epoch);
    if (!cur) {
      byEpoch.set(epoch, { val, meta });
      continue;
    }
    switch (p.agg) {
      case 'last':
        if (meta > cur.meta) {
          cur.val = val;
          cur.meta = meta;
        }
        break;
      case 'avg':
        cur.val = conv(cur.val + val);
        cur.meta = conv(cur.meta + meta);
        break;
      case 'min':
        if (val < cur.val) cur.val = val;
        break;
      case 'max':
        if (val > cur.val) cur.val = val;
        break;
      case 'sum':
        cur.val = conv(cur.val + val);
        break;
    }
  }
  if (latest === 0n) return [0n, 0n];
  const l = byEpoch.get(latest)!;
  // C++ integer division truncates toward zero, as BigInt's does.
  const val = p.agg === 'avg' && l.meta !== 0n ? l.val / l.meta : l.val;
  return [latest, val];
}

/**
 * collect_tseries_data + format: `count` map entries (key bytes `keySize` apart, values `stride`
 * apart) → one MapEntry per script key, ordered by the key's bytes (bpftrace keeps them in a
 * std::map of raw keys). `userKeySize` = the key bytes before the bucket (0 for a scalar map).
 */
export function collectTseries(
  keys: Buffer, values: Buffer, count: number, keySize: number, stride: number, cpus: number,
  userKeySize: number, p: TseriesParams, decodeKey: (buf: Buffer, offset: number) => Value[],
): MapEntry[] {
  const groups = new Map<string, { prefix: Buffer; offset: number; series: Map<bigint, bigint> }>();
  for (let i = 0; i < count; i++) {
    const prefix = keys.subarray(i * keySize, i * keySize + userKeySize);
    const id = prefix.toString('latin1');
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { prefix, offset: i * keySize, series: new Map() }));
    const [epoch, v] = reduceCells(values, i * stride, cpus, p);
    // std::map::emplace keeps the first value of an epoch.
    if (!g.series.has(epoch)) g.series.set(epoch, v);
  }
  if (groups.size === 0) return [];
  let last = 0n;
  for (const g of groups.values()) for (const e of g.series.keys()) if (e > last) last = e;
  const first = U64(last - p.numIntervals + 1n);
  const sorted = [...groups.values()].sort((a, b) => Buffer.compare(a.prefix, b.prefix));
  return sorted.map((g) => ({
    key: userKeySize === 0 ? [] : decodeKey(keys, g.offset),
    value: { kind: 'tseries', points: buildSeries(g.series, first, last, p.intervalNs), signed: p.signed },
  }));
}

/** build_time_series: the intervals first..last, from the key's first recorded one. */
export function buildSeries(series: ReadonlyMap<bigint, bigint>, first: bigint, last: bigint, intervalNs: bigint): TseriesPoint[] {
  let firstSeen = last;
  for (const e of series.keys()) if (e >= first && e < firstSeen) firstSeen = e;
  const out: TseriesPoint[] = [];
  for (let e = first; e <= last; e++) {
    if (e < firstSeen) continue;
    const v = series.get(e);
    const start = U64(e * intervalNs);
    out.push(v === undefined ? { start } : { start, value: v });
  }
  return out;
}

// ------------------------------------------------------------------ rendering

const GRAPH_WIDTH = 53;
const PADDING = 21;

/** util::duration_str: the display unit of an interval. */
function unitOf(ns: bigint): { digits: 0 | 3 | 6 | 9; name: string } {
  if (ns >= 1_000_000_000n) return { digits: 0, name: 's' };
  if (ns >= 1_000_000n) return { digits: 3, name: 'ms' };
  if (ns >= 1_000n) return { digits: 6, name: 'μs' };
  return { digits: 9, name: 'ns' };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** TextEmitter<Primitive::Timestamp> with "%H:%M:%S" in local time and the unit's fraction. */
function clockText(ns: bigint, digits: number): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(secs) * 1000);
  let s = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (digits > 0) s += '.' + (frac / 10n ** BigInt(9 - digits)).toString().padStart(digits, '0');
  return s;
}

/** `1970-01-01 00:00:00.500000000`: std::chrono's operator<< for a system_clock time point (UTC). */
export function utcTimestamp(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(secs) * 1000);
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${frac.toString().padStart(9, '0')}`;
}

/** text.cpp distance(): p - other as int64, the way bpftrace computes it for its two integer kinds. */
function distance(p: bigint, other: bigint, signed: boolean): bigint {
  if (!signed) {
    if (other < 0n) return BigInt.asIntN(64, -other + p);
    if (p > other) return BigInt.asIntN(64, p - other);
    return -BigInt.asIntN(64, other - p);
  }
  return BigInt.asIntN(64, p - other);
}

const f32 = Math.fround;

/** `padEnd`/`padStart` by bytes, as std::setw counts them (the `μ` of `hh:mm:ss.μs` is two). */
function bytePad(s: string, width: number, left: boolean): string {
  const n = Math.max(0, width - Buffer.byteLength(s));
  return left ? s + ' '.repeat(n) : ' '.repeat(n) + s;
}

/** TextEmitter<Value::TimeSeries>: the chart, every line ending in a newline. */
export function tseriesText(points: readonly TseriesPoint[], signed: boolean): string {
  if (points.length === 0) return '<no data>';
  let min = points[0]!.value;
  let max = points[0]!.value;
  for (const pt of points) {
    if (pt.value === undefined) continue;
    if (min === undefined || pt.value < min) min = pt.value;
    if (max === undefined || pt.value > max) max = pt.value;
  }
  let lo = min ?? 0n;
  let hi = max ?? 0n;
  if (lo === hi) {
    // try_dec / try_inc: some room on both sides unless at the type's bound.
    const minBound = signed ? -(1n << 63n) : 0n;
    const maxBound = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
    if (lo > minBound) lo--;
    if (hi < maxBound) hi++;
  }
  const span = points.length > 1 ? BigInt(points.length - 1) : 1n;
  const interval = (points[points.length - 1]!.start - points[0]!.start) / span;
  const unit = unitOf(interval);
  let timeFmt = 'hh:mm:ss';
  let timeSize = timeFmt.length;
  if (unit.digits > 0) {
    timeFmt += '.' + unit.name;
    timeSize += 1 + unit.digits;
  }
  const bounds = (): string => bytePad(lo.toString(), PADDING, true) + bytePad(hi.toString(), GRAPH_WIDTH - PADDING, false) + '\n';
  let res = ' '.repeat(timeSize + 1) + bounds();
  res += bytePad(timeFmt, timeSize + 1, true) + '|' + '_'.repeat(GRAPH_WIDTH - 2) + '|\n';
  const range = distance(lo, hi, signed);
  let zeroOffset = 0;
  if (signed && distance(lo, 0n, signed) < 0n && -hi < 0n) {
    zeroOffset = Math.trunc(f32(f32(f32(GRAPH_WIDTH) * f32(Number(distance(lo, 0n, signed)))) / f32(Number(range))));
  }
  for (const pt of points) {
    const line = new Array<string>(GRAPH_WIDTH).fill(' ');
    line[0] = '|';
    line[GRAPH_WIDTH - 1] = '|';
    if (zeroOffset > 0) line[zeroOffset] = '.';
    res += clockText(pt.start, unit.digits) + ' ';
    if (pt.value !== undefined) {
      let off = Math.trunc(GRAPH_WIDTH / 2);
      if (lo !== hi) off = Math.trunc(f32(f32(f32(GRAPH_WIDTH - 1) * f32(Number(distance(lo, pt.value, signed)))) / f32(Number(range))));
      line[Math.max(0, Math.min(GRAPH_WIDTH - 1, off))] = '*';
      res += line.join('') + ' ' + pt.value.toString() + '\n';
    } else {
      res += line.join('') + ' -\n';
    }
  }
  const bottom = 'v' + '_'.repeat(GRAPH_WIDTH - 2) + 'v';
  res += ' '.repeat(timeSize) + ' ' + bottom + '\n';
  res += ' '.repeat(timeSize) + ' ' + bounds();
  return res;
}

/** JsonEmitter<Value::TimeSeries>: intervals without a value are left out. */
export function tseriesJson(points: readonly TseriesPoint[]): string {
  const parts: string[] = [];
  for (const pt of points) {
    if (pt.value === undefined) continue;
    parts.push('{"interval_start":"' + utcTimestamp(pt.start) + '","value":' + pt.value.toString() + '}');
  }
  return '[' + parts.join(',') + ']';
}
