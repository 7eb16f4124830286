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

/** Cache key: the script, its parameters, the kernel (tracepoint layouts, BTF) and this build of tsbpf. */
export function cacheKey(source: SourceFile, positionals: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([source.text, positionals, release(), buildStamp(), process.version]))
    .digest('hex');
}

export interface CompileRequest {
  readonly source: SourceFile;
  readonly positionals: readonly string[];
  /** Skip the compile cache (reading and writing). */
  readonly noCache?: boolean;
}

/** Compile a script: from the cache when this exact script was compiled before, else in a worker process. */
export async function compile(req: CompileRequest): Promise<CompileOutcome> {
  const key = cacheKey(req.source, req.positionals);
  const file = join(cacheDir(), `${key}.json`);
  if (!req.noCache) {
    try {
      const script = JSON.parse(readFileSync(file, 'utf8')) as CompiledScript;
      if (script.format === 1) return { kind: 'ok', script, cached: true };
    } catch {
      // Not cached (or unreadable): compile.
    }
  }
  const outcome = await runWorker(req);
  if (outcome.kind === 'ok' && !req.noCache) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(outcome.script));
      renameSync(tmp, file);
    } catch {
      // A read-only home is no reason to fail.
    }
  }
  return outcome;
}

function runWorker(req: CompileRequest): Promise<CompileOutcome> {
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
        const why = code === 70 ? 'LLVM failed' : signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve({ kind: 'internal-error', message: `the compiler crashed (${why})${stderr ? `: ${stderr}` : ''}` });
        return;
      }
      try {
        const reply = JSON.parse(Buffer.concat(out).toString('utf8')) as
          | { ok: CompiledScript }
          | { diagnostics: Diagnostic[] }
          | { internalError: string };
        if ('ok' in reply) resolve({ kind: 'ok', script: reply.ok, cached: false });
        else if ('diagnostics' in reply) resolve({ kind: 'diagnostics', diagnostics: reply.diagnostics });
        else resolve({ kind: 'internal-error', message: reply.internalError });
      } catch (e) {
        resolve({ kind: 'internal-error', message: `unreadable reply from the compile worker: ${(e as Error).message} ${stderr}` });
      }
    });
    child.stdin.end(JSON.stringify({ source: req.source, positionals: req.positionals }));
  });
}
