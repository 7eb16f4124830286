/**
 * Packets in the language (issue 15): the `pkt` view of `xdp:` and `tc:` probes and their verdict
 * statements. Headers are copied from the packet into stack variables once, at the start of the
 * program (only the layers the script reads), by direct packet access: the context's data pointer,
 * bounds-checked against data_end (IR `pktBytes`), with bpf_xdp_load_bytes / bpf_skb_load_bytes as
 * the fallback when the bytes are not all in the linear part (a short packet, a non-linear skb);
 * direct reads halve the cost (match and drop 50 -> 25 ns per packet, count by (saddr, dport)
 * 65 -> 40 ns: scripts/dev/packet-bench.sh; TSBPF_PKT_HELPERS=1 compiles the helper-only way). A
 * load the packet is too short for leaves zeroes, so no read can be refused by the verifier, and a
 * header the packet does not have reads as false / 0. Numbers are in host byte order; addresses are byte
 * arrays in network order (uint8[4] / uint8[16], as pton() gives and ntop() takes); MACs print as
 * macaddr. `pkt.data[i]` reads one byte anywhere in the packet (0 past its end).
 */
import type * as ast from '../ast/nodes.js';
import { Helper, ProgType, TcAction, XdpAction, type RedirectTarget } from '../contract/index.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { ifindexOf } from '../kernel/netdev.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { boolType, intType, noneType, u32, type Type } from '../types/types.js';
import { c64, type LibValue, type LowerContext } from './library.js';

const ETH_LEN = 14;
const ETH_P_IP = 0x0800n;
const ETH_P_IPV6 = 0x86ddn;
const IPV4_LEN = 20;
const IPV6_LEN = 40;
/** The L4 header copy: a TCP header without options; UDP and ICMP headers are 8 bytes. */
const L4_LEN = 20;
const IPPROTO = { icmp: 1n, tcp: 6n, udp: 17n, icmpv6: 58n } as const;

/** Offsets of the data and data_end fields: struct xdp_md, struct __sk_buff. */
const XDP_DATA = [0, 4] as const;
const SKB_DATA = [76, 80] as const;

const u8 = intType(8, false);
const u16 = intType(16, false);

/** Builtins that need a task (process context) or a stack: a packet program has neither, and the kernel refuses their helpers there. */
const TASK_BUILTINS = new Set(['pid', 'tid', 'uid', 'gid', 'comm', 'cgroup', 'curtask', 'username', 'kstack', 'ustack', 'usym', 'func', 'reg', 'signal', 'override']);

type Verdict = { readonly code: bigint; readonly changesPath: boolean };
const VERDICTS: Readonly<Record<'xdp' | 'tc', Readonly<Record<string, Verdict>>>> = {
  xdp: { pass: { code: BigInt(XdpAction.PASS), changesPath: false }, drop: { code: BigInt(XdpAction.DROP), changesPath: true }, tx: { code: BigInt(XdpAction.TX), changesPath: true } },
  tc: { ok: { code: BigInt(TcAction.OK), changesPath: false }, shot: { code: BigInt(TcAction.SHOT), changesPath: true } },
};
const ALL_VERDICTS = new Set(['pass', 'drop', 'tx', 'ok', 'shot']);

export function packetKind(probe: ConcreteProbe): 'xdp' | 'tc' | undefined {
  return probe.progType === ProgType.XDP ? 'xdp' : probe.progType === ProgType.SCHED_CLS ? 'tc' : undefined;
}

/** What a header field reads: `at` bytes into the header copy, `size` bytes. */
type FieldSpec =
  | { readonly kind: 'int'; readonly at: number; readonly size: 1 | 2 | 4; readonly shift?: number; readonly mask?: number; readonly type: Type }
  | { readonly kind: 'bytes'; readonly at: number; readonly size: number; readonly type: Type };

const be = (at: number, size: 1 | 2 | 4, type: Type = size === 1 ? u8 : size === 2 ? u16 : u32): FieldSpec => ({ kind: 'int', at, size, type });
const bits = (at: number, shift: number, mask: number, type: Type = u8): FieldSpec => ({ kind: 'int', at, size: 1, shift, mask, type });
const addr = (at: number, n: 4 | 16): FieldSpec => ({ kind: 'bytes', at, size: n, type: byteArray(n) });
const mac = (at: number): FieldSpec => ({ kind: 'bytes', at, size: 6, type: { kind: 'rich', of: 'macaddr', size: 6 } });

