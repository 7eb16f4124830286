import { existsSync, readFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { DUMP_STAGE_NAMES, dumpHeader, encodeBytes, parseDumpStages, type DumpStage, type SourceFile } from '../src/contract/index.js';
import { compile, listProgram } from './compiler.js';
import type { Sink } from './output/output.js';
import { tracefsRoot } from '../src/index.js';
import { dieOfSigpipe, openOutputFile, OutputFileError, outputFailureOf, watchStdio, type OutputFailure } from './output-errors.js';
// Loaded where needed (-l, -p/-c, diagnostics, -f json): a cache-hit run loads as few modules as
// possible (start-up time, design.md "Targets").
import type { HeldChild } from './target.js';

/**
 * The tracing runtime (session, output, providers), imported while the script compiles: before a
 * cache miss's compile worker starts, this process loads only the CLI and runtime/compiler.ts.
 */
function loadRuntime() {
  return Promise.all([import('./session.js'), import('./output/text.js'), import('./lib-events.js'), import('../src/index.js')]).then(
    ([session, text, libEvents, loaders]) => ({ ...session, TextOutput: text.TextOutput, setRuntimeWarnings: libEvents.setRuntimeWarnings, loadProviders: loaders.loadProviders }),
  );
}

/** Mount tracefs when it is missing (session.ts `ensureTracefs`, loaded only then). */
async function ensureTracefs(notice: (msg: string) => void): Promise<void> {
  if (!tracefsRoot()) (await import('./session.js')).ensureTracefs(notice);
}

export const VERSION = '0.1.0';

const USAGE = `USAGE:
    tsbpf [options] filename
    tsbpf [options] - <stdin input>
    tsbpf [options] -e 'program'
    tsbpf                      (on a terminal: the interactive shell)

OPTIONS:
    -e 'program'     execute this program
    -f FORMAT        output format ('text', 'json')
    -o file          redirect program output to file
    -B MODE          output buffering mode ('line', 'full', 'none')
    -l [search]      list probes matching search (e.g. 't:syscalls:*open*', 'uprobe:/bin/bash:*')
    -lv [search]     list probes with their arguments
    -p PID           trace only this process (user probes attach to it); exit when it exits
    -c 'CMD'         run CMD once every probe is attached and trace it (cpid); exit when it ends
    -q, --quiet      keep messages quiet
    --verify         compile, load and verify every program through the kernel's verifier, attach nothing
    --dry-run        compile, load and attach every probe, then exit
    --unsafe         allow unsafe functions (system, signal)
    --no-cache       do not use or fill the compile cache
    -d, --debug STAGE  print a compiler stage to stderr, then run (comma list, repeatable):
                     all, ast, types, ir, codegen, codegen-opt, bpf (also parse, dis, llvm)
    --emit STAGE     print a compiler stage to stdout and exit without loading anything
    -k, --warnings   emit a warning when a BPF helper returns an error (probe reads, map lookups)
    --no-warnings    disable all warning messages
    -h, --help       show this help message
    -V, --version    tsbpf version

ENVIRONMENT:
    __BPFTRACE_NOTIFY_PROBES_ATTACHED   print this name on its own line once every probe is attached
    NO_COLOR                            never colour output
    BPFTRACE_PERF_RB_PAGES              pages of the event ring buffer (overrides config perf_rb_pages)
    BPFTRACE_STACK_MODE                 default kstack/ustack mode: bpftrace, perf or raw

EXAMPLES:
tsbpf -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'
    count openat() calls per process name
tsbpf -e 'kprobe:tcp_set_state < @[comm]++ >'
    the same in tsbpf's action form
`;

interface Options {
  program?: SourceFile;
  positionals: string[];
  format: 'text' | 'json';
  outputFile?: string;
  quiet: boolean;
  verify: boolean;
  dryRun: boolean;
  noCache: boolean;
  /** `--unsafe`: allow system() and signal(). */
  unsafe?: boolean;
  help: boolean;
  version: boolean;
  /** `-l [search]`: list probes ('' lists everything). */
  list?: string;
  /** `-v`: with -l, show probe arguments. */
  verbose?: boolean;
  /** `-p PID`: trace this process. */
  pid?: number;
  /** `-c CMD`: run CMD and trace it. */
  cmd?: string;
  /** `--no-warnings`: no compile warnings, warnf(), runtime or lost-event warnings. */
  noWarnings?: boolean;
  /** `-k` / `--warnings`: also report failed probe reads and map lookups at run time. */
  warnings?: boolean;
  /** `-B MODE`: how program output is buffered (default line). */
  buffering?: 'line' | 'full' | 'none';
  /** `-d STAGE` / `--emit STAGE`: compiler stages to print (src/contract/dump-stages.ts). */
  dump?: DumpStage[];
  /** `--emit`: print the stages to stdout and exit after compiling (bpftrace's --emit-llvm/--emit-elf); `-d` prints to stderr and runs. */
  emitOnly?: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { positionals: [], format: 'text', quiet: false, verify: false, dryRun: false, noCache: false, help: false, version: false };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs an argument`);
    return v;
  };
  let sawDashDash = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (sawDashDash || (o.program && !a.startsWith('-'))) {
      o.positionals.push(a);
      continue;
    }
    switch (a) {
      case '--':
        sawDashDash = true;
        break;
      case '-e':
        o.program = { name: 'stdin', text: value(a) };
        break;
      case '-f': {
        const f = value(a);
        if (f !== 'text' && f !== 'json') throw new UsageError(`invalid output format "${f}": valid formats are text and json`);
        o.format = f;
        break;
      }
      case '-o':
        o.outputFile = value(a);
        break;
      case '-q':
      case '--quiet':
        o.quiet = true;
        break;
      case '--verify':
        o.verify = true;
        break;
      case '--dry-run':
        o.dryRun = true;
        break;
      case '--unsafe':
        o.unsafe = true;
        break;
      case '--no-warnings':
        // bpftrace main.cpp: the two flags exclude each other, in either order.
        if (o.warnings) throw new UsageError('USAGE: -k, --warnings conflicts with --no-warnings');
        o.noWarnings = true;
        break;
      case '-k':
      case '--warnings':
        if (o.warnings) throw new UsageError('USAGE: -kk has been deprecated. Use a single -k for runtime warnings for errors in map lookups and probe reads.');
        if (o.noWarnings) throw new UsageError('USAGE: -k, --warnings conflicts with --no-warnings');
        o.warnings = true;
        break;
      case '-B': {
        const m = value(a);
        if (m !== 'line' && m !== 'full' && m !== 'none') throw new UsageError(`-B: invalid buffering mode "${m}" (line, full or none)`);
        o.buffering = m;
        break;
      }
      case '--no-cache':
        o.noCache = true;
        break;
      case '-d':
      case '--debug':
      case '--emit': {
        const parsed = parseDumpStages(value(a));
        if ('unknown' in parsed) throw new UsageError(`${a}: unknown stage "${parsed.unknown}" (${DUMP_STAGE_NAMES.join(', ')})`);
        o.dump = [...new Set([...(o.dump ?? []), ...parsed.stages])];
        if (a === '--emit') o.emitOnly = true;
        break;
      }
      case '-l':
      case '-lv':
      case '-vl': {
        if (a !== '-l') o.verbose = true;
        const next = argv[i + 1];
        o.list = next !== undefined && !next.startsWith('-') && !o.program ? (i++, next) : '';
        // As bpftrace: `-l FILE` lists the probes of the script FILE when it exists; `-l '*'` is everything.
        if (o.list !== '' && existsSync(o.list)) {
          o.program = { name: o.list, text: readScriptFile(o.list) };
          o.list = '';
        } else if (o.list === '*') o.list = '';
        break;
      }
      case '-v':
        o.verbose = true;
        break;
      case '-p': {
        const v = value(a);
        if (!/^\d+$/.test(v) || Number(v) <= 0 || Number(v) > 0x400000) throw new UsageError(`invalid pid: ${v}`);
        o.pid = Number(v);
        break;
      }
      case '-c':
        o.cmd = value(a);
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-V':
      case '--version':
        o.version = true;
        break;
      case '-':
        o.program = { name: 'stdin', text: readFileSync(0, 'utf8') };
        break;
      default:
        if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option: ${a}`);
        if (o.program) o.positionals.push(a);
        else o.program = { name: a, text: readScriptFile(a) };
    }
  }
  return o;
}

