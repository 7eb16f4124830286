import type { CType } from '../kernel/btf.js';

/**
 * The single type module: the types values have in a checked program, with their sizes and layouts.
 * Aggregates (strings, tuples) are byte blobs with a fixed size; their layout is computed here so the
 * code generator and the runtime decoder agree on it.
 */
export type Type =
  /**
   * `flex`: a non-negative literal (or a value of one) whose sign adapts to the other operand (bpftrace 0.26).
   * `isBool`: a bool widened to 64 bits as a map key or value (see mapStorageType); it prints `true`/`false`.
   */
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean; readonly flex?: boolean; readonly isBool?: boolean }
  | { readonly kind: 'bool' }
  | { readonly kind: 'str'; readonly size: number }
  /**
   * Tuples; with `names` a record `(a=1, b=2)` (bpftrace 0.25); with `cname` a C struct/union value
   * copied from memory (`*$ptr`), laid out at `offsets` in `size` bytes; with `array` a C array
   * (`int[4]`) of its elements. All share the blob representation (see aggregateLayout).
   */
  | {
    readonly kind: 'tuple'; readonly elems: readonly Type[]; readonly names?: readonly string[];
    readonly cname?: string; readonly array?: boolean; readonly offsets?: readonly number[]; readonly size?: number;
  }
  /** A pointer read from the probe context; `space` says which address space it points into. */
  | { readonly kind: 'ptr'; readonly to: string; readonly space: 'user' | 'kernel'; readonly ctype?: CType }
  /** The `args` of a probe: a record of context fields. Only field access is allowed on it. */
  | { readonly kind: 'args' }
  /** No value: statements-only functions such as printf. */
  | { readonly kind: 'none' }
  /**
   * Bytes the kernel fills and user space turns into text (bpftrace's username, ksym, usym, kstack,
   * ustack, timestamp, inet, mac_address, buffer types): `of` names the runtime decoder
   * (runtime/rich-values.ts), `size` the byte size, `arg` a decoder parameter (stack mode and depth,
   * a strftime format).
   */
  | { readonly kind: 'rich'; readonly of: RichKind; readonly size: number; readonly arg?: string };

/** Decoders for `rich` values (see src/builtins/ and runtime/rich-values.ts). */
export type RichKind = 'username' | 'ksym' | 'usym' | 'kstack' | 'ustack' | 'timestamp' | 'inet' | 'macaddr' | 'buffer' | 'kaddr' | 'uaddr' | 'cgroup_path';

export const u64: Type = { kind: 'int', bits: 64, signed: false };
export const i64: Type = { kind: 'int', bits: 64, signed: true };
export const u32: Type = { kind: 'int', bits: 32, signed: false };
export const boolType: Type = { kind: 'bool' };
export const noneType: Type = { kind: 'none' };
export const COMM_SIZE = 16;
/** bpftrace's default `max_strlen` (1024 since 0.23; 64 before): strings over 32 bytes live in the per-CPU scratch map. */
export const DEFAULT_STRLEN = 1024;

export function intType(bits: 8 | 16 | 32 | 64, signed: boolean): Type {
  return { kind: 'int', bits, signed };
}

export function isIntegral(t: Type): boolean {
  return t.kind === 'int' || t.kind === 'bool' || t.kind === 'ptr';
}

/** Size in bytes of a value of this type when stored in a map, a key or an event. */
export function sizeOf(t: Type): number {
  switch (t.kind) {
    case 'int':
      return t.bits / 8;
    case 'bool':
      return 1;
    case 'ptr':
      return 8;
    case 'str':
    case 'rich':
      return t.size;
    case 'tuple':
      return aggregateLayout(t).size;
    case 'args':
    case 'none':
      return 0;
  }
}

export function alignOf(t: Type): number {
  switch (t.kind) {
    case 'int':
      return t.bits / 8;
    case 'bool':
    case 'str':
      return 1;
    case 'ptr':
      return 8;
    case 'tuple':
      return Math.max(1, ...t.elems.map(alignOf));
    case 'rich':
      return t.size % 8 === 0 ? 8 : 1;
    case 'args':
    case 'none':
      return 1;
  }
}

export interface FieldLayout {
  readonly offset: number;
  readonly type: Type;
}

/** C-like struct layout: each element at its natural alignment, size padded to the largest alignment. */
export function tupleLayout(elems: readonly Type[]): { fields: FieldLayout[]; size: number } {
  let offset = 0;
  let maxAlign = 1;
  const fields: FieldLayout[] = [];
  for (const type of elems) {
    const align = alignOf(type);
    maxAlign = Math.max(maxAlign, align);
    offset = alignUp(offset, align);
    fields.push({ offset, type });
    offset += sizeOf(type);
  }
  return { fields, size: alignUp(offset, maxAlign) };
}

/** The layout of a tuple, record, struct or array value: explicit C offsets when it has them. */
export function aggregateLayout(t: Type & { kind: 'tuple' }): { fields: FieldLayout[]; size: number } {
  if (!t.offsets || t.size === undefined) return tupleLayout(t.elems);
  return { fields: t.elems.map((type, i) => ({ offset: t.offsets![i]!, type })), size: t.size };
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
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
      return { kind: 'int', bits: 64, signed: t.signed };
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