function byteArray(n: number): Type {
  return { kind: 'tuple', array: true, elems: Array.from({ length: n }, () => u8), offsets: Array.from({ length: n }, (_, i) => i), size: n };
}

type Header = 'eth' | 'ip' | 'ip6' | 'tcp' | 'udp' | 'icmp';
const HEADERS: Readonly<Record<Header, Readonly<Record<string, FieldSpec>>>> = {
  eth: { dst: mac(0), src: mac(6), proto: be(12, 2) },
  ip: {
    version: bits(0, 4, 0xf), ihl: bits(0, 0, 0xf), tos: be(1, 1), len: be(2, 2), id: be(4, 2), frag_off: be(6, 2),
    ttl: be(8, 1), protocol: be(9, 1), proto: be(9, 1), check: be(10, 2), saddr: addr(12, 4), daddr: addr(16, 4),
  },
  ip6: { version: bits(0, 4, 0xf), len: be(4, 2), nexthdr: be(6, 1), proto: be(6, 1), hop_limit: be(7, 1), saddr: addr(8, 16), daddr: addr(24, 16) },
  tcp: {
    sport: be(0, 2), dport: be(2, 2), seq: be(4, 4), ack_seq: be(8, 4), doff: bits(12, 4, 0xf), flags: be(13, 1),
    fin: bits(13, 0, 1, boolType), syn: bits(13, 1, 1, boolType), rst: bits(13, 2, 1, boolType), psh: bits(13, 3, 1, boolType),
    ack: bits(13, 4, 1, boolType), urg: bits(13, 5, 1, boolType), window: be(14, 2), check: be(16, 2),
  },
  udp: { sport: be(0, 2), dport: be(2, 2), len: be(4, 2), check: be(6, 2) },
  icmp: { type: be(0, 1), code: be(1, 1), check: be(2, 2), id: be(4, 2), seq: be(6, 2) },
};

/** The `pkt` path an expression reads (`pkt`, `pkt.ip`, `pkt.ip.saddr`); undefined when it does not start at `pkt`. */
function pktPath(e: ast.Expr): string[] | undefined {
  if (e.kind === 'Identifier') return e.name === 'pkt' ? [] : undefined;
  if (e.kind === 'FieldAccess' && !e.arrow) {
    const inner = pktPath(e.object);
    return inner && [...inner, e.field];
  }
  return undefined;
}

/**
 * The type pass's side of PacketLowering (src/passes/type-of.ts; nothing is lowered): the type of a
 * `pkt` read, none for a refused task builtin or a bad path (PacketLowering.value reports them);
 * undefined for any other expression.
 */
export function packetType(probe: ConcreteProbe, e: ast.Expr, typeOf: (e: ast.Expr) => Type): Type | undefined {
  const kind = packetKind(probe);
  if (kind && (e.kind === 'Identifier' || e.kind === 'Call') && TASK_BUILTINS.has(e.kind === 'Identifier' ? e.name : e.callee)) return noneType;
  if (e.kind === 'Index') {
    const path = pktPath(e.object);
    if (!path) return undefined;
    if (!kind || path.length !== 1 || path[0] !== 'data') return noneType;
    typeOf(e.index);
    return u8;
  }
  const path = pktPath(e);
  if (!path) return undefined;
  return kind ? pathType(path) : noneType;
}

/** The type of `pkt.<path>` (PacketLowering.pathValue's); none where it reports an error. */
function pathType(path: readonly string[]): Type {
  const [first, field, ...rest] = path;
  if (first === undefined || first === 'data') return noneType;
  if ((first === 'len' || first === 'ifindex') && field === undefined) return u32;
  const fields = Object.hasOwn(HEADERS, first) ? HEADERS[first as Header] : undefined;
  if (!fields || rest.length > 0) return noneType;
  if (field === undefined) return boolType;
  return Object.hasOwn(fields, field) ? fields[field]!.type : noneType;
}

