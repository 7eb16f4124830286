/**
 * User-space side of the function library's `rich` values (src/builtins/): stacks from the
 * stack-trace maps, kernel symbols (/proc/kallsyms), user symbols (the ELF symbols of the mappings
 * a process had when its pid was first seen; with show_debug_info, ustack frames' source lines and
 * inlined calls from the binaries' DWARF), user names, timestamps, inet and MAC addresses,
 * buffers. Turns their bytes into runtime/output/value.ts Values.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { CompiledScript, Type } from '../../src/contract/index.js';
import { ElfFile, loadDebugFrames, type DebugFrames } from '../../src/index.js';
import { kernelSymbols } from './kernel-symbols.js';
import { strftime } from './strftime.js';
import { wallMinusMonoNs } from './wall-clock.js';
import type { StackMode, Value } from './value.js';

type RichType = Extract<Type, { kind: 'rich' }>;

const PT_LOAD = 1;

interface Symbol {
  readonly addr: bigint;
  readonly size: bigint;
  readonly name: string;
}

/** Sorted symbols with a binary search for the one containing an address. */
class SymbolTable {
  private readonly syms: Symbol[];

  constructor(syms: Symbol[]) {
    this.syms = syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }

  /** The symbol containing `addr` (a sized symbol must cover it; an unsized one is taken up to the next). */
  find(addr: bigint): { name: string; offset: bigint } | undefined {
    const s = this.syms;
    let lo = 0;
    let hi = s.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]!.addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const sym = s[best]!;
    if (sym.size > 0n && addr >= sym.addr + sym.size) return undefined;
    return { name: sym.name, offset: addr - sym.addr };
  }
}

/** The rich values printed with the kernel's symbols. */
const KERNEL_SYMBOL_KINDS: ReadonlySet<string> = new Set(['ksym', 'kstack']);

/** Whether `value` (a map's spec: its key and value types, nested) holds a rich type of one of `kinds`. */
function holdsRich(value: unknown, kinds: ReadonlySet<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => holdsRich(v, kinds));
  const o = value as Record<string, unknown>;
  if (o['kind'] === 'rich' && typeof o['of'] === 'string' && kinds.has(o['of'])) return true;
  return Object.values(o).some((v) => holdsRich(v, kinds));
}

/** `0x...` as C++ prints a `void *` (bpftrace's fallback for unknown addresses). */
function hexAddr(addr: bigint): string {
  return addr === 0n ? '0' : '0x' + addr.toString(16);
}

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: bigint;
  readonly path: string;
}

interface ElfSymbols {
  readonly table: SymbolTable;
  readonly segments: readonly { type: number; offset: bigint; vaddr: bigint; filesz: bigint; memsz: bigint }[];
  /** ET_EXEC: a non-PIE executable, loaded at its link-time addresses (no load bias). */
  readonly fixed: boolean;
}

const ET_EXEC = 2;

/** ELF symbol tables by path, shared by every process. */
const elfCache = new Map<string, ElfSymbols | null>();

function elfSymbols(path: string, pid: number): ElfSymbols | undefined {
  let e = elfCache.get(path);
  if (e === undefined) {
    e = null;
    for (const candidate of [`/proc/${pid}/root${path}`, path]) {
      try {
        const f = ElfFile.open(candidate);
        try {
          const syms = f.functions().map((s) => ({ addr: s.addr, size: BigInt(s.size), name: s.name }));
          e = { table: new SymbolTable(syms), segments: f.segments, fixed: f.type === ET_EXEC };
        } finally {
          f.close();
        }
        break;
      } catch {
        // Try the next candidate.
      }
    }
    elfCache.set(path, e);
  }
  return e ?? undefined;
}

/** The DWARF reader, loaded (loadDebugInfoReader) only when a script turns show_debug_info on: the start-up of others does not pay for it. */
let debugReader: typeof DebugFrames | undefined;

