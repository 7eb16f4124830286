/**
 * The native addons code generation loads: llvm-bindings' (src/codegen/bpf-builder.ts, at the
 * first BpfBuilder) and tsbpf_llvm (src/codegen/emit.ts). Both map libLLVM-14, whose load is
 * ~15 ms of a cold compile: the compile worker starts loading them on another thread as its first
 * act (`preloadLlvmAddons`), so that the load runs beside reading the request and the front end
 * instead of after them. Loading nothing here; node still loads and initialises each addon where
 * it is required, and then finds the library mapped (or waits for what is left of its loading).
 */
import { createRequire } from 'node:module';
import { loadProc } from '../../native/proc.js';
import { nativeFile } from '../../native/search-dirs.js';

/** llvm-bindings' addon, required by its path (src/codegen/bpf-builder.ts says why). */
export const LLVM_BINDINGS_ADDON = 'llvm-bindings/build/Release/llvm-bindings.node';

/** The addons' files that exist, in the order code generation loads them. */
function llvmAddonPaths(): string[] {
  const paths: string[] = [];
  try {
    paths.push(createRequire(import.meta.url).resolve(LLVM_BINDINGS_ADDON));
  } catch {
    // Not at that path (a debug build): bpf-builder falls back to the package's lookup, unhurried.
  }
  const own = nativeFile('tsbpf_llvm.node');
  if (own !== undefined) paths.push(own);
  return paths;
}

/**
 * Start loading the addons on another thread (tsbpf_proc.node); without it, or on any failure, they
 * load when required, as before. One thread for both: while one dlopen runs, glibc holds up every
 * other thread's pthread_create (a second preload thread, started after resolving llvm-bindings'
 * path, stalled the main thread for the whole load of libLLVM).
 */
export function preloadLlvmAddons(): void {
  try {
    loadProc().preloadLibraries(llvmAddonPaths());
  } catch {
    // An older tsbpf_proc.node (no preloadLibraries) or none: nothing is lost but the overlap.
  }
}
