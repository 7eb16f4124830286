/**
 * The compile worker's start-up snapshot entry (node --build-snapshot, run by scripts/dev/bundle.ts
 * on a CommonJS bundle of this file; never run otherwise). The snapshot holds the compiler loaded
 * and its parsers built (chevrotain's self-analysis is most of a cold parse), so a worker started
 * from it (`node --snapshot-blob BLOB dist/bundle/compile-worker.js PARENT`, runtime/compile/compiler.ts)
 * skips loading ~1 MB of JavaScript and building the grammar.
 *
 * Only what depends on nothing outside the JavaScript may be done here: the snapshot is taken on the
 * build machine, once. The kernel, the environment, the native addons (llvm-bindings, tsbpf_llvm,
 * tsbpf_proc) and the worker's own location are read when the worker runs: no module of the compiler
 * reads them at load (native/ finds its directory at the first call), and the bundle makes every
 * `import.meta.url` throw until `setBundleLocation` below has run, so a build that broke that rule
 * fails instead of baking the build's facts in.
 */
import { startupSnapshot } from 'node:v8';
import { pathToFileURL } from 'node:url';
import * as compiler from './compile.js';
import { parse } from './syntax/index.js';
import { dieWithParent } from './compile-worker-parent.js';
import { serveOneRequest } from './compile-worker-serve.js';
import { preloadLlvmAddons } from './codegen/llvm-addons.js';

declare global {
  /** The URL `import.meta.url` resolves against in the snapshot's bundle (scripts/dev/bundle.ts). */
  var __tsbpfBundleUrl: string | undefined;
}

/** Scripts parsed while the snapshot is built: the parsers (with and without error recovery) and the AST builder are ready. */
const WARM_UP = [
  'tracepoint:syscalls:sys_enter_openat /pid > 1/ { @[comm, str(args.filename)] = count(); $x = (uint64)1 + 2; printf("%d %s\\n", pid, comm); } BEGIN { exit(); }',
  'BEGIN { @x = ; }',
];

if (!startupSnapshot.isBuildingSnapshot()) throw new Error('src/compile-worker-snapshot.ts only builds the start-up snapshot (node --build-snapshot)');
for (const text of WARM_UP) parse({ name: 'warm-up', text });

startupSnapshot.setDeserializeMainFunction(() => {
  // argv[1] is the bundle's dist/bundle/compile-worker.js, as when node runs the file.
  globalThis.__tsbpfBundleUrl = pathToFileURL(process.argv[1]!).href;
  dieWithParent();
  preloadLlvmAddons();
  serveOneRequest(Promise.resolve(compiler));
});
