/**
 * The value model between decoding (ring-buffer records, map bytes) and printing (text, JSON).
 *
 * Pure data plus pure helpers: no I/O. The shapes mirror bpftrace 0.26's `output::Primitive` /
 * `output::Value` (src/output/output.h): a decoder turns raw bytes into `Value`s and `MapDump`s,
 * and every renderer (runtime/output/*) implements one `Output` interface over them.
 *
 * Reference: bpftrace v0.26.1 src/output/output.h, src/types_format.cpp,
 * src/ast/passes/codegen_llvm.cpp (createLog2Function / createLinearFunction).
 */

/** How a stack's frames are laid out (bpftrace `StackMode`). */
export type StackMode = 'bpftrace' | 'perf' | 'raw';

export type Value =
  /** Signedness already applied by the decoder (an unsigned 64-bit value is a non-negative bigint). */
  | { kind: 'int'; value: bigint }
  | { kind: 'str'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'tuple'; elems: Value[] }
  /**
   * Already symbolized frame texts, outermost last, without newlines or indentation.
   * In the default `bpftrace` mode each frame is printed indented by 8 spaces (bpftrace 0.26
   * `get_stack(..., indent=8)`); in `perf` and `raw` mode the decoder supplies the whole line
   * (`\t<hex addr> <sym>` resp. `<hex addr>`) and it is printed as is.
   */
  | { kind: 'stack'; frames: string[]; mode?: StackMode }
  /** bpftrace's `none`/`void`: text `null`, JSON `null`. */
  | { kind: 'none' }
  // ---- refinements: the other bpftrace 0.26 primitives ----
  /**
   * A value with a symbolic text form and a numeric one (bpftrace `Primitive::Symbolic`): pointers
   * (`0x7ffd...`), enum values (`FOO`). Text prints `text`; JSON prints `value` as a number.
   */
  | { kind: 'sym'; text: string; value: bigint }
  /** A struct or named tuple (bpftrace `Record`): text `{ .a = 1, .b = x }`, JSON `{"a": 1, "b": "x"}`. */
  | { kind: 'record'; fields: { name: string; value: Value }[] }
  /** A C array: text `[1,2,3]` (no spaces), JSON `[1,2,3]`. */
  | { kind: 'array'; elems: Value[] }
  /** A `buf()` value: text escapes non-printable bytes as `\xNN`. */
  | { kind: 'buffer'; bytes: Uint8Array };

export type MapValue =
  /** Plain int maps (`@x = 5`, `@x++`) and count/sum/min/max. */
  | { kind: 'int'; value: bigint; agg?: 'count' | 'sum' | 'min' | 'max' }
  /** Strings, tuples, stacks, records, bools ... stored in maps. Such maps are sorted by key. */
  | { kind: 'value'; value: Value }
  /** Average already computed (total / count, truncated toward zero). */
  | { kind: 'avg'; value: bigint }
  | { kind: 'stats'; count: bigint; average: bigint; total: bigint }
  /**
   * log2 histogram. `buckets[i]` is the count of bucket index i as computed by `histBucketIndex`
   * (see the layout there); `bits` is hist()'s second argument k (0..5), default 0. The array may
   * be shorter or longer than `histBucketCount(bits)`; missing entries count as 0.
   */
  | { kind: 'hist'; buckets: bigint[]; bits?: number }
  /**
   * Linear histogram. `buckets[i]` is the count of bucket index i as computed by
   * `lhistBucketIndex(v, min, max, step)` (see the layout there).
   */
  | { kind: 'lhist'; min: bigint; max: bigint; step: bigint; buckets: bigint[] }
  /**
   * tseries(): the intervals to print, oldest first (runtime/output/tseries.ts); `start` in ns since the
   * epoch, `value` absent for an interval with nothing recorded. `signed`: the values' type.
   */
  | { kind: 'tseries'; points: { start: bigint; value?: bigint }[]; signed: boolean };

/** `key = []` for a scalar map, `[k]` one key, `[k1, k2]` multi-key. */
export interface MapEntry {
  key: Value[];
  value: MapValue;
}

export interface MapDump {
  /** Includes '@', e.g. '@' or '@calls'. */
  name: string;
  /** In the order the decoder read them (kernel iteration order); the renderer sorts. */
  entries: MapEntry[];
  /**
   * Optional: the map's value kind. Only consulted when `entries` is empty, where bpftrace's JSON
   * output still differs by kind (an empty avg/stats map prints `{"type": "stats", ..., {}}`).
   */
  kind?: MapValue['kind'];
}

// ---------------------------------------------------------------------------------------------
// Constructors (convenience for decoders and tests)

