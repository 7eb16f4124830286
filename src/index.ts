/**
 * What the runtime (runtime/) may use of the compiler side besides src/contract: diagnostics
 * rendering, tracefs, the ELF reader and its DWARF frames, the providers' attach code, the probe lister and the shell's front end.
 * test/unit/output/imports.test.ts holds runtime/ to src/contract and this file.
 *
 * Every module this file loads eagerly is small and loads nothing heavy: a cache-hit start-up
 * imports it. The parser, the passes, every provider and LLVM load only through the async
 * functions below (or in the compile worker, src/compile-worker.ts).
 */
export { renderDiagnostic, renderDiagnostics } from './common/render.js';
export { kernelHasKprobes, TRACEFS_PATHS, tracefsRoot } from './kernel/tracefs.js';
export { ElfFile } from './kernel/elf.js';
export type { DebugFrames, SourceFrame } from './kernel/dwarf-frames.js';
export { AttachError, type Attachment, type KernelOps, type ProviderCompletion } from './providers/provider.js';
// Each probe type's attach code, loaded on demand by the provider names a script uses.
export { loadedProvider, loadProviders } from './providers/loaders.js';
export type { CompileOptions } from './compile.js';
export type { ListOptions } from './providers/listing.js';
export type { EntryAnalysis, HighlightSpan, StatementsAnalysis } from './interactive.js';

/** `tsbpf -l`: the probes matching `search` (loads every provider, so only -l pays for it). */
export async function listProbes(search: string, opts: import('./providers/listing.js').ListOptions = {}): Promise<string[]> {
  return (await import('./providers/listing.js')).listProbes(search, opts);
}

/** The DWARF reader of stack frames' source lines and inlined calls (config show_debug_info): loaded only by scripts that turn it on. */
export function loadDebugFrames(): Promise<typeof import('./kernel/dwarf-frames.js')> {
  return import('./kernel/dwarf-frames.js');
}

/** The shell's front end (entry analysis, completion data): loads the parser and every provider. */
export function loadInteractive(): Promise<typeof import('./interactive.js')> {
  return import('./interactive.js');
}
