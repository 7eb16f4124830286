import { tupleLayout, type FieldLayout, type Type } from './types.js';

/**
 * Asynchronous actions a probe sends to user space through the ring buffer. Every record starts
 * with a u64 event id (the index in CompiledScript.events); its other fields follow at the offsets
 * `recordLayout` gives.
 */
export type EventSpec =
  | { readonly kind: 'printf'; readonly format: string; readonly args: readonly Type[] }
  | { readonly kind: 'exit'; readonly args: readonly Type[] }
  | { readonly kind: 'print-map'; readonly map: string; readonly args: readonly Type[]; readonly top: number; readonly div: number }
  | { readonly kind: 'print-value'; readonly args: readonly Type[] }
  | { readonly kind: 'clear'; readonly map: string; readonly args: readonly Type[] }
  | { readonly kind: 'zero'; readonly map: string; readonly args: readonly Type[] }
  | { readonly kind: 'time'; readonly format: string; readonly args: readonly Type[] }
  /** Function library (src/builtins/): cat/system text, and a pid whose memory maps user space should snapshot now. */
  | { readonly kind: 'cat' | 'system'; readonly format: string; readonly args: readonly Type[] }
  | { readonly kind: 'user-pid'; readonly args: readonly Type[] }
  /** unwatch(addr): detach the watchpoints on the address (one u64 arg). */
  | { readonly kind: 'unwatch'; readonly args: readonly Type[] }
  /** errorf()/warnf(): printf-formatted text printed as a log line with the call's location `file:line:col-col`. */
  | { readonly kind: 'errorf' | 'warnf'; readonly format: string; readonly loc: { readonly filename: string; readonly line: number; readonly col: number; readonly text: string }; readonly args: readonly Type[] }
  /** join(char *arr[], sep): the strings of `arr` (one `str` arg each), printed joined by `sep` up to the first empty one. */
  | { readonly kind: 'join'; readonly sep: string; readonly args: readonly Type[] }
  /** A runtime warning about a place in the script (division by zero), rendered at compile time. */
  | { readonly kind: 'runtime-warning'; readonly text: string; readonly args: readonly Type[] }
  /**
   * A BPF helper failed (bpftrace's HELPER_ERROR runtime error): `helper` is bpftrace's name for it
   * (`probe_read_kernel`, `map_update_elem`), `loc` the place in the script with its source line and
   * underline (`context`); one arg, the helper's return code (i64).
   */
  | { readonly kind: 'helper-error'; readonly helper: string; readonly loc: { readonly filename: string; readonly line: number; readonly col: number; readonly text: string; readonly context: readonly string[] }; readonly args: readonly Type[] };

/**
 * The per-site failure counters of map updates: a one-entry ARRAY. Its value starts with a
 * constant word, HELPER_ERROR_ONE (1, written by the runtime when it creates the map), which a
 * counted insert of the value 1 (count(), sum(1), `@[k]++`) passes as its value pointer: the same
 * register then addresses the counters, so the insert needs no stack store. Then, for each
 * `helper-error` event id `e` at helperErrorSlot(e), {i64 sum of the update's return codes, i64
 * OR of them}: a program adds and ORs every return code in, branch-free (0 on success changes
 * neither), and the runtime derives the failures from the two (runtime/session/helper-error-counters.ts:
 * all failures of one code c make OR = c and SUM = n * c). It reads the map each second and at the
 * end and reports each new failure as the `helper-error` event would have been.
 */
export const HELPER_ERROR_MAP = '.helper-errors';

/** The byte offset in the `.helper-errors` value of the constant 1 (a u64). */
export const HELPER_ERROR_ONE = 0;

/** Where event `e`'s counters are in the `.helper-errors` value: the sum of return codes at `sum`, their OR at `or` (i64 each). */
export function helperErrorSlot(event: number): { readonly sum: number; readonly or: number } {
  const sum = 8 + 16 * event;
  return { sum, or: sum + 8 };
}

/** The `.helper-errors` value size for a script of `events` events. */
export function helperErrorValueSize(events: number): number {
  return 8 + 16 * events;
}

/**
 * One-entry array the runtime sets to 1 when the run ends, before END runs: every attached program
 * returns at once once it is set (src/passes/run-state.ts).
 */
export const STOPPED_MAP = '.stopped';

export interface RecordLayout {
  /** Offsets of the arguments (the event id is at 0). */
  readonly args: readonly FieldLayout[];
  readonly size: number;
}

export function recordLayout(args: readonly Type[]): RecordLayout {
  const { fields, size } = tupleLayout([{ kind: 'int', bits: 64, signed: false }, ...args]);
  return { args: fields.slice(1), size };
}
