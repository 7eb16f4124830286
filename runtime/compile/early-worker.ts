/**
 * A cold compile's worker started at the CLI's first line (bin/tsbpf.js), so that node's start and
 * the compiler's load in the worker overlap the CLI's own loading and argument parsing (tens of ms)
 * instead of following them. Only when a compile is certain from the command line and the cache
 * directory alone (`compileIsCertain`): a cache hit never pays for a worker it does not use.
 *
 * bin/tsbpf.js loads this file from dist/ and the CLI may be the bundle (its own copy of this
 * module): the worker is handed over through a global registry symbol. Until runtime/compile/compiler.ts
 * takes it, it holds nothing of the process open (unref'd), so a run that ends without compiling
 * (a usage error) exits as before; the worker then sees its stdin end, or dies with its parent.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDirPath, KEY_FILE } from './cache-location.js';

export type Worker = import('node:child_process').ChildProcessWithoutNullStreams;

const EARLY = Symbol.for('tsbpf.earlyCompileWorker');
/** The worker and the environment it was started with (it reads its own, e.g. TSBPF_NO_FEATURES). */
type Registry = { [EARLY]?: { readonly child: Worker; readonly env: NodeJS.ProcessEnv } };

/** Options after which tsbpf compiles nothing (they print and exit). */
const NO_COMPILE = new Set(['-h', '--help', '-V', '--version', '--info', '--complete']);
/** Options that bypass the compile cache: with a program, the worker runs whatever the cache holds. */
const NO_CACHE = new Set(['--no-cache', '-d', '--debug', '--emit', '--emit-elf']);

/**
 * Whether this command line will certainly start a compile worker: it has a program (`-e`, or an
 * argument naming a file: the script) and nothing that prints and exits, and the compile cache
 * cannot answer (a cache-bypassing option, or no cache key yet, so no usable entry). A wrong guess
 * only costs an unused worker, never a different result: the compile itself decides as before.
 */
export function compileIsCertain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (argv.some((a) => NO_COMPILE.has(a))) return false;
  const hasProgram = argv.includes('-e') || argv.some((a) => !a.startsWith('-') && isFile(a));
  if (!hasProgram) return false;
  if (argv.some((a) => NO_CACHE.has(a) || a.startsWith('--emit=') || a.startsWith('--debug='))) return true;
  // No key yet: no entry can be authenticated (runtime/compile/compile-cache.ts), so none is used.
  return !existsSync(join(cacheDirPath(env), KEY_FILE));
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

/** Whether the worker (its process and pipes) keeps tsbpf's event loop alive. */
export function setHeld(child: Worker, held: boolean): void {
  for (const h of [child, child.stdin, child.stdout, child.stderr] as { ref?: () => void; unref?: () => void }[]) {
    if (held) h.ref?.();
    else h.unref?.();
  }
}

function sameEnv(a: NodeJS.ProcessEnv, b: NodeJS.ProcessEnv): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** bin/tsbpf.js: start the compile worker now when the command line will need one. */
export async function startEarlyWorker(argv: readonly string[]): Promise<void> {
  if (process.env['TSBPF_NO_EARLY_WORKER'] || !compileIsCertain(argv)) return;
  // Loaded only now: a cache hit loads neither.
  const [{ spawn }, { workerArgs, workerEnv }] = await Promise.all([import('node:child_process'), import('./worker-command.js')]);
  const child = spawn(process.execPath, workerArgs(), { stdio: ['pipe', 'pipe', 'pipe'], env: workerEnv() });
  // Failures are seen by whoever takes it (a dead worker is not taken).
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  setHeld(child, false);
  (globalThis as Registry)[EARLY] = { child, env: { ...process.env } };
}

/**
 * The worker started early, if one is waiting (and alive): held (ref'd) again for its compile; taken
 * once. Not when the environment changed since it started (the CLI sets TSBPF_NO_FEATURES and
 * TSBPF_TRACEABLE_FUNCTIONS from its options for the worker to read): then it is ended, and the
 * caller starts one that sees the environment as it is.
 */
export function takeEarlyWorker(): Worker | undefined {
  const registry = globalThis as Registry;
  const early = registry[EARLY];
  delete registry[EARLY];
  if (!early) return undefined;
  const { child, env } = early;
  if (!sameEnv(env, process.env)) {
    child.kill('SIGKILL');
    return undefined;
  }
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return undefined;
  setHeld(child, true);
  return child;
}
