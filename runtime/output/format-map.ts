/**
 * Turns a decoded `MapDump` into what bpftrace 0.26 hands its output drivers: entries sorted and
 * cut (`top`), values divided (`div`), histograms trimmed and labelled. Shared by text.ts and json.ts.
 *
 * Reference: bpftrace v0.26.1 src/types_format.cpp (`format(..., const BpfMap &map, top, div)`,
 * `build_histogram`, `hist_index_label`, `build_linear_histogram`, `lhist_index_label`, `sort_by_key`).
 */
import { histLabelValue, type MapDump, type MapEntry, type MapValue, type Value } from './value.js';

/** A histogram label: a plain integer, or a symbolic one (`1K`) that is never a "single value". */
export type Label = { kind: 'int'; value: bigint } | { kind: 'sym'; text: string; value: bigint };

/**
 * bpftrace's `Value::Histogram`: `labels[i]` is the exclusive upper bound of bucket i; bucket 0's
 * lower bound is `lowerBound` (absent: `(..., x)`); a bucket past the last label has no upper bound.
 */
export interface Histogram {
  lowerBound?: Label;
  labels: Label[];
  counts: bigint[];
}

export type Cell =
  | { kind: 'prim'; value: Value }
  | { kind: 'hist'; hist: Histogram }
  /** tseries(): printed by runtime/output/tseries.ts. */
  | { kind: 'tseries'; points: readonly { start: bigint; value?: bigint }[]; signed: boolean };

export type FormattedMap =
  /** A scalar map (`@x`): bpftrace returns the bare value. */
  | { kind: 'single'; cell: Cell; stats: boolean }
  /** A keyed map (or an empty one): bpftrace's `OrderedMap`, possibly wrapped in `Stats`. */
  | { kind: 'map'; entries: { key: Value[]; cell: Cell }[]; stats: boolean };

export interface MapPrintOptions {
  /** Keep only the last (= largest) N entries after sorting; 0 or absent keeps all. */
  top?: number;
  /** Divide values by this (ints, avg, stats average, hist counts; not lhist); 0 means 1. */
  div?: number;
}

export function formatMap(dump: MapDump, opts: MapPrintOptions = {}): FormattedMap {
  const entries = dump.entries;
  if (entries.length === 0) {
    const k = dump.kind;
    return { kind: 'map', entries: [], stats: k === 'avg' || k === 'stats' };
  }
  const first = entries[0]!.value;
  const stats = first.kind === 'avg' || first.kind === 'stats';
  let sorted = sortEntries(entries, first.kind);
  const top = first.kind === 'tseries' ? 0 : opts.top ?? 0;
  if (top > 0 && sorted.length > top) sorted = sorted.slice(sorted.length - top);
  const div = BigInt(opts.div || 1);

  if (entries[0]!.key.length === 0) {
    return { kind: 'single', cell: cellOf(sorted[0]!.value, div), stats };
  }
  const out: { key: Value[]; cell: Cell }[] = new Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) out[i] = { key: sorted[i]!.key, cell: cellOf(sorted[i]!.value, div) };
  return { kind: 'map', entries: out, stats };
}

function cellOf(v: MapValue, div: bigint): Cell {
  switch (v.kind) {
    case 'int':
      return { kind: 'prim', value: { kind: 'int', value: div === 1n ? v.value : v.value / div } };
    case 'avg':
      return { kind: 'prim', value: { kind: 'int', value: div === 1n ? v.value : v.value / div } };
    case 'stats':
      return {
        kind: 'prim',
        value: {
          kind: 'record',
          fields: [
            { name: 'count', value: { kind: 'int', value: v.count } },
            { name: 'average', value: { kind: 'int', value: div === 1n ? v.average : v.average / div } },
            { name: 'total', value: { kind: 'int', value: v.total } },
          ],
        },
      };
    case 'value':
      return { kind: 'prim', value: div === 1n ? v.value : divValue(v.value, div) };
    case 'hist':
      return { kind: 'hist', hist: buildHistogram(v.buckets, div, v.bits ?? 0) };
    case 'lhist':
      // N.B. div has no effect on linear histograms (types_format.cpp).
      return { kind: 'hist', hist: buildLinearHistogram(v.buckets, v.min, v.max, v.step) };
    case 'tseries':
      // top and div do not apply (types_format.cpp).
      return { kind: 'tseries', points: v.points, signed: v.signed };
  }
}

/** bpftrace passes `div` down into tuples/records/arrays, dividing every plain integer inside. */
function divValue(v: Value, div: bigint): Value {
  switch (v.kind) {
    case 'int':
      return { kind: 'int', value: v.value / div };
    case 'tuple':
      return { kind: 'tuple', elems: v.elems.map((e) => divValue(e, div)) };
    case 'array':
      return { kind: 'array', elems: v.elems.map((e) => divValue(e, div)) };
    case 'record':
      return { kind: 'record', fields: v.fields.map((f) => ({ name: f.name, value: divValue(f.value, div) })) };
    default:
      return v;
  }
}

// ---------------------------------------------------------------------------------------------
// Sorting

/**
 * Sort order (types_format.cpp): count/sum/int ascending by value; min/max by value compared as
 * uint64 (bpftrace uses `min_max_value<uint64_t>` even for signed maps, so negatives sort last);
 * avg/stats by average; hist/lhist by the total of all buckets; everything else by key.
 * The sort is stable, so ties keep the decoder's (kernel iteration) order, which is what
 * bpftrace's std::sort does for maps of up to 16 entries.
 */
