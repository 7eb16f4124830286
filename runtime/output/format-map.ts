/**
 * Turns a decoded `MapDump` into what bpftrace 0.26 hands its output drivers: entries sorted and
 * cut (`top`), values divided (`div`), histograms trimmed and labelled. Shared by text.ts and json.ts.
 *
 * Reference: bpftrace v0.26.1 src/types_format.cpp (`format(..., const BpfMap &map, top, div)`,
 * `build_histogram`, `hist_index_label`, `build_linear_histogram`, `lhist_index_label`, `sort_by_key`).
 */
import { dumpSource, histLabelValue, type MapDump, type MapEntry, type MapSource, type MapValue, type Value } from './value.js';

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

/**
 * A big map is written as it is rendered, a chunk of about this many characters at a time, never
 * held as one string. Small, so that little of the text is alive when the young generation is
 * collected: what survives those collections is what makes V8 grow it (up to 32 MiB).
 */
export const MAP_CHUNK_CHARS = 8192;

/** A formatted map whose keyed entries are made on demand, in print order (a big map is rendered a chunk at a time). */
export type FormattedMapStream =
  | { kind: 'single'; cell: Cell; stats: boolean }
  | { kind: 'map'; count: number; entry(j: number): { key: Value[]; cell: Cell }; stats: boolean };

export function formatMap(dump: MapDump, opts: MapPrintOptions = {}): FormattedMap {
  const f = formatMapSource(dumpSource(dump), opts);
  if (f.kind === 'single') return f;
  const entries: { key: Value[]; cell: Cell }[] = new Array(f.count);
  for (let j = 0; j < f.count; j++) entries[j] = f.entry(j);
  return { kind: 'map', entries, stats: f.stats };
}

/**
 * Sorts by an index permutation (a Uint32Array) computed from one number per entry, so only the
 * entries being printed are decoded into objects.
 */
export function formatMapSource(src: MapSource, opts: MapPrintOptions = {}): FormattedMapStream {
  if (src.count === 0) {
    const k = src.kind;
    return { kind: 'map', count: 0, entry: () => ({ key: [], cell: { kind: 'prim', value: { kind: 'none' } } }), stats: k === 'avg' || k === 'stats' };
  }
  const first = src.value(0);
  const stats = first.kind === 'avg' || first.kind === 'stats';
  let order = sortOrder(src, first.kind);
  const top = first.kind === 'tseries' ? 0 : opts.top ?? 0;
  if (top > 0 && order.length > top) order = order.subarray(order.length - top);
  const div = BigInt(opts.div || 1);

  if (src.key(0).length === 0) {
    return { kind: 'single', cell: cellOf(src.value(order[0]!), div), stats };
  }
  return {
    kind: 'map',
    count: order.length,
    entry(j: number) {
      const i = order[j]!;
      return { key: src.key(i), cell: cellOf(src.value(i), div) };
    },
    stats,
  };
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
 * bpftrace's std::sort does for maps of up to 16 entries. Returns entry indices in print order.
 */
function sortOrder(src: MapSource, kind: MapValue['kind']): Uint32Array {
  switch (kind) {
    case 'int':
      return orderByNumber(src.count, (i) => {
        const v = src.value(i) as Extract<MapValue, { kind: 'int' }>;
        return v.agg === 'min' || v.agg === 'max' ? BigInt.asUintN(64, v.value) : v.value;
      });
    case 'avg':
    case 'stats':
      return orderByNumber(src.count, (i) => {
        const m = src.value(i);
        return m.kind === 'avg' ? m.value : m.kind === 'stats' ? m.average : 0n;
      });
    case 'hist':
    case 'lhist':
      return orderByNumber(src.count, (i) => {
        let total = 0n;
        for (const c of (src.value(i) as { buckets: bigint[] }).buckets) total += c;
        return total;
      });
    case 'value':
      return orderByKey(src);
    case 'tseries':
      // Already in the order of the keys' bytes (runtime/output/tseries.ts collectTseries).
      return identityOrder(src.count);
  }
}

/**
 * The order maps print in at exit (and in listings): by name, bytewise, as bpftrace's std::map of
 * map names (`@M` before `@a`), not by locale.
 */
export function compareMapNames(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `entries` in print order (the API's map snapshots keep the CLI's order). */
export function sortEntries(entries: readonly MapEntry[], kind: MapValue['kind']): MapEntry[] {
  return Array.from(sortOrder(dumpSource({ name: '', entries: [...entries] }), kind), (i) => entries[i]!);
}

function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

const INDEX_RANGE = 2 ** 21;
const HALF_INT32 = 2 ** 31;

/**
 * Indices sorted by one bigint per entry, ties in index order (a stable sort). Memory: 8 bytes an
 * entry in the common case (packed doubles), 16 for other 64-bit values (radix sort).
 */
function orderByNumber(n: number, keyOf: (i: number) => bigint): Uint32Array {
  if (n <= INDEX_RANGE) {
    // Common case, no comparator: (key + 2^31) * 2^21 + index is exact in a double (< 2^53),
    // so a plain numeric sort of the packed values is the stable sort by key.
    const packed = new Float64Array(n);
    let fits = true;
    for (let i = 0; i < n; i++) {
      const k = keyOf(i);
      if (k < -2147483648n || k > 2147483647n) {
        fits = false;
        break;
      }
      packed[i] = (Number(k) + HALF_INT32) * INDEX_RANGE + i;
    }
    if (fits) {
      packed.sort();
      // The indices are written over the packed values' own bytes: index j lands in value j / 2,
      // which was read before.
      const order = new Uint32Array(packed.buffer, 0, n);
      for (let j = 0; j < n; j++) order[j] = packed[j]! % INDEX_RANGE;
      return order;
    }
  }
  return radixOrder(n, keyOf) ?? comparatorOrder(n, keyOf);
}

const U64_LIMIT = 1n << 64n;
const I64_MIN = -(1n << 63n);
const I64_LIMIT = 1n << 63n;

/**
 * A stable LSD radix sort of the indices by 64-bit values, 16 bits a pass (a pass is skipped where
 * every value has the same digit), without a bigint per comparison. Undefined when the values do
 * not fit one 64-bit order (negative ones with ones past 2^63, or past 2^64).
 */
function radixOrder(n: number, keyOf: (i: number) => bigint): Uint32Array | undefined {
  const values = new BigUint64Array(n);
  let negative = false;
  let high = false;
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    if (k < I64_MIN || k >= U64_LIMIT) return undefined;
    if (k < 0n) negative = true;
    else if (k >= I64_LIMIT) high = true;
    values[i] = BigInt.asUintN(64, k);
  }
  if (negative && high) return undefined;
  // Two 32-bit halves a value (little-endian: low word first); with negative values the sign bit
  // is flipped, so that the unsigned order of the words is the signed order of the values.
  const words = new Uint32Array(values.buffer);
  if (negative) for (let i = 1; i < words.length; i += 2) words[i] = (words[i]! ^ 0x80000000) >>> 0;
  let order: Uint32Array = identityOrder(n);
  let next: Uint32Array = new Uint32Array(n);
  const counts = new Uint32Array(0x10001);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((words[2 * i + word]! >>> shift) & 0xffff) + 1]!++;
    if (counts[((words[word]! >>> shift) & 0xffff) + 1] === n) continue;
    for (let d = 0; d < 0x10000; d++) counts[d + 1]! += counts[d]!;
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      next[counts[(words[2 * i + word]! >>> shift) & 0xffff]!++] = i;
    }
    const sorted = next;
    next = order;
    order = sorted;
  }
  return order;
}

