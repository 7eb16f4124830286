import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { netInterfaces } from '../kernel/netdev.js';
import { splitAttachPoint } from './attach-point.js';
import { attachIfindex, checkRedirects, errnoName, expandInterfaces } from './packet-common.js';
import { AttachError, AttachType, ProgType, type Attachment, type ConcreteProbe, type KernelOps, type Provider } from './provider.js';

/**
 * `tc:IFACE:ingress|egress`: a SCHED_CLS program on the interface's tc hook. Where the kernel has
 * tcx (6.6+) it is attached with a BPF link (no qdisc; closing the link, even by the process dying,
 * detaches it). Otherwise, or with TSBPF_TC_ATTACH=classic, it is a classic direct-action cls_bpf
 * filter on a clsact qdisc (netlink, through libbpf's bpf_tc_*: native/src/tc.cc), which the kernel
 * keeps after the process ends, so it is removed by the Attachment's release on every exit path we
 * control (and an exit hook); only a SIGKILL leaves it, and `tsbpf top` lists it as stale. The
 * context is `struct __sk_buff` at the MAC header; `pkt.*` reads it (src/builtins/packet.ts);
 * verdicts ok/shot/redirect, and without one the packet goes on as if the program were not there
 * (TC_ACT_UNSPEC: tcx's next program, classic's next filter).
 */

/** TSBPF_TC_ATTACH: `tcx` (links only), `classic` (cls_bpf filters only), `auto` or unset (tcx, classic where the kernel has no tcx). */
export type TcAttachMode = 'auto' | 'tcx' | 'classic';

export function tcAttachMode(env: NodeJS.ProcessEnv = process.env): TcAttachMode {
  const v = (env['TSBPF_TC_ATTACH'] ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'tcx' || v === 'classic') return v;
  throw new AttachError(`TSBPF_TC_ATTACH=${env['TSBPF_TC_ATTACH']}: expected tcx, classic or auto`);
}

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

/** Classic filters this process added and has not removed yet: the exit hook removes them (a thrown error, process.exit). */
const liveFilters = new Map<() => void, number>();
/** Interfaces whose clsact qdisc this process made: it goes with our last filter there. */
const ourQdiscs = new Set<number>();
let exitHook = false;

function attachClassic(p: ConcreteProbe & { attach: { kind: 'tc' } }, ifindex: number, progFd: number, ops: KernelOps): Attachment {
  const { direction } = p.attach;
  let filter: { handle: number; priority: number; createdQdisc: boolean };
  try {
    filter = ops.tcClassicAttach(ifindex, direction, progFd);
  } catch (e) {
    throw new AttachError(`cannot attach ${p.name} (classic tc filter): ${(e as Error).message}`, undefined, e);
  }
  const release = (): void => {
    if (!liveFilters.delete(release)) return;
    try {
      ops.tcClassicDetach(ifindex, direction, filter.handle, filter.priority);
    } catch {
      // The interface (and its filters) may be gone already.
    }
    if (!ourQdiscs.has(ifindex) || [...liveFilters.values()].includes(ifindex)) return;
    ourQdiscs.delete(ifindex);
    try {
      ops.tcClassicQdiscDelete(ifindex);
    } catch {
      // Gone with its interface.
    }
  };
  liveFilters.set(release, ifindex);
  if (filter.createdQdisc) ourQdiscs.add(ifindex);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const r of [...liveFilters.keys()]) r();
    });
  }
  return { fds: [], release };
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
    const tcProbe = p as ConcreteProbe & { attach: { kind: 'tc' } };
    checkRedirects(p.attach.redirects, p.name);
    const ifindex = attachIfindex(p.attach.iface, p.name);
    const mode = tcAttachMode();
    if (mode === 'classic') return attachClassic(tcProbe, ifindex, progFd, ops);
    try {
      return { fds: [ops.linkCreate(progFd, ifindex, p.attach.direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS)] };
    } catch (e) {
      // A kernel without tcx refuses the attach type (EINVAL) or the link (EOPNOTSUPP).
      const code = errnoName(e);
      if (mode === 'auto' && (code === 'EINVAL' || code === 'EOPNOTSUPP')) return attachClassic(tcProbe, ifindex, progFd, ops);
      throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, mode === 'tcx' ? 'tcx links need Linux 6.6 or newer; TSBPF_TC_ATTACH=classic uses a cls_bpf filter' : undefined, e);
    }
  },
};
