import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import type { Type } from '../types/types.js';

/** BPF program types (include/uapi/linux/bpf.h). */
export const ProgType = {
  KPROBE: 2,
  TRACEPOINT: 5,
  PERF_EVENT: 7,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
} as const;

/** BPF attach types (enum bpf_attach_type) used by providers. */
export const AttachType = {
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
} as const;

/** What probe expansion may depend on besides the attach point: the -p process. */
export interface ExpandContext {
  /** `-p PID` (or the `-c` child once it runs): user probes resolve in, and attach to, this process. */
  readonly pid?: number;
}

/** A context field a probe exposes as `args.<name>` or as a builtin (`arg0`, `retval`). */
export interface ContextField {
  readonly name: string;
  readonly offset: number;
  readonly type: Type;
  /** Load width in bytes; arrays (`__u8 saddr[4]`) are copied as `str` blobs instead. */
  readonly size: number;
}

/**
 * What the runtime must do to attach one program: plain data, carried out by the provider's own
 * `attach` function with the kernel operations the runtime hands it.
 */
export type AttachRequest =
  | { readonly kind: 'special'; readonly which: 'BEGIN' | 'END' }
  | { readonly kind: 'tracepoint'; readonly category: string; readonly event: string }
  | { readonly kind: 'kprobe'; readonly func: string; readonly offset: number; readonly isReturn: boolean; readonly module?: string }
  | { readonly kind: 'perf'; readonly perfType: number; readonly config: number; readonly period?: number; readonly freq?: number; readonly cpus: 'all' | 'first'; readonly pid?: number }
  /** uprobe/uretprobe/usdt: the uprobe PMU with a file path and file offset (and a USDT semaphore's file offset). */
  | { readonly kind: 'uprobe'; readonly path: string; readonly offset: number; readonly isReturn: boolean; readonly pid?: number; readonly refCtrOffset?: number }
  /** rawtracepoint as BPF_PROG_TYPE_RAW_TRACEPOINT (`name`) or tp_btf (TRACING, attached by link). */
  | { readonly kind: 'rawtracepoint'; readonly event: string; readonly btf: boolean }
  /** fentry/fexit: a TRACING program attached through a link to the BTF function it was loaded for. */
  | { readonly kind: 'fentry'; readonly func: string; readonly isReturn: boolean; readonly module?: string }
  /** Hardware breakpoint (watchpoint) on an address. */
  | { readonly kind: 'watchpoint'; readonly addr: string; readonly len: number; readonly access: string; readonly pid?: number };

/** One concrete probe after wildcard expansion. */
export interface ConcreteProbe {
  readonly provider: string;
  /** Canonical full name, as the `probe` builtin prints it: `tracepoint:syscalls:sys_enter_openat`. */
  readonly name: string;
  readonly progType: number;
  readonly attach: AttachRequest;
  /** `args.<field>` for probes that have args. */
  readonly args: readonly ContextField[] | undefined;
  /** `arg0..argN`, `retval` and similar register-based builtins. */
  readonly registers: readonly ContextField[];
  /** Extra program-load options (TRACING programs name their BTF target). */
  readonly load?: { readonly expectedAttachType?: number; readonly attachBtfId?: number };
  /** Files the expansion read (ELF binaries): a cached compile is stale when one changes. */
  readonly files?: readonly string[];
  /** USDT arguments: how to read `argN` (see usdt-args.ts); the lowering turns them into register/memory reads. */
  readonly usdtArgs?: readonly UsdtArgSpec[];
  /** The function the probe is in, for the `func` builtin, when its name does not end with it (a uprobe on an address). */
  readonly func?: string;
}

/** One decoded USDT argument operand (`-4@%edi`, `8@-16(%rbp)`, `4@$5`, `8@8(%rax,%rdx,8)`). */
export type UsdtArgSpec =
  | { readonly kind: 'const'; readonly size: number; readonly signed: boolean; readonly value: string }
  | { readonly kind: 'reg'; readonly size: number; readonly signed: boolean; readonly regOffset: number }
  | { readonly kind: 'mem'; readonly size: number; readonly signed: boolean; readonly regOffset: number | undefined; readonly disp: string; readonly indexRegOffset?: number; readonly scale?: number };

export interface PerfAttr {
  readonly type: number;
  readonly config: number | bigint;
  readonly samplePeriod?: number;
  readonly sampleFreq?: number;
  readonly freq?: boolean;
  /** perf kprobe PMU: the function name and offset. */
  readonly kprobeFunc?: string;
  readonly probeOffset?: bigint;
  /** perf uprobe PMU: the binary path (config1); probeOffset is the file offset (config2). */
  readonly uprobePath?: string;
  /** Breakpoint events (watchpoints). */
  readonly bpAddr?: bigint;
  readonly bpLen?: number;
  readonly bpType?: number;
  /** Child threads created after the open inherit the event (watchpoints on a process). */
  readonly inherit?: boolean;
}

