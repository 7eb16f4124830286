/**
 * What a probe knows about where it fires: probetype, usermode, pid/tid in a PID namespace, and the
 * call forms of cpid/has_cpid (bpftrace stdlib base.bt).
 */
import { statSync } from 'node:fs';
import { arch } from 'node:os';
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import { Helper } from '../contract/index.js';
import { boolType, DEFAULT_ON_STACK_LIMIT, noneType, u32, type Type } from '../types/types.js';
import { findMember, kernelBtfTypes, type CMember } from '../kernel/btf.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { ScriptConfig } from '../passes/config.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { kfuncAllowed } from '../kernel/kfunc-allowed.js';
import type { IrStmt } from '../ir/ir.js';
import { argCount, c64, stringValue, type LibFunction, type LibValue, type LibVar, type LowerContext } from './library.js';

/** bpftrace's probe type names (probe_types.h PROBE_LIST); begin/end are `special`. */
const PROBE_TYPE_NAMES: Readonly<Record<string, string>> = {
  BEGIN: 'special', END: 'special', begin: 'special', end: 'special', self: 'special',
  kfunc: 'fentry', kretfunc: 'fexit',
};

/** bpftrace's name of a provider's probe type (`special` for begin/end, `fentry` for kfunc). */
export function probeTypeName(provider: string): string {
  return PROBE_TYPE_NAMES[provider] ?? provider;
}

function probetype(cx: { readonly probe: ConcreteProbe }): LibValue {
  return stringValue(probeTypeName(cx.probe.provider));
}

/**
 * Probes whose context starts with the x86_64 `struct pt_regs` (perf events: bpf_perf_event_data.regs):
 * where usermode reads CS and reg() any register (bpftrace's AttachPoint::check_available).
 */
