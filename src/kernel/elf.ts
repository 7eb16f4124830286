import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The one ELF64 (little-endian) reader. For user-space probes and symbols: function symbols from
 * `.symtab` and `.dynsym`, virtual address → file offset through the PT_LOAD segments, and the
 * `.note.stapsdt` USDT notes of executables, read from a file with positional reads of only the
 * headers and sections needed. For code generation (src/codegen/link.ts): the sections, symbols
 * and relocations of the BPF object LLVM emits, read from memory.
 */

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
export const SHT_REL = 9;
const SHT_DYNSYM = 11;
const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const SHF_EXECINSTR = 4n;
const STT_GNU_IFUNC = 10;
const PT_LOAD = 1;
/** sizeof(Elf64_Sym) */
const SYM_SIZE = 24;

export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
}

export interface ElfSymbol {
  readonly name: string;
  /** Virtual address (st_value). */
  readonly addr: bigint;
  readonly size: number;
}

/** One USDT probe from `.note.stapsdt`. */
export interface UsdtNote {
  readonly provider: string;
  readonly name: string;
  /** Probe address (virtual), adjusted for prelink through `.stapsdt.base`. */
  readonly pc: bigint;
  /** Semaphore address (virtual), 0 when the probe has none. */
  readonly semaphore: bigint;
  /** Argument operands, e.g. `-4@%edi 8@-16(%rbp) 4@$5`. */
  readonly args: string;
}

/** One entry of a symbol table, as stored. */
export interface ElfSymbolEntry {
  readonly name: string;
  /** STT_* */
  readonly type: number;
  /** Index of the section it is defined in (0: undefined). */
  readonly shndx: number;
  /** st_value: a virtual address, or an offset into its section in a relocatable object. */
  readonly value: bigint;
  readonly size: number;
}

/** One Elf64_Rel entry. */
export interface ElfRelocation {
  /** Byte offset in the section the relocation applies to. */
  readonly offset: number;
  /** Index into the symbol table. */
  readonly sym: number;
  readonly type: number;
}

export class ElfError extends Error {}

