import { closeSync, existsSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { bpf, isNativeError, type RingbufHandle } from '../../native/index.js';
import { AttachType, HELPER_ERROR_MAP, STOPPED_MAP, isPerCpuMapType, probeCount, isScalarArrayMap, isScalarIntArrayMap, recordLayout, SCALAR_SET_FLAG_OFFSET, tseriesKeyLayout, type CompiledMap, type MapKind, type CompiledProgram, type CompiledScript, type EventSpec } from '../../src/contract/index.js';
// src/index.ts loads only small modules; each provider's attach code loads on demand (loadProviders).
import { AttachError, loadedProvider, tracefsRoot, type Attachment, type KernelOps } from '../../src/index.js';
import { formatPrintf, type FormatArg } from '../output/printf.js';
import { deleteAllBatched, readMap, slabOf, slabOffset, zeroAllBatched, type Fold } from './map-read.js';
import { decodeKey, decodeMapValue, decodeValue, type MapLayout } from './decode.js';
import { collectTseries, tseriesParams } from '../output/tseries.js';
import { verifierHint, verifierReason } from './verifier-hints.js';
import { handleLibraryEvent } from './lib-events.js';
import { initHelperErrorMap, readHelperErrorCounters, type HelperErrorSource } from './helper-error-counters.js';
import { WarningLimiter } from './warning-limiter.js';
import { RichValues } from '../output/rich-values.js';
import { compareMapNames } from '../output/format-map.js';
import { subprogLoadOptions } from './subprogs.js';
import type { Output, PrintfCall } from '../output/output.js';
import { strftime } from '../output/strftime.js';
import { printfRenderer, type RecordRenderer } from './event-format.js';
import { unsafeUses } from './unsafe-uses.js';
import { closeAttachments, closeInThreads, releaseAttachments } from './detach.js';
import { startupMark } from '../compile/startup-trace.js';
import { dumpSource, mapDumpOf, type MapDump, type MapSource, type MapValue, type Value } from '../output/value.js';

/** Where a run failed: loading a program (the verifier), attaching it, or elsewhere. */
export type RuntimeErrorPhase = 'load' | 'attach' | 'other';

/** A failure the user must see as one clear line (and maybe a hint); never a stack trace. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly program?: CompiledProgram,
    override readonly cause?: unknown,
    readonly phase: RuntimeErrorPhase = 'other',
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** A run's failure as the CLI and the shell print it: `ERROR: message`, then `HINT: hint`. */
export function runtimeErrorText(e: unknown): string {
  if (e instanceof RuntimeError) return `ERROR: ${e.message}\n${e.hint ? `HINT: ${e.hint}\n` : ''}`;
  return `ERROR: ${(e as Error).message ?? String(e)}\n`;
}

interface LoadedProgram {
  readonly compiled: CompiledProgram;
  readonly fd: number;
  attachment?: Attachment;
}

const PROG_LICENSE = 'GPL';

/** The kernel operations providers use to attach, backed by the native addon. */
export const kernelOps: KernelOps = {
  perfEventOpen: (attr, pid, cpu) => bpf.perfEventOpen(attr, pid, cpu, -1, 0),
  perfEventSetBpf: (perfFd, progFd) => bpf.perfEventSetBpf(perfFd, progFd),
  rawTracepointOpen: (name, progFd) => bpf.rawTracepointOpen(name, progFd),
  close: (fd) => bpf.close(fd),
  onlineCpus: () => bpf.onlineCpus(),
  tracepointId(category, event) {
    const root = tracefsRoot();
    if (!root) throw new Error('tracefs is not mounted');
    return Number(readFileSync(join(root, 'events', category, event, 'id'), 'utf8').trim());
  },
  kprobePmuType() {
    const f = '/sys/bus/event_source/devices/kprobe/type';
    return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
  },
  pmuType(name) {
    const f = `/sys/bus/event_source/devices/${name}/type`;
    return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
  },
  linkCreate: (progFd, targetFd, attachType, flags) => bpf.linkCreate(progFd, targetFd, attachType, flags ? { flags } : undefined),
  tcClassicAttach: (ifindex, direction, progFd) => bpf.tcClassicAttach(ifindex, direction, progFd),
  tcClassicDetach: (ifindex, direction, handle, priority) => bpf.tcClassicDetach(ifindex, direction, handle, priority),
  tcClassicQdiscDelete: (ifindex) => bpf.tcClassicQdiscDelete(ifindex),
  uprobeMultiLink: (progFd, path, offsets, { isReturn, pid }) => bpf.linkCreate(progFd, 0, AttachType.TRACE_UPROBE_MULTI, {
    // BPF_F_UPROBE_MULTI_RETURN is 1.
    uprobeMulti: { path, offsets: offsets.map(BigInt), flags: isReturn ? 1 : 0, ...(pid !== undefined ? { pid } : {}) },
  }),
};

/** The files a script's uprobes and usdt probes are in (rich-values.ts symbolizes non-PIE ones without their process). */
function probedExecutables(script: CompiledScript): string[] {
  return [...new Set(script.programs.flatMap((p) => (p.probe.attach.kind === 'uprobe' ? [p.probe.attach.path] : [])))];
}

/** Mount tracefs where the kernel expects it when it is missing (fresh machines here have none). */
export function ensureTracefs(notice: (msg: string) => void): void {
  if (tracefsRoot()) return;
  try {
    bpf.mount('nodev', '/sys/kernel/tracing', 'tracefs');
    notice('tsbpf: mounted tracefs at /sys/kernel/tracing');
  } catch {
    // Left to the tracepoint provider to explain when a probe needs it.
  }
}

export interface SessionOptions {
  readonly output: Output;
  /** Called once every probe is attached (the banner, the notify variable). */
  readonly onAttached?: (count: number) => void;
  /** `--unsafe`: scripts that send signals, run commands or write user memory may load. */
  readonly unsafe?: boolean;
  /** `-v`: each program's verifier statistics (log level 4, `processed N insns ...`) and kernel id once it loads. */
  readonly onVerified?: (program: CompiledProgram, log: string, id: number) => void;
  /** `-v`: each map's kernel id once it is created. */
  readonly onMapCreated?: (map: CompiledMap, id: number) => void;
  /**
   * `-d verifier`: the verifier's whole log of each program (log level 1 and statistics), loaded
   * or refused; `-v`: the log of a refused program.
   */
  readonly onVerifierLog?: (program: CompiledProgram, log: string) => void;
  /** With onVerifierLog: the whole log of every program, not only of a refused one. */
  readonly fullVerifierLog?: boolean;
  /** Hand every printf() its format and decoded arguments too (`Output.printf`'s `call`). */
  readonly printfCalls?: boolean;
  /** Messages outside the Output (runtime warnings, a failed cat()); default: the process's stderr. */
  readonly stderr?: (text: string) => void;
}

/**
 * One run of a compiled script: load → run BEGIN → attach → stream events → (exit) detach → run
 * END → print maps → close. `dispose()` closes everything in reverse order and is safe to call
 * at any point and more than once.
 */
export class Session {
  private readonly mapFds: number[] = [];
  /** Maps replaced by `extend` that older programs still use. */
  private readonly retiredMapFds: number[] = [];
  private readonly programs: LoadedProgram[] = [];
  private ringbuf: RingbufHandle | undefined;
  private exitCode: number | undefined;
  private exitWaiters: ((code: number) => void)[] = [];
  private lostReported = 0n;
  private lostTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** The background releases of detached probes still running (released()). */
  private readonly releases: Promise<number>[] = [];
  /** The closes of unguarded attachments under way off this thread (detach(true)): END and the map reads wait for them (finish). */
  private closing: Promise<void> = Promise.resolve();
  private readonly cpus = bpf.possibleCpus();
  /** Set while END runs: its events are delivered after exit. */
  private stopEvents = false;
  /** Set once the script's exit() is handled: no more "Lost N events" (requestExit). */
  private lostFrozen = false;
  /** Stacks, symbols, user names... of the function library (runtime/output/rich-values.ts). */
  private readonly rich = new RichValues({ readStack: (name, id) => this.readStack(name, id), executables: () => probedExecutables(this.current),
    demangle: (name: string) => (this.current.cppDemangle === false ? undefined : (bpf.demangle(name) ?? undefined)),
    showDebugInfo: () => this.current.showDebugInfo === true,
    probeName: (id) => this.current.probeNames?.[id],
  });
  /** Runtime warnings: repeats at one location are counted, printed at most once a second. */
  private readonly warnings = new WarningLimiter();
  /** Per event id: its printf renderer (runtime/event-format.ts), built on first use; null for other events. */
  private renderers: (RecordRenderer | null | undefined)[] = [];

  constructor(
    private current: CompiledScript,
    private readonly opts: SessionOptions,
  ) {}

  /** The script this session runs; the interactive shell extends it (`extend`). */
  get script(): CompiledScript {
    return this.current;
  }

  get output(): Output {
    return this.capture?.output ?? this.opts.output;
  }

  /** --test: the output, exit code and error count of the test running now. */
  private capture: { output: Output; exitCode?: number; errors: number } | undefined;

  /**
   * --test: run BEGIN, then each test probe's program once (BPF_PROG_TEST_RUN), its output
   * captured; it passes unless it called exit() with a non-zero code or errorf. `capturedOutput`
   * makes the output a test writes into (the session counts its errorf calls).
   */
  runTests(capturedOutput: (sink: { write(s: string): unknown }) => Output): { name: string; durationNs: number; passed: boolean; text: string }[] {
    this.ringbuf = bpf.ringbufOpenBatch(this.mapFds[this.script.ringbufMap]!, (data, offsets) => this.onBatch(data, offsets));
    for (const p of this.programs) if (p.compiled.probe.attach.kind === 'special' && p.compiled.probe.attach.which === 'BEGIN') this.runSpecial(p);
    this.ringbuf.consume();
    const packet = Buffer.alloc(14);
    const results: { name: string; durationNs: number; passed: boolean; text: string }[] = [];
    for (const p of this.programs) {
      const a = p.compiled.probe.attach;
      if (a.kind !== 'run' || a.mode !== 'test') continue;
      let text = '';
      const output = capturedOutput({ write: (s: string) => (text += s) });
      const cap: { output: Output; exitCode?: number; errors: number } = { output, errors: 0 };
      const errorf = output.errorf.bind(output);
      output.errorf = (...args) => {
        cap.errors++;
        errorf(...args);
      };
      this.capture = cap;
      let durationNs = 0;
      try {
        durationNs = bpf.progTestRunTimed(p.fd, packet, 1).duration;
        this.ringbuf.consume();
        output.flush();
      } finally {
        this.capture = undefined;
      }
      results.push({ name: a.name, durationNs, passed: (cap.exitCode ?? 0) === 0 && cap.errors === 0, text });
    }
    return results;
  }

  /** Create the maps and load (verify) every program. */
  load(): void {
    this.refuseUnsafe(this.script);
    for (const m of this.script.maps) {
      try {
        this.mapFds[m.id] = bpf.mapCreate(m.bpfType, m.keySize, m.valueSize, m.maxEntries, 0, bpfObjectName(m.name));
      } catch (e) {
        throw new RuntimeError(`cannot create map ${m.name}: ${(e as Error).message}`, undefined, undefined, e);
      }
      if (this.opts.onMapCreated) this.opts.onMapCreated(m, bpf.mapInfoByFd(this.mapFds[m.id]!).id);
    }
    this.initLibraryMaps();
    startupMark('maps-created');
    for (const p of this.script.programs) this.loadProgram(p);
  }

  /** Decided from the compiled content itself (runtime/session/unsafe-uses.ts), however the script was obtained. */
  private refuseUnsafe(script: CompiledScript): void {
    if (this.opts.unsafe) return;
    const uses = unsafeUses(script);
    if (uses.length > 0) throw new RuntimeError(`refusing to load a script that uses unsafe functions (${uses.join(', ')}) without --unsafe`);
  }

  /** Relocate and load one program through the verifier. */
  private loadProgram(p: CompiledProgram): void {
    const insns = this.relocate(Buffer.from(p.insns, 'base64'));
    try {
      // -d verifier: log levels 1 and 2 (every instruction with its register states) and 4 (statistics); the native side grows the buffer as needed.
      // config log_size: the first buffer size of a whole log (a refused program's one included).
      const logSize = this.script.logSize;
      const stats = this.opts.fullVerifierLog ? { logLevel: 7, ...(logSize ? { logSize } : {}) } : this.opts.onVerified ? { logLevel: 4, logSize: 4096 } : {};
      const license = this.script.license ?? PROG_LICENSE;
      const { fd, log } = bpf.progLoad(p.probe.progType, insns, license, bpfObjectName(p.name), { ...p.probe.load, ...subprogLoadOptions(p.subprogs), ...stats });
      this.programs.push({ compiled: p, fd });
      if (this.opts.fullVerifierLog) this.opts.onVerifierLog?.(p, log);
      this.opts.onVerified?.(p, log.trim().split('\n').pop() ?? '', bpf.progInfoByFd(fd).id);
    } catch (e) {
      if (isNativeError(e) && e.log) this.opts.onVerifierLog?.(p, e.log);
      throw explainLoadFailure(p, e);
    }
  }

  /** Attach one loaded program through its provider (BEGIN/END are run, not attached). */
  private attachProgram(p: LoadedProgram): void {
    if (p.compiled.probe.attach.kind === 'special') return;
    // Loaded by the caller before load(): loadProviders (src/providers/loaders.ts).
    const provider = loadedProvider(p.compiled);
    if (!provider) throw new RuntimeError(`internal error: no provider loaded for ${p.compiled.probe.name}`);
    try {
      p.attachment = provider.attach(p.compiled.probe, p.fd, kernelOps);
    } catch (e) {
      const err = e instanceof AttachError
        ? new RuntimeError(e.message, e.hint, p.compiled, e, 'attach')
        : new RuntimeError(`cannot attach ${p.compiled.probe.name}: ${(e as Error).message}`, undefined, p.compiled, e, 'attach');
      // config missing_probes = warn|ignore: the probe is left out of the run.
      const missing = this.script.missingProbes;
      if (!missing) throw err;
      if (missing === 'warn') this.output.warnf(err.message, []);
    }
  }

  /** Patch map references (`ld_imm64` with src_reg BPF_PSEUDO_MAP_FD, imm = map id) to this run's fds. */
  private relocate(insns: Buffer): Buffer {
    for (let off = 0; off + 16 <= insns.length; off += 8) {
      // src_reg 1 (BPF_PSEUDO_MAP_FD) or 2 (BPF_PSEUDO_MAP_VALUE: the next imm is the value offset).
      if (insns[off] === 0x18 && (insns[off + 1]! >> 4 === 1 || insns[off + 1]! >> 4 === 2)) {
        const id = insns.readInt32LE(off + 4);
        const fd = this.mapFds[id];
        if (fd === undefined) throw new RuntimeError(`internal error: program refers to unknown map ${id}`);
        insns.writeInt32LE(fd, off + 4);
        off += 8;
      }
    }
    return insns;
  }

  /** Open the event stream, run BEGIN, attach every other probe. Returns the number of probes. */
  start(): number {
    this.ringbuf = bpf.ringbufOpenBatch(this.mapFds[this.script.ringbufMap]!, (data, offsets) => this.onBatch(data, offsets));
    startupMark('ringbuf-opened');
    for (const p of this.programs) if (p.compiled.probe.attach.kind === 'special' && p.compiled.probe.attach.which === 'BEGIN') this.runSpecial(p);
    startupMark('BEGIN-run');
    for (const p of attachOrder(this.programs)) this.attachProgram(p);
    startupMark('attached');
    // Before the notify line: a signal sent once probes are reported attached must find its handler.
    this.watchSignals();
    this.lostTimer = setInterval(() => {
      this.reportLost();
      this.reportHelperErrors();
    }, 1000);
    this.lostTimer.unref();
    // Probes left out by missing_probes are not counted.
    // A uprobe_multi link counts one probe per location, as bpftrace's AttachedMultiUprobeProbe.
    const count = this.programs
      .filter((p) => p.attachment !== undefined || p.compiled.probe.attach.kind === 'special')
      .reduce((n, p) => n + probeCount(p.compiled.probe), 0);
    this.opts.onAttached?.(count);
    startupMark('banner');
    // Events BEGIN produced (printf, exit) are handled now, after the banner, and written before
    // the caller goes on (a -c command starts next).
    this.ringbuf.consume();
    startupMark('BEGIN-events');
    this.output.flush();
    startupMark('first-output');
    this.runIterators();
    return count;
  }

  private signalHandler: (() => void) | undefined;

  /**
   * self:signal:SIGUSR1 probes: each SIGUSR1 tsbpf receives runs them (in program order) in its
   * own context, as BEGIN runs, and their events are delivered at once.
   */
  private watchSignals(): void {
    if (!this.programs.some((p) => p.attachment?.onSignal)) return;
    this.signalHandler = () => {
      for (const p of this.programs) if (p.attachment?.onSignal === 'SIGUSR1') this.runSpecial(p);
      this.ringbuf?.consume();
      this.output.flush();
    };
    process.on('SIGUSR1', this.signalHandler);
  }

  /**
   * iter probes: read each iterator to its end (each read() runs the program over kernel objects;
   * it writes no seq output, so one read usually covers them all), delivering the events as they
   * come. A script whose only attached probes are iterators then ends, as bpftrace's does.
   */
  private runIterators(): void {
    const iters = this.programs.filter((p) => p.attachment?.iterLink !== undefined);
    if (iters.length === 0) return;
    const buf = Buffer.alloc(4096);
    for (const p of iters) {
      let fd: number | undefined;
      try {
        fd = bpf.iterCreate(p.attachment!.iterLink!);
        while (readSync(fd, buf) > 0) this.ringbuf?.consume();
      } catch (e) {
        this.output.warnf(`cannot read iterator ${p.compiled.probe.name}: ${(e as Error).message}`, []);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      this.ringbuf?.consume();
    }
    this.output.flush();
    if (this.programs.every((p) => p.attachment?.iterLink !== undefined || p.compiled.probe.attach.kind === 'special' || p.attachment === undefined)) this.requestExit(0);
  }

  /**
   * --bench: run BEGIN, then each bench probe's program with BPF_PROG_TEST_RUN, repeating it until
   * it has run for a millisecond (bpftrace's schedule: x1000 under 1 µs, x100 under 10 µs, x10
   * under 100 µs, x2 under 1 ms), its events dropped.
   * Returns each bench's kernel-measured average run time and repeat count.
   */
  runBenchmarks(): { name: string; averageNs: number; iterations: number }[] {
    this.ringbuf = bpf.ringbufOpenBatch(this.mapFds[this.script.ringbufMap]!, (data, offsets) => this.onBatch(data, offsets));
    for (const p of this.programs) if (p.compiled.probe.attach.kind === 'special' && p.compiled.probe.attach.which === 'BEGIN') this.runSpecial(p);
    this.ringbuf.consume();
    const packet = Buffer.alloc(14); // ETH_HLEN: the kernel's minimum for an XDP test run
    const results: { name: string; averageNs: number; iterations: number }[] = [];
    this.stopEvents = true;
    try {
      for (const p of this.programs) {
        const a = p.compiled.probe.attach;
        if (a.kind !== 'run' || a.mode !== 'bench') continue;
        for (let iterations = 1; ; ) {
          // The body's return value is its XDP verdict (tsbpf has no `return N` to skip a bench with).
          const { duration } = bpf.progTestRunTimed(p.fd, packet, iterations);
          this.ringbuf.consume();
          const total = duration * iterations;
          const factor = total < 1_000 ? 1000 : total < 10_000 ? 100 : total < 100_000 ? 10 : total < 1_000_000 ? 2 : 0;
          if (factor === 0 || iterations * factor > 0xffffffff) {
            results.push({ name: a.name, averageNs: duration, iterations });
            break;
          }
          iterations *= factor;
        }
      }
    } finally {
      this.stopEvents = false;
    }
    return results;
  }

  /** Attach everything, then detach (--dry-run). */
  attachOnly(): number {
    for (const p of attachOrder(this.programs)) this.attachProgram(p);
    return this.programs.filter((p) => p.attachment !== undefined || p.compiled.probe.attach.kind === 'special').length;
  }

  private runSpecial(p: LoadedProgram): void {
    bpf.progTestRun(p.fd, null);
  }

  /** Whether the run is ending (exit() or `requestExit`). */
  get exitRequested(): boolean {
    return this.exitCode !== undefined;
  }

  /** Resolves with the exit code once the script calls exit() or `requestExit` is called. */
  waitForExit(): Promise<number> {
    if (this.exitCode !== undefined) return Promise.resolve(this.exitCode);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * End the run with `code`. After the script's own exit() bpftrace handles no further events
   * (`fromScript`); after a signal, events already in the ring buffer are still delivered.
   */
  requestExit(code: number, fromScript = false): void {
    if (fromScript) {
      this.stopEvents = true;
      // Events the probes emit after exit() are dropped silently, and so are their losses: the
      // count is frozen here (losses are reported each second while the script runs, so only those
      // of the last second before exit() can go unreported with them: the kernel's counter cannot
      // tell which side of exit() a loss was on).
      this.lostFrozen = true;
      // Detach now, not when the waiters tear down: a fast probe must not refill maps that
      // the script cleared just before exit(). The closes run off this thread; finish() waits
      // for them before END and the map reads.
      this.detach(true);
    }
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    // Let the current batch of events finish before the waiters tear the session down.
    setImmediate(() => {
      for (const w of this.exitWaiters.splice(0)) w(code);
    });
  }

  /**
   * Detach, run END, deliver the last events, print the maps (if `printMaps`). The kernel's
   * release of the unguarded attachments (a grace period each) runs off this thread, while what
   * the printing needs is prepared; END and the map reads start once it is done, so nothing a
   * probe does lands after END starts (guarded probes return at once: `.stopped` is set).
   * `readsMaps`: the caller reads the maps next (the API's final maps), so they are prepared for too.
   */
  async finish(printMaps: boolean, readsMaps = false): Promise<void> {
    this.detach(true);
    this.rich.prepare(this.script, printMaps || readsMaps);
    startupMark('print-prepared');
    await this.closing;
    startupMark('detached');
    if (this.disposed) return;
    // Deliver what the probes produced before they were detached (dropped after exit()), then
    // END's own events (print, clear, printf), which are always handled.
    this.ringbuf?.consume();
    this.stopEvents = false;
    for (const p of this.programs) if (p.compiled.probe.attach.kind === 'special' && p.compiled.probe.attach.which === 'END') this.runSpecial(p);
    this.ringbuf?.consume();
    // No event is read after this: the ring buffer's mapping (twice its size, all resident) is
    // given back before the maps are read and printed, which is when a big map needs the memory.
    this.ringbuf?.close();
    this.ringbuf = undefined;
    this.reportLost();
    this.reportHelperErrors();
    this.warnings.flush();
    if (printMaps) {
      const maps = this.scriptMaps().sort(compareMapNames);
      this.output.mapsHeader();
      for (const m of maps) {
        const src = this.mapSource(m);
        if (src.count > 0) this.output.map(src);
      }
    }
    if (this.lostReported > 0n) this.output.totalLostEvents(this.lostReported);
    const warningTotal = this.warnings.total();
    if (warningTotal !== undefined) this.output.totalRuntimeWarnings(warningTotal);
    this.output.flush();
    startupMark('printed');
  }

  /** unwatch(addr): detach every watchpoint probe on `addr` (bpftrace's async unwatch). */
  unwatch(addr: bigint): void {
    for (const p of this.programs) {
      const a = p.compiled.probe.attach;
      if (a.kind !== 'watchpoint' || BigInt(a.addr) !== addr || !p.attachment) continue;
      for (const fd of p.attachment.fds) {
        try {
          bpf.close(fd);
        } catch {
          // Already closed.
        }
      }
      p.attachment = undefined;
    }
  }

  /**
   * Settles when the kernel has released every probe detach() closed, with how many were released
   * in the background (runtime/session/detach.ts: hundreds of them take the kernel seconds).
   */
  released(): Promise<number> {
    return Promise.all(this.releases).then((ns) => ns.reduce((a, b) => a + b, 0));
  }

  /**
   * Detach every probe (runtime/session/detach.ts: the kernel's release of many may still run; see
   * released()). `inBackground` (the end of a run): no close blocks this thread; the unguarded
   * attachments' closes are `closing`, which finish() awaits. Otherwise (dispose) those are closed
   * here and now.
   */
  detach(inBackground = false): void {
    if (this.signalHandler) process.off('SIGUSR1', this.signalHandler);
    this.signalHandler = undefined;
    this.markStopped();
    // Programs without the `.stopped` guard (a lone probe's) must be detached before END starts
    // (finish awaits `closing`), so nothing they do lands after it; the guarded ones may finish
    // detaching in the background.
    const now: number[] = [];
    const later: number[] = [];
    for (const p of this.programs) {
      (p.compiled.stopGuard ? later : now).push(...(p.attachment?.fds ?? []));
      p.attachment?.release?.();
      p.attachment = undefined;
    }
    if (now.length > 0) {
      if (inBackground) {
        const closed = closeInThreads(now);
        this.closing = Promise.all([this.closing, closed]).then(() => undefined);
        this.releases.push(closed.then(() => 0));
      } else void closeAttachments(now, Infinity);
    }
    if (later.length > 0) this.releases.push(inBackground ? releaseAttachments(later) : closeAttachments(later));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.lostTimer) clearInterval(this.lostTimer);
    this.warnings.dispose();
    this.detach();
    this.ringbuf?.close();
    this.ringbuf = undefined;
    for (const p of this.programs.splice(0).reverse()) bpf.close(p.fd);
    for (const fd of this.mapFds.splice(0).reverse()) if (fd !== undefined) bpf.close(fd);
    for (const fd of this.retiredMapFds.splice(0)) bpf.close(fd);
  }

  // ------------------------------------------------- interactive shell (runtime/session/live-session.ts)

  /** Every loaded program: name, fd (for its run count) and whether it is attached now. */
  loadedPrograms(): { name: string; fd: number; attached: boolean }[] {
    return this.programs.map((p) => ({ name: p.compiled.name, fd: p.fd, attached: p.attachment !== undefined }));
  }

  /**
   * The shell: move on to `next`, a compile of this session's text with more probes appended.
   * Maps are matched by name: those whose layout is unchanged are kept (a changed internal map is
   * created anew; the older programs keep the old one), the others are created. Only `added` is
   * loaded and attached (a BEGIN among them runs now). All or nothing: on failure everything new
   * is closed and the session is as it was.
   */
  extend(next: CompiledScript, added: readonly CompiledProgram[]): void {
    this.refuseUnsafe(next);
    // Loaded programs keep writing the probe ids of their compile: the longer compile must name them alike.
    const oldNames = this.current.probeNames ?? [];
    if (oldNames.some((name, i) => next.probeNames?.[i] !== name)) throw new RuntimeError('this would renumber the probe ids of `probe` map keys, which earlier probes use');
    // Registers this compile's failure counters, which its programs keep writing if the next compile replaces the map.
    this.reportHelperErrors();
    const before = { script: this.current, fds: this.mapFds.slice(), programs: this.programs.length };
    const created: number[] = [];
    const fds: number[] = [];
    for (const m of next.maps) {
      const old = this.current.maps.find((o) => o.name === m.name);
      if (old && old.bpfType === m.bpfType && old.keySize === m.keySize && old.valueSize === m.valueSize && old.maxEntries === m.maxEntries) {
        fds[m.id] = this.mapFds[old.id]!;
        continue;
      }
      if (old?.spec) throw new RuntimeError(`this would change the layout of ${m.name}, which earlier probes use`);
      try {
        fds[m.id] = bpf.mapCreate(m.bpfType, m.keySize, m.valueSize, m.maxEntries, 0, bpfObjectName(m.name));
      } catch (e) {
        for (const fd of created) bpf.close(fd);
        throw new RuntimeError(`cannot create map ${m.name}: ${(e as Error).message}`, undefined, undefined, e);
      }
      created.push(fds[m.id]!);
      fillStringTable(m, fds[m.id]!);
      initHelperErrorMap(m, fds[m.id]!);
    }
    const kept = new Set(fds);
    const retired = this.mapFds.filter((fd) => fd !== undefined && !kept.has(fd));
    this.mapFds.length = 0;
    this.mapFds.push(...fds);
    this.current = next;
    this.renderers = [];
    try {
      for (const p of added) this.loadProgram(p);
      const fresh = this.programs.slice(before.programs);
      for (const p of attachOrder(fresh)) this.attachProgram(p);
      this.reattachOlderUprobes(this.programs.slice(0, before.programs), fresh);
      for (const p of fresh) if (p.compiled.probe.attach.kind === 'special' && p.compiled.probe.attach.which === 'BEGIN') this.runSpecial(p);
    } catch (e) {
      const fresh = this.programs.splice(before.programs);
      for (const p of fresh) {
        for (const fd of p.attachment?.fds ?? []) bpf.close(fd);
        p.attachment?.release?.();
        bpf.close(p.fd);
      }
      for (const fd of created) bpf.close(fd);
      this.mapFds.length = 0;
      this.mapFds.push(...before.fds);
      this.current = before.script;
      throw e;
    }
    // Maps only the older programs still use stay open until dispose().
    this.retiredMapFds.push(...retired);
    this.ringbuf?.consume();
  }

  /**
   * The kernel runs a uprobe's newest program first, so an entry's uprobes attached after earlier
   * ones on the same file would run before them. The earlier ones on those files are attached
   * again after the new ones (in attachOrder), so every point runs its programs in program order.
   */
  private reattachOlderUprobes(older: readonly LoadedProgram[], fresh: readonly LoadedProgram[]): void {
    const uprobeFile = (p: LoadedProgram): string | undefined => {
      const a = p.compiled.probe.attach;
      return a.kind === 'uprobe' && loadedProvider(p.compiled)?.runsNewestFirst === true ? a.path : undefined;
    };
    const files = new Set(fresh.flatMap((p) => uprobeFile(p) ?? []));
    if (files.size === 0) return;
    const again = older.filter((p) => p.attachment !== undefined && files.has(uprobeFile(p) ?? ''));
    for (const p of again) {
      for (const fd of p.attachment!.fds) bpf.close(fd);
      p.attachment = undefined;
    }
    for (const p of attachOrder(again)) this.attachProgram(p);
  }

  /** The shell's `.detach`: detach and unload these programs (by name); the maps stay. */
  unloadPrograms(names: readonly string[]): void {
    const drop = new Set(names);
    const fds: number[] = [];
    const progFds: number[] = [];
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const p = this.programs[i]!;
      if (!drop.has(p.compiled.name)) continue;
      fds.push(...(p.attachment?.fds ?? []));
      p.attachment?.release?.();
      progFds.push(p.fd);
      this.programs.splice(i, 1);
    }
    if (fds.length > 0) this.releases.push(closeAttachments(fds));
    for (const fd of progFds) bpf.close(fd);
  }

  /** Every map of the script (not the internal ones), read now, in name order; empty maps too. */
  scriptMapDumps(): MapDump[] {
    return this.scriptMaps()
      .sort(compareMapNames)
      .map((m) => ({ ...this.dumpMap(m), kind: mapValueKind(m.spec!.kind) }));
  }

  private scriptMaps(): CompiledMap[] {
    return this.script.maps.filter((m) => m.spec !== undefined);
  }

  private mapByName(name: string): CompiledMap | undefined {
    return this.script.maps.find((m) => m.name === name);
  }

  private layout(m: CompiledMap): MapLayout {
    const spec = m.spec!;
    return { kind: spec.kind, keyTypes: spec.keyTypes, valueType: spec.valueType, params: spec.params, valueSize: m.valueSize, cpus: isPerCpuMapType(m.bpfType) ? this.cpus : 1 };
  }

  /** Read a whole map into the value model. */
  dumpMap(m: CompiledMap): MapDump {
    return mapDumpOf(this.mapSource(m));
  }

  /**
   * Every script map as it is now, in name order; a scalar map nothing wrote yet holds its zero
   * value (as print(@) shows it). For readers outside the event flow (the Prometheus export reads
   * on each scrape). Empty before `load()` and after `dispose()`.
   */
  snapshotMaps(): MapDump[] {
    if (this.disposed) return [];
    return this.scriptMaps()
      .filter((m) => this.mapFds[m.id] !== undefined)
      .sort(compareMapNames)
      .map((m) => ({ ...mapDumpOf(this.withScalarZero(m, this.mapSource(m))), ...(m.spec?.keyNames ? { keyNames: m.spec.keyNames } : {}) }));
  }

  /**
   * Read a map's bytes in batches (runtime/session/map-read.ts: per-CPU values folded into one as
   * they are read) and decode each entry only when the output asks for it: a map of a million keys
   * costs its raw bytes, not a million objects.
   */
  mapSource(m: CompiledMap): MapSource {
    const layout = this.layout(m);
    const fd = this.mapFds[m.id]!;
    if (layout.kind === 'tseries') {
      const stride = layout.cpus > 1 ? Math.ceil(m.valueSize / 8) * 8 * layout.cpus : m.valueSize;
      const { keys, values, count } = bpf.mapDumpAll(fd, m.keySize, stride);
      const userKeySize = tseriesKeyLayout(layout.keyTypes).userKeySize;
      const decodeUserKey = (buf: Buffer, off: number) => decodeKey(buf, off, layout.keyTypes, this.rich.decode);
      return dumpSource({ name: m.name, entries: collectTseries(keys, values, count, m.keySize, stride, layout.cpus, userKeySize, tseriesParams(layout.params), decodeUserKey) });
    }
    // A scalar array's one entry always exists: all zeroes is "nothing written" (unless zero() kept
    // it), which its per-CPU copies, kept unfolded, tell exactly.
    const fold = layout.cpus > 1 && !isScalarArrayMap(m) ? foldOf(layout.kind) : 'none';
    const bytes = readMap(fd, { keySize: m.keySize, valueSize: m.valueSize, cpus: layout.cpus, fold });
    if (isScalarArrayMap(m) && !this.zeroedScalars.has(m.id) && bytes.count > 0 && bytes.values[0]!.subarray(0, bytes.valueStride).every((b) => b === 0)) return dumpSource({ name: m.name, entries: [] });
    // A scalar int array: its written flag tells `@a = 0` from nothing written.
    if (isScalarIntArrayMap(m) && bytes.count > 0 && bytes.values[0]!.readBigUInt64LE(SCALAR_SET_FLAG_OFFSET) === 0n) return dumpSource({ name: m.name, entries: [] });
    const decode = this.rich.decode;
    const valueLayout = fold === 'none' ? layout : { ...layout, cpus: 1 };
    const { keySize, valueStride, keys, values } = bytes;
    return {
      name: m.name,
      count: bytes.count,
      key: (i) => decodeKey(keys[slabOf(i)]!, slabOffset(i) * keySize, layout.keyTypes, decode),
      value: (i) => decodeMapValue(values[slabOf(i)]!, slabOffset(i) * valueStride, valueLayout, decode),
    };
  }

  /** print(@) of a scalar map nothing wrote yet prints its zero value, as bpftrace does (`@: 0`). */
  private withScalarZero(m: CompiledMap, src: MapSource): MapSource {
    const layout = this.layout(m);
    if (src.count > 0 || layout.keyTypes.length > 0 || ['hist', 'lhist', 'tseries'].includes(layout.kind)) return src;
    const stride = layout.cpus > 1 ? Math.ceil(m.valueSize / 8) * 8 * layout.cpus : m.valueSize;
    const key = decodeKey(Buffer.alloc(m.keySize), 0, layout.keyTypes, this.rich.decode);
    return dumpSource({ name: src.name, entries: [{ key, value: decodeMapValue(Buffer.alloc(stride), 0, layout, this.rich.decode) }] });
  }

  /** clear(@m): delete every key. */
  clearMap(m: CompiledMap): void {
    const fd = this.mapFds[m.id]!;
    if (isScalarIntArrayMap(m)) {
      // Value and written flag zeroed: it reads as never written.
      bpf.mapUpdate(fd, Buffer.alloc(m.keySize), Buffer.alloc(m.valueSize), 0);
      return;
    }
    if (isScalarArrayMap(m)) {
      // Its entry cannot be deleted: zeroed, it reads as never written.
      bpf.mapUpdate(fd, Buffer.alloc(m.keySize), Buffer.alloc(Math.ceil(m.valueSize / 8) * 8 * this.cpus), 0);
      this.zeroedScalars.delete(m.id);
      return;
    }
    // A bucket at a time where the kernel can; key by key otherwise.
    const expanded = isPerCpuMapType(m.bpfType) ? Math.ceil(m.valueSize / 8) * 8 * this.cpus : m.valueSize;
    if (deleteAllBatched(fd, m.keySize, expanded)) return;
    for (const k of mapKeys(fd, m.keySize)) bpf.mapDelete(fd, k);
  }

  /** zero(@m): keep the keys, zero the values. */
  zeroMap(m: CompiledMap): void {
    const fd = this.mapFds[m.id]!;
    if (isScalarIntArrayMap(m)) {
      // A written value becomes 0 and stays written (a hash keeps its key); an unwritten one stays unwritten.
      const key = Buffer.alloc(m.keySize);
      const value = Buffer.alloc(m.valueSize);
      if (!bpf.mapLookup(fd, key, value) || value.readBigUInt64LE(SCALAR_SET_FLAG_OFFSET) === 0n) return;
      value.fill(0, 0, SCALAR_SET_FLAG_OFFSET);
      bpf.mapUpdate(fd, key, value, 0);
      return;
    }
    const stride = isPerCpuMapType(m.bpfType) ? Math.ceil(m.valueSize / 8) * 8 * this.cpus : m.valueSize;
    if (!zeroAllBatched(fd, m.keySize, stride)) {
      const zero = Buffer.alloc(stride);
      for (const k of mapKeys(fd, m.keySize)) bpf.mapUpdate(fd, k, zero, 2 /* BPF_EXIST */);
    }
    if (isScalarArrayMap(m)) this.zeroedScalars.add(m.id);
  }

  /** Scalar array maps zero() kept: printed even while all zero, until clear(). */
  private readonly zeroedScalars = new Set<number>();

  private reportLost(): void {
    if (this.lostFrozen) return;
    const m = this.script.maps[this.script.lostMap];
    if (!m || this.mapFds[m.id] === undefined) return;
    // One shared counter; a per-CPU one in scripts compiled before it was (the compile cache).
    const copies = isPerCpuMapType(m.bpfType) ? this.cpus : 1;
    const value = Buffer.alloc(8 * copies);
    if (!bpf.mapLookup(this.mapFds[m.id]!, Buffer.alloc(4), value)) return;
    let total = 0n;
    for (let c = 0; c < copies; c++) total += value.readBigUInt64LE(c * 8);
    if (total > this.lostReported) {
      this.output.lostEvents(total - this.lostReported);
      this.lostReported = total;
    }
  }

  /**
   * The helper-error counter maps (HELPER_ERROR_MAP) to read, with the failures already reported per
   * site: the current script's, and in the shell those of earlier compiles whose programs still
   * write to a map that a later compile replaced (it grows with the events).
   */
  private readonly helperErrorSources: HelperErrorSource[] = [];

  /**
   * Report the map-update failures counted since the last call (each second and at the end): when
   * all of a site's failures had one return code (helper-error-counters.ts decodes it), each goes
   * through the same `helper-error` handling as an event would (text, rate limit, total); failures
   * with several codes make one warning that says so, with an approximate count.
   */
  private reportHelperErrors(): void {
    const m = this.mapByName(HELPER_ERROR_MAP);
    const fd = m && this.mapFds[m.id];
    if (m && fd !== undefined) {
      const known = this.helperErrorSources.find((src) => src.fd === fd);
      if (known) known.events = this.script.events;
      else this.helperErrorSources.push({ fd, size: m.valueSize, events: this.script.events, seen: [] });
    }
    const stderr = this.opts.stderr ?? ((text: string) => process.stderr.write(text));
    for (const src of this.helperErrorSources) {
      readHelperErrorCounters(src, (spec, failures) => {
        if (failures.kind === 'exact') {
          const retcode: Value = { kind: 'int', value: BigInt(failures.code) };
          for (let n = 0n; n < failures.count; n++) handleLibraryEvent(spec, [retcode], this.output, this.rich, stderr, this.warnings, this.script.maxCatBytes);
        } else {
          const { filename, line, col, text } = spec.loc;
          this.output.warnf(`${spec.helper} failed about ${failures.approx} times with several different error codes (an approximate count)`, [{ filename, line, col, text }]);
        }
      });
    }
  }

  // ------------------------------------------------------------------ events

  /**
   * One drained batch: record i is data[offsets[i], offsets[i + 1]). printf records go through
   * their precomputed renderer. The default (line-buffered) sink collects what the batch writes and
   * writes it once when the callback returns (runtime/cli.ts lineBufferedSink), so nothing waits for
   * the next batch; `-B full` keeps its own buffering.
   */
  private onBatch(data: Buffer, offsets: Uint32Array): void {
    const n = offsets.length - 1;
    for (let i = 0; i < n; i++) {
      if (this.stopEvents) break; // bpftrace handles no events after exit()
      const base = offsets[i]!;
      const id = data.readUInt32LE(base) + data.readUInt32LE(base + 4) * 0x100000000;
      const render = this.renderer(id);
      if (render) this.output.printf(render(data, base), this.opts.printfCalls ? this.printfCall(id, data, base) : undefined);
      else this.onRecord(data.subarray(base, offsets[i + 1]));
    }
  }

  /** A printf record's format and arguments as values (SessionOptions.printfCalls). */
  private printfCall(id: number, data: Buffer, base: number): PrintfCall | undefined {
    const spec = this.script.events[id];
    if (spec?.kind !== 'printf') return undefined;
    const args = recordLayout(spec.args).args.map((f) => decodeValue(data, base + f.offset, f.type, this.rich.decode));
    return { format: spec.format, args };
  }

  private renderer(id: number): RecordRenderer | null {
    let r = this.renderers[id];
    if (r === undefined) {
      const spec = this.script.events[id];
      r = spec?.kind === 'printf' ? printfRenderer(spec, this.rich.decode) : null;
      this.renderers[id] = r;
    }
    return r;
  }

  /** Fill the name tables (strerror, syscall_name...); `elapsed` counts from now: store CLOCK_MONOTONIC (bpf_ktime_get_ns) in the `.start` map. */
  private initLibraryMaps(): void {
    for (const m of this.script.maps) {
      if (this.mapFds[m.id] === undefined) continue;
      fillStringTable(m, this.mapFds[m.id]!);
      initHelperErrorMap(m, this.mapFds[m.id]!);
    }
    const start = this.script.maps.find((m) => m.name === '.start');
    if (!start || this.mapFds[start.id] === undefined) return;
    const v = Buffer.alloc(8);
    v.writeBigUInt64LE(process.hrtime.bigint());
    bpf.mapUpdate(this.mapFds[start.id]!, Buffer.alloc(4), v, 0);
  }

  /**
   * Set the `.stopped` flag (src/passes/run-state.ts) every attached program checks first: from now
   * on they return at once, also those whose detaching is still under way in the hand-off child.
   */
  private markStopped(): void {
    const m = this.script.maps.find((x) => x.name === STOPPED_MAP);
    const fd = m ? this.mapFds[m.id] : undefined;
    if (fd === undefined) return;
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    try {
      bpf.mapUpdate(fd, Buffer.alloc(4), one, 0);
    } catch {
      // The map is gone (disposed): nothing runs any more.
    }
  }

  /** The frames of stack `id` in the stack-trace map `name`, innermost first, up to the first 0. */
  private readStack(name: string, id: number): bigint[] | undefined {
    const m = this.script.maps.find((x) => x.name === name);
    const fd = m ? this.mapFds[m.id] : undefined;
    if (!m || fd === undefined) return undefined;
    const key = Buffer.alloc(4);
    key.writeUInt32LE(id);
    const value = Buffer.alloc(m.valueSize);
    if (!bpf.mapLookup(fd, key, value)) return undefined;
    const frames: bigint[] = [];
    for (let off = 0; off + 8 <= value.length; off += 8) {
      const a = value.readBigUInt64LE(off);
      if (a === 0n) break;
      frames.push(a);
    }
    return frames;
  }

  private onRecord(rec: Buffer): void {
    const id = Number(rec.readBigUInt64LE(0));
    const spec: EventSpec | undefined = this.script.events[id];
    if (!spec) return;
    const layout = recordLayout(spec.args);
    const args: Value[] = layout.args.map((f) => decodeValue(rec, f.offset, f.type, this.rich.decode));
    if (handleLibraryEvent(spec, args, this.output, this.rich, this.opts.stderr ?? ((text) => process.stderr.write(text)), this.warnings, this.script.maxCatBytes)) return;
    switch (spec.kind) {
      case 'printf':
        this.output.printf(formatPrintf(spec.format, args as FormatArg[]), this.opts.printfCalls ? { format: spec.format, args } : undefined);
        return;
      case 'exit': {
        const v = args[0];
        const code = v && v.kind === 'int' ? Number(v.value) : 0;
        // --test: exit() ends nothing, its code decides whether the test passed.
        if (this.capture) this.capture.exitCode = code;
        else this.requestExit(code, true);
        return;
      }
      case 'print-map': {
        const m = this.mapByName(spec.map);
        if (m?.spec) this.output.map(this.withScalarZero(m, this.mapSource(m)), { top: spec.top || undefined, div: spec.div || undefined });
        return;
      }
      case 'print-value':
        if (args[0]) this.output.value(args[0]);
        return;
      case 'clear': {
        const m = this.mapByName(spec.map);
        if (m) this.clearMap(m);
        return;
      }
      case 'zero': {
        const m = this.mapByName(spec.map);
        if (m) this.zeroMap(m);
        return;
      }
      case 'time':
        this.output.time(strftime(spec.format, new Date()));
        return;
      case 'unwatch': {
        const v = args[0];
        if (v?.kind === 'int') this.unwatch(BigInt(v.value));
        return;
      }
    }
  }
}

/** How a per-CPU value of this kind is folded into one (runtime/session/map-read.ts). */
function foldOf(kind: MapLayout['kind']): Fold {
  switch (kind) {
    case 'count':
    case 'sum':
    case 'avg':
    case 'stats':
    case 'hist':
    case 'lhist':
      return 'sum';
    case 'min':
    case 'max':
      return kind;
    default:
      return 'none';
  }
}

/** Every key of a map, collected before the caller changes the map (maps without batch operations). */
function mapKeys(fd: number, keySize: number): Buffer[] {
  const keys: Buffer[] = [];
  let prev: Buffer | null = null;
  const key = Buffer.alloc(keySize);
  while (bpf.mapGetNextKey(fd, prev, key)) {
    prev = Buffer.from(key);
    keys.push(prev);
  }
  return keys;
}

/** Kernel object names: at most 15 characters of [A-Za-z0-9_.]. */
function bpfObjectName(name: string): string {
  const clean = name.replace(/^@/, 'm_').replace(/[^A-Za-z0-9_.]/g, '_');
  return (clean === 'm_' ? 'm_anon' : clean).slice(0, 15);
}

/**
 * The order to attach programs in so that those sharing an attach point run in program order: the
 * providers whose kernel side runs the newest first (uprobes, Provider.runsNewestFirst) reversed.
 */
function attachOrder(programs: readonly LoadedProgram[]): LoadedProgram[] {
  const newestFirst = (p: LoadedProgram): boolean => loadedProvider(p.compiled)?.runsNewestFirst === true;
  return [...programs.filter((p) => !newestFirst(p)), ...programs.filter(newestFirst).reverse()];
}

/** The verifier's rejection, in terms of the script: which probe, the kernel's reason, a hint. */
function explainLoadFailure(p: CompiledProgram, e: unknown): RuntimeError {
  if (!isNativeError(e)) return new RuntimeError(`cannot load the program for ${p.probe.name}: ${(e as Error).message}`, undefined, p, e, 'load');
  if (e.code === 'EPERM' && process.getuid?.() !== 0) {
    return new RuntimeError('loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)', undefined, p, e, 'load');
  }
  const custom = loadedProvider(p)?.explainLoadFailure?.(p.probe, e.code);
  if (custom) return new RuntimeError(custom.message, custom.hint, p, e, 'load');
  // runtime/session/verifier-hints.ts: the log's reason line, and a hint only for a known cause.
  const reason = verifierReason(e.log ?? '') ?? e.message;
  const hint = verifierHint(reason, p.probe.provider);
  return new RuntimeError(`the kernel's verifier rejected the program for ${p.probe.name}: ${reason.trim()} (${e.code})`, hint, p, e, 'load');
}

/** Write a name table's strings (src/builtins/names.ts) into its ARRAY map, each NUL-padded to the value size. */
function fillStringTable(m: CompiledMap, fd: number): void {
  if (!m.strings) return;
  const key = Buffer.alloc(4);
  m.strings.forEach((text, i) => {
    const value = Buffer.alloc(m.valueSize);
    value.write(text, 0, m.valueSize - 1, 'utf8');
    key.writeUInt32LE(i);
    bpf.mapUpdate(fd, key, value, 0);
  });
}

/** The value kind a map of this kind holds, so an empty map's dump still says what it is. */
function mapValueKind(kind: MapKind): MapValue['kind'] {
  switch (kind) {
    case 'avg':
    case 'stats':
    case 'hist':
    case 'lhist':
    case 'tseries':
      return kind;
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
    case 'int':
      return 'int';
    case 'value':
      return 'value';
  }
}