/** Loads the DWARF reader; a session whose script has show_debug_info awaits it before it starts (runtime/session/run.ts). */
export async function loadDebugInfoReader(): Promise<void> {
  debugReader ??= (await loadDebugFrames()).DebugFrames;
}

/** Binaries' debug information (line tables, inlined calls) by path, read at the first frame that needs it; null: none. */
const debugCache = new Map<string, DebugFrames | null>();

function debugFrames(path: string, pid: number): DebugFrames | undefined {
  if (!debugReader) return undefined;
  let d = debugCache.get(path);
  if (d === undefined) {
    d = null;
    for (const candidate of [`/proc/${pid}/root${path}`, path]) {
      let f: ElfFile;
      try {
        f = ElfFile.open(candidate);
      } catch {
        continue; // Try the next candidate.
      }
      try {
        d = debugReader.load(f) ?? null;
      } catch {
        // Debug information tsbpf cannot read: the frames print without it, as for a binary built without -g.
      } finally {
        f.close();
      }
      break;
    }
    debugCache.set(path, d);
  }
  return d ?? undefined;
}

/** A user address's symbol, and the binary and address in it that its debug information is looked up by. */
interface UserSymbol {
  readonly name: string;
  readonly offset: bigint;
  /** The binary's path as the process maps it. */
  readonly path: string;
  /** The address in the binary's own (link-time) addresses. */
  readonly vaddr: bigint;
}

/** The executable mappings of a process, from /proc/PID/maps. */
function readMappings(pid: number): Mapping[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
    if (!m || !m[3]!.includes('x')) continue;
    out.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), offset: BigInt('0x' + m[4]), path: m[5]!.replace(/ \(deleted\)$/, '') });
  }
  return out;
}

export interface RichContext {
  /** The frames stored under `id` in the stack map `name` (`.kstack`, `.ustack`), or undefined. */
  readStack(map: string, id: number): bigint[] | undefined;
  /**
   * The executables the script probes (uprobe/usdt targets): a non-PIE one among them symbolizes
   * an address of a process already gone (its addresses are its link-time ones), as bpftrace does.
   */
  executables?(): readonly string[];
  /**
   * config `cpp_demangle` (on by default, as in bpftrace): the C++ name of an Itanium-ABI user
   * symbol (`_ZN2ns1K2goEi` -> `ns::K::go(int)`), undefined when it is not one; absent: names as they are.
   */
  demangle?(name: string): string | undefined;
  /**
   * config `show_debug_info` (off by default, as in a bpftrace without blazesym): ustack frames of
   * binaries with DWARF debug information carry `@file:line`, and inlined calls their own frames.
   */
  showDebugInfo?(): boolean;
  /** The name probe id `id` stands for (CompiledScript.probeNames; src/contract/types.ts PROBE_ID_KEY). */
  probeName?(id: number): string | undefined;
}

/** Decodes `rich` values; one per session (it caches processes' mappings and user names). */
export class RichValues {
  private readonly processes = new Map<number, Mapping[] | null>();
  private users: Map<string, string> | undefined;
  /** CLOCK_REALTIME - CLOCK_BOOTTIME, computed at the first time value (not on the start-up path). */
  private wallMinusBoot: bigint | undefined;

  constructor(private readonly ctx: RichContext) {}

  /**
   * The end of a run is about to decode `script`'s maps (`readsMaps`: to print them, or for the
   * API's final maps): read what their values need now, while the probes detach (Session.finish).
   * Today that is the kernel symbol table, for maps holding kernel stacks or symbols.
   */
  prepare(script: Pick<CompiledScript, 'maps'>, readsMaps: boolean): void {
    if (readsMaps && script.maps.some((m) => m.spec !== undefined && holdsRich(m.spec, KERNEL_SYMBOL_KINDS))) kernelSymbols();
  }

