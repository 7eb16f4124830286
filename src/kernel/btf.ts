import { readFileSync } from 'node:fs';

/**
 * C types as the language sees them: kernel types from BTF (`/sys/kernel/btf/vmlinux`) and struct
 * definitions written in a script share this model. Pointer targets and record members resolve
 * lazily, so `struct task_struct` costs nothing until a field of it is used.
 */
export type CType =
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly signed: boolean; readonly isBool: boolean; readonly isChar: boolean }
  | { readonly kind: 'ptr'; readonly target: () => CType }
  | { readonly kind: 'array'; readonly elem: CType; readonly count: number }
  | { readonly kind: 'record'; readonly union: boolean; readonly name: string; readonly size: number; readonly members: () => readonly CMember[] }
  | { readonly kind: 'enum'; readonly name: string; readonly size: number; readonly signed: boolean }
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

export const VOID: CType = { kind: 'void' };

export function cSizeOf(t: CType): number {
  switch (t.kind) {
    case 'int': case 'record': case 'enum':
      return t.size;
    case 'ptr':
      return 8;
    case 'array':
      return cSizeOf(t.elem) * t.count;
    case 'void': case 'func':
      return 0;
  }
}

export function cAlignOf(t: CType): number {
  switch (t.kind) {
    case 'int': case 'enum':
      return Math.max(1, t.size);
    case 'ptr':
      return 8;
    case 'array':
      return cAlignOf(t.elem);
    case 'record':
      return Math.max(1, ...t.members().map((m) => cAlignOf(m.type)));
    case 'void': case 'func':
      return 1;
  }
}

export function cTypeName(t: CType): string {
  switch (t.kind) {
    case 'int':
      return t.name;
    case 'ptr':
      return `${cTypeName(t.target())} *`;
    case 'array':
      return `${cTypeName(t.elem)}[${t.count}]`;
    case 'record':
      return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'enum':
      return `enum ${t.name}`;
    case 'void':
      return 'void';
    case 'func':
      return 'function';
  }
}

/**
 * Find a member by name, looking through anonymous struct/union members as C does. The returned
 * bit offset is from the start of `rec`.
 */
export function findMember(rec: CType, name: string): CMember | undefined {
  if (rec.kind !== 'record') return undefined;
  for (const m of rec.members()) {
    if (m.name === name) return m;
    if (m.name === '' && m.type.kind === 'record') {
      const inner = findMember(m.type, name);
      if (inner) return { ...inner, bitOffset: inner.bitOffset + m.bitOffset };
    }
  }
  return undefined;
}

/** Every member name reachable from `rec` (anonymous members flattened), for hints. */
export function memberNames(rec: CType): string[] {
  if (rec.kind !== 'record') return [];
  return rec.members().flatMap((m) => (m.name === '' ? memberNames(m.type) : [m.name]));
}

// ------------------------------------------------------------------ BTF

const BTF_MAGIC = 0xeb9f;
const K = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;

/** A parsed BTF blob: type records are indexed on first use; CTypes are built per id on demand. */
export class Btf {
  private readonly typeStart: number;
  private readonly strStart: number;
  private offsets: Int32Array | undefined;
  private byName: Map<string, number[]> | undefined;
  private readonly cache = new Map<number, CType>();

  constructor(private readonly data: Buffer) {
    if (data.readUInt16LE(0) !== BTF_MAGIC) throw new Error('not a BTF blob (bad magic)');
    const hdrLen = data.readUInt32LE(4);
    this.typeStart = hdrLen + data.readUInt32LE(8);
    const typeLen = data.readUInt32LE(12);
    this.strStart = hdrLen + data.readUInt32LE(16);
    this.typeEnd = this.typeStart + typeLen;
  }

  private readonly typeEnd: number;

  private str(off: number): string {
    const start = this.strStart + off;
    return this.data.toString('latin1', start, this.data.indexOf(0, start));
  }