export const PT_REGS_PROVIDERS: ReadonlySet<string> = new Set(['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'profile', 'interval', 'software', 'hardware', 'watchpoint', 'asyncwatchpoint']);
/** offsetof(struct pt_regs, cs) on x86_64. */
const PT_REGS_CS = 17 * 8;
const u8: Type = { kind: 'int', bits: 8, signed: false };

/**
 * usermode: 1 when the probe fired in user mode (the CPL bits of the saved CS register are 3).
 * bpftrace folds it to 1 in begin/end (run from user space) and to 0 where there are no registers.
 */
function usermode(cx: LowerContext, span: ast.Node['span']): LibValue {
  if (!usermodeAvailable(cx, span)) return cx.fail();
  const p = cx.probe.provider;
  if (PROBE_TYPE_NAMES[p] === 'special') return { type: u8, int: c64(1) };
  if (!PT_REGS_PROVIDERS.has(p)) return { type: u8, int: c64(0) };
  const cs: IrExpr = { op: 'ctxLoad', offset: PT_REGS_CS, size: 8, signed: false };
  return { type: u8, int: { op: 'binary', operator: '==', left: { op: 'binary', operator: '&', left: cs, right: c64(3), signed: false }, right: c64(3), signed: false } };
}

function usermodeAvailable(cx: { readonly diags: Diagnostics }, span: ast.Node['span']): boolean {
  if (arch() === 'x64') return true;
  cx.diags.error('unsupported', "'usermode' builtin is only supported on x86_64", span);
  return false;
}

/** The inode of the initial PID namespace (PROC_PID_INIT_INO). */
const PROC_PID_INIT_INO = 0xeffffffcn;

/** The device and inode of tsbpf's own PID namespace; undefined when it is the initial one. */
function ownPidNamespace(): { dev: bigint; ino: bigint } | undefined {
  const st = statSync('/proc/self/ns/pid', { bigint: true });
  return st.ino === PROC_PID_INIT_INO ? undefined : { dev: st.dev, ino: st.ino };
}

/**
 * pid([curr_ns|init]), tid([curr_ns|init]): curr_ns (the default) is tsbpf's own PID namespace,
 * read with bpf_get_ns_current_pid_tgid when that is not the initial one.
 */
function nsId(which: 'pid' | 'tid'): LibFunction {
  /** The namespace argument; undefined after an error. */
  const namespace = (call: ast.Call, cx: { readonly diags: Diagnostics }): 'curr_ns' | 'init' | undefined => {
    if (!argCount(call, cx, 0, 1)) return undefined;
    const a = call.args[0];
    const ns = a === undefined ? 'curr_ns' : a.kind === 'Identifier' ? a.name : undefined;
    if (ns === 'curr_ns' || ns === 'init') return ns;
    cx.diags.error('invalid-argument', `${which}() takes a PID namespace: curr_ns or init`, a!.span);
    return undefined;
  };
  return {
    name: which,
    type: (call, tx) => (namespace(call, tx) ? u32 : noneType),
    expr(call, cx) {
      const ns = namespace(call, cx);
      if (!ns) return cx.fail();
      const own = ns === 'curr_ns' ? ownPidNamespace() : undefined;
      if (!own) return { type: u32, int: { op: 'builtin', name: which } };
      // struct bpf_pidns_info { u32 pid; u32 tgid; }
      const info: IrBlob = {
        op: 'callFill', size: 8, helper: Helper.get_ns_current_pid_tgid,
        args: [{ kind: 'int', value: c64(own.dev) }, { kind: 'int', value: c64(own.ino) }, { kind: 'dst' }, { kind: 'int', value: c64(8) }],
      };
      return { type: u32, int: { op: 'blobLoad', blob: info, offset: which === 'pid' ? 4 : 0, size: 4, signed: false } };
    },
  };
}

const COMM_LEN = 16;

/** comm(pid)'s checks of its pid's type and the probe: task_struct's comm member; undefined after an error. */
function commOfPid(call: ast.Call, cx: { readonly diags: Diagnostics; readonly probe: ConcreteProbe }, pidType: Type): CMember | undefined {
  if (pidType.kind !== 'int') {
    if (pidType.kind !== 'none') cx.diags.error('type-mismatch', "Only integer supported for comm()'s pid", call.args[0]!.span);
    return undefined;
  }
  if (!kfuncAllowed('bpf_task_from_pid', cx.probe)) {
    cx.diags.error('fail', `Syntax comm(PID) is not supported in this probe type yet. Type: ${PROBE_TYPE_NAMES[cx.probe.provider] ?? cx.probe.provider}`, call.span);
    return undefined;
  }
  const task = kernelBtfTypes()?.lookup('struct task_struct');
  const commMember = task ? findMember(task, 'comm') : undefined;
  if (!commMember) cx.diags.error('fail', 'comm(pid) needs struct task_struct in the kernel BTF', call.span);
  return commMember;
}

const commOfPidType: Type = { kind: 'str', size: COMM_LEN };

/**
 * comm() is `comm`; comm(pid) is the name of the task with that pid (bpftrace base.bt): the task is
 * looked up with the bpf_task_from_pid kfunc, its comm copied, and it is released; "N/A" when no
 * task has the pid. Only probe types whose programs may call the kfunc (iter, tc, xdp, fentry
 * here; kfunc_allowed) take it, as in bpftrace.
 */
const commFn: LibFunction = {
  name: 'comm',
  type(call, tx) {
    if (!argCount(call, tx, 0, 1)) return noneType;
    if (call.args.length === 0) return tx.typeOf({ kind: 'Identifier', name: 'comm', span: call.span });
    return commOfPid(call, tx, tx.typeOf(call.args[0]!)) ? commOfPidType : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 0, 1)) return cx.fail();
    if (call.args.length === 0) return cx.value({ kind: 'Identifier', name: 'comm', span: call.span });
    const pidValue = cx.value(call.args[0]!);
    const commMember = commOfPid(call, cx, pidValue.type);
    if (!commMember) return cx.fail();
    const t = cx.temp();
    const name = cx.tempBlob(COMM_LEN);
    const taskPtr: IrExpr = { op: 'var', id: t };
    const pid32: IrExpr = { op: 'cast', operand: cx.intOf(pidValue, call.args[0]!), bits: 32, signed: true };
    const stmts: IrStmt[] = [
      { op: 'setVar', id: t, value: { op: 'kfunc', name: 'bpf_task_from_pid', args: [{ kind: 'int', value: pid32 }] } },
      {
        op: 'if',
        cond: { op: 'binary', operator: '!=', left: taskPtr, right: c64(0), signed: false },
        then: [
          { op: 'setVarBlob', id: name, value: { op: 'readBytes', addr: { op: 'binary', operator: '+', left: taskPtr, right: c64(commMember.bitOffset / 8), signed: false }, size: COMM_LEN, space: 'kernel' } },
          // bpf_task_release returns nothing: called for its effect only.
          { op: 'if', cond: { op: 'kfunc', name: 'bpf_task_release', args: [{ kind: 'int', value: taskPtr }] }, then: [], else: [] },
        ],
        else: [{ op: 'setVarBlob', id: name, value: { op: 'string', value: 'N/A', size: COMM_LEN } }],
      },
    ];
    return { type: commOfPidType, blob: { op: 'seqBlob', stmts, value: { op: 'varBlob', id: name, size: COMM_LEN } } };
  },
};

