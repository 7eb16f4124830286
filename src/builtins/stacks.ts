/**
 * Stacks and symbols: kstack, ustack (identifiers and calls with a mode and a depth), ksym, usym,
 * kaddr. Stacks are kept in BPF_MAP_TYPE_STACK_TRACE maps; the value is the stack id (and for user
 * stacks the pid, whose memory maps the runtime snapshots the first time it sees the pid, so stacks
 * of processes that exit before the map is printed stay symbolized).
 */
import { readFileSync } from 'node:fs';
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { noneType, u64, type Type } from '../types/types.js';
import type { CType } from '../kernel/btf.js';
import { ElfFile, ET_DYN } from '../kernel/elf.js';
import { registerOffset } from '../kernel/usdt-args.js';
import { argCount, c64, type ArgContext, type LibFunction, type LibValue, type LibVar, type LowerContext } from './library.js';
import { Helper, MapType } from '../contract/index.js';
import { PT_REGS_PROVIDERS } from './probe-context.js';

export const MAX_STACK_DEPTH = 127; // kernel.perf_event_max_stack default
export const STACK_MAP_ENTRIES = 4096;
export const KSTACK_MAP = '.kstack';
export const USTACK_MAP = '.ustack';
/** Pids whose stacks were seen: the runtime snapshots /proc/PID/maps when a pid is first inserted. */
export const USTACK_PIDS_MAP = '.ustack_pids';

const BPF_F_USER_STACK = 1n << 8n;
const BPF_NOEXIST = 1n;

export type StackMode = 'bpftrace' | 'perf' | 'raw';
const MODES: readonly string[] = ['bpftrace', 'perf', 'raw'];

function stackArgs(call: ast.Call | undefined, cx: ArgContext & { readonly stackMode?: StackMode }): { mode: StackMode; limit: number } | undefined {
  let mode: StackMode = cx.stackMode ?? 'bpftrace';
  let limit = MAX_STACK_DEPTH;
  const args = call?.args ?? [];
  if (call && !argCount(call, cx, 0, 2)) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (i === 0 && a.kind === 'Identifier') {
      if (!MODES.includes(a.name)) {
        cx.diags.error('invalid-argument', `unknown stack mode ${a.name}: use bpftrace, perf or raw`, a.span);
        return undefined;
      }
      mode = a.name as StackMode;
      continue;
    }
    const n = cx.constInt(a);
    if (n < 0n || n > BigInt(MAX_STACK_DEPTH)) {
      cx.diags.error('invalid-argument', `stack depth must be between 0 and ${MAX_STACK_DEPTH}, got ${n}`, a.span);
      return undefined;
    }
    limit = Number(n);
  }
  return { mode, limit };
}

function stackMap(cx: LowerContext, name: string): number {
  return cx.internalMap(name, { bpfType: MapType.STACK_TRACE, keySize: 4, valueSize: 8 * MAX_STACK_DEPTH, maxEntries: STACK_MAP_ENTRIES });
}

function stackId(cx: LowerContext, user: boolean): IrExpr {
  const map = stackMap(cx, user ? USTACK_MAP : KSTACK_MAP);
  return { op: 'call', helper: Helper.get_stackid, args: [{ kind: 'ctx' }, { kind: 'map', map }, { kind: 'int', value: c64(user ? BPF_F_USER_STACK : 0n) }] };
}

/** A stack's type: kstack an 8-byte stack id, ustack 16 bytes (the id and the pid); undefined after an error. */
function stackType(of: 'kstack' | 'ustack', call: ast.Call | undefined, cx: ArgContext & { readonly stackMode?: StackMode }): Type | undefined {
  const a = stackArgs(call, cx);
  return a && { kind: 'rich', of, size: of === 'kstack' ? 8 : 16, arg: `${a.mode},${a.limit}` };
}

