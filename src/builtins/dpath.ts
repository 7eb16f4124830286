/**
 * path(p [, size]): the full path of a `struct path` with bpf_d_path (bpftrace stdlib). The kernel
 * lets only iterators (iter:task_file: `path(ctx.file.f_path)`) and fentry/fexit/LSM programs of
 * the functions in its `btf_allowlist_d_path` call it, and wants a pointer it trusts (a BTF pointer
 * from the context, never a number read with probe_read): the argument is a context field
 * (`ctx.X`, `args.X`) that points to a `struct path`, or one followed by embedded members that end
 * in one (`ctx.file.f_path`). socket_cookie(sk) takes such a pointer too.
 */
import type * as ast from '../ast/nodes.js';
import { Helper } from '../contract/index.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import { cTypeName, findMember, type CType } from '../kernel/btf.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { kallsymsHasData } from '../kernel/kallsyms.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { noneType, type Type } from '../types/types.js';
import { argCount, c64, type ArgContext, type LibFunction } from './library.js';

/** bpf_d_path's program types (kernel bpf_d_path_allowed / tracing_prog_func_proto). */
const D_PATH_PROVIDERS = new Set(['iter', 'fentry', 'fexit']);

/** `ctx.a.b.c` / `args->a.b`: the base name and the member names, or undefined for any other expression. */
function memberChain(e: ast.Expr): { base: string; fields: string[] } | undefined {
  const fields: string[] = [];
  let cur: ast.Expr = e;
  while (cur.kind === 'FieldAccess') {
    fields.unshift(cur.field);
    cur = cur.object;
  }
  return cur.kind === 'Identifier' && fields.length > 0 ? { base: cur.name, fields } : undefined;
}

/** The trusted `struct path *` the argument names, as an offset from a context pointer field. */
function pathPointer(arg: ast.Expr, cx: { readonly probe: ConcreteProbe }): { slot: number; offset: number } | string {
  const chain = memberChain(arg);
  if (!chain || (chain.base !== 'ctx' && chain.base !== 'args')) return 'path() takes a struct path reached from the probe context, e.g. path(ctx.file.f_path) or path(args.path)';
  const [first, ...rest] = chain.fields as [string, ...string[]];
  const field = cx.probe.args?.find((f) => f.name === first);
  if (!field || field.type.kind !== 'ptr' || !field.type.ctype || field.type.ctype.kind !== 'ptr') return `path(): ${chain.base}.${first} is not a kernel pointer of ${cx.probe.name}`;
  let t: CType = field.type.ctype.target();
  let offset = 0;
  for (const name of rest) {
    const m = findMember(t, name);
    if (!m) return `path(): ${cTypeName(t)} has no member ${name}`;
    if (t.kind === 'ptr') return 'path(): the struct path must be reached through embedded members, not another pointer';
    offset += m.bitOffset / 8;
    t = m.type;
  }
  if (t.kind !== 'record' || cTypeName(t) !== 'struct path') return `path() needs a struct path, got ${cTypeName(t)}`;
  return { slot: field.offset, offset };
}

type ProbeArgContext = ArgContext & { readonly probe: ConcreteProbe; readonly maxStrlen: number };

/** path()'s checks: the result's size and where the struct path is; undefined after an error. */
function pathArgs(call: ast.Call, cx: ProbeArgContext): { size: number; where: { slot: number; offset: number } } | undefined {
  if (!argCount(call, cx, 1, 2)) return undefined;
  if (!D_PATH_PROVIDERS.has(cx.probe.provider)) {
    cx.diags.error('unsupported', `path() uses bpf_d_path, which the kernel allows only in iter probes and in fentry/fexit probes of some functions, not in ${cx.probe.provider} probes`, call.span);
    return undefined;
  }
  const size = call.args[1] ? Number(cx.constInt(call.args[1])) : cx.maxStrlen;
  if (!(size > 0 && size <= 4096)) {
    cx.diags.error('fail', `path(): size must be between 1 and 4096, got ${size}`, call.args[1]?.span ?? call.span);
    return undefined;
  }
  const where = pathPointer(call.args[0]!, cx);
  if (typeof where === 'string') {
    cx.diags.error('type-mismatch', where, call.args[0]!.span);
    return undefined;
  }
  return { size, where };
}

const path: LibFunction = {
  name: 'path',
  type(call, tx) {
    const a = pathArgs(call, tx);
    return a ? { kind: 'str', size: a.size } : noneType;
  },
  expr(call, cx) {
    const a = pathArgs(call, cx);
    if (!a) return cx.fail();
    const { size, where } = a;
    // Loaded once from the context as the kernel typed it (a maybe-NULL BTF pointer) into a
    // variable, checked, then offset: the verifier sees the checked pointer reach bpf_d_path.
    const tmp = cx.temp();
    const ptr: IrExpr = { op: 'var', id: tmp };
    const addr: IrExpr = where.offset ? { op: 'binary', operator: '+', left: ptr, right: c64(where.offset), signed: false } : ptr;
    const fill: IrBlob = { op: 'callFill', size, helper: Helper.d_path, args: [{ kind: 'int', value: addr }, { kind: 'dst' }, { kind: 'int', value: c64(size) }] };
    const blob: IrBlob = {
      op: 'seqBlob',
      stmts: [{ op: 'setVar', id: tmp, value: { op: 'ctxLoad', offset: where.slot, size: 8, signed: false } }],
      value: { op: 'select', cond: { op: 'binary', operator: '!=', left: ptr, right: c64(0), signed: false }, then: fill, else: { op: 'zero', size }, size },
    };
    return { type: { kind: 'str', size }, blob };
  },
};

