import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { netInterfaces } from '../kernel/netdev.js';
import { XdpFlags } from '../contract/uapi.js';
import { splitAttachPoint } from './attach-point.js';
import { attachIfindex, checkRedirects, errnoName, expandInterfaces } from './packet-common.js';
import { AttachError, AttachType, ProgType, type ConcreteProbe, type Provider } from './provider.js';

/**
 * `xdp:IFACE[:driver|generic]` (`skb` is generic's other name): an XDP program on the interface's
 * receive path, attached with a BPF link so closing the link (every exit path, or the process dying)
 * removes it. Without a mode, driver (native) mode where the driver has it, else generic. The
 * context is `struct xdp_md`; `pkt.*` reads it (src/builtins/packet.ts); verdicts pass/drop/tx.
 */

const MODES: Readonly<Record<string, 'driver' | 'generic'>> = { driver: 'driver', native: 'driver', drv: 'driver', generic: 'generic', skb: 'generic' };

function probe(iface: string, mode: 'auto' | 'driver' | 'generic'): ConcreteProbe {
  return {
    provider: 'xdp',
    name: mode === 'auto' ? `xdp:${iface}` : `xdp:${iface}:${mode}`,
    progType: ProgType.XDP,
    attach: { kind: 'xdp', iface, mode },
    args: undefined,
    registers: [],
  };
}

export const xdpProvider: Provider = {
  name: 'xdp',
  aliases: [],
  pidFilter: 'none',
  listing: { search: 'name' },
  expand(raw: string, span: Span, diags: Diagnostics): ConcreteProbe[] {
    const parts = splitAttachPoint(raw);
    if (parts.length !== 2 && parts.length !== 3) {
      diags.error('invalid-attach-point', `invalid xdp probe "${raw}": expected xdp:INTERFACE[:driver|generic]`, span);
      return [];
    }
    let mode: 'auto' | 'driver' | 'generic' = 'auto';
    if (parts.length === 3) {
      const m = MODES[parts[2]!.toLowerCase()];
      if (!m) {
        diags.error('invalid-attach-point', `unknown xdp mode ${parts[2]}: expected driver or generic`, span);
        return [];
      }
      mode = m;
    }
    return expandInterfaces(parts[1]!, raw, span, diags).map((iface) => probe(iface, mode));
  },
  list: () => netInterfaces().map((n) => `xdp:${n}`),
  attach(p, progFd, ops) {
    if (p.attach.kind !== 'xdp') throw new Error('xdp provider given a foreign probe');
    checkRedirects(p.attach.redirects, p.name);
    const ifindex = attachIfindex(p.attach.iface, p.name);
    const link = (flags: number): number => ops.linkCreate(progFd, ifindex, AttachType.XDP, flags);
    try {
      if (p.attach.mode === 'generic') return { fds: [link(XdpFlags.SKB_MODE)] };
      if (p.attach.mode === 'driver') return { fds: [link(XdpFlags.DRV_MODE)] };
      // No mode flag: the kernel takes driver mode when the driver has it, generic otherwise.
      return { fds: [link(0)] };
    } catch (e) {
      const code = errnoName(e);
      if (code === 'EBUSY' || code === 'EEXIST')
        throw new AttachError(
          `cannot attach ${p.name}: ${p.attach.iface} already has an XDP program in this mode (an interface takes one XDP program per mode)`,
          'two xdp probes on one interface in a script: merge them into one probe with if-statements; another program: `ip link show` lists it',
          e,
        );
      if (code === 'EOPNOTSUPP' && p.attach.mode === 'driver')
        throw new AttachError(`cannot attach ${p.name}: the driver of ${p.attach.iface} has no native XDP`, `use xdp:${p.attach.iface}:generic (or no mode)`, e);
      throw new AttachError(`cannot attach ${p.name}: ${(e as Error).message}`, undefined, e);
    }
  },
};
