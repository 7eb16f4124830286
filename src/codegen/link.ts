/**
 * Reads the BPF ELF object LLVM emits and links each program section into one instruction stream.
 *
 * Maps are referenced by `ld_imm64` pseudo instructions (src_reg BPF_PSEUDO_MAP_FD, imm = map id)
 * and carry no relocation. The only relocations a well-formed object has are references to
 * functions in `.text`: callbacks whose address is passed to a helper (`ld_imm64 rX, cb` with
 * R_BPF_64_64) and BPF-to-BPF calls (`call cb` with R_BPF_64_32). Like libbpf, the linker appends
 * each referenced function once after the program's own instructions and rewrites the reference to
 * be pc-relative: `ld_imm64` gets src_reg BPF_PSEUDO_FUNC, `call` gets src_reg BPF_PSEUDO_CALL, and
 * imm = (function start - instruction index - 1). A call of an undefined function is a kfunc: it
 * gets src_reg BPF_PSEUDO_KFUNC_CALL and imm = the function's vmlinux BTF id; an `ld_imm64` of an
 * undefined variable is a ksym: src_reg BPF_PSEUDO_BTF_ID, imm = the variable's BTF id. Any other relocation (a global variable) is
 * rejected. Loading such a program needs BTF func_info for every subprogram: `subprogs` lists their
 * start instructions.
 */
import { kernelBtfFuncs } from '../kernel/btf-funcs.js';
import { ElfFile, SHF_EXECINSTR, SHT_PROGBITS, STT_FUNC, STT_SECTION, type ElfRelocation, type ElfSection, type ElfSymbolEntry } from '../kernel/elf.js';

export interface LinkedProgram {
  /** Raw `struct bpf_insn` bytes. */
  readonly insns: Buffer;
  /** Instruction index of each appended subprogram (callback), in order; empty without any. */
  readonly subprogs: readonly number[];
}

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;
const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_FUNC = 4;
const BPF_PSEUDO_KFUNC_CALL = 2;
const BPF_PSEUDO_BTF_ID = 3;
const INSN = 8;

/** The object's sections, symbols and relocations (read by src/kernel/elf.ts). */
class BpfObject {
  readonly elf: ElfFile;
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbolEntry[];
  /** Section index → relocations applying to it. */
  readonly rels: Map<number, ElfRelocation[]>;

  constructor(image: Buffer) {
    this.elf = ElfFile.fromBuffer(image, 'the BPF object');
    this.sections = this.elf.sections;
    this.symbols = this.elf.symbolEntries();
    this.rels = this.elf.relocations();
  }

  /** A copy of a section's bytes (the linker rewrites instructions in place). */
  bytes(s: ElfSection, start = 0, size = s.size - start): Buffer {
    return Buffer.from(this.elf.sectionBytes(s, start, size));
  }

  /** The function of code section `shndx` that starts at byte `offset`: its size. */
  functionAt(shndx: number, offset: number): { start: number; size: number } {
    const key = `${shndx}:${offset}`;
    const known = this.functions.get(key);
    if (known) return known;
    const found = this.findFunction(shndx, offset);
    this.functions.set(key, found);
    return found;
  }

  /** functionAt's answers: a program calls the shared error subprogram from each checked helper call. */
  private readonly functions = new Map<string, { start: number; size: number }>();

  private findFunction(shndx: number, offset: number): { start: number; size: number } {
    const funcs = this.symbols.filter((f) => f.type === STT_FUNC && f.shndx === shndx);
    const exact = funcs.find((f) => Number(f.value) === offset && f.size > 0);
    if (exact) return { start: offset, size: exact.size };
    // No sized symbol: the function runs to the next function start or the end of the section.
    const section = this.sections[shndx]!;
    const next = funcs.map((f) => Number(f.value)).filter((v) => v > offset).sort((a, b) => a - b)[0] ?? section.size;
    return { start: offset, size: next - offset };
  }
}

