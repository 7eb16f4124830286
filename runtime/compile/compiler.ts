// node:child_process is not imported: a cache hit does not need it (~2 ms of start-up); the worker
// is spawned through a dynamic import. The compile cache is runtime/compile/compile-cache.ts.
import { statSync } from 'node:fs';
import { release, version } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILE_ENV_VARS, type CompiledScript, type CompileReply, type Diagnostic, type DumpStage, type ListReply, type SourceFile, type WorkerRequest } from '../../src/contract/index.js';
import { setHeld, takeEarlyWorker, type Worker } from './early-worker.js';
import { workerArgs, workerEnv, WORKER_FILE } from './worker-command.js';
import { cacheDirPath, fileDeps, openCacheDir, readEntry, writeEntry } from './compile-cache.js';
import { startProgress, type ProgressStream } from './progress.js';
import { startupMark } from './startup-trace.js';

export type CompileOutcome =
  | { readonly kind: 'ok'; readonly script: CompiledScript; readonly cached: boolean }
  | { readonly kind: 'diagnostics'; readonly diagnostics: readonly Diagnostic[] }
  | { readonly kind: 'internal-error'; readonly message: string };

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The compiler's build: the worker's mtime, the mtime of tsc's incremental build info
 * (dist/.tsbuildinfo: an incremental build rewrites only the files that changed, so a change to
 * the compiler that leaves compile-worker.js alone must still miss the cache), and the LLVM addon's.
 */
function buildStamp(): string {
  const mtime = (path: string): string => {
    try {
      return String(statSync(path).mtimeMs);
    } catch {
      return 'unknown';
    }
  };
  return [WORKER_FILE, join(here, '..', '..', '.tsbuildinfo'), join(here, '..', '..', '..', 'native', 'build', 'Release', 'tsbpf_llvm.node')].map(mtime).join('/');
}

/** The environment variables that change the compiled code (src/contract/env.ts), the set ones only. */
function compileEnv(): string[] {
  return COMPILE_ENV_VARS.filter((v) => process.env[v] !== undefined).map((v) => `${v}=${process.env[v]}`);
}

/**
 * What a compile depends on: the script, its parameters and flags, the environment the compiler
 * reads, the kernel (tracepoint layouts, BTF) and this build of tsbpf; for a script with `import`,
 * the directory its relative imports start from (the imported files themselves are checked by
 * content on a hit, runtime/compile/compile-cache.ts). Stored in the cache entry and compared on a hit, so
 * a hash collision can never run the wrong program.
 */
export function cacheKeyText(req: CompileRequest): string {
  const { source, positionals, pid, unsafe, cpid, warningLevel, growing } = req;
  const importBase = /\bimport\b/.test(source.text) ? ['imports-from', source.name === 'stdin' ? process.cwd() : dirname(resolve(source.name))] : [];
  // A relative probe target (`uprobe:./prog:f`, `usdt:dir/p*:...`) resolves from the working directory.
  const relativeTarget = /:(\.{1,2}\/|[\w.+-]+\/)/.test(source.text) ? ['cwd', process.cwd()] : [];
  return JSON.stringify([
    source.text, positionals, release(), version(), buildStamp(), process.version, pid ?? null,
    ...(unsafe ? ['unsafe'] : []), ...(cpid !== undefined ? ['cpid', cpid] : []),
    ...(warningLevel !== undefined && warningLevel !== 1 ? ['warnings', warningLevel] : []),
    ...(growing ? ['growing'] : []),
    ...importBase, ...relativeTarget, ...compileEnv(),
  ]);
}

/**
 * An entry's file name: a 128-bit hash (four 32-bit lanes, Murmur3-style mixing) of its key text.
 * Not node:crypto, which a miss would then load for nothing; the entry holds the key text itself.
 */
export function cacheEntryName(keyText: string): string {
  return `${hashText(keyText)}.json`;
}

function hashText(text: string): string {
  let h1 = 0x9747b28c, h2 = 0x85ebca6b, h3 = 0xc2b2ae35, h4 = 0x27d4eb2f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h3 = Math.imul(h3 ^ c, 0x27d4eb2d);
    h4 = Math.imul(h4 ^ c, 0x165667b1);
  }
  const fmix = (h: number, a: number, b: number): string => {
    h = Math.imul(h ^ (h >>> 16) ^ a, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0');
  };
  return fmix(h1, h2, text.length) + fmix(h2, h3, h1) + fmix(h3, h4, h2) + fmix(h4, h1, h3);
}

/** A compile as the CLI and the shell ask for it: the worker's request (src/contract/worker.ts) and what stays here. */
export interface CompileRequest extends Omit<WorkerRequest, 'list'> {
  /** Skip the compile cache (reading and writing). */
  readonly noCache?: boolean;
  /** Where `-d STAGE` text goes, stage by stage in order (a dump bypasses the compile cache). */
  readonly onDump?: (stage: DumpStage, text: string) => void;
  /** Where a slow compile shows its progress line (only a terminal shows it); default process.stderr. */
  readonly progress?: ProgressStream;
  /** `--emit-elf`: gets the BPF ELF object (the request's `elf`; bypasses the compile cache). */
  readonly onElf?: (object: Buffer) => void;
}

