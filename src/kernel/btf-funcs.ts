import { readFileSync } from 'node:fs';
import { VMLINUX_BTF } from './btf.js';

/**
 * Kernel functions and raw tracepoints from BTF, for fentry/fexit, rawtracepoint and `-l`:
 * FUNC records (the traceable kernel functions, since `available_filter_functions` is not readable
 * here), their FUNC_PROTO parameters, and the `btf_trace_<event>` typedefs that describe raw
 * tracepoint arguments. Type ids are the same as btf.ts's (`kernelBtfTypes().type(id)`), so param
 * types can be turned into language types there; C type names are printed here (typedef names
 * kept, as bpftrace prints them in `-lv`).
 */

const K = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;

export interface BtfParam {
  readonly name: string;
  readonly typeId: number;
  /** C type name as bpftrace prints it: `struct sk_buff *`, `size_t`, `const char *`. */
  readonly typeName: string;
}

export interface BtfFuncProto {
  readonly params: readonly BtfParam[];
  readonly retTypeId: number;
  readonly retTypeName: string;
}

export class BtfFuncs {
  private readonly typeStart: number;
  private readonly typeEnd: number;
  private readonly strStart: number;
  private readonly offs: Int32Array;
  private funcIds: Map<string, number> | undefined;
  private rawTps: Map<string, number> | undefined;