/** Links the program in each of `sectionNames` with the callbacks it references. */
export function linkPrograms(elf: Buffer, sectionNames: Iterable<string>): Map<string, LinkedProgram> {
  const obj = new BpfObject(elf);
  const out = new Map<string, LinkedProgram>();
  for (const name of sectionNames) {
    const section = obj.sections.find((s) => s.name === name && s.type === SHT_PROGBITS);
    if (!section) continue;
    out.set(name, linkOne(obj, section));
  }
  return out;
}

function linkOne(obj: BpfObject, main: ElfSection): LinkedProgram {
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
    // A call LLVM resolved itself (a function in the same section: the shared helper-error
    // subprogram called from a callback) has no relocation, only a pc-relative imm that is right
    // for the section's layout, not for ours: re-point it at the placed function.
    const relocated = new Set((obj.rels.get(piece.shndx) ?? []).map((r) => r.offset));
    for (let at = 0; at < piece.code.length; at += INSN) {
      if (piece.code[at] !== BPF_CALL || piece.code[at + 1]! >> 4 !== BPF_PSEUDO_CALL || relocated.has(piece.start + at)) continue;
      const targetOffset = piece.start + at + (piece.code.readInt32LE(at + 4) + 1) * INSN;
      const fn = obj.functionAt(piece.shndx, targetOffset);
      const isMainItself = piece.shndx === main.index && targetOffset === 0;
      const start = isMainItself ? 0 : place(piece.shndx, fn.start, fn.size);
      if (!isMainItself && !subprogs.includes(start)) subprogs.push(start);
      piece.code.writeInt32LE(start - (piece.base + at / INSN) - 1, at + 4);
    }
    for (const rel of obj.rels.get(piece.shndx) ?? []) {
      if (rel.offset < piece.start || rel.offset >= piece.start + piece.size) continue;
      const at = rel.offset - piece.start;
      const code = piece.code[at]!;
      const sym = obj.symbols[rel.sym];
      const where = `${obj.sections[piece.shndx]!.name}+${rel.offset}`;
      if (!sym) throw new Error(`BPF object: relocation at ${where} names unknown symbol ${rel.sym}`);
      if (sym.shndx === 0 && code === BPF_CALL && rel.type === R_BPF_64_32) {
        // A kfunc (IR `kfunc`): call by its vmlinux BTF id (off 0: vmlinux, no module BTF fd).
        const id = kernelBtfFuncs()?.funcId(sym.name);
        if (id === undefined) throw new Error(`the kernel has no function ${sym.name} in its BTF`);
        piece.code[at + 1] = (piece.code[at + 1]! & 0x0f) | (BPF_PSEUDO_KFUNC_CALL << 4);
        piece.code.writeInt16LE(0, at + 2);
        piece.code.writeInt32LE(id, at + 4);
        continue;
      }
      if (sym.shndx === 0 && code === BPF_LD_IMM64 && rel.type === R_BPF_64_64) {
        // A ksym (IR `ksym`): the kernel variable's vmlinux BTF id; the second half's imm (a module BTF fd) is 0.
        const id = kernelBtfFuncs()?.varId(sym.name);
        if (id === undefined) throw new Error(`the kernel has no variable ${sym.name} in its BTF`);
        piece.code[at + 1] = (piece.code[at + 1]! & 0x0f) | (BPF_PSEUDO_BTF_ID << 4);
        piece.code.writeInt32LE(id, at + 4);
        piece.code.writeInt32LE(0, at + 12);
        continue;
      }
      const target = obj.sections[sym.shndx];
      const isCode = target !== undefined && (target.flags & SHF_EXECINSTR) !== 0n && (sym.type === STT_FUNC || sym.type === STT_SECTION);
      if (!isCode) {
        throw new Error(`the BPF object has a relocation at ${where} against ${sym.name || 'a section'}: the program refers to a global the loader cannot place`);
      }
      const imm = piece.code.readInt32LE(at + 4);
      let targetOffset: number;
      let srcReg: number;
      if (code === BPF_LD_IMM64 && rel.type === R_BPF_64_64) {
        targetOffset = Number(sym.value) + imm;
        srcReg = BPF_PSEUDO_FUNC;
      } else if (code === BPF_CALL && rel.type === R_BPF_64_32) {
        targetOffset = Number(sym.value) + (imm + 1) * INSN;
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
