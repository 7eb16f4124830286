/**
 * The API's data: what `trace()`'s events and map snapshots are made of. Plain JS data (objects,
 * arrays, strings, bigints), with a `kind` on every union so TypeScript narrows it.
 */
import type { Value } from '../output/value.js';

export type { Value, StackMode } from '../output/value.js';
export type { Diagnostic, Span, Severity, CompiledScript } from '../../src/contract/index.js';

/** One histogram bucket: values `min <= v < max`; `null` is unbounded (the negative or overflow bucket). */
export interface HistogramBucket {
  readonly min: bigint | null;
  readonly max: bigint | null;
  readonly count: bigint;
}

/** The value stored under one key of a map. */
export type MapValueSnapshot =
  /** count(), sum(), min(), max() and plain integer maps (`@x = 5`, `@x++`). */
  | { readonly kind: 'count' | 'sum' | 'min' | 'max' | 'int'; readonly value: bigint }
  /** avg(): the average, truncated toward zero as the CLI prints it. */
  | { readonly kind: 'avg'; readonly value: bigint }
  | { readonly kind: 'stats'; readonly count: bigint; readonly average: bigint; readonly total: bigint }
  /** hist(): the buckets from the first non-empty one to the last, as the CLI prints them. */
  | { readonly kind: 'hist'; readonly buckets: readonly HistogramBucket[] }
  /** lhist(min, max, step): the buckets from the first non-empty one to the last. */
  | { readonly kind: 'lhist'; readonly min: bigint; readonly max: bigint; readonly step: bigint; readonly buckets: readonly HistogramBucket[] }
  /** tseries(): the intervals, oldest first; `start` in ns since the epoch, `value` null when nothing was recorded. */
  | { readonly kind: 'tseries'; readonly points: readonly { readonly start: bigint; readonly value: bigint | null }[] }
  /** Anything else a map holds: strings, tuples, stacks (symbolized frames), records... */
  | { readonly kind: 'value'; readonly value: Value };

export interface MapEntrySnapshot {
  /** The key as a tuple of values: `[]` for a scalar map (`@x`), `[k]` for `@[k]`, `[k1, k2]` for `@[k1, k2]`. */
  readonly key: readonly Value[];
  readonly value: MapValueSnapshot;
}

export interface MapSnapshot {
  /** With its `@`: `@`, `@calls`. */
  readonly name: string;
  /** In the order the CLI prints them (by value for aggregations, by key otherwise). */
  readonly entries: readonly MapEntrySnapshot[];
}

/** Every map of the script by name (`maps['@calls']`), empty ones included. */
export type MapsSnapshot = Readonly<Record<string, MapSnapshot>>;

/** A place in the script (warnf/errorf, a failed helper): `text` is the CLI's `file:line:col` form. */
export interface EventLocation {
  readonly filename: string;
  readonly line: number;
  readonly col: number;
  readonly text: string;
}

interface Rendered {
  /** Exactly what the CLI (`-f text`) writes for this event, newlines included. */
  readonly text: string;
  /** Where the CLI writes it. */
  readonly stream: 'stdout' | 'stderr';
}

/** What a running script sends, in order. */
export type TraceEvent = Rendered &
  (
    | { readonly kind: 'printf'; readonly format: string; readonly args: readonly Value[] }
    /** print(value) of a non-map value. */
    | { readonly kind: 'print'; readonly value: Value }
    /** print(@map[, top[, div]]). */
    | { readonly kind: 'map'; readonly map: MapSnapshot }
    | { readonly kind: 'time' | 'cat' | 'join' | 'system' }
    | { readonly kind: 'warnf' | 'errorf'; readonly message: string; readonly location: EventLocation | null }
    /** A BPF helper failed (`-k` checks); `repeated` counts further failures since the last report. */
    | { readonly kind: 'helper-error'; readonly helper: string; readonly retcode: number; readonly location: EventLocation; readonly repeated: number }
    /** The kernel dropped `count` events (the ring buffer was full). */
    | { readonly kind: 'lost'; readonly count: bigint }
    /** `count` events were dropped because the consumer did not keep up (TraceOptions.eventBuffer). */
    | { readonly kind: 'dropped'; readonly count: number }
    /** Any other message the CLI prints on stderr (runtime warnings, a failed cat(), totals at the end). */
    | { readonly kind: 'message' }
  );

/** How a trace ended. */
export interface TraceResult {
  /** The script's exit() code; 0 after stop() or an abort. */
  readonly exitCode: number;
  /** Why it ended. */
  readonly reason: 'exit' | 'stop' | 'abort' | 'process-exit';
  /** Every map after END ran. */
  readonly maps: MapsSnapshot;
}
