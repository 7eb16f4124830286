/**
 * How a compile worker is started: node's arguments and environment for it. Shared by runtime/compile/compiler.ts and
 * runtime/compile/early-worker.ts (loaded by bin/tsbpf.js before the CLI), so both start the same worker.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from './bundle-stamp.js';
import { snapshotArgs, usableSnapshot } from './worker-snapshot.js';

const here = dirname(fileURLToPath(import.meta.url));

/** dist/src/compile-worker.js: the worker of this dist/ (the cache key names it). */
export const WORKER_FILE = join(here, '..', '..', 'src', 'compile-worker.js');

/**
 * node's arguments for a worker: the bundle's file (one file to load instead of ~120) while it was
 * made from this dist/ (runtime/compile/bundle-stamp.ts), else dist/'s; started from the bundle's
 * start-up snapshot (runtime/compile/worker-snapshot.ts: the compiler loaded, the parsers built)
 * when this node built it. The worker's file is argv[1] either way, and the parent's pid argv[2].
 */
export function workerArgs(): string[] {
  const bundled = freshBundle(join(here, '..', '..', '..'), join(here, '..', '..'), 'compile-worker.js');
  const snapshot = bundled ? usableSnapshot(dirname(bundled)) : undefined;
  return [...(snapshot ? snapshotArgs(snapshot) : []), bundled ?? WORKER_FILE, String(process.pid)];
}

/**
 * tsbpf's environment, but for NODE_EXTRA_CA_CERTS: node would read and parse that whole file
 * before the worker's first line (~30 ms), for TLS the compiler never does (bin/tsbpf keeps it
 * from tsbpf's own start-up the same way, runtime/compile/launch.ts).
 */
export function workerEnv(): NodeJS.ProcessEnv {
  if (process.env['NODE_EXTRA_CA_CERTS'] === undefined) return process.env;
  const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
  return env;
}
