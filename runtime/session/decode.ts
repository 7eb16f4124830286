import { aggregateLayout, decodeBytes, tupleLayout, type Type } from '../../src/contract/index.js';
import type { MapValue, Value } from '../output/value.js';

/** Turns `rich` values (stacks, symbols, user names, ...) into text; the session provides one (runtime/output/rich-values.ts). */
export type RichDecoder = (buf: Buffer, offset: number, type: Extract<Type, { kind: 'rich' }>) => Value;

/** Bytes laid out by the compiler → Value, following the same layouts (src/types). */
export function decodeValue(buf: Buffer, offset: number, type: Type, rich?: RichDecoder): Value {
  switch (type.kind) {
    case 'int':
      if (type.isBool) return { kind: 'bool', value: readInt(buf, offset, type.bits / 8, false) !== 0n };
      return enumValue(readInt(buf, offset, type.bits / 8, type.signed), type);
    case 'bool':
      return { kind: 'bool', value: buf[offset] !== 0 };
    case 'ptr':
      // bpftrace prints pointers in hex.
      return pointerValue(buf.readBigUInt64LE(offset));
    case 'str': {
      const end = buf.indexOf(0, offset);
      const full = end === -1 || end >= offset + type.size;
      const text = decodeBytes(buf, offset, full ? offset + type.size : end);
      return { kind: 'str', value: full && type.truncTrailer ? text + type.truncTrailer : text };
    }
    case 'tuple': {
      const layout = aggregateLayout(type);
      // Pointers inside a C struct print in hex, as bpftrace prints them.
      const elems = layout.fields.map((f) => decodeValue(buf, offset + f.offset, f.type, rich));
      // Records and C structs print `{ .a = 1 }`, C arrays `[1,2]` (bpftrace's text/json output).
      if (type.names) return { kind: 'record', fields: elems.map((value, i) => ({ name: type.names![i]!, value })) };
      if (type.array) return { kind: 'array', elems };
      return { kind: 'tuple', elems };
    }
    case 'args':
    case 'none':
      return { kind: 'none' };
    case 'rich':
      return rich ? rich(buf, offset, type) : { kind: 'int', value: readInt(buf, offset, Math.min(8, type.size), false) };
  }
}

/** An integer, or an enum value named by one of its enumerators (printed as the name, JSON as the number). */
function enumValue(value: bigint, type: Extract<Type, { kind: 'int' }>): Value {
  const name = type.enum?.names[value.toString()];
  return name === undefined ? { kind: 'int', value } : { kind: 'sym', text: name, value };
}

function pointerValue(v: bigint): Value {
  return { kind: 'str', value: '0x' + v.toString(16) };
}

export function readInt(buf: Buffer, offset: number, bytes: number, signed: boolean): bigint {
  switch (bytes) {
    case 1:
      return BigInt(signed ? buf.readInt8(offset) : buf.readUInt8(offset));
    case 2:
      return BigInt(signed ? buf.readInt16LE(offset) : buf.readUInt16LE(offset));
    case 4:
      return BigInt(signed ? buf.readInt32LE(offset) : buf.readUInt32LE(offset));
    default:
      return signed ? buf.readBigInt64LE(offset) : buf.readBigUInt64LE(offset);
  }
}

export interface MapLayout {
  readonly kind: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist' | 'tseries' | 'int' | 'value';
  readonly keyTypes: readonly Type[];
  readonly valueType: Type;
  readonly params: readonly string[];
  readonly valueSize: number;
  /** Number of per-CPU copies in a looked-up value (1 for shared maps). */
  readonly cpus: number;
}

/** Decode a map key into its key list ([] for a scalar map). */
export function decodeKey(buf: Buffer, offset: number, keyTypes: readonly Type[], rich?: RichDecoder): Value[] {
  if (keyTypes.length === 0) return [];
  if (keyTypes.length === 1) return [decodeValue(buf, offset, keyTypes[0]!, rich)];
  const layout = tupleLayout(keyTypes);
  return layout.fields.map((f) => decodeValue(buf, offset + f.offset, f.type, rich));
}

/** Decode one map value, merging per-CPU copies the way each aggregation defines. */
export function decodeMapValue(buf: Buffer, offset: number, m: MapLayout, rich?: RichDecoder): MapValue {
  const stride = Math.ceil(m.valueSize / 8) * 8;
  const u64 = (cpu: number, slot: number) => buf.readBigUInt64LE(offset + cpu * stride + slot * 8);
  const i64 = (cpu: number, slot: number) => buf.readBigInt64LE(offset + cpu * stride + slot * 8);
  switch (m.kind) {
    case 'count':
    case 'sum': {
      let total = 0n;
      for (let c = 0; c < m.cpus; c++) total += m.kind === 'count' ? u64(c, 0) : i64(c, 0);
      return { kind: 'int', value: total, agg: m.kind };
    }
    case 'int': {
      if (m.valueType.kind === 'int' && m.valueType.isBool) return { kind: 'value', value: { kind: 'bool', value: u64(0, 0) !== 0n } };
      if (m.valueType.kind === 'ptr') return { kind: 'value', value: pointerValue(u64(0, 0)) };
      const signed = m.valueType.kind !== 'int' || m.valueType.signed;
      const value = signed ? i64(0, 0) : u64(0, 0);
      if (m.valueType.kind === 'int' && m.valueType.enum?.names[value.toString()] !== undefined) return { kind: 'value', value: enumValue(value, m.valueType) };
      return { kind: 'int', value };
    }
    case 'min':
    case 'max': {
      let best: bigint | undefined;
      for (let c = 0; c < m.cpus; c++) {
        if (u64(c, 1) === 0n) continue;
        const v = i64(c, 0);
        if (best === undefined || (m.kind === 'min' ? v < best : v > best)) best = v;
      }
      return { kind: 'int', value: best ?? 0n, agg: m.kind };
    }
    case 'avg':
    case 'stats': {
      let count = 0n;
      let total = 0n;
      for (let c = 0; c < m.cpus; c++) {
        count += u64(c, 0);
        total += i64(c, 1);
      }
      const average = count === 0n ? 0n : total / count;
      return m.kind === 'avg' ? { kind: 'avg', value: average, count, total } : { kind: 'stats', count, average, total };
    }
    case 'hist':
    case 'lhist': {
      const slots = m.valueSize / 8;
      const buckets: bigint[] = new Array(slots).fill(0n);
      for (let c = 0; c < m.cpus; c++) for (let s = 0; s < slots; s++) buckets[s]! += u64(c, s);
      if (m.kind === 'hist') return { kind: 'hist', buckets, bits: Number(m.params[0] ?? 0) };
      const [min, max, step] = m.params.map(BigInt) as [bigint, bigint, bigint];
      return { kind: 'lhist', min, max, step, buckets };
    }
    case 'value':
      return { kind: 'value', value: decodeValue(buf, offset, m.valueType, rich) };
    case 'tseries':
      // Read whole maps only, with their buckets grouped by key (runtime/output/tseries.ts collectTseries).
      return { kind: 'tseries', points: [], signed: false };
  }
}
