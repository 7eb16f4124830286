import { kernelBtfTypes, vmlinuxBtfPath } from './btf.js';
import { BTF_KIND as K, BTF_RECORD_HEADER, BtfRecords } from './btf-records.js';

/**
 * Kernel functions and raw tracepoints from BTF, for fentry/fexit, rawtracepoint and `-l`:
 * FUNC records (the traceable kernel functions, since `available_filter_functions` is not readable
 * here), their FUNC_PROTO parameters, and the `btf_trace_<event>` typedefs that describe raw
 * tracepoint arguments. Type ids are the same as btf.ts's (`kernelBtfTypes().type(id)`), so param
 * types can be turned into language types there; C type names are printed here (typedef names
 * kept, as bpftrace prints them in `-lv`).
 */

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
  private readonly r: BtfRecords;
  private funcIds: Map<string, number> | undefined;
  private rawTps: Map<string, number> | undefined;

  /** Built on btf.ts's records (`kernelBtfTypes().records`) so vmlinux is read and indexed once. */
  constructor(source: BtfRecords | Buffer) {
    this.r = Buffer.isBuffer(source) ? new BtfRecords(source) : source;
  }

  /** Names of every FUNC record (kernel functions with BTF), sorted. */
  functions(): string[] {
    return [...this.funcMap().keys()].sort();
  }

  private funcMap(): Map<string, number> {
    if (this.funcIds) return this.funcIds;
    const m = new Map<string, number>();
    for (let id = 1; id < this.r.idLimit; id++) if (this.r.kind(id) === K.FUNC) m.set(this.r.nameOf(id), id);
    this.funcIds = m;
    return m;
  }

  private varIds: Map<string, number> | undefined;

  /** The BTF id of a VAR (a kernel global, e.g. a per-CPU variable: percpu_kaddr's ksym). */
  varId(name: string): number | undefined {
    if (!this.varIds) {
      const m = new Map<string, number>();
      for (let id = 1; id < this.r.idLimit; id++) if (this.r.kind(id) === K.VAR) m.set(this.r.nameOf(id), id);
      this.varIds = m;
    }
    return this.varIds.get(name);
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
    return id === undefined ? undefined : this.proto(this.r.sizeOrType(id));
  }

  private proto(protoId: number): BtfFuncProto | undefined {
    const r = this.r;
    if (!protoId || r.kind(protoId) !== K.FUNC_PROTO) return undefined;
    const p = r.offsetOf(protoId)!;
    const vlen = r.vlen(protoId);
    const params: BtfParam[] = [];
    for (let i = 0; i < vlen; i++) {
      const q = p + BTF_RECORD_HEADER + 8 * i;
      const typeId = r.u32(q + 4);
      if (typeId === 0) continue; // `...`
      params.push({ name: r.str(r.u32(q)), typeId, typeName: this.typeName(typeId) });
    }
    const retTypeId = r.sizeOrType(protoId);
    return { params, retTypeId, retTypeName: this.typeName(retTypeId) };
  }

  /** Raw tracepoints: the events of the `btf_trace_<event>` typedefs, sorted. */
  rawTracepoints(): string[] {
    return [...this.rawTpMap().keys()].sort();
  }

  private rawTpMap(): Map<string, number> {
    if (this.rawTps) return this.rawTps;
    const m = new Map<string, number>();
    for (let id = 1; id < this.r.idLimit; id++) {
      if (this.r.kind(id) !== K.TYPEDEF) continue;
      const name = this.r.nameOf(id);
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
    let t = this.r.sizeOrType(id);
    if (this.r.kind(t) === K.PTR) t = this.r.sizeOrType(t);
    const proto = this.proto(t);
    return proto ? proto.params.slice(1) : undefined;
  }

  /** C spelling of a type, keeping typedef names: `struct sk_buff *`, `const char *`, `size_t`. */
  typeName(id: number, depth = 0): string {
    if (id === 0) return 'void';
    if (depth > 16) return '?';
    const r = this.r;
    const kind = r.kind(id);
    const name = r.nameOf(id);
    const inner = (): string => this.typeName(r.sizeOrType(id), depth + 1);
    switch (kind) {
      case K.INT: case K.FLOAT: case K.TYPEDEF:
        return name;
      case K.STRUCT: return `struct ${name}`;
      case K.UNION: return `union ${name}`;
      case K.ENUM: case K.ENUM64: return `enum ${name}`;
      case K.FWD: return `${r.kindFlag(id) ? 'union' : 'struct'} ${name}`;
      case K.PTR: {
        const target = r.sizeOrType(id);
        if (target && r.kind(target) === K.FUNC_PROTO) return 'void *';
        const pointee = inner();
        return pointee.endsWith('*') ? `${pointee}*` : `${pointee} *`;
      }
      case K.CONST: return `const ${inner()}`;
      case K.VOLATILE: return `volatile ${inner()}`;
      case K.RESTRICT: case K.TYPE_TAG: return inner();
      case K.ARRAY: {
        const p = r.offsetOf(id)!;
        return `${this.typeName(r.u32(p + 12), depth + 1)}[${r.u32(p + 20)}]`;
      }
      default:
        return name || 'void';
    }
  }
}

let vmlinux: BtfFuncs | null | undefined;

/** The running kernel's BTF functions, read on first use; undefined when the kernel has no BTF. */
export function kernelBtfFuncs(path = vmlinuxBtfPath()): BtfFuncs | undefined {
  if (vmlinux === undefined) {
    const types = kernelBtfTypes(path);
    vmlinux = types ? new BtfFuncs(types.records) : null;
  }
  return vmlinux ?? undefined;
}