function kstack(call: ast.Call | undefined, cx: LowerContext): LibValue {
  const type = stackType('kstack', call, cx);
  if (!type) return cx.fail();
  return { type, blob: { op: 'int', value: stackId(cx, false), size: 8 } };
}

/** `pid` (the tgid) as a u64. */
const PID: IrExpr = { op: 'binary', operator: '>>', left: { op: 'call', helper: Helper.get_current_pid_tgid, args: [] }, right: c64(32), signed: false };

/** Tell user space about a pid the first time one of its stacks (or user symbols) is taken. */
export function notePid(cx: LowerContext, pid: IrExpr): IrStmt[] {
  const seen = cx.internalMap(USTACK_PIDS_MAP, { bpfType: MapType.HASH, keySize: 4, valueSize: 1, maxEntries: 16384 });
  const pidVar = cx.temp();
  const key: IrBlob = { op: 'int', value: { op: 'var', id: pidVar }, size: 4 };
  const lookup: IrExpr = { op: 'call', helper: Helper.map_lookup_elem, args: [{ kind: 'map', map: seen }, { kind: 'blob', blob: key }] };
  const insert: IrExpr = {
    op: 'call', helper: Helper.map_update_elem,
    args: [{ kind: 'map', map: seen }, { kind: 'blob', blob: key }, { kind: 'blob', blob: { op: 'int', value: c64(1), size: 1 } }, { kind: 'int', value: c64(BPF_NOEXIST) }],
  };
  const announce = cx.emit({ kind: 'user-pid', args: [u64] }, [{ type: u64, int: { op: 'var', id: pidVar } }]);
  return [
    { op: 'setVar', id: pidVar, value: pid },
    {
      op: 'if', cond: { op: 'binary', operator: '==', left: lookup, right: c64(0), signed: false },
      then: [{ op: 'if', cond: { op: 'binary', operator: '==', left: insert, right: c64(0), signed: false }, then: [announce], else: [] }],
      else: [],
    },
  ];
}

function ustack(call: ast.Call | undefined, cx: LowerContext): LibValue {
  const type = stackType('ustack', call, cx);
  if (!type) return cx.fail();
  const pidVar = cx.temp();
  const stmts: IrStmt[] = [{ op: 'setVar', id: pidVar, value: PID }, ...notePid(cx, { op: 'var', id: pidVar })];
  const record: IrBlob = {
    op: 'record', size: 16,
    fields: [{ offset: 0, blob: { op: 'int', value: stackId(cx, true), size: 8 } }, { offset: 8, blob: { op: 'int', value: { op: 'var', id: pidVar }, size: 8 } }],
  };
  return { type, blob: { op: 'seqBlob', stmts, value: record } };
}

const KSYM: Type = { kind: 'rich', of: 'ksym', size: 8 };
const USYM: Type = { kind: 'rich', of: 'usym', size: 16 };

/** ksym/usym's typing: the address typed, the symbol's type. */
function symbolType(type: Type): LibFunction['type'] {
  return (call, tx) => {
    if (!argCount(call, tx, 1, 1)) return noneType;
    tx.typeOf(call.args[0]!);
    return type;
  };
}

const ksym: LibFunction = {
  name: 'ksym',
  type: symbolType(KSYM),
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    return { type: KSYM, blob: { op: 'int', value: cx.intOf(v, call.args[0]!), size: 8 } };
  },
};

const usym: LibFunction = {
  name: 'usym',
  type: symbolType(USYM),
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    const addr = cx.intOf(v, call.args[0]!);
    const pidVar = cx.temp();
    const stmts: IrStmt[] = [{ op: 'setVar', id: pidVar, value: PID }, ...notePid(cx, { op: 'var', id: pidVar })];
    const record: IrBlob = { op: 'record', size: 16, fields: [{ offset: 0, blob: { op: 'int', value: addr, size: 8 } }, { offset: 8, blob: { op: 'int', value: { op: 'var', id: pidVar }, size: 8 } }] };
    return { type: USYM, blob: { op: 'seqBlob', stmts, value: record } };
  },
};

