/**
 * Which processes hold which BPF objects, read from /proc (as bpftool and bpftop do): a link or
 * program fd's fdinfo names its id, and a perf event fd that carries a program is asked for its
 * attach point with BPF_TASK_FD_QUERY (how a tracepoint, kprobe or uprobe attached without a link
 * is named). A link no process holds lives on only through a pin (or the kernel): `tsbpf top`
 * calls it stale.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { TaskFdType } from '../../src/contract/index.js';
import { bpf } from '../../native/index.js';

export interface Owner {
  readonly pid: number;
  readonly comm: string;
  /** This process's network namespace is not ours (device names by index would be wrong). */
  readonly otherNetns: boolean;
}

export interface Ownership {
  readonly linkOwners: ReadonlyMap<number, readonly Owner[]>;
  readonly progOwners: ReadonlyMap<number, readonly Owner[]>;
  /** Attach points of programs attached through a perf event or raw tracepoint fd (no link), by program id. */
  readonly fdAttach: ReadonlyMap<number, readonly string[]>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** A link fd's /proc name: `bpf_link` when made (bpf_link_prime), `bpf-link` when opened by id or pin. */
export const isLinkFd = (procLink: string): boolean => procLink === 'anon_inode:bpf_link' || procLink === 'anon_inode:bpf-link';

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function linkOr(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function fdinfoId(pid: number, fd: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s*(\\d+)`, 'm').exec(readOr(`/proc/${pid}/fdinfo/${fd}`, ''));
  return m ? Number(m[1]) : undefined;
}

/** tracepoint event name -> `category:name`, from tracefs (read once). */
let tracepointCategories: Map<string, string> | undefined;

function qualifiedTracepoint(name: string): string {
  if (!tracepointCategories) {
    tracepointCategories = new Map();
    for (const root of ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events']) {
      let cats: string[];
      try {
        cats = readdirSync(root);
      } catch {
        continue;
      }
      for (const cat of cats) {
        let events: string[] = [];
        try {
          events = readdirSync(`${root}/${cat}`);
        } catch {
          // A file (enable, header_page), not a category.
        }
        for (const e of events) if (!tracepointCategories.has(e)) tracepointCategories.set(e, `${cat}:${e}`);
      }
      break;
    }
  }
  return tracepointCategories.get(name) ?? name;
}

/** The attach point of a program-carrying fd, in probe syntax. */
function fdAttachPoint(fdType: number, name: string, offset: bigint, addr: bigint): string {
  switch (fdType) {
    case TaskFdType.RAW_TRACEPOINT:
      return `rawtracepoint:${name}`;
    case TaskFdType.TRACEPOINT:
      return `tracepoint:${qualifiedTracepoint(name)}`;
    case TaskFdType.KPROBE:
    case TaskFdType.KRETPROBE: {
      const kind = fdType === TaskFdType.KPROBE ? 'kprobe' : 'kretprobe';
      return name ? `${kind}:${name}${offset ? `+${offset}` : ''}` : `${kind}:0x${addr.toString(16)}`;
    }
    case TaskFdType.UPROBE:
    case TaskFdType.URETPROBE:
      return `${fdType === TaskFdType.UPROBE ? 'uprobe' : 'uretprobe'}:${name}+0x${offset.toString(16)}`;
    default:
      return name;
  }
}

/** Read every process's BPF fds. Processes that end meanwhile are skipped. */
export function readOwnership(): Ownership {
  const linkOwners = new Map<number, Owner[]>();
  const progOwners = new Map<number, Owner[]>();
  const fdAttach = new Map<number, string[]>();
  const ourNetns = linkOr('/proc/self/ns/net');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let owner: Owner | undefined;
    const me = (): Owner =>
      (owner ??= { pid, comm: readOr(`/proc/${pid}/comm`, '?\n').trimEnd(), otherNetns: linkOr(`/proc/${pid}/ns/net`) !== ourNetns });
    for (const fd of fds) {
      const target = linkOr(`/proc/${pid}/fd/${fd}`);
      if (target !== undefined && isLinkFd(target)) {
        const id = fdinfoId(pid, fd, 'link_id');
        if (id !== undefined) push(linkOwners, id, me());
        // A raw tracepoint link (bpf_raw_tracepoint_open) is also a task fd.
        const q = queryFd(pid, Number(fd));
        if (q) push(fdAttach, q.progId, q.attach);
      } else if (target === 'anon_inode:bpf-prog') {
        const id = fdinfoId(pid, fd, 'prog_id');
        if (id !== undefined) push(progOwners, id, me());
      } else if (target === 'anon_inode:[perf_event]') {
        const q = queryFd(pid, Number(fd));
        if (q) {
          push(fdAttach, q.progId, q.attach);
          push(progOwners, q.progId, me());
        }
      }
    }
  }
  return { linkOwners, progOwners, fdAttach };
}

function queryFd(pid: number, fd: number): { progId: number; attach: string } | undefined {
  try {
    const q = bpf.taskFdQuery(pid, fd);
    return q ? { progId: q.progId, attach: fdAttachPoint(q.fdType, q.name, q.probeOffset, q.probeAddr) } : undefined;
  } catch {
    return undefined;
  }
}
