/**
 * Source frames of a code address, as `addr2line -f -i` lists them: the innermost inlined
 * function at the address's line, then each caller it was inlined into at its call site, the
 * last one being the function the code belongs to. From the line tables
 * (src/kernel/dwarf-lines.ts) and the scopes of `.debug_info` (src/kernel/dwarf-info.ts); for
 * the runtime's stack frames with `show_debug_info` (runtime/output/rich-values.ts).
 */
import { debugInfo, functionName, TAG, type AddressRange, type CompileUnit, type DebugInfo, type Scope } from './dwarf-info.js';
import { joinDir, lineTables, rowAt, type LineTable } from './dwarf-lines.js';
import type { ElfFile } from './elf.js';

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

export interface SourceFrame {
  /** The function's name from the debug info (a C++ one mangled); undefined when it has none. */
  readonly name?: string;
  /** Where in it: the address's line for the innermost frame, the call site for the others. */
  readonly location?: SourceLocation;
}

const covers = (ranges: readonly AddressRange[], address: bigint): boolean => ranges.some(([lo, hi]) => address >= lo && address < hi);

/** The chain of scopes around `address` below `scopes`, outermost first (lexical blocks included). */
function scopeChain(scopes: readonly Scope[], address: bigint): Scope[] {
  const chain: Scope[] = [];
  let level = scopes;
  for (;;) {
    const next = level.find((s) => covers(s.ranges, address)) ?? descendUncovered(level, address);
    if (!next) return chain;
    chain.push(next);
    level = next.children;
  }
}

/** A scope without ranges of its own (a lexical block gcc left unranged) whose children cover the address. */
function descendUncovered(level: readonly Scope[], address: bigint): Scope | undefined {
  return level.find((s) => s.ranges.length === 0 && s.tag === TAG.lexicalBlock && scopeChain(s.children, address).length > 0);
}

/** An address range of a function (or, without one, of a unit), for the binary search of `ranged`. */
interface Ranged {
  readonly lo: bigint;
  readonly hi: bigint;
  readonly unit: CompileUnit;
  readonly scope?: Scope;
}

const byLow = (a: Ranged, b: Ranged): number => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0);

/** How many ranges before the last one starting at or below an address are tried too (ranges rarely overlap). */
const OVERLAP_SCAN = 16;

/** The entry of `sorted` covering `address`. */
function ranged(sorted: readonly Ranged[], address: bigint): Ranged | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.lo <= address) {
      last = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = last; i >= 0 && i > last - OVERLAP_SCAN; i--) if (address < sorted[i]!.hi) return sorted[i];
  return undefined;
}

/** A binary's debug information for address lookups; read once per binary (the runtime caches it). */
export class DebugFrames {
  private readonly tableAt = new Map<number, LineTable>();
  /** The top-level functions' ranges, and the units', sorted by start. */
  private readonly functions: Ranged[] = [];
  private readonly units: Ranged[] = [];
  /** Addresses looked up before: a stack map repeats them. */
  private readonly memo = new Map<bigint, SourceFrame[]>();

  constructor(
    private readonly tables: readonly LineTable[],
    private readonly info: DebugInfo | undefined,
  ) {
    for (const t of tables) this.tableAt.set(t.offset, t);
    for (const unit of info?.units ?? []) {
      for (const [lo, hi] of unit.ranges) this.units.push({ lo, hi, unit });
      for (const scope of unit.scopes) for (const [lo, hi] of scope.ranges) this.functions.push({ lo, hi, unit, scope });
    }
    this.functions.sort(byLow);
    this.units.sort(byLow);
  }

  /** `elf`'s line tables and scopes; undefined when it has no line tables (no `-g`, or stripped). */
  static load(elf: ElfFile): DebugFrames | undefined {
    const tables = lineTables(elf);
    if (!tables) return undefined;
    return new DebugFrames(tables, debugInfo(elf));
  }

  /** The frames at `address` (an address of the ELF file, not of a process), innermost first; empty when nothing covers it. */
  frames(address: bigint): SourceFrame[] {
    let out = this.memo.get(address);
    if (!out) this.memo.set(address, (out = this.lookup(address)));
    return out;
  }

  private lookup(address: bigint): SourceFrame[] {
    const fn = ranged(this.functions, address);
    const unit = fn?.unit ?? ranged(this.units, address)?.unit;
    const table = unit?.stmtList !== undefined ? this.tableAt.get(unit.stmtList) : this.tables.find((t) => rowAt(t, address) !== undefined);
    const row = table ? rowAt(table, address) : undefined;
    const here = row ? { file: this.path(row.file, unit), line: row.line } : undefined;
    const functions = fn?.scope ? [fn.scope, ...scopeChain(fn.scope.children, address)].filter((s) => s.tag !== TAG.lexicalBlock) : [];
    if (functions.length === 0) return here ? [{ location: here }] : [];
    const info = this.info!;
    const out: SourceFrame[] = [];
    let location = here;
    for (let i = functions.length - 1; i >= 0; i--) {
      const f = functions[i]!;
      const name = functionName(info, f.offset);
      out.push({ ...(name !== undefined ? { name } : {}), ...(location ? { location } : {}) });
      // Its caller's frame is at the call site it was inlined at.
      const file = f.callFile !== undefined && table ? table.files[f.callFile] : undefined;
      location = file !== undefined && f.callLine !== undefined ? { file: this.path(file, unit), line: f.callLine } : undefined;
    }
    return out;
  }

  /** A line table's file name, relative ones (DWARF 4's directory 0) under the unit's compilation directory. */
  private path(file: string, unit: CompileUnit | undefined): string {
    return joinDir(unit?.compDir, file);
  }
}