let kallsymsCache: Map<string, bigint> | undefined;

/** Address of a kernel symbol from /proc/kallsyms (compile time), or undefined. */
export function kernelSymbolAddress(name: string): bigint | undefined {
  if (!kallsymsCache) {
    kallsymsCache = new Map();
    try {
      for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
        const parts = line.split(/\s+/);
        if (parts.length >= 3 && !kallsymsCache.has(parts[2]!)) kallsymsCache.set(parts[2]!, BigInt('0x' + parts[0]!));
      }
    } catch {
      // Left empty: every lookup fails with a clear error below.
    }
  }
  return kallsymsCache.get(name);
}

/** kaddr's symbol address; undefined after an error. */
function kaddrOf(call: ast.Call, cx: ArgContext): bigint | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const name = cx.constString(call.args[0]!, 'a kernel symbol name');
  if (name === undefined) return undefined;
  const addr = kernelSymbolAddress(name);
  if (addr !== undefined && addr !== 0n) return addr;
  cx.diags.error('unknown-symbol', `Failed to resolve kernel symbol: ${name}`, call.args[0]!.span);
  return undefined;
}

const kaddr: LibFunction = {
  name: 'kaddr',
  type: (call, tx) => (kaddrOf(call, tx) === undefined ? noneType : u64),
  expr(call, cx) {
    const addr = kaddrOf(call, cx);
    return addr === undefined ? cx.fail() : { type: u64, int: c64(addr) };
  },
};

/** uaddr's symbol: its pointer type, address and, in a PIE object, the probed vaddr (for the load bias); undefined after an error. */
function uaddrSymbol(call: ast.Call, cx: ArgContext & { readonly probe: ConcreteProbe }): { type: Type; addr: bigint; probeVaddr?: bigint } | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const name = cx.constString(call.args[0]!, 'a symbol name');
  if (name === undefined) return undefined;
  const at = cx.probe.attach;
  if (at.kind !== 'uprobe') {
    cx.diags.error('invalid-probe', 'uaddr() can only be used in uprobe, uretprobe and usdt probes', call.span);
    return undefined;
  }
  let elf: ElfFile | undefined;
  try {
    elf = ElfFile.open(at.path);
    const sym = elf.findObject(name) ?? elf.findFunction(name);
    if (!sym || sym.addr === 0n) {
      cx.diags.error('unknown-symbol', `Could not resolve symbol: ${at.path}:${name}`, call.args[0]!.span);
      return undefined;
    }
    const bits = ({ 1: 8, 2: 16, 4: 32, 8: 64 } as Record<number, 8 | 16 | 32 | 64>)[sym.size] ?? 64;
    const ctype: CType = { kind: 'ptr', target: () => ({ kind: 'int', name: `uint${bits}`, size: bits / 8, signed: false, isBool: false, isChar: false }) };
    const type: Type = { kind: 'ptr', to: `uint${bits}`, space: 'user', ctype };
    if (elf.type !== ET_DYN) return { type, addr: sym.addr };
    const probeVaddr = vaddrOfFileOffset(elf, BigInt(at.offset));
    if (at.isReturn || probeVaddr === undefined) {
      cx.diags.error('not-supported', `uaddr() of ${name}: ${at.path} is position independent and its load address is only known at a uprobe or usdt entry`, call.span);
      return undefined;
    }
    return { type, addr: sym.addr, probeVaddr };
  } catch (e) {
    cx.diags.error('unknown-symbol', `Could not resolve symbol: ${at.path}:${name} (${e instanceof Error ? e.message : String(e)})`, call.args[0]!.span);
    return undefined;
  } finally {
    elf?.close();
  }
}

