/**
 * `npm run build` and scripts/dev/setup.sh, after tsc: bundle dist/'s tracing process (the CLI and
 * runtime) and the compile worker's front end into dist/bundle/, with esbuild. Loading one file
 * instead of ~45 modules (~120 for the worker) is most of what node spends before our first line
 * runs. Lazily imported modules stay lazy (esbuild's code splitting: shared and lazy chunks next to
 * the entries); the native addons, llvm-bindings and chevrotain's minified file are loaded at run
 * time as before.
 *
 * Modules that find files from their own place (`import.meta.url`: the worker, the native addons,
 * the compile cache's build stamp) keep finding them: each such use is rewritten to the URL of the
 * module's dist/ file, computed from the bundle's own URL, so the tree can still be moved as a whole.
 *
 * The bundle is used only while dist/ is the one it was made from (runtime/compile/bundle-stamp.ts): the
 * stamp lists every input with its mtime and size, and is written last.
 *
 * Then the start-up snapshot (runtime/snapshot-main.ts): the CLI bundled once more as one CommonJS
 * file, which `node --build-snapshot` turns into dist/bundle/cli.snapshot, and the identity of the
 * node binary that made it (cli.snapshot.node), which bin/tsbpf compares before using the blob.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, SNAPSHOT_BLOB, SNAPSHOT_NODE, SNAPSHOT_SCRIPT, STAMP_FILE, stampOf } from '../../runtime/compile/bundle-stamp.js';
import { SNAPSHOT_BLOB as WORKER_SNAPSHOT_BLOB, SNAPSHOT_STAMP as WORKER_SNAPSHOT_STAMP, snapshotArgs, snapshotStampOf } from '../../runtime/compile/worker-snapshot.js';

// This file runs from dist/scripts/dev/.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dist = join(root, 'dist');
const outdir = join(dist, BUNDLE_DIR);

/** The entries: bin/tsbpf.js runs cli.js; runtime/compile/compiler.ts spawns compile-worker.js. */
const ENTRIES = { cli: join(dist, 'runtime', 'cli.js'), 'compile-worker': join(dist, 'src', 'compile-worker.js') };

/**
 * The compiler's front end, which the CLI loads lazily for the shell and `-l` only (src/index.ts):
 * left out of the CLI's bundle and loaded from dist/ when used. Inlined, its text (~600 KB with the
 * parser) costs every run more to parse than the bundle saves (measured: 34 ms against 17 ms);
 * esbuild's code splitting instead cuts the CLI into ~80 chunks, ~28 of them loaded on every run.
 * What it shares with the bundle is loaded twice then: plain data and pure functions (the
 * contract, the providers' listing), nothing whose identity the bundle checks.
 */
const CLI_LAZY_FROM_DIST = new Set(['src/interactive.js', 'src/providers/listing.js'].map((f) => join(dist, f)));

const lazyFromDist = {
  name: 'lazy-from-dist',
  setup(build: import('esbuild').PluginBuild): void {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (!CLI_LAZY_FROM_DIST.has(target)) return undefined;
      return { path: `./${toPosix(relative(outdir, target))}`, external: true };
    });
  },
};

type Esbuild = typeof import('esbuild');
let esbuild: Esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // esbuild is a devDependency: an install without it runs the unbundled dist/.
  process.stderr.write('tsbpf bundle: esbuild is not installed; the unbundled dist/ will run\n');
  process.exit(0);
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** `import.meta.url` in a dist/ module -> that module's URL, relative to the bundle's. */
const ownLocation = ownLocationFrom('import.meta.url');

/**
 * The same, from `base`: the bundle's URL as an expression (in the snapshot, which is CommonJS and
 * was built elsewhere, the URL runtime/snapshot-run.ts sets at run time).
 */
