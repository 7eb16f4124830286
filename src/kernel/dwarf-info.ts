/**
 * DWARF `.debug_info` (versions 2 to 5, as gcc and clang emit it): each compile unit's code ranges
 * and the tree of its functions, lexical blocks and inlined calls (DW_TAG_inlined_subroutine with
 * their call sites), for stack frames with `show_debug_info` (src/kernel/dwarf-frames.ts). Only
 * what that needs is kept: scopes with their address ranges, function names, the unit's line
 * table offset and compilation directory.
 */
import { DwarfError, Reader, debugSection } from './dwarf-lines.js';
import type { ElfFile } from './elf.js';

/** Addresses `[low, high)`. */
export type AddressRange = readonly [bigint, bigint];

/** A function (DW_TAG_subprogram), an inlined call or a lexical block, with the scopes inside it. */
export interface Scope {
  readonly tag: number;
  /** Offset of its entry in `.debug_info` (what DW_AT_abstract_origin refers to). */
  readonly offset: number;
  readonly ranges: readonly AddressRange[];
  readonly children: Scope[];
  /** An inlined call's call site: an index into the unit's line table files, and the line. */
  readonly callFile?: number;
  readonly callLine?: number;
}

export interface CompileUnit {
  readonly version: number;
  readonly compDir?: string;
  /** DW_AT_stmt_list: the unit's line table, as an offset into `.debug_line`. */
  readonly stmtList?: number;
  readonly ranges: readonly AddressRange[];
  /** Its functions with code, and the scopes in them. */
  readonly scopes: readonly Scope[];
}

/** What names a function entry: its own name, or the entry it refers to (abstract origin, declaration). */
interface NameEntry {
  readonly name?: string;
  readonly linkageName?: string;
  readonly ref?: number;
}

export interface DebugInfo {
  readonly units: readonly CompileUnit[];
  /** Function entries by `.debug_info` offset. */
  readonly names: ReadonlyMap<number, NameEntry>;
}

export const TAG = { compileUnit: 0x11, partialUnit: 0x3c, subprogram: 0x2e, inlinedSubroutine: 0x1d, lexicalBlock: 0x0b } as const;

const AT = {
  name: 0x03, stmtList: 0x10, lowPc: 0x11, highPc: 0x12, compDir: 0x1b, abstractOrigin: 0x31, specification: 0x47,
  ranges: 0x55, callFile: 0x58, callLine: 0x59, linkageName: 0x6e, mipsLinkageName: 0x2007,
  strOffsetsBase: 0x72, addrBase: 0x73, rnglistsBase: 0x74,
} as const;

const FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, refAddr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, refUdata: 0x15, indirect: 0x16, secOffset: 0x17, exprloc: 0x18,
  flagPresent: 0x19, strx: 0x1a, addrx: 0x1b, refSup4: 0x1c, strpSup: 0x1d, data16: 0x1e, lineStrp: 0x1f,
  refSig8: 0x20, implicitConst: 0x21, loclistx: 0x22, rnglistx: 0x23, refSup8: 0x24, strx1: 0x25, strx2: 0x26,
  strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  gnuAddrIndex: 0x1f01, gnuStrIndex: 0x1f02, gnuRefAlt: 0x1f20, gnuStrpAlt: 0x1f21,
} as const;

/** An attribute's value as read; indexes into `.debug_str_offsets`, `.debug_addr` and `.debug_rnglists` are resolved once the unit's bases are known. */
type Value =
  | { readonly k: 'num'; readonly v: bigint }
  | { readonly k: 'addr'; readonly v: bigint }
  | { readonly k: 'addrx'; readonly v: number }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'strx'; readonly v: number }
  | { readonly k: 'ref'; readonly v: number }
  | { readonly k: 'rnglistx'; readonly v: number }
  | { readonly k: 'none' };

interface AttrSpec {
  readonly at: number;
  readonly form: number;
  readonly implicit?: bigint;
}

interface Abbrev {
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly attrs: readonly AttrSpec[];
}

