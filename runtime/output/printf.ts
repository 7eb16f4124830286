/**
 * printf()-style formatting as bpftrace 0.26 does it (src/format_string.cpp), over runtime/output/value.ts
 * values; the format syntax is src/contract/printf-syntax.ts. `%s` prints a value as `valueText`.
 *
 * bpftrace 0.26 does NOT call C printf: it parses specs with one regex and formats each argument
 * through a C++ iostream. The observable differences from C printf, all reproduced here by the
 * default `bpftrace` dialect:
 *   - flags must appear in the order `-`, `+`, space, `#`, `0`, each at most once; a `%` that does
 *     not match the regex is printed literally (no error);
 *   - the `0` flag sets the fill character and padding stays on the side given by `-`:
 *     `%05d` of -42 is `00-42`, `%-05d` of 42 is `42000`, `%#06x` of 255 is `000xff`;
 *   - precision is ignored for integers and strings (`%.3s` of "abcdef" is `abcdef`);
 *   - the space flag is ignored; `+` only affects signed decimal output (and ints printed by `%s`);
 *   - `%#x`/`%#o` add `0x`/`0` only for non-zero values; `%p` prints `0x...`, or `0` for NULL;
 *   - width `*` and precision `*` are accepted and ignored (they consume no argument);
 *   - for `%s` of a tuple/record/array the width pads only the opening `(` / `{ ` / `[`.
 * Integer conversions cast like C: no length modifier means `int`/`unsigned int` (so `%d` of
 * 0x100000005 is 5 and `%u` of -1 is 4294967295), `hh` char, `h` short, `l ll j z t` 64-bit.
 * The `c` dialect implements ISO C / glibc printf semantics instead, for comparison.
 */

import { parseFormat, type FormatSpec, type ParsedFormat } from '../../src/contract/index.js';
import { gfpFlagsText } from './gfp-flags.js';
import { formatC } from './printf-c.js';
import { byteLength, castInteger, conversionError, FLOAT_CONVERSIONS, INTEGER_CONVERSIONS, repeatPad, toNumber } from './printf-args.js';
import { bufferText, valueText, type Value } from './value.js';

export { gfpFlagsText } from './gfp-flags.js';

/** A printf argument: bigint/number are integers, JS strings are strings. */
export type FormatArg = bigint | number | string | Value;
/** The values printf formats: runtime/output/value.ts `Value`. */
export type FormatValue = Value;

export type PrintfDialect = 'bpftrace' | 'c';

export interface FormatOptions {
  /** `bpftrace` (default): bpftrace 0.26's iostream semantics. `c`: ISO C / glibc printf. */
  dialect?: PrintfDialect;
}

const cache = new Map<string, ParsedFormat>();

function parsedCached(fmt: string): ParsedFormat {
  let p = cache.get(fmt);
  if (!p) {
    if (cache.size > 1024) cache.clear();
    p = parseFormat(fmt);
    cache.set(fmt, p);
  }
  return p;
}

/**
 * Format `args` with `fmt`. bigint/number arguments are integers, JS strings are strings. As in
 * bpftrace, a value a conversion cannot take is written as `!{invalid integer conversion: <text>}`
 * and missing arguments leave their specs (and the text between them) out.
 */
export function formatPrintf(fmt: string | ParsedFormat, args: readonly FormatArg[], opts: FormatOptions = {}): string {
  const parsed = typeof fmt === 'string' ? parsedCached(fmt) : fmt;
  const c = opts.dialect === 'c';
  const n = Math.min(args.length, parsed.specs.length);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += parsed.fragments[i]!;
    const v = toValue(args[i]!);
    s += c ? formatC(parsed.specs[i]!, v) : applyBpftrace(parsed.specs[i]!, v);
  }
  return s + parsed.fragments[parsed.fragments.length - 1]!;
}

function toValue(a: FormatArg): Value {
  if (typeof a === 'bigint') return { kind: 'int', value: a };
  if (typeof a === 'number') return { kind: 'int', value: BigInt(Math.trunc(a)) };
  if (typeof a === 'string') return { kind: 'str', value: a };
  return a;
}

// ---- bpftrace (iostream) semantics ----------------------------------------------------------

