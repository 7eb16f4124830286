/**
 * An `Output` (runtime/output/output.ts) that turns what a session prints into typed events. Each
 * event's `text` is what the CLI's text renderer writes for the same call, so it is the CLI's
 * output byte for byte; the typed fields are the values it was made from.
 */
import { TextOutput } from '../output/text.js';
import type { MapPrintOptions, Output, PrintfCall, SourceLocation } from '../output/output.js';
import { mapDumpOf, type MapDump, type MapSource, type Value } from '../output/value.js';
import { mapSnapshot } from './map-snapshot.js';
import type { EventLocation, TraceEvent } from './types.js';

type Stream = TraceEvent['stream'];

export class EventOutput implements Output {
  /** What the text renderer wrote during the current call, and to which stream. */
  private written: { text: string; stream: Stream } = { text: '', stream: 'stdout' };
  private readonly text = new TextOutput({
    out: { write: (s: string) => this.capture(s, 'stdout') },
    err: { write: (s: string) => this.capture(s, 'stderr') },
    color: false,
  });

  constructor(private readonly emit: (event: TraceEvent) => void) {}

  private capture(s: string, stream: Stream): void {
    this.written.text += s;
    this.written.stream = stream;
  }

  /** Render through the text output and hand the result to `make`. */
  private rendered(render: () => void): { text: string; stream: Stream } {
    this.written = { text: '', stream: 'stdout' };
    render();
    return this.written;
  }

  /** A message on stderr that is not an Output call (runtime warnings, a failed cat()). */
  message(text: string): void {
    this.emit({ kind: 'message', text, stream: 'stderr' });
  }

  attachedProbes(): void {
    // Not an event: trace() resolves once every probe is attached (Trace.probes).
  }

  printf(text: string, call?: PrintfCall): void {
    this.emit({ kind: 'printf', format: call?.format ?? text, args: call?.args ?? [], text, stream: 'stdout' });
  }

  warnf(message: string, locations: readonly SourceLocation[]): void {
    this.emit({ kind: 'warnf', message, location: location(locations[0]), ...this.rendered(() => this.text.warnf(message, locations)) });
  }

  errorf(message: string, locations: readonly SourceLocation[]): void {
    this.emit({ kind: 'errorf', message, location: location(locations[0]), ...this.rendered(() => this.text.errorf(message, locations)) });
  }

  helperError(helper: string, retcode: number, loc: SourceLocation): void {
    this.emit({ kind: 'helper-error', helper, retcode, location: location(loc)!, repeated: 0, ...this.rendered(() => this.text.helperError(helper, retcode, loc)) });
  }

  helperErrorRepeated(helper: string, retcode: number, loc: SourceLocation, count: number): void {
    this.emit({ kind: 'helper-error', helper, retcode, location: location(loc)!, repeated: count, ...this.rendered(() => this.text.helperErrorRepeated(helper, retcode, loc, count)) });
  }

  value(value: Value): void {
    this.emit({ kind: 'print', value, ...this.rendered(() => this.text.value(value)) });
  }

  time(text: string): void {
    this.emit({ kind: 'time', ...this.rendered(() => this.text.time(text)) });
  }

  cat(text: string): void {
    this.emit({ kind: 'cat', ...this.rendered(() => this.text.cat(text)) });
  }

  join(text: string): void {
    this.emit({ kind: 'join', ...this.rendered(() => this.text.join(text)) });
  }

  syscall(text: string): void {
    this.emit({ kind: 'system', ...this.rendered(() => this.text.syscall(text)) });
  }

  map(source: MapDump | MapSource, opts?: MapPrintOptions): void {
    const dump = mapDumpOf(source);
    this.emit({ kind: 'map', map: mapSnapshot(dump), ...this.rendered(() => this.text.map(dump, opts)) });
  }

  lostEvents(n: number | bigint): void {
    this.emit({ kind: 'lost', count: BigInt(n), ...this.rendered(() => this.text.lostEvents(n)) });
  }

  totalLostEvents(n: number | bigint): void {
    this.emit({ kind: 'message', ...this.rendered(() => this.text.totalLostEvents(n)) });
  }

  totalRuntimeWarnings(n: number): void {
    this.emit({ kind: 'message', ...this.rendered(() => this.text.totalRuntimeWarnings(n)) });
  }

  mapsHeader(): void {
    // The API returns the final maps from stop() / Trace.finished instead of printing them.
  }

  flush(): void {
    // Events are handed over as they come.
  }
}

function location(loc: SourceLocation | undefined): EventLocation | null {
  return loc ? { filename: loc.filename, line: loc.line, col: loc.col, text: loc.text } : null;
}