function ownLocationFrom(base: string): import('esbuild').Plugin {
  return {
    name: 'own-location',
    setup(build: import('esbuild').PluginBuild): void {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = toPosix(relative(outdir, args.path));
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, ${base}).href`), loader: 'js' };
      });
    },
  };
}

/**
 * grammar/chevrotain.ts loads chevrotain's prebundled file with a top-level await, which inside a
 * bundle makes every module that imports the grammar initialise asynchronously, and esbuild's async
 * initialisers deadlock on an import cycle: in the bundle the prebundled file is imported statically.
 */
const chevrotainStatic = {
  name: 'chevrotain-static',
  setup(build: import('esbuild').PluginBuild): void {
    build.onLoad({ filter: /[\\/]dist[\\/]grammar[\\/]chevrotain\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const dynamic = /const bundleUrl = [^\n]*\n(const chevrotain) = \(?await import\(bundleUrl\)\)?;/;
      if (!dynamic.test(text)) throw new Error(`${args.path}: the chevrotain loader changed; update scripts/dev/bundle.ts`);
      const file = fileURLToPath(new URL('../chevrotain.min.mjs', import.meta.resolve('chevrotain')));
      return { contents: `import * as chevrotainModule from ${JSON.stringify(file)};\n${text.replace(dynamic, '$1 = chevrotainModule;')}`, loader: 'js' };
    });
  },
};

// No stamp while the bundle is being written: a half-written bundle is never run.
rmSync(outdir, { recursive: true, force: true });
const inputs = new Set<string>();
for (const [name, entry] of Object.entries(ENTRIES)) {
  const result = await esbuild.build({
    entryPoints: { [name]: entry },
    outdir,
    bundle: true,
    // The CLI's cold lazy imports become chunks loaded when used: inlined, their text alone (~900 KB
    // with the front end) costs more to parse than the module loads saved. The worker loads nearly
    // all it holds on every run.
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Loaded at run time by a computed name: llvm-bindings (createRequire), the .node addons.
    external: ['llvm-bindings', '*.node'],
    metafile: true,
    logLevel: 'error',
    plugins: name === 'cli' ? [lazyFromDist, chevrotainStatic, ownLocation] : [chevrotainStatic, ownLocation],
    absWorkingDir: root,
  });
  for (const p of Object.keys(result.metafile.inputs)) inputs.add(toPosix(relative(root, resolve(root, p))));
}

/**
 * The compile worker's start-up snapshot (src/compile-worker-snapshot.ts, runtime/compile/worker-snapshot.ts):
 * one CommonJS file of the worker with everything inlined (node --build-snapshot runs a script, not
 * modules), then `node --build-snapshot`. In that file `import.meta.url` is read from the URL the
 * worker sets when it starts from the snapshot; read while the snapshot is built it throws, so no
 * module can bake the build's location (or anything found from it) into the snapshot. No snapshot
 * (an older node, a failed build) is no failure: the worker's file runs then.
 */
const snapshotLocation = {
  name: 'snapshot-location',
  setup(build: import('esbuild').PluginBuild): void {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = toPosix(relative(outdir, args.path));
      return { contents: text.replaceAll('import.meta.url', `__tsbpfModuleUrl(${JSON.stringify(rel)})`), loader: 'js' };
    });
  },
};
const MODULE_URL = `function __tsbpfModuleUrl(rel) {
  if (globalThis.__tsbpfBundleUrl === undefined) throw new Error('import.meta.url read while building the start-up snapshot');
  return new URL(rel, globalThis.__tsbpfBundleUrl).href;
}`;

/**
 * What both start-up snapshots' scripts share: `node --build-snapshot` runs one CommonJS script
 * (requiring only built-ins), so the entry is bundled whole, native addons left to load at run time.
 */
function snapshotScript(entry: string, outfile: string): import('esbuild').BuildOptions & { metafile: true } {
  // Without whitespace and comments: a snapshot keeps its script's text (functions not yet compiled
  // are compiled from it), fewer bytes are fewer to deserialize and checksum at every start, and a
  // few comments esbuild keeps held non-ASCII characters (µ, →), which made V8 keep the whole source
  // two bytes a character (the CLI's blob: 5.3 -> 4.6 MB, ~1.3 ms a start). Names and code are as
  // written (no syntax or identifier minification: stack traces, TSBPF_DEBUG).
  return { entryPoints: [entry], outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, external: ['llvm-bindings', '*.node'], metafile: true, logLevel: 'error', absWorkingDir: root };
}

/**
 * chevrotain's lexer maps each character code past Latin-1 to a class through a 65,536-entry table
 * it fills once (`charCodeToOptimizedIdxMap`, 512 KB of the worker's heap, deserialized at every
 * start: ~1.5 ms). In the worker's snapshot the class is computed instead, by the table's own
 * formula; the rest of chevrotain is untouched. A chevrotain whose text differs keeps its table
 * (the snapshot is only bigger): the bundle says so.
 */
const CHAR_TABLE = /function (\w+)\((\w+)\)\{return \2<(\w+)\?\2:(\w+)\[\2\]\}function (\w+)\(\)\{if\(\w+\(\4\)\)\{\4=new Array\(65536\);for\(let (\w+)=0;\6<65536;\6\+\+\)\4\[\6\]=\6>255\?255\+~~\(\6\/255\):\6\}\}/;
const chevrotainCharClasses = {
  name: 'chevrotain-char-classes',
  setup(build: import('esbuild').PluginBuild): void {
    build.onLoad({ filter: /[\\/]chevrotain[\\/]lib[\\/]chevrotain\.min\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!CHAR_TABLE.test(text)) {
        process.stderr.write(`tsbpf bundle: ${args.path}: chevrotain's character table changed; the worker's snapshot keeps it (update scripts/dev/bundle.ts)\n`);
        return undefined;
      }
      return { contents: text.replace(CHAR_TABLE, 'function $1($2){return $2<$3?$2:255+~~($2/255)}function $5(){}'), loader: 'js' };
    });
  },
};

async function buildWorkerSnapshot(): Promise<string | undefined> {
  const script = join(outdir, 'compile-worker-snapshot.cjs');
  const blob = join(outdir, WORKER_SNAPSHOT_BLOB);
  try {
    const built = await esbuild.build({ ...snapshotScript(join(dist, 'src', 'compile-worker-snapshot.js'), script), banner: { js: MODULE_URL }, plugins: [chevrotainStatic, chevrotainCharClasses, snapshotLocation] });
    for (const p of Object.keys(built.metafile.inputs)) inputs.add(toPosix(relative(root, resolve(root, p))));
  } catch (e) {
    return `cannot bundle its entry: ${(e as Error).message}`;
  }
  try {
    const r = spawnSync(process.execPath, [...snapshotArgs(blob), '--build-snapshot', script], { encoding: 'utf8', cwd: outdir });
    if (r.status !== 0) {
      rmSync(blob, { force: true });
      return `node --build-snapshot failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
    }
    writeFileSync(join(outdir, WORKER_SNAPSHOT_STAMP), JSON.stringify(snapshotStampOf(outdir)));
    return undefined;
  } finally {
    rmSync(script, { force: true });
  }
}

