/**
 * Maps as Prometheus metrics: the text exposition formats, OpenMetrics 1.0 (what Prometheus asks
 * for) and Prometheus 0.0.4 (curl, older scrapers). Pure: `MapDump`s in, text out.
 *
 * Hand-written rather than through prom-client: prom-client builds metrics from observations
 * (`counter.inc()`, `histogram.observe(v)`), while tsbpf reads finished aggregates from the kernel
 * (a count to set, histogram buckets already counted in log2 or linear bounds), which its API has
 * no way to state; the format itself is a few lines per metric type.
 *
 * What each map kind becomes (README.md "Prometheus export"):
 *   count(), sum()            counter    tsbpf_NAME_total{map="@NAME",key="..."}
 *   min(), max(), @x = v      gauge      tsbpf_NAME{...}
 *   avg(), stats()            gauges     tsbpf_NAME_count, tsbpf_NAME_sum, tsbpf_NAME_avg
 *   hist(), lhist()           histogram  tsbpf_NAME_bucket{...,le="..."} (cumulative), tsbpf_NAME_count
 *   strings, tuples, tseries  left out (no number to show)
 * A histogram has no `_sum`: its buckets are all the kernel keeps (as in bpftrace), and OpenMetrics
 * makes the sum optional. Values are integers, so a bucket [4, 8) is `le="7"` (every value <= 7).
 */
import { sortEntries } from '../output/format-map.js';
import { histLabelValue, type MapDump, type MapEntry, type MapValue } from '../output/value.js';
import { escapeLabelValue, keyLabelNames, keyLabelValues, metricBaseName } from './metric-names.js';

export type ExpositionFormat = 'openmetrics' | 'prometheus';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
};

/** OpenMetrics when the scraper asks for it (Prometheus does), else the classic text format. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

/** The most keys of one map exported when the script sets no `export_max_series`. */
export const DEFAULT_MAX_SERIES = 1000;

export interface ExpositionOptions {
  readonly format: ExpositionFormat;
  /** The most keys of one map rendered; the largest values (print()'s order) are kept. */
  readonly maxSeries: number;
  /** A map had `keys` keys, more than `maxSeries`: only the largest `kept` were rendered. */
  readonly onTruncated?: (map: string, keys: number, kept: number) => void;
  /** A map's metric names would repeat those of map `other` (`@a_count` beside `avg()` map `@a`): it was left out. */
  readonly onNameClash?: (map: string, other: string) => void;
}

type Family = 'counter' | 'gauge' | 'stats' | 'histogram';

/** The metric type of a map, from one of its values; undefined for values no metric holds. */
function familyOf(v: MapValue): Family | undefined {
  switch (v.kind) {
    case 'int':
      return v.agg === 'count' || v.agg === 'sum' ? 'counter' : 'gauge';
    case 'avg':
    case 'stats':
      return 'stats';
    case 'hist':
    case 'lhist':
      return 'histogram';
    default:
      return undefined;
  }
}

/** Every sample name a family of `base` writes, and its own name (for clashes between maps). */
function namesOf(base: string, family: Family): string[] {
  switch (family) {
    case 'counter':
      return [base, `${base}_total`];
    case 'gauge':
      return [base];
    case 'stats':
      return [`${base}_count`, `${base}_sum`, `${base}_avg`];
    case 'histogram':
      return [base, `${base}_bucket`, `${base}_count`, `${base}_sum`];
  }
}

