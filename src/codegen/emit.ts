import { loadLlvm } from '../../native/index.js';
import type { IrModule } from '../ir/ir.js';
import { readElfSections } from './elf.js';
import { buildModule } from './module.js';

export interface EmittedPrograms {
  /** LLVM IR text before optimisation (for --emit llvm). */
  readonly llvmIr: string;
  /** Program name → raw `struct bpf_insn` bytes. */
  readonly programs: Map<string, Buffer>;
}

/**
 * IR → llvm-bindings Module → IR text → (native LLVM: O2 + BPF backend) → ELF → per-program
 * instructions. The one place in src/ that uses native/, because llvm-bindings cannot emit objects.
 */
export function emitPrograms(ir: IrModule): EmittedPrograms {
  const { text, sections } = buildModule(ir);
  const elf = loadLlvm().emitBpfObject(text, { sections, cpu: 'v3', optLevel: 2 });
  const bySection = readElfSections(elf);
  const programs = new Map<string, Buffer>();
  for (const [name, section] of Object.entries(sections)) {
    const insns = bySection.get(section);
    if (!insns) throw new Error(`BPF object lacks section ${section} for ${name}`);
    programs.set(name, insns);
  }
  return { llvmIr: text, programs };
}
