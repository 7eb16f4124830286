/**
 * DWARF line tables (`.debug_line`, versions 2 to 5): which machine addresses a source line
 * compiled to, for `uprobe:BIN@FILE:LINE[:COL]` (bpftrace's source-location uprobes), and which
 * line an address belongs to, for stack frames with `show_debug_info` (src/kernel/dwarf-frames.ts).
 * Only what those need is read: each unit's file table and its line-number program's rows.
 */
import { isAbsolute, normalize } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { ElfFile } from './elf.js';

/** One row of a line-number program. */
export interface LineRow {
  readonly address: bigint;
  /** The source file's path (its directory joined, as far as the table says). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Rows `[start, end)` of a table cover the addresses from `rows[start].address` up to `endAddress`. */
export interface LineSequence {
  readonly start: number;
  readonly end: number;
  readonly endAddress: bigint;
}

/** One unit's line table: its files and rows (end-of-sequence rows left out, their addresses kept in `sequences`). */
export interface LineTable {
  /** Offset of the unit in `.debug_line` (what a compile unit's DW_AT_stmt_list names). */
  readonly offset: number;
  readonly files: readonly string[];
  readonly rows: readonly LineRow[];
  readonly sequences: readonly LineSequence[];
}

export class DwarfError extends Error {}

/** A little-endian cursor over a DWARF section (shared with src/kernel/dwarf-info.ts). */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number {
    return this.buf.readUInt8(this.pos++);
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A unit's initial length: 32-bit DWARF, or 0xffffffff then a 64-bit length (64-bit DWARF: offsets are 8 bytes). */
  unitLength(): { length: number; offsetSize: 4 | 8 } {
    const length = this.u32();
    return length === 0xffffffff ? { length: Number(this.u64()), offsetSize: 8 } : { length, offsetSize: 4 };
  }
  uint(size: number): bigint {
    let v = 0n;
    for (let i = 0; i < size; i++) v |= BigInt(this.buf[this.pos + i]!) << BigInt(8 * i);
    this.pos += size;
    return v;
  }
  uleb(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return v;
    }
  }
  sleb(): bigint {
    let v = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.u8();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return b & 0x40 ? v - (1n << shift) : v;
  }
  cstr(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new DwarfError('unterminated string in a DWARF section');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

function cstrAt(buf: Buffer | undefined, offset: number): string {
  if (!buf) throw new DwarfError('.debug_line refers to a string section the file does not have');
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 ? buf.length : end);
}

// DW_FORM_* values a DWARF 5 line table header uses.
const FORM = { block: 0x09, data1: 0x0b, data2: 0x05, data4: 0x06, data8: 0x07, data16: 0x1e, string: 0x08, strp: 0x0e, lineStrp: 0x1f, udata: 0x0f, sdata: 0x0d } as const;
const LNCT_PATH = 1;
const LNCT_DIRECTORY_INDEX = 2;

/** The string sections a line table header may point into. */
export interface StringSections {
  readonly str?: Buffer;
  readonly lineStr?: Buffer;
}

/** A DWARF 5 entry list (directories or files): each entry's path and directory index. */
function readEntries(r: Reader, offsetSize: number, strs: StringSections): { path: string; dir: number }[] {
  const formats: [number, number][] = [];
  const formatCount = r.u8();
  for (let i = 0; i < formatCount; i++) formats.push([Number(r.uleb()), Number(r.uleb())]);
  const count = Number(r.uleb());
  const out: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let path = '';
    let dir = 0;
    for (const [content, form] of formats) {
      let value: string | bigint;
      switch (form) {
        case FORM.string: value = r.cstr(); break;
        case FORM.lineStrp: value = cstrAt(strs.lineStr, Number(r.uint(offsetSize))); break;
        case FORM.strp: value = cstrAt(strs.str, Number(r.uint(offsetSize))); break;
        case FORM.udata: value = r.uleb(); break;
        case FORM.sdata: value = r.sleb(); break;
        case FORM.data1: value = BigInt(r.u8()); break;
        case FORM.data2: value = BigInt(r.u16()); break;
        case FORM.data4: value = BigInt(r.u32()); break;
        case FORM.data8: value = r.u64(); break;
        case FORM.data16: r.pos += 16; value = 0n; break;
        case FORM.block: { const n = Number(r.uleb()); r.pos += n; value = 0n; break; }
        default: throw new DwarfError(`unsupported form 0x${form.toString(16)} in a .debug_line header`);
      }
      if (content === LNCT_PATH && typeof value === 'string') path = value;
      if (content === LNCT_DIRECTORY_INDEX && typeof value === 'bigint') dir = Number(value);
    }
    out.push({ path, dir });
  }
  return out;
}

