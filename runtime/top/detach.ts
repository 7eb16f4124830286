/**
 * `tsbpf top --detach LINK_ID`: remove a stale attachment, a link no process holds any more (pinned
 * in a bpf file system, e.g. by a tool that exited). BPF_LINK_DETACH cuts it from its hook at once;
 * its pins (in any mounted bpf file system) are then removed so the link object goes too. A link a live process
 * holds is refused: ending that process (a tsbpf run, say) removes it properly.
 */
import { readdirSync, readFileSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bpf, isNativeError } from '../../native/index.js';
import { detachTcFilter } from './netlink-tc.js';
import { detachNetlinkXdp } from './netlink-xdp.js';
import { isLinkFd } from './owners.js';
import { ownerName } from './rates.js';
import { takeSnapshot } from './snapshot.js';

const BPFFS = '/sys/fs/bpf';

/** Where bpf file systems are mounted (/sys/fs/bpf and any other). */
function bpfMounts(): string[] {
  try {
    const dirs = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'bpf').map((f) => f[1]!.replace(/\\040/g, ' '));
    return dirs.length > 0 ? [...new Set(dirs)] : [BPFFS];
  } catch {
    return [BPFFS];
  }
}

/** Paths in the bpf file systems that pin the link `id`. */
export function linkPins(id: number): string[] {
  return bpfMounts().flatMap((m) => pinsUnder(id, m, 0));
}

function pinsUnder(id: number, dir: string, depth: number): string[] {
  if (depth > 8) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      found.push(...pinsUnder(id, p, depth + 1));
      continue;
    }
    let fd: number;
    try {
      fd = bpf.objGet(p);
    } catch {
      continue;
    }
    try {
      if (isLinkFd(readlinkSync(`/proc/self/fd/${fd}`)) && bpf.linkInfoByFd(fd).info.readUInt32LE(4) === id) found.push(p);
    } catch {
      // Not a link we can read.
    } finally {
      bpf.close(fd);
    }
  }
  return found;
}

/** Detach a stale link; returns the lines to print, or throws an Error with a one-line message. */
export function detachStaleLink(id: number): string[] {
  const link = takeSnapshot().links.find((l) => l.id === id);
  if (!link) throw new Error(`no BPF link with id ${id} (tsbpf top -f json lists them)`);
  if (!link.stale) throw new Error(`link ${id} (${link.attach}) is held by ${link.owners.map(ownerName).join(', ')}: end that process to remove it`);
  const out: string[] = [];
  try {
    bpf.linkDetachById(id);
    out.push(`detached link ${id}: ${link.type} ${link.attach} (program ${link.progId})`);
  } catch (e) {
    // Tracing and perf event links have no detach operation: removing their pins ends them.
    if (!isNativeError(e) || (e.code !== 'EOPNOTSUPP' && e.code !== 'ENOTSUPP' && e.code !== 'EINVAL')) throw new Error(`cannot detach link ${id}: ${(e as Error).message}`);
  }
  const pins = linkPins(id);
  for (const p of pins) {
    try {
      unlinkSync(p);
      out.push(`removed pin ${p}`);
    } catch (e) {
      // The same pin seen through a second mount of its file system.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.push(`cannot remove pin ${p}: ${(e as Error).message}`);
    }
  }
  if (out.length === 0) throw new Error(`link ${id} (${link.type}) cannot be detached by id and has no pin in a bpf file system`);
  return out;
}

/**
 * `--detach prog:ID`: remove an XDP program a device of our network namespace holds through netlink,
 * or a classic tc (cls_bpf) filter running it, when no process holds it (a live loader would only
 * attach it again).
 */
export function detachNetlinkProgram(progId: number): string[] {
  const snap = takeSnapshot();
  const xdp = snap.netlinkXdp.filter((x) => x.progId === progId);
  const tc = snap.netlinkTc.filter((x) => x.progId === progId);
  if (xdp.length === 0 && tc.length === 0) throw new Error(`no XDP program or tc filter ${progId} attached through netlink in this network namespace (tsbpf top -f json lists them)`);
  const out: string[] = [];
  for (const x of [...xdp, ...tc]) {
    if (!x.stale) throw new Error(`program ${progId} on ${x.ifname} is held by ${x.owners.map(ownerName).join(', ')}: end that process to remove it`);
  }
  for (const x of xdp) {
    detachNetlinkXdp(x);
    out.push(`removed xdp program ${progId} (${x.progName}) from ${x.ifname}`);
  }
  for (const x of tc) {
    detachTcFilter(x);
    out.push(`removed tc program ${progId} (${x.progName}) from ${x.ifname} ${x.direction} (cls_bpf filter pref ${x.pref})`);
  }
  return out;
}
