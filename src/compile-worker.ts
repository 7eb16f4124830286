/**
 * The compile worker: a short-lived process that runs the whole compiler (parser, passes,
 * llvm-bindings, LLVM) so the tracing process never loads LLVM, stays small, and survives an
 * LLVM crash. Protocol (src/contract/worker.ts, served by src/compile-worker-serve.ts): one JSON
 * request on stdin ending in a newline, one JSON reply on stdout. argv[2] is the parent's pid.
 *
 * This is the entry node runs as a file; the bundle's start-up snapshot
 * (src/compile-worker-snapshot.ts) is the same worker with the compiler already loaded.
 *
 * Nothing is imported statically but the prctl loader, the LLVM addons' preload and the protocol: ESM links every static
 * import before running any code, and the compiler's module graph takes tens of ms to load.
 */
import { preloadLlvmAddons } from './codegen/llvm-addons.js';
import { dieWithParent } from './compile-worker-parent.js';
import { serveOneRequest } from './compile-worker-serve.js';
dieWithParent();
preloadLlvmAddons();

// Loaded while the request arrives.
const compiler = import('./compile.js');
compiler.catch(() => undefined);
serveOneRequest(compiler);