/** Renders every map; maps without entries or without numbers are left out. */
export function renderExposition(dumps: readonly MapDump[], opts: ExpositionOptions): string {
  const out: string[] = [];
  const owner = new Map<string, string>();
  for (const dump of dumps) {
    const first = dump.entries[0];
    const family = first && familyOf(first.value);
    if (!first || !family) continue;
    const base = metricBaseName(dump.name);
    const names = namesOf(base, family);
    const clash = names.find((n) => owner.has(n));
    if (clash !== undefined) {
      opts.onNameClash?.(dump.name, owner.get(clash)!);
      continue;
    }
    for (const n of names) owner.set(n, dump.name);
    let entries: readonly MapEntry[] = dump.entries;
    if (entries.length > opts.maxSeries) {
      entries = sortEntries(entries, first.value.kind).slice(entries.length - opts.maxSeries);
      opts.onTruncated?.(dump.name, dump.entries.length, entries.length);
    }
    const labelNames = keyLabelNames(first.key, dump.keyNames);
    const labels = (e: MapEntry, extra = ''): string => {
      const values = keyLabelValues(e.key);
      let s = `{map="${escapeLabelValue(dump.name)}"`;
      for (let i = 0; i < labelNames.length; i++) s += `,${labelNames[i]}="${escapeLabelValue(values[i] ?? '')}"`;
      return s + extra + '}';
    };
    const help = `tsbpf map ${dump.name}`;
    switch (family) {
      case 'counter': {
        // OpenMetrics names the family without `_total`; the classic format names the sample.
        header(out, opts.format === 'openmetrics' ? base : `${base}_total`, 'counter', help);
        for (const e of entries) out.push(`${base}_total${labels(e)} ${(e.value as { value: bigint }).value}`);
        break;
      }
      case 'gauge':
        header(out, base, 'gauge', help);
        for (const e of entries) out.push(`${base}${labels(e)} ${(e.value as { value: bigint }).value}`);
        break;
      case 'stats':
        statsLines(out, base, help, entries, labels);
        break;
      case 'histogram':
        header(out, base, 'histogram', help);
        for (const e of entries) histogramLines(out, base, e.value, (extra) => labels(e, extra));
        break;
    }
  }
  if (opts.format === 'openmetrics') out.push('# EOF');
  return out.length ? out.join('\n') + '\n' : '';
}

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
}

/** avg()/stats(): three gauges, the count of values, their total and the (truncated) average. */
function statsLines(out: string[], base: string, help: string, entries: readonly MapEntry[], labels: (e: MapEntry) => string): void {
  const parts = entries.map((e) => {
    const v = e.value;
    if (v.kind === 'stats') return { e, count: v.count, total: v.total, avg: v.average };
    const a = v as Extract<MapValue, { kind: 'avg' }>;
    return { e, count: a.count, total: a.total, avg: a.value };
  });
  const gauge = (suffix: string, what: string, pick: (p: (typeof parts)[number]) => bigint | undefined): void => {
    const rows = parts.filter((p) => pick(p) !== undefined);
    if (rows.length === 0) return;
    header(out, `${base}_${suffix}`, 'gauge', `${help}: ${what}`);
    for (const p of rows) out.push(`${base}_${suffix}${labels(p.e)} ${pick(p)}`);
  };
  gauge('count', 'number of values', (p) => p.count);
  gauge('sum', 'total of the values', (p) => p.total);
  gauge('avg', 'average value', (p) => p.avg);
}

/**
 * One histogram's `_bucket` lines (cumulative, each with its inclusive upper bound `le`) and
 * `_count`. log2: bucket 0 holds negative values (`le="-1"`), bucket i >= 1 holds
 * [L(i-1), L(i)) (src/contract/histogram.ts), listed up to the last bucket with a count. Linear:
 * the underflow bucket (`le` = min - 1) and every in-range bucket; the overflow bucket is `+Inf`.
 */
function histogramLines(out: string[], base: string, v: MapValue, labels: (extra: string) => string): void {
  const buckets = (v as { buckets: bigint[] }).buckets;
  let bounds: bigint[];
  if (v.kind === 'hist') {
    let last = buckets.length - 1;
    while (last >= 0 && buckets[last] === 0n) last--;
    bounds = [];
    for (let i = 0; i <= last; i++) bounds.push(i === 0 ? -1n : histLabelValue(i, v.bits ?? 0) - 1n);
  } else {
    const l = v as Extract<MapValue, { kind: 'lhist' }>;
    const n = Number((l.max - l.min) / l.step);
    bounds = [];
    for (let i = 0; i <= n; i++) bounds.push(l.min + BigInt(i) * l.step - 1n);
  }
  let cumulative = 0n;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += buckets[i] ?? 0n;
    out.push(`${base}_bucket${labels(`,le="${bounds[i]}"`)} ${cumulative}`);
  }
  let total = 0n;
  for (const c of buckets) total += c;
  out.push(`${base}_bucket${labels(',le="+Inf"')} ${total}`);
  out.push(`${base}_count${labels('')} ${total}`);
}
