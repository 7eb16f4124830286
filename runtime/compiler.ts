import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledScript, Diagnostic, SourceFile } from '../src/index.js';

export type CompileOutcome =
  | { readonly kind: 'ok'; readonly script: CompiledScript; readonly cached: boolean }
  | { readonly kind: 'diagnostics'; readonly diagnostics: readonly Diagnostic[] }
  | { readonly kind: 'internal-error'; readonly message: string };

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, '..', 'src', 'compile-worker.js');

function cacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'tsbpf');
}

/** The compiler's build: the worker's mtime changes with every build of tsbpf. */
function buildStamp(): string {
  try {
    return String(statSync(WORKER).mtimeMs);
  } catch {
    return 'unknown';
  }
}

/**
 * The environment variables the compiler reads, the set ones only. Kept in step with src/compile.ts
 * COMPILE_ENV_VARS by hand: importing src/compile.ts here would load the whole front end on a cache hit.
 */
const COMPILE_ENV_VARS = ['BPFTRACE_PERF_RB_PAGES', 'BPFTRACE_DUMMY_TS_MAP', 'BPFTRACE_STACK_MODE'] as const;
function compileEnv(): string[] {
  return COMPILE_ENV_VARS.filter((v) => process.env[v] !== undefined).map((v) => `${v}=${process.env[v]}`);
}

/** Cache key: the script, its parameters, the kernel (tracepoint layouts, BTF) and this build of tsbpf. */
export function cacheKey(source: SourceFile, positionals: readonly string[], pid?: number, unsafe?: boolean, cpid?: number): string {
  return createHash('sha256')
    .update(JSON.stringify([source.text, positionals, release(), buildStamp(), process.version, pid ?? null, ...(unsafe ? ['unsafe'] : []), ...(cpid !== undefined ? ['cpid', cpid] : []), ...compileEnv()]))
    .digest('hex');
}

export interface CompileRequest {
  readonly source: SourceFile;
  readonly positionals: readonly string[];
  /** `--unsafe`: allow system() and signal(). */
  readonly unsafe?: boolean;
  /** Skip the compile cache (reading and writing). */
  readonly noCache?: boolean;
  /** `-p PID` / `-c` child: user probes resolve in this process. */
  readonly pid?: number;
  /** `-c`: the child's pid (`cpid`). */
  readonly cpid?: number;
}

/** The files (ELF binaries) a compiled script's probes were resolved from, with their identity. */
type FileDeps = [path: string, size: number, mtimeMs: number][];

function fileDeps(script: CompiledScript): FileDeps | undefined {
  const paths = new Set(script.programs.flatMap((p) => p.probe.files ?? []));
  const deps: FileDeps = [];
  for (const path of paths) {
    try {
      const s = statSync(path);
      deps.push([path, s.size, s.mtimeMs]);
    } catch {
      return undefined;
    }
  }
  return deps;
}

function depsUnchanged(deps: FileDeps | undefined): boolean {
  if (!deps) return true;
  return deps.every(([path, size, mtimeMs]) => {
    try {
      const s = statSync(path);
      return s.size === size && s.mtimeMs === mtimeMs;
    } catch {
      return false;
    }
  });
}

/** Compile a script: from the cache when this exact script was compiled before, else in a worker process. */
export async function compile(req: CompileRequest): Promise<CompileOutcome> {
  const key = cacheKey(req.source, req.positionals, req.pid, req.unsafe, req.cpid);
  const file = join(cacheDir(), `${key}.json`);
  if (!req.noCache) {
    try {
      const script = JSON.parse(readFileSync(file, 'utf8')) as CompiledScript & { deps?: FileDeps };
      // A probe resolved from a binary that has changed since (rebuilt, upgraded) is recompiled.
      if (script.format === 1 && depsUnchanged(script.deps)) return { kind: 'ok', script, cached: true };
    } catch {
      // Not cached (or unreadable): compile.
    }
  }
  const outcome = await runWorker(req);
  if (outcome.kind === 'ok' && !req.noCache) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      const deps = fileDeps(outcome.script);
      writeFileSync(tmp, JSON.stringify(deps && deps.length ? { ...outcome.script, deps } : outcome.script));
      renameSync(tmp, file);
    } catch {
      // A read-only home is no reason to fail.
    }
  }
  return outcome;
}

type InternalError = { readonly kind: 'internal-error'; readonly message: string };

/**
 * Sends one JSON request to a fresh compile worker process (so an LLVM crash cannot take tsbpf
 * down) and turns its JSON reply into an outcome with `interpret`; a failed start, a crash or an
 * unreadable reply becomes an internal error.
 */
function askWorker<Reply, Outcome>(request: object, interpret: (reply: Reply) => Outcome): Promise<Outcome | InternalError> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => resolve({ kind: 'internal-error', message: `cannot start the compile worker: ${e.message}` }));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code !== 0) {
        // 70: the LLVM fatal-error handler of the llvm addon (native/src/llvm_emit.cc).
        const why = code === 70 ? 'LLVM failed' : signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve({ kind: 'internal-error', message: `the compiler crashed (${why})${stderr ? `: ${stderr}` : ''}` });
        return;
      }
      try {
        resolve(interpret(JSON.parse(Buffer.concat(out).toString('utf8')) as Reply));
      } catch (e) {
        resolve({ kind: 'internal-error', message: `unreadable reply from the compile worker: ${(e as Error).message} ${stderr}` });
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

function runWorker(req: CompileRequest): Promise<CompileOutcome> {
  type Reply = { ok: CompiledScript } | { diagnostics: Diagnostic[] } | { internalError: string; stack?: string };
  const request = { source: req.source, positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe };
  return askWorker(request, (reply: Reply): CompileOutcome => {
    if ('ok' in reply) return { kind: 'ok', script: reply.ok, cached: false };
    if ('diagnostics' in reply) return { kind: 'diagnostics', diagnostics: reply.diagnostics };
    return { kind: 'internal-error', message: reply.internalError + (process.env['TSBPF_DEBUG'] && reply.stack ? `\n${reply.stack}` : '') };
  });
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
  type Reply = { list: string[] } | { diagnostics: Diagnostic[] } | { internalError: string };
  const request = { source: req.source, positionals: req.positionals, pid: req.pid, list: { verbose: req.verbose === true } };
  return askWorker(request, (reply: Reply): ListOutcome => {
    if ('list' in reply) return { kind: 'ok', lines: reply.list };
    if ('diagnostics' in reply) return { kind: 'diagnostics', diagnostics: reply.diagnostics };
    return { kind: 'internal-error', message: reply.internalError };
  });
}
