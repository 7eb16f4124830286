/**
 * Byte strings as JS strings. bpftrace's strings are bytes; tsbpf's are JS strings in which text is
 * Unicode (written out as UTF-8) and a raw byte that is not part of valid UTF-8 is the lone
 * surrogate U+DC80 + (byte - 0x80) (Python's "surrogateescape"). So:
 *   - the literal `"\xff"` (src/syntax/literals.ts) is one byte 0xFF in BPF (src/codegen/module.ts),
 *   - the literal `"é"` stays the two UTF-8 bytes C3 A9,
 *   - a kernel string with byte 0xFF decodes (runtime/session/decode.ts) to U+DCFF and is written back to
 *     stdout as the byte 0xFF (runtime/cli.ts), as bpftrace writes it.
 */

const ESC_BASE = 0xdc00;

/** The character standing for byte `b` written as an escape (`\xNN`, `\NNN`): ASCII as is, 0x80-0xFF escaped. */
export function byteChar(b: number): string {
  return String.fromCharCode(b < 0x80 ? b : ESC_BASE + b);
}

function isEscaped(c: number): boolean {
  return c >= 0xdc80 && c <= 0xdcff;
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/** The bytes of a string: UTF-8, escaped bytes as themselves. */
export function encodeBytes(s: string): Buffer {
  if (!HAS_SURROGATE.test(s)) return Buffer.from(s, 'utf8');
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a proper surrogate pair: UTF-8 below
        continue;
      }
    }
    if (isEscaped(c)) {
      if (i > start) out.push(Buffer.from(s.slice(start, i), 'utf8'));
      out.push(Buffer.of(c - ESC_BASE));
      start = i + 1;
    }
  }
  if (start < s.length) out.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(out);
}

/** Number of bytes `encodeBytes(s)` gives. */
export function byteLength(s: string): number {
  if (!HAS_SURROGATE.test(s)) return Buffer.byteLength(s, 'utf8');
  return encodeBytes(s).length;
}

/** Bytes → string: valid UTF-8 as text, every other byte escaped (so `encodeBytes` gives the bytes back). */
export function decodeBytes(buf: Uint8Array, start = 0, end = buf.length): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (ascii) return b.toString('latin1', start, end);
  let out = '';
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x80) {
      let j = i + 1;
      while (j < end && buf[j]! < 0x80) j++;
      out += b.toString('latin1', i, j);
      i = j;
      continue;
    }
    const n = utf8SequenceLength(buf, i, end);
    if (n > 0) {
      out += b.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(ESC_BASE + c);
      i++;
    }
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i` (2-4), or 0. */
function utf8SequenceLength(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < end && buf[i + k]! >= lo && buf[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
