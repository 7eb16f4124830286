/**
 * A BPF instruction disassembler (`-d bpf`), in bpftool's `prog dump xlated` notation:
 * `   3: (07) r1 += -8`. Pure: raw `struct bpf_insn` bytes in, text lines out. Map references are
 * the compiler's (`ld_imm64` with src_reg 1: `map[id:N]`, 2: `map[id:N][0]+off`, where N is the
 * script's map id, not the kernel's); helpers print by number (`call #14`).
 */

const ALU_OPS: Readonly<Record<number, string>> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=',
};
const JMP_OPS: Readonly<Record<number, string>> = {
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=',
  0xa0: '<', 0xb0: '<=', 0xc0: 's<', 0xd0: 's<=',
};
const SIZES: Readonly<Record<number, string>> = { 0x00: 'u32', 0x08: 'u16', 0x10: 'u8', 0x18: 'u64' };
const ATOMIC_OPS: Readonly<Record<number, string>> = { 0x00: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };

interface Insn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

function insnAt(buf: Buffer, i: number): Insn {
  const o = i * 8;
  const regs = buf[o + 1]!;
  return { code: buf[o]!, dst: regs & 0x0f, src: regs >> 4, off: buf.readInt16LE(o + 2), imm: buf.readInt32LE(o + 4) };
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** One line per instruction (an `ld_imm64` takes two slots and one line). */
export function disassemble(insns: Buffer): string[] {
  const lines: string[] = [];
  const count = Math.floor(insns.length / 8);
  for (let i = 0; i < count; i++) {
    const insn = insnAt(insns, i);
    let text: string;
    if (insn.code === 0x18 && i + 1 < count) {
      const next = insnAt(insns, i + 1);
      text = ldImm64(insn, next);
      lines.push(`${String(i).padStart(4)}: (${insn.code.toString(16).padStart(2, '0')}) ${text}`);
      i++;
      continue;
    }
    text = one(insn);
    lines.push(`${String(i).padStart(4)}: (${insn.code.toString(16).padStart(2, '0')}) ${text}`);
  }
  return lines;
}

function ldImm64(insn: Insn, next: Insn): string {
  const dst = `r${insn.dst}`;
  if (insn.src === 1) return `${dst} = map[id:${insn.imm}]`;
  if (insn.src === 2) return `${dst} = map[id:${insn.imm}][0]+${next.imm}`;
  const value = (BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
  return `${dst} = 0x${value.toString(16)}`;
}

function one(insn: Insn): string {
  const cls = insn.code & 0x07;
  const op = insn.code & 0xf0;
  const useReg = (insn.code & 0x08) !== 0;
  switch (cls) {
    case 0x04: // ALU (32-bit)
    case 0x07: { // ALU64
      const r = cls === 0x07 ? 'r' : 'w';
      const dst = `${r}${insn.dst}`;
      if (op === 0x80) return `${dst} = -${dst}`;
      if (op === 0xd0) return `${dst} = ${useReg ? 'be' : 'le'}${insn.imm} ${dst}`;
      const sym = ALU_OPS[op];
      if (!sym) return unknown(insn);
      return `${dst} ${sym} ${useReg ? `${r}${insn.src}` : insn.imm}`;
    }
    case 0x05: // JMP
    case 0x06: { // JMP32
      const r = cls === 0x05 ? 'r' : 'w';
      if (op === 0x00) return `goto pc${signed(insn.off)}`;
      if (op === 0x80) {
        if (insn.src === 1) return `call pc${signed(insn.imm)}`;
        if (insn.src === 2) return `call kernel-function#${insn.imm}`;
        return `call #${insn.imm}`;
      }
      if (op === 0x90) return 'exit';
      const sym = JMP_OPS[op];
      if (!sym) return unknown(insn);
      return `if ${r}${insn.dst} ${sym} ${useReg ? `${r}${insn.src}` : hex(insn.imm)} goto pc${signed(insn.off)}`;
    }
    case 0x01: { // LDX
      const size = SIZES[insn.code & 0x18]!;
      return `r${insn.dst} = *(${size} *)(r${insn.src} ${signed(insn.off)})`;
    }
    case 0x02: { // ST
      const size = SIZES[insn.code & 0x18]!;
      return `*(${size} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`;
    }
    case 0x03: { // STX
      const size = SIZES[insn.code & 0x18]!;
      const place = `*(${size} *)(r${insn.dst} ${signed(insn.off)})`;
      if ((insn.code & 0xe0) === 0xc0) {
        const fetch = (insn.imm & 0x01) !== 0;
        const aop = ATOMIC_OPS[insn.imm & 0xf0];
        if (insn.imm === 0xe1) return `r${insn.src} = atomic_xchg(${place}, r${insn.src})`;
        if (insn.imm === 0xf1) return `r0 = atomic_cmpxchg(${place}, r0, r${insn.src})`;
        if (!aop) return unknown(insn);
        return fetch ? `r${insn.src} = atomic_fetch(${place} ${aop} r${insn.src})` : `lock ${place} ${aop} r${insn.src}`;
      }
      return `${place} = r${insn.src}`;
    }
    default:
      return unknown(insn);
  }
}

function unknown(insn: Insn): string {
  return `.insn code=${hex(insn.code)} dst=r${insn.dst} src=r${insn.src} off=${insn.off} imm=${insn.imm}`;
}