/** The sections `.debug_info` is read with (the unit tests build them by hand). */
export interface DebugSections {
  readonly info: Buffer;
  readonly abbrev: Buffer;
  readonly str?: Buffer;
  readonly lineStr?: Buffer;
  readonly strOffsets?: Buffer;
  readonly addr?: Buffer;
  readonly ranges?: Buffer;
  readonly rnglists?: Buffer;
}

/** One unit's header facts that reading its values needs. */
interface UnitContext {
  readonly offset: number;
  readonly version: number;
  readonly addressSize: number;
  readonly offsetSize: number;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  baseAddress: bigint;
}

function cstrAt(buf: Buffer | undefined, offset: number, section: string): string {
  if (!buf || offset >= buf.length) throw new DwarfError(`a string offset points outside ${section}`);
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 ? buf.length : end);
}

function readAbbrevs(buf: Buffer, offset: number): Map<number, Abbrev> {
  const r = new Reader(buf);
  r.pos = offset;
  const out = new Map<number, Abbrev>();
  for (;;) {
    const code = Number(r.uleb());
    if (code === 0) return out;
    const tag = Number(r.uleb());
    const hasChildren = r.u8() !== 0;
    const attrs: AttrSpec[] = [];
    for (;;) {
      const at = Number(r.uleb());
      const form = Number(r.uleb());
      if (at === 0 && form === 0) break;
      attrs.push(form === FORM.implicitConst ? { at, form, implicit: r.sleb() } : { at, form });
    }
    out.set(code, { tag, hasChildren, attrs });
  }
}

/** Skips a block whose length was just read (`r.pos += r.u8()` would add it to the position before the read). */
function skip(r: Reader, length: number): Value {
  r.pos += length;
  return { k: 'none' };
}

function readValue(r: Reader, spec: AttrSpec, form: number, u: UnitContext, s: DebugSections): Value {
  switch (form) {
    case FORM.addr: return { k: 'addr', v: r.uint(u.addressSize) };
    case FORM.addrx: case FORM.gnuAddrIndex: return { k: 'addrx', v: Number(r.uleb()) };
    case FORM.addrx1: return { k: 'addrx', v: r.u8() };
    case FORM.addrx2: return { k: 'addrx', v: r.u16() };
    case FORM.addrx3: return { k: 'addrx', v: Number(r.uint(3)) };
    case FORM.addrx4: return { k: 'addrx', v: r.u32() };
    case FORM.data1: case FORM.flag: return { k: 'num', v: BigInt(r.u8()) };
    case FORM.data2: return { k: 'num', v: BigInt(r.u16()) };
    case FORM.data4: return { k: 'num', v: BigInt(r.u32()) };
    case FORM.data8: return { k: 'num', v: r.u64() };
    case FORM.udata: return { k: 'num', v: r.uleb() };
    case FORM.sdata: return { k: 'num', v: r.sleb() };
    case FORM.implicitConst: return { k: 'num', v: spec.implicit ?? 0n };
    case FORM.flagPresent: return { k: 'num', v: 1n };
    case FORM.secOffset: return { k: 'num', v: r.uint(u.offsetSize) };
    case FORM.loclistx: return { k: 'num', v: r.uleb() };
    case FORM.rnglistx: return { k: 'rnglistx', v: Number(r.uleb()) };
    case FORM.string: return { k: 'str', v: r.cstr() };
    case FORM.strp: return { k: 'str', v: cstrAt(s.str, Number(r.uint(u.offsetSize)), '.debug_str') };
    case FORM.lineStrp: return { k: 'str', v: cstrAt(s.lineStr, Number(r.uint(u.offsetSize)), '.debug_line_str') };
    case FORM.strx: case FORM.gnuStrIndex: return { k: 'strx', v: Number(r.uleb()) };
    case FORM.strx1: return { k: 'strx', v: r.u8() };
    case FORM.strx2: return { k: 'strx', v: r.u16() };
    case FORM.strx3: return { k: 'strx', v: Number(r.uint(3)) };
    case FORM.strx4: return { k: 'strx', v: r.u32() };
    case FORM.ref1: return { k: 'ref', v: u.offset + r.u8() };
    case FORM.ref2: return { k: 'ref', v: u.offset + r.u16() };
    case FORM.ref4: return { k: 'ref', v: u.offset + r.u32() };
    case FORM.ref8: return { k: 'ref', v: u.offset + Number(r.u64()) };
    case FORM.refUdata: return { k: 'ref', v: u.offset + Number(r.uleb()) };
    case FORM.refAddr: return { k: 'ref', v: Number(r.uint(u.version <= 2 ? u.addressSize : u.offsetSize)) };
    case FORM.exprloc: case FORM.block: return skip(r, Number(r.uleb()));
    case FORM.block1: return skip(r, r.u8());
    case FORM.block2: return skip(r, r.u16());
    case FORM.block4: return skip(r, r.u32());
    case FORM.data16: r.pos += 16; return { k: 'none' };
    case FORM.refSig8: case FORM.refSup8: r.pos += 8; return { k: 'none' };
    case FORM.refSup4: r.pos += 4; return { k: 'none' };
    case FORM.strpSup: case FORM.gnuRefAlt: case FORM.gnuStrpAlt: r.pos += u.offsetSize; return { k: 'none' };
    case FORM.indirect: return readValue(r, spec, Number(r.uleb()), u, s);
    default: throw new DwarfError(`unsupported attribute form 0x${form.toString(16)} in .debug_info`);
  }
}

