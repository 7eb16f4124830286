/**
 * Which build the `tsbpf` bin runs: the bundle in dist/bundle/ (one file per entry, written by
 * scripts/dev/bundle.ts after tsc) when it was made from the dist/ that is there now, else dist/
 * itself. Engineers often rebuild with a bare `npx tsc`, which leaves an old bundle behind: running
 * it would run yesterday's code, so a bundle is used only when every file it was made from still
 * has the modification time and size recorded when it was made (the stamp); any doubt (no stamp,
 * an unreadable one, a changed or missing input) means the unbundled dist/.
 *
 * Stat-ing the ~240 inputs took ~3 ms of every start, so the stamp also records tsc's build-info
 * file (TSC_BUILD_INFO; the project is incremental): tsc rewrites it after every emit that changes
 * dist/, so while it is as stamped the inputs under dist/ are taken as they were, and only those
 * elsewhere (node_modules) are stat-ed. When it differs (tsc ran since), every input is checked.
 *
 * Loaded by bin/tsbpf.js before anything else: node:fs and node:path only, no other module.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** dist/bundle/, where the bundles and their stamp live. */
export const BUNDLE_DIR = 'bundle';
export const STAMP_FILE = 'stamp.json';
/** The start-up snapshot (runtime/snapshot-main.ts), the script it was built from, and the node that built it (bin/tsbpf reads these names). */
export const SNAPSHOT_BLOB = 'cli.snapshot';
export const SNAPSHOT_SCRIPT = 'cli-snapshot.cjs';
export const SNAPSHOT_NODE = 'cli.snapshot.node';

/** One input of the bundle: its path relative to the package root, mtime (ms) and size. */
export type StampInput = readonly [path: string, mtimeMs: number, size: number];

/**
 * tsc's build-info file (tsconfig.json `tsBuildInfoFile`), relative to the package root, and the
 * folder of the outputs it vouches for (`outDir`).
 */
export const TSC_BUILD_INFO = 'dist/.tsbuildinfo';
export const TSC_OUT_DIR = 'dist/';

export interface BundleStamp {
  readonly inputs: readonly StampInput[];
  /** TSC_BUILD_INFO as it was when the bundle was made (absent: every input is checked each time). */
  readonly buildInfo?: StampInput;
}

/** A tsc output the build info vouches for: a .js file under TSC_OUT_DIR. */
const writtenByTsc = (path: string): boolean => path.startsWith(TSC_OUT_DIR) && path.endsWith('.js');

const inputNow = (root: string, p: string): StampInput => {
  const s = statSync(join(root, p));
  return [p, s.mtimeMs, s.size];
};

/** The stamp of the given input files (paths relative to `root`) as they are now, with tsc's build info when there is one. */
export function stampOf(root: string, paths: readonly string[]): BundleStamp {
  const inputs = paths.map((p) => inputNow(root, p));
  const built = paths.some(writtenByTsc) && statSync(join(root, TSC_BUILD_INFO), { throwIfNoEntry: false });
  return built ? { inputs, buildInfo: inputNow(root, TSC_BUILD_INFO) } : { inputs };
}

const unchanged = (root: string, [path, mtimeMs, size]: StampInput): boolean => {
  const s = statSync(join(root, path), { throwIfNoEntry: false });
  return s !== undefined && s.mtimeMs === mtimeMs && s.size === size;
};

const isStampInput = (x: unknown): x is StampInput => Array.isArray(x) && x.length === 3 && typeof x[0] === 'string' && typeof x[1] === 'number' && typeof x[2] === 'number';

/** Whether every input of the stamp in `bundleDir` is unchanged under `root`. */
export function bundleIsFresh(root: string, bundleDir: string): boolean {
  let stamp: BundleStamp;
  try {
    stamp = JSON.parse(readFileSync(join(bundleDir, STAMP_FILE), 'utf8')) as BundleStamp;
  } catch {
    return false;
  }
  if (stamp === null || typeof stamp !== 'object' || !Array.isArray(stamp.inputs) || stamp.inputs.length === 0 || !stamp.inputs.every(isStampInput)) return false;
  // tsc has not written dist/ since: only the inputs it does not write can have changed.
  const built = stamp.buildInfo !== undefined && isStampInput(stamp.buildInfo) && stamp.buildInfo[0] === TSC_BUILD_INFO && unchanged(root, stamp.buildInfo);
  return stamp.inputs.every((input) => (built && writtenByTsc(input[0])) || unchanged(root, input));
}

/**
 * The file to run for `entry` (e.g. 'cli.js'): the bundle's when it is fresh and the caller did
 * not ask for the unbundled build (TSBPF_NO_BUNDLE=1), else undefined.
 */
export function freshBundle(root: string, distDir: string, entry: string): string | undefined {
  if (process.env['TSBPF_NO_BUNDLE']) return undefined;
  const dir = join(distDir, BUNDLE_DIR);
  return bundleIsFresh(root, dir) ? join(dir, entry) : undefined;
}
