/**
 * The one interface every renderer implements (bpftrace 0.26 src/output/output.h `Output`).
 * Renderers are pure formatters over runtime/output/value.ts; the caller decides when to call what
 * (e.g. `mapsHeader()` then one `map()` per printable map, in name order, at exit).
 */
import type { MapDump, MapSource, Value } from './value.js';
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

/** A printf() call's format and decoded arguments, for outputs that keep them (runtime/api/). */
export interface PrintfCall {
  readonly format: string;
  readonly args: readonly Value[];
}

export interface Output {
  /** After attaching: text `Attached N probe(s)` on stderr; JSON `attached_probes` on stdout. */
  attachedProbes(n: number): void;
  /**
   * An already formatted printf() result (text: written as is). `call` is given only when the
   * session was asked for it (SessionOptions.printfCalls): decoding costs time the CLI does not spend.
   */
  printf(text: string, call?: PrintfCall): void;
  /**
   * warnf()/errorf(): text mode writes `LOC: WARNING: msg` / `LOC: ERROR: msg` to stderr (coloured
   * yellow/red when `color`), then one "expanded from" entry per further location; JSON writes a
   * `warnf`/`errorf` object with the first location.
   */
  warnf(text: string, locations: readonly SourceLocation[]): void;
  errorf(text: string, locations: readonly SourceLocation[]): void;
  /**
   * A BPF helper failed at `loc` (bpftrace `runtime_error` HELPER_ERROR): text writes
   * `LOC: WARNING: msg`, `Additional Info - helper: H, retcode: N` and the source context to stderr;
   * JSON writes a `helper_error` object (its `msg` is always strerror(-retcode)).
   */
  helperError(helper: string, retcode: number, loc: SourceLocation): void;
  /**
   * The same helper failure happened `count` more times since it was last reported
   * (runtime/session/warning-limiter.ts): text writes `LOC: WARNING: msg (repeated N times)` to stderr;
   * JSON writes the `helper_error` object with `"repeated": N`.
   */
  helperErrorRepeated(helper: string, retcode: number, loc: SourceLocation, count: number): void;
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
  map(dump: MapDump | MapSource, opts?: MapPrintOptions): void;
  /** Text `Lost N events` on stderr; JSON `lost_events` on stdout. */
  lostEvents(n: number | bigint): void;
  /**
   * At the end of a run with losses (bpftrace.cpp: a LOG(WARNING), so stderr in both formats):
   * `WARNING: Total lost event count: N`, yellow when `color`.
   */
  totalLostEvents(n: number | bigint): void;
  /**
   * At the end of a run in which some runtime warning repeated: `WARNING: Total runtime warning
   * count: N` (every occurrence, printed or counted) on stderr, in both formats, like the lost-event total.
   */
  totalRuntimeWarnings(n: number): void;
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

export function totalRuntimeWarningsLine(n: number, color: boolean): string {
  const msg = `WARNING: Total runtime warning count: ${n}`;
  return color ? `\x1b[33m${msg}\x1b[0m\n` : msg + '\n';
}

/** The suffix of a warning line that stands for `count` occurrences. */
export function repeatedSuffix(count: number): string {
  return count === 1 ? ' (repeated 1 time)' : ` (repeated ${count} times)`;
}

/** glibc strerror() text for the errnos BPF helpers return; `Unknown error N` otherwise. */
const ERRNO_TEXT: Record<number, string> = {
  0: 'Success', 1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process', 4: 'Interrupted system call',
  5: 'Input/output error', 7: 'Argument list too long', 9: 'Bad file descriptor', 11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory', 13: 'Permission denied', 14: 'Bad address', 16: 'Device or resource busy', 17: 'File exists',
  19: 'No such device', 22: 'Invalid argument', 24: 'Too many open files', 28: 'No space left on device', 34: 'Numerical result out of range',
  36: 'File name too long', 38: 'Function not implemented', 61: 'No data available', 75: 'Value too large for defined data type',
  95: 'Operation not supported', 524: 'Unknown error 524',
};
export function strerror(errno: number): string {
  return ERRNO_TEXT[errno] ?? `Unknown error ${errno}`;
}

/** bpftrace TextOutput::runtime_error's message for a failed helper (map full, missing key, else strerror). */
export function helperErrorText(helper: string, retcode: number): string {
  if (helper === 'map_update_elem' && retcode === -7) {
    return "Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`";
  }
  if (helper === 'map_delete_elem' && retcode === -2) return "Can't delete map element because it does not exist.";
  if (helper === 'map_lookup_elem') return "Can't lookup map element because it does not exist.";
  return strerror(-retcode);
}

export function flushSink(s: Sink): void {
  const f = (s as { flush?: () => unknown }).flush;
  if (typeof f === 'function') f.call(s);
}
