/**
 * Which keyless maps become one-entry arrays, whose entry always exists: no insert, so no insert
 * failure to check.
 *
 * A keyless `@ = count()` in a per-CPU hash needs a lookup, and on the first event an update whose
 * failure the program must check and report; in a per-CPU array the one entry always exists, so
 * the program is a lookup the kernel inlines and an in-place add (src/codegen/module.ts). The
 * runtime tells an entry nothing wrote from a written one by its value (runtime/session/session.ts
 * dumpMap): that is exact for the aggregations whose written value is never all zeroes (count >= 1,
 * a bucket >= 1, min/max with their set flag, avg/stats with their count); a `sum` can add up to
 * zero (`@ = sum(0)` prints `@: 0`), so its array entry carries a written word after the sum
 * (SUM_ARRAY_VALUE_SIZE), set by every add.
 *
 * Integers assigned (`@a = 1`, `@a += n`, `@a++`, read back as `@a`): a one-entry ARRAY whose value
 * is {the integer, a written flag} (SCALAR_SET_FLAG_OFFSET in src/contract/script.ts): every use
 * is a load or store at the value's address (`ld_imm64` of BPF_PSEUDO_MAP_VALUE), with no helper
 * call, lookup, null check or failure to report; the flag is what tells `@a = 0` from nothing
 * written. A statement costs a few instructions instead of a map update and its check, which
 * also keeps LLVM's work per statement small (a probe of 4000 `@a = 1;` compiles in a fraction of
 * the time).
 *
 * Maps a probe deletes from, walks or hands a helper keep their hash, where absence is a real state.
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

/** The IR operations that use a map (statement and expression ops, `arg` for a helper call given the map). */
export type MapUseOp = 'mapAdd' | 'mapMinMax' | 'mapCountTotal' | 'mapBucketAdd' | 'mapAggRead' | 'mapGet' | 'mapGetBlob' | 'mapSet' | 'mapDelete' | 'mapTseries' | 'forEachMap' | 'arg';

/** The uses an aggregation into a scalar PERCPU_ARRAY allows: aggregating into it, reading it back. */
const AGGREGATING_OPS: ReadonlySet<MapUseOp> = new Set<MapUseOp>(['mapAdd', 'mapMinMax', 'mapCountTotal', 'mapBucketAdd', 'mapAggRead']);

/** The uses an assigned integer in a scalar ARRAY allows: loads and stores at its value's address. */
const INT_VALUE_OPS: ReadonlySet<MapUseOp> = new Set<MapUseOp>(['mapSet', 'mapGet', 'mapAdd']);

/**
 * The ids of the maps (of `uses`, mapUses) the programs use in any other way than aggregating into them or reading
 * them back (mapAdd, mapMinMax, mapCountTotal, mapBucketAdd, mapAggRead): a delete, a map walk,
 * a helper given the map, a plain get or set.
 */
export function mapsUsedOtherwise(uses: ReadonlyMap<number, ReadonlySet<MapUseOp>>): Set<number> {
  return mapsUsedBeyond(uses, AGGREGATING_OPS);
}

/** The ids of the maps used otherwise than by storing, loading or adding to an integer (mapSet, mapGet, mapAdd). */
export function mapsUsedBeyondIntValue(uses: ReadonlyMap<number, ReadonlySet<MapUseOp>>): Set<number> {
  return mapsUsedBeyond(uses, INT_VALUE_OPS);
}

function mapsUsedBeyond(uses: ReadonlyMap<number, ReadonlySet<MapUseOp>>, allowed: ReadonlySet<MapUseOp>): Set<number> {
  const out = new Set<number>();
  for (const [id, ops] of uses) if ([...ops].some((op) => !allowed.has(op))) out.add(id);
  return out;
}

/** Every map id the programs use, with the operations that use it. */
export function mapUses(programs: readonly IrProgram[]): Map<number, Set<MapUseOp>> {
  const uses = new Map<number, Set<MapUseOp>>();
  const use = (map: number, op: MapUseOp): void => {
    let ops = uses.get(map);
    if (!ops) uses.set(map, (ops = new Set()));
    ops.add(op);
  };
  const expr = (e: IrExpr): void => {
    switch (e.op) {
      case 'binary': case 'logical': expr(e.left); expr(e.right); return;
      case 'unary': case 'cast': expr(e.operand); return;
      case 'ternary': expr(e.cond); expr(e.then); expr(e.else); return;
      case 'mapGet': use(e.map, 'mapGet'); blob(e.key); return;
      case 'mapAggRead': use(e.map, 'mapAggRead'); blob(e.key); return;
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
      case 'map': use(a.map, 'arg'); return;
      case 'ctx': case 'dst': return;
    }
  };
  const blob = (b: IrBlob): void => {
    switch (b.op) {
      case 'int': expr(b.value); return;
      case 'readStr': case 'readBytes': expr(b.addr); return;
      case 'record': b.fields.forEach((f) => blob(f.blob)); return;
      case 'mapGetBlob': use(b.map, 'mapGetBlob'); blob(b.key); return;
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
      case 'mapAdd': use(s.map, 'mapAdd'); blob(s.key); expr(s.delta); return;
      case 'mapMinMax': case 'mapCountTotal': use(s.map, s.op); blob(s.key); expr(s.value); return;
      case 'mapBucketAdd': use(s.map, 'mapBucketAdd'); blob(s.key); expr(s.bucket); return;
      case 'mapSet': use(s.map, 'mapSet'); blob(s.key); blob(s.value); return;
      case 'mapDelete': use(s.map, 'mapDelete'); blob(s.key); return;
      case 'mapTseries': use(s.map, 'mapTseries'); blob(s.key); expr(s.value); expr(s.now); expr(s.epoch); return;
      case 'emit': blob(s.record); return;
      case 'emitPtr': expr(s.ptr); return;
      case 'setVar': expr(s.value); return;
      case 'setVarBlob': blob(s.value); return;
      case 'if': expr(s.cond); stmts(s.then); stmts(s.else); return;
      case 'loop': expr(s.cond); stmts(s.body); stmts(s.step); return;
      case 'forEachMap': use(s.map, 'forEachMap'); stmts(s.body); return;
      case 'callbackLoop': expr(s.count); stmts(s.body); return;
      case 'return': case 'break': case 'continue': return;
    }
  };
  const stmts = (list: readonly IrStmt[]): void => list.forEach(stmt);
  for (const p of programs) stmts(p.body);
  return uses;
}