function readOffsetAt(buf: Buffer | undefined, at: number, size: number, section: string): number {
  if (!buf || at + size > buf.length) throw new DwarfError(`an index points outside ${section}`);
  return size === 8 ? Number(buf.readBigUInt64LE(at)) : buf.readUInt32LE(at);
}

function str(v: Value | undefined, u: UnitContext, s: DebugSections): string | undefined {
  if (v?.k === 'str') return v.v;
  if (v?.k === 'strx') return cstrAt(s.str, readOffsetAt(s.strOffsets, u.strOffsetsBase + v.v * u.offsetSize, u.offsetSize, '.debug_str_offsets'), '.debug_str');
  return undefined;
}

function addr(v: Value | undefined, u: UnitContext, s: DebugSections): bigint | undefined {
  if (v?.k === 'addr') return v.v;
  if (v?.k === 'addrx') {
    const at = u.addrBase + v.v * u.addressSize;
    if (!s.addr || at + u.addressSize > s.addr.length) throw new DwarfError('an index points outside .debug_addr');
    const r = new Reader(s.addr);
    r.pos = at;
    return r.uint(u.addressSize);
  }
  return undefined;
}

const num = (v: Value | undefined): bigint | undefined => (v?.k === 'num' ? v.v : undefined);

/** DWARF 2-4 `.debug_ranges`: address pairs relative to the unit's base, a base selection entry, a 0,0 end. */
function rangesList(offset: number, u: UnitContext, s: DebugSections): AddressRange[] {
  if (!s.ranges) throw new DwarfError('DW_AT_ranges without a .debug_ranges section');
  const r = new Reader(s.ranges);
  r.pos = offset;
  const max = (1n << BigInt(8 * u.addressSize)) - 1n;
  let base = u.baseAddress;
  const out: AddressRange[] = [];
  for (;;) {
    const lo = r.uint(u.addressSize);
    const hi = r.uint(u.addressSize);
    if (lo === 0n && hi === 0n) return out;
    if (lo === max) base = hi;
    else if (lo < hi) out.push([base + lo, base + hi]);
  }
}

/** DWARF 5 `.debug_rnglists` entries (DW_RLE_*) at `offset`. */
function rngList(offset: number, u: UnitContext, s: DebugSections): AddressRange[] {
  if (!s.rnglists) throw new DwarfError('DW_AT_ranges without a .debug_rnglists section');
  const r = new Reader(s.rnglists);
  r.pos = offset;
  const x = (i: bigint): bigint => addr({ k: 'addrx', v: Number(i) }, u, s)!;
  let base = u.baseAddress;
  const out: AddressRange[] = [];
  const push = (lo: bigint, hi: bigint): void => {
    if (lo < hi) out.push([lo, hi]);
  };
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case 0: return out; // end_of_list
      case 1: base = x(r.uleb()); break; // base_addressx
      case 2: { const lo = x(r.uleb()); push(lo, x(r.uleb())); break; } // startx_endx
      case 3: { const lo = x(r.uleb()); push(lo, lo + r.uleb()); break; } // startx_length
      case 4: { const lo = r.uleb(); push(base + lo, base + r.uleb()); break; } // offset_pair
      case 5: base = r.uint(u.addressSize); break; // base_address
      case 6: { const lo = r.uint(u.addressSize); push(lo, r.uint(u.addressSize)); break; } // start_end
      case 7: { const lo = r.uint(u.addressSize); push(lo, lo + r.uleb()); break; } // start_length
      default: throw new DwarfError(`unknown range list entry kind ${kind}`);
    }
  }
}

