/** Process and system builtins: username, elapsed, func, cgroupid, ncpus, numaid, jiffies, usermode-free helpers. */
import { statSync } from 'node:fs';
import type * as ast from '../ast/nodes.js';
import type { Span } from '../common/span.js';
import type { IrExpr } from '../ir/ir.js';
import { u32, u64 } from '../types/types.js';
import { argCount, c64, stringValue, type LibFunction, type LibValue, type LibVar, type LowerContext } from './library.js';
import { possibleCpuCount } from '../kernel/cpus.js';
import { Helper, MapType } from '../contract/index.js';
import { kernelSymbolAddress } from './stacks.js';


/**
 * ppid, pcomm, leader_tid, leader_comm (bpftrace 0.26 stdlib base.bt): `task.real_parent.pid`,
 * `task.real_parent.comm`, `task.group_leader.pid`, `task.group_leader.comm` of `curtask` or of
 * the task given, lowered as those field accesses (kernel BTF).
 */
function taskField(cx: LowerContext, span: Span, task: ast.Expr | undefined, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): LibValue {
  const object: ast.Expr = task ?? { kind: 'Identifier', name: 'curtask', span };
  const parent: ast.Expr = { kind: 'FieldAccess', object, field: link, fieldSpan: span, arrow: false, span };
  const v = cx.value({ kind: 'FieldAccess', object: parent, field, fieldSpan: span, arrow: false, span });
  if (field === 'pid' && v.int) return { type: u32, int: { op: 'cast', operand: v.int, bits: 32, signed: false } };
  return v;
}

function taskFn(name: string, link: 'real_parent' | 'group_leader', field: 'pid' | 'comm'): { fn: LibFunction; v: LibVar } {
  return {
    fn: { name, expr: (call, cx) => (argCount(call, cx, 0, 1) ? taskField(cx, call.span, call.args[0], link, field) : cx.fail()) },
    v: { name, lower: (n, cx) => taskField(cx, n.span, undefined, link, field) },
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

const nsecs: LibFunction = {
  name: 'nsecs',
  expr(call, cx) {
    if (!argCount(call, cx, 0, 1)) return cx.fail();
    const a = call.args[0];
    const mode = a === undefined ? 'boot' : a.kind === 'Identifier' ? a.name : undefined;
    const helper = mode === undefined ? undefined : NSECS_CLOCKS[mode];
    if (helper === undefined) {
      cx.diags.error('invalid-argument', 'nsecs() takes a clock: monotonic, boot, tai or sw_tai', a!.span);
      return cx.fail();
    }
    return { type: u64, int: { op: 'call', helper, args: [] } };
  },
};

/** One-entry array holding the run's start time (CLOCK_MONOTONIC ns), written by the runtime before BEGIN. */
export const START_TIME_MAP = '.start';

function username(cx: LowerContext): LibValue {
  void cx;
  const uid: IrExpr = { op: 'binary', operator: '&', left: { op: 'call', helper: Helper.get_current_uid_gid, args: [] }, right: c64(0xffffffff), signed: false };
  return { type: { kind: 'rich', of: 'username', size: 8 }, blob: { op: 'int', value: uid, size: 8 } };
}

/** `elapsed`: ns since tsbpf started: bpf_ktime_get_ns() - the start time the runtime stored. */
function elapsed(cx: LowerContext): LibValue {
  const map = cx.internalMap(START_TIME_MAP, { bpfType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  const start: IrExpr = { op: 'mapGet', map, key: { op: 'int', value: c64(0), size: 4 } };
  return { type: u64, int: { op: 'binary', operator: '-', left: { op: 'call', helper: Helper.ktime_get_ns, args: [] }, right: start, signed: false } };
}

/** `func`: the traced function; every probe is concrete after expansion, so its name is known. */
function func(cx: LowerContext, span: import('../common/span.js').Span): LibValue {
  const p = cx.probe;
  const kinds: Record<string, true> = { kprobe: true, kretprobe: true, uprobe: true, uretprobe: true, fentry: true, fexit: true, kfunc: true, kretfunc: true, rawtracepoint: true };
  if (!kinds[p.provider]) {
    cx.diags.error('no-such-builtin', `func is not available in ${p.provider} probes`, span);
    return cx.fail();
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
  if (addr !== undefined && addr !== 0n) return { type: { kind: 'rich', of: 'ksym', size: 8 }, blob: { op: 'int', value: c64(addr), size: 8 } };
  return stringValue(name);
}

const KERNEL_FUNC_PROBES = new Set(['kprobe', 'kretprobe', 'fentry', 'fexit', 'kfunc', 'kretfunc']);

const cgroupid: LibFunction = {
  name: 'cgroupid',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const path = cx.constString(call.args[0]!, 'a cgroup path');
    if (path === undefined) return cx.fail();
    try {
      // cgroup v2 ids are the kernfs inode numbers of the cgroup directories.
      return { type: u64, int: c64(statSync(path, { bigint: true }).ino) };
    } catch (e) {
      cx.diags.error('invalid-argument', `cgroupid: cannot stat ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, call.args[0]!.span);
      return cx.fail();
    }
  },
};

/**
 * cgroup_path(id[, filter]): resolved to `hierarchy:path` pairs by user space when printed
 * (runtime/output/rich-values.ts cgroupPath); `filter` is a wildcard on the hierarchy names ("unified"
 * for cgroup2).
 */
const cgroupPath: LibFunction = {
  name: 'cgroup_path',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 2)) return cx.fail();
    const filter = call.args[1] ? cx.constString(call.args[1], 'a string literal filter') : '*';
    if (filter === undefined) return cx.fail();
    const id = cx.intOf(cx.value(call.args[0]!), call.args[0]!);
    return { type: { kind: 'rich', of: 'cgroup_path', size: 8, arg: filter }, blob: { op: 'int', value: id, size: 8 } };
  },
};

const noArgs = (name: string, f: (cx: LowerContext) => LibValue): LibFunction => ({
  name,
  expr: (call, cx) => (argCount(call, cx, 0, 0) ? f(cx) : cx.fail()),
});

const ncpus = (): LibValue => ({ type: u64, int: c64(possibleCpuCount()) });
const numaid = (): LibValue => ({ type: u32, int: { op: 'call', helper: Helper.get_numa_node_id, args: [] } });
const jiffies = (): LibValue => ({ type: u64, int: { op: 'call', helper: Helper.jiffies64, args: [] } });

export const PROCESS_FUNCTIONS: readonly LibFunction[] = [
  noArgs('username', username),
  noArgs('elapsed', elapsed),
  noArgs('ncpus', ncpus),
  noArgs('numaid', numaid),
  noArgs('jiffies', jiffies),
  { name: 'func', expr: (call, cx) => (argCount(call, cx, 0, 0) ? func(cx, call.span) : cx.fail()) },
  cgroupid,
  cgroupPath,
  nsecs,
  ...TASK_FNS.map((t) => t.fn),
];

export const PROCESS_VARS: readonly LibVar[] = [
  { name: 'username', lower: (_n, cx) => username(cx) },
  { name: 'elapsed', lower: (_n, cx) => elapsed(cx) },
  { name: 'func', lower: (n, cx) => func(cx, n.span) },
  { name: 'ncpus', lower: () => ncpus() },
  { name: 'numaid', lower: () => numaid() },
  { name: 'jiffies', lower: () => jiffies() },
  ...TASK_FNS.map((t) => t.v),
];