export function sortEntries(entries: readonly MapEntry[], kind: MapValue['kind']): MapEntry[] {
  const arr = entries.slice();
  switch (kind) {
    case 'int': {
      const keyed = arr.map((e) => {
        const v = e.value as Extract<MapValue, { kind: 'int' }>;
        const k = v.agg === 'min' || v.agg === 'max' ? BigInt.asUintN(64, v.value) : v.value;
        return { e, k };
      });
      keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      return keyed.map((x) => x.e);
    }
    case 'avg':
    case 'stats': {
      const avg = (m: MapValue): bigint => (m.kind === 'avg' ? m.value : m.kind === 'stats' ? m.average : 0n);
      arr.sort((a, b) => cmpBig(avg(a.value), avg(b.value)));
      return arr;
    }
    case 'hist':
    case 'lhist': {
      const keyed = arr.map((e) => {
        let total = 0n;
        for (const c of (e.value as { buckets: bigint[] }).buckets) total += c;
        return { e, k: total };
      });
      keyed.sort((a, b) => cmpBig(a.k, b.k));
      return keyed.map((x) => x.e);
    }
    case 'value':
      return sortByKey(arr);
    case 'tseries':
      // Already in the order of the keys' bytes (runtime/output/tseries.ts collectTseries).
      return arr;
  }
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `sort_by_key`: integer keys numerically, string keys bytewise, tuple keys (and multi-keys) by
 * their integer and string fields, first field most significant; fields of other types, and keys
 * of other types (stacks, bools, records ...), do not take part, leaving the decoder's order.
 */
function sortByKey(arr: MapEntry[]): MapEntry[] {
  if (arr.length < 2) return arr;
  const fieldsOf = (key: Value[]): Value[] => (key.length === 1 && key[0]!.kind === 'tuple' ? key[0]!.elems : key);
  const sample = fieldsOf(arr[0]!.key);
  const idx: number[] = [];
  sample.forEach((f, i) => {
    if (f.kind === 'int' || f.kind === 'str' || f.kind === 'sym') idx.push(i);
  });
  if (idx.length === 0) return arr;
  const keyed = arr.map((e) => ({ e, f: fieldsOf(e.key) }));
  if (idx.length === 1) {
    const i = idx[0]!;
    keyed.sort((a, b) => cmpField(a.f[i], b.f[i]));
  } else {
    keyed.sort((a, b) => {
      for (const i of idx) {
        const c = cmpField(a.f[i], b.f[i]);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  return keyed.map((x) => x.e);
}

function cmpField(a: Value | undefined, b: Value | undefined): number {
  if (!a || !b) return 0;
  if ((a.kind === 'int' || a.kind === 'sym') && (b.kind === 'int' || b.kind === 'sym')) return cmpBig(a.value, b.value);
  if (a.kind === 'str' && b.kind === 'str') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Histograms

function nonEmptyRange(values: readonly bigint[]): [number, number] {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > 0n) {
      if (lo === -1) lo = i;
      hi = i;
    }
  }
  return [lo, hi];
}

const SUFFIX = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** `build_histogram`'s label for index i: plain integers up to 2<<k, then `hist_index_label`. */
function histLabel(i: number, k: number): Label {
  if (i <= 2 << k) return { kind: 'int', value: BigInt(i) };
  const n = 1n << BigInt(k);
  const interval = BigInt(i) & (n - 1n);
  let power = (i >> k) - 1;
  const decade = Math.floor(power / 10);
  power -= 10 * decade;
  const text = ((1n << BigInt(power)) * (n + interval)).toString() + SUFFIX[decade]!;
  return { kind: 'sym', text, value: histLabelValue(i, k) };
}

export function buildHistogram(values: readonly bigint[], div: bigint, k: number): Histogram {
  const hist: Histogram = { labels: [], counts: [] };
  const [lo, hi] = nonEmptyRange(values);
  if (lo === -1) return hist;
  if (lo !== 0) hist.lowerBound = histLabel(lo - 1, k);
  for (let i = lo; i <= hi; i++) {
    hist.labels.push(histLabel(i, k));
    hist.counts.push(div === 1n ? values[i]! : values[i]! / div);
  }
  return hist;
}

const KILO = 1024n;
const MEGA = 1024n * 1024n;

/** `lhist_index_label`: K/M suffixes only when the step is a multiple of 1024. */
function lhistLabel(n: bigint, step: bigint): Label {
  if (step % KILO !== 0n) return { kind: 'int', value: n };
  let text: string;
  if (n === 0n) text = '0';
  else if (n % MEGA === 0n) text = (n / MEGA).toString() + 'M';
  else if (n % KILO === 0n) text = (n / KILO).toString() + 'K';
  else text = n.toString();
  return { kind: 'sym', text, value: n };
}

export function buildLinearHistogram(values: readonly bigint[], min: bigint, max: bigint, step: bigint): Histogram {
  const hist: Histogram = { labels: [], counts: [] };
  const [lo, hi] = nonEmptyRange(values);
  if (lo === -1) return hist;
  if (lo !== 0) hist.lowerBound = lhistLabel(min + BigInt(lo - 1) * step, step);
  for (let i = lo; i <= hi; i++) {
    // The final bucket represents values over the label: it has no label of its own.
    const bound = min + BigInt(i) * step;
    if (bound <= max) hist.labels.push(lhistLabel(bound, step));
    hist.counts.push(values[i]!);
  }
  return hist;
}

export function labelText(l: Label): string {
  return l.kind === 'int' ? l.value.toString() : l.text;
}

/** text.cpp `single_value`: two plain integer labels one apart print as `[n]`. */
export function isSingleValue(a: Label, b: Label): boolean {
  return a.kind === 'int' && b.kind === 'int' && a.value + 1n === b.value;
}
