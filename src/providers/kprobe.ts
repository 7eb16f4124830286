import { existsSync, readFileSync } from 'node:fs';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { kernelHasKprobes } from '../kernel/tracefs.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { i64, u64 } from '../types/types.js';
import { AttachError, attachPerfEvents, globToRegExp, hasWildcard, ProgType, systemWideTarget, type ConcreteProbe, type ContextField, type Provider } from './provider.js';

/** x86-64 `struct pt_regs` offsets of the argument registers (di, si, dx, cx, r8, r9) and ax. */
const ARG_OFFSETS = [112, 104, 96, 88, 72, 64] as const;
const AX_OFFSET = 80;

/** Stable tracepoints that cover the same events as common kprobe targets, for the attach hint. */
const TRACEPOINT_ALTERNATIVES: Record<string, string> = {
  tcp_set_state: 'tracepoint:sock:inet_sock_set_state',
  do_sys_open: 'tracepoint:syscalls:sys_enter_openat',
  do_sys_openat2: 'tracepoint:syscalls:sys_enter_openat',
  vfs_read: 'tracepoint:syscalls:sys_enter_read',
  vfs_write: 'tracepoint:syscalls:sys_enter_write',
  do_execve: 'tracepoint:syscalls:sys_enter_execve',
  tcp_connect: 'tracepoint:sock:inet_sock_set_state',
  tcp_retransmit_skb: 'tracepoint:tcp:tcp_retransmit_skb',
  kfree_skb: 'tracepoint:skb:kfree_skb',
  schedule: 'tracepoint:sched:sched_switch',
  wake_up_new_task: 'tracepoint:sched:sched_wakeup_new',
  do_exit: 'tracepoint:sched:sched_process_exit',
};

let kernelFunctions: string[] | undefined;
/**
 * Kernel function names kprobes may use: from `--traceable-functions FILE` (bpftrace's format:
 * `symbol` or `symbol [module]` a line), else /proc/kallsyms text symbols with BTF
 * (`available_filter_functions` is not readable here). Compiler clones (`lookup_fast.constprop.0`,
 * `.isra.0`, `.part.0`) are kept, as that list keeps them; `.cold` parts are not function entries.
 */
export function listKernelFunctions(): string[] {
  if (kernelFunctions) return kernelFunctions;
  const file = process.env['TSBPF_TRACEABLE_FUNCTIONS'];
  if (file) {
    const names = new Set<string>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, mod] = line.trim().split(/\s+/);
      if (name && !mod) names.add(name);
    }
    kernelFunctions = [...names].sort();
    return kernelFunctions;
  }
  const names = new Set<string>();
  if (existsSync('/proc/kallsyms')) {
    for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
      const [, type, name, mod] = line.split(/\s+/);
      if (!name || (type !== 't' && type !== 'T') || mod) continue;
      if (name.startsWith('__pfx_') || /\.cold(\.\d+)?$/.test(name)) continue;
      names.add(name);
    }
  }
  // Functions with BTF are the traceable ones (available_filter_functions is not readable here);
  // kallsyms alone also lists static trampolines and symbols ftrace cannot patch. A clone has no
  // BTF of its own: it counts when the function it was cloned from has.
  const btf = kernelBtfFuncs();
  kernelFunctions = [...names].filter((n) => !btf || btf.hasFunction(n.split('.', 1)[0]!)).sort();
  return kernelFunctions;
}

function parseTarget(target: string): { module?: string; func: string; offset: number } | undefined {
  const parts = target.split(':');
  const last = parts.pop() ?? '';
  const m = /^([A-Za-z0-9_.*?]+)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(last);
  if (!m || parts.length > 1) return undefined;
  return { module: parts[0], func: m[1]!, offset: m[2] ? Number(m[2]) : 0 };
}

