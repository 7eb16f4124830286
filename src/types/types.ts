import type { Type } from '../contract/index.js';

/**
 * The compiler's type module: constructors, equality and storage widening over the `Type` of
 * src/contract/types.ts (which also holds sizes and layouts, shared with the runtime decoder).
 */
export { aggregateLayout, alignOf, alignUp, isProbeIdKey, PROBE_ID_KEY, sizeOf, tupleLayout, type FieldLayout, type RichKind, type Type } from '../contract/index.js';

export const u64: Type = { kind: 'int', bits: 64, signed: false };
export const i64: Type = { kind: 'int', bits: 64, signed: true };
export const u32: Type = { kind: 'int', bits: 32, signed: false };
export const boolType: Type = { kind: 'bool' };
export const noneType: Type = { kind: 'none' };
export const COMM_SIZE = 16;
/** The least size of the `probe` builtin's string (bpftrace's): a longer probe name takes its own length. */
export const PROBE_STR_SIZE = 64;
/** bpftrace's default `max_strlen` (1024 since 0.23; 64 before): strings over on_stack_limit bytes live in the per-CPU scratch map. */
export const DEFAULT_STRLEN = 1024;
/**
 * bpftrace's default `on_stack_limit` (src/config.h): blobs larger than this many bytes live in the
 * per-CPU scratch map rather than on the BPF stack (src/codegen/module.ts buildModule).
 */
export const DEFAULT_ON_STACK_LIMIT = 32;

export function intType(bits: 8 | 16 | 32 | 64, signed: boolean): Type {
  return { kind: 'int', bits, signed };
}

export function isIntegral(t: Type): boolean {
  return t.kind === 'int' || t.kind === 'bool' || t.kind === 'ptr';
}

export function typeEquals(a: Type, b: Type): boolean {
  return typeToString(a) === typeToString(b);
}

export function typeToString(t: Type): string {
  switch (t.kind) {
    case 'int':
      return `${t.signed ? '' : 'u'}int${t.bits}`;
    case 'bool':
      return 'bool';
    case 'str':
      return `string[${t.size}]`;
    case 'tuple':
      if (t.cname) return t.cname;
      if (t.array) return `${t.elems[0] ? typeToString(t.elems[0]) : 'none'}[${t.elems.length}]`;
      if (t.names) return `record { ${t.elems.map((e, i) => `.${t.names![i]} = ${typeToString(e)}`).join(', ')} }`;
      return `(${t.elems.map(typeToString).join(', ')})`;
    case 'ptr':
      return `${t.to} *`;
    case 'args':
      return 'args';
    case 'none':
      return 'none';
    case 'rich':
      if (t.of === 'probe') return 'probe';
      return t.arg === undefined ? `${t.of}[${t.size}]` : `${t.of}[${t.size}](${t.arg})`;
  }
}

/** A bool stored in a map key or value: 64 bits like an integer, decoded as a bool. */
export const boolStorage: Type = { kind: 'int', bits: 64, signed: false, isBool: true };

/** storageType for map keys and values: a bool keeps its 64-bit layout but remembers it is a bool. */
export function mapStorageType(t: Type): Type {
  return t.kind === 'bool' || (t.kind === 'int' && t.isBool) ? boolStorage : storageType(t);
}

/** Map key/value types are widened the way bpftrace stores them: integers as 64-bit. */
export function storageType(t: Type): Type {
  switch (t.kind) {
    case 'int':
      return t.enum ? { kind: 'int', bits: 64, signed: t.signed, enum: t.enum } : { kind: 'int', bits: 64, signed: t.signed };
    case 'bool':
    case 'ptr':
      return u64;
    case 'tuple':
      // Tuples and records are packed with their elements' own sizes (bpftrace's CreateTuple), C
      // structs and arrays keep their memory layout: a tuple is stored as it is.
      return t;
    default:
      return t;
  }
}
