import { readFileSync } from 'node:fs';
import type { CMember, CType } from '../contract/index.js';
import { BTF_KIND, BTF_RECORD_HEADER, BtfRecords } from './btf-records.js';

// The C type model is part of `Type` (src/contract/types.ts); this module builds it from BTF.
export type { CMember, CType } from '../contract/index.js';

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
      return t.align ?? Math.max(1, ...t.members().map((m) => cAlignOf(m.type)));
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

const K = BTF_KIND;

/** A parsed BTF blob: type records are indexed on first use; CTypes are built per id on demand. */
export class Btf {
  /** The raw records, shared with btf-funcs.ts so the kernel's BTF is decoded once per process. */
  readonly records: BtfRecords;
  private byName: Map<string, number[]> | undefined;
  private readonly cache = new Map<number, CType>();

  constructor(data: Buffer) {
    this.records = new BtfRecords(data);
  }

  private names(): Map<string, number[]> {
    if (this.byName) return this.byName;
    const m = new Map<string, number[]>();
    const r = this.records;
    for (let id = 1; id < r.idLimit; id++) {
      const kind = r.kind(id);
      if (kind === K.FUNC || kind === K.VAR || kind === K.DATASEC || kind === K.DECL_TAG) continue;
      const name = r.nameOf(id);
      if (name === '') continue;
      const key = `${prefixOf(kind)}${name}`;
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

  private enumerators: Map<string, { value: bigint; size: number; signed: boolean; id: number }> | undefined;

  /**
   * A kernel enum constant by name (`TCP_FIN_WAIT1`, `SKB_DROP_REASON_NOT_SPECIFIED`), as bpftrace
   * resolves a bare identifier it finds among BTF enumerators; undefined when no enum has it.
   * `enumName` and `names` describe its enum, so its value prints symbolized.
   */
  enumConstant(name: string): { value: bigint; size: number; signed: boolean; enumName: string; names: () => Readonly<Record<string, string>> } | undefined {
    if (!this.enumerators) {
      const m = new Map<string, { value: bigint; size: number; signed: boolean; id: number }>();
      const r = this.records;
      for (let id = 1; id < r.idLimit; id++) {
        const kind = r.kind(id);
        if (kind !== K.ENUM && kind !== K.ENUM64) continue;
        const signed = r.kindFlag(id);
        const size = r.sizeOrType(id);
        for (const [key, value] of this.enumValues(id)) if (!m.has(key)) m.set(key, { value, size, signed, id });
      }
      this.enumerators = m;
    }
    const e = this.enumerators.get(name);
    if (!e) return undefined;
    return { value: e.value, size: e.size, signed: e.signed, enumName: this.enumName(e.id), names: () => this.enumNames(e.id) };
  }

  /** An enum's name; anonymous enums get one by BTF id (values of two of them are not one type). */
  private enumName(id: number): string {
    return this.records.str(this.records.u32(this.records.offsetOf(id)!)) || `(anonymous enum ${id})`;
  }

  /** The enumerators of enum `id`, in order. */
  private enumValues(id: number): [string, bigint][] {
    const r = this.records;
    const kind = r.kind(id);
    const p = r.offsetOf(id);
    if (p === undefined) return [];
    const signed = r.kindFlag(id);
    const stride = kind === K.ENUM ? 8 : 12;
    const out: [string, bigint][] = [];
    for (let i = 0; i < r.vlen(id); i++) {
      const q = p + BTF_RECORD_HEADER + stride * i;
      const lo = BigInt(r.u32(q + 4));
      const raw = kind === K.ENUM ? lo : (BigInt(r.u32(q + 8)) << 32n) | lo;
      out.push([r.str(r.u32(q)), signed ? BigInt.asIntN(kind === K.ENUM ? 32 : 64, raw) : raw]);
    }
    return out;
  }

  private readonly enumNameTables = new Map<number, Readonly<Record<string, string>>>();

  /** Decimal value → first enumerator name, for symbolizing. */
  private enumNames(id: number): Readonly<Record<string, string>> {
    let t = this.enumNameTables.get(id);
    if (!t) {
      const names: Record<string, string> = {};
      for (const [n, v] of this.enumValues(id)) names[v.toString()] ??= n;
      this.enumNameTables.set(id, (t = names));
    }
    return t;
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
    const r = this.records;
    const p = r.offsetOf(id);
    if (p === undefined) return VOID;
    const name = r.nameOf(id);
    const kind = r.kind(id);
    const kindFlag = r.kindFlag(id);
    const sizeOrType = r.sizeOrType(id);
    switch (kind) {
      case K.INT: {
        const encoding = (r.u32(p + 12) >>> 24) & 0xf;
        return { kind: 'int', name, size: sizeOrType, signed: (encoding & 1) !== 0, isChar: (encoding & 2) !== 0 || name.endsWith('char'), isBool: (encoding & 4) !== 0 };
      }
      case K.ENUM: case K.ENUM64:
        return { kind: 'enum', name, size: sizeOrType, signed: kindFlag, names: () => this.enumNames(id) };
      case K.PTR:
        return { kind: 'ptr', target: () => this.type(sizeOrType) };
      case K.ARRAY:
        return { kind: 'array', elem: this.type(r.u32(p + 12)), count: r.u32(p + 20) };
      case K.STRUCT: case K.UNION: {
        const vlen = r.vlen(id);
        let members: CMember[] | undefined;
        return {
          kind: 'record', union: kind === K.UNION, name, size: sizeOrType,
          members: () => {
            if (members) return members;
            members = [];
            for (let i = 0; i < vlen; i++) {
              const q = p + BTF_RECORD_HEADER + 12 * i;
              const off = r.u32(q + 8);
              members.push({
                name: r.str(r.u32(q)), type: this.type(r.u32(q + 4)),
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

/**
 * Where the kernel's types come from: the raw BTF file `BPFTRACE_BTF` names (as bpftrace, it then
 * replaces the kernel's own), else `/sys/kernel/btf/vmlinux`.
 */
export function vmlinuxBtfPath(): string {
  return process.env.BPFTRACE_BTF || VMLINUX_BTF;
}

/** bpftrace's warning when `BPFTRACE_BTF` names a file that is not raw BTF (undefined otherwise). */
export function btfEnvWarning(): string | undefined {
  const path = process.env.BPFTRACE_BTF;
  return path && !kernelBtfTypes() ? `BTF: failed to parse BTF from ${path}` : undefined;
}

/** The running kernel's BTF, read on first use; undefined when the kernel has none. */
export function kernelBtfTypes(path = vmlinuxBtfPath()): Btf | undefined {
  if (kernelBtf === undefined) {
    try {
      kernelBtf = new Btf(readFileSync(path));
    } catch {
      kernelBtf = null;
    }
  }
  return kernelBtf ?? undefined;
}