/** A scope's or unit's code: low_pc with high_pc (an address or, as a constant, a length), or DW_AT_ranges. */
function rangesOf(attrs: Map<number, Value>, u: UnitContext, s: DebugSections): AddressRange[] {
  const rv = attrs.get(AT.ranges);
  if (rv) {
    if (rv.k === 'rnglistx') return rngList(u.rnglistsBase + readOffsetAt(s.rnglists, u.rnglistsBase + rv.v * u.offsetSize, u.offsetSize, '.debug_rnglists'), u, s);
    const off = num(rv);
    if (off === undefined) return [];
    return u.version >= 5 ? rngList(Number(off), u, s) : rangesList(Number(off), u, s);
  }
  const lo = addr(attrs.get(AT.lowPc), u, s);
  if (lo === undefined) return [];
  const hv = attrs.get(AT.highPc);
  const hi = hv?.k === 'num' ? lo + hv.v : addr(hv, u, s);
  // A function the linker discarded keeps low_pc 0: it covers no code.
  return hi !== undefined && lo !== 0n && lo < hi ? [[lo, hi]] : [];
}

const SCOPE_TAGS: ReadonlySet<number> = new Set([TAG.subprogram, TAG.inlinedSubroutine, TAG.lexicalBlock]);

/** One unit at `r.pos`, with its scopes; function names go to `names`. */
function readUnit(r: Reader, s: DebugSections, abbrevCache: Map<number, Map<number, Abbrev>>, names: Map<number, NameEntry>): CompileUnit | undefined {
  const offset = r.pos;
  const { length, offsetSize } = r.unitLength();
  const end = r.pos + length;
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfError(`unsupported .debug_info version ${version}`);
  let addressSize: number;
  let abbrevOffset: number;
  let unitType = 1; // DW_UT_compile
  if (version >= 5) {
    unitType = r.u8();
    addressSize = r.u8();
    abbrevOffset = Number(r.uint(offsetSize));
    if (unitType === 4 || unitType === 5) r.pos += 8; // skeleton, split_compile: dwo_id
    else if (unitType === 2 || unitType === 6) r.pos += 8 + offsetSize; // type, split_type: signature, type offset
  } else {
    abbrevOffset = Number(r.uint(offsetSize));
    addressSize = r.u8();
  }
  let abbrevs = abbrevCache.get(abbrevOffset);
  if (!abbrevs) abbrevCache.set(abbrevOffset, (abbrevs = readAbbrevs(s.abbrev, abbrevOffset)));
  const u: UnitContext = { offset, version, addressSize, offsetSize, strOffsetsBase: 0, addrBase: 0, rnglistsBase: 0, baseAddress: 0n };
  let unit: { -readonly [K in keyof CompileUnit]: CompileUnit[K] } | undefined;
  const topScopes: Scope[] = [];
  // The scope each open entry is (null: an entry that is none, e.g. a namespace or a class).
  const open: (Scope | null)[] = [];
  while (r.pos < end) {
    const dieOffset = r.pos;
    const code = Number(r.uleb());
    if (code === 0) {
      open.pop();
      if (open.length === 0) break;
      continue;
    }
    const ab = abbrevs.get(code);
    if (!ab) throw new DwarfError(`unknown abbreviation ${code} in .debug_info`);
    const keep = open.length === 0 || SCOPE_TAGS.has(ab.tag);
    const attrs = new Map<number, Value>();
    for (const spec of ab.attrs) {
      const v = readValue(r, spec, spec.form, u, s);
      if (keep) attrs.set(spec.at, v);
    }
    let scope: Scope | null = null;
    if (open.length === 0) {
      // The unit's own entry: its bases first, then what uses them.
      if (ab.tag !== TAG.compileUnit && ab.tag !== TAG.partialUnit) {
        r.pos = end;
        return undefined;
      }
      u.strOffsetsBase = Number(num(attrs.get(AT.strOffsetsBase)) ?? 0n);
      u.addrBase = Number(num(attrs.get(AT.addrBase)) ?? 0n);
      u.rnglistsBase = Number(num(attrs.get(AT.rnglistsBase)) ?? 0n);
      u.baseAddress = addr(attrs.get(AT.lowPc), u, s) ?? 0n;
      const stmt = num(attrs.get(AT.stmtList));
      unit = {
        version,
        compDir: str(attrs.get(AT.compDir), u, s),
        stmtList: stmt === undefined ? undefined : Number(stmt),
        ranges: rangesOf(attrs, u, s),
        scopes: topScopes,
      };
    } else if (keep) {
      if (ab.tag === TAG.subprogram || ab.tag === TAG.inlinedSubroutine) {
        const origin = attrs.get(AT.abstractOrigin) ?? attrs.get(AT.specification);
        names.set(dieOffset, {
          name: str(attrs.get(AT.name), u, s),
          linkageName: str(attrs.get(AT.linkageName) ?? attrs.get(AT.mipsLinkageName), u, s),
          ref: origin?.k === 'ref' ? origin.v : undefined,
        });
      }
      const callFile = num(attrs.get(AT.callFile));
      const callLine = num(attrs.get(AT.callLine));
      scope = {
        tag: ab.tag,
        offset: dieOffset,
        ranges: rangesOf(attrs, u, s),
        children: [],
        ...(callFile !== undefined ? { callFile: Number(callFile) } : {}),
        ...(callLine !== undefined ? { callLine: Number(callLine) } : {}),
      };
      let parent: Scope | null | undefined = null;
      for (let i = open.length - 1; i >= 1 && !parent; i--) parent = open[i];
      (parent ? parent.children : topScopes).push(scope);
    }
    if (ab.hasChildren) open.push(scope);
  }
  r.pos = end;
  if (unit && unitType !== 1 && unitType !== 3) return undefined; // only full and partial units hold code
  return unit;
}