/** Any bigints (sums past 64 bits): a comparator sort. */
function comparatorOrder(n: number, keyOf: (i: number) => bigint): Uint32Array {
  const keys: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = keyOf(i);
  const order = identityOrder(n);
  order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
  return order;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `sort_by_key`: integer keys numerically, string keys bytewise, tuple keys (and multi-keys) by
 * their integer and string fields, first field most significant; fields of other types, and keys
 * of other types (stacks, bools, records ...), do not take part, leaving the decoder's order.
 */
function orderByKey(src: MapSource): Uint32Array {
  const n = src.count;
  if (n < 2) return identityOrder(n);
  const fieldsOf = (key: Value[]): Value[] => (key.length === 1 && key[0]!.kind === 'tuple' ? key[0]!.elems : key);
  const idx: number[] = [];
  fieldsOf(src.key(0)).forEach((f, i) => {
    if (f.kind === 'int' || f.kind === 'str' || f.kind === 'sym') idx.push(i);
  });
  if (idx.length === 0) return identityOrder(n);
  const one = idx.length === 1 ? fieldsOf(src.key(0))[idx[0]!]!.kind : undefined;
  if (one === 'int' || one === 'sym') {
    // One integer field (`@[pid] = ...`): a sort by number, with no objects kept per entry.
    return orderByNumber(n, (i) => {
      const f = fieldsOf(src.key(i))[idx[0]!];
      return f?.kind === 'int' || f?.kind === 'sym' ? f.value : 0n;
    });
  }
  // Only the fields that take part are kept.
  const fields: (Value | undefined)[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const all = fieldsOf(src.key(i));
    fields[i] = idx.map((f) => all[f]);
  }
  const order = identityOrder(n);
  order.sort((a, b) => {
    const fa = fields[a]!;
    const fb = fields[b]!;
    for (let f = 0; f < fa.length; f++) {
      const c = cmpField(fa[f], fb[f]);
      if (c !== 0) return c;
    }
    return a - b;
  });
  return order;
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