function makeKprobeProvider(name: 'kprobe' | 'kretprobe', alias: string): Provider {
  const isReturn = name === 'kretprobe';
  const registers: ContextField[] = isReturn
    ? [{ name: 'retval', offset: AX_OFFSET, size: 8, type: i64 }]
    : ARG_OFFSETS.map((offset, i) => ({ name: `arg${i}`, offset, size: 8, type: u64 }));
  const probe = (func: string, offset: number, module?: string): ConcreteProbe => ({
    provider: name,
    name: `${name}:${module ? module + ':' : ''}${func}${offset ? '+' + offset : ''}`,
    progType: ProgType.KPROBE,
    attach: { kind: 'kprobe', func, offset, isReturn, module },
    args: undefined,
    registers,
  });
  return {
    name,
    aliases: [alias],
    pidFilter: 'program',
    listing: {
      // bpftrace's show_in_kernel_list has kprobe, not kretprobe.
      ...(isReturn ? {} : { wildcard: 'kernel' as const }),
      search: 'name',
      // bpftrace matches kprobes against the traceable functions (an unknown one lists nothing) and lists them without offsets.
      name(p) {
        const parts = p.name.split(':');
        const func = parts[parts.length - 1]!.replace(/\+.*$/, '');
        if (!listKernelFunctions().includes(func)) return undefined;
        return [...parts.slice(0, -1), func].join(':');
      },
    },
    completion: { after: () => listKernelFunctions() },
    expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
      const target = raw.slice(raw.indexOf(':') + 1);
      const parsed = target ? parseTarget(target) : undefined;
      if (!parsed) {
        diags.error('invalid-attach-point', `invalid ${name} "${raw}": expected ${name}:[module:]function[+offset]`, span);
        return [];
      }
      if (isReturn && parsed.offset) {
        diags.error('invalid-attach-point', 'kretprobe does not take an offset', span);
        return [];
      }
      if (!hasWildcard(parsed.func)) return [probe(parsed.func, parsed.offset, parsed.module)];
      const re = globToRegExp(parsed.func);
      const matches = listKernelFunctions().filter((f) => re.test(f));
      if (matches.length === 0) diags.error('unknown-probe', `no kernel function matches ${parsed.func}`, span);
      return matches.map((f) => probe(f, 0, parsed.module));
    },
    list: () => listKernelFunctions().map((f) => `${name}:${f}`),
    /** `-lv`: from BTF as bpftrace 0.26 prints them: `    TYPE argN` (kprobe), `    TYPE retval` or `    void` (kretprobe). */
    describe(probeName: string): string[] {
      const proto = kernelBtfFuncs()?.funcProto(probeName.split(':').pop() ?? '');
      if (!proto) return [];
      if (isReturn) return [proto.retTypeId === 0 ? '    void' : `    ${proto.retTypeName} retval`];
      return proto.params.map((p, i) => `    ${p.typeName} arg${i}`);
    },
    attach(p, progFd, ops) {
      if (p.attach.kind !== 'kprobe') throw new Error(`${name} provider given a foreign probe`);
      const { func, offset } = p.attach;
      const alternative = TRACEPOINT_ALTERNATIVES[func];
      const hint = alternative ? `${alternative} covers the same event and works here` : undefined;
      const pmuType = ops.kprobePmuType();
      if (pmuType === undefined || !kernelHasKprobes()) {
        throw new AttachError(`cannot attach ${p.name}: this kernel has no kprobe support (CONFIG_KPROBES is not set)`, hint);
      }
      // perf kprobe PMU: config bit 0 selects a return probe; kprobeFunc/probeOffset name the target.
      try {
        return { fds: attachPerfEvents(ops, { type: pmuType, config: isReturn ? 1 : 0, samplePeriod: 1, kprobeFunc: func, probeOffset: BigInt(offset) }, systemWideTarget(ops), progFd) };
      } catch (e) {
        throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, hint, e);
      }
    },
  };
}

export const kprobeProvider = makeKprobeProvider('kprobe', 'k');
export const kretprobeProvider = makeKprobeProvider('kretprobe', 'kr');
