/** Process and system builtins: username, elapsed, func, cgroupid, ncpus, numaid, jiffies, usermode-free helpers. */
import { statSync } from 'node:fs';
import type * as ast from '../ast/nodes.js';
import type { Span } from '../common/span.js';
import type { IrExpr } from '../ir/ir.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { noneType, u32, u64, type Type } from '../types/types.js';
import { argCount, c64, heldAsInt, stringValue, type ArgContext, type LibFunction, type LibValue, type LibVar, type LowerContext, type TypeContext } from './library.js';
import { possibleCpuCount } from '../kernel/cpus.js';
import { Helper, MapType } from '../contract/index.js';
import { kernelSymbolAddress } from './stacks.js';


/**
 * ppid, pcomm, leader_tid, leader_comm (bpftrace 0.26 stdlib base.bt): `task.real_parent.pid`,
 * `task.real_parent.comm`, `task.group_leader.pid`, `task.group_leader.comm` of `curtask` or of
 * the task given, lowered as those field accesses (kernel BTF).
 */
function taskFieldExpr(span: Span, task: ast.Expr | undefined, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): ast.Expr {
  const object: ast.Expr = task ?? { kind: 'Identifier', name: 'curtask', span };
  const parent: ast.Expr = { kind: 'FieldAccess', object, field: link, fieldSpan: span, arrow: false, span };
  return { kind: 'FieldAccess', object: parent, field, fieldSpan: span, arrow: false, span };
}

function taskField(cx: LowerContext, span: Span, task: ast.Expr | undefined, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): LibValue {
  const v = cx.value(taskFieldExpr(span, task, link, field));
  if (field === 'pid' && v.int) return { type: u32, int: { op: 'cast', operand: v.int, bits: 32, signed: false } };
  return v;
}

/** taskField's type: the field's, a pid as u32. */
function taskFieldType(tx: TypeContext, span: Span, task: ast.Expr | undefined, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): Type {
  const t = tx.typeOf(taskFieldExpr(span, task, link, field));
  return field === 'pid' && heldAsInt(t) ? u32 : t;
}

function taskFn(name: string, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): { fn: LibFunction; v: LibVar } {
  return {
    fn: {
      name,
      type: (call, tx) => (argCount(call, tx, 0, 1) ? taskFieldType(tx, call.span, call.args[0], link, field) : noneType),
      expr: (call, cx) => (argCount(call, cx, 0, 1) ? taskField(cx, call.span, call.args[0], link, field) : cx.fail()),
    },
    v: { name, type: (n, tx) => taskFieldType(tx, n.span, undefined, link, field), lower: (n, cx) => taskField(cx, n.span, undefined, link, field) },
  };
}

const TASK_FNS = [
  taskFn('ppid', 'real_parent', 'pid'),
  taskFn('pcomm', 'real_parent', 'comm'),
  taskFn('leader_tid', 'group_leader', 'pid'),
  taskFn('leader_comm', 'group_leader', 'comm'),
];

/** nsecs(monotonic | boot | tai | sw_tai); `nsecs` and `nsecs()` are the boot clock. */
const NSECS_CLOCKS: Record<string, number> = {
  monotonic: Helper.ktime_get_ns,
  boot: Helper.ktime_get_boot_ns,
  tai: Helper.ktime_get_tai_ns,
  // bpftrace's sw_tai approximates TAI for kernels without bpf_ktime_get_tai_ns (before 6.1); this
  // kernel has the helper, so it is the same clock.
  sw_tai: Helper.ktime_get_tai_ns,
};

/** The clock's helper; undefined after an error. */
function nsecsHelper(call: ast.Call, cx: { readonly diags: Diagnostics }): number | undefined {
  if (!argCount(call, cx, 0, 1)) return undefined;
  const a = call.args[0];
  const mode = a === undefined ? 'boot' : a.kind === 'Identifier' ? a.name : undefined;
  const helper = mode === undefined ? undefined : NSECS_CLOCKS[mode];
  if (helper === undefined) cx.diags.error('invalid-argument', 'nsecs() takes a clock: monotonic, boot, tai or sw_tai', a!.span);
  return helper;
}