/**
 * Program output for `-B`: `line` and `none` hand every write to the stream at once (each
 * printf/print is at most a few lines, so that is line buffering); `full` collects up to 64 KiB
 * and writes when full or flushed (at exit).
 */
export function bufferedSink(write: (b: Buffer) => unknown, mode: 'line' | 'full' | 'none'): Sink & { flush(): void } {
  if (mode === 'none') return { write: (s: string) => write(encodeBytes(s)), flush: () => undefined };
  if (mode === 'line') return lineBufferedSink(write);
  const LIMIT = 64 * 1024;
  let parts: Buffer[] = [];
  let size = 0;
  const flush = (): void => {
    if (size === 0) return;
    write(Buffer.concat(parts, size));
    parts = [];
    size = 0;
  };
  return {
    write(s: string) {
      const b = encodeBytes(s);
      parts.push(b);
      size += b.length;
      if (size >= LIMIT) flush();
    },
    flush,
  };
}

/**
 * Line buffering at batch granularity: writes collect until the current task's microtasks run (for a
 * drained batch of events: right after the ring buffer callback returns) or flush() is called, so a
 * batch is one write() and no line waits for the next event.
 */
function lineBufferedSink(write: (b: Buffer) => unknown): Sink & { flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const s = pending;
    pending = '';
    write(encodeBytes(s));
  };
  return {
    write(s: string) {
      pending += s;
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    flush,
  };
}

function readScriptFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** stdout/stderr errors (EPIPE: the reader went away), watched from the start of main(). */
let stdio: ReturnType<typeof watchStdio> | undefined;

/** Runs the CLI; resolves with the process exit code. Never lets an exception reach the user. */
export async function main(argv: readonly string[]): Promise<number> {
  const stderr = process.stderr;
  stdio ??= watchStdio();
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`ERROR: ${e.message}\n`);
      stderr.write(USAGE);
      return 1;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.version) {
    process.stdout.write(`tsbpf v${VERSION}\n`);
    return 0;
  }
  if (opts.list !== undefined) {
    await ensureTracefs(() => undefined);
    if (opts.program) return listProgramProbes(opts, opts.program);
    const { runList } = await import('./list.js');
    return runList(opts.list, { verbose: opts.verbose === true, pid: opts.pid });
  }
  if (opts.pid !== undefined && opts.cmd !== undefined) {
    stderr.write('ERROR: -p and -c cannot be used together\n');
    return 1;
  }
  if (opts.pid !== undefined && !(await import('./target.js')).pidExists(opts.pid)) {
    stderr.write(`ERROR: pid '${opts.pid}' does not exist\n`);
    return 1;
  }
  if (!opts.program) {
    if (process.stdin.isTTY) {
      if (process.getuid?.() !== 0) {
        stderr.write('ERROR: tsbpf currently only supports running as the root user.\n');
        return 1;
      }
      // Loaded only here: -e runs and scripts never load the shell (or the parser it uses).
      const { createShell } = await import('./repl.js');
      const shell = await createShell({ stdin: process.stdin, stdout: process.stdout, stderr, noCache: opts.noCache, positionals: opts.positionals });
      return shell.closed;
    }
    opts.program = { name: 'stdin', text: readFileSync(0, 'utf8') };
  }
  if (process.getuid?.() !== 0) {
    stderr.write('ERROR: tsbpf currently only supports running as the root user.\n');
    return 1;
  }
  return run(opts, opts.program);
}