  /** Snapshot a process's mappings now (the kernel said it saw the pid for the first time). */
  notePid(pid: number): void {
    if (this.processes.get(pid)) return;
    const maps = readMappings(pid);
    this.processes.set(pid, maps ?? null);
    // Load the ELF symbols while the files are surely there.
    if (maps) for (const m of maps) elfSymbols(m.path, pid);
  }

  decode = (buf: Buffer, offset: number, type: RichType): Value => {
    switch (type.of) {
      case 'username':
        return { kind: 'str', value: this.username(buf.readBigUInt64LE(offset)) };
      case 'ksym':
        return { kind: 'str', value: this.ksym(buf.readBigUInt64LE(offset), false) };
      case 'usym': {
        const addr = buf.readBigUInt64LE(offset);
        return { kind: 'str', value: this.usym(Number(buf.readBigUInt64LE(offset + 8)), addr, false, false) };
      }
      case 'kstack':
      case 'ustack': {
        const [modeText, limitText] = (type.arg ?? 'bpftrace,127').split(',');
        const mode = (modeText ?? 'bpftrace') as StackMode;
        const limit = Number(limitText ?? 127);
        const id = buf.readBigInt64LE(offset);
        const pid = type.of === 'ustack' ? Number(buf.readBigUInt64LE(offset + 8)) : 0;
        const addrs = id < 0n ? [] : (this.ctx.readStack(type.of === 'kstack' ? '.kstack' : '.ustack', Number(id)) ?? []).slice(0, limit);
        // One address may print as several frames: the calls inlined at it (show_debug_info).
        const frames = addrs.flatMap((a) => {
          if (mode === 'raw') return [a.toString(16)];
          const syms = type.of === 'kstack' ? [this.ksym(a, true)] : this.ustackFrames(pid, a, mode === 'perf');
          return mode === 'perf' ? syms.map((sym) => `\t${a.toString(16)} ${sym}`) : syms;
        });
        return mode === 'bpftrace' ? { kind: 'stack', frames } : { kind: 'stack', frames, mode };
      }
      case 'timestamp':
        return { kind: 'str', value: this.timestamp(buf.readBigUInt64LE(offset), type.arg ?? '%H:%M:%S') };
      case 'inet':
        return { kind: 'str', value: inetText(Number(buf.readBigUInt64LE(offset)), buf.subarray(offset + 8, offset + 24)) };
      case 'macaddr': {
        const parts: string[] = [];
        for (let i = 0; i < 6; i++) parts.push(buf[offset + i]!.toString(16).toUpperCase().padStart(2, '0'));
        return { kind: 'str', value: parts.join(':') };
      }
      case 'buffer': {
        // arg 'len': a u32 byte count, then the bytes (buf() with a length known only at run time).
        if (type.arg !== 'len') return { kind: 'buffer', bytes: Uint8Array.from(buf.subarray(offset, offset + type.size)) };
        const n = Math.min(buf.readUInt32LE(offset), type.size - 4);
        return { kind: 'buffer', bytes: Uint8Array.from(buf.subarray(offset + 4, offset + 4 + n)) };
      }
      case 'cgroup_path':
        return { kind: 'str', value: cgroupPath(buf.readBigUInt64LE(offset), type.arg ?? '*') };
      case 'probe': {
        const id = buf.readBigUInt64LE(offset);
        return { kind: 'str', value: this.ctx.probeName?.(Number(id)) ?? `probe#${id}` };
      }
      default:
        return { kind: 'int', value: buf.readBigUInt64LE(offset) };
    }
  };

  ksym(addr: bigint, withOffset: boolean): string {
    const s = kernelSymbols().find(addr);
    if (!s) return hexAddr(addr);
    return withOffset ? `${s.name}+${s.offset}` : s.name;
  }

  /** A user address as usym() prints it (never with debug information, as in bpftrace). */
  usym(pid: number, addr: bigint, withOffset: boolean, perf: boolean): string {
    const s = this.userSymbol(pid, addr);
    if (!s) return hexAddr(addr) + (perf ? ' ([unknown])' : '');
    return (withOffset ? `${s.name}+${s.offset}` : s.name) + (perf ? ` (${s.path})` : '');
  }

