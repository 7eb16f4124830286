/**
 * One renderer per printf event, built once when the session loads: the record layout and the
 * parsed format are resolved up front, and every argument a plain conversion can print
 * (`%d %i %u %x %s` without flags or width, on an integer or string field) is read straight from
 * the record bytes without building a runtime/value.ts Value. Anything else goes through the
 * generic path (decodeValue + formatPrintf), so the output is the same bytes either way.
 */
import { decodeBytes, parseFormat, recordLayout, type EventSpec, type FormatSpec, type Type } from '../../src/contract/index.js';
import { decodeValue, type RichDecoder } from './decode.js';
import { formatPrintf, type FormatArg } from '../output/printf.js';

/** Renders the record at `base` in `buf` to the text printf() prints. */
export type RecordRenderer = (buf: Buffer, base: number) => string;

type ArgRenderer = (buf: Buffer, base: number) => string;

/** The renderer for a printf event; `rich` decodes stacks, symbols... on the generic path. */
export function printfRenderer(spec: Extract<EventSpec, { kind: 'printf' }>, rich: RichDecoder): RecordRenderer {
  const layout = recordLayout(spec.args);
  const parsed = parseFormat(spec.format);
  const n = Math.min(layout.args.length, parsed.specs.length);
  const fast: ArgRenderer[] = [];
  for (let i = 0; i < n; i++) {
    const f = layout.args[i]!;
    const r = plainArg(parsed.specs[i]!, f.type, f.offset);
    if (!r) {
      // Generic: decode every argument, then format as formatPrintf always has.
      return (buf, base) => formatPrintf(parsed, layout.args.map((a) => decodeValue(buf, base + a.offset, a.type, rich)) as FormatArg[]);
    }
    fast.push(r);
  }
  const frags = parsed.fragments;
  const tail = frags[frags.length - 1]!;
  if (n === 0) return () => tail;
  if (n === 1) {
    const [a] = fast as [ArgRenderer];
    const head = frags[0]!;
    return (buf, base) => head + a(buf, base) + tail;
  }
  return (buf, base) => {
    let s = '';
    for (let i = 0; i < n; i++) s += frags[i]! + fast[i]!(buf, base);
    return s + tail;
  };
}

/** A direct reader for one argument, or undefined when it needs the generic path. */
function plainArg(spec: FormatSpec, type: Type, offset: number): ArgRenderer | undefined {
  const fl = spec.flags;
  if (fl.minus || fl.plus || fl.hash || fl.zero || spec.width !== 0 || spec.widthStar) return undefined;
  const conv = spec.conversion;
  if (type.kind === 'str' && conv === 's') {
    const size = type.size;
    // As decodeValue (./decode.ts): a string that fills its buffer was cut short and gets the trailer.
    const trailer = type.truncTrailer ?? '';
    return (buf, base) => {
      const start = base + offset;
      const nul = buf.indexOf(0, start);
      const full = nul === -1 || nul >= start + size;
      const text = decodeBytes(buf, start, full ? start + size : nul);
      return full ? text + trailer : text;
    };
  }
  if (type.kind !== 'int' || type.isBool) return undefined;
  if (conv !== 'd' && conv !== 'i' && conv !== 'u' && conv !== 'x') return undefined;
  const signedConv = conv === 'd' || conv === 'i';
  const radix = conv === 'x' ? 16 : 10;
  const bytes = type.bits / 8;
  if (spec.length === '') {
    // C `int` / `unsigned int`: the low 32 bits of the field (little-endian), or the whole narrower field.
    if (bytes >= 4) return signedConv ? (buf, base) => buf.readInt32LE(base + offset).toString(radix) : (buf, base) => buf.readUInt32LE(base + offset).toString(radix);
    const read = narrowReader(bytes, type.signed);
    return signedConv ? (buf, base) => (read(buf, base + offset) | 0).toString(radix) : (buf, base) => (read(buf, base + offset) >>> 0).toString(radix);
  }
  if (spec.length === 'l' || spec.length === 'll' || spec.length === 'j' || spec.length === 'z' || spec.length === 't') {
    if (bytes === 8) return signedConv ? (buf, base) => buf.readBigInt64LE(base + offset).toString(radix) : (buf, base) => buf.readBigUInt64LE(base + offset).toString(radix);
    const read = bytes === 4 ? (type.signed ? (b: Buffer, o: number) => b.readInt32LE(o) : (b: Buffer, o: number) => b.readUInt32LE(o)) : narrowReader(bytes, type.signed);
    return signedConv ? (buf, base) => read(buf, base + offset).toString(radix) : (buf, base) => BigInt.asUintN(64, BigInt(read(buf, base + offset))).toString(radix);
  }
  return undefined;
}

function narrowReader(bytes: number, signed: boolean): (b: Buffer, o: number) => number {
  if (bytes === 1) return signed ? (b, o) => b.readInt8(o) : (b, o) => b.readUInt8(o);
  return signed ? (b, o) => b.readInt16LE(o) : (b, o) => b.readUInt16LE(o);
}