/** Whether PacketLowering.statement handles `e` (a verdict, redirect, a refused task builtin call). */
export function isPacketStatement(probe: ConcreteProbe, e: ast.Expr): boolean {
  if (!packetKind(probe)) return false;
  if (e.kind === 'Call') return e.callee === 'redirect' || TASK_BUILTINS.has(e.callee);
  return e.kind === 'Identifier' && ALL_VERDICTS.has(e.name);
}

/**
 * The packet view of one probe's lowering: which headers the script reads (so the prologue copies
 * just those) and the verdict variable.
 */
export class PacketLowering {
  private readonly kind: 'xdp' | 'tc' | undefined;
  private verdictVar: number | undefined;
  private vars: { eth: number; ip?: number; ip6?: number; l4?: number; l3?: number; l4proto?: number } | undefined;
  /** 1: eth, 2: + ip/ip6, 3: + the L4 header. */
  private depth = 0;
  /** The interfaces `redirect(ifname)` sends to, by name, with the index compiled in. */
  private readonly redirects = new Map<string, number>();

  constructor(
    probe: ConcreteProbe,
    private readonly cx: LowerContext,
  ) {
    this.kind = packetKind(probe);
  }

  /** The program's result variable and its default (pass for xdp, TCX_NEXT for tc); undefined outside packet probes. */
  verdict(): { var: number; fallback: bigint } | undefined {
    if (!this.kind) return undefined;
    this.verdictVar ??= this.cx.temp();
    return { var: this.verdictVar, fallback: this.kind === 'xdp' ? BigInt(XdpAction.PASS) : BigInt(TcAction.UNSPEC) };
  }

  /** A `pkt` read, or a task builtin refused in a packet probe; undefined for anything else. */
  value(e: ast.Expr): LibValue | undefined {
    if (this.kind && (e.kind === 'Identifier' || e.kind === 'Call')) {
      const name = e.kind === 'Identifier' ? e.name : e.callee;
      if (TASK_BUILTINS.has(name)) {
        this.cx.diags.error('not-in-packet-probe', `${name} is not available in ${this.kind} probes: a packet program runs without a process context`, e.span, ['packet probes can use pkt.*, maps, printf, nsecs, cpu, rand']);
        return this.cx.fail();
      }
    }
    if (e.kind === 'Index') {
      const path = pktPath(e.object);
      if (!path) return undefined;
      if (!this.available(e)) return this.cx.fail();
      if (path.length === 1 && path[0] === 'data') return this.dataByte(e.index);
      this.cx.diags.error('type-mismatch', `cannot index pkt.${path.join('.')}: only pkt.data[offset] is indexed`, e.span);
      return this.cx.fail();
    }
    const path = pktPath(e);
    if (!path) return undefined;
    if (!this.available(e)) return this.cx.fail();
    return this.pathValue(path, e);
  }

  /** A verdict statement (`drop`, `pass`...) as the statements setting the result and leaving the probe; undefined when `e` is none. */
  statement(e: ast.Expr): IrStmt[] | undefined {
    if (this.kind && e.kind === 'Call' && e.callee === 'redirect') return this.redirect(e);
    if (this.kind && e.kind === 'Call' && TASK_BUILTINS.has(e.callee)) {
      this.value(e);
      return [];
    }
    if (e.kind !== 'Identifier' || !ALL_VERDICTS.has(e.name) || !this.kind) return undefined;
    const v = VERDICTS[this.kind][e.name];
    if (!v) {
      const own = Object.keys(VERDICTS[this.kind]).join(', ');
      this.cx.diags.error('invalid-verdict', `${e.name} is not a ${this.kind} verdict: ${this.kind} probes use ${own}`, e.span);
      return [];
    }
    if (v.changesPath && !this.cx.unsafe) {
      this.cx.diags.error('unsafe-verdict', `${e.name} changes what happens to packets on the network path: run with --unsafe to allow it`, e.span, ['observation-only scripts (no drop/tx/shot) need no flag']);
      return [];
    }
    return [{ op: 'setVar', id: this.verdict()!.var, value: c64(v.code) }, { op: 'return' }];
  }

  /** The probe as compiled: with the interfaces its redirect() calls send to (checked again at attach). */
  compiledProbe(probe: ConcreteProbe): ConcreteProbe {
    const a = probe.attach;
    if (this.redirects.size === 0 || (a.kind !== 'xdp' && a.kind !== 'tc')) return probe;
    const redirects: RedirectTarget[] = [...this.redirects].map(([iface, ifindex]) => ({ iface, ifindex }));
    return { ...probe, attach: { ...a, redirects } };
  }