export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
  private funcs: ElfSymbol[] | undefined;

  private constructor(
    /** The file's path, or a name for an object in memory (in error messages). */
    readonly path: string,
    private readonly fd: number | undefined,
    readonly fileSize: number,
    private readonly memory?: Buffer,
  ) {
    const h = this.read(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${path} is not an ELF file`);
    if (h[4] !== 2 || h[5] !== 1) throw new ElfError(`${path}: only 64-bit little-endian ELF files are supported`);
    this.type = h.readUInt16LE(16);
    this.machine = h.readUInt16LE(18);
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58);
    let shnum = h.readUInt16LE(60);
    let shstrndx = h.readUInt16LE(62);

    const segments: ElfSegment[] = [];
    if (phnum > 0 && phoff > 0) {
      const ph = this.read(phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        segments.push({
          type: ph.readUInt32LE(o),
          flags: ph.readUInt32LE(o + 4),
          offset: ph.readBigUInt64LE(o + 8),
          vaddr: ph.readBigUInt64LE(o + 16),
          filesz: ph.readBigUInt64LE(o + 32),
          memsz: ph.readBigUInt64LE(o + 40),
        });
      }
    }
    this.segments = segments;

    const sections: ElfSection[] = [];
    if (shoff > 0) {
      if (shnum === 0) shnum = Number(this.read(shoff + 32, 8).readBigUInt64LE(0)); // extended count in sh_size of [0]
      if (shstrndx === 0xffff) shstrndx = this.read(shoff + 40, 4).readUInt32LE(0);
      const sh = this.read(shoff, shentsize * shnum);
      const raw = [];
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        raw.push({
          index: i,
          nameOff: sh.readUInt32LE(o),
          type: sh.readUInt32LE(o + 4),
          flags: sh.readBigUInt64LE(o + 8),
          addr: sh.readBigUInt64LE(o + 16),
          offset: Number(sh.readBigUInt64LE(o + 24)),
          size: Number(sh.readBigUInt64LE(o + 32)),
          link: sh.readUInt32LE(o + 40),
          info: sh.readUInt32LE(o + 44),
          entsize: Number(sh.readBigUInt64LE(o + 56)),
        });
      }
      const strtab = raw[shstrndx];
      const names = strtab ? this.read(strtab.offset, strtab.size) : Buffer.alloc(0);
      for (const s of raw) sections.push({ ...s, name: cString(names, s.nameOff) });
    }
    this.sections = sections;
  }

  /** Opens and parses the headers; throws ElfError for non-ELF files, Node errors for unreadable ones. */
  static open(path: string): ElfFile {
    const fd = openSync(path, 'r');
    try {
      return new ElfFile(path, fd, fstatSync(fd).size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Parses an ELF image held in memory (the object LLVM emits); `name` is for error messages. */
  static fromBuffer(image: Buffer, name = 'ELF object'): ElfFile {
    return new ElfFile(name, undefined, image.length, image);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }

  /** `length` bytes at `offset`: a view of the image for an ELF in memory, a fresh buffer for a file. */
  private read(offset: number, length: number): Buffer {
    if (offset + length > this.fileSize) throw new ElfError(`${this.path}: truncated ELF file`);
    if (this.memory) return this.memory.subarray(offset, offset + length);
    const fd = this.fd!;
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) throw new ElfError(`${this.path}: truncated ELF file`);
      done += n;
    }
    return buf;
  }

  /**
   * The symbol tables with their string tables: `.symtab` first, then `.dynsym` (so a stripped
   * binary still has its dynamic symbols). Each symbol is an Elf64_Sym of SYM_SIZE bytes.
   */
  private *symbolTables(): Generator<{ readonly symbols: Buffer; readonly names: Buffer }> {
    for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
      for (const s of this.sections) {
        if (s.type !== type || s.entsize !== SYM_SIZE || s.size === 0) continue;
        const strs = this.sections[s.link];
        if (!strs) continue;
        yield { symbols: this.read(s.offset, s.size), names: this.read(strs.offset, strs.size) };
      }
    }
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A section's contents (a view into the image for an ELF in memory: copy before changing it). */
  sectionBytes(s: ElfSection, start = 0, size = s.size - start): Buffer {
    return this.read(s.offset + start, size);
  }

  /** Every entry of `.symtab`, in table order (relocations refer to them by index). */
  symbolEntries(): ElfSymbolEntry[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    const strs = symtab && this.sections[symtab.link];
    if (!symtab || !strs) return [];
    const symbols = this.read(symtab.offset, symtab.size);
    const names = this.read(strs.offset, strs.size);
    const out: ElfSymbolEntry[] = [];
    for (let o = 0; o + SYM_SIZE <= symbols.length; o += SYM_SIZE) {
      out.push({
        name: cString(names, symbols.readUInt32LE(o)),
        type: symbols[o + 4]! & 0xf,
        shndx: symbols.readUInt16LE(o + 6),
        value: symbols.readBigUInt64LE(o + 8),
        size: Number(symbols.readBigUInt64LE(o + 16)),
      });
    }
    return out;
  }

  /** The SHT_REL relocations, by the index of the section they apply to. */
  relocations(): Map<number, ElfRelocation[]> {
    const out = new Map<number, ElfRelocation[]>();
    for (const s of this.sections) {
      if (s.type !== SHT_REL) continue;
      const data = this.read(s.offset, s.size);
      const list: ElfRelocation[] = [];
      for (let o = 0; o + 16 <= data.length; o += 16) {
        const info = data.readBigUInt64LE(o + 8);
        list.push({ offset: Number(data.readBigUInt64LE(o)), sym: Number(info >> 32n), type: Number(info & 0xffffffffn) });
      }
      out.set(s.info, list);
    }
    return out;
  }

  /**
   * Defined function symbols (FUNC and IFUNC with an address) from `.symtab` and `.dynsym`, one per
   * name (the first seen: `.symtab` wins), versions (`@@GLIBC_2.2.5`) stripped.
   */
  functions(): readonly ElfSymbol[] {
    if (this.funcs) return this.funcs;
    const byName = new Map<string, ElfSymbol>();
    for (const { symbols, names } of this.symbolTables()) {
      for (let o = 0; o + SYM_SIZE <= symbols.length; o += SYM_SIZE) {
        const info = symbols[o + 4]!;
        const stType = info & 0xf;
        if (stType !== STT_FUNC && stType !== STT_GNU_IFUNC) continue;
        const shndx = symbols.readUInt16LE(o + 6);
        const addr = symbols.readBigUInt64LE(o + 8);
        if (shndx === 0 || addr === 0n) continue;
        let name = cString(names, symbols.readUInt32LE(o));
        const at = name.indexOf('@');
        if (at > 0) name = name.slice(0, at);
        if (!name || byName.has(name)) continue;
        byName.set(name, { name, addr, size: Number(symbols.readBigUInt64LE(o + 16)) });
      }
    }
    this.funcs = [...byName.values()];
    return this.funcs;
  }

  findFunction(name: string): ElfSymbol | undefined {
    return this.functions().find((f) => f.name === name);
  }

  /** The function whose [addr, addr + size) holds `vaddr` (what `usym` / `func` name for an address). */
  functionAt(vaddr: bigint): ElfSymbol | undefined {
    return this.functions().find((f) => vaddr >= f.addr && (vaddr < f.addr + BigInt(f.size) || (f.size === 0 && vaddr === f.addr)));
  }

  /** A data symbol (OBJECT, e.g. a global variable) by name, from `.symtab` or `.dynsym`. */
  findObject(name: string): ElfSymbol | undefined {
    for (const { symbols, names } of this.symbolTables()) {
      for (let o = 0; o + SYM_SIZE <= symbols.length; o += SYM_SIZE) {
        if ((symbols[o + 4]! & 0xf) !== STT_OBJECT || symbols.readUInt16LE(o + 6) === 0) continue;
        if (cString(names, symbols.readUInt32LE(o)) !== name) continue;
        return { name, addr: symbols.readBigUInt64LE(o + 8), size: Number(symbols.readBigUInt64LE(o + 16)) };
      }
    }
    return undefined;
  }

  /** File offset of a virtual address, through the PT_LOAD segment that maps it. */
  fileOffset(vaddr: bigint): bigint | undefined {
    for (const s of this.segments) {
      if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
    }
    return undefined;
  }

  /** File offset of a virtual address through the section that holds it (for `.probes` semaphores, which may be NOBITS-free data). */
  sectionFileOffset(vaddr: bigint): bigint | undefined {
    for (const s of this.sections) {
      if (s.addr !== 0n && vaddr >= s.addr && vaddr < s.addr + BigInt(s.size)) return vaddr - s.addr + BigInt(s.offset);
    }
    return this.fileOffset(vaddr);
  }

  /** USDT probes from `.note.stapsdt` (owner `stapsdt`, type 3). */
  usdtNotes(): UsdtNote[] {
    const out: UsdtNote[] = [];
    const base = this.section('.stapsdt.base');
    for (const s of this.sections) {
      if (s.type !== SHT_NOTE || s.name !== '.note.stapsdt') continue;
      const data = this.read(s.offset, s.size);
      let o = 0;
      while (o + 12 <= data.length) {
        const namesz = data.readUInt32LE(o);
        const descsz = data.readUInt32LE(o + 4);
        const type = data.readUInt32LE(o + 8);
        const nameOff = o + 12;
        const descOff = nameOff + align4(namesz);
        o = descOff + align4(descsz);
        if (type !== 3 || cString(data, nameOff) !== 'stapsdt' || descsz < 24) continue;
        let pc = data.readBigUInt64LE(descOff);
        const noteBase = data.readBigUInt64LE(descOff + 8);
        const semaphore = data.readBigUInt64LE(descOff + 16);
        if (base && noteBase !== 0n) pc += base.addr - noteBase;
        const strings = data.subarray(descOff + 24, descOff + descsz);
        const provider = cString(strings, 0);
        const name = cString(strings, provider.length + 1);
        const args = cString(strings, provider.length + name.length + 2);
        out.push({ provider, name, pc, semaphore, args });
      }
    }
    return out;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function cString(buf: Buffer, offset: number): string {
  if (offset >= buf.length) return '';
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

/** Is this file an ELF executable or shared object? (bpftrace accepts ET_EXEC with exec permission and ET_DYN.) */
export function elfType(path: string): number | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const h = Buffer.alloc(18);
      if (readSync(fd, h, 0, 18, 0) < 18 || h.readUInt32BE(0) !== 0x7f454c46) return undefined;
      return h.readUInt16LE(16);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
