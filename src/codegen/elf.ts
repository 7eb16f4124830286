/**
 * Reads the program sections out of the BPF ELF object LLVM emits. Maps are referenced by
 * `ld_imm64` pseudo instructions, so a well-formed object has no relocations; one that has them
 * refers to something the loader cannot place (a global), and is rejected.
 */
export function readElfSections(elf: Buffer): Map<string, Buffer> {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF object');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: elf.readUInt32LE(at),
      type: elf.readUInt32LE(at + 4),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
    };
  };
  const strtab = header(shstrndx);
  const nameAt = (off: number) => {
    const start = strtab.offset + off;
    return elf.toString('latin1', start, elf.indexOf(0, start));
  };
  const sections = new Map<string, Buffer>();
  const SHT_PROGBITS = 1;
  const SHT_REL = 9;
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    const name = nameAt(h.name);
    if (h.type === SHT_REL && name.startsWith('.rel.text')) {
      throw new Error(`the BPF object has relocations in ${name}: the program refers to a global the loader cannot place`);
    }
    if (h.type === SHT_PROGBITS) sections.set(name, Buffer.from(elf.subarray(h.offset, h.offset + h.size)));
  }
  return sections;
}
