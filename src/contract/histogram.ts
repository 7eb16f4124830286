/**
 * Histogram bucket layout: the formulas the compiler's BPF code fills buckets by (src/passes/lower.ts)
 * and the runtime reads and labels them by (runtime/output/value.ts, runtime/output/). One module for both.
 *
 * Reference: bpftrace v0.26.1 src/ast/passes/codegen_llvm.cpp (createLog2Function /
 * createLinearFunction), src/types_format.cpp.
 */

/**
 * log2 histogram bucket index of `v` for `hist(v, k)`, exactly as bpftrace's kernel-side `log2`
 * helper computes it (codegen_llvm.cpp `createLog2Function`). `v` is taken as a signed 64-bit value.
 *
 * Layout, with N = 2^k:
 *   index 0                    v < 0
 *   index 1 + v                0 <= v < N                 (one value per bucket)
 *   index ((l - k + 1) << k) + x + 1   for v >= N, where l = position of the leftmost 1 bit of v
 *                              (0-based) and x = the k bits following it: (v >> (l - k)) & (N - 1).
 * So for k = 0: index 1 = [0], 2 = [1], 3 = [2, 4), 4 = [4, 8), ..., i = [2^(i-2), 2^(i-1)),
 * index 64 = [2^62, 2^63). For any k, bucket i >= 1 covers [L(i-1), L(i)) with L = `histLabelValue`
 * (N single-value buckets for 0..N-1, then N equal sub-buckets per power of two); e.g. k = 1:
 * 1 = [0], 2 = [1], 3 = [2], 4 = [3], 5 = [4, 6), 6 = [6, 8), 7 = [8, 12), 8 = [12, 16), ...
 * The number of buckets is `histBucketCount(k)` = (64 - k) * 2^k + 1 (65 for k = 0).
 *
 * BPF pseudo-code (branch-free leftmost-bit search, as bpftrace emits it):
 *   if (v < 0) return 0;                       // signed compare
 *   mask = (1 << k) - 1; if (v <= mask) return v + 1;
 *   l = 0; for i = 5..0: { s = (v >= (1 << (1 << i))) << i; v >>= s; l += s; }   // signed >=
 *   l -= k; x = (v0 >> l) & mask; return ((l + 1) << k) + x + 1;
 */
export function histBucketIndex(v: bigint, bits = 0): number {
  const n = BigInt.asIntN(64, v);
  if (n < 0n) return 0;
  const k = BigInt(bits);
  const mask = (1n << k) - 1n;
  if (n <= mask) return Number(n) + 1;
  const l = BigInt(n.toString(2).length - 1); // leftmost 1 bit, 0-based
  const shift = l - k;
  const x = (n >> shift) & mask;
  return Number(((shift + 1n) << k) + x + 1n);
}

/** Number of log2 buckets for `hist(v, bits)`: indexes 0 .. (64-bits)*2^bits. */
export function histBucketCount(bits = 0): number {
  return (64 - bits) * (1 << bits) + 1;
}

/**
 * Inclusive lower bound of log2 bucket `index` (>= 1) for `bits`; bucket 0 (negatives) has none.
 * Bucket i covers [histBucketLowerBound(i), histBucketLowerBound(i + 1)).
 */
export function histBucketLowerBound(index: number, bits = 0): bigint {
  if (index < 1) throw new RangeError('bucket 0 holds negative values and has no lower bound');
  return histLabelValue(index - 1, bits);
}

/**
 * bpftrace's label value L(i) (types_format.cpp `build_histogram`/`hist_index_label`): the upper
 * bound (exclusive) of bucket i, equal to the lower bound of bucket i + 1.
 */
export function histLabelValue(i: number, bits: number): bigint {
  if (i <= 2 << bits) return BigInt(i);
  const n = 1n << BigInt(bits);
  const interval = BigInt(i) & (n - 1n);
  const power = BigInt((i >> bits) - 1);
  return (1n << power) * (n + interval);
}

/**
 * Linear histogram bucket index of `v` for `lhist(v, min, max, step)`, exactly as bpftrace's
 * kernel-side `linear` helper computes it (codegen_llvm.cpp `createLinearFunction`):
 *   index 0                           v < min          (signed compare)
 *   index 1 + (max - min) / step      v > max          (the overflow bucket `[max, ...)`)
 *   index 1 + (v - min) / step        otherwise        (unsigned division)
 * Bucket i in 1 .. (max-min)/step covers [min + (i-1)*step, min + i*step); note v == max lands in
 * the overflow bucket when (max - min) is a multiple of step. Count: `lhistBucketCount`.
 */
export function lhistBucketIndex(v: bigint, min: bigint, max: bigint, step: bigint): number {
  const val = BigInt.asIntN(64, v);
  const lo = BigInt.asIntN(64, min);
  const hi = BigInt.asIntN(64, max);
  const st = BigInt.asUintN(64, step);
  if (val < lo) return 0;
  if (val > hi) return Number(BigInt.asUintN(64, hi - lo) / st + 1n);
  return Number(BigInt.asUintN(64, val - lo) / st + 1n);
}

/** Number of linear buckets: underflow, (max-min)/step in-range buckets, overflow. */
export function lhistBucketCount(min: bigint, max: bigint, step: bigint): number {
  return Number((max - min) / step) + 2;
}