export const V = {
  int: (v: bigint | number): Value => ({ kind: 'int', value: BigInt(v) }),
  str: (value: string): Value => ({ kind: 'str', value }),
  bool: (value: boolean): Value => ({ kind: 'bool', value }),
  tuple: (...elems: Value[]): Value => ({ kind: 'tuple', elems }),
  stack: (frames: string[], mode?: StackMode): Value => (mode ? { kind: 'stack', frames, mode } : { kind: 'stack', frames }),
  none: (): Value => ({ kind: 'none' }),
  sym: (text: string, value: bigint | number): Value => ({ kind: 'sym', text, value: BigInt(value) }),
  /** A pointer as bpftrace 0.26 formats it: `0x` + lowercase hex, JSON numeric. */
  ptr: (value: bigint | number): Value => {
    const v = BigInt.asUintN(64, BigInt(value));
    return { kind: 'sym', text: '0x' + v.toString(16), value: v };
  },
  record: (fields: Record<string, Value> | { name: string; value: Value }[]): Value => ({
    kind: 'record',
    fields: Array.isArray(fields) ? fields : Object.entries(fields).map(([name, value]) => ({ name, value })),
  }),
  array: (...elems: Value[]): Value => ({ kind: 'array', elems }),
  buffer: (bytes: Uint8Array | number[]): Value => ({ kind: 'buffer', bytes: Uint8Array.from(bytes) }),
};

// ---------------------------------------------------------------------------------------------
// Histogram bucket layout (what BPF code fills and what the renderers read)

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

// ---------------------------------------------------------------------------------------------
// Text form of a value (bpftrace 0.26 src/output/text.cpp TextEmitter<Primitive>)

/** The 8-space indented stack text bpftrace 0.26 prints: "\n" + one line per frame. */
export function stackText(frames: readonly string[], mode: StackMode = 'bpftrace'): string {
  let s = '\n';
  const pad = mode === 'bpftrace' ? '        ' : '';
  for (const f of frames) s += pad + f + '\n';
  return s;
}

/** `buf()` text: printable ASCII as is, other bytes as `\xNN` (util::hex_format_buffer). */
export function bufferText(bytes: Uint8Array, keepAscii = true, escapeHex = true): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (keepAscii && b >= 32 && b <= 126) s += String.fromCharCode(b);
    else if (escapeHex) s += '\\x' + b.toString(16).padStart(2, '0');
    else s += b.toString(16).padStart(2, '0') + (i === bytes.length - 1 ? '' : ' ');
  }
  return s;
}

/**
 * A value as bpftrace's text output prints it: strings unquoted, tuples `(1, two, 3)`,
 * records `{ .a = 1 }`, arrays `[1,2]`, bools `true`, none `null`, stacks as `stackText`.
 */
export function valueText(v: Value): string {
  switch (v.kind) {
    case 'int':
      return v.value.toString();
    case 'str':
      return v.value;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'none':
      return 'null';
    case 'sym':
      return v.text;
    case 'stack':
      return stackText(v.frames, v.mode);
    case 'buffer':
      return bufferText(v.bytes);
    case 'tuple': {
      let s = '(';
      for (let i = 0; i < v.elems.length; i++) s += (i ? ', ' : '') + valueText(v.elems[i]!);
      return s + ')';
    }
    case 'array': {
      let s = '[';
      for (let i = 0; i < v.elems.length; i++) s += (i ? ',' : '') + valueText(v.elems[i]!);
      return s + ']';
    }
    case 'record': {
      if (v.fields.length === 0) return '{}';
      let s = '{ ';
      for (let i = 0; i < v.fields.length; i++) s += (i ? ', ' : '') + '.' + v.fields[i]!.name + ' = ' + valueText(v.fields[i]!.value);
      return s + ' }';
    }
  }
}

/**
 * The text of a map key as it appears between `@name[` and `]`: one key prints as its value,
 * several keys as a tuple; in both cases a leading `(` and trailing `)` are dropped
 * (text.cpp `emit_map`), so `@[1, foo]`, and `@[(1, 2)]` also prints `@[1, 2]`.
 */
export function keyText(key: readonly Value[]): string {
  if (key.length === 1) {
    const k = key[0]!;
    if (k.kind === 'int') return k.value.toString();
    const s = valueText(k);
    return s.length >= 2 && s.charCodeAt(0) === 0x28 && s.charCodeAt(s.length - 1) === 0x29 ? s.slice(1, -1) : s;
  }
  // Several keys print as a tuple whose parentheses are dropped.
  let s = '';
  for (let i = 0; i < key.length; i++) s += (i ? ', ' : '') + valueText(key[i]!);
  return s;
}
