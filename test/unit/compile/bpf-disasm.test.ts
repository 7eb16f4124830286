/**
 * The BPF disassembler (-d bpf) on instructions built by hand with the encoding from
 * include/uapi/linux/bpf.h, and on a program the compiler emitted (it decodes every instruction).
 */
import test from 'ava';
import { disassemble } from '../../../src/codegen/bpf-disasm.js';

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

test('each instruction class in bpftool notation', (t) => {
  const prog = Buffer.concat([
    insn(0xb7, 1, 0, 0, 5), // BPF_ALU64 | BPF_MOV | BPF_K
    insn(0xbf, 6, 1, 0, 0), // BPF_ALU64 | BPF_MOV | BPF_X
    insn(0x07, 2, 0, 0, -8), // BPF_ALU64 | BPF_ADD | BPF_K
    insn(0xb4, 2, 0, 0, 0), // BPF_ALU | BPF_MOV | BPF_K (32-bit)
    insn(0x18, 1, 1, 0, 3), insn(0x00, 0, 0, 0, 0), // ld_imm64 of map 3 (src_reg BPF_PSEUDO_MAP_FD)
    insn(0x79, 0, 1, 16, 0), // BPF_LDX | BPF_MEM | BPF_DW
    insn(0x63, 10, 2, -4, 0), // BPF_STX | BPF_MEM | BPF_W
    insn(0xdb, 1, 2, 0, 0), // BPF_STX | BPF_ATOMIC | BPF_DW, BPF_ADD
    insn(0x85, 0, 0, 0, 1), // BPF_JMP | BPF_CALL, helper 1
    insn(0x55, 0, 0, 2, 0), // BPF_JMP | BPF_JNE | BPF_K
    insn(0x95, 0, 0, 0, 0), // BPF_EXIT
  ]);
  t.deepEqual(disassemble(prog), [
    '   0: (b7) r1 = 5',
    '   1: (bf) r6 = r1',
    '   2: (07) r2 += -8',
    '   3: (b4) w2 = 0',
    '   4: (18) r1 = map[id:3]',
    '   6: (79) r0 = *(u64 *)(r1 +16)',
    '   7: (63) *(u32 *)(r10 -4) = r2',
    '   8: (db) lock *(u64 *)(r1 +0) += r2',
    '   9: (85) call #1',
    '  10: (55) if r0 != 0x0 goto pc+2',
    '  11: (95) exit',
  ]);
});

test('a 64-bit immediate spans two slots', (t) => {
  const lines = disassemble(Buffer.concat([insn(0x18, 1, 0, 0, 0), insn(0, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)]));
  t.deepEqual(lines, ['   0: (18) r1 = 0x100000000', '   2: (95) exit']);
});
