/** What the printf engines (runtime/output/printf.ts, printf-c.ts) share: argument conversion and widths. */
import type { FormatSpec } from '../../src/contract/index.js';
import { valueText, type Value } from './value.js';

/** The integer a value stands for, as bpftrace's `as_number` takes it, or undefined. */
export function toNumber(v: Value): bigint | undefined {
  switch (v.kind) {
    case 'int':
      return v.value;
    case 'bool':
      return v.value ? 1n : 0n;
    case 'sym':
      return BigInt.asUintN(64, v.value);
    default:
      return undefined;
  }
}

/** Integer width from the length modifier; `def` when there is none (or it is not recognised). */
function lengthBits(length: string, def: number): number {
  switch (length) {
    case 'hh':
      return 8;
    case 'h':
      return 16;
    case 'l':
    case 'll':
    case 'j':
    case 'z':
    case 't':
      return 64;
    default:
      return def;
  }
}

/** Field width counts bytes (of the UTF-8 text), as a C++ stream or C printf does. */
export function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xdc80 && c <= 0xdcff) continue; // an escaped raw byte (src/contract/bytes.ts)
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 1; // 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2;
  }
  return n;
}

export function repeatPad(ch: string, n: number): string {
  return n > 0 ? ch.repeat(n) : '';
}

export function conversionError(what: string, v: Value): string {
  return `!{${what}: ${valueText(v, false)}}`;
}

/** Conversions that print an integer; any other value prints `!{invalid integer conversion: ...}`. */
export const INTEGER_CONVERSIONS: ReadonlySet<string> = new Set(['d', 'i', 'u', 'o', 'x', 'X', 'c', 'p']);
/** Floating conversions: rejected by the type check; bpftrace prints an int argument as a C++ double. */
export const FLOAT_CONVERSIONS: ReadonlySet<string> = new Set(['e', 'E', 'f', 'F', 'g', 'G', 'a', 'A']);

/** An integer argument cast as C casts it: `int` / `unsigned int` unless a length modifier says otherwise. */
export function castInteger(spec: FormatSpec, n: bigint, signed: boolean): bigint {
  const bits = lengthBits(spec.length, 32);
  return signed ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n);
}
