import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { kernelBtfTypes } from '../kernel/btf.js';
import { listTracepoints, readTracepointFormat, tracefsRoot, tracepointFieldDecls, type TracepointField } from '../kernel/tracefs.js';
import type { Type } from '../types/types.js';
import { AttachError, attachPerfEvents, globToRegExp, hasWildcard, ProgType, systemWideTarget, type ConcreteProbe, type ContextField, type Provider } from './provider.js';

/** Tracepoint categories, read once per process (the shell completes them on every Tab). */
let categories: readonly string[] | undefined;

/** Type of a tracefs field, from its C declaration. */
export function tracepointFieldType(f: TracepointField, category: string): Type {
  // bpftrace's type for a __data_loc field: the data's kernel address as an int64 (read it with str()).
  if (f.dataLoc) return { kind: 'int', bits: 64, signed: true };
  if (f.arrayLength !== undefined) return { kind: 'str', size: f.size };
  if (f.cType.includes('*')) {
    // Syscall arguments point into the calling process; everything else into the kernel.
    return { kind: 'ptr', to: f.cType.replace(/\*\s*$/, '').trim(), space: category === 'syscalls' ? 'user' : 'kernel' };
  }
  const bits = (f.size * 8) as 8 | 16 | 32 | 64;
  if (![8, 16, 32, 64].includes(bits)) return { kind: 'str', size: f.size };
  // `enum skb_drop_reason reason`: the kernel's enumerators name the values (printf %s, print()).
  const ct = /^enum\s+\w+$/.test(f.cType) ? kernelBtfTypes()?.lookup(f.cType) : undefined;
  if (ct?.kind === 'enum' && ct.names) return { kind: 'int', bits, signed: f.signed, enum: { name: ct.name, names: ct.names() } };
  return { kind: 'int', bits, signed: f.signed };
}

function concrete(category: string, event: string, diags: Diagnostics, span: Span): ConcreteProbe | undefined {
  const format = readTracepointFormat(category, event);
  if (!format) {
    diags.error('unknown-probe', `tracepoint not found: ${category}:${event}`, span);
    return undefined;
  }
  const args: ContextField[] = format.fields.map((f) => ({
    name: f.name,
    offset: f.offset,
    size: f.size,
    type: tracepointFieldType(f, category),
    ...(f.dataLoc ? { dataLoc: true } : {}),
  }));
  return {
    provider: 'tracepoint',
    name: `tracepoint:${category}:${event}`,
    progType: ProgType.TRACEPOINT,
    attach: { kind: 'tracepoint', category, event },
    args,
    registers: [],
  };
}

export const tracepointProvider: Provider = {
  name: 'tracepoint',
  aliases: ['t'],
  pidFilter: 'program',
  listing: { wildcard: 'kernel', search: 'target' },
  completion: {
    after(rest) {
      const colon = rest.indexOf(':');
      if (colon < 0) return (categories ??= [...new Set(listTracepoints().map((t) => t.category))].sort()).map((c) => `${c}:`);
      const category = rest.slice(0, colon);
      return listTracepoints().filter((t) => t.category === category).map((t) => `${category}:${t.name}`).sort();
    },
    argFields(rest) {
      const [category, event, more] = rest.split(':');
      if (!category || !event || more !== undefined || hasWildcard(category + event)) return [];
      return readTracepointFormat(category, event)?.fields.map((f) => f.name) ?? [];
    },
  },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = raw.split(':');
    if (parts.length !== 3 || !parts[1] || !parts[2]) {
      diags.error('invalid-attach-point', `invalid tracepoint "${raw}": expected tracepoint:category:event`, span);
      return [];
    }
    if (!tracefsRoot()) {
      diags.error('no-tracefs', 'tracefs is not mounted at /sys/kernel/tracing (run as root so tsbpf can mount it)', span);
      return [];
    }
    const [, category, event] = parts as [string, string, string];
    if (!hasWildcard(category) && !hasWildcard(event)) {
      const p = concrete(category, event, diags, span);
      return p ? [p] : [];
    }
    const re = globToRegExp(`${category}:${event}`);
    const matches = listTracepoints()
      .filter((t) => re.test(`${t.category}:${t.name}`))
      .sort((a, b) => { const x = `${a.category}:${a.name}`, y = `${b.category}:${b.name}`; return x < y ? -1 : x > y ? 1 : 0; });
    if (matches.length === 0) {
      diags.error('unknown-probe', `no tracepoint matches ${category}:${event}`, span);
      return [];
    }
    return matches.flatMap((t) => concrete(t.category, t.name, diags, span) ?? []);
  },
  list: () => listTracepoints().map((t) => `tracepoint:${t.category}:${t.name}`),
  describe: (name: string) => {
    const [, category, event] = name.split(':');
    return tracepointFieldDecls(category ?? '', event ?? '').map((d) => `    ${d}`);
  },
  attach(probe, progFd, ops) {
    if (probe.attach.kind !== 'tracepoint') throw new Error('tracepoint provider given a foreign probe');
    const id = ops.tracepointId(probe.attach.category, probe.attach.event);
    const PERF_TYPE_TRACEPOINT = 2;
    // The program hangs off the tracepoint itself and runs on every CPU for every task: one perf
    // event (pid -1, the first CPU) is enough, as libbpf does; a second one fails with EEXIST.
    try {
      return { fds: attachPerfEvents(ops, { type: PERF_TYPE_TRACEPOINT, config: id, samplePeriod: 1 }, systemWideTarget(ops), progFd) };
    } catch (e) {
      throw new AttachError(`could not attach to ${probe.name}: ${(e as Error).message}`, undefined, e);
    }
  },
};
