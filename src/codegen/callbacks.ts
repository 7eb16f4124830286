/**
 * Callback subprograms (bpf_loop, bpf_for_each_map_elem): the frame a program shares with them.
 *
 * A program whose body has a callback statement (IR `forEachMap`, `callbackLoop`) keeps all its
 * variables in one frame on its stack instead of one slot each; the frame's address is the
 * helper's callback context, so a callback reads and writes the very same variables (bpftrace
 * 0.22+: loop bodies share the probe's variables). The frame also holds the probe context pointer
 * (so `args`, stacks... work in a loop body) and a flag a callback sets on `return`, which the
 * caller checks once the helper is back.
 *
 * ```
 * frame:  +0  probe context pointer (i8*)
 *         +8  returned flag (i64)
 *         +16 variables, each 8-aligned
 * ```
 */
import type { IrStmt, IrVar } from '../ir/ir.js';

export const FRAME_CTX = 0;
export const FRAME_RETURNED = 8;
const FRAME_VARS = 16;

export interface FrameLayout {
  readonly size: number;
  /** Variable id → byte offset in the frame. */
  readonly offsets: ReadonlyMap<number, number>;
}

export function frameLayout(vars: readonly IrVar[]): FrameLayout {
  const offsets = new Map<number, number>();
  let at = FRAME_VARS;
  for (const v of vars) {
    offsets.set(v.id, at);
    at += Math.max(8, Math.ceil((v.size ?? 8) / 8) * 8);
  }
  return { size: at, offsets };
}

/** Whether any statement or nested expression of `body` runs a callback. */
export function usesCallbacks(body: readonly IrStmt[]): boolean {
  return contains(body);
}

function contains(x: unknown): boolean {
  if (Array.isArray(x)) return x.some(contains);
  if (x !== null && typeof x === 'object') {
    const op = (x as { op?: unknown }).op;
    if (op === 'forEachMap' || op === 'callbackLoop') return true;
    return Object.values(x as Record<string, unknown>).some(contains);
  }
  return false;
}
