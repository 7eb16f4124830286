/**
 * Helpers for end-to-end tests: run the real CLI (`node bin/tsbpf.js ...`) as a child process,
 * wait for its probes to be attached, generate events from processes with a comm the test
 * chose, and look at the BPF objects it left in the kernel.
 *
 * Nothing here waits for a fixed time: waits end on an observed event (a line of output, a
 * process exit), and the only deadlines are generous upper bounds that turn a hang into a
 * clear failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root: this file runs from dist/test/helpers/. */
export const REPO_ROOT = resolve(here, '..', '..', '..');
export const TSBPF_BIN = join(REPO_ROOT, 'bin', 'tsbpf.js');

/** The line tsbpf prints on stderr once every probe is attached, when this variable is set. */
export const NOTIFY_VAR = '__BPFTRACE_NOTIFY_PROBES_ATTACHED';

/** Upper bound for anything a test waits for; reaching it is a failure, never an expectation. */
export const DEFAULT_TIMEOUT_MS = 20_000;

// ------------------------------------------------------------------------------ environment

/** Why kernel tests cannot run here, or undefined when they can. */
export function whyNoKernel(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (loads BPF programs)';
  if (!existsSync(TSBPF_BIN) || !existsSync(join(REPO_ROOT, 'dist', 'runtime', 'cli.js'))) return 'tsbpf is not built (npx tsc -p tsconfig.json)';
  return undefined;
}

export interface KernelTestOptions {
  /** Run alone (not concurrently with the file's other tests). */
  readonly serial?: boolean;
  /** Known product bug: the test states the correct expectation and is expected to fail. */
  readonly failing?: boolean;
  /**
   * What else the test needs (a tool, a kernel feature): the reason it cannot run here, or
   * undefined. Asked at registration (ava 7 has no run-time skip), after the kernel checks.
   */
  readonly needs?: () => string | undefined;
}

/**
 * Register a test that needs the kernel (root, tracefs, the built CLI). When it cannot run here
 * (or `opts.needs` says why not) it is registered as skipped, with the reason in its title.
 */
export function kernelTest(title: string, impl: (t: ExecutionContext) => unknown, opts: KernelTestOptions = {}): void {
  const why = whyNoKernel() ?? opts.needs?.();
  const base = opts.serial ? test.serial : test;
  if (why !== undefined) {
    base.skip(`${title} (skipped: ${why})`, impl);
    return;
  }
  if (opts.failing) base.failing(title, impl);
  else base(title, impl);
}

/** A short random tag of lowercase hex, for comms, map names and file names. */
export function uniqueTag(length = 8): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

let cacheDir: string | undefined;

/** A compile-cache directory private to this test process, removed when it exits. */
function testCacheDir(): string {
  if (!cacheDir) {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-test-cache-'));
    cacheDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

/** The environment tsbpf runs with: the caller's, a private compile cache, no colours. */
function tsbpfEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CACHE_HOME: testCacheDir(), NO_COLOR: '1', ...extra };
}

// ------------------------------------------------------------------------------ running tsbpf

export interface RunResult {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Added to (and overriding) the test process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Upper bound; the process is killed (and the result shows the signal) when it is reached. */
  readonly timeoutMs?: number;
  /** Written to tsbpf's stdin, which is then closed. */
  readonly input?: string;
  /** Run under another command, e.g. ['setpriv', '--reuid=65534', ...]: argv becomes [...wrap, node, bin, ...args]. */
  readonly wrap?: readonly string[];
  readonly cwd?: string;
  /** What starts tsbpf; default [node, bin/tsbpf.js] (bin/tsbpf, the installed command, is tested in startup-snapshot.test.ts). */
  readonly command?: readonly string[];
}

/**
 * Run tsbpf to completion. Like `startTsbpf`, it sets the notify variable, so stderr holds the
 * `__BPFTRACE_NOTIFY_PROBES_ATTACHED` line once probes are attached (pass `env: { [NOTIFY_VAR]: undefined }` to unset it).
 */
export function runTsbpf(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const h = startTsbpf(args, opts);
  return h.exited;
}