  private index(): Int32Array {
    if (this.offsets) return this.offsets;
    const d = this.data;
    const offs: number[] = [0];
    let p = this.typeStart;
    while (p < this.typeEnd) {
      offs.push(p);
      const info = d.readUInt32LE(p + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      p += 12;
      switch (kind) {
        case K.INT: case K.VAR: case K.DECL_TAG: p += 4; break;
        case K.ARRAY: p += 12; break;
        case K.STRUCT: case K.UNION: case K.DATASEC: case K.ENUM64: p += 12 * vlen; break;
        case K.ENUM: case K.FUNC_PROTO: p += 8 * vlen; break;
        default: break;
      }
    }
    this.offsets = Int32Array.from(offs);
    return this.offsets;
  }

  private names(): Map<string, number[]> {
    if (this.byName) return this.byName;
    const m = new Map<string, number[]>();
    const offs = this.index();
    for (let id = 1; id < offs.length; id++) {
      const p = offs[id]!;
      const nameOff = this.data.readUInt32LE(p);
      if (nameOff === 0) continue;
      const kind = (this.data.readUInt32LE(p + 4) >>> 24) & 0x1f;
      if (kind === K.FUNC || kind === K.VAR || kind === K.DATASEC || kind === K.DECL_TAG) continue;
      const key = `${prefixOf(kind)}${this.str(nameOff)}`;
      const list = m.get(key);
      if (list) list.push(id);
      else m.set(key, [id]);
    }
    this.byName = m;
    return m;
  }

  /** `struct task_struct`, `union x`, `enum e`, or a typedef/base type name such as `u64`, `pid_t`. */
  lookup(name: string): CType | undefined {
    const ids = this.names().get(name.replace(/\s+/g, ' ').trim());
    if (!ids) return undefined;
    // Prefer a complete definition over a forward declaration.
    for (const id of ids) {
      const t = this.type(id);
      if (t.kind !== 'void') return t;
    }
    return this.type(ids[0]!);
  }

  /** All names of one prefix (`struct `...), for hints. */
  namesWithPrefix(prefix: string): string[] {
    return [...this.names().keys()].filter((k) => k.startsWith(prefix));
  }

  type(id: number): CType {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const t = this.build(id);
    this.cache.set(id, t);
    return t;
  }

  private build(id: number): CType {
    if (id === 0) return VOID;
    const d = this.data;
    const p = this.index()[id];
    if (p === undefined) return VOID;
    const name = this.str(d.readUInt32LE(p));
    const info = d.readUInt32LE(p + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const sizeOrType = d.readUInt32LE(p + 8);
    switch (kind) {
      case K.INT: {
        const enc = d.readUInt32LE(p + 12);
        const encoding = (enc >>> 24) & 0xf;
        return { kind: 'int', name, size: sizeOrType, signed: (encoding & 1) !== 0, isChar: (encoding & 2) !== 0 || name.endsWith('char'), isBool: (encoding & 4) !== 0 };
      }
      case K.ENUM: case K.ENUM64:
        return { kind: 'enum', name, size: sizeOrType, signed: kindFlag };
      case K.PTR:
        return { kind: 'ptr', target: () => this.type(sizeOrType) };
      case K.ARRAY:
        return { kind: 'array', elem: this.type(d.readUInt32LE(p + 12)), count: d.readUInt32LE(p + 20) };
      case K.STRUCT: case K.UNION: {
        let members: CMember[] | undefined;
        return {
          kind: 'record', union: kind === K.UNION, name, size: sizeOrType,
          members: () => {
            if (members) return members;
            members = [];
            for (let i = 0; i < vlen; i++) {
              const q = p + 12 + 12 * i;
              const off = d.readUInt32LE(q + 8);
              members.push({
                name: this.str(d.readUInt32LE(q)), type: this.type(d.readUInt32LE(q + 4)),
                bitOffset: kindFlag ? off & 0xffffff : off, bitSize: kindFlag ? off >>> 24 : 0,
              });
            }
            return members;
          },
        };
      }
      case K.TYPEDEF: case K.VOLATILE: case K.CONST: case K.RESTRICT: case K.TYPE_TAG:
        return this.type(sizeOrType);
      case K.FUNC: case K.FUNC_PROTO:
        return { kind: 'func' };
      case K.FLOAT:
        return { kind: 'int', name, size: sizeOrType, signed: true, isChar: false, isBool: false };
      default:
        // FWD (an incomplete struct), VAR, DATASEC: no usable layout.
        return VOID;
    }
  }
}

function prefixOf(kind: number): string {
  if (kind === K.STRUCT || kind === K.FWD) return 'struct ';
  if (kind === K.UNION) return 'union ';
  if (kind === K.ENUM || kind === K.ENUM64) return 'enum ';
  return '';
}

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
let kernelBtf: Btf | null | undefined;

/** The running kernel's BTF, read on first use; undefined when the kernel has none. */
export function kernelBtfTypes(path = VMLINUX_BTF): Btf | undefined {
  if (kernelBtf === undefined) {
    try {
      kernelBtf = new Btf(readFileSync(path));
    } catch {
      kernelBtf = null;
    }
  }
  return kernelBtf ?? undefined;
}
