/**
 * runtime/event-format.ts renders printf records straight from their bytes. Whatever path it takes
 * (direct reads for plain specs, the generic decode otherwise), its text must be the text the
 * generic path (decodeValue + formatPrintf) gives for the same record: checked here over formats,
 * field widths, signedness and edge values.
 */
import test from 'ava';
import { encodeBytes, recordLayout, type EventSpec, type Type } from '../../../src/contract/index.js';
import { decodeValue } from '../../../runtime/session/decode.js';
import { printfRenderer } from '../../../runtime/session/event-format.js';
import { formatPrintf, type FormatArg } from '../../../runtime/output/printf.js';

type PrintfSpec = Extract<EventSpec, { kind: 'printf' }>;

const noRich = (): never => {
  throw new Error('no rich values in these records');
};

/** A record for `spec` at offset `base` of a larger buffer (as in a drained batch), with `values` in its fields. */
function record(spec: PrintfSpec, values: readonly (bigint | string)[], base: number): Buffer {
  const layout = recordLayout(spec.args);
  const buf = Buffer.alloc(base + layout.size + 8, 0xee);
  buf.fill(0, base, base + layout.size);
  buf.writeBigUInt64LE(7n, base);
  layout.args.forEach((f, i) => {
    const v = values[i]!;
    const at = base + f.offset;
    if (typeof v === 'string') {
      encodeBytes(v).copy(buf, at);
      return;
    }
    const t = f.type as Extract<Type, { kind: 'int' }>;
    const bytes = t.bits / 8;
    const u = BigInt.asUintN(t.bits, v);
    for (let k = 0; k < bytes; k++) buf[at + k] = Number((u >> BigInt(8 * k)) & 0xffn);
  });
  return buf;
}

function generic(spec: PrintfSpec, buf: Buffer, base: number): string {
  const layout = recordLayout(spec.args);
  return formatPrintf(spec.format, layout.args.map((f) => decodeValue(buf, base + f.offset, f.type)) as FormatArg[]);
}

const int = (bits: 8 | 16 | 32 | 64, signed: boolean): Type => ({ kind: 'int', bits, signed });
const str = (size: number): Type => ({ kind: 'str', size });

const INT_VALUES = [0n, 1n, -1n, 42n, -42n, 127n, -128n, 255n, 32767n, -32768n, 65535n, 0x7fffffffn, -0x80000000n, 0xffffffffn, 0x100000005n, -(1n << 63n), (1n << 63n) - 1n];
const INT_FORMATS = ['%d', '%i', '%u', '%x', '%ld', '%lu', '%lx', '%lld', '%llu', '%hd', '%hhu', '%5d', '%-5d|', '%05x', '%#x', '%+d', '%c', '%o', '%p', '%zu', '%jd', '%td'];

test('integer fields: the direct renderer prints what the generic path prints', (t) => {
  let checked = 0;
  for (const bits of [8, 16, 32, 64] as const) {
    for (const signed of [false, true]) {
      for (const fmt of INT_FORMATS) {
        const spec: PrintfSpec = { kind: 'printf', format: `a ${fmt} b\n`, args: [int(bits, signed)] };
        const render = printfRenderer(spec, noRich);
        for (const v of INT_VALUES) {
          for (const base of [0, 24]) {
            const buf = record(spec, [v], base);
            t.is(render(buf, base), generic(spec, buf, base), `${fmt} of ${v} as ${signed ? 'i' : 'u'}${bits} at ${base}`);
            checked++;
          }
        }
      }
    }
  }
  t.true(checked > 1000);
});

test('strings, several arguments, missing and extra arguments, literal text', (t) => {
  const cases: { spec: PrintfSpec; values: (bigint | string)[] }[] = [
    { spec: { kind: 'printf', format: '%s\n', args: [str(16)] }, values: ['python3'] },
    { spec: { kind: 'printf', format: '%s|\n', args: [str(8)] }, values: ['exactly8'] },
    { spec: { kind: 'printf', format: '[%s]\n', args: [str(16)] }, values: [''] },
    { spec: { kind: 'printf', format: '%s\n', args: [str(16)] }, values: ['caf\u00e9 \u2603'] },
    { spec: { kind: 'printf', format: '%10s|%-4s|\n', args: [str(16), str(16)] }, values: ['ab', 'cd'] },
    { spec: { kind: 'printf', format: '%d %s %u %x %ld 100%%\n', args: [int(32, false), str(16), int(64, false), int(64, true), int(64, true)] }, values: [7n, 'comm', 9n, -1n, -5n] },
    { spec: { kind: 'printf', format: 'only text\n', args: [] }, values: [] },
    { spec: { kind: 'printf', format: '%d %d %d\n', args: [int(64, true)] }, values: [3n] },
    { spec: { kind: 'printf', format: '%d\n', args: [int(64, true), int(64, true)] }, values: [3n, 4n] },
    { spec: { kind: 'printf', format: '%s %d\n', args: [int(64, true), str(4)] }, values: [-3n, 'abc'] },
  ];
  for (const { spec, values } of cases) {
    const render = printfRenderer(spec, noRich);
    for (const base of [0, 40]) {
      const buf = record(spec, values, base);
      t.is(render(buf, base), generic(spec, buf, base), JSON.stringify(spec.format));
    }
  }
});
