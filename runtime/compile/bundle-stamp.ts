/**
 * Which build the `tsbpf` bin runs: the bundle in dist/bundle/ (one file per entry, written by
 * scripts/dev/bundle.ts after tsc) when it was made from the dist/ that is there now, else dist/
 * itself. Engineers often rebuild with a bare `npx tsc`, which leaves an old bundle behind: running
 * it would run yesterday's code, so a bundle is used only when every file it was made from still
 * has the modification time and size recorded when it was made (the stamp); any doubt (no stamp,
 * an unreadable one, a changed or missing input) means the unbundled dist/.
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

export interface BundleStamp {
  readonly inputs: readonly StampInput[];
}

/** The stamp of the given input files (paths relative to `root`) as they are now. */
export function stampOf(root: string, paths: readonly string[]): BundleStamp {
  return {
    inputs: paths.map((p): StampInput => {
      const s = statSync(join(root, p));
      return [p, s.mtimeMs, s.size];
    }),
  };
}

/** Whether every input of the stamp in `bundleDir` is unchanged under `root`. */
export function bundleIsFresh(root: string, bundleDir: string): boolean {
  let stamp: BundleStamp;
  try {
    stamp = JSON.parse(readFileSync(join(bundleDir, STAMP_FILE), 'utf8')) as BundleStamp;
  } catch {
    return false;
  }
  if (!Array.isArray(stamp.inputs) || stamp.inputs.length === 0) return false;
  for (const [path, mtimeMs, size] of stamp.inputs) {
    const s = statSync(join(root, path), { throwIfNoEntry: false });
    if (!s || s.mtimeMs !== mtimeMs || s.size !== size) return false;
  }
  return true;
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