  /**
   * `redirect(ifname)`: bpf_redirect to that interface's egress, and leave the probe with what it
   * returns (XDP_REDIRECT / TC_ACT_REDIRECT, or XDP_ABORTED / TC_ACT_SHOT when the index is bad).
   * The name is resolved now, in this network namespace; the provider checks it at attach time.
   */
  private redirect(e: ast.Call): IrStmt[] {
    if (e.args.length !== 1) {
      this.cx.diags.error('wrong-arity', 'redirect takes one argument: the name of the interface to send the packet out of', e.span);
      return [];
    }
    const name = this.cx.constString(e.args[0]!, 'redirect\'s interface name');
    if (name === undefined) return [];
    const ifindex = ifindexOf(name);
    if (ifindex === undefined) {
      this.cx.diags.error('unknown-interface', `redirect: no network interface named ${name}`, e.args[0]!.span);
      return [];
    }
    if (!this.cx.unsafe) {
      this.cx.diags.error('unsafe-verdict', 'redirect changes what happens to packets on the network path: run with --unsafe to allow it', e.span, ['observation-only scripts (no drop/tx/shot/redirect) need no flag']);
      return [];
    }
    this.redirects.set(name, ifindex);
    const call: IrExpr = { op: 'call', helper: Helper.redirect, args: [{ kind: 'int', value: c64(BigInt(ifindex)) }, { kind: 'int', value: c64(0n) }] };
    return [{ op: 'setVar', id: this.verdict()!.var, value: call }, { op: 'return' }];
  }

  /** Statements the program starts with: the default verdict, then the header copies the body reads. */
  prologue(): IrStmt[] {
    const verdict = this.verdict();
    if (!verdict) return [];
    const out: IrStmt[] = [{ op: 'setVar', id: verdict.var, value: c64(verdict.fallback) }];
    const v = this.vars;
    if (!v || this.depth === 0) return out;
    out.push({ op: 'setVarBlob', id: v.eth, value: this.load(c64(0n), ETH_LEN) });
    if (this.depth < 2) return out;
    const ethProto = beInt({ op: 'varBlob', id: v.eth, size: ETH_LEN }, 12, 2);
    const isIp4 = eq(ethProto, ETH_P_IP);
    const isIp6 = eq(ethProto, ETH_P_IPV6);
    const ip4: IrBlob = { op: 'varBlob', id: v.ip!, size: IPV4_LEN };
    const ip6: IrBlob = { op: 'varBlob', id: v.ip6!, size: IPV6_LEN };
    out.push({ op: 'if', cond: isIp4, then: [{ op: 'setVarBlob', id: v.ip!, value: this.load(c64(BigInt(ETH_LEN)), IPV4_LEN) }], else: [] });
    out.push({ op: 'if', cond: isIp6, then: [{ op: 'setVarBlob', id: v.ip6!, value: this.load(c64(BigInt(ETH_LEN)), IPV6_LEN) }], else: [] });
    if (this.depth < 3) return out;
    // The L4 protocol: IPv4 (first fragment only) or IPv6 without extension headers; 0 otherwise.
    const ip4Ok: IrExpr = and(and(isIp4, eq(shr(byte(ip4, 0), 4n), 4n)), eq(band(beInt(ip4, 6, 2), 0x1fffn), 0n));
    const ip4Len: IrExpr = { op: 'binary', operator: '*', left: band(byte(ip4, 0), 0xfn), right: c64(4n), signed: false };
    out.push(
      { op: 'setVar', id: v.l4proto!, value: c64(0n) },
      { op: 'if', cond: ip4Ok, then: [{ op: 'setVar', id: v.l4proto!, value: byte(ip4, 9) }, { op: 'setVar', id: v.l3!, value: ip4Len }], else: [] },
      { op: 'if', cond: and(isIp6, eq(shr(byte(ip6, 0), 4n), 6n)), then: [{ op: 'setVar', id: v.l4proto!, value: byte(ip6, 6) }, { op: 'setVar', id: v.l3!, value: c64(BigInt(IPV6_LEN)) }], else: [] },
    );
    const l4At: IrExpr = { op: 'binary', operator: '+', left: c64(BigInt(ETH_LEN)), right: { op: 'var', id: v.l3! }, signed: false };
    const proto: IrExpr = { op: 'var', id: v.l4proto! };
    out.push({
      op: 'if',
      cond: eq(proto, IPPROTO.tcp),
      then: [{ op: 'setVarBlob', id: v.l4!, value: this.load(l4At, L4_LEN) }],
      else: [{ op: 'if', cond: { op: 'binary', operator: '!=', left: proto, right: c64(0n), signed: false }, then: [{ op: 'setVarBlob', id: v.l4!, value: { op: 'record', size: L4_LEN, fields: [{ offset: 0, blob: this.load(l4At, 8) }] } }], else: [] }],
    });
    return out;
  }

