/**
 * Reads the BPF ELF object LLVM emits and links each program section into one instruction stream.
 *
 * Maps are referenced by `ld_imm64` pseudo instructions (src_reg BPF_PSEUDO_MAP_FD, imm = map id)
 * and carry no relocation. The only relocations a well-formed object has are references to
 * functions in `.text`: callbacks whose address is passed to a helper (`ld_imm64 rX, cb` with
 * R_BPF_64_64) and BPF-to-BPF calls (`call cb` with R_BPF_64_32). Like libbpf, the linker appends
 * each referenced function once after the program's own instructions and rewrites the reference to
 * be pc-relative: `ld_imm64` gets src_reg BPF_PSEUDO_FUNC, `call` gets src_reg BPF_PSEUDO_CALL, and
 * imm = (function start - instruction index - 1). Any other relocation (a global variable) is
 * rejected. Loading such a program needs BTF func_info for every subprogram: `subprogs` lists their
 * start instructions.
 */

export interface LinkedProgram {
  /** Raw `struct bpf_insn` bytes. */
  readonly insns: Buffer;
  /** Instruction index of each appended subprogram (callback), in order; empty without any. */
  readonly subprogs: readonly number[];
}

interface SectionHeader {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
}

interface ElfSymbol {
  readonly name: string;
  readonly type: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

interface Relocation {
  readonly offset: number;
  readonly sym: number;
  readonly type: number;
}

const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_REL = 9;
const SHF_EXECINSTR = 4n;
const STT_FUNC = 2;
const STT_SECTION = 3;
const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;
const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_FUNC = 4;
const INSN = 8;

class ElfObject {
  readonly sections: SectionHeader[] = [];
  readonly symbols: ElfSymbol[] = [];
  /** Section index → relocations applying to it. */
  readonly rels = new Map<number, Relocation[]>();

  constructor(readonly elf: Buffer) {
    if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF object');
    const shoff = Number(elf.readBigUInt64LE(0x28));
    const shentsize = elf.readUInt16LE(0x3a);
    const shnum = elf.readUInt16LE(0x3c);
    const shstrndx = elf.readUInt16LE(0x3e);
    const raw = (i: number) => {
      const at = shoff + i * shentsize;
      return {
        name: elf.readUInt32LE(at),
        type: elf.readUInt32LE(at + 4),
        flags: elf.readBigUInt64LE(at + 8),
        offset: Number(elf.readBigUInt64LE(at + 0x18)),
        size: Number(elf.readBigUInt64LE(at + 0x20)),
        link: elf.readUInt32LE(at + 0x28),
        info: elf.readUInt32LE(at + 0x2c),
      };
    };
    const strtab = raw(shstrndx);
    const str = (tableOffset: number, off: number) => {
      const start = tableOffset + off;
      return elf.toString('latin1', start, elf.indexOf(0, start));
    };
    for (let i = 0; i < shnum; i++) {
      const h = raw(i);
      this.sections.push({ index: i, ...h, name: i === 0 ? '' : str(strtab.offset, h.name) });
    }
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (symtab) {
      const names = this.sections[symtab.link]!;
      for (let at = symtab.offset; at + 24 <= symtab.offset + symtab.size; at += 24) {
        this.symbols.push({
          name: str(names.offset, elf.readUInt32LE(at)),
          type: elf[at + 4]! & 0xf,
          shndx: elf.readUInt16LE(at + 6),
          value: Number(elf.readBigUInt64LE(at + 8)),
          size: Number(elf.readBigUInt64LE(at + 16)),
        });
      }
    }
    for (const s of this.sections) {
      if (s.type !== SHT_REL) continue;
      const list: Relocation[] = [];
      for (let at = s.offset; at + 16 <= s.offset + s.size; at += 16) {
        const info = elf.readBigUInt64LE(at + 8);
        list.push({ offset: Number(elf.readBigUInt64LE(at)), sym: Number(info >> 32n), type: Number(info & 0xffffffffn) });
      }
      this.rels.set(s.info, list);
    }
  }

  bytes(s: SectionHeader, start = 0, size = s.size - start): Buffer {
    return Buffer.from(this.elf.subarray(s.offset + start, s.offset + start + size));
  }