/** Every compile unit of `elf` with its scopes; undefined when it has no `.debug_info`. */
export function debugInfo(elf: ElfFile): DebugInfo | undefined {
  const info = debugSection(elf, '.debug_info');
  const abbrev = debugSection(elf, '.debug_abbrev');
  if (!info || !abbrev) return undefined;
  return parseDebugInfo({
    info,
    abbrev,
    str: debugSection(elf, '.debug_str'),
    lineStr: debugSection(elf, '.debug_line_str'),
    strOffsets: debugSection(elf, '.debug_str_offsets'),
    addr: debugSection(elf, '.debug_addr'),
    ranges: debugSection(elf, '.debug_ranges'),
    rnglists: debugSection(elf, '.debug_rnglists'),
  });
}

/** Every compile unit of the sections with its scopes. */
export function parseDebugInfo(s: DebugSections): DebugInfo {
  const info = s.info;
  const r = new Reader(info);
  const units: CompileUnit[] = [];
  const names = new Map<number, NameEntry>();
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  while (r.pos < info.length) {
    const unit = readUnit(r, s, abbrevCache, names);
    if (unit) units.push(unit);
  }
  return { units, names };
}

/**
 * The name of the function an entry is or refers to: its linkage name (a C++ one, to demangle)
 * or its name, following abstract origins and declarations.
 */
export function functionName(info: DebugInfo, offset: number): string | undefined {
  let at: number | undefined = offset;
  let name: string | undefined;
  for (let depth = 0; at !== undefined && depth < 8; depth++) {
    const e = info.names.get(at);
    if (!e) break;
    if (e.linkageName) return e.linkageName;
    name ??= e.name;
    at = e.ref;
  }
  return name;
}
