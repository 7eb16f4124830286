import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import type { ConcreteProbe } from '../contract/index.js';

// The probe records a provider produces are part of the compiled script (src/contract/probe.ts);
// the uapi ids are src/contract/uapi.ts. Re-exported so providers keep one import.
export { AttachType, ProgType } from '../contract/index.js';
export type { AttachRequest, ConcreteProbe, ContextField, UsdtArgSpec } from '../contract/index.js';

/** What probe expansion may depend on besides the attach point: the -p process. */
export interface ExpandContext {
  /** `-p PID` (or the `-c` child once it runs): user probes resolve in, and attach to, this process. */
  readonly pid?: number;
}

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
  /** bpf_link_create (tp_btf, fentry/fexit; xdp and tcx with an ifindex as the target and XDP mode flags). */
  linkCreate(progFd: number, targetFd: number, attachType: number, flags?: number): number;
  /** Classic tc: a direct-action cls_bpf filter on the clsact qdisc (made when missing); it outlives the process. */
  tcClassicAttach(ifindex: number, direction: 'ingress' | 'egress', progFd: number): { handle: number; priority: number; createdQdisc: boolean };
  tcClassicDetach(ifindex: number, direction: 'ingress' | 'egress', handle: number, priority: number): void;
  tcClassicQdiscDelete(ifindex: number): void;
  /** A BPF_TRACE_UPROBE_MULTI link: the program on every file offset of `path` (return probes with `isReturn`). */
  uprobeMultiLink(progFd: number, path: string, offsets: readonly number[], opts: { readonly isReturn: boolean; readonly pid?: number }): number;
}

/** What attaching left open; closed on detach. */
export interface Attachment {
  readonly fds: readonly number[];
  /** BEGIN/END programs are not attached but run by the runtime at start/exit. */
  readonly runAt?: 'start' | 'exit';
  /** An iterator's link (one of `fds`): the runtime reads an iterator created from it once every probe is attached. */
  readonly iterLink?: number;
  /** A self probe: the runtime runs the program each time tsbpf receives this signal. */
  readonly onSignal?: 'SIGUSR1';
  /**
   * Undo what closing `fds` does not (a classic tc filter, which the kernel keeps after the process
   * is gone); called once when the probe is detached, whichever way the run ends.
   */
  readonly release?: () => void;
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
  /**
   * A wildcarded attach point's probes as fewer probes each attached through one multi link
   * (uprobe_multi), or undefined when `raw` has no wildcard. The compiler asks only where the
   * kernel has such links and the block does not tell its probes apart (`probe`, `func`).
   */
  mergeForMultiLink?(probes: readonly ConcreteProbe[], raw: string): ConcreteProbe[] | undefined;
  /** A provider-specific explanation of a program-load failure (errno name), e.g. TRACING programs refused. */
  explainLoadFailure?(probe: ConcreteProbe, code: string): { message: string; hint?: string } | undefined;
  /**
   * How `-p PID` / `-c CMD` limit the probe to one process: 'program' — the program starts with
   * `if (pid != PID) return` (bpftrace's pid_filter_pass; the probe cannot be attached to one
   * process); 'attach' — the attach request carries the pid; 'none' — it runs regardless (timers, BEGIN/END).
   */
  readonly pidFilter: 'program' | 'attach' | 'none';
  /**
   * The kernel runs the programs attached to one point newest first (a uprobe's consumers are
   * added at the head of its list): the runtime attaches these in reverse program order, so two
   * probes on one point run in program order, as bpftrace's do.
   */
  readonly runsNewestFirst?: boolean;
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