  /** The function of code section `shndx` that starts at byte `offset`: its size. */
  functionAt(shndx: number, offset: number): { start: number; size: number } {
    const funcs = this.symbols.filter((f) => f.type === STT_FUNC && f.shndx === shndx);
    const exact = funcs.find((f) => f.value === offset && f.size > 0);
    if (exact) return { start: offset, size: exact.size };
    // No sized symbol: the function runs to the next function start or the end of the section.
    const section = this.sections[shndx]!;
    const next = funcs.map((f) => f.value).filter((v) => v > offset).sort((a, b) => a - b)[0] ?? section.size;
    return { start: offset, size: next - offset };
  }
}

/** The program sections of the object (the old interface): section name → bytes, without linking. */
export function readElfSections(elf: Buffer): Map<string, Buffer> {
  const obj = new ElfObject(elf);
  const sections = new Map<string, Buffer>();
  for (const s of obj.sections) if (s.type === SHT_PROGBITS) sections.set(s.name, obj.bytes(s));
  return sections;
}

/** Links the program in each of `sectionNames` with the callbacks it references. */
export function linkPrograms(elf: Buffer, sectionNames: Iterable<string>): Map<string, LinkedProgram> {
  const obj = new ElfObject(elf);
  const out = new Map<string, LinkedProgram>();
  for (const name of sectionNames) {
    const section = obj.sections.find((s) => s.name === name && s.type === SHT_PROGBITS);
    if (!section) continue;
    out.set(name, linkOne(obj, section));
  }
  return out;
}

function linkOne(obj: ElfObject, main: SectionHeader): LinkedProgram {
  const pieces: Buffer[] = [];
  let length = 0; // instructions so far
  const placed = new Map<string, number>(); // "shndx:start" → instruction index
  const subprogs: number[] = [];
  const work: { shndx: number; start: number; size: number; base: number; code: Buffer }[] = [];

  const place = (shndx: number, start: number, size: number): number => {
    const key = `${shndx}:${start}`;
    const known = placed.get(key);
    if (known !== undefined) return known;
    const code = obj.bytes(obj.sections[shndx]!, start, size);
    const base = length;
    placed.set(key, base);
    pieces.push(code);
    length += code.length / INSN;
    work.push({ shndx, start, size, base, code });
    return base;
  };

  place(main.index, 0, main.size);
  for (let w = 0; w < work.length; w++) {
    const piece = work[w]!;
    for (const rel of obj.rels.get(piece.shndx) ?? []) {
      if (rel.offset < piece.start || rel.offset >= piece.start + piece.size) continue;
      const at = rel.offset - piece.start;
      const code = piece.code[at]!;
      const sym = obj.symbols[rel.sym];
      const where = `${obj.sections[piece.shndx]!.name}+${rel.offset}`;
      if (!sym) throw new Error(`BPF object: relocation at ${where} names unknown symbol ${rel.sym}`);
      const target = obj.sections[sym.shndx];
      const isCode = target !== undefined && (target.flags & SHF_EXECINSTR) !== 0n && (sym.type === STT_FUNC || sym.type === STT_SECTION);
      if (!isCode) {
        throw new Error(`the BPF object has a relocation at ${where} against ${sym.name || 'a section'}: the program refers to a global the loader cannot place`);
      }
      const imm = piece.code.readInt32LE(at + 4);
      let targetOffset: number;
      let srcReg: number;
      if (code === BPF_LD_IMM64 && rel.type === R_BPF_64_64) {
        targetOffset = sym.value + imm;
        srcReg = BPF_PSEUDO_FUNC;
      } else if (code === BPF_CALL && rel.type === R_BPF_64_32) {
        targetOffset = sym.value + (imm + 1) * INSN;
        srcReg = BPF_PSEUDO_CALL;
      } else {
        throw new Error(`BPF object: unsupported relocation type ${rel.type} on instruction 0x${code.toString(16)} at ${where}`);
      }
      if (targetOffset % INSN !== 0) throw new Error(`BPF object: misaligned function reference at ${where}`);
      const fn = obj.functionAt(sym.shndx, targetOffset);
      const isMainItself = sym.shndx === main.index && targetOffset === 0;
      const start = isMainItself ? 0 : place(sym.shndx, fn.start, fn.size);
      if (!isMainItself && !subprogs.includes(start)) subprogs.push(start);
      const insnIndex = piece.base + at / INSN;
      piece.code[at + 1] = (piece.code[at + 1]! & 0x0f) | (srcReg << 4);
      piece.code.writeInt32LE(start - insnIndex - 1, at + 4);
    }
  }
  subprogs.sort((a, b) => a - b);
  return { insns: Buffer.concat(pieces), subprogs };
}
