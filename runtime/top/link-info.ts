/**
 * A BPF link's kernel description (`struct bpf_link_info`, read raw by native linkInfoById) turned
 * into what `tsbpf top` shows: its type and the attach point the kernel names.
 */
import { ATTACH_TYPE_NAMES, LINK_TYPE_NAMES, LinkType, PerfEventLinkKind } from '../../src/contract/index.js';
import type { LinkInfoRaw } from '../../native/index.js';

export interface LinkDescription {
  readonly id: number;
  readonly progId: number;
  /** bpftool's name of the link type: `xdp`, `tcx`, `perf_event`, ... */
  readonly type: string;
  /** The attach point, in probe syntax where there is one (`tc:eth0:ingress`, `tracepoint:sched:sched_switch`). */
  readonly attach: string;
  /** The network device of an xdp, tcx or netkit link (0: detached). */
  readonly ifindex?: number;
}

const UNION = 16;

/** The name of a network device by index, or undefined when it is not in our namespace. */
export type IfName = (ifindex: number) => string | undefined;

function attachTypeName(v: number): string {
  return ATTACH_TYPE_NAMES[v] ?? `attach_type ${v}`;
}

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

export function describeLink(raw: LinkInfoRaw, ifName: IfName): LinkDescription {
  const b = raw.info;
  const u32 = (off: number): number => (b.length >= off + 4 ? b.readUInt32LE(off) : 0);
  const u64 = (off: number): bigint => (b.length >= off + 8 ? b.readBigUInt64LE(off) : 0n);
  const type = u32(0);
  const base = { id: u32(4), progId: u32(8), type: LINK_TYPE_NAMES[type] ?? `link_type ${type}` };
  const dev = (ifindex: number): string => (ifindex === 0 ? '(detached)' : ifName(ifindex) ?? `ifindex ${ifindex}`);
  switch (type) {
    case LinkType.RAW_TRACEPOINT:
      return { ...base, attach: `rawtracepoint:${raw.name}` };
    case LinkType.TRACING: {
      const at = u32(UNION);
      return { ...base, attach: `${attachTypeName(at)} btf ${u32(UNION + 8)}${u32(UNION + 4) ? ` (object ${u32(UNION + 4)})` : ''}` };
    }
    case LinkType.CGROUP:
      return { ...base, attach: `cgroup ${u64(UNION)} ${attachTypeName(u32(UNION + 8))}` };
    case LinkType.ITER:
      return { ...base, attach: `iter:${raw.name}` };
    case LinkType.NETNS:
      return { ...base, attach: `netns ${u32(UNION)} ${attachTypeName(u32(UNION + 4))}` };
    case LinkType.XDP: {
      const ifindex = u32(UNION);
      return { ...base, attach: `xdp:${dev(ifindex)}`, ifindex };
    }
    case LinkType.TCX: {
      const ifindex = u32(UNION);
      const dir = attachTypeName(u32(UNION + 4)).replace(/^tcx_/, '');
      return { ...base, attach: `tc:${dev(ifindex)}:${dir}`, ifindex };
    }
    case LinkType.NETKIT: {
      const ifindex = u32(UNION);
      return { ...base, attach: `netkit:${dev(ifindex)}:${attachTypeName(u32(UNION + 4)).replace(/^netkit_/, '')}`, ifindex };
    }
    case LinkType.PERF_EVENT:
      return { ...base, attach: perfEventAttach(u32(UNION), raw.name, u32, u64) };
    case LinkType.KPROBE_MULTI:
      return { ...base, attach: `kprobe_multi (${u32(UNION + 8)} functions)` };
    case LinkType.UPROBE_MULTI:
      return { ...base, attach: `uprobe_multi (${u32(UNION + 36)} offsets${u32(UNION + 44) ? `, pid ${u32(UNION + 44)}` : ''})` };
    case LinkType.STRUCT_OPS:
      return { ...base, attach: `struct_ops map ${u32(UNION)}` };
    case LinkType.NETFILTER:
      return { ...base, attach: `netfilter pf ${u32(UNION)} hook ${u32(UNION + 4)} priority ${b.length >= UNION + 12 ? b.readInt32LE(UNION + 8) : 0}` };
    case LinkType.SOCKMAP:
      return { ...base, attach: `sockmap map ${u32(UNION)} ${attachTypeName(u32(UNION + 4))}` };
    default:
      return { ...base, attach: base.type };
  }
}

/** perf_event links: {type u32, pad, union at +8} (uprobe/kprobe/tracepoint name, offset, address). */
function perfEventAttach(kind: number, name: string, u32: (off: number) => number, u64: (off: number) => bigint): string {
  const at = UNION + 8;
  switch (kind) {
    case PerfEventLinkKind.UPROBE:
    case PerfEventLinkKind.URETPROBE:
      return `${kind === PerfEventLinkKind.UPROBE ? 'uprobe' : 'uretprobe'}:${name}+${hex(u32(at + 12))}`;
    case PerfEventLinkKind.KPROBE:
    case PerfEventLinkKind.KRETPROBE: {
      const what = name ? `${name}${u32(at + 12) ? `+${u32(at + 12)}` : ''}` : hex(u64(at + 16));
      return `${kind === PerfEventLinkKind.KPROBE ? 'kprobe' : 'kretprobe'}:${what}`;
    }
    case PerfEventLinkKind.TRACEPOINT:
      return `tracepoint:${name}`;
    case PerfEventLinkKind.EVENT:
      return `perf event type ${u32(at + 8)} config ${hex(u64(at))}`;
    default:
      return 'perf_event';
  }
}
