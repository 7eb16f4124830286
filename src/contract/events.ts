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
 * The per-site failure counters of map updates: a one-entry ARRAY whose value holds, for each
 * `helper-error` event id `e` at byte `e * 16`, {u64 failures, i64 last return code (low 32 bits
 * significant)}. The programs bump a slot through its address instead of sending a record (no
 * ring-buffer write, no subprogram call); the runtime reads the map each second and at the end and
 * reports each new failure as the `helper-error` event would have been.
 */
export const HELPER_ERROR_MAP = '.helper-errors';

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
