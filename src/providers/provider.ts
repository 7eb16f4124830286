import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import type { Type } from '../types/types.js';

/** BPF program types (include/uapi/linux/bpf.h). */
export const ProgType = {
  KPROBE: 2,
  TRACEPOINT: 5,
  PERF_EVENT: 7,
  RAW_TRACEPOINT: 17,
} as const;

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
  | { readonly kind: 'perf'; readonly perfType: number; readonly config: number; readonly period?: number; readonly freq?: number; readonly cpus: 'all' | 'first' };

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

/** One probe type. Adding a probe type means one file like this and one line in registry.ts. */
export interface Provider {
  readonly name: string;
  readonly aliases: readonly string[];
  /**
   * Parse an attach point (`raw` is the full text, the provider name included) and expand its
   * wildcards into concrete probes; report problems to `diags` at `span`.
   */
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[];
  /** List probes matching a glob over full names (for `-l`). */
  list(): string[];
  attach(probe: ConcreteProbe, progFd: number, ops: KernelOps): Attachment;
}

/** Glob with `*` and `?` as in bpftrace attach points. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}
