import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { splitAttachPoint } from './attach-point.js';
import { ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * `bench:NAME`: bpftrace's micro-benchmarks. With `--bench` the runtime runs each body with
 * BPF_PROG_TEST_RUN, repeating until it has run for at least a millisecond, and prints the average
 * time per run; without it bench probes are left out. As in bpftrace the body is an XDP program
 * (the program type whose test runs repeat and are timed), run on a 14-byte packet.
 */
export const benchProvider: Provider = {
  name: 'bench',
  aliases: [],
  pidFilter: 'none',
  listing: { name: () => undefined },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    // bpftrace's wording (attachpoint_passes.cpp).
    if (parts.length !== 2) {
      diags.error('invalid-attach-point', `bench probe type requires 1 arguments, found ${parts.length - 1}`, span);
      return [];
    }
    if (!parts[1]) {
      diags.error('invalid-attach-point', 'bench probes must have a name', span);
      return [];
    }
    return [{ provider: 'bench', name: `bench:${parts[1]}`, progType: ProgType.XDP, attach: { kind: 'bench', name: parts[1] }, args: undefined, registers: [] }];
  },
  list: () => [],
  // Run by the runtime with --bench; never attached.
  attach: () => ({ fds: [] }),
};
