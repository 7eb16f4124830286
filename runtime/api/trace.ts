/**
 * `trace()`: compile (runtime/api/compile.ts), load and attach a script, and hand its events and
 * maps to the caller. The run is the CLI's (runtime/session/run.ts, runtime/session/session.ts);
 * only its output differs: typed events (runtime/api/event-output.ts) instead of text.
 *
 * Traces share nothing but the process: each has its own session (maps, programs, ring buffer),
 * event queue and symbol caches. Each is cleaned up on stop(), when its AbortSignal fires, when
 * the script calls exit(), and when the process exits.
 */
import type { CompiledScript, Diagnostic } from '../../src/contract/index.js';
import { checkCompiledScript } from '../compile/compiled-script-check.js';
import { beginRun, openSession } from '../session/run.js';
import { ensureTracefs, type Session } from '../session/session.js';
import { compile, type CompileOptions } from './compile.js';
import { apiError, DiagnosticError } from './errors.js';
import { EventOutput } from './event-output.js';
import { EventQueue } from './event-queue.js';
import { mapsSnapshot } from './map-snapshot.js';
import type { MapsSnapshot, TraceEvent, TraceResult } from './types.js';

export interface TraceOptions extends CompileOptions {
  /** Stops the trace (as stop() does); before trace() resolves, makes it reject with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * How many events may wait for the consumer of events() (default 65536); past that, events are
   * dropped and counted (a `dropped` event). The events before events() is called are kept too.
   */
  readonly eventBuffer?: number;
}

/** Traces running now, disposed when the process exits so nothing is left loaded. */
const live = new Set<Trace>();
let exitHookInstalled = false;

function trackLive(t: Trace): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const x of live) x.disposeAtExit();
    });
  }
  live.add(t);
}

/** A running script. */
export class Trace {
  /** Resolves once the trace has ended (exit(), stop(), abort) and everything is detached and closed. */
  readonly finished: Promise<TraceResult>;
  private reason: TraceResult['reason'] | undefined;
  private finalMaps: MapsSnapshot | undefined;
  private closed = false;

  /** @internal Made by trace(). */
  constructor(
    private readonly session: Session,
    private readonly queue: EventQueue,
    /** How many probes were attached (the CLI's `Attached N probes`). */
    readonly probes: number,
    /** The compiled script that runs. */
    readonly script: CompiledScript,
    signal: AbortSignal | undefined,
  ) {
    trackLive(this);
    const onAbort = (): void => this.end('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    this.finished = session.waitForExit().then((code) => {
      signal?.removeEventListener('abort', onAbort);
      return this.finish(code);
    });
  }

  /** The compiler's warnings (the CLI prints them before running). */
  get warnings(): readonly Diagnostic[] {
    return this.script.warnings;
  }

  /**
   * The script's events in order, from the first (BEGIN's) on, ending when the trace ends. One
   * consumer per trace; leaving the loop early stops the delivery (not the trace).
   */
  events(): AsyncIterableIterator<TraceEvent> {
    return this.queue.iterator();
  }

  /** Every map of the script now; once the trace has ended, the final maps. */
  async maps(): Promise<MapsSnapshot> {
    return this.finalMaps ?? mapsSnapshot(this.session.scriptMapDumps());
  }

  /** Detach, run END, deliver the last events, close everything; resolves with the final maps. */
  async stop(): Promise<MapsSnapshot> {
    this.end('stop');
    return (await this.finished).maps;
  }

  private end(reason: TraceResult['reason']): void {
    if (this.session.exitRequested) return;
    this.reason = reason;
    this.session.requestExit(0);
  }

  private async finish(code: number): Promise<TraceResult> {
    try {
      await this.session.finish(false, true);
      this.finalMaps = mapsSnapshot(this.session.scriptMapDumps());
    } finally {
      this.close();
    }
    return { exitCode: code, reason: this.reason ?? 'exit', maps: this.finalMaps };
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.dispose();
    live.delete(this);
    this.queue.close();
  }

  /** @internal The process is exiting: close everything now (no END, no final events). */
  disposeAtExit(): void {
    this.reason = 'process-exit';
    this.close();
  }
}

/**
 * Compile `script` (or take one compile() made), load it and attach its probes. Resolves once every
 * probe is attached and BEGIN has run; rejects with DiagnosticError, VerifierError, AttachError,
 * InternalCompilerError or TsbpfError, each with the CLI's text as its message. Needs root.
 */
export async function trace(script: string | CompiledScript, opts: TraceOptions = {}): Promise<Trace> {
  const signal = opts.signal;
  signal?.throwIfAborted();
  ensureTracefs(() => undefined);
  let compiled: CompiledScript;
  if (typeof script === 'string') {
    const result = await compile(script, opts);
    if (!result.ok) throw new DiagnosticError(result.message, result.diagnostics);
    compiled = result.script;
  } else {
    const wrong = checkCompiledScript(script);
    if (wrong !== undefined) throw new TypeError(`trace(): not a compiled script (${wrong})`);
    compiled = script;
  }
  signal?.throwIfAborted();
  const queue = new EventQueue(opts.eventBuffer ?? 65536);
  const output = new EventOutput((event) => queue.push(event));
  const session = await openSession(compiled, { output, unsafe: opts.unsafe === true, printfCalls: true, stderr: (text) => output.message(text) });
  let probes: number;
  try {
    signal?.throwIfAborted();
    session.load();
    probes = beginRun(session);
    signal?.throwIfAborted();
  } catch (e) {
    session.dispose();
    throw apiError(e);
  }
  return new Trace(session, queue, probes, compiled, signal);
}
