/**
 * BPF programs attached as classic tc filters (cls_bpf on a clsact qdisc: `tc filter add ... bpf`,
 * or tsbpf's tc: probes with TSBPF_TC_ATTACH=classic or on a kernel without tcx): the qdisc holds
 * them, no link or process does, so they outlive whoever attached them. iproute2's `tc -j` reads
 * them for us (our network namespace only): the qdiscs first, then the filters of the devices
 * that have a clsact qdisc.
 */
import { spawnSync } from 'node:child_process';

export interface TcFilterAttachment {
  readonly ifname: string;
  readonly direction: 'ingress' | 'egress';
  readonly progId: number;
  /** The filter's priority (`pref`) and handle: what `tc filter del` names it by. */
  readonly pref: number;
  readonly handle: string;
}

interface TcQdisc {
  kind?: string;
  dev?: string;
}

interface TcFilter {
  pref?: number;
  kind?: string;
  options?: { handle?: string; prog?: { id?: number } };
}

function tcJson<T>(args: readonly string[]): T[] {
  const r = spawnSync('tc', ['-j', ...args], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout.trim()) return [];
  try {
    const v = JSON.parse(r.stdout) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

/** Every BPF program attached as a cls_bpf filter to a clsact qdisc of a device of our namespace. */
export function tcFilterAttachments(): TcFilterAttachment[] {
  const devs = [...new Set(tcJson<TcQdisc>(['qdisc', 'show']).filter((q) => q.kind === 'clsact' && q.dev).map((q) => q.dev!))];
  const out: TcFilterAttachment[] = [];
  for (const ifname of devs) {
    for (const direction of ['ingress', 'egress'] as const) {
      for (const f of tcJson<TcFilter>(['filter', 'show', 'dev', ifname, direction])) {
        const progId = f.options?.prog?.id;
        if (f.kind === 'bpf' && progId && f.pref !== undefined && f.options?.handle) out.push({ ifname, direction, progId, pref: f.pref, handle: f.options.handle });
      }
    }
  }
  return out;
}

/** Remove that one filter. */
export function detachTcFilter(a: TcFilterAttachment): void {
  const args = ['filter', 'del', 'dev', a.ifname, a.direction, 'pref', String(a.pref), 'handle', a.handle, 'bpf'];
  const r = spawnSync('tc', args, { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`tc ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}
