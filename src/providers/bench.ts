import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { splitAttachPoint } from './attach-point.js';
import { ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * `bench:NAME` and `test:NAME`: bpftrace's micro-benchmarks and tests. With `--bench` the runtime
 * runs each bench body with BPF_PROG_TEST_RUN, repeating until it has run for at least a
 * millisecond, and prints the average time per run; with `--test` it runs each test body once and
 * says whether it passed (no exit() with a non-zero code, no errorf). Without the flag they are
 * left out. As in bpftrace each body is an XDP program (the program type whose test runs repeat
 * and are timed), run on a 14-byte packet.
 */
function makeRunProvider(mode: 'bench' | 'test'): Provider {
  return {
  name: mode,
  aliases: [],
  pidFilter: 'none',
  listing: { name: () => undefined },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    // bpftrace's wording (attachpoint_passes.cpp).
    if (parts.length !== 2) {
      diags.error('invalid-attach-point', `${mode} probe type requires 1 arguments, found ${parts.length - 1}`, span);
      return [];
    }
    if (!parts[1]) {
      diags.error('invalid-attach-point', `${mode} probes must have a name`, span);
      return [];
    }
    return [{ provider: mode, name: `${mode}:${parts[1]}`, progType: ProgType.XDP, attach: { kind: 'run', mode, name: parts[1] }, args: undefined, registers: [] }];
  },
  list: () => [],
  // Run by the runtime with --bench / --test; never attached.
  attach: () => ({ fds: [] }),
  };
}

export const benchProvider = makeRunProvider('bench');
export const testProvider = makeRunProvider('test');