/** `dir/name` as the table spells them (not normalised: addr2line and bpftrace print the path so). */
export const joinDir = (dir: string | undefined, name: string): string => (isAbsolute(name) || !dir ? name : `${dir.endsWith('/') ? dir.slice(0, -1) : dir}/${name}`);

/** One unit at `r.pos`; `r.pos` is left at the next unit. */
function readUnit(r: Reader, strs: StringSections): LineTable {
  const offset = r.pos;
  const { length, offsetSize } = r.unitLength();
  const end = r.pos + length;
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfError(`unsupported .debug_line version ${version}`);
  let addressSize = 8;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLength = Number(r.uint(offsetSize));
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum operations per instruction (VLIW only)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.buf.readInt8(r.pos++);
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const opcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) opcodeLengths.push(r.u8());

  const files: string[] = [];
  if (version >= 5) {
    const dirs = readEntries(r, offsetSize, strs).map((d) => d.path);
    for (const f of readEntries(r, offsetSize, strs)) files.push(joinDir(dirs[f.dir], f.path));
  } else {
    // Directory 0 is the unit's compilation directory, which only .debug_info names: such files stay relative.
    const dirs: string[] = [''];
    for (let d = r.cstr(); d !== ''; d = r.cstr()) dirs.push(d);
    files.push(''); // files count from 1 before DWARF 5
    for (let f = r.cstr(); f !== ''; f = r.cstr()) {
      const dir = Number(r.uleb());
      r.uleb();
      r.uleb();
      files.push(joinDir(dirs[dir], f));
    }
  }

  r.pos = programStart;
  const rows: LineRow[] = [];
  const sequences: LineSequence[] = [];
  let sequenceStart = 0;
  const fresh = () => ({ address: 0n, file: 1, line: 1, column: 0, isStmt: defaultIsStmt });
  let s = fresh();
  const emit = (): void => {
    rows.push({ address: s.address, file: files[s.file] ?? '', line: s.line, column: s.column });
  };
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      s.address += BigInt(Math.floor(adj / lineRange) * minInstLength);
      s.line += lineBase + (adj % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = Number(r.uleb());
        const next = r.pos + len;
        const sub = r.u8();
        if (sub === 1) {
          // end_sequence: its row ends a range, it names no statement.
          if (rows.length > sequenceStart) sequences.push({ start: sequenceStart, end: rows.length, endAddress: s.address });
          sequenceStart = rows.length;
          s = fresh();
        }
        else if (sub === 2) s.address = r.uint(addressSize);
        r.pos = next;
        break;
      }
      case 1: emit(); break;
      case 2: s.address += r.uleb() * BigInt(minInstLength); break;
      case 3: s.line += Number(r.sleb()); break;
      case 4: s.file = Number(r.uleb()); break;
      case 5: s.column = Number(r.uleb()); break;
      case 6: s.isStmt = !s.isStmt; break;
      case 8: s.address += BigInt(Math.floor((255 - opcodeBase) / lineRange) * minInstLength); break;
      case 9: s.address += BigInt(r.u16()); break;
      default:
        // set_basic_block, prologue_end, epilogue_begin take nothing; set_isa and unknown ones their operands.
        for (let i = 0; i < (opcodeLengths[op - 1] ?? 0); i++) r.uleb();
    }
  }
  r.pos = end;
  return { offset, files, rows, sequences };
}

