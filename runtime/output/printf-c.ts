/**
 * printf's `c` dialect: ISO C / glibc semantics, for comparing tsbpf's bpftrace-compatible
 * formatting (runtime/output/printf.ts) with the system's C printf in tests.
 */
import type { FormatSpec } from '../../src/contract/index.js';
import { gfpFlagsText } from './gfp-flags.js';
import { byteLength, castInteger, conversionError, INTEGER_CONVERSIONS, repeatPad, toNumber } from './printf-args.js';
import { bufferText, valueText, type Value } from './value.js';

function cPad(prefix: string, digits: string, spec: FormatSpec, zeroAllowed: boolean): string {
  const w = spec.width;
  const len = byteLength(prefix) + byteLength(digits);
  if (w <= len) return prefix + digits;
  if (spec.flags.minus) return prefix + digits + repeatPad(' ', w - len);
  if (spec.flags.zero && zeroAllowed) return prefix + repeatPad('0', w - len) + digits;
  return repeatPad(' ', w - len) + prefix + digits;
}

function cDigits(n: bigint, base: number, upper: boolean, precision: number): string {
  if (precision === 0 && n === 0n) return '';
  let d = n.toString(base);
  if (upper) d = d.toUpperCase();
  if (precision > d.length) d = repeatPad('0', precision - d.length) + d;
  return d;
}

export function formatC(spec: FormatSpec, v: Value): string {
  const conv = spec.conversion;
  if (INTEGER_CONVERSIONS.has(conv)) {
    const n = toNumber(v);
    return n === undefined ? conversionError('invalid integer conversion', v) : cInteger(spec, n);
  }
  let s =
    v.kind === 'buffer' && (conv === 'r' || conv === 'rx' || conv === 'rh')
      ? bufferText(v.bytes, conv === 'r', conv !== 'rh')
      : conv === 'gr' && (v.kind === 'int' || v.kind === 'sym')
        ? gfpFlagsText(BigInt.asUintN(64, v.value))
        : valueText(v, false);
  if (spec.precision >= 0 && (conv === 's' || conv === 'r' || conv === 'rx' || conv === 'rh')) s = truncateBytes(s, spec.precision);
  return cPad('', s, spec, false);
}

/** An integer conversion of the integer `n0` with glibc's printf semantics. */
function cInteger(spec: FormatSpec, n0: bigint): string {
  const conv = spec.conversion;
  const f = spec.flags;
  const prec = spec.precision;
  const zeroOk = prec < 0;
  switch (conv) {
    case 'd':
    case 'i': {
      const n = castInteger(spec, n0, true);
      const sign = n < 0n ? '-' : f.plus ? '+' : f.space ? ' ' : '';
      return cPad(sign, cDigits(n < 0n ? -n : n, 10, false, prec), spec, zeroOk);
    }
    case 'c':
      return cPad('', String.fromCharCode(Number(BigInt.asUintN(8, n0))), spec, false);
    case 'p': {
      const n = BigInt.asUintN(64, n0);
      if (n === 0n) return cPad('', '(nil)', spec, false);
      const sign = f.plus ? '+' : f.space ? ' ' : '';
      return cPad(sign + '0x', cDigits(n, 16, false, prec), spec, zeroOk);
    }
    default: {
      // u o x X
      const n = castInteger(spec, n0, false);
      const base = conv === 'u' ? 10 : conv === 'o' ? 8 : 16;
      let digits = cDigits(n, base, conv === 'X', prec);
      let prefix = '';
      if (f.hash && conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
      if (f.hash && n !== 0n && conv === 'x') prefix = '0x';
      if (f.hash && n !== 0n && conv === 'X') prefix = '0X';
      return cPad(prefix, digits, spec, zeroOk);
    }
  }
}

function truncateBytes(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  let n = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
    if (n + w > max) break;
    n += w;
    if (w === 4) i++;
  }
  return s.slice(0, i);
}