  /**
   * A ustack address as its frames: `name+offset`, and with show_debug_info, bpftrace's
   * (blazesym's) form when the binary has debug information: the calls inlined at the address
   * first, innermost first (`[inlined] name@file:line`), then the function with the line of the
   * address or of its outermost inlined call (`name+offset@file:line`). In perf mode the inlined
   * calls print as `name (inlined)` and no line is added.
   */
  ustackFrames(pid: number, addr: bigint, perf: boolean): string[] {
    const s = this.userSymbol(pid, addr);
    if (!s) return [hexAddr(addr) + (perf ? ' ([unknown])' : '')];
    const symbol = `${s.name}+${s.offset}`;
    const debug = this.ctx.showDebugInfo?.() ? debugFrames(s.path, pid)?.frames(s.vaddr) : undefined;
    if (perf) {
      const inlined = (debug ?? []).slice(0, -1).map((f) => `${this.userName(f.name ?? '??')} (inlined)`);
      return [...inlined, `${symbol} (${s.path})`];
    }
    if (!debug || debug.length === 0) return [symbol];
    const at = (f: (typeof debug)[number]): string => (f.location ? `@${f.location.file}:${f.location.line}` : '');
    const inlined = debug.slice(0, -1).map((f) => `[inlined] ${this.userName(f.name ?? '??')}${at(f)}`);
    return [...inlined, symbol + at(debug[debug.length - 1]!)];
  }

  /** The symbol holding a user address of `pid`: through its mappings, or in a probed non-PIE executable once it is gone. */
  private userSymbol(pid: number, addr: bigint): UserSymbol | undefined {
    if (!this.processes.has(pid)) this.notePid(pid);
    const maps = this.processes.get(pid);
    const m = maps?.find((x) => addr >= x.start && addr < x.end);
    const elf = m ? elfSymbols(m.path, pid) : undefined;
    if (m && elf) {
      const fileOff = addr - m.start + m.offset;
      const seg = elf.segments.find((sg) => sg.type === PT_LOAD && fileOff >= sg.offset && fileOff < sg.offset + sg.filesz);
      const vaddr = seg ? fileOff - seg.offset + seg.vaddr : fileOff;
      const s = elf.table.find(vaddr);
      if (s) return { name: this.userName(s.name), offset: s.offset, path: m.path, vaddr };
    }
    return m ? undefined : this.fixedAddressSymbol(addr, pid);
  }

  /** A user symbol's name as printed: demangled when it is a C++ one and cpp_demangle is on. */
  private userName(name: string): string {
    return name.startsWith('_Z') ? (this.ctx.demangle?.(name) ?? name) : name;
  }

  /**
   * An address no mapping of the process explains (it has exited): looked up in the probed
   * executables that are non-PIE (ET_EXEC), whose code sits at its link-time addresses.
   */
  private fixedAddressSymbol(addr: bigint, pid: number): UserSymbol | undefined {
    for (const path of this.ctx.executables?.() ?? []) {
      const elf = elfSymbols(path, pid);
      if (!elf?.fixed) continue;
      if (!elf.segments.some((sg) => sg.type === PT_LOAD && addr >= sg.vaddr && addr < sg.vaddr + sg.memsz)) continue;
      const s = elf.table.find(addr);
      if (s) return { name: this.userName(s.name), offset: s.offset, path, vaddr: addr };
    }
    return undefined;
  }