const SHF_COMPRESSED = 0x800n;
const ELFCOMPRESS_ZLIB = 1;
/** sizeof(Elf64_Chdr): ch_type, ch_reserved, ch_size, ch_addralign. */
const CHDR_SIZE = 24;

/** A debug section's bytes (inflated when it is SHF_COMPRESSED with zlib); undefined when `elf` has none. */
export function debugSection(elf: ElfFile, name: string): Buffer | undefined {
  const section = elf.section(name);
  if (!section || section.size === 0) return undefined;
  const raw = elf.sectionBytes(section);
  if (!(section.flags & SHF_COMPRESSED)) return raw;
  if (raw.length < CHDR_SIZE || raw.readUInt32LE(0) !== ELFCOMPRESS_ZLIB) throw new DwarfError(`${name}: only zlib-compressed debug sections are supported`);
  return inflateSync(raw.subarray(CHDR_SIZE));
}

/** Every unit's line table of `elf`; undefined when it has no `.debug_line`. */
export function lineTables(elf: ElfFile): LineTable[] | undefined {
  const section = debugSection(elf, '.debug_line');
  if (!section) return undefined;
  return parseLineTables(section, { str: debugSection(elf, '.debug_str'), lineStr: debugSection(elf, '.debug_line_str') });
}

/** Every unit's line table in a `.debug_line` section's bytes. */
export function parseLineTables(section: Buffer, strs: StringSections): LineTable[] {
  const r = new Reader(section);
  const out: LineTable[] = [];
  while (r.pos < r.buf.length) out.push(readUnit(r, strs));
  return out;
}

/** Whether `path` ends with `suffix` component by component (`src/a.c` ends with `a.c`, not with `.c`). */
export function pathEndsWith(path: string, suffix: string): boolean {
  const p = path.split('/').filter((c) => c !== '' && c !== '.');
  const s = suffix.split('/').filter((c) => c !== '' && c !== '.');
  if (s.length === 0 || s.length > p.length) return false;
  return s.every((c, i) => p[p.length - s.length + i] === c);
}

/**
 * The lowest address `FILE:LINE[:COL]` compiled to, as bpftrace's Dwarf::line_to_addr: the first
 * unit naming a file that ends with `file` (two different such files are ambiguous), then its
 * rows from that file at that line (and column). An error message (bpftrace's) otherwise.
 */
export function lineAddress(tables: readonly LineTable[], file: string, line: number, column: number): bigint | string {
  let unit: LineTable | undefined;
  let source: string | undefined;
  for (const t of tables) {
    for (const f of t.files) {
      if (!pathEndsWith(f, file)) continue;
      if (source === undefined) {
        unit = t;
        source = f;
      } else if (normalize(f) !== normalize(source)) {
        // One file spelled two ways (`/p/./a.c`, `/p/a.c`) is not ambiguous.
        return `Ambiguous source path, matches multiple files: ${source}, ${f}`;
      }
    }
  }
  if (!unit || source === undefined) return `No compilation unit matches ${file}`;
  const want = normalize(source);
  const seen = new Map<string, boolean>();
  const sameFile = (f: string): boolean => {
    let same = seen.get(f);
    if (same === undefined) seen.set(f, (same = normalize(f) === want));
    return same;
  };
  let best: bigint | undefined;
  for (const row of unit.rows) {
    if (row.line === line && sameFile(row.file) && (column === 0 || row.column === column) && (best === undefined || row.address < best)) best = row.address;
  }
  return best ?? `Unable to map '${file}:${line}${column ? `:${column}` : ''}' to address`;
}

/**
 * The row an address belongs to in `table`: within the sequence covering it, the last row at or
 * before it (of several rows at one address, the last, as addr2line takes it). Undefined when no
 * sequence covers the address.
 */
export function rowAt(table: LineTable, address: bigint): LineRow | undefined {
  for (const seq of table.sequences) {
    if (address < table.rows[seq.start]!.address || address >= seq.endAddress) continue;
    let lo = seq.start;
    let hi = seq.end - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (table.rows[mid]!.address <= address) lo = mid;
      else hi = mid - 1;
    }
    return table.rows[lo];
  }
  return undefined;
}