/** socket_cookie's socket: a context field's offset; undefined after an error. */
function socketField(call: ast.Call, cx: { readonly diags: Diagnostics; readonly probe: ConcreteProbe }): { offset: number } | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  if (!D_PATH_PROVIDERS.has(cx.probe.provider)) {
    cx.diags.error('unsupported', `socket_cookie() needs a socket pointer the kernel typed (iter or fentry/fexit probes), not available in ${cx.probe.provider} probes`, call.span);
    return undefined;
  }
  const chain = memberChain(call.args[0]!);
  const field = chain && (chain.base === 'ctx' || chain.base === 'args') && chain.fields.length === 1 ? cx.probe.args?.find((f) => f.name === chain.fields[0]) : undefined;
  const target = field?.type.kind === 'ptr' && field.type.ctype?.kind === 'ptr' ? cTypeName(field.type.ctype.target()) : undefined;
  if (!field || !target || !/^struct (sock|sock_common|tcp_sock|udp_sock|unix_sock|inet_sock|tcp6_sock|udp6_sock|raw_sock)$/.test(target)) {
    cx.diags.error('type-mismatch', `socket_cookie() takes a socket pointer field of the probe context, e.g. socket_cookie(ctx.sk_common) in iter:tcp or socket_cookie(args.sk)${target ? ` (got ${target} *)` : ''}`, call.args[0]!.span);
    return undefined;
  }
  return field;
}

const cookieType: Type = { kind: 'int', bits: 64, signed: false };

/**
 * socket_cookie(sk): bpf_get_socket_cookie of a socket pointer the kernel typed (a context field:
 * `ctx.sk_common` of iter:tcp, `args.sk` of fentry), the socket's stable 64-bit id (0 for NULL).
 */
const socketCookie: LibFunction = {
  name: 'socket_cookie',
  type: (call, tx) => (socketField(call, tx) ? cookieType : noneType),
  expr(call, cx) {
    const field = socketField(call, cx);
    if (!field) return cx.fail();
    // Passed as loaded (a maybe-NULL BTF pointer, which the helper accepts), never offset.
    const sk: IrExpr = { op: 'ctxLoad', offset: field.offset, size: 8, signed: false };
    return { type: cookieType, int: { op: 'call', helper: Helper.get_socket_cookie, args: [{ kind: 'int', value: sk }] } };
  },
};

/** percpu_kaddr's variable; undefined after an error. */
function percpuName(call: ast.Call, cx: ArgContext): string | undefined {
  if (!argCount(call, cx, 1, 2)) return undefined;
  const name = cx.constString(call.args[0]!, 'a string literal (the per-CPU variable)');
  if (name === undefined) return undefined;
  if (kernelBtfFuncs()?.varId(name) === undefined) {
    cx.diags.error('unknown-identifier', `percpu_kaddr(): the kernel has no variable ${name} in its BTF`, call.args[0]!.span);
    return undefined;
  }
  if (!kallsymsHasData(name)) {
    cx.diags.error('unsupported', `percpu_kaddr(): the kernel does not publish the address of ${name} (/proc/kallsyms lists no variables without CONFIG_KALLSYMS_ALL), so the verifier cannot resolve it`, call.args[0]!.span);
    return undefined;
  }
  return name;
}

const percpuType: Type = { kind: 'ptr', to: 'uint64', space: 'kernel' };

/**
 * percpu_kaddr("name" [, cpu]): the address of per-CPU kernel variable `name` on this CPU
 * (bpf_this_cpu_ptr) or on CPU `cpu` (bpf_per_cpu_ptr: 0 past the last CPU), from its ksym.
 */
const percpuKaddr: LibFunction = {
  name: 'percpu_kaddr',
  type(call, tx) {
    if (percpuName(call, tx) === undefined) return noneType;
    if (call.args[1]) tx.typeOf(call.args[1]);
    return percpuType;
  },
  expr(call, cx) {
    const name = percpuName(call, cx);
    if (name === undefined) return cx.fail();
    const sym: IrExpr = { op: 'ksym', name };
    const int: IrExpr = call.args[1]
      ? { op: 'call', helper: Helper.per_cpu_ptr, args: [{ kind: 'int', value: sym }, { kind: 'int', value: cx.intOf(cx.value(call.args[1]), call.args[1]) }] }
      : { op: 'call', helper: Helper.this_cpu_ptr, args: [{ kind: 'int', value: sym }] };
    return { type: percpuType, int };
  },
};

export const PATH_FUNCTIONS: readonly LibFunction[] = [path, socketCookie, percpuKaddr];
