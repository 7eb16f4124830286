/**
 * How many bytes a script can put in its event ring buffer before the runtime reads it, when that
 * is known from the code: the default ring buffer (16 MiB, src/compile.ts RINGBUF_BYTES) absorbs a
 * flood of per-event output, and a script whose attached probes send nothing (a count, a
 * histogram) needs only room for what BEGIN and END send, once each. Creating the 16 MiB ring
 * costs ~3.5 ms of the kernel's time at every start. An exit request (emit `dropOk`) needs room
 * once wherever it is: the runtime ends the run at the first, the others may be dropped.
 */
import type { IrStmt } from './ir.js';
import { blobSize } from './blob-size.js';
import { ringReportingSites } from './insert-checks.js';

/** A ring buffer record's header (BPF_RINGBUF_HDR_SZ); records are 8-byte aligned. */
const RECORD_HEADER = 8;
/** A `helper-error` record: {event id, return code} (src/codegen/module.ts errorPath). */
const HELPER_ERROR_RECORD = 16;
/** Statements that repeat their body: what a program among them sends has no bound known here. */
const LOOP_OPS: ReadonlySet<string> = new Set(['loop', 'forEachMap', 'callbackLoop']);

export interface RingProgram {
  readonly body: readonly IrStmt[];
  /** Run once by the runtime (BEGIN, END), not attached to events that may fire any number of times. */
  readonly runOnce: boolean;
}

const recordBytes = (size: number): number => RECORD_HEADER + Math.ceil(size / 8) * 8;

/**
 * The most bytes all `programs` send to the ring buffer, or undefined when unbounded: an attached
 * program that may send anything (an event, a helper-error report), or a run-once program that
 * sends from inside a loop. Every branch is counted as taken (an upper bound).
 */
export function ringDemand(programs: readonly RingProgram[], unchecked: ReadonlySet<number>): number | undefined {
  let total = 0;
  for (const p of programs) {
    const sent = sentBytes(p.body);
    const reports = ringReportingSites(p.body, unchecked);
    if (sent === undefined) return undefined;
    if (!p.runOnce && (sent.bytes > 0 || reports > 0)) return undefined;
    if (reports > 0 && containsLoop(p.body)) return undefined;
    total += sent.bytes + sent.dropOkBytes + reports * recordBytes(HELPER_ERROR_RECORD);
  }
  return total;
}

/**
 * Bytes the `emit` statements of a body send, each once (`dropOk` records apart: room for each
 * site once, in a loop or not); undefined if a counted one is inside a loop.
 */
function sentBytes(body: readonly IrStmt[]): { bytes: number; dropOkBytes: number } | undefined {
  let bytes = 0;
  let dropOkBytes = 0;
  let unbounded = false;
  const visit = (x: unknown, inLoop: boolean): void => {
    if (Array.isArray(x)) {
      for (const y of x) visit(y, inLoop);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as IrStmt | { readonly op?: unknown };
    const op = 'op' in o ? o.op : undefined;
    if (op === 'emit' || op === 'emitPtr') {
      const s = o as Extract<IrStmt, { op: 'emit' | 'emitPtr' }>;
      const size = recordBytes(s.op === 'emit' ? blobSize(s.record) : s.size);
      if (s.op === 'emit' && s.dropOk) dropOkBytes += size;
      else {
        if (inLoop) unbounded = true;
        bytes += size;
      }
    }
    const loop = inLoop || (typeof op === 'string' && LOOP_OPS.has(op));
    for (const v of Object.values(o)) if (v !== null && typeof v === 'object') visit(v, loop);
  };
  visit(body, false);
  return unbounded ? undefined : { bytes, dropOkBytes };
}

function containsLoop(body: readonly IrStmt[]): boolean {
  const visit = (x: unknown): boolean => {
    if (Array.isArray(x)) return x.some(visit);
    if (x === null || typeof x !== 'object') return false;
    const op = (x as { op?: unknown }).op;
    if (typeof op === 'string' && LOOP_OPS.has(op)) return true;
    return Object.values(x).some((v) => v !== null && typeof v === 'object' && visit(v));
  };
  return visit(body);
}