function streamPad(body: string, spec: FormatSpec): string {
  const w = spec.width;
  if (w <= 0) return body;
  const pad = w - byteLength(body);
  if (pad <= 0) return body;
  const fill = repeatPad(spec.flags.zero ? '0' : ' ', pad);
  return spec.flags.minus ? body + fill : fill + body;
}

function applyBpftrace(spec: FormatSpec, v: Value): string {
  const conv = spec.conversion;
  if (INTEGER_CONVERSIONS.has(conv) || FLOAT_CONVERSIONS.has(conv)) {
    const n = toNumber(v);
    return n === undefined ? conversionError('invalid integer conversion', v) : streamNumber(spec, n);
  }
  switch (conv) {
    case 'r':
    case 'rx':
    case 'rh':
      if (v.kind === 'buffer') return streamPad(bufferText(v.bytes, conv === 'r', conv !== 'rh'), spec);
      return stringSpec(spec, v);
    case 'gr': {
      if (v.kind !== 'int' && v.kind !== 'sym') return conversionError('invalid GFP flags conversion', v);
      return streamPad(gfpFlagsText(BigInt.asUintN(64, v.value)), spec);
    }
    default:
      return stringSpec(spec, v);
  }
}

/** An integer or floating conversion of the integer `n0`, through a C++ stream. */
function streamNumber(spec: FormatSpec, n0: bigint): string {
  const conv = spec.conversion;
  switch (conv) {
    case 'd':
    case 'i': {
      const n = castInteger(spec, n0, true);
      const body = n < 0n ? n.toString() : (spec.flags.plus ? '+' : '') + n.toString();
      return streamPad(body, spec);
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      const n = castInteger(spec, n0, false);
      let body: string;
      if (conv === 'u') body = n.toString();
      else if (conv === 'o') body = (spec.flags.hash && n !== 0n ? '0' : '') + n.toString(8);
      else if (conv === 'x') body = (spec.flags.hash && n !== 0n ? '0x' : '') + n.toString(16);
      else body = (spec.flags.hash && n !== 0n ? '0X' : '') + n.toString(16).toUpperCase();
      return streamPad(body, spec);
    }
    case 'c':
      return streamPad(String.fromCharCode(Number(BigInt.asUintN(8, n0))), spec);
    case 'p': {
      const n = BigInt.asUintN(64, n0);
      return streamPad(n === 0n ? '0' : '0x' + n.toString(16), spec);
    }
    default:
      return streamPad(streamDouble(Number(n0), spec), spec);
  }
}

/** `%s`: the value's text; the width applies to the first piece the text emitter writes. */
function stringSpec(spec: FormatSpec, v: Value): string {
  const showpos = spec.flags.plus;
  switch (v.kind) {
    case 'tuple':
    case 'array':
    case 'record': {
      const whole = valueText(v, showpos);
      const head = v.kind === 'tuple' ? '(' : v.kind === 'array' ? '[' : v.fields.length === 0 ? '{}' : '{ ';
      return streamPad(head, spec) + whole.slice(head.length);
    }
    default:
      return streamPad(valueText(v, showpos), spec);
  }
}

/** A C++ stream's default/fixed/scientific double output (only reachable for rejected specs). */
function streamDouble(x: number, spec: FormatSpec): string {
  const c = spec.conversion;
  const p = spec.precision;
  let s: string;
  if (p >= 0 && (c === 'f' || c === 'F')) s = x.toFixed(p);
  else if (p >= 0 && (c === 'e' || c === 'E')) s = cExponent(x.toExponential(p));
  else s = gFormat(x, p >= 0 ? p : 6);
  if (spec.flags.plus && x >= 0) s = '+' + s;
  return s;
}

/** JS `1.5e+6` → C `1.5e+06`. */
function cExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `%g` with `p` significant digits. */
function gFormat(x: number, p: number): string {
  if (x === 0) return '0';
  const P = p === 0 ? 1 : p;
  const exp = Number(x.toExponential(P - 1).split('e')[1]);
  let s: string;
  if (exp < -4 || exp >= P) {
    s = x.toExponential(P - 1);
    s = s.replace(/\.?0+e/, 'e');
    return cExponent(s);
  }
  s = x.toFixed(Math.max(0, P - 1 - exp));
  if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  return s;
}