  username(uid: bigint): string {
    if (!this.users) {
      this.users = new Map();
      try {
        for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
          const f = line.split(':');
          if (f.length >= 3 && !this.users.has(f[2]!)) this.users.set(f[2]!, f[0]!);
        }
      } catch {
        // Unknown users print as empty strings, as in bpftrace.
      }
    }
    return this.users.get(uid.toString()) ?? '';
  }

  /** strftime of a boot-clock timestamp, with bpftrace's `%f` (µs), `%l` (ms) and `%k` (ns) extensions. */
  timestamp(bootNs: bigint, format: string): string {
    const wall = bootNs + (this.wallMinusBoot ??= wallMinusBootNs());
    const ms = Number(wall / 1_000_000n);
    const subNs = wall % 1_000_000_000n;
    const fmt = format
      .replace(/%k/g, subNs.toString().padStart(9, '0'))
      .replace(/%l/g, (subNs / 1_000_000n).toString().padStart(3, '0'));
    return strftime(fmt, new Date(ms), Number(subNs / 1000n));
  }
}

/** CLOCK_REALTIME - CLOCK_BOOTTIME in ns: Node's hrtime is CLOCK_MONOTONIC; boot = monotonic + time suspended. */
function wallMinusBootNs(): bigint {
  const wallMinusMono = wallMinusMonoNs();
  const mono = process.hrtime.bigint();
  let suspended = 0n;
  try {
    const uptime = BigInt(Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e3)) * 1_000_000n;
    if (uptime - mono > 1_000_000_000n) suspended = uptime - mono;
  } catch {
    // No /proc/uptime: assume the machine never slept.
  }
  return wallMinusMono - suspended;
}

/** The cgroup hierarchies mounted: cgroup2 ones named "unified", v1 ones by their directory's name. */
function cgroupRoots(): { name: string; root: string; v2: boolean }[] {
  const out: { name: string; root: string; v2: boolean }[] = [];
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const m = /^(cgroup2?) (\S+)/.exec(line);
      if (!m) continue;
      const root = m[2]!;
      try {
        if (!statSync(root).isDirectory()) continue;
      } catch {
        continue;
      }
      out.push({ name: m[1] === 'cgroup2' ? 'unified' : root.slice(root.lastIndexOf('/') + 1), root, v2: m[1] === 'cgroup2' });
    }
  } catch {
    // No /proc/mounts: no paths.
  }
  return out;
}

const cgroupPathCache = new Map<string, string>();

/** The path of the cgroup directory whose inode is `id` below `root` ("/" for the root itself), or "". */
function cgroupPathIn(id: bigint, root: string): string {
  const key = `${id}:${root}`;
  const cached = cgroupPathCache.get(key);
  if (cached !== undefined) {
    try {
      if (statSync(root + (cached === '/' ? '' : cached), { bigint: true }).ino === id) return cached;
    } catch {
      // Gone: search again.
    }
  }
  const found = ((): string => {
    try {
      if (statSync(root, { bigint: true }).ino === id) return '/';
    } catch {
      return '';
    }
    const stack = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let names: string[];
      try {
        names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      } catch {
        continue;
      }
      for (const n of names) {
        const p = `${dir}/${n}`;
        try {
          if (statSync(p, { bigint: true }).ino === id) return p.slice(root.length);
        } catch {
          continue;
        }
        stack.push(p);
      }
    }
    return '';
  })();
  if (found) cgroupPathCache.set(key, found);
  return found;
}

/** bpftrace's resolve_cgroup_path: `name:path` for every hierarchy (filtered by a wildcard) holding the cgroup, cgroup2 first, joined by ",". */
export function cgroupPath(id: bigint, filter: string): string {
  const re = new RegExp('^' + filter.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  const roots = cgroupRoots().filter((r) => re.test(r.name));
  const v1 = roots.filter((r) => !r.v2).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: string[] = [];
  for (const r of [...roots.filter((x) => x.v2), ...v1]) {
    const p = cgroupPathIn(id, r.root);
    if (p) parts.push(`${r.name}:${p}`);
  }
  return parts.join(',');
}

/** inet_ntop for AF_INET (2) and AF_INET6 (10). */
export function inetText(family: number, addr: Uint8Array): string {
  if (family === 2) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (family !== 10) return '';
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((addr[i]! << 8) | addr[i + 1]!);
  // IPv4-mapped and IPv4-compatible forms, as glibc prints them.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}
