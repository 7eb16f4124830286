/**
 * Helpers for the output tests: fill histogram buckets the way bpftrace's BPF code does, and
 * collect what a renderer writes.
 */
import { histBucketCount, histBucketIndex, lhistBucketCount, lhistBucketIndex, type MapValue } from '../../../runtime/output/value.js';
import type { OutputOptions } from '../../../runtime/output/output.js';

/** `@ = hist(v, bits)` for every v in `values`. */
export function hist(values: readonly (number | bigint)[], bits = 0): MapValue {
  const buckets: bigint[] = new Array(histBucketCount(bits)).fill(0n);
  for (const v of values) buckets[histBucketIndex(BigInt(v), bits)]! += 1n;
  return bits ? { kind: 'hist', buckets, bits } : { kind: 'hist', buckets };
}

/** `@ = lhist(v, min, max, step)` for every v in `values`. */
export function lhist(values: readonly (number | bigint)[], min: number, max: number, step: number): MapValue {
  const [lo, hi, st] = [BigInt(min), BigInt(max), BigInt(step)];
  const buckets: bigint[] = new Array(lhistBucketCount(lo, hi, st)).fill(0n);
  for (const v of values) buckets[lhistBucketIndex(BigInt(v), lo, hi, st)]! += 1n;
  return { kind: 'lhist', min: lo, max: hi, step: st, buckets };
}

export interface Captured {
  opts: OutputOptions;
  out: () => string;
  err: () => string;
}

export function capture(color = false): Captured {
  const o: string[] = [];
  const e: string[] = [];
  return {
    opts: { out: { write: (s: string) => o.push(s) }, err: { write: (s: string) => e.push(s) }, color },
    out: () => o.join(''),
    err: () => e.join(''),
  };
}