/** `-d`: each stage to stderr under a header; `--emit`: to stdout, bare when only one stage was asked for. */
function dumpRequest(opts: Options): { dump?: DumpStage[]; onDump?: (stage: string, text: string) => void } {
  if (!opts.dump?.length) return {};
  const to = opts.emitOnly ? process.stdout : process.stderr;
  const header = !opts.emitOnly || opts.dump.length > 1;
  return { dump: opts.dump, onDump: (stage, text) => to.write(`${header ? `${dumpHeader(stage as DumpStage)}\n` : ''}${text}${text.endsWith('\n') ? '' : '\n'}`) };
}

/** `-l` with `-e` or a script: the probes the program would attach, as bpftrace lists them. */
async function listProgramProbes(opts: Options, source: SourceFile): Promise<number> {
  const outcome = await listProgram({ source, positionals: opts.positionals, pid: opts.pid, verbose: opts.verbose === true });
  if (outcome.kind === 'diagnostics') {
    const { renderDiagnostics } = await import('../src/index.js');
    process.stderr.write(renderDiagnostics(outcome.diagnostics, source));
    return 1;
  }
  if (outcome.kind === 'internal-error') {
    process.stderr.write(`ERROR: internal compiler error: ${outcome.message}\n`);
    return 1;
  }
  if (outcome.lines.length) process.stdout.write(outcome.lines.join('\n') + '\n');
  return 0;
}

async function run(opts: Options, source: SourceFile): Promise<number> {
  const stderr = process.stderr;
  // -o FILE: opened (created or truncated) before anything is compiled or attached, as bpftrace does.
  let file: WriteStream | undefined;
  if (opts.outputFile !== undefined) {
    let fd: number;
    try {
      fd = openOutputFile(opts.outputFile);
    } catch (e) {
      if (!(e instanceof OutputFileError)) throw e;
      stderr.write(`ERROR: ${e.message}\n`);
      return 1;
    }
    file = createWriteStream('', { fd });
  }
  const io: RunOutput = { file };
  let code: number;
  try {
    code = await runHoldingChild(opts, source, io);
  } finally {
    // A stream that failed has closed its fd already (autoClose).
    if (file && !file.destroyed) await new Promise<void>((r) => file!.end(r));
    stdio?.set(undefined);
  }
  // Output failed mid-run: the probes are detached by now.
  if (io.failure?.kind === 'reader-gone') return dieOfSigpipe();
  if (io.failure) {
    stderr.write(`ERROR: ${io.failure.message}\n`);
    return 1;
  }
  return code;
}

/** The program's output for one run, and why it failed, if it did. */
interface RunOutput {
  readonly file: WriteStream | undefined;
  failure?: OutputFailure;
}

