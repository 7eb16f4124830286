/**
 * A run started from the start-up snapshot (runtime/snapshot-main.ts): what bin/tsbpf.js does, from
 * inside the blob. The blob holds a copy of the bundle; it runs that copy only while the bundle's
 * stamp still matches dist/ (runtime/compile/bundle-stamp.ts, as bin/tsbpf.js decides), else
 * dist/'s own modules, so a bare `npx tsc` never runs yesterday's code from an old blob.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupMark } from './compile/startup-trace.js';
import { freshBundle, restoreEnv, runCli, type CliMain } from './compile/launch.js';
import { startEarlyWorker } from './compile/early-worker.js';

/** Where the bundle's own files are found at run time (scripts/dev/bundle.ts rewrites `import.meta.url` to it). */
export const BUNDLE_URL_KEY = Symbol.for('tsbpf.bundleUrl');
/** The import() of the snapshot's code (scripts/dev/bundle.ts routes the bundle's dynamic imports to it). */
export const IMPORT_KEY = Symbol.for('tsbpf.import');

export function runFromSnapshot(bundleDir: string, args: readonly string[]): void {
  startupMark('node');
  process.title = 'tsbpf';
  restoreEnv();
  const root = join(bundleDir, '..', '..');
  // As bin/tsbpf.js sees it: [node, bin, ...args].
  process.argv.splice(1, 1, join(root, 'bin', 'tsbpf.js'));
  const bundleUrl = pathToFileURL(join(bundleDir, 'cli.js')).href;
  const g = globalThis as unknown as Record<symbol, unknown>;
  g[BUNDLE_URL_KEY] = bundleUrl;
  g[IMPORT_KEY] = (specifier: string): Promise<unknown> => importModule(specifier.startsWith('node:') ? specifier : new URL(specifier, bundleUrl).href);
  // A cold compile's worker starts now, while the CLI loads, as bin/tsbpf.js starts it: before the
  // bundle's freshness check (~2 ms of stats), since the worker is then the longer road.
  const early = startEarlyWorker(args);
  const cli = early.then(() => {
    const fresh = freshBundle(root, join(root, 'dist'), 'cli.js') !== undefined;
    // Which build runs: the snapshot's own copy of the bundle, or dist/ (TSBPF_STARTUP_TRACE shows it).
    startupMark(fresh ? 'run:snapshot' : 'run:snapshot-dist');
    return fresh ? import('./cli.js') : (importModule(pathToFileURL(join(root, 'dist', 'runtime', 'cli.js')).href) as Promise<{ main: CliMain }>);
  });
  void cli.then(({ main }) => runCli(main, args), (e: unknown) => runCli(() => Promise.reject(e), args));
}

/**
 * import() for code compiled into the snapshot, which has no module loader of its own ("A dynamic
 * import callback was not specified"): a function compiled at run time with node's main loader.
 * Node marks that loader option experimental and says so once on stderr; tsbpf's output must not
 * change with the way it started, so that one warning is not printed.
 */
function importModule(url: string): Promise<unknown> {
  if (url.startsWith('node:')) return Promise.resolve(process.getBuiltinModule(url));
  const vm = process.getBuiltinModule('node:vm');
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const load = vm.compileFunction('return import(url)', ['url'], { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }) as (u: string) => Promise<unknown>;
    return load(url);
  } finally {
    process.emitWarning = emitWarning;
  }
}
