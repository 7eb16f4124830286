/**
 * The entry of tsbpf's start-up snapshot (dist/bundle/cli.snapshot). scripts/dev/bundle.ts bundles
 * it as one CommonJS file and runs `node --build-snapshot` on it; bin/tsbpf then starts tsbpf as
 * `node --snapshot-blob dist/bundle/cli.snapshot -- BUNDLE_DIR ARGS...`, and node deserializes the
 * blob's heap instead of reading, parsing and compiling the bundle's ~470 KB of JavaScript.
 *
 * Nothing of tsbpf runs while the snapshot is built: the blob holds the bundle's code, each module
 * still evaluated on first use in the run (esbuild's lazy initialisers), so no module-level value
 * can come from the build's environment (process.env, the terminal, the working directory, the time).
 * Only node's own modules are loaded here.
 */
import { startupSnapshot } from 'node:v8';
// No node built-in is loaded into the blob ahead of use: node:crypto there cost as much at start-up
// (a bigger heap to deserialize and checksum, +2 ms) as loading it in the run (~1.8 ms, measured),
// and a cache hit no longer loads it (runtime/compile/compile-cache.ts).
// A user-land snapshot's console lacks its Console class (node 20), which node:repl (the shell) needs.
// Kept from the build, when node still has it.
import { Console } from 'node:console';
const NodeConsole: unknown = Console;

if (!startupSnapshot.isBuildingSnapshot()) {
  process.stderr.write('tsbpf: this file is the start-up snapshot entry (node --build-snapshot); run bin/tsbpf\n');
  process.exit(1);
}

startupSnapshot.setDeserializeMainFunction(() => {
  const nodeConsole = process.getBuiltinModule('node:console') as { Console?: unknown };
  if (typeof nodeConsole.Console !== 'function') nodeConsole.Console = NodeConsole;
  const [bundleDir = '', ...args] = process.argv.slice(1);
  void import('./snapshot-run.js').then(({ runFromSnapshot }) => runFromSnapshot(bundleDir, args));
});
