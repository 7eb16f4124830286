import { isAbsolute, relative } from 'node:path';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { demangle, withoutParameters } from '../kernel/demangle.js';
import { DwarfError, lineAddress, lineTables, type LineTable } from '../kernel/dwarf-lines.js';
import { ElfError, ElfFile } from '../kernel/elf.js';
import { findLibrary, mappedPaths, pidExe, resolveBinaryPath } from '../kernel/user-paths.js';
import { AttachType } from '../contract/uapi.js';
import { i64, u64 } from '../types/types.js';
import { parseUint, splitAttachPoint } from './attach-point.js';
import {
  AttachError, attachPerfEvents, globToRegExp, hasWildcard, ProgType, systemWideTarget,
  type Attachment, type ConcreteProbe, type ContextField, type ExpandContext, type KernelOps, type Provider,
} from './provider.js';

/** x86-64 `struct pt_regs` offsets of the argument registers (di, si, dx, cx, r8, r9) and ax. */
export const PT_REGS_ARG_OFFSETS = [112, 104, 96, 88, 72, 64] as const;
export const PT_REGS_AX_OFFSET = 80;

/** A user-space probe target after parsing: the file(s) and what to find in them. */
export interface UserTarget {
  /** The target as written, with `lib*` names resolved (may still hold a glob). */
  readonly target: string;
  /** Absolute paths of the matching files (empty: nothing matched). */
  readonly paths: readonly string[];
}

/** Resolves a uprobe/usdt target as bpftrace does: `*` with -p, `lib*` short forms, PATH, globs. */
export function resolveUserTarget(target: string, ctx: ExpandContext | undefined): UserTarget {
  const pid = ctx?.pid;
  if (target === '*' && pid !== undefined) return { target, paths: mappedPaths(pid) };
  let resolved = target;
  if (!hasWildcard(target) && target.startsWith('lib') && !target.includes('/')) {
    resolved = findLibrary(target.slice(3), pid) ?? target;
  }
  return { target: resolved, paths: resolveBinaryPath(resolved, pid) };
}

/**
 * How a probe names its file: a relative target as the user wrote it (`uprobe:./prog:f` stays
 * `./prog`, a glob `./dir/p*` gives `./dir/prog1`), as bpftrace does; otherwise the absolute path.
 * The probe still attaches to the absolute path.
 */
export function shownPath(target: string, path: string): string {
  if (isAbsolute(target) || !target.includes('/') || path.startsWith('/proc/')) return path;
  const rel = relative(process.cwd(), path);
  return target.startsWith('./') && !rel.startsWith('../') ? `./${rel}` : rel;
}

export const elfCache = new Map<string, ElfFile | ElfError>();

/** The parsed ELF file at `path` (cached for the process: compiles are short-lived). */
export function elfAt(path: string): ElfFile | ElfError {
  let f = elfCache.get(path);
  if (!f) {
    try {
      f = ElfFile.open(path);
    } catch (e) {
      f = e instanceof ElfError ? e : new ElfError(`cannot read ${path}: ${(e as Error).message}`);
    }
    elfCache.set(path, f);
  }
  return f;
}

