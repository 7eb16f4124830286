/**
 * Which scalar aggregation maps become one-entry PERCPU_ARRAYs (as bpftrace does for `@ = count()`).
 *
 * A keyless `@ = count()` in a per-CPU hash needs a lookup, and on the first event an update whose
 * failure the program must check and report; in a per-CPU array the one entry always exists, so
 * the program is a lookup the kernel inlines and an in-place add (src/codegen/module.ts). The
 * runtime tells an entry nothing wrote from a written one by its value (runtime/session/session.ts
 * dumpMap): that is exact for the aggregations whose written value is never all zeroes (count >= 1,
 * a bucket >= 1, min/max with their set flag, avg/stats with their count); a `sum` can add up to
 * zero (`@ = sum(0)` prints `@: 0`), so its array entry carries a written word after the sum
 * (SUM_ARRAY_VALUE_SIZE), set by every add. Maps a probe deletes from or walks keep their hash,
 * where absence is a real state.
 */
import type { IrBlob, IrCallArg, IrExpr, IrProgram, IrStmt } from '../ir/ir.js';
import type { MapKind } from '../contract/index.js';

/** The aggregations a scalar per-CPU array holds exactly. */
const ARRAY_KINDS: ReadonlySet<MapKind> = new Set<MapKind>(['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist']);

/** A scalar `sum` array's value: the sum (i64), then a word every add sets to 1 (the entry was written). */
export const SUM_ARRAY_VALUE_SIZE = 16;

/** Whether a scalar map of `kind` may live in a PERCPU_ARRAY, judged by its kind alone. */
export function scalarArrayKind(kind: MapKind): boolean {
  return ARRAY_KINDS.has(kind);
}

/**
 * The ids of the maps the programs use in any other way than aggregating into them or reading
 * them back (mapAdd, mapMinMax, mapCountTotal, mapBucketAdd, mapAggRead): a delete, a map walk,
 * a helper given the map, a plain get or set.
 */
export function mapsUsedOtherwise(programs: readonly IrProgram[]): Set<number> {
  const other = new Set<number>();
  const expr = (e: IrExpr): void => {
    switch (e.op) {
      case 'binary': case 'logical': expr(e.left); expr(e.right); return;
      case 'unary': case 'cast': expr(e.operand); return;
      case 'ternary': expr(e.cond); expr(e.then); expr(e.else); return;
      case 'mapGet': other.add(e.map); blob(e.key); return;
      case 'mapAggRead': blob(e.key); return;
      case 'msb': expr(e.value); return;
      case 'blobEquals': blob(e.left); blob(e.right); return;
      case 'strContains': blob(e.haystack); return;
      case 'seq': stmts(e.stmts); expr(e.value); return;
      case 'blobLoad': blob(e.blob); return;
      case 'readInt': expr(e.addr); return;
      case 'call': e.args.forEach(arg); return;
      case 'const': case 'builtin': case 'ctxLoad': case 'ctxAddr': case 'var': case 'varAddr': return;
    }
  };
  const arg = (a: IrCallArg): void => {
    switch (a.kind) {
      case 'int': expr(a.value); return;
      case 'blob': blob(a.blob); return;
      case 'blobAt': blob(a.blob); expr(a.offset); return;
      case 'map': other.add(a.map); return;
      case 'ctx': case 'dst': return;
    }
  };
  const blob = (b: IrBlob): void => {
    switch (b.op) {
      case 'int': expr(b.value); return;
      case 'readStr': case 'readBytes': expr(b.addr); return;
      case 'record': b.fields.forEach((f) => blob(f.blob)); return;
      case 'mapGetBlob': other.add(b.map); blob(b.key); return;
      case 'callFill': b.args.forEach(arg); return;
      case 'pktBytes': expr(b.offset); blob(b.fallback); return;
      case 'slice': blob(b.blob); return;
      case 'select': expr(b.cond); blob(b.then); blob(b.else); return;
      case 'seqBlob': stmts(b.stmts); blob(b.value); return;
      case 'zero': case 'string': case 'comm': case 'ctxBytes': case 'varBlob': return;
    }
  };
  const stmt = (s: IrStmt): void => {
    switch (s.op) {
      case 'mapAdd': blob(s.key); expr(s.delta); return;
      case 'mapMinMax': case 'mapCountTotal': blob(s.key); expr(s.value); return;
      case 'mapBucketAdd': blob(s.key); expr(s.bucket); return;
      case 'mapSet': other.add(s.map); blob(s.key); blob(s.value); return;
      case 'mapDelete': other.add(s.map); blob(s.key); return;
      case 'mapTseries': other.add(s.map); blob(s.key); expr(s.value); expr(s.now); expr(s.epoch); return;
      case 'emit': blob(s.record); return;
      case 'emitPtr': expr(s.ptr); return;
      case 'setVar': expr(s.value); return;
      case 'setVarBlob': blob(s.value); return;
      case 'if': expr(s.cond); stmts(s.then); stmts(s.else); return;
      case 'loop': expr(s.cond); stmts(s.body); stmts(s.step); return;
      case 'forEachMap': other.add(s.map); stmts(s.body); return;
      case 'callbackLoop': expr(s.count); stmts(s.body); return;
      case 'return': case 'break': case 'continue': return;
    }
  };
  const stmts = (list: readonly IrStmt[]): void => list.forEach(stmt);
  for (const p of programs) stmts(p.body);
  return other;
}
