/**
 * The one interface every renderer implements (bpftrace 0.26 src/output/output.h `Output`).
 * Renderers are pure formatters over runtime/value.ts; the caller decides when to call what
 * (e.g. `mapsHeader()` then one `map()` per printable map, in name order, at exit).
 */
import type { MapDump, Value } from '../value.js';
import type { MapPrintOptions } from './format-map.js';

export type { MapPrintOptions } from './format-map.js';

/** Anything with `write(string)`: a process stream, a file writer, a test collector. */
export interface Sink {
  write(s: string): unknown;
}

export interface OutputOptions {
  /** Program output (stdout or `-o FILE`). */
  out: Sink;
  /** Diagnostics (stderr). */
  err: Sink;
  /**
   * Colour log-style lines (warnf/errorf) like bpftrace's LOG colouring. The caller decides
   * (TTY, NO_COLOR, BPFTRACE_COLOR-like flags); map, printf and value output are never coloured,
   * as in bpftrace 0.26.
   */
  color: boolean;
}

/**
 * A script location for warnf/errorf, as bpftrace prints it: `text` is the `file:line:col[-col]`
 * form (`stdin:1:9-12`); `context` is the source line and caret line(s) printed under
 * "expanded from" entries.
 */
export interface SourceLocation {
  filename: string;
  line: number;
  col: number;
  text: string;
  context?: string[];
}

export interface Output {
  /** After attaching: text `Attached N probe(s)` on stderr; JSON `attached_probes` on stdout. */
  attachedProbes(n: number): void;
  /** An already formatted printf() result (text: written as is). */
  printf(text: string): void;
  /**
   * warnf()/errorf(): text mode writes `LOC: WARNING: msg` / `LOC: ERROR: msg` to stderr (coloured
   * yellow/red when `color`), then one "expanded from" entry per further location; JSON writes a
   * `warnf`/`errorf` object with the first location.
   */
  warnf(text: string, locations: readonly SourceLocation[]): void;
  errorf(text: string, locations: readonly SourceLocation[]): void;
  /** print() of a non-map value. */
  value(v: Value): void;
  /** time() output (already strftime-formatted). */
  time(text: string): void;
  /** cat() output. */
  cat(text: string): void;
  /** join() output (text adds a newline). */
  join(text: string): void;
  /** system() output (text adds a newline). */
  syscall(text: string): void;
  /** print(@m[, top[, div]]) and the exit-time dump of one map. */
  map(dump: MapDump, opts?: MapPrintOptions): void;
  /** Text `Lost N events` on stderr; JSON `lost_events` on stdout. */
  lostEvents(n: number | bigint): void;
  /**
   * At the end of a run with losses (bpftrace.cpp: a LOG(WARNING), so stderr in both formats):
   * `WARNING: Total lost event count: N`, yellow when `color`.
   */
  totalLostEvents(n: number | bigint): void;
  /**
   * End of the run, before the exit-time map dump (bpftrace `Output::end`): text writes two
   * newlines, JSON nothing.
   */
  mapsHeader(): void;
  /** Push out anything buffered (calls `flush()` on the sinks if they have one). */
  flush(): void;
}

export function totalLostLine(n: number | bigint, color: boolean): string {
  const msg = `WARNING: Total lost event count: ${n}`;
  return color ? `\x1b[33m${msg}\x1b[0m\n` : msg + '\n';
}

export function flushSink(s: Sink): void {
  const f = (s as { flush?: () => unknown }).flush;
  if (typeof f === 'function') f.call(s);
}
