import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { netInterfaces } from '../kernel/netdev.js';
import { splitAttachPoint } from './attach-point.js';
import { attachIfindex, expandInterfaces } from './packet-common.js';
import { AttachError, AttachType, ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * `tc:IFACE:ingress|egress`: a SCHED_CLS program on the interface's tcx hook (kernel 6.6+), attached
 * with a BPF link (no qdisc to create or remove; closing the link detaches it). The context is
 * `struct __sk_buff` at the MAC header; `pkt.*` reads it (src/builtins/packet.ts); verdicts ok/shot,
 * and without one the packet goes on as if the program were not there (TCX_NEXT).
 */

function probe(iface: string, direction: 'ingress' | 'egress'): ConcreteProbe {
  return {
    provider: 'tc',
    name: `tc:${iface}:${direction}`,
    progType: ProgType.SCHED_CLS,
    attach: { kind: 'tc', iface, direction },
    args: undefined,
    registers: [],
  };
}

export const tcProvider: Provider = {
  name: 'tc',
  aliases: [],
  pidFilter: 'none',
  listing: { search: 'name' },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    const direction = parts[2]?.toLowerCase();
    if (parts.length !== 3 || (direction !== 'ingress' && direction !== 'egress')) {
      diags.error('invalid-attach-point', `invalid tc probe "${raw}": expected tc:INTERFACE:ingress or tc:INTERFACE:egress`, span);
      return [];
    }
    return expandInterfaces(parts[1]!, raw, span, diags).map((iface) => probe(iface, direction));
  },
  list: () => netInterfaces().flatMap((n) => [`tc:${n}:ingress`, `tc:${n}:egress`]),
  attach(p, progFd, ops) {
    if (p.attach.kind !== 'tc') throw new Error('tc provider given a foreign probe');
    const ifindex = attachIfindex(p.attach.iface, p.name);
    try {
      return { fds: [ops.linkCreate(progFd, ifindex, p.attach.direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS)] };
    } catch (e) {
      throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, 'tc probes need tcx links (Linux 6.6 or newer)', e);
    }
  },
};