/**
 * uaddr("sym"): the address of a data symbol of the probed binary (uprobe, uretprobe, usdt), as a
 * `uintN *` user pointer sized by the ELF object (uint64 * otherwise). bpftrace 0.25+ corrects
 * PIE binaries and libraries by the load address (a task_vma iterator there); tsbpf takes the
 * load bias from the probe itself: a uprobe/usdt entry stops with ip = bias + the probed vaddr.
 * A uretprobe's ip is a return address, so there a PIE symbol is refused (no bias to take).
 */
const uaddr: LibFunction = {
  name: 'uaddr',
  type: (call, tx) => uaddrSymbol(call, tx)?.type ?? noneType,
  expr(call, cx) {
    const sym = uaddrSymbol(call, cx);
    if (!sym) return cx.fail();
    if (sym.probeVaddr === undefined) return { type: sym.type, int: c64(sym.addr) };
    // bias = ip - probed vaddr; uaddr = sym + bias.
    const ip: IrExpr = { op: 'ctxLoad', offset: registerOffset('rip')!, size: 8, signed: false };
    const bias: IrExpr = { op: 'binary', operator: '-', left: ip, right: c64(sym.probeVaddr), signed: false };
    return { type: sym.type, int: { op: 'binary', operator: '+', left: bias, right: c64(sym.addr), signed: false } };
  },
};

/** The virtual address a file offset is loaded at (through its PT_LOAD segment). */
function vaddrOfFileOffset(elf: ElfFile, offset: bigint): bigint | undefined {
  for (const s of elf.segments) {
    if (s.type === 1 /* PT_LOAD */ && offset >= s.offset && offset < s.offset + s.filesz) return offset - s.offset + s.vaddr;
  }
  return undefined;
}

/** x86_64 `struct pt_regs` in order: bpftrace's register names (arch/x86_64.cpp). */
const PT_REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

/** reg's register index in pt_regs; undefined after an error. */
function regIndex(call: ast.Call, cx: ArgContext & { readonly probe: ConcreteProbe }): number | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const name = cx.constString(call.args[0]!, 'a register name');
  if (name === undefined) return undefined;
  if (!PT_REGS_PROVIDERS.has(cx.probe.provider)) {
    cx.diags.error('invalid-probe', `reg can not be used with "${cx.probe.provider}" probes`, call.span);
    return undefined;
  }
  const i = PT_REGS.indexOf(name === 'pc' ? 'ip' : name);
  if (i >= 0) return i;
  cx.diags.error('invalid-argument', `'${name}' is not a valid register on this architecture (valid: ${PT_REGS.join(', ')})`, call.args[0]!.span);
  return undefined;
}

/**
 * reg("ip"): a register of the probed context: kprobes, uprobes and usdt, and the perf-event probes
 * (profile, interval, software, hardware, watchpoint: their context starts with pt_regs), as
 * bpftrace's newest; `pc` is ip.
 */
const reg: LibFunction = {
  name: 'reg',
  type: (call, tx) => (regIndex(call, tx) === undefined ? noneType : u64),
  expr(call, cx) {
    const i = regIndex(call, cx);
    return i === undefined ? cx.fail() : { type: u64, int: { op: 'ctxLoad', offset: i * 8, size: 8, signed: false } };
  },
};

export const STACK_FUNCTIONS: readonly LibFunction[] = [
  uaddr,
  reg,
  { name: 'kstack', type: (call, tx) => stackType('kstack', call, tx) ?? noneType, expr: (call, cx) => kstack(call, cx) },
  { name: 'ustack', type: (call, tx) => stackType('ustack', call, tx) ?? noneType, expr: (call, cx) => ustack(call, cx) },
  ksym,
  usym,
  kaddr,
];

export const STACK_VARS: readonly LibVar[] = [
  { name: 'kstack', type: (_n, tx) => stackType('kstack', undefined, tx) ?? noneType, lower: (_n, cx) => kstack(undefined, cx) },
  { name: 'ustack', type: (_n, tx) => stackType('ustack', undefined, tx) ?? noneType, lower: (_n, cx) => ustack(undefined, cx) },
];