const snapshotProblem = await buildWorkerSnapshot();
if (snapshotProblem) process.stderr.write(`tsbpf bundle: no compile worker snapshot (${snapshotProblem}); the worker's file will run\n`);

for (const p of await buildSnapshot()) inputs.add(p);

const stamp = join(outdir, STAMP_FILE);
writeFileSync(`${stamp}.tmp`, JSON.stringify(stampOf(root, [...inputs])));
renameSync(`${stamp}.tmp`, stamp);

/**
 * dist/bundle/cli.snapshot: runtime/snapshot-main.ts bundled as CommonJS (`node --build-snapshot`
 * takes one script that requires only built-ins), then built into a blob by this node. In that
 * file, `import.meta.url` is the URL runtime/snapshot-run.ts sets at run time, and every dynamic
 * import of a module left outside (node built-ins, the interactive front end from dist/) goes
 * through its loader: code compiled into a snapshot has no import() of its own. Returns the
 * inputs (for the stamp); a node that cannot build snapshots leaves none, and bin/tsbpf runs
 * bin/tsbpf.js.
 */
async function buildSnapshot(): Promise<string[]> {
  const script = join(outdir, SNAPSHOT_SCRIPT);
  const result = await esbuild.build({ ...snapshotScript(join(dist, 'runtime', 'snapshot-main.js'), script), plugins: [lazyFromDist, ownLocationFrom(`globalThis[Symbol.for(${JSON.stringify('tsbpf.bundleUrl')})]`)] });
  const text = readFileSync(script, 'utf8');
  // `import(url)` is the loader's own (runtime/snapshot-run.ts, compiled at run time).
  const imports = [...text.matchAll(/\bimport\(([^)]*)\)/g)].map((m) => m[1]!).filter((spec) => spec !== 'url');
  const unexpected = imports.filter((spec) => !/^"(node:[a-z_/]+|\.\/\.\.\/[\w/.-]+\.js)"$/.test(spec));
  if (unexpected.length) throw new Error(`${script}: unexpected import(${unexpected.join(', ')}); update scripts/dev/bundle.ts`);
  writeFileSync(script, text.replace(/\bimport\((?=")/g, `globalThis[Symbol.for(${JSON.stringify('tsbpf.import')})](`));
  const blob = join(outdir, SNAPSHOT_BLOB);
  const built = spawnSync(process.execPath, ['--snapshot-blob', `${blob}.tmp`, '--build-snapshot', script], { cwd: outdir, encoding: 'utf8' });
  if (built.status !== 0) {
    rmSync(`${blob}.tmp`, { force: true });
    process.stderr.write(`tsbpf bundle: no start-up snapshot (node --build-snapshot failed: ${(built.stderr || built.error?.message || '').trim()}); bin/tsbpf runs bin/tsbpf.js\n`);
    return [];
  }
  // As trusted as the code: bin/tsbpf uses it only when it is the running user's, not writable by others.
  chmodSync(`${blob}.tmp`, 0o644);
  writeFileSync(join(outdir, SNAPSHOT_NODE), `${nodeIdentity(process.execPath)}\n`, { mode: 0o644 });
  renameSync(`${blob}.tmp`, blob);
  return Object.keys(result.metafile.inputs).map((p) => toPosix(relative(root, resolve(root, p))));
}

/**
 * The node binary as bin/tsbpf sees it with `stat -L -c %i:%Z:%s` (inode, ctime, size): a blob
 * runs only on the node that built it (another refuses it and exits), and an upgrade in place
 * changes at least the inode or the ctime. Not the device, which an overlay file system (a
 * container) numbers anew at each mount.
 */
function nodeIdentity(path: string): string {
  const s = statSync(realpathSync(path));
  return `${s.ino}:${Math.floor(s.ctimeMs / 1000)}:${s.size}`;
}
