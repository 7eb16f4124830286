import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { listTracepoints } from '../kernel/tracefs.js';
import { u64 } from '../types/types.js';
import { splitAttachPoint } from './attach-point.js';
import { btfArgFields } from './btf-args.js';
import { AttachError, AttachType, globToRegExp, hasWildcard, ProgType, type ConcreteProbe, type ContextField, type Provider } from './provider.js';

/**
 * `rawtracepoint:[module:]event`. With kernel BTF (as newest bpftrace does) the program is a
 * TRACING program of attach type BPF_TRACE_RAW_TP (`tp_btf`) loaded against the
 * `btf_trace_<event>` typedef, and `args.<name>` are typed from it; without BTF it is a
 * RAW_TRACEPOINT program with `arg0..argN` only. Either way the context is an array of u64 slots.
 */

const MAX_RAW_ARGS = 12;

function rawArgs(n: number): ContextField[] {
  return Array.from({ length: n }, (_, i) => ({ name: `arg${i}`, offset: 8 * i, size: 8, type: u64 }));
}

function events(): { module: string; event: string }[] {
  const btf = kernelBtfFuncs();
  if (btf) return btf.rawTracepoints().map((event) => ({ module: 'vmlinux', event }));
  // Every tracepoint is also a raw tracepoint of the same event name.
  return listTracepoints().map((t) => ({ module: 'vmlinux', event: t.name }));
}

function concrete(event: string): ConcreteProbe | undefined {
  const btf = kernelBtfFuncs();
  if (btf) {
    const id = btf.rawTracepointId(event);
    const params = btf.rawTracepointArgs(event);
    if (id === undefined || !params) return undefined;
    return {
      provider: 'rawtracepoint',
      name: `rawtracepoint:vmlinux:${event}`,
      progType: ProgType.TRACING,
      attach: { kind: 'rawtracepoint', event, btf: true },
      load: { expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: id },
      args: btfArgFields(params),
      registers: rawArgs(params.length),
    };
  }
  return {
    provider: 'rawtracepoint',
    name: `rawtracepoint:vmlinux:${event}`,
    progType: ProgType.RAW_TRACEPOINT,
    attach: { kind: 'rawtracepoint', event, btf: false },
    args: undefined,
    registers: rawArgs(MAX_RAW_ARGS),
  };
}

export const rawtracepointProvider: Provider = {
  name: 'rawtracepoint',
  aliases: ['rt'],
  pidFilter: 'program',
  listing: { wildcard: 'kernel', search: 'target' },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    if ((parts.length !== 2 && parts.length !== 3) || !parts[parts.length - 1]) {
      diags.error('invalid-attach-point', `invalid rawtracepoint "${raw}": expected rawtracepoint:[module:]event`, span);
      return [];
    }
    const module = parts.length === 3 ? parts[1]! : '*';
    const event = parts[parts.length - 1]!;
    if (module !== 'vmlinux' && !hasWildcard(module)) {
      diags.error('unknown-probe', `rawtracepoint module ${module} is not supported (only vmlinux)`, span);
      return [];
    }
    const names = hasWildcard(event) ? events().map((e) => e.event).filter((e) => globToRegExp(event).test(e)) : [event];
    const out = names.flatMap((e) => concrete(e) ?? []);
    if (out.length === 0) {
      const why = hasWildcard(event) ? `no rawtracepoint matches ${event}` : `rawtracepoint not found: ${event}`;
      diags.error('unknown-probe', why, span, kernelBtfFuncs() ? undefined : ['this kernel has no BTF (/sys/kernel/btf/vmlinux)']);
    }
    return out;
  },
  list: () => events().map((e) => `rawtracepoint:${e.module}:${e.event}`),
  describe(name: string): string[] {
    const event = name.split(':').pop() ?? '';
    return (kernelBtfFuncs()?.rawTracepointArgs(event) ?? []).map((p) => `    ${p.typeName} ${p.name}`);
  },
  attach(p, progFd, ops) {
    if (p.attach.kind !== 'rawtracepoint') throw new Error('rawtracepoint provider given a foreign probe');
    try {
      const fd = p.attach.btf ? ops.linkCreate(progFd, 0, AttachType.TRACE_RAW_TP) : ops.rawTracepointOpen(p.attach.event, progFd);
      return { fds: [fd] };
    } catch (e) {
      throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, undefined, e);
    }
  },
};