  private available(e: ast.Expr): boolean {
    if (this.kind) return true;
    this.cx.diags.error('no-packet', `pkt is only available in xdp and tc probes (this is ${this.cx.probe.provider})`, e.span);
    return false;
  }

  /** `len` bytes of the packet at `offset`, zeroes when the packet is shorter. */
  private load(offset: IrExpr, len: number, direct = true): IrBlob {
    const helper = this.kind === 'xdp' ? Helper.xdp_load_bytes : Helper.skb_load_bytes;
    const fallback: IrBlob = { op: 'callFill', size: len, helper, args: [{ kind: 'ctx' }, { kind: 'int', value: offset }, { kind: 'dst' }, { kind: 'int', value: c64(BigInt(len)) }] };
    // A direct read needs an offset the verifier can bound: constants and the header offsets
    // computed here; pkt.data[i] with a computed i keeps the helper.
    if (!direct || process.env['TSBPF_PKT_HELPERS'] === '1') return fallback;
    const [dataAt, endAt] = this.kind === 'xdp' ? XDP_DATA : SKB_DATA;
    return { op: 'pktBytes', size: len, offset, dataAt, endAt, fallback };
  }

  private need(depth: number): NonNullable<PacketLowering['vars']> {
    this.depth = Math.max(this.depth, depth);
    this.vars ??= { eth: this.cx.tempBlob(ETH_LEN) };
    if (depth >= 2 && this.vars.ip === undefined) Object.assign(this.vars, { ip: this.cx.tempBlob(IPV4_LEN), ip6: this.cx.tempBlob(IPV6_LEN) });
    if (depth >= 3 && this.vars.l4 === undefined) Object.assign(this.vars, { l4: this.cx.tempBlob(L4_LEN), l3: this.cx.temp(), l4proto: this.cx.temp() });
    return this.vars;
  }

  private dataByte(index: ast.Expr): LibValue {
    const at = this.cx.intOf(this.cx.value(index), index);
    return { type: u8, int: { op: 'blobLoad', blob: this.load(at, 1, at.op === 'const'), offset: 0, size: 1, signed: false } };
  }

  private pathValue(path: readonly string[], e: ast.Expr): LibValue {
    const [first, field, ...rest] = path;
    if (first === undefined) {
      this.cx.diags.error('type-mismatch', 'pkt is a packet view: read pkt.len, pkt.ip.saddr, pkt.tcp.dport, pkt.data[i]...', e.span);
      return this.cx.fail();
    }
    if (first === 'len' && field === undefined) return { type: u32, int: this.length() };
    if (first === 'ifindex' && field === undefined) {
      // xdp_md.ingress_ifindex; __sk_buff.ifindex (the device the hook is on).
      return { type: u32, int: { op: 'ctxLoad', offset: this.kind === 'xdp' ? 12 : 40, size: 4, signed: false } };
    }
    if (first === 'data') {
      this.cx.diags.error('type-mismatch', 'pkt.data is read a byte at a time: pkt.data[offset]', e.span);
      return this.cx.fail();
    }
    const header = first as Header;
    const fields = Object.hasOwn(HEADERS, first) ? HEADERS[header] : undefined;
    if (!fields) {
      this.cx.diags.error('unknown-field', `pkt has no field named ${first}`, e.span, [`its fields are: len, ifindex, data[i], ${Object.keys(HEADERS).join(', ')}`]);
      return this.cx.fail();
    }
    if (rest.length > 0) {
      this.cx.diags.error('unknown-field', `pkt.${first}.${field} has no fields`, e.span);
      return this.cx.fail();
    }
    const present = this.present(header);
    if (field === undefined) return { type: boolType, int: present };
    const spec = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (!spec) {
      this.cx.diags.error('unknown-field', `pkt.${first} has no field named ${field}`, e.span, [`its fields are: ${Object.keys(fields).join(', ')}`]);
      return this.cx.fail();
    }
    const blob = this.headerBlob(header);
    if (spec.kind === 'bytes') return { type: spec.type, blob: { op: 'select', cond: present, then: { op: 'slice', blob, offset: spec.at, size: spec.size }, else: { op: 'zero', size: spec.size }, size: spec.size } };
    let x = beInt(blob, spec.at, spec.size);
    if (spec.shift) x = shr(x, BigInt(spec.shift));
    if (spec.mask !== undefined) x = band(x, BigInt(spec.mask));
    return { type: spec.type, int: { op: 'ternary', cond: present, then: x, else: c64(0n) } };
  }