const nsecs: LibFunction = {
  name: 'nsecs',
  type: (call, tx) => (nsecsHelper(call, tx) === undefined ? noneType : u64),
  expr(call, cx) {
    const helper = nsecsHelper(call, cx);
    return helper === undefined ? cx.fail() : { type: u64, int: { op: 'call', helper, args: [] } };
  },
};

/** One-entry array holding the run's start time (CLOCK_MONOTONIC ns), written by the runtime before BEGIN. */
export const START_TIME_MAP = '.start';

const usernameType: Type = { kind: 'rich', of: 'username', size: 8 };

function username(cx: LowerContext): LibValue {
  void cx;
  const uid: IrExpr = { op: 'binary', operator: '&', left: { op: 'call', helper: Helper.get_current_uid_gid, args: [] }, right: c64(0xffffffff), signed: false };
  return { type: usernameType, blob: { op: 'int', value: uid, size: 8 } };
}

/** `elapsed`: ns since tsbpf started: bpf_ktime_get_ns() - the start time the runtime stored. */
function elapsed(cx: LowerContext): LibValue {
  const map = cx.internalMap(START_TIME_MAP, { bpfType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  const start: IrExpr = { op: 'mapGet', map, key: { op: 'int', value: c64(0), size: 4 } };
  return { type: u64, int: { op: 'binary', operator: '-', left: { op: 'call', helper: Helper.ktime_get_ns, args: [] }, right: start, signed: false } };
}

/** `func`: the traced function; every probe is concrete after expansion, so its name is known. */
function func(cx: LowerContext, span: Span): LibValue {
  const f = funcOf(cx, span);
  if (!f) return cx.fail();
  if (f.addr !== undefined) return { type: ksymType, blob: { op: 'int', value: c64(f.addr), size: 8 } };
  return stringValue(f.name);
}

/** func's type: as `func`'s value. */
function funcType(tx: TypeContext, span: Span): Type {
  const f = funcOf(tx, span);
  if (!f) return noneType;
  return f.addr !== undefined ? ksymType : stringValue(f.name).type;
}

const ksymType: Type = { kind: 'rich', of: 'ksym', size: 8 };

/** The traced function's name, and its address when it is a kernel function (printed as a ksym); undefined after an error. */
function funcOf(cx: { readonly probe: ConcreteProbe; readonly diags: Diagnostics }, span: Span): { name: string; addr?: bigint } | undefined {
  const p = cx.probe;
  const kinds: Record<string, true> = { kprobe: true, kretprobe: true, uprobe: true, uretprobe: true, fentry: true, fexit: true, kfunc: true, kretfunc: true, rawtracepoint: true };
  if (!kinds[p.provider]) {
    cx.diags.error('no-such-builtin', `The func builtin can not be used with '${p.provider}' probes`, span);
    return undefined;
  }
  let name = p.func;
  if (name === undefined) {
    const parts = p.name.split(':');
    name = parts[parts.length - 1]!;
    const plus = name.indexOf('+');
    if (plus > 0) name = name.slice(0, plus);
  }
  // In kernel function probes bpftrace types func as a ksym (xfsdist.bt stores it with ksym(0) in
  // one map): the function's address, printed as its name.
  const addr = KERNEL_FUNC_PROBES.has(p.provider) ? kernelSymbolAddress(name) : undefined;
  return addr !== undefined && addr !== 0n ? { name, addr } : { name };
}

const KERNEL_FUNC_PROBES = new Set(['kprobe', 'kretprobe', 'fentry', 'fexit', 'kfunc', 'kretfunc']);

/** The cgroup's id; undefined after an error. */
function cgroupId(call: ast.Call, cx: ArgContext): bigint | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const path = cx.constString(call.args[0]!, 'a cgroup path');
  if (path === undefined) return undefined;
  try {
    // cgroup v2 ids are the kernfs inode numbers of the cgroup directories.
    return statSync(path, { bigint: true }).ino;
  } catch (e) {
    cx.diags.error('invalid-argument', `cgroupid: cannot stat ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, call.args[0]!.span);
    return undefined;
  }
}

const cgroupid: LibFunction = {
  name: 'cgroupid',
  type: (call, tx) => (cgroupId(call, tx) === undefined ? noneType : u64),
  expr(call, cx) {
    const id = cgroupId(call, cx);
    return id === undefined ? cx.fail() : { type: u64, int: c64(id) };
  },
};

/** cgroup_path's filter: a wildcard on the hierarchy names; undefined after an error. */
function cgroupPathFilter(call: ast.Call, cx: ArgContext): string | undefined {
  if (!argCount(call, cx, 1, 2)) return undefined;
  return call.args[1] ? cx.constString(call.args[1], 'a string literal filter') : '*';
}

const cgroupPathType = (filter: string): Type => ({ kind: 'rich', of: 'cgroup_path', size: 8, arg: filter });

/**
 * cgroup_path(id[, filter]): resolved to `hierarchy:path` pairs by user space when printed
 * (runtime/output/rich-values.ts cgroupPath); `filter` is a wildcard on the hierarchy names ("unified"
 * for cgroup2).
 */
const cgroupPath: LibFunction = {
  name: 'cgroup_path',
  type(call, tx) {
    const filter = cgroupPathFilter(call, tx);
    if (filter === undefined) return noneType;
    tx.typeOf(call.args[0]!);
    return cgroupPathType(filter);
  },
  expr(call, cx) {
    const filter = cgroupPathFilter(call, cx);
    if (filter === undefined) return cx.fail();
    const id = cx.intOf(cx.value(call.args[0]!), call.args[0]!);
    return { type: cgroupPathType(filter), blob: { op: 'int', value: id, size: 8 } };
  },
};

/** A function without arguments whose value has a fixed type. */
const noArgs = (name: string, type: Type, f: (cx: LowerContext) => LibValue): LibFunction => ({
  name,
  type: (call, tx) => (argCount(call, tx, 0, 0) ? type : noneType),
  expr: (call, cx) => (argCount(call, cx, 0, 0) ? f(cx) : cx.fail()),
});

const ncpus = (): LibValue => ({ type: u64, int: c64(possibleCpuCount()) });
const numaid = (): LibValue => ({ type: u32, int: { op: 'call', helper: Helper.get_numa_node_id, args: [] } });
const jiffies = (): LibValue => ({ type: u64, int: { op: 'call', helper: Helper.jiffies64, args: [] } });

export const PROCESS_FUNCTIONS: readonly LibFunction[] = [
  noArgs('username', usernameType, username),
  noArgs('elapsed', u64, elapsed),
  noArgs('ncpus', u64, ncpus),
  noArgs('numaid', u32, numaid),
  noArgs('jiffies', u64, jiffies),
  {
    name: 'func',
    type: (call, tx) => (argCount(call, tx, 0, 0) ? funcType(tx, call.span) : noneType),
    expr: (call, cx) => (argCount(call, cx, 0, 0) ? func(cx, call.span) : cx.fail()),
  },
  cgroupid,
  cgroupPath,
  nsecs,
  ...TASK_FNS.map((t) => t.fn),
];

export const PROCESS_VARS: readonly LibVar[] = [
  { name: 'username', type: () => usernameType, lower: (_n, cx) => username(cx) },
  { name: 'elapsed', type: () => u64, lower: (_n, cx) => elapsed(cx) },
  { name: 'func', type: (n, tx) => funcType(tx, n.span), lower: (n, cx) => func(cx, n.span) },
  { name: 'ncpus', type: () => u64, lower: () => ncpus() },
  { name: 'numaid', type: () => u32, lower: () => numaid() },
  { name: 'jiffies', type: () => u64, lower: () => jiffies() },
  ...TASK_FNS.map((t) => t.v),
];
