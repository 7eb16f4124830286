/**
 * XDP programs attached to a network device through netlink (`ip link set dev X xdp obj ...`, or
 * any loader that does not use a BPF link): the device holds them, no process or link does, so
 * they outlive whoever attached them. The kernel tells through netlink (IFLA_XDP); iproute2's
 * `ip -j link show` reads it for us (our network namespace only).
 */
import { spawnSync } from 'node:child_process';

export interface XdpAttachment {
  readonly ifname: string;
  readonly ifindex: number;
  readonly progId: number;
  /** 1 driver (native), 2 generic (skb), 3 offloaded. */
  readonly mode: number;
}

interface IpLink {
  ifindex?: number;
  ifname?: string;
  xdp?: { mode?: number; prog?: { id?: number }; attached?: { mode?: number; prog?: { id?: number } }[] };
}

/** Every XDP program attached to a device of our namespace (link-attached ones too: the caller tells them apart). */
export function xdpAttachments(): XdpAttachment[] {
  const r = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout) return [];
  let links: IpLink[];
  try {
    links = JSON.parse(r.stdout) as IpLink[];
  } catch {
    return [];
  }
  const out: XdpAttachment[] = [];
  for (const l of links) {
    if (!l.xdp || l.ifname === undefined || l.ifindex === undefined) continue;
    const progs = l.xdp.attached ?? [{ mode: l.xdp.mode, prog: l.xdp.prog }];
    for (const p of progs) if (p.prog?.id) out.push({ ifname: l.ifname, ifindex: l.ifindex, progId: p.prog.id, mode: p.mode ?? 0 });
  }
  return out;
}

/** The `ip link set` keyword that removes an XDP program attached in this mode. */
export function xdpModeKeyword(mode: number): string {
  return mode === 1 ? 'xdpdrv' : mode === 2 ? 'xdpgeneric' : mode === 3 ? 'xdpoffload' : 'xdp';
}

/** Remove the XDP program attached through netlink to this device (in this mode). */
export function detachNetlinkXdp(a: XdpAttachment): void {
  const r = spawnSync('ip', ['link', 'set', 'dev', a.ifname, xdpModeKeyword(a.mode), 'off'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`ip link set dev ${a.ifname} ${xdpModeKeyword(a.mode)} off: ${(r.stderr || r.error?.message || '').trim()}`);
}
