/**
 * Integer and string literals: text as written → value, or a reason it is malformed.
 */
import { byteChar } from '../contract/index.js';

const U64_MAX = (1n << 64n) - 1n;

/** Duration suffixes in nanoseconds (bpftrace 0.24: `100ms`, `5s`, `1m`, `2h`, `1d`). */
const DURATIONS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60n * 1_000_000_000n],
  ['h', 3_600n * 1_000_000_000n],
  ['d', 86_400n * 1_000_000_000n],
]);

export type IntParse = { readonly value: bigint } | { readonly error: string };

/** Digits with `_` separators between them (not leading, trailing or doubled). */
function digits(body: string, allowed: RegExp): string | undefined {
  if (body === '' || body.startsWith('_') || body.endsWith('_') || body.includes('__')) return undefined;
  const plain = body.replace(/_/g, '');
  return allowed.test(plain) ? plain : undefined;
}

/**
 * Parses an integer literal: decimal, `0x` hex, `0b` binary, `0` octal, `_` separators, `2e3`
 * exponents, C suffixes (`U`, `L`, `UL`, `LL`, `ULL`: accepted and ignored) and duration suffixes
 * (`ns us ms s m h d`, converted to nanoseconds). Values must fit in 64 bits unsigned.
 */
export function parseIntLiteral(raw: string): IntParse {
  const bad = { error: `invalid integer literal '${raw}'` };
  let text = raw;
  let multiplier = 1n;
  let value: bigint;

  const hexOrBin = /^0[xXbB]/.test(text);
  const intSuffix = /(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)$/.exec(text);
  if (intSuffix && intSuffix.index > 0) {
    text = text.slice(0, intSuffix.index);
  } else if (!hexOrBin) {
    const dur = /(?:ns|us|ms|s|m|h|d)$/.exec(text);
    if (dur && dur.index > 0) {
      multiplier = DURATIONS.get(dur[0])!;
      text = text.slice(0, dur.index);
    }
  }

  if (/^0[xX]/.test(text)) {
    const d = digits(text.slice(2), /^[0-9a-fA-F]+$/);
    if (d === undefined) return bad;
    value = BigInt('0x' + d);
  } else if (/^0[bB]/.test(text)) {
    const d = digits(text.slice(2), /^[01]+$/);
    if (d === undefined) return bad;
    value = BigInt('0b' + d);
  } else if (/[eE]/.test(text)) {
    const [mant, exp, ...rest] = text.split(/[eE]/);
    const m = digits(mant ?? '', /^[0-9]+$/);
    const e = digits(exp ?? '', /^[0-9]+$/);
    if (rest.length || m === undefined || e === undefined) return bad;
    const ev = Number(e);
    if (ev > 40) return { error: `integer literal '${raw}' is out of range (more than 64 bits)` };
    value = BigInt(m) * 10n ** BigInt(ev);
  } else if (/^0[0-9_]/.test(text)) {
    const d = digits(text.slice(1), /^[0-7]+$/);
    if (d === undefined) {
      return /^0[0-9_]+$/.test(text) ? { error: `invalid octal literal '${raw}'` } : bad;
    }
    value = BigInt('0o' + d);
  } else {
    const d = digits(text, /^[0-9]+$/);
    if (d === undefined) return bad;
    value = BigInt(d);
  }

  value *= multiplier;
  if (value > U64_MAX) return { error: `integer literal '${raw}' is out of range (more than 64 bits)` };
  return { value };
}

export interface StringParse {
  readonly value: string;
  /** Malformed escapes: offsets relative to the literal's opening quote. */
  readonly errors: readonly { readonly message: string; readonly start: number; readonly end: number }[];
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b',
};

/**
 * Decodes a string literal as written, quotes included (the closing one may be missing).
 * Escapes: `\n \t \r \\ \" \' \a \b \f \v \e`, octal `\0`..`\377` (1-3 digits), hex `\xNN` (1-2 digits).
 * An escape gives the byte with that code (≤ 0xff; 0x80-0xff as src/contract/bytes.ts's escaped byte
 * characters); other characters are kept as written (UTF-8 in BPF).
 */
export function decodeStringLiteral(raw: string): StringParse {
  const end = raw.length >= 2 && raw.endsWith('"') && !isEscapedQuote(raw) ? raw.length - 1 : raw.length;
  let out = '';
  const errors: { message: string; start: number; end: number }[] = [];
  for (let i = 1; i < end; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const start = i;
    const e = raw[i + 1];
    if (e === undefined || i + 1 >= end) {
      errors.push({ message: 'invalid escape sequence at end of string', start, end: i + 1 });
      break;
    }
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i++;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i + 1, end))![0];
      const v = parseInt(m, 8);
      if (v > 0xff) errors.push({ message: `octal escape sequence out of range '\\${m}'`, start, end: i + 1 + m.length });
      out += byteChar(v & 0xff);
      i += m.length;
    } else if (e === 'x' || e === 'X') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 2, end));
      if (!m) {
        errors.push({ message: `invalid hex escape sequence '\\${e}'`, start, end: i + 2 });
        i++;
      } else {
        out += byteChar(parseInt(m[0], 16));
        i += 1 + m[0].length;
      }
    } else {
      errors.push({ message: `invalid escape sequence '\\${e}'`, start, end: i + 2 });
      i++;
    }
  }
  return { value: out, errors };
}

/** Whether the final `"` of `raw` is escaped (so the literal is unterminated). */
function isEscapedQuote(raw: string): boolean {
  let n = 0;
  for (let i = raw.length - 2; i >= 1 && raw[i] === '\\'; i--) n++;
  return n % 2 === 1;
}