/** kfunc_allowed("name"): whether this probe's programs may call the kfunc (a load probe, src/kernel/kfunc-allowed.ts). */
function kfuncName(call: ast.Call, cx: { readonly diags: Diagnostics }): string | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const arg = call.args[0]!;
  if (arg.kind === 'StringLiteral') return arg.value;
  cx.diags.error('fail', 'kfunc_allowed() accepts a string literal only', arg.span);
  return undefined;
}

const kfuncAllowedFn: LibFunction = {
  name: 'kfunc_allowed',
  type: (call, tx) => (kfuncName(call, tx) === undefined ? noneType : boolType),
  expr(call, cx) {
    const name = kfuncName(call, cx);
    return name === undefined ? cx.fail() : { type: boolType, int: c64(kfuncAllowed(name, cx.probe) ? 1 : 0) };
  },
};

/**
 * The call forms of identifiers (bpftrace: `pid` and `pid()` are the same): cpid()/has_cpid()
 * (src/passes/target-process.ts) and the helper builtins of builtins.ts.
 */
function identifierCall(name: string): LibFunction {
  const id = (call: ast.Call): ast.Identifier => ({ kind: 'Identifier', name, span: call.span });
  return {
    name,
    type: (call, tx) => (argCount(call, tx, 0, 0) ? tx.typeOf(id(call)) : noneType),
    expr: (call, cx) => (argCount(call, cx, 0, 0) ? cx.value(id(call)) : cx.fail()),
  };
}

export const PROBE_CONTEXT_FUNCTIONS: readonly LibFunction[] = [
  {
    name: 'probetype', bare: true,
    type: (call, tx) => (argCount(call, tx, 0, 0) ? probetype(tx).type : noneType),
    expr: (call, cx) => (argCount(call, cx, 0, 0) ? probetype(cx) : cx.fail()),
  },
  {
    name: 'usermode', bare: true,
    type: (call, tx) => (argCount(call, tx, 0, 0) && usermodeAvailable(tx, call.span) ? u8 : noneType),
    expr: (call, cx) => (argCount(call, cx, 0, 0) ? usermode(cx, call.span) : cx.fail()),
  },
  nsId('pid'),
  nsId('tid'),
  ...['cpid', 'has_cpid', 'uid', 'gid', 'cpu', 'rand', 'cgroup', 'curtask'].map(identifierCall),
  commFn,
  kfuncAllowedFn,
];

/**
 * `ctx`: the probe's context record. In iter probes it is `struct bpf_iter__TARGET` and its members
 * are the probe's `args` fields (`ctx.task.comm`, `ctx->task->pid`); other probe types name their
 * context fields `args.<name>`, registers `argN`.
 */
