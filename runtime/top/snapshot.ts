/**
 * One reading of every BPF program on the machine: its kernel statistics (run_cnt, run_time_ns),
 * the links that attach it and the processes that hold it. Two readings make the rates
 * (runtime/top/rates.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PROG_TYPE_NAMES } from '../../src/contract/index.js';
import { bpf } from '../../native/index.js';
import { describeLink, type IfName, type LinkDescription } from './link-info.js';
import { tcFilterAttachments, type TcFilterAttachment } from './netlink-tc.js';
import { xdpAttachments, type XdpAttachment } from './netlink-xdp.js';
import { readOwnership, type Owner } from './owners.js';

export interface ProgramReading {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly tag: string;
  readonly runCnt: number;
  readonly runTimeNs: number;
  /** Where it is attached, as the kernel tells it (links, perf events); empty when it does not. */
  readonly attach: readonly string[];
  readonly owners: readonly Owner[];
}

export interface LinkReading extends LinkDescription {
  readonly owners: readonly Owner[];
  /** No process holds it: it lives on through a pin (the tsbpf that made it is gone). */
  readonly stale: boolean;
}

/** An XDP program a device holds through netlink (no link). */
export interface NetlinkXdpReading extends XdpAttachment {
  readonly progName: string;
  readonly owners: readonly Owner[];
  /** No process holds the program: whoever attached it is gone (or never stayed). */
  readonly stale: boolean;
}

/** A program a clsact qdisc holds as a classic cls_bpf filter (no link). */
export interface NetlinkTcReading extends TcFilterAttachment {
  readonly progName: string;
  readonly owners: readonly Owner[];
  /** No process holds the program: whoever attached it is gone. */
  readonly stale: boolean;
}

export interface Snapshot {
  /** process.hrtime.bigint() when the programs were read. */
  readonly timeNs: bigint;
  readonly programs: readonly ProgramReading[];
  readonly links: readonly LinkReading[];
  readonly netlinkXdp: readonly NetlinkXdpReading[];
  readonly netlinkTc: readonly NetlinkTcReading[];
}

/** Network devices of our namespace by index (/sys/class/net). */
function netDevices(): IfName {
  const byIndex = new Map<number, string>();
  try {
    for (const name of readdirSync('/sys/class/net')) {
      try {
        byIndex.set(Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8')), name);
      } catch {
        // Gone meanwhile.
      }
    }
  } catch {
    // No sysfs: indexes stay numbers.
  }
  return (i) => byIndex.get(i);
}

function ids(next: (id: number) => number): number[] {
  const out: number[] = [];
  for (let id = next(0); id !== 0; id = next(id)) out.push(id);
  return out;
}

const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

export function takeSnapshot(): Snapshot {
  const own = readOwnership();
  const devices = netDevices();
  const links: LinkReading[] = [];
  for (const id of ids((i) => bpf.linkGetNextId(i))) {
    let raw;
    try {
      raw = bpf.linkInfoById(id);
    } catch {
      continue;
    }
    if (!raw) continue;
    const owners = own.linkOwners.get(id) ?? [];
    // A device index names a device in the owner's network namespace: named only when an owner
    // shares ours (a stale link's namespace is unknown: its index is all we can say).
    const ifName: IfName = owners.length > 0 && owners.every((o) => !o.otherNetns) ? devices : () => undefined;
    links.push({ ...describeLink(raw, ifName), owners, stale: owners.length === 0 });
  }
  // XDP on a device of ours that no xdp link accounts for was attached through netlink.
  const viaNetlink = xdpAttachments().filter((a) => !links.some((l) => l.type === 'xdp' && l.progId === a.progId && l.ifindex === a.ifindex));
  const tcFilters = tcFilterAttachments();
  const timeNs = process.hrtime.bigint();
  const programs: ProgramReading[] = [];
  for (const id of ids((i) => bpf.progGetNextId(i))) {
    let info;
    try {
      info = bpf.progInfoById(id);
    } catch {
      continue;
    }
    if (!info) continue;
    const mine = links.filter((l) => l.progId === id);
    programs.push({
      id,
      type: PROG_TYPE_NAMES[info.type] ?? `type ${info.type}`,
      name: info.name,
      tag: info.tag,
      runCnt: info.runCnt,
      runTimeNs: info.runTimeNs,
      attach: uniq([...mine.map((l) => l.attach), ...(own.fdAttach.get(id) ?? []), ...viaNetlink.filter((a) => a.progId === id).map((a) => `xdp:${a.ifname} (netlink)`),
        ...tcFilters.filter((a) => a.progId === id).map((a) => `tc:${a.ifname}:${a.direction} (cls_bpf)`),
      ]),
      owners: uniq([...(own.progOwners.get(id) ?? []), ...mine.flatMap((l) => l.owners)]),
    });
  }
  const netlinkXdp = viaNetlink.map((a): NetlinkXdpReading => {
    const owners = own.progOwners.get(a.progId) ?? [];
    return { ...a, progName: programs.find((p) => p.id === a.progId)?.name ?? '', owners, stale: owners.length === 0 };
  });
  const netlinkTc = tcFilters.map((a): NetlinkTcReading => {
    const owners = own.progOwners.get(a.progId) ?? [];
    return { ...a, progName: programs.find((p) => p.id === a.progId)?.name ?? '', owners, stale: owners.length === 0 };
  });
  return { timeNs, programs, links, netlinkXdp, netlinkTc };
}