async function runHoldingChild(opts: Options, source: SourceFile, io: RunOutput): Promise<number> {
  const stderr = process.stderr;
  await ensureTracefs((msg) => {
    if (!opts.quiet) stderr.write(`${msg}\n`);
  });

  // -c: the child exists (held before it runs CMD) while the script compiles, so `cpid` and the
  // per-process attach know its pid.
  let child: HeldChild | undefined;
  if (opts.cmd !== undefined) {
    try {
      const { HeldChild } = await import('./target.js');
      child = new HeldChild(opts.cmd);
    } catch (e) {
      stderr.write(`ERROR: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const targetPid = child?.pid ?? opts.pid;
  try {
    return await runWithTarget(opts, source, targetPid, child, io);
  } finally {
    child?.abandon();
    child?.terminate();
  }
}

async function runWithTarget(opts: Options, source: SourceFile, targetPid: number | undefined, child: HeldChild | undefined, io: RunOutput): Promise<number> {
  const stderr = process.stderr;
  const runtime = loadRuntime();
  // Not awaited on the error paths below: a failed import is reported where it is awaited.
  runtime.catch(() => undefined);
  const outcome = await compile({ source, positionals: opts.positionals, noCache: opts.noCache, unsafe: opts.unsafe, pid: targetPid, cpid: child?.pid, warningLevel: opts.noWarnings ? 0 : opts.warnings ? 2 : 1, ...dumpRequest(opts) });
  if (outcome.kind === 'diagnostics') {
    const { renderDiagnostics } = await import('../src/index.js');
    stderr.write(renderDiagnostics(outcome.diagnostics, source));
    return 1;
  }
  if (outcome.kind === 'internal-error') {
    stderr.write(`ERROR: internal compiler error: ${outcome.message}\n`);
    return 1;
  }
  if (opts.emitOnly) return 0;
  const script = outcome.script;
  const { Session, RuntimeError, TextOutput, setRuntimeWarnings, loadProviders } = await runtime;
  if (!opts.noWarnings && script.warnings.length > 0) {
    const { renderDiagnostic } = await import('../src/index.js');
    for (const w of script.warnings) stderr.write(renderDiagnostic(w, source) + '\n');
  }
  setRuntimeWarnings(!opts.noWarnings);

  const rawOut: NodeJS.WritableStream = io.file ?? process.stdout;
  // An output failure (the reader of stdout went away, the disk is full) ends the run; nothing
  // more is written to the failed output.
  let stopOnFailure: (() => void) | undefined;
  const onFailure = (f: OutputFailure): void => {
    if (io.failure) return;
    io.failure = f;
    stopOnFailure?.();
  };
  io.file?.on('error', (e) => onFailure(outputFailureOf(e)));
  stdio?.set(onFailure);
  // Raw bytes of strings ("\xff", non-UTF-8 kernel strings) are written as bytes (src/contract/bytes.ts).
  const out: Sink = bufferedSink((b) => (io.failure ? undefined : rawOut.write(b)), opts.buffering ?? 'line');
  const color = Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'];
  // -p: loaded before the probes start, so nothing waits between attach and watching the process.
  const watchPid = opts.pid !== undefined ? (await import('./target.js')).watchPid : undefined;
  const outputOpts = { out, err: stderr, color };
  const output = opts.format === 'json' ? new (await import('./output/json.js')).JsonOutput(outputOpts) : new TextOutput(outputOpts);
  if (opts.noWarnings) {
    // bpftrace --no-warnings turns LOG(WARNING) off: warnf() and the lost-event total are warnings.
    output.warnf = () => undefined;
    output.totalLostEvents = () => undefined;
    output.totalRuntimeWarnings = () => undefined;
  }
  await loadProviders(script.programs);
  const session = new Session(script, {
    output,
    unsafe: opts.unsafe === true,
    onAttached(count) {
      if (!opts.quiet) output.attachedProbes(count);
      if (process.env['__BPFTRACE_NOTIFY_PROBES_ATTACHED'] !== undefined) stderr.write('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
    },
  });

  const onSignal = () => session.requestExit(0);
  stopOnFailure = () => session.requestExit(0);
  try {
    session.load();
    if (opts.verify) {
      if (!opts.quiet) stderr.write(`Verified ${script.programs.length} program${script.programs.length === 1 ? '' : 's'}\n`);
      return 0;
    }
    if (opts.dryRun) {
      const n = session.attachOnly();
      if (!opts.quiet) output.attachedProbes(n);
      return 0;
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    session.start();
    if (io.failure) session.requestExit(0);
    // -c: the command runs once every probe is attached; tsbpf ends when it ends (or -p's process does).
    child?.release();
    child?.onExit(() => session.requestExit(0));
    const stopWatch = opts.pid !== undefined ? watchPid!(opts.pid, () => session.requestExit(0)) : undefined;
    void session.waitForExit().then(() => stopWatch?.());
    // A script with only BEGIN/END probes ends after BEGIN, as bpftrace's does.
    if (script.programs.every((p) => p.probe.attach.kind === 'special')) session.requestExit(0);
    const code = await session.waitForExit();
    session.finish(true);
    return code;
  } catch (e) {
    if (e instanceof RuntimeError) {
      stderr.write(`ERROR: ${e.message}\n`);
      if (e.hint) stderr.write(`HINT: ${e.hint}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    session.dispose();
  }
}