/** The cache directory is refused once per process (the shell compiles many times). */
let warnedAboutCache = false;

/** Compile a script: from the cache when this exact script was compiled before, else in a worker process. */
export async function compile(req: CompileRequest): Promise<CompileOutcome> {
  // A dump comes from the compiler itself: never from (nor into) the cache.
  const opened = req.noCache || req.dump?.length || req.elf ? undefined : openCacheDir(cacheDirPath());
  if (opened?.kind === 'unsafe' && !warnedAboutCache) {
    warnedAboutCache = true;
    process.stderr.write(`WARNING: not using the compile cache: ${opened.why}\n`);
  }
  const dir = opened?.kind === 'ok' ? opened.dir : undefined;
  startupMark('cache-dir');
  const keyText = cacheKeyText(req);
  const name = cacheEntryName(keyText);
  startupMark('cache-key');
  if (dir) {
    const read = await readEntry(dir, name, keyText);
    startupMark('cache-entry');
    if ('script' in read) return { kind: 'ok', script: read.script, cached: true };
    if (process.env['TSBPF_DEBUG'] && read.miss !== 'no entry') process.stderr.write(`tsbpf: compile cache miss (${read.miss})\n`);
  }
  // A cache miss runs LLVM in the worker (a second or more for a big script): say so on a terminal.
  const progress = startProgress(req.progress ?? process.stderr, 'compiling');
  let outcome: CompileOutcome;
  try {
    // The entry's HMAC needs node:crypto (writeEntry): loaded while the worker compiles, not after.
    outcome = await runWorker(req, () => progress.done(), dir ? () => void import('node:crypto').catch(() => undefined) : undefined);
  } finally {
    progress.done();
  }
  if (outcome.kind === 'ok' && dir) {
    const deps = fileDeps(outcome.script);
    // A read-only home is no reason to fail: the entry is simply not written.
    await writeEntry(dir, name, { key: keyText, ...(deps && deps.length ? { deps } : {}), script: outcome.script });
  }
  return outcome;
}

type InternalError = { readonly kind: 'internal-error'; readonly message: string };

/**
 * Sends one JSON request to a fresh compile worker process (so an LLVM crash cannot take tsbpf
 * down) and turns its JSON reply into an outcome with `interpret`; a failed start, a crash or an
 * unreadable reply becomes an internal error.
 *
 * The worker never outlives tsbpf: it dies with its parent (src/compile-worker.ts), stdin stays
 * open until the reply (its end tells the worker the parent is gone), and a SIGINT/SIGTERM that
 * arrives while it runs kills it before tsbpf goes on to die of (or handle) the signal.
 */
