/**
 * The compile worker's start-up snapshot (src/compile-worker-snapshot.ts): `dist/bundle/compile-worker.blob`,
 * written by scripts/dev/bundle.ts with the bundle, and its stamp. A snapshot is used only beside a
 * fresh bundle (runtime/compile/bundle-stamp.ts) and only by the node that built it: the stamp names
 * node's version, executable and architecture, the flags it was built with and the blob's mtime and size, and any doubt (no
 * blob, no stamp, another node, a rewritten blob, TSBPF_NO_SNAPSHOT=1) means the worker's file is
 * run instead, as before. The blob lives in dist/ and is written by the build as dist/'s code is:
 * it is trusted as much as that code, no more.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SNAPSHOT_BLOB = 'compile-worker.blob';
export const SNAPSHOT_STAMP = 'compile-worker.blob.json';

/**
 * node's flags for building the blob and for every start from it (V8 refuses a blob built with
 * other flags). `--no-rehash-snapshot`: the worker keeps the string hash seed the blob was built
 * with instead of drawing a new one and rehashing every string and hash table of the heap at each
 * start (~5 ms of ~30). A fixed seed only matters against input chosen to collide in hash tables,
 * and the worker hashes the user's own script and the kernel's type names.
 */
export const SNAPSHOT_FLAGS: readonly string[] = ['--no-rehash-snapshot'];

/** node's arguments that start a process from `blob` (the script and its arguments follow). */
export function snapshotArgs(blob: string): string[] {
  return [...SNAPSHOT_FLAGS, '--snapshot-blob', blob];
}

export interface SnapshotStamp {
  readonly node: string;
  readonly execPath: string;
  readonly arch: string;
  readonly mtimeMs: number;
  readonly size: number;
  /** SNAPSHOT_FLAGS when it was built, space-separated. */
  readonly flags: string;
}

/** The stamp of the blob in `bundleDir` as it is now, for this node. */
export function snapshotStampOf(bundleDir: string): SnapshotStamp {
  const s = statSync(join(bundleDir, SNAPSHOT_BLOB));
  return { node: process.version, execPath: process.execPath, arch: process.arch, mtimeMs: s.mtimeMs, size: s.size, flags: SNAPSHOT_FLAGS.join(' ') };
}

/** The snapshot blob in `bundleDir` when this node may start from it, else undefined. */
export function usableSnapshot(bundleDir: string): string | undefined {
  if (process.env['TSBPF_NO_SNAPSHOT']) return undefined;
  try {
    const stamp = JSON.parse(readFileSync(join(bundleDir, SNAPSHOT_STAMP), 'utf8')) as Partial<SnapshotStamp>;
    const now = snapshotStampOf(bundleDir);
    const same = (Object.keys(now) as (keyof SnapshotStamp)[]).every((k) => stamp[k] === now[k]);
    return same ? join(bundleDir, SNAPSHOT_BLOB) : undefined;
  } catch {
    return undefined;
  }
}