  constructor(private readonly d: Buffer) {
    const hdrLen = d.readUInt32LE(4);
    this.typeStart = hdrLen + d.readUInt32LE(8);
    this.typeEnd = this.typeStart + d.readUInt32LE(12);
    this.strStart = hdrLen + d.readUInt32LE(16);
    const offs: number[] = [0];
    let p = this.typeStart;
    while (p < this.typeEnd) {
      offs.push(p);
      const info = d.readUInt32LE(p + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      p += 12;
      if (kind === K.INT || kind === K.VAR || kind === K.DECL_TAG) p += 4;
      else if (kind === K.ARRAY) p += 12;
      else if (kind === K.STRUCT || kind === K.UNION || kind === K.DATASEC || kind === K.ENUM64) p += 12 * vlen;
      else if (kind === K.ENUM || kind === K.FUNC_PROTO) p += 8 * vlen;
    }
    this.offs = Int32Array.from(offs);
  }

  private str(off: number): string {
    const start = this.strStart + off;
    return this.d.toString('latin1', start, this.d.indexOf(0, start));
  }

  private kind(id: number): number {
    return (this.d.readUInt32LE(this.offs[id]! + 4) >>> 24) & 0x1f;
  }

  private nameOf(id: number): string {
    return this.str(this.d.readUInt32LE(this.offs[id]!));
  }

  private ref(id: number): number {
    return this.d.readUInt32LE(this.offs[id]! + 8);
  }

  /** Names of every FUNC record (kernel functions with BTF), sorted. */
  functions(): string[] {
    return [...this.funcMap().keys()].sort();
  }

  private funcMap(): Map<string, number> {
    if (this.funcIds) return this.funcIds;
    const m = new Map<string, number>();
    for (let id = 1; id < this.offs.length; id++) if (this.kind(id) === K.FUNC) m.set(this.nameOf(id), id);
    this.funcIds = m;
    return m;
  }

  hasFunction(name: string): boolean {
    return this.funcMap().has(name);
  }

  /** The BTF id of a FUNC (the attach_btf_id of fentry/fexit programs). */
  funcId(name: string): number | undefined {
    return this.funcMap().get(name);
  }

  /** The parameters of a kernel function. */
  funcProto(name: string): BtfFuncProto | undefined {
    const id = this.funcMap().get(name);
    return id === undefined ? undefined : this.proto(this.ref(id));
  }

  private proto(protoId: number): BtfFuncProto | undefined {
    if (!protoId || this.kind(protoId) !== K.FUNC_PROTO) return undefined;
    const p = this.offs[protoId]!;
    const vlen = this.d.readUInt32LE(p + 4) & 0xffff;
    const params: BtfParam[] = [];
    for (let i = 0; i < vlen; i++) {
      const q = p + 12 + 8 * i;
      const typeId = this.d.readUInt32LE(q + 4);
      if (typeId === 0) continue; // `...`
      params.push({ name: this.str(this.d.readUInt32LE(q)), typeId, typeName: this.typeName(typeId) });
    }
    const retTypeId = this.ref(protoId);
    return { params, retTypeId, retTypeName: this.typeName(retTypeId) };
  }

  /** Raw tracepoints: the events of the `btf_trace_<event>` typedefs, sorted. */
  rawTracepoints(): string[] {
    return [...this.rawTpMap().keys()].sort();
  }

  private rawTpMap(): Map<string, number> {
    if (this.rawTps) return this.rawTps;
    const m = new Map<string, number>();
    for (let id = 1; id < this.offs.length; id++) {
      if (this.kind(id) !== K.TYPEDEF) continue;
      const name = this.nameOf(id);
      if (name.startsWith('btf_trace_')) m.set(name.slice('btf_trace_'.length), id);
    }
    this.rawTps = m;
    return m;
  }

  /** BTF id of the `btf_trace_<event>` typedef (tp_btf programs attach to it). */
  rawTracepointId(event: string): number | undefined {
    return this.rawTpMap().get(event);
  }

  /** A raw tracepoint's arguments: the typedef's function pointer's params without the leading `void *__data`. */
  rawTracepointArgs(event: string): BtfParam[] | undefined {
    const id = this.rawTpMap().get(event);
    if (id === undefined) return undefined;
    // The typedef's prototype has no parameter names; `__probestub_<event>` / `__traceiter_<event>` have them.
    for (const prefix of ['__probestub_', '__traceiter_']) {
      const named = this.funcProto(prefix + event);
      if (named && named.params.length > 0) return named.params.slice(1);
    }
    let t = this.ref(id);
    if (this.kind(t) === K.PTR) t = this.ref(t);
    const proto = this.proto(t);
    return proto ? proto.params.slice(1) : undefined;
  }

  /** C spelling of a type, keeping typedef names: `struct sk_buff *`, `const char *`, `size_t`. */
  typeName(id: number, depth = 0): string {
    if (id === 0) return 'void';
    if (depth > 16) return '?';
    const kind = this.kind(id);
    const name = this.nameOf(id);
    switch (kind) {
      case K.INT: case K.FLOAT: case K.TYPEDEF:
        return name;
      case K.STRUCT: return `struct ${name}`;
      case K.UNION: return `union ${name}`;
      case K.ENUM: case K.ENUM64: return `enum ${name}`;
      case K.FWD: return `${(this.d.readUInt32LE(this.offs[id]! + 4) >>> 31) === 1 ? 'union' : 'struct'} ${name}`;
      case K.PTR: {
        const target = this.ref(id);
        if (target && this.kind(target) === K.FUNC_PROTO) return 'void *';
        const inner = this.typeName(target, depth + 1);
        return inner.endsWith('*') ? `${inner}*` : `${inner} *`;
      }
      case K.CONST: return `const ${this.typeName(this.ref(id), depth + 1)}`;
      case K.VOLATILE: return `volatile ${this.typeName(this.ref(id), depth + 1)}`;
      case K.RESTRICT: case K.TYPE_TAG: return this.typeName(this.ref(id), depth + 1);
      case K.ARRAY: {
        const p = this.offs[id]!;
        return `${this.typeName(this.d.readUInt32LE(p + 12), depth + 1)}[${this.d.readUInt32LE(p + 20)}]`;
      }
      default:
        return name || 'void';
    }
  }
}

let vmlinux: BtfFuncs | null | undefined;

/** The running kernel's BTF functions, read on first use; undefined when the kernel has no BTF. */
export function kernelBtfFuncs(path = VMLINUX_BTF): BtfFuncs | undefined {
  if (vmlinux === undefined) {
    try {
      vmlinux = new BtfFuncs(readFileSync(path));
    } catch {
      vmlinux = null;
    }
  }
  return vmlinux ?? undefined;
}
