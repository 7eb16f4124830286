import { loadLlvm } from '../../native/index.js';
import type { IrModule } from '../ir/ir.js';
import { linkPrograms } from './link.js';
import { buildModule } from './module.js';

/** tsbpf IR as an LLVM module (llvm-bindings): its IR text, each program's section, the scratch map's needs. */
export type LlvmModule = ReturnType<typeof buildModule>;

export interface EmittedPrograms {
  /** LLVM IR text before optimisation (for --emit llvm). */
  readonly llvmIr: string;
  /** Program name → raw `struct bpf_insn` bytes. */
  readonly programs: Map<string, Buffer>;
  /** Program name → instruction index of each callback subprogram (absent when it has none). */
  readonly subprogs: Map<string, readonly number[]>;
  /** What the scratch map (IrModule.scratchMap) must hold: value size and entries (0 when no program uses it). */
  readonly scratch: { readonly valueSize: number; readonly entries: number };
  /** The BPF ELF object LLVM produced, before linking (`--emit-elf`). */
  readonly elf: Buffer;
}

/** The `codegen` pass: IR → llvm-bindings Module → IR text. */
export function generateLlvm(ir: IrModule): LlvmModule {
  return buildModule(ir);
}

/**
 * The `emit` pass: IR text → (native LLVM: O2 + BPF backend) → ELF → per-program instructions.
 * The one place in src/ that uses native/, because llvm-bindings cannot emit objects.
 */
export function emitObject(mod: LlvmModule): EmittedPrograms {
  const { text, sections, scratch } = mod;
  const elf = loadLlvm().emitBpfObject(text, { sections, cpu: 'v3', optLevel: 2 });
  const bySection = linkPrograms(elf, Object.values(sections));
  const programs = new Map<string, Buffer>();
  const subprogs = new Map<string, readonly number[]>();
  for (const [name, section] of Object.entries(sections)) {
    const linked = bySection.get(section);
    if (!linked) throw new Error(`BPF object lacks section ${section} for ${name}`);
    programs.set(name, linked.insns);
    if (linked.subprogs.length > 0) subprogs.set(name, linked.subprogs);
  }
  return { llvmIr: text, programs, subprogs, scratch, elf };
}

/** `-d codegen-opt`: the LLVM IR after the same O2 pipeline `emitObject` runs (a second, separate LLVM run). */
export function optimizedLlvm(mod: LlvmModule): string {
  return loadLlvm().emitBpfObject(mod.text, { sections: mod.sections, cpu: 'v3', optLevel: 2, output: 'ir' }).toString('utf8');
}

/** Both passes: IR → BPF instructions. */
export function emitPrograms(ir: IrModule): EmittedPrograms {
  return emitObject(generateLlvm(ir));
}
