/** Concrete probes as a compiled script carries them: produced by the compiler's providers, attached by the runtime. */
import type { Type } from './types.js';

/** A context field a probe exposes as `args.<name>` or as a builtin (`arg0`, `retval`). */
export interface ContextField {
  readonly name: string;
  readonly offset: number;
  readonly type: Type;
  /** Load width in bytes; arrays (`__u8 saddr[4]`) are copied as `str` blobs instead. */
  readonly size: number;
  /** A tracefs `__data_loc` field: its value is the context's address plus the u32's low 16 bits. */
  readonly dataLoc?: boolean;
  /**
   * Read with bpf_probe_read_kernel instead of loaded: the value is then a plain number to the
   * verifier (an iterator's maybe-NULL object pointers could not be offset otherwise).
   */
  readonly copied?: boolean;
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
  | {
    readonly kind: 'uprobe'; readonly path: string; readonly offset: number; readonly isReturn: boolean; readonly pid?: number; readonly refCtrOffset?: number;
    /** A wildcard's every file offset (`offset` is the first), attached through one BPF_TRACE_UPROBE_MULTI link. */
    readonly multi?: readonly number[];
  }
  /** rawtracepoint as BPF_PROG_TYPE_RAW_TRACEPOINT (`name`) or tp_btf (TRACING, attached by link). */
  | { readonly kind: 'rawtracepoint'; readonly event: string; readonly btf: boolean }
  /** fentry/fexit: a TRACING program attached through a link to the BTF function it was loaded for. */
  | { readonly kind: 'fentry'; readonly func: string; readonly isReturn: boolean; readonly module?: string }
  /** A bench or test probe: run (repeatedly and timed, or once and checked) by the runtime with --bench / --test; never attached. */
  | { readonly kind: 'run'; readonly mode: 'bench' | 'test'; readonly name: string }
  /** A self probe: run by the runtime (BPF_PROG_TEST_RUN) each time tsbpf receives the signal. */
  | { readonly kind: 'self'; readonly signal: 'SIGUSR1' }
  /** A BPF iterator (`bpf_iter_<target>`): a TRACING program behind a link the runtime reads to the end. */
  | { readonly kind: 'iter'; readonly target: string }
  /** Hardware breakpoint (watchpoint) on an address. */
  | { readonly kind: 'watchpoint'; readonly addr: string; readonly len: number; readonly access: string; readonly pid?: number }
  /** XDP on a network interface (by name: its index is looked up at attach time); `auto` is driver mode, else generic. */
  | { readonly kind: 'xdp'; readonly iface: string; readonly mode: 'auto' | 'driver' | 'generic'; readonly redirects?: readonly RedirectTarget[] }
  /** A tc (SCHED_CLS) program on an interface's ingress or egress hook (tcx link, or a classic cls_bpf filter). */
  | { readonly kind: 'tc'; readonly iface: string; readonly direction: 'ingress' | 'egress'; readonly redirects?: readonly RedirectTarget[] };

/**
 * An interface a packet probe's `redirect(ifname)` sends packets to, with the index compiled into
 * the program: attaching checks that the name still has that index (a re-created interface gets a
 * new one, and a cached compile would redirect to the old).
 */
export interface RedirectTarget {
  readonly iface: string;
  readonly ifindex: number;
}

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
  /**
   * Context slots (byte offsets of pointers) the kernel may pass as NULL: the program returns at
   * once when one is (an iterator's last call, at the end of its objects, has no object).
   */
  readonly skipIfNull?: readonly number[];
  /** The block's `NAME=` (bpftrace's named probes): the `probe` builtin's value instead of `name`. */
  readonly userName?: string;
  /** The function the probe is in, for the `func` builtin, when its name does not end with it (a uprobe on an address). */
  readonly func?: string;
}

/** One decoded USDT argument operand (`-4@%edi`, `8@-16(%rbp)`, `4@$5`, `8@8(%rax,%rdx,8)`). */
export type UsdtArgSpec =
  | { readonly kind: 'const'; readonly size: number; readonly signed: boolean; readonly value: string }
  | { readonly kind: 'reg'; readonly size: number; readonly signed: boolean; readonly regOffset: number }
  | { readonly kind: 'mem'; readonly size: number; readonly signed: boolean; readonly regOffset: number | undefined; readonly disp: string; readonly indexRegOffset?: number; readonly scale?: number };

/** How many probes a concrete probe is to `Attached N probes`: one per location of a uprobe_multi link, as bpftrace counts. */
export function probeCount(p: ConcreteProbe): number {
  return p.attach.kind === 'uprobe' && p.attach.multi ? p.attach.multi.length : 1;
}
