/**
 * The value model between decoding (ring-buffer records, map bytes) and printing (text, JSON).
 *
 * Pure data plus pure helpers: no I/O. The shapes mirror bpftrace 0.26's `output::Primitive` /
 * `output::Value` (src/output/output.h): a decoder turns raw bytes into `Value`s and `MapDump`s,
 * and every renderer (runtime/output/*) implements one `Output` interface over them.
 *
 * Reference: bpftrace v0.26.1 src/output/output.h, src/types_format.cpp,
 * src/ast/passes/codegen_llvm.cpp (createLog2Function / createLinearFunction: src/contract/histogram.ts).
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
  /**
   * Average already computed (total / count, truncated toward zero). The decoder also gives the
   * count and total it divided (the Prometheus export shows them); hand-made values may omit them.
   */
  | { kind: 'avg'; value: bigint; count?: bigint; total?: bigint }
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
  /** The key parts' names as the script writes them (`comm`, `pid`), when the compiler knows them all. */
  keyNames?: readonly string[];
  /** In the order the decoder read them (kernel iteration order); the renderer sorts. */
  entries: MapEntry[];
  /**
   * Optional: the map's value kind. Only consulted when `entries` is empty, where bpftrace's JSON
   * output still differs by kind (an empty avg/stats map prints `{"type": "stats", ..., {}}`).
   */
  kind?: MapValue['kind'];
}

/**
 * A map read but not decoded: `count` entries in kernel order, each key or value decoded on demand.
 * A map of a million keys is printed from one of these a chunk at a time (runtime/output/format-map.ts
 * `formatMapSource`), so its entries never all exist as objects at once.
 */
export interface MapSource {
  name: string;
  kind?: MapValue['kind'];
  count: number;
  key(i: number): Value[];
  value(i: number): MapValue;
}

/** A decoded dump as a source. */
export function dumpSource(dump: MapDump): MapSource {
  const e = dump.entries;
  return { name: dump.name, ...(dump.kind ? { kind: dump.kind } : {}), count: e.length, key: (i) => e[i]!.key, value: (i) => e[i]!.value };
}

export function isMapSource(m: MapDump | MapSource): m is MapSource {
  return !('entries' in m);
}

/** A map's entries as plain data, decoded all at once (for readers that keep them: the API, folded stacks). */
export function mapDumpOf(m: MapDump | MapSource): MapDump {
  if (!isMapSource(m)) return m;
  const entries: MapEntry[] = new Array(m.count);
  for (let i = 0; i < m.count; i++) entries[i] = { key: m.key(i), value: m.value(i) };
  return { name: m.name, ...(m.kind ? { kind: m.kind } : {}), entries };
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

// Histogram bucket layout (what BPF code fills and what the renderers read): one module shared
// with the compiler (src/contract/histogram.ts).
export { histBucketCount, histBucketIndex, histBucketLowerBound, histLabelValue, lhistBucketCount, lhistBucketIndex } from '../../src/contract/index.js';

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
 * `showpos`: printf's `%+s` puts a `+` before non-negative integers, inside aggregates too.
 */
export function valueText(v: Value, showpos = false): string {
  switch (v.kind) {
    case 'int':
      return showpos && v.value >= 0n ? '+' + v.value.toString() : v.value.toString();
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
      for (let i = 0; i < v.elems.length; i++) s += (i ? ', ' : '') + valueText(v.elems[i]!, showpos);
      return s + ')';
    }
    case 'array': {
      let s = '[';
      for (let i = 0; i < v.elems.length; i++) s += (i ? ',' : '') + valueText(v.elems[i]!, showpos);
      return s + ']';
    }
    case 'record': {
      if (v.fields.length === 0) return '{}';
      let s = '{ ';
      for (let i = 0; i < v.fields.length; i++) s += (i ? ', ' : '') + '.' + v.fields[i]!.name + ' = ' + valueText(v.fields[i]!.value, showpos);
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