function ctxAvailable(node: ast.Identifier, cx: { readonly diags: Diagnostics; readonly probe: ConcreteProbe }): boolean {
  if (cx.probe.provider === 'iter' && cx.probe.args) return true;
  cx.diags.error('unsupported', `ctx is available in iter probes only (here, use args.<field> or argN in ${cx.probe.provider} probes)`, node.span);
  return false;
}

const ctxVar: LibVar = {
  name: 'ctx',
  type: (node, tx) => (ctxAvailable(node, tx) ? { kind: 'args' } : noneType),
  lower: (node, cx) => (ctxAvailable(node, cx) ? { type: { kind: 'args' }, int: c64(0) } : cx.fail()),
};

/**
 * `cpid` without -c (with -c it is a constant: src/passes/target-process.ts): 0, with bpftrace's
 * run-time warning each time it is read (base.bt cpid: `has_cpid` avoids it).
 */
const cpidWithoutChild: LibVar = {
  name: 'cpid',
  type: () => u32,
  lower(node, cx) {
    const text: ast.StringLiteral = { kind: 'StringLiteral', span: node.span, value: 'No child command (`-c`); cpid is zero' };
    const warn = cx.library('warnf')?.stmt?.({ kind: 'Call', span: node.span, callee: 'warnf', calleeSpan: node.span, args: [text] }, cx) ?? [];
    return { type: u32, int: { op: 'seq', stmts: warn, value: c64(0) } };
  },
};

/**
 * `config`: the script's config as a record (bpftrace's `__builtin_config`): `config.max_strlen`,
 * `print(config)`. Values tsbpf does not use are bpftrace's defaults.
 */
const configVar: LibVar = {
  name: 'config',
  type: (node, tx) => tx.typeOf(configRecord(node, tx)),
  lower: (node, cx) => cx.value(configRecord(node, cx)),
};

/** The config record as an expression (typed and lowered as a record literal). */
function configRecord(node: ast.Identifier, cx: { readonly config?: ScriptConfig; readonly maxStrlen: number }): ast.Expr {
  const c = cx.config ?? {};
  const span = node.span;
  const bool = (value: boolean): ast.Expr => ({ kind: 'BoolLiteral', span, value });
  const int = (value: number): ast.Expr => ({ kind: 'IntLiteral', span, value: BigInt(value), raw: String(value) });
  const str = (value: string): ast.Expr => ({ kind: 'StringLiteral', span, value });
  const fields: [string, ast.Expr][] = [
    ['cpp_demangle', bool(c.cppDemangle ?? true)],
    ['lazy_symbolication', bool(true)],
    ['print_maps_on_exit', bool(c.printMapsOnExit ?? true)],
    ['use_blazesym', bool(false)],
    ['show_debug_info', bool(c.showDebugInfo ?? false)],
    ['log_size', int(c.logSize ?? 1000000)],
    ['max_bpf_progs', int(c.maxBpfProgs ?? 1024)],
    ['max_cat_bytes', int(c.maxCatBytes ?? 10240)],
    ['max_map_keys', int(c.maxMapKeys ?? 4096)],
    ['max_probes', int(c.maxProbes ?? 1024)],
    ['max_strlen', int(cx.maxStrlen)],
    ['on_stack_limit', int(c.onStackLimit ?? DEFAULT_ON_STACK_LIMIT)],
    ['perf_rb_pages', int(c.perfRbPages ?? 0)],
    ['str_trunc_trailer', str(c.strTruncTrailer ?? '..')],
    ['missing_probes', str(c.missingProbes ?? 'error')],
    ['stack_mode', str(c.stackMode ?? 'bpftrace')],
    ['license', str(c.license ?? 'GPL')],
  ];
  return { kind: 'Record', span, names: fields.map(([n]) => n), elems: fields.map(([, e]) => e) };
}

export const PROBE_CONTEXT_VARS: readonly LibVar[] = [ctxVar, cpidWithoutChild, configVar];