/** Sorted as bpftrace's std::set<std::string> sorts: by bytes. */
function byteSort(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface ParsedUprobe {
  readonly target: string;
  /** `uprobe:bin:cpp:NAME`: NAME is a demangled C++ name (without parameters), globs allowed. */
  readonly cpp?: boolean;
  readonly func?: string;
  readonly offset: bigint;
  readonly address?: bigint;
  /** `uprobe:BIN@FILE:LINE[:COL]`: the address the line compiled to, from DWARF line tables. */
  readonly source?: { readonly file: string; readonly line: number; readonly column: number };
}

function parseUprobe(name: string, raw: string, ctx: ExpandContext | undefined): ParsedUprobe | string {
  const parts = splitAttachPoint(raw);
  // With -p the target may be left out: `uprobe:func` means the process's executable.
  if (ctx?.pid !== undefined && parts.length === 2) parts.splice(1, 0, pidExe(ctx.pid) ?? '');
  // bpftrace splits on `@` too: uprobe:TARGET@FILE:LINE[:COL].
  const at = parts[1]?.indexOf('@') ?? -1;
  if (at >= 0) {
    if (name === 'uretprobe') return 'Source code location not allowed';
    const target = parts[1]!.slice(0, at);
    if (hasWildcard(target)) return 'Cannot use wildcards with source code location';
    const file = parts[1]!.slice(at + 1);
    const [line, column = '0'] = parts.slice(2);
    if (!target || !file || !line || parts.length > 4) return 'Invalid uprobe arguments, expected format: uprobe:TARGET@FILE:LINE[:COL]';
    if (!/^\d+$/.test(line)) return `Invalid line number: ${line}`;
    if (!/^\d+$/.test(column)) return `Invalid column number: ${column}`;
    return { target, offset: 0n, source: { file, line: Number(line), column: Number(column) } };
  }
  let cpp = false;
  if (parts.length === 4) {
    if (parts[2] === 'cpp' || parts[2] === 'c') cpp = parts.splice(2, 1)[0] === 'cpp';
    else return `unsupported language type: ${parts[2]}`;
  }
  if (parts.length !== 3 || !parts[1] || !parts[2]) return `invalid ${name} "${raw}": expected ${name}:binary:function[+offset] or ${name}:binary:address`;
  const [, target, spec] = parts as [string, string, string];
  const plus = spec.split('+');
  if (plus.length > 2) return 'Cannot take more than one offset';
  if (plus.length === 2) {
    if (name === 'uretprobe') return 'uretprobes can not be attached to a function offset';
    const off = parseUint(plus[1]!);
    if (off === undefined || !plus[0]) return `invalid offset in "${spec}"`;
    return { target, func: plus[0], offset: off, cpp };
  }
  const addr = parseUint(spec);
  if (addr !== undefined) {
    if (hasWildcard(target)) return 'Cannot use wildcards with absolute address';
    return { target, offset: 0n, address: addr };
  }
  return { target, func: spec, offset: 0n, cpp };
}

/** The address `FILE:LINE[:COL]` compiled to in `elf` (its DWARF line tables), or bpftrace's error. */
function sourceAddress(elf: ElfFile, path: string, target: string, src: NonNullable<ParsedUprobe['source']>): bigint | string {
  let tables: LineTable[] | undefined;
  try {
    tables = lineTables(elf);
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    return `cannot read the DWARF line tables of ${path}: ${e.message}`;
  }
  if (!tables) return `No DWARF debug info found for '${target}', cannot attach by source code location.`;
  return lineAddress(tables, src.file, src.line, src.column);
}

/** The `cpp:` name of a symbol: its demangled name without parameters; undefined for a C symbol. */
function cppName(symbol: string): string | undefined {
  const d = demangle(symbol);
  return d === undefined ? undefined : withoutParameters(d);
}

function makeUprobeProvider(name: 'uprobe' | 'uretprobe', alias: string): Provider {
  const isReturn = name === 'uretprobe';
  const registers: ContextField[] = isReturn
    ? [{ name: 'retval', offset: PT_REGS_AX_OFFSET, size: 8, type: i64 }]
    : PT_REGS_ARG_OFFSETS.map((offset, i) => ({ name: `arg${i}`, offset, size: 8, type: u64 }));

  const probe = (path: string, shown: string, label: string, fileOffset: bigint, ctx: ExpandContext | undefined): ConcreteProbe => ({
    provider: name,
    name: `${name}:${shown}:${label}`,
    progType: ProgType.KPROBE,
    attach: { kind: 'uprobe', path, offset: Number(fileOffset), isReturn, pid: ctx?.pid },
    args: undefined,
    registers,
    files: [path],
  });

  return {
    name,
    aliases: [alias],
    pidFilter: 'attach',
    runsNewestFirst: true,
    listing: {
      // bpftrace's user-space list has uprobe, not uretprobe.
      ...(name === 'uprobe' ? { wildcard: 'user' as const } : {}),
      search: 'target',
      // Listed without the offset, and an address as the empty name: `uprobe:/bin/x:`.
      name(p) {
        const parts = p.name.split(':');
        const last = parts[parts.length - 1]!;
        if (/^(0x[0-9a-fA-F]+|\d+)$/.test(last)) return [...parts.slice(0, -1), ''].join(':');
        return [...parts.slice(0, -1), last.replace(/\+.*$/, '')].join(':');
      },
    },
    expand(raw: string, span: Span, diags: Diagnostics, ctx?: ExpandContext): ConcreteProbe[] {
      const parsed = parseUprobe(name, raw, ctx);
      if (typeof parsed === 'string') {
        diags.error('invalid-attach-point', parsed, span);
        return [];
      }
      const { target, paths } = resolveUserTarget(parsed.target, ctx);
      if (paths.length === 0) {
        diags.error('unknown-probe', `${name} target file '${target}' does not exist or is not executable`, span);
        return [];
      }
      // A PATH lookup takes the first match, as a shell would; a glob keeps them all.
      const files = hasWildcard(target) || target === '*' ? paths : [paths[0]!];
      const out: ConcreteProbe[] = [];
      for (const path of files) {
        const elf = elfAt(path);
        if (elf instanceof ElfError) {
          if (files.length === 1) diags.error('bad-probe-target', elf.message, span);
          continue;
        }
        const address = parsed.source ? sourceAddress(elf, path, target, parsed.source) : parsed.address;
        if (typeof address === 'string') {
          diags.error('unknown-probe', address, span);
          return [];
        }
        if (address !== undefined) {
          const off = elf.fileOffset(address);
          if (off === undefined) {
            diags.error('unknown-probe', `address 0x${address.toString(16)} is not in a loaded segment of ${path}`, span);
            continue;
          }
          // `func` names the function holding the address, as bpftrace's usym of the IP does.
          const holder = elf.functionAt(address);
          out.push({ ...probe(path, shownPath(target, path), `0x${address.toString(16)}`, off, ctx), ...(holder ? { func: holder.name } : {}) });
          continue;
        }
        const func = parsed.func!;
        // cpp: names match the demangled symbol without its parameters (bpftrace's `cpp` qualifier).
        const shownName = (sym: string): string => (parsed.cpp ? `cpp:${cppName(sym)}` : sym);
        const matchName = (sym: string): string | undefined => (parsed.cpp ? cppName(sym) : sym);
        const symbols = elf.functions()
          .filter((f) => {
            const n = matchName(f.name);
            return n !== undefined && (hasWildcard(func) ? globToRegExp(func).test(n) : n === func);
          })
          .sort((a, b) => byteSort(a.name, b.name));
        if (symbols.length === 0 && !hasWildcard(func) && files.length === 1) {
          diags.error('unknown-probe', `Could not resolve symbol: ${path}:${func}`, span);
          return [];
        }
        for (const sym of symbols) {
          if (parsed.offset > 0n && sym.size > 0 && parsed.offset >= BigInt(sym.size)) {
            diags.error('invalid-attach-point', `offset ${parsed.offset} is outside ${func} (${sym.size} bytes)`, span);
            continue;
          }
          const off = elf.fileOffset(sym.addr + parsed.offset);
          if (off === undefined) continue;
          out.push(probe(path, shownPath(target, path), parsed.offset ? `${shownName(sym.name)}+${parsed.offset}` : shownName(sym.name), off, ctx));
        }
      }
      if (out.length === 0 && !diags.hasErrors) diags.error('unknown-probe', `no probes match ${raw}`, span);
      return out;
    },
    list(pattern?: string, ctx?: ExpandContext): string[] {
      const parts = pattern ? splitAttachPoint(pattern) : [];
      const target = parts[1] || (ctx?.pid !== undefined ? '*' : '');
      if (!target) return [];
      const { paths } = resolveUserTarget(target, ctx);
      const out: string[] = [];
      for (const path of paths) {
        const elf = elfAt(path);
        if (elf instanceof ElfError) continue;
        const shown = shownPath(target, path);
        const cpp = parts.length === 4 && parts[2] === 'cpp';
        for (const f of elf.functions().map((s) => s.name).sort(byteSort)) {
          const n = cpp ? cppName(f) : f;
          if (n !== undefined) out.push(`${name}:${shown}:${cpp ? `cpp:${n}` : n}`);
        }
      }
      return out;
    },
    attach(p: ConcreteProbe, progFd: number, ops: KernelOps): Attachment {
      if (p.attach.kind !== 'uprobe') throw new Error(`${name} provider given a foreign probe`);
      return attachUprobe(p, progFd, ops);
    },
    mergeForMultiLink(probes: readonly ConcreteProbe[], raw: string): ConcreteProbe[] | undefined {
      const parts = splitAttachPoint(raw);
      // bpftrace uses uprobe_multi for a wildcard in the file or function, and for cpp: names.
      if (!parts.slice(1).some(hasWildcard) && !(parts.length === 4 && parts[2] === 'cpp')) return undefined;
      return mergeUprobes(probes, parts[parts.length - 1]!);
    },
  };
}

/**
 * One probe per file for a wildcard's matches, attached through one uprobe_multi link (its
 * program is loaded for BPF_TRACE_UPROBE_MULTI). It is named by the pattern
 * (`uprobe:/bin/x:read*`), as bpftrace names a multi probe.
 */
function mergeUprobes(probes: readonly ConcreteProbe[], pattern: string): ConcreteProbe[] {
  const byFile = new Map<string, ConcreteProbe[]>();
  for (const p of probes) {
    if (p.attach.kind !== 'uprobe') return [...probes];
    const group = byFile.get(p.attach.path) ?? [];
    group.push(p);
    byFile.set(p.attach.path, group);
  }
  return [...byFile.values()].map((group) => {
    const first = group[0]!;
    const a = first.attach as Extract<ConcreteProbe['attach'], { kind: 'uprobe' }>;
    // `uprobe:SHOWN:label` or `uprobe:SHOWN:cpp:ns::f` (a C label has no `:`).
    const cppAt = first.name.indexOf(':cpp:', first.provider.length);
    const prefix = cppAt >= 0 ? first.name.slice(0, cppAt + 4) : first.name.slice(0, first.name.lastIndexOf(':'));
    return {
      ...first,
      name: `${prefix}:${pattern}`,
      attach: { ...a, multi: group.map((p) => (p.attach as typeof a).offset) },
      load: { expectedAttachType: AttachType.TRACE_UPROBE_MULTI },
    };
  });
}

/** Opens a uprobe PMU event (config bit 0 = return probe, bits 32-63 = semaphore offset) and attaches the program. */
export function attachUprobe(p: ConcreteProbe, progFd: number, ops: KernelOps): Attachment {
  if (p.attach.kind !== 'uprobe') throw new Error('attachUprobe given a foreign probe');
  const a = p.attach;
  const type = ops.pmuType('uprobe');
  if (type === undefined) throw new AttachError(`cannot attach ${p.name}: this kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe)`);
  const config = (BigInt(a.refCtrOffset ?? 0) << 32n) | (a.isReturn ? 1n : 0n);
  // System-wide: pid -1 on one CPU (the program runs for every task); with -p only that process.
  const targets = a.pid !== undefined ? [{ pid: a.pid, cpu: -1 }] : systemWideTarget(ops);
  try {
    if (a.multi) return { fds: [ops.uprobeMultiLink(progFd, a.path, a.multi, { isReturn: a.isReturn, pid: a.pid })] };
    return { fds: attachPerfEvents(ops, { type, config, samplePeriod: 1, uprobePath: a.path, probeOffset: BigInt(a.offset) }, targets, progFd) };
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /ESRCH/.test(msg) ? `process ${a.pid} does not exist` : undefined;
    throw new AttachError(`cannot attach ${p.name}: ${msg}`, hint, e);
  }
}

export const uprobeProvider = makeUprobeProvider('uprobe', 'u');
export const uretprobeProvider = makeUprobeProvider('uretprobe', 'ur');