/** A running tsbpf. */
export class TsbpfProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<RunResult>;
  /** Resolves when the notify line appears on stderr; rejects if tsbpf exits first. */
  readonly attached: Promise<void>;
  private out = '';
  private err = '';
  private done = false;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(args: readonly string[], opts: RunOptions) {
    const argv = [...(opts.wrap ?? []), ...(opts.command ?? [process.execPath, TSBPF_BIN]), ...args];
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd ?? REPO_ROOT,
      env: tsbpfEnv({ [NOTIFY_VAR]: '1', ...opts.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin!.end(opts.input ?? '');
    this.child.stdin!.on('error', () => {});
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.out += s;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.err += s;
      this.notify();
    });
    this.exited = new Promise<RunResult>((resolveExit) => {
      this.child.on('error', (e) => {
        this.err += `\n[test harness] cannot start tsbpf: ${e.message}\n`;
      });
      this.child.on('close', (code, signal) => {
        this.done = true;
        if (this.timer) clearTimeout(this.timer);
        this.notify();
        resolveExit({ code, signal, stdout: this.out, stderr: this.err });
      });
    });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timer = setTimeout(() => {
      this.err += `\n[test harness] tsbpf still running after ${timeoutMs} ms: killed\n`;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    this.timer.unref();
    this.attached = this.waitFor(() => stderrLines(this.err).includes(NOTIFY_VAR), 'the probes-attached notification').then(() => undefined);
    // Callers that never look at `attached` (error cases) must not see an unhandled rejection.
    this.attached.catch(() => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }
  get running(): boolean {
    return !this.done;
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Resolves once `cond()` holds (checked on every chunk of output); rejects, with everything
   * tsbpf printed, when tsbpf exits before it does.
   */
  waitFor(cond: () => boolean, what: string): Promise<void> {
    return new Promise<void>((resolveWait, reject) => {
      const check = (): void => {
        if (cond()) return resolveWait();
        if (this.done) return reject(new Error(`tsbpf exited before ${what}\n--- stdout ---\n${this.out}\n--- stderr ---\n${this.err}`));
        this.waiters.push(check);
      };
      check();
    });
  }

  /** Resolves once stdout matches `re`. */
  waitForStdout(re: RegExp): Promise<void> {
    return this.waitFor(() => re.test(this.out), `stdout matched ${re}`);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.done) this.child.kill(sig);
  }

  /** Send `sig` and wait for the exit. */
  stop(sig: NodeJS.Signals = 'SIGINT'): Promise<RunResult> {
    this.signal(sig);
    return this.exited;
  }

  /** SIGKILL if still running (teardown). */
  kill(): void {
    if (!this.done) this.child.kill('SIGKILL');
  }
}

/**
 * Start tsbpf with the notify variable set. Pass `t` to have the process killed in teardown.
 */
export function startTsbpf(args: readonly string[], opts: RunOptions & { t?: ExecutionContext } = {}): TsbpfProcess {
  const h = new TsbpfProcess(args, opts);
  opts.t?.teardown(() => h.kill());
  return h;
}

/** stderr split into lines (no trailing empty line). */
export function stderrLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A description of a run for assertion messages. */
export function describeRun(r: RunResult | TsbpfProcess): string {
  const code = r instanceof TsbpfProcess ? '(running)' : `code=${r.code} signal=${r.signal}`;
  return `${code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

// ------------------------------------------------------------------------------ workloads

/** A scratch directory readable by every user, removed in teardown. */
export function scratchDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-e2e-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A copy of a system binary under a unique name of at most 15 characters, so the processes
 * that run it have a comm no other process on the machine has.
 */
export interface UniqueBinary {
  readonly path: string;
  /** The comm of processes running it (the file name). */
  readonly comm: string;
}

export function uniqueBinary(dir: string, source: string, prefix = 'tsb'): UniqueBinary {
  const comm = `${prefix}${uniqueTag(15 - prefix.length)}`.slice(0, 15);
  const path = join(dir, comm);
  copyFileSync(source, path);
  chmodSync(path, 0o755);
  return { path, comm };
}

export interface ExecResult {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a program to completion (its pid is reported too). */
export function exec(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ExecResult> {
  return new Promise((resolveExec, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolveExec({ pid: child.pid ?? -1, code, signal, stdout: out, stderr: err }));
  });
}

/**
 * A workload that opens one uniquely named file `runs` times, each from a fresh process whose
 * comm is `comm` (a copy of cat). Events for that file and that comm come only from it.
 */
export interface OpenWorkload {
  readonly dir: string;
  readonly cat: UniqueBinary;
  readonly comm: string;
  /** The file the workload opens. */
  readonly file: string;
  /** Run cat on the file `runs` times, one after the other; returns the pids. `wrap` runs it under e.g. setpriv. */
  run(runs: number, wrap?: readonly string[]): Promise<number[]>;
}

export function openWorkload(t: ExecutionContext): OpenWorkload {
  const dir = scratchDir(t);
  const cat = uniqueBinary(dir, '/bin/cat');
  const file = join(dir, `f-${uniqueTag(10)}`);
  writeFileSync(file, 'tsbpf\n', { mode: 0o644 });
  return {
    dir,
    cat,
    comm: cat.comm,
    file,
    async run(runs: number, wrap: readonly string[] = []): Promise<number[]> {
      const pids: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await exec([...wrap, cat.path, file]);
        if (r.code !== 0) throw new Error(`workload ${cat.path} ${file} failed: code=${r.code} signal=${r.signal} ${r.stderr}`);
        pids.push(r.pid);
      }
      return pids;
    },
  };
}

/** A python3 interpreter for workloads that need exact syscalls, or undefined. */
export function python3(): string | undefined {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  const r = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** Whether `setpriv` can run a command as another user here. */
export function haveSetpriv(): boolean {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}

export const AS_NOBODY: readonly string[] = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * A long-running helper process; killed in teardown. Lines it prints on stdout can be awaited.
 */
export class Workload {
  readonly child: ChildProcess;
  private out = '';
  private done = false;
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(t: ExecutionContext, argv: readonly string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.out += s;
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((r) =>
      this.child.on('close', (code, signal) => {
        this.done = true;
        for (const w of this.waiters.splice(0)) w();
        r({ code, signal });
      }),
    );
    t.teardown(() => {
      if (!this.done) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get stdout(): string {
    return this.out;
  }

  waitForLine(line: string): Promise<void> {
    return new Promise((res, rej) => {
      const check = (): void => {
        if (this.out.split('\n').includes(line)) return res();
        if (this.done) return rej(new Error(`workload exited before printing ${JSON.stringify(line)}; stdout: ${this.out}`));
        this.waiters.push(check);
      };
      check();
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.done) this.child.kill(sig);
  }
}

// ------------------------------------------------------------------------------ kernel objects

export interface BpfObjects {
  readonly progIds: number[];
  readonly mapIds: number[];
}

/** The BPF programs and maps a process holds open, from /proc/PID/fdinfo. */
export function bpfObjectsOf(pid: number): BpfObjects {
  const progIds: number[] = [];
  const mapIds: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return { progIds, mapIds };
  }
  for (const fd of fds) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const prog = /^prog_id:\s+(\d+)$/m.exec(info);
    if (prog) progIds.push(Number(prog[1]));
    const map = /^map_id:\s+(\d+)$/m.exec(info);
    if (map) mapIds.push(Number(map[1]));
  }
  return { progIds: [...new Set(progIds)], mapIds: [...new Set(mapIds)] };
}

/** The BPF objects held by any live process (to tell a leak from another tool's objects). */
export function bpfObjectsOfAllProcesses(): BpfObjects {
  const progIds = new Set<number>();
  const mapIds = new Set<number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const o = bpfObjectsOf(Number(e));
    o.progIds.forEach((id) => progIds.add(id));
    o.mapIds.forEach((id) => mapIds.add(id));
  }
  return { progIds: [...progIds], mapIds: [...mapIds] };
}

/**
 * Poll `cond` until it holds or `deadlineMs` passes. For kernel state that changes
 * asynchronously (objects are freed after their last reference is dropped, partly deferred).
 */
export async function eventually(cond: () => boolean, deadlineMs = 5000, stepMs = 20): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Whether this kernel can attach kprobes (the perf kprobe PMU or the legacy kprobe_events file). */
export function kernelHasKprobes(): boolean {
  return existsSync('/sys/bus/event_source/devices/kprobe/type') || existsSync('/sys/kernel/tracing/kprobe_events') || existsSync('/sys/kernel/debug/tracing/kprobe_events');
}

/** Whether tracefs (tracepoint formats) is readable, mounting nothing. */
export function tracefsAvailable(): boolean {
  return existsSync('/sys/kernel/tracing/events/syscalls') || existsSync('/sys/kernel/debug/tracing/events/syscalls');
}

// ------------------------------------------------------------------------------ processes

/** A live (not zombie) process's state from /proc, or undefined once it is gone or a zombie. */
export interface ProcState {
  readonly ppid: number;
  /** CPU time used so far, in clock ticks (utime + stime). */
  readonly cpuTicks: number;
}

export function liveProcess(pid: number): ProcState | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return undefined;
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/**
 * The compile workers started by tsbpf process `parent` (found by their command line,
 * `node .../compile-worker.js PARENT`, so they are found after being re-parented too).
 */
export function compileWorkersOf(parent: number): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('compile-worker.js')) && argv.includes(String(parent)) && liveProcess(Number(e))) found.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
