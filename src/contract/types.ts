/**
 * The types values have in a checked program, with their sizes and layouts (what a compiled script
 * describes its maps and events with).
 * Aggregates (strings, tuples) are byte blobs with a fixed size; their layout is computed here so the
 * code generator and the runtime decoder agree on it.
 */
export type Type =
  /**
   * `flex`: a non-negative literal (or a value of one) whose sign adapts to the other operand (bpftrace 0.26).
   * `isBool`: a bool widened to 64 bits as a map key or value (see mapStorageType); it prints `true`/`false`.
   */
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean; readonly flex?: boolean; readonly isBool?: boolean; readonly enum?: EnumNames }
  | { readonly kind: 'bool' }
  /** `truncTrailer`: a value without a NUL in its `size` bytes was truncated and prints with it (str(), str_trunc_trailer). */
  | { readonly kind: 'str'; readonly size: number; readonly truncTrailer?: string }
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
   * (runtime/output/rich-values.ts), `size` the byte size, `arg` a decoder parameter (stack mode and depth,
   * a strftime format).
   */
  | { readonly kind: 'rich'; readonly of: RichKind; readonly size: number; readonly arg?: string };

/**
 * An enum-typed integer's enumerators (decimal value → name): text output and printf's `%s` print
 * the name (bpftrace symbolizes enums; JSON output keeps the number). Arithmetic drops it.
 */
export interface EnumNames {
  readonly name: string;
  readonly names: Readonly<Record<string, string>>;
}

/** Decoders for `rich` values (see src/builtins/ and runtime/output/rich-values.ts). */
export type RichKind = 'username' | 'ksym' | 'usym' | 'kstack' | 'ustack' | 'timestamp' | 'inet' | 'macaddr' | 'buffer' | 'kaddr' | 'uaddr' | 'cgroup_path' | 'probe';

/**
 * A map key part that stores the `probe` builtin as a u64 probe id, an index into the compiled
 * script's `probeNames` (as bpftrace keys `@[probe]` by probe id): the program writes a constant
 * instead of building a 64-byte string per event, and every reader of map keys turns the id back
 * into the name through the one rich-value decoder (runtime/output/rich-values.ts).
 */
export const PROBE_ID_KEY: Type = { kind: 'rich', of: 'probe', size: 8 };

export function isProbeIdKey(t: Type): boolean {
  return t.kind === 'rich' && t.of === 'probe';
}

/**
 * C types as the language sees them: kernel types from BTF (`/sys/kernel/btf/vmlinux`) and struct
 * definitions written in a script share this model. Pointer targets and record members resolve
 * lazily, so `struct task_struct` costs nothing until a field of it is used (src/kernel/btf.ts builds
 * them). Its functions do not survive JSON, so the runtime never reads a `ptr` Type's `ctype`.
 */
export type CType =
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly signed: boolean; readonly isBool: boolean; readonly isChar: boolean }
  | { readonly kind: 'ptr'; readonly target: () => CType }
  | { readonly kind: 'array'; readonly elem: CType; readonly count: number }
  | { readonly kind: 'record'; readonly union: boolean; readonly name: string; readonly size: number; readonly members: () => readonly CMember[]; /** Set by `packed` / `aligned(N)`; else the members' largest. */ readonly align?: number }
  | { readonly kind: 'enum'; readonly name: string; readonly size: number; readonly signed: boolean; /** Enumerators by decimal value. */ readonly names?: () => Readonly<Record<string, string>> }
  | { readonly kind: 'void' }
  | { readonly kind: 'func' };

export interface CMember {
  /** Empty for an anonymous struct/union member. */
  readonly name: string;
  readonly type: CType;
  readonly bitOffset: number;
  /** 0 unless the member is a bitfield. */
  readonly bitSize: number;
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
