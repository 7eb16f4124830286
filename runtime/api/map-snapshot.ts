/** A decoded map (runtime/output/value.ts) as the API's plain data: sorted as printed, histograms as buckets with bounds. */
import { buildHistogram, buildLinearHistogram, sortEntries, type Histogram } from '../output/format-map.js';
import type { MapDump, MapValue } from '../output/value.js';
import type { HistogramBucket, MapSnapshot, MapsSnapshot, MapValueSnapshot } from './types.js';

export function mapSnapshot(dump: MapDump): MapSnapshot {
  const entries = dump.entries.length > 0 ? sortEntries(dump.entries, dump.entries[0]!.value.kind) : [];
  return { name: dump.name, entries: entries.map((e) => ({ key: e.key, value: valueSnapshot(e.value) })) };
}

export function mapsSnapshot(dumps: readonly MapDump[]): MapsSnapshot {
  const out: Record<string, MapSnapshot> = {};
  for (const d of dumps) out[d.name] = mapSnapshot(d);
  return out;
}

function valueSnapshot(v: MapValue): MapValueSnapshot {
  switch (v.kind) {
    case 'int':
      return { kind: v.agg ?? 'int', value: v.value };
    case 'avg':
      return { kind: 'avg', value: v.value };
    case 'stats':
      return { kind: 'stats', count: v.count, average: v.average, total: v.total };
    case 'hist':
      return { kind: 'hist', buckets: buckets(buildHistogram(v.buckets, 1n, v.bits ?? 0)) };
    case 'lhist':
      return { kind: 'lhist', min: v.min, max: v.max, step: v.step, buckets: buckets(buildLinearHistogram(v.buckets, v.min, v.max, v.step)) };
    case 'tseries':
      return { kind: 'tseries', points: v.points.map((p) => ({ start: p.start, value: p.value ?? null })) };
    case 'value':
      return { kind: 'value', value: v.value };
  }
}

/** Bucket i spans [label i-1, label i) (bucket 0 from the lower bound): the labels the CLI prints, as numbers. */
function buckets(h: Histogram): HistogramBucket[] {
  return h.counts.map((count, i) => ({
    min: i === 0 ? (h.lowerBound?.value ?? null) : h.labels[i - 1]!.value,
    max: h.labels[i]?.value ?? null,
    count,
  }));
}
