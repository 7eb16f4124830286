import { closeSync, existsSync, readFileSync, createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { DUMP_STAGE_NAMES, dumpHeader, encodeBytes, parseDumpStages, type CompiledMap, type CompiledProgram, type CompiledScript, type DumpStage, type SourceFile } from '../src/contract/index.js';
import { compile, listProgram } from './compile/compiler.js';
import { readScriptText } from './compile/script-file.js';
import { parseExportAddress, type ExportAddress } from './export/address.js';
import { compileFailureText } from './compile/compile-failure.js';
import { helpText, NO_FEATURES, unusedEnvNotes, valueOptions } from './cli-flags.js';
import { benchmarkResultsJson, testResultsJson } from './output/run-reports-json.js';
import type { Sink } from './output/output.js';
import type { MapDump } from './output/value.js';
import { tracefsRoot } from '../src/index.js';
import { dieOfSigpipe, openOutputFile, OutputFileError, outputFailureOf, watchStdio, type OutputFailure } from './output/output-errors.js';
// Loaded where needed (-l, -p/-c, diagnostics, -f json): a cache-hit run loads as few modules as
// possible (start-up time, design.md "Targets").
import type { HeldChild } from './session/target.js';
import type { Session } from './session/session.js';
import { startupMark } from './compile/startup-trace.js';

/**
 * The tracing runtime (session, output, providers), imported while the script compiles: before a
 * cache miss's compile worker starts, this process loads only the CLI and runtime/compile/compiler.ts.
 */
function loadRuntime() {
  return Promise.all([import('./session/session.js'), import('./session/run.js'), import('./output/text.js'), import('./session/lib-events.js')]).then(
    ([session, run, text, libEvents]) => ({ ...session, ...run, TextOutput: text.TextOutput, setRuntimeWarnings: libEvents.setRuntimeWarnings }),
  );
}

/** Mount tracefs when it is missing (session.ts `ensureTracefs`, loaded only then). */
async function ensureTracefs(notice: (msg: string) => void): Promise<void> {
  if (!tracefsRoot()) (await import('./session/session.js')).ensureTracefs(notice);
}

export const VERSION = '0.1.0';


interface Options {
  program?: SourceFile;
  positionals: string[];
  format: 'text' | 'json' | 'folded';
  outputFile?: string;
  /** `--flamegraph FILE`: an SVG flame graph of the maps keyed by stacks, written at exit. */
  flameGraphFile?: string;
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
  /** `--probe-filter REGEX`: attach only the probes whose name matches (BEGIN/END always). */
  probeFilter?: RegExp;
  /** `--traceable-functions FILE`: the kernel functions kprobes may use, instead of the kernel's list. */
  traceableFunctions?: string;
  /** `--no-feature`: link kinds not to use (only uprobe_multi changes anything in tsbpf). */
  noFeatures?: string[];
  /** `--info`: print what this kernel and build support, then exit. */
  info?: boolean;
  /** `--export [HOST]:PORT`: serve the maps for Prometheus (runtime/export/). */
  export?: ExportAddress;
  /** `--complete PREV CUR`: print the completions of CUR (the shell completion scripts). */
  complete?: { prev: string; cur: string };
  /** `--test`: run the test: probes (and BEGIN), report which passed, attach nothing. */
  test?: boolean;
  /** `--bench`: run the bench: probes (and BEGIN), print their timings, attach nothing. */
  bench?: boolean;
  /** `-d verifier` (bpftrace's stage): print every program's whole verifier log. */
  verifierLog?: boolean;
  /** `--emit-elf FILE`: write the BPF ELF object to FILE and exit without loading (bpftrace's dry run). */
  emitElf?: string;
  /** `--emit-llvm FILE`: write the LLVM IR to FILE.original.ll and FILE.optimized.ll, then run. */
  emitLlvm?: string;
}

/** A command-line mistake: one `ERROR:` line, then (unless bpftrace prints none) a pointer to the usage. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly withHint = true,
  ) {
    super(message);
  }
}

/** Every spelling of an option that takes a value, mapped to its canonical name (runtime/cli-flags.ts). */
const VALUE_OPTIONS: Readonly<Record<string, string>> = valueOptions();

/** bpftrace options tsbpf does not have, each refused in one line saying why. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  '--dwarf-pid': '--dwarf-pid is not supported: tsbpf has no DWARF unwinder (dw_ustack)',
  '--mode': '--mode is not supported: use --test or --bench (tsbpf has no codegen or format modes)',
  '--fmt': '--fmt is not supported: tsbpf has no script formatter',
  '--aot': '--aot is not supported: tsbpf compiles ahead of time into its compile cache instead',
};


/**
 * `-p PID` as bpftrace parses it (util::to_uint: decimal, 0x, 0b, leading-0 octal, `_` separators),
 * with its messages.
 */
export function parsePid(text: string): number {
  const n = text.replace(/_/g, '');
  const m = /^0[xX]([0-9a-fA-F]+)$/.exec(n) ?? /^0[bB]([01]+)$/.exec(n) ?? /^0([0-7]+)$/.exec(n) ?? /^([0-9]+)$/.exec(n);
  if (!m) throw new UsageError(`Failed to parse pid: invalid integer: ${text}`, false);
  const base = /^0[xX]/.test(n) ? 16 : /^0[bB]/.test(n) ? 2 : /^0[0-7]/.test(n) ? 8 : 10;
  const v = parseInt(m[1]!, base);
  if (v > 0x400000) throw new UsageError(`Pid out of range: ${v}`, false);
  return v;
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { positionals: [], format: 'text', quiet: false, verify: false, dryRun: false, noCache: false, help: false, version: false };
  let i = 0;
  let inline: string | undefined;
  const value = (flag: string): string => {
    if (inline !== undefined) return inline;
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option '${flag}' requires an argument`);
    return v;
  };
  let sawDashDash = false;
  for (; i < argv.length; i++) {
    let a = argv[i]!;
    if (sawDashDash || (o.program && !a.startsWith('-'))) {
      o.positionals.push(a);
      continue;
    }
    // Named program parameters (`--aa=20`) come after `--` only, as in bpftrace.
    inline = undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0 && VALUE_OPTIONS[a.slice(0, eq)]) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else if (/^-[a-zA-Z]./.test(a) && VALUE_OPTIONS[a.slice(0, 2)]) {
      inline = a.slice(2);
      a = a.slice(0, 2);
    }
    switch (VALUE_OPTIONS[a] ?? a) {
      case '--':
        sawDashDash = true;
        break;
      case '-e':
        o.program = { name: 'stdin', text: value(a) };
        break;
      case '-f': {
        const f = value(a);
        if (f !== 'text' && f !== 'json' && f !== 'folded') throw new UsageError(`invalid output format "${f}": valid formats are text, json and folded`);
        o.format = f;
        break;
      }
      case '-o':
        o.outputFile = value(a);
        break;
      case '--flamegraph':
        o.flameGraphFile = value(a);
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
        if (o.warnings) throw new UsageError('USAGE: -k, --warnings conflicts with --no-warnings', false);
        o.noWarnings = true;
        break;
      case '-k':
      case '--warnings':
        if (o.warnings) throw new UsageError('USAGE: -kk has been deprecated. Use a single -k for runtime warnings for errors in map lookups and probe reads.', false);
        if (o.noWarnings) throw new UsageError('USAGE: -k, --warnings conflicts with --no-warnings', false);
        o.warnings = true;
        break;
      case '-B': {
        const m = value(a);
        if (m !== 'line' && m !== 'full' && m !== 'none') throw new UsageError(`USAGE: -B must be either 'line', 'full', or 'none'.`, false);
        o.buffering = m;
        break;
      }
      case '--no-cache':
        o.noCache = true;
        break;
      case '-d':
      case '--emit': {
        const names = value(a).split(',');
        // `verifier` is a load-time stage (the session prints it), not a compiler one.
        if (a === '-d' && names.includes('verifier')) o.verifierLog = true;
        const rest = names.filter((n) => a !== '-d' || n !== 'verifier').join(',');
        const parsed = parseDumpStages(rest);
        if ('unknown' in parsed) throw new UsageError(`${a}: unknown stage "${parsed.unknown}" (${DUMP_STAGE_NAMES.join(', ')})`);
        o.dump = [...new Set([...(o.dump ?? []), ...parsed.stages])];
        if (a === '--emit') o.emitOnly = true;
        break;
      }
      case '-l':
      case '--list':
      case '-lv':
      case '-vl': {
        if (a === '-lv' || a === '-vl') o.verbose = true;
        const next = argv[i + 1];
        o.list = next !== undefined && !next.startsWith('-') && !o.program ? (i++, next) : '';
        // As bpftrace: `-l FILE` lists the probes of the script FILE when it exists; `-l '*'` is everything.
        if (o.list !== '' && existsSync(o.list)) {
          o.program = { name: o.list, text: readScriptFile(o.list) };
          o.list = '';
        } else if (o.list === '*') o.list = '';
        else if (/\.(bt|tbpf)$/.test(o.list) && !o.list.includes(':')) {
          // bpftrace would search for probes named so and list nothing, silently: a missing script
          // is an error here, as it is when running it.
          throw new UsageError(`cannot read ${o.list}: no such file`, false);
        }
        break;
      }
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '-p':
        o.pid = parsePid(value(a));
        break;
      case '-c':
        o.cmd = value(a);
        break;
      case '-I':
        // tsbpf has no C preprocessor: `#include` lines are not read, so include paths change nothing.
        value(a);
        break;
      case '--include':
        // As -I: no C preprocessor, so the header adds nothing (struct types come from BTF).
        value(a);
        break;
      case '--no-feature':
        for (const f of value(a).split(',')) {
          if (!(NO_FEATURES as readonly string[]).includes(f)) throw new UsageError(`USAGE: --no-feature can only have values '${NO_FEATURES.join(',')}'.`, false);
          o.noFeatures = [...(o.noFeatures ?? []), f];
        }
        break;
      case '--probe-filter': {
        const re = value(a);
        try {
          o.probeFilter = new RegExp(re);
        } catch (e) {
          throw new UsageError(`Invalid --probe-filter regex '${re}': ${(e as Error).message}`, false);
        }
        break;
      }
      case '--usdt-file-activation':
        // Semaphores are counted by the kernel for every process mapping the file (uprobe
        // ref_ctr_offset), which is file activation already.
        break;
      case '--traceable-functions':
        o.traceableFunctions = value(a);
        break;
      case '--debuginfo':
        // tsbpf reads no DWARF: the search path is accepted and unused.
        value(a);
        break;
      case '--info':
        o.info = true;
        break;
      case '--export': {
        const text = value(a);
        try {
          o.export = parseExportAddress(text);
        } catch (e) {
          throw new UsageError(`--export: ${(e as Error).message}`, false);
        }
        break;
      }
      case '--emit-elf':
        o.emitElf = value(a);
        break;
      case '--emit-llvm':
        o.emitLlvm = value(a);
        break;
      case '--verify-llvm-ir':
        // Every module's IR goes through LLVM's verifier before it is optimised (native/src/llvm_emit.cc).
        break;
      case '--dwarf-pid':
      case '--mode':
      case '--fmt':
      case '--aot':
        throw new UsageError(REFUSED_OPTIONS[a]!, false);
      case '--test':
        o.test = true;
        break;
      case '--bench':
        o.bench = true;
        break;
      case '-b':
      case '--btf':
        // bpftrace accepts and ignores it (BTF is always used).
        break;
      case '--complete':
        // `--complete PREV CUR`: the rest of the line is the words to complete, never flags.
        o.complete = { prev: value(a), cur: argv[i + 1] ?? '' };
        i = argv.length;
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
        if (a.startsWith('-') && a.length > 1) throw new UsageError(a.startsWith('--') ? `unrecognized option '${a}'` : `invalid option -- '${a.slice(1)}'`);
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

/**
 * From the exit print on, a write to a stdout pipe waits for the reader, as one to a terminal
 * already does: the print runs to its end before the event loop turns again, so on a non-blocking
 * pipe every chunk the reader had not taken yet would stay queued (its buffer and write request)
 * until then: the whole text of a map of a million keys, for a slow reader. The order of writes is
 * kept (libuv writes nothing directly while earlier writes are queued).
 */
function blockingStdoutPipe(): void {
  const stdout = process.stdout as NodeJS.WriteStream & { _type?: string; _handle?: { setBlocking?: (blocking: boolean) => number } };
  if (stdout._type === 'pipe') stdout._handle?.setBlocking?.(true);
}

function readScriptFile(path: string): string {
  try {
    return readScriptText(path, (line) => process.stderr.write(`${line}\n`));
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** stdout/stderr errors (EPIPE: the reader went away), watched from the start of main(). */
let stdio: ReturnType<typeof watchStdio> | undefined;

/** Runs the CLI; resolves with the process exit code. Never lets an exception reach the user. */
export async function main(argv: readonly string[]): Promise<number> {
  startupMark('cli-loaded');
  const stderr = process.stderr;
  stdio ??= watchStdio();
  // Node makes process.stdout and stderr on first use: for a pipe, a net.Socket (node:net loaded).
  startupMark('stdio');
  // `tsbpf top ...`: the BPF program monitor, with its own options (runtime/top/top.ts).
  if (argv[0] === 'top') return (await import('./top/top.js')).runTop(argv.slice(1));
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`ERROR: ${e.message}\n`);
      if (e.withHint) stderr.write(`USAGE: tsbpf [options] filename | tsbpf [options] -e 'program' (tsbpf --help lists the options)\n`);
      return 1;
    }
    throw e;
  }
  startupMark('args');
  if (opts.complete) {
    const { completeCli } = await import('./cli-complete.js');
    const words = await completeCli(opts.complete.prev, opts.complete.cur);
    if (words.length) process.stdout.write(words.join('\n') + '\n');
    return 0;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (opts.version) {
    process.stdout.write(`tsbpf v${VERSION}\n`);
    return 0;
  }
  // As bpftrace: listing and --info need the privileges a run needs (they read tracefs, BTF, kallsyms).
  if ((opts.info || opts.list !== undefined) && process.getuid?.() !== 0) {
    stderr.write('ERROR: tsbpf currently only supports running as the root user.\n');
    return 1;
  }
  if (opts.info) {
    process.stdout.write((await import('./info.js')).systemInfo(VERSION));
    return 0;
  }
  // Read by the compile worker (src/passes/multi-link.ts) and part of the compile cache key.
  if (opts.noFeatures) process.env['TSBPF_NO_FEATURES'] = opts.noFeatures.join(',');
  if (opts.verbose) for (const note of unusedEnvNotes()) stderr.write(`${note}\n`);
  if (opts.traceableFunctions !== undefined) {
    if (!existsSync(opts.traceableFunctions)) {
      stderr.write(`ERROR: --traceable-functions: cannot read ${opts.traceableFunctions}: no such file\n`);
      return 1;
    }
    // Read by the kprobe provider in the compile worker (src/providers/kprobe.ts); the compile
    // cache keys on the path only, so the file's content bypasses the cache.
    process.env['TSBPF_TRACEABLE_FUNCTIONS'] = opts.traceableFunctions;
    opts.noCache = true;
  }
  if (opts.list !== undefined) {
    await ensureTracefs(() => undefined);
    if (opts.program) return listProgramProbes(opts, opts.program);
    const { runList } = await import('./list.js');
    return runList(opts.list, { verbose: opts.verbose === true, pid: opts.pid });
  }
  if (opts.pid !== undefined && opts.cmd !== undefined) {
    stderr.write('ERROR: USAGE: Cannot use both -c and -p.\n');
    return 1;
  }
  if (opts.pid !== undefined && !(await import('./session/target.js')).pidExists(opts.pid)) {
    // bpftrace: pidfd_open's failure, with strerror.
    stderr.write(`ERROR: Failed to attach to pid: Unable to open pidfd (${opts.pid === 0 ? 'Invalid argument' : 'No such process'})\n`);
    return 1;
  }
  if (!opts.program) {
    if (process.stdin.isTTY) {
      if (process.getuid?.() !== 0) {
        stderr.write('ERROR: tsbpf currently only supports running as the root user.\n');
        return 1;
      }
      // Loaded only here: -e runs and scripts never load the shell (or the parser it uses).
      const { Shell } = await import('./shell/shell.js');
      const shell = await Shell.start({ stdin: process.stdin, stdout: process.stdout, stderr, noCache: opts.noCache, positionals: opts.positionals });
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
/** --emit-elf/--emit-llvm files that could not be written: reported once the compile returns. */
const emitFailures: string[] = [];

function writeEmitted(file: string, data: string | Buffer): void {
  try {
    writeFileSync(file, data);
  } catch (e) {
    emitFailures.push(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function dumpRequest(opts: Options): { dump?: DumpStage[]; onDump?: (stage: string, text: string) => void; elf?: boolean; onElf?: (object: Buffer) => void } {
  // --emit-elf FILE: the object, written as it arrives (the run stops after the compile).
  const elf = opts.emitElf !== undefined ? { elf: true, onElf: (object: Buffer) => writeEmitted(opts.emitElf!, object) } : {};
  // --emit-llvm FILE: the LLVM stages, to FILE.original.ll and FILE.optimized.ll (as bpftrace names them).
  const llvmFiles: Partial<Record<DumpStage, string>> = opts.emitLlvm !== undefined ? { codegen: `${opts.emitLlvm}.original.ll`, 'codegen-opt': `${opts.emitLlvm}.optimized.ll` } : {};
  const shown = opts.dump ?? [];
  const stages = [...new Set([...shown, ...(Object.keys(llvmFiles) as DumpStage[])])];
  if (!stages.length) return elf;
  const to = opts.emitOnly ? process.stdout : process.stderr;
  const header = !opts.emitOnly || shown.length > 1;
  return {
    ...elf,
    dump: stages,
    onDump: (stage, text) => {
      const file = llvmFiles[stage as DumpStage];
      if (file) writeEmitted(file, text);
      if (shown.includes(stage as DumpStage)) to.write(`${header ? `${dumpHeader(stage as DumpStage)}\n` : ''}${text}${text.endsWith('\n') ? '' : '\n'}`);
    },
  };
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
  // --flamegraph FILE: opened now too, so a path that cannot be written fails before tracing.
  if (opts.flameGraphFile !== undefined) {
    try {
      io.flameGraphFd = openOutputFile(opts.flameGraphFile);
    } catch (e) {
      if (!(e instanceof OutputFileError)) throw e;
      file?.destroy();
      stderr.write(`ERROR: --flamegraph: ${e.message}\n`);
      return 1;
    }
  }
  let code: number;
  try {
    code = await runHoldingChild(opts, source, io);
  } finally {
    if (io.flameGraphFd !== undefined) closeSync(io.flameGraphFd);
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

/**
 * `--probe-filter REGEX`: the script with only the probes whose name the regular expression
 * finds (bpftrace's regex_search); BEGIN and END always stay. Undefined when no probe is left.
 */
/** bench: probes run only with --bench (and then nothing but BEGIN runs with them); undefined when nothing else is left. */
function withoutBenchProbes(script: CompiledScript, bench: boolean, test: boolean): CompiledScript | undefined {
  const programs = script.programs.filter((p) => p.probe.attach.kind !== 'run' || (p.probe.attach.mode === 'bench' ? bench : test));
  if (programs.length === script.programs.length) return script;
  return programs.length ? { ...script, programs } : undefined;
}

/** bpftrace's --test report (output/text.cpp test_result), its ANSI colours included. */
function testReport(results: readonly { name: string; durationNs: number; passed: boolean; text: string }[]): string {
  const green = (s: string): string => `\x1b[32m${s}\x1b[0m`;
  const red = (s: string): string => `\x1b[31m${s}\x1b[0m`;
  const plural = (n: number): string => (n === 1 ? 'test' : 'tests');
  const duration = (ns: number): string => (ns >= 1e9 ? `${Math.floor(ns / 1e9)} s` : ns >= 1e6 ? `${Math.floor(ns / 1e6)} ms` : ns >= 1e3 ? `${Math.floor(ns / 1e3)} us` : `${ns} ns`);
  const lines: string[] = [`${green('[==========]')} Running ${results.length} ${plural(results.length)}.`];
  for (const r of results) {
    lines.push(`${green('[ RUN      ]')} ${r.name}`);
    // A passing test's output is suppressed; a failing one's is shown between RUN and FAILED.
    if (!r.passed) lines.push(...r.text.split('\n').filter((l) => l !== ''));
    lines.push(`${r.passed ? green('[       OK ]') : red('[  FAILED  ]')} ${r.name} (${duration(r.durationNs)})`);
  }
  const failed = results.filter((r) => !r.passed);
  lines.push(`${green('[==========]')} ${results.length} ${plural(results.length)} ran.`);
  lines.push(`${green('[  PASSED  ]')} ${results.length - failed.length} ${plural(results.length - failed.length)}.`);
  if (failed.length > 0) {
    lines.push(`${red('[  FAILED  ]')} ${failed.length} ${plural(failed.length)}, listed below:`);
    for (const r of failed) lines.push(`${red('[  FAILED  ]')} ${r.name}`);
  }
  return lines.join('\n') + '\n';
}

/** bpftrace's --bench table (output/text.cpp benchmark_result): name, average ns, iterations. */
function benchmarkTable(rows: readonly { name: string; averageNs: number; iterations: number }[]): string {
  const nameWidth = Math.max(40, ...rows.map((r) => r.name.length)) + 1;
  const head = `${'Benchmark'.padEnd(nameWidth)}${'Time(ns)'.padEnd(15)}Iterations\n${'-'.repeat(nameWidth + 15 + 'Iterations'.length)}\n`;
  return head + rows.map((r) => `${r.name.padEnd(nameWidth)}${String(r.averageNs).padEnd(15)}${r.iterations}\n`).join('');
}

function filterProbes(script: CompiledScript, re: RegExp): CompiledScript | undefined {
  const programs = script.programs.filter((p) => p.probe.attach.kind === 'special' || re.test(p.probe.name));
  const traced = (ps: readonly CompiledProgram[]): boolean => ps.some((p) => p.probe.attach.kind !== 'special');
  if (traced(script.programs) && !traced(programs)) return undefined;
  return { ...script, programs };
}

/** `--flamegraph FILE` at exit: the SVG of the maps keyed by stacks, and one line saying what it holds. */
async function writeFlameGraph(fd: number, opts: Options, dumps: MapDump[]): Promise<void> {
  const { mapsFlameGraph } = await import('./output/flamegraph.js');
  const graph = mapsFlameGraph(dumps);
  writeFileSync(fd, graph.svg);
  if (graph.samples === 0n) process.stderr.write(`WARNING: --flamegraph: no map keyed by a stack (e.g. @[ustack] = count()) has samples; ${opts.flameGraphFile} is an empty graph\n`);
  else if (!opts.quiet) process.stderr.write(`Flame graph of ${graph.maps.join(', ')} (${graph.samples} sample${graph.samples === 1n ? '' : 's'}) written to ${opts.flameGraphFile}\n`);
}

/** A compiled program's instruction count (8-byte `struct bpf_insn`s), for -v. */
function programSize(p: CompiledProgram): number {
  return Buffer.from(p.insns, 'base64').length / 8;
}

/** The program's output for one run, and why it failed, if it did. */
interface RunOutput {
  readonly file: WriteStream | undefined;
  /** `--flamegraph FILE`, open for writing. */
  flameGraphFd?: number;
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
      const { HeldChild } = await import('./session/target.js');
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
  if (outcome.kind !== 'ok') {
    stderr.write(compileFailureText(outcome, source));
    return 1;
  }
  if (emitFailures.length) {
    for (const f of emitFailures.splice(0)) stderr.write(`ERROR: ${f}\n`);
    return 1;
  }
  if (opts.emitOnly || opts.emitElf !== undefined) return 0;
  const compiled = withoutBenchProbes(outcome.script, opts.bench === true, opts.test === true);
  if (!compiled) {
    const tests = outcome.script.programs.some((p) => p.probe.attach.kind === 'run' && p.probe.attach.mode === 'test');
    stderr.write(`ERROR: No probes attached; use ${tests ? '--test to run test' : '--bench to run benchmark'} probes.\n`);
    return 1;
  }
  const script = opts.probeFilter ? filterProbes(compiled, opts.probeFilter) : compiled;
  if (!script) {
    stderr.write(`ERROR: No probes to attach: none matches --probe-filter '${opts.probeFilter!.source}'\n`);
    return 1;
  }
  startupMark('compiled');
  const { openSession, beginRun, RuntimeError, runtimeErrorText, TextOutput, setRuntimeWarnings } = await runtime;
  startupMark('runtime-loaded');
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
  // BPFTRACE_COLOR=always|never|auto (bpftrace's log colouring); NO_COLOR wins.
  const colorSetting = process.env['BPFTRACE_COLOR'];
  const color = !process.env['NO_COLOR'] && (colorSetting === 'always' || (colorSetting !== 'never' && Boolean(process.stderr.isTTY)));
  // -p: loaded before the probes start, so nothing waits between attach and watching the process.
  const watchPid = opts.pid !== undefined ? (await import('./session/target.js')).watchPid : undefined;
  const outputOpts = { out, err: stderr, color };
  const output =
    opts.format === 'json' ? new (await import('./output/json.js')).JsonOutput(outputOpts) : opts.format === 'folded' ? new (await import('./output/folded-output.js')).FoldedOutput(outputOpts) : new TextOutput(outputOpts);
  if (opts.noWarnings) {
    // bpftrace --no-warnings turns LOG(WARNING) off: warnf() and the lost-event total are warnings.
    output.warnf = () => undefined;
    output.totalLostEvents = () => undefined;
    output.totalRuntimeWarnings = () => undefined;
  }
  const session = await openSession(script, {
    output,
    unsafe: opts.unsafe === true,
    // -v: each program as it passes the verifier, with the kernel's statistics line.
    ...(opts.verbose
      ? {
          onVerified: (p: CompiledProgram, stats: string, id: number) => stderr.write(`load ${p.probe.name}: ${programSize(p)} instructions: ${stats || 'verified'}\nProgram ID: ${id}\n`),
          onMapCreated: (m: CompiledMap, id: number) => stderr.write(`Map ID: ${id} (${m.name})\n`),
        }
      : {}),
    // -d verifier: every program's log; -v: a refused program's log (bpftrace: log level 1 in verbose mode).
    ...(opts.verifierLog || opts.verbose
      ? { onVerifierLog: (p: CompiledProgram, log: string) => stderr.write(`BPF verifier log for ${p.probe.name}:\n--------------------------------------\n${log.trimEnd()}\n`), fullVerifierLog: opts.verifierLog === true }
      : {}),
    onAttached(count) {
      if (!opts.quiet) output.attachedProbes(count);
      if (process.env['__BPFTRACE_NOTIFY_PROBES_ATTACHED'] !== undefined) stderr.write('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
    },
  });

  // The first Ctrl-C (or SIGTERM) ends the run: detach, END, print the maps. Our handlers stay
  // until then, as bpftrace's (run_bpftrace.cpp drops its handler only after the maps are
  // printed): a second signal is not the end of the output. `timeout -s INT` sends its signal
  // twice (to the process, then to its process group); with the default action back after the
  // first, the second one killed tsbpf before it printed anything.
  const onSignal = (): void => session.requestExit(0);
  startupMark('session-created');
  stopOnFailure = () => session.requestExit(0);
  let exporter: { close(): Promise<void> } | undefined;
  try {
    if (opts.export && !opts.verify && !opts.dryRun) {
      // Listening first: a taken port fails the run before anything is loaded.
      const { startExporter, ExportListenError } = await import('./export/server.js');
      try {
        const warn = (m: string): void => void (opts.noWarnings || stderr.write(`WARNING: ${m}\n`));
        const started = await startExporter({ address: opts.export, readMaps: () => session.snapshotMaps(), maxSeries: () => script.exportMaxSeries, warn });
        exporter = started;
        if (!opts.quiet) stderr.write(`Serving the maps at ${started.url}\n`);
      } catch (e) {
        if (!(e instanceof ExportListenError)) throw e;
        stderr.write(`ERROR: ${e.message}\n`);
        return 1;
      }
    }
    session.load();
    startupMark('loaded');
    if (opts.test) {
      const results = session.runTests((sink) => new TextOutput({ out: sink, err: sink, color: false }));
      out.write(opts.format === 'json' ? testResultsJson(results) : testReport(results));
      output.flush();
      return results.every((r) => r.passed) ? 0 : 1;
    }
    if (opts.bench) {
      const rows = session.runBenchmarks();
      out.write(opts.format === 'json' ? benchmarkResultsJson(rows) : benchmarkTable(rows));
      output.flush();
      return 0;
    }
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
    beginRun(session);
    startupMark('begun');
    if (io.failure) session.requestExit(0);
    // -c: the command runs once every probe is attached; tsbpf ends when it ends (or -p's process does).
    child?.release();
    child?.onExit(() => session.requestExit(0));
    const stopWatch = opts.pid !== undefined ? watchPid!(opts.pid, () => session.requestExit(0)) : undefined;
    void session.waitForExit().then(() => stopWatch?.());
    const code = await session.waitForExit();
    if (rawOut === process.stdout) blockingStdoutPipe();
    startupMark('exit-requested');
    await session.finish(script.printMapsOnExit !== false);
    if (io.flameGraphFd !== undefined) await writeFlameGraph(io.flameGraphFd, opts, script.maps.filter((m) => m.spec !== undefined).map((m) => session.dumpMap(m)));
    return code;
  } catch (e) {
    if (e instanceof RuntimeError) {
      stderr.write(runtimeErrorText(e));
      return 1;
    }
    throw e;
  } finally {
    // The release's signal listeners go on before onSignal comes off: node restores SIGINT's
    // default action (death) while no listener is left, even for a moment.
    const leaving = leaveOnSignal();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await exporter?.close();
    session.dispose();
    startupMark('disposed');
    await awaitRelease(session, leaving, opts.quiet === true ? undefined : stderr);
    startupMark('released');
  }
}

/** A promise a SIGINT or SIGTERM settles, with the listeners' removal. */
function leaveOnSignal(): { readonly left: Promise<void>; readonly stop: () => void } {
  let leave = (): void => undefined;
  const left = new Promise<void>((resolve) => (leave = resolve));
  process.on('SIGINT', leave);
  process.on('SIGTERM', leave);
  return {
    left,
    stop: () => {
      process.off('SIGINT', leave);
      process.off('SIGTERM', leave);
    },
  };
}

/**
 * Ends only when the kernel has released every probe (nothing is left attached after tsbpf exits).
 * Hundreds of probes take it seconds (runtime/session/detach.ts): the maps are printed by then, a
 * terminal is told why it waits, and a second Ctrl-C (or SIGTERM) leaves the rest of the release
 * to the background child and ends at once, as bpftrace's second Ctrl-C does.
 */
async function awaitRelease(session: Session, leaving: ReturnType<typeof leaveOnSignal>, tty: NodeJS.WriteStream | undefined): Promise<void> {
  const told = setTimeout(() => tty?.isTTY && tty.write('Detaching probes (the kernel releases each slowly; Ctrl-C again leaves that to the background)...\n'), 500);
  try {
    await Promise.race([session.released(), leaving.left]);
  } finally {
    clearTimeout(told);
    leaving.stop();
  }
}
