import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { splitAttachPoint } from './attach-point.js';
import { ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * `self:signal:SIGUSR1`: bpftrace's self probes, events of the tracing process itself. Like
 * BEGIN/END the body is a RAW_TRACEPOINT program that is never attached: the runtime runs it
 * (BPF_PROG_TEST_RUN, in tsbpf's own context) each time tsbpf receives the signal. bpftrace
 * supports SIGUSR1 only (probe_matcher.h SIGNALS).
 */

const SIGNALS = ['SIGUSR1'] as const;

export const selfProvider: Provider = {
  name: 'self',
  aliases: [],
  pidFilter: 'none',
  listing: { search: 'name' },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    // bpftrace's wording (attachpoint_passes.cpp).
    if (parts.length !== 3) {
      diags.error('invalid-attach-point', `self probe type requires 2 arguments, found ${parts.length - 1}`, span);
      return [];
    }
    const [, trigger, signal] = parts as [string, string, string];
    if (trigger !== 'signal') {
      diags.error('invalid-attach-point', `${trigger} is not a supported trigger`, span);
      return [];
    }
    if (!(SIGNALS as readonly string[]).includes(signal)) {
      diags.error('invalid-attach-point', `${signal} is not a supported signal`, span);
      return [];
    }
    return [{ provider: 'self', name: `self:signal:${signal}`, progType: ProgType.RAW_TRACEPOINT, attach: { kind: 'self', signal: 'SIGUSR1' }, args: undefined, registers: [] }];
  },
  list: () => SIGNALS.map((s) => `self:signal:${s}`),
  // Run by the runtime on each signal; nothing to attach.
  attach: (p) => ({ fds: [], ...(p.attach.kind === 'self' ? { onSignal: p.attach.signal } : {}) }),
};