/** The kernel operations a provider's `attach` may use; the runtime implements them with the native addon. */
export interface KernelOps {
  perfEventOpen(attr: PerfAttr, pid: number, cpu: number): number;
  perfEventSetBpf(perfFd: number, progFd: number): void;
  rawTracepointOpen(name: string, progFd: number): number;
  close(fd: number): void;
  onlineCpus(): number[];
  tracepointId(category: string, event: string): number;
  kprobePmuType(): number | undefined;
  /** A dynamic PMU's type number from /sys/bus/event_source/devices/NAME/type (`uprobe`, `breakpoint`). */
  pmuType(name: string): number | undefined;
  /** bpf_link_create (tp_btf, fentry/fexit). */
  linkCreate(progFd: number, targetFd: number, attachType: number): number;
}

/** What attaching left open; closed on detach. */
export interface Attachment {
  readonly fds: readonly number[];
  /** BEGIN/END programs are not attached but run by the runtime at start/exit. */
  readonly runAt?: 'start' | 'exit';
}

/** A failure to attach explained for the user. */
export class AttachError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'AttachError';
  }
}

/**
 * One probe type. Adding a probe type means one file like this and one line in registry.ts (and
 * its lazy loader in loaders.ts): listing, -p filtering and shell completion are read from here.
 */
export interface Provider {
  readonly name: string;
  readonly aliases: readonly string[];
  /**
   * Parse an attach point (`raw` is the full text, the provider name included) and expand its
   * wildcards into concrete probes; report problems to `diags` at `span`.
   */
  expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[];
  /**
   * Probes for `-l` (full names, `provider:...`). `pattern` is the user's search (already in full
   * form), so providers whose probes live in files (uprobe, usdt) know which file to read; with
   * `verbose`, each entry may carry its argument lines as bpftrace's `-lv` prints them.
   */
  list(pattern?: string, ctx?: ExpandContext): string[];
  /** `-lv`: the argument lines printed under one listed probe (e.g. `    int fd`). */
  describe?(name: string): string[];
  attach(probe: ConcreteProbe, progFd: number, ops: KernelOps): Attachment;
  /** A provider-specific explanation of a program-load failure (errno name), e.g. TRACING programs refused. */
  explainLoadFailure?(probe: ConcreteProbe, code: string): { message: string; hint?: string } | undefined;
  /**
   * How `-p PID` / `-c CMD` limit the probe to one process: 'program' — the program starts with
   * `if (pid != PID) return` (bpftrace's pid_filter_pass; the probe cannot be attached to one
   * process); 'attach' — the attach request carries the pid; 'none' — it runs regardless (timers, BEGIN/END).
   */
  readonly pidFilter: 'program' | 'attach' | 'none';
  /** How `-l` lists this type; absent: listed only when named, search read as `type:REST`. */
  readonly listing?: ProviderListing;
  /** Shell completion; absent: the candidates are `list()`. */
  readonly completion?: ProviderCompletion;
}

export interface ProviderListing {
  /**
   * Listed for a wildcard probe type (`-l 'vfs_*'`, `-l '*:x'`): 'kernel' always (bpftrace's
   * show_in_kernel_list), 'user' only with -p or an existing target file; absent: only when named.
   */
  readonly wildcard?: 'kernel' | 'user';
  /**
   * How the search after `type:` is read: 'target' — `type:TARGET:NAME`, or `type:NAME` for any
   * target; 'name' — as written; absent — as written, `*` when empty.
   */
  readonly search?: 'target' | 'name';
  /**
   * `-l` with a program: the name listed for one expanded probe (bpftrace lists matches without
   * offsets or periods); undefined lists none. Absent: the probe's full name.
   */
  name?(probe: ConcreteProbe): string | undefined;
}

export interface ProviderCompletion {
  /** Takes no `:` part (BEGIN, END): completed as the bare name. */
  readonly bare?: boolean;
  /** The candidates after `type:` for the text typed so far after it (`rest`), without the `type:` prefix. */
  after?(rest: string): readonly string[];
  /** `args.` field names of one attach point's probe (`rest` as above). */
  argFields?(rest: string): readonly string[];
}

/**
 * perf_event_open + PERF_EVENT_IOC_SET_BPF on each target (a pid/CPU pair), as every perf-event
 * based probe type attaches: on a failure every event opened so far is closed and the kernel's
 * error is rethrown for the provider to explain. Returns the fds to close on detach.
 */
export function attachPerfEvents(ops: KernelOps, attr: PerfAttr, targets: readonly { readonly pid: number; readonly cpu: number }[], progFd: number): number[] {
  const fds: number[] = [];
  try {
    for (const { pid, cpu } of targets) {
      const fd = ops.perfEventOpen(attr, pid, cpu);
      fds.push(fd);
      ops.perfEventSetBpf(fd, progFd);
    }
  } catch (e) {
    for (const fd of fds) ops.close(fd);
    throw e;
  }
  return fds;
}

/** One perf event for the whole system: pid -1 on the first online CPU (a tracepoint or kprobe program runs for every task on every CPU). */
export function systemWideTarget(ops: KernelOps): { pid: number; cpu: number }[] {
  return [{ pid: -1, cpu: ops.onlineCpus()[0] ?? 0 }];
}

/** Glob with `*` and `?` as in bpftrace attach points. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}