  /** The packet's length: bpf_xdp_get_buff_len (fragments included) or __sk_buff.len. */
  private length(): IrExpr {
    if (this.kind === 'xdp') return { op: 'call', helper: Helper.xdp_get_buff_len, args: [{ kind: 'ctx' }] };
    return { op: 'ctxLoad', offset: 0, size: 4, signed: false };
  }

  private headerBlob(h: Header): IrBlob {
    switch (h) {
      case 'eth':
        return { op: 'varBlob', id: this.need(1).eth, size: ETH_LEN };
      case 'ip':
        return { op: 'varBlob', id: this.need(2).ip!, size: IPV4_LEN };
      case 'ip6':
        return { op: 'varBlob', id: this.need(2).ip6!, size: IPV6_LEN };
      default:
        return { op: 'varBlob', id: this.need(3).l4!, size: L4_LEN };
    }
  }

  /** 1 when the packet has this header. */
  private present(h: Header): IrExpr {
    switch (h) {
      case 'eth':
        return { op: 'binary', operator: '>=', left: this.length(), right: c64(BigInt(ETH_LEN)), signed: false };
      case 'ip':
      case 'ip6': {
        const v = this.need(2);
        const ethProto = beInt({ op: 'varBlob', id: v.eth, size: ETH_LEN }, 12, 2);
        const ipBlob = this.headerBlob(h);
        return and(eq(ethProto, h === 'ip' ? ETH_P_IP : ETH_P_IPV6), eq(shr(byte(ipBlob, 0), 4n), h === 'ip' ? 4n : 6n));
      }
      default: {
        const v = this.need(3);
        const proto: IrExpr = { op: 'var', id: v.l4proto! };
        if (h === 'icmp') return { op: 'logical', operator: '||', left: and(eq(proto, IPPROTO.icmp), this.present('ip')), right: and(eq(proto, IPPROTO.icmpv6), this.present('ip6')) };
        return eq(proto, h === 'tcp' ? IPPROTO.tcp : IPPROTO.udp);
      }
    }
  }
}

function byte(blob: IrBlob, at: number): IrExpr {
  return { op: 'blobLoad', blob, offset: at, size: 1, signed: false };
}

/** A big-endian integer of `size` bytes at `at` in host order. */
function beInt(blob: IrBlob, at: number, size: 1 | 2 | 4): IrExpr {
  let x = byte(blob, at);
  for (let i = 1; i < size; i++) x = { op: 'binary', operator: '|', left: { op: 'binary', operator: '<<', left: x, right: c64(8n), signed: false }, right: byte(blob, at + i), signed: false };
  return x;
}

function eq(x: IrExpr, v: bigint): IrExpr {
  return { op: 'binary', operator: '==', left: x, right: c64(v), signed: false };
}

function shr(x: IrExpr, n: bigint): IrExpr {
  return { op: 'binary', operator: '>>', left: x, right: c64(n), signed: false };
}

function band(x: IrExpr, m: bigint): IrExpr {
  return { op: 'binary', operator: '&', left: x, right: c64(m), signed: false };
}

function and(a: IrExpr, b: IrExpr): IrExpr {
  return { op: 'logical', operator: '&&', left: a, right: b };
}