async function askWorker<Reply, Outcome>(request: object, interpret: (reply: Reply) => Outcome, whileWaiting?: () => void): Promise<Outcome | InternalError> {
  const child = takeSpareWorker() ?? takeEarlyWorker() ?? (await spawnWorker());
  return new Promise((resolve) => {
    const untrack = trackWorker(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    // The reply ends with a newline (JSON has no raw newline). Then the worker has nothing left to do
    // but LLVM's teardown at exit (milliseconds): it is ended at once (SIGKILL), and the outcome is
    // given at once, not when it is gone (the kernel's teardown of its LLVM mappings took ~6 ms of
    // every cold compile). Its exit (SIGCHLD) may land in the session that follows: the syscalls a
    // signal can interrupt there restart (libbpf's program load retries EAGAIN; the packet
    // benchmark's BPF_PROG_TEST_RUN retries EINTR, native/src/prog.cc).
    let replied: Outcome | InternalError | undefined;
    const answer = (): Outcome | InternalError => {
      try {
        return interpret(JSON.parse(Buffer.concat(out).toString('utf8')) as Reply);
      } catch (e) {
        return { kind: 'internal-error', message: `unreadable reply from the compile worker: ${(e as Error).message} ${Buffer.concat(err).toString('utf8').trim()}` };
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      if (replied === undefined && c.includes(10)) {
        startupMark('worker-replied');
        replied = answer();
        child.kill('SIGKILL');
        resolve(replied);
      }
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // EPIPE when the worker died before reading the request: reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      untrack();
      resolve({ kind: 'internal-error', message: `cannot start the compile worker: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      untrack();
      if (keepWarm) void startSpareWorker();
      if (replied !== undefined) {
        resolve(replied);
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code !== 0) {
        // 70: the LLVM fatal-error handler of the llvm addon (native/src/llvm_emit.cc).
        const why = code === 70 ? 'LLVM failed' : signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve({ kind: 'internal-error', message: `the compiler crashed (${why})${stderr ? `: ${stderr}` : ''}` });
        return;
      }
      resolve(answer());
    });
    // One line (JSON has no raw newline); stdin is not ended: see above.
    child.stdin.write(JSON.stringify(request) + '\n');
    whileWaiting?.();
  });
}

async function spawnWorker(): Promise<Worker> {
  const { spawn } = await import('node:child_process');
  return spawn(process.execPath, workerArgs(), { stdio: ['pipe', 'pipe', 'pipe'], env: workerEnv() });
}


/**
 * The interactive shell keeps one worker started ahead (keepWorkerWarm): a worker spends its first
 * ~100 ms starting node and loading the compiler, before it reads its request, and in the shell that
 * can happen while the user types. The spare waits for its request on stdin, holds nothing of
 * tsbpf's open (unref'd: it never keeps tsbpf alive) and dies with tsbpf like any worker.
 */
let keepWarm = false;
let spare: Worker | undefined;

/** From now on, keep one compile worker started ahead of the next compile. */
export function keepWorkerWarm(): void {
  keepWarm = true;
  void startSpareWorker();
}

/** No more spare worker; the one waiting is ended. */
export function stopWorkerWarm(): void {
  keepWarm = false;
  spare?.kill('SIGKILL');
  spare = undefined;
}

async function startSpareWorker(): Promise<void> {
  if (spare) return;
  const child = await spawnWorker();
  if (!keepWarm || spare) {
    child.kill('SIGKILL');
    return;
  }
  spare = child;
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  child.on('exit', () => {
    if (spare === child) spare = undefined;
  });
  setHeld(child, false);
}

/** The spare worker, when one is waiting (and alive): held (ref'd) again for its compile. */
function takeSpareWorker(): Worker | undefined {
  const child = spare;
  spare = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
  setHeld(child, true);
  return child;
}

/** Compile workers alive now; killed on SIGINT/SIGTERM. */
const liveWorkers = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
const INTERRUPTS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Kills the live workers, then lets the signal do what it would have done: when nothing else
 * listens for it, tsbpf dies of it (the listener is removed, so the default action is back).
 */
function onInterrupt(signal: NodeJS.Signals): void {
  for (const w of liveWorkers) w.kill('SIGKILL');
  liveWorkers.clear();
  for (const s of INTERRUPTS) process.off(s, onInterrupt);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function trackWorker(child: { kill(signal: NodeJS.Signals): boolean }): () => void {
  if (liveWorkers.size === 0) for (const s of INTERRUPTS) process.on(s, onInterrupt);
  liveWorkers.add(child);
  return () => {
    if (!liveWorkers.delete(child) || liveWorkers.size > 0) return;
    for (const s of INTERRUPTS) process.off(s, onInterrupt);
  };
}

/** `whileWaiting` runs once the request is sent: work for the idle parent while the worker compiles. */
function runWorker(req: CompileRequest, onReply: () => void, whileWaiting?: () => void): Promise<CompileOutcome> {
  const request: WorkerRequest = { source: req.source, positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe, warningLevel: req.warningLevel, ...(req.growing ? { growing: true } : {}), ...(req.dump?.length ? { dump: req.dump } : {}), ...(req.elf ? { elf: true } : {}) };
  return askWorker(request, (reply: CompileReply): CompileOutcome => {
    onReply();
    for (const d of reply.dumps ?? []) req.onDump?.(d.stage, d.text);
    if (reply.elf !== undefined) req.onElf?.(Buffer.from(reply.elf, 'base64'));
    if ('ok' in reply) return { kind: 'ok', script: reply.ok, cached: false };
    if ('diagnostics' in reply) return { kind: 'diagnostics', diagnostics: reply.diagnostics };
    return { kind: 'internal-error', message: reply.internalError + (process.env['TSBPF_DEBUG'] && reply.stack ? `\n${reply.stack}` : '') };
  }, whileWaiting);
}

export type ListOutcome =
  | { readonly kind: 'ok'; readonly lines: readonly string[] }
  | { readonly kind: 'diagnostics'; readonly diagnostics: readonly Diagnostic[] }
  | { readonly kind: 'internal-error'; readonly message: string };

/**
 * `-l` with a program: the probes it would attach, after wildcard expansion, as bpftrace lists them.
 * Runs the front end (parse + probe expansion) in the compile worker; never cached.
 */
export function listProgram(req: { readonly source: SourceFile; readonly positionals: readonly string[]; readonly pid?: number; readonly verbose?: boolean }): Promise<ListOutcome> {
  const request: WorkerRequest = { source: req.source, positionals: req.positionals, pid: req.pid, list: { verbose: req.verbose === true } };
  return askWorker(request, (reply: ListReply): ListOutcome => {
    if ('list' in reply) return { kind: 'ok', lines: reply.list };
    if ('diagnostics' in reply) return { kind: 'diagnostics', diagnostics: reply.diagnostics };
    return { kind: 'internal-error', message: reply.internalError };
  });
}
