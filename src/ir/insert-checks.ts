/**
 * Which programs check their map updates through the `.helper-errors` counters (IrModule.helperErrorMap)
 * rather than the shared error subprogram: decided on the IR, so that the layout (src/compile.ts,
 * which creates the map only when a program uses it) and the code generator (src/codegen/module.ts
 * insertFailed) agree.
 */
import type { IrStmt } from './ir.js';

/** The most map-update sites a program checks through counters: each costs 2 atomic instructions (and an address load, once a program past one site), against ~4 plus the error subprogram's ~18 once. */
const MAX_COUNTED_INSERTS = 5;

const INSERT_OPS: ReadonlySet<string> = new Set(['mapSet', 'mapAdd', 'mapMinMax', 'mapCountTotal', 'mapBucketAdd', 'mapTseries']);

/**
 * Whether a program's map-update checks should count into `.helper-errors` (a few of them, and no
 * other checked helper call, which needs the error subprogram anyway): a walk over its IR, plain
 * data, counting the statements with an `err` event, but for the updates of `unchecked` maps
 * (scalar int arrays, IrMap.intArray, whose stores cannot fail: the code checks nothing there).
 */
export function usesInsertCounters(body: readonly IrStmt[], unchecked: ReadonlySet<number>): boolean {
  const { inserts, others } = checkedSites(body, unchecked);
  return others === 0 && inserts > 0 && inserts <= MAX_COUNTED_INSERTS;
}

/** How many checked map-update sites a program's body has (the counted ones, when usesInsertCounters). */
export function checkedInsertSites(body: readonly IrStmt[], unchecked: ReadonlySet<number>): number {
  return checkedSites(body, unchecked).inserts;
}

/**
 * The `helper-error` event ids the code can report: every `err` of the IR but those of the
 * updates of `unchecked` maps (scalar int arrays, whose stores check nothing).
 */
export function reportedErrors(body: readonly IrStmt[], unchecked: ReadonlySet<number>): Set<number> {
  const ids = new Set<number>();
  forEachCheck(body, unchecked, (err) => ids.add(err));
  return ids;
}

/**
 * How many checked sites of a program report a failure as a `helper-error` event through the ring
 * buffer (the error subprogram): all of them, unless its map updates count into `.helper-errors`
 * (usesInsertCounters; then it has no other checked site).
 */
export function ringReportingSites(body: readonly IrStmt[], unchecked: ReadonlySet<number>): number {
  const { inserts, others } = checkedSites(body, unchecked);
  return others === 0 && inserts > 0 && inserts <= MAX_COUNTED_INSERTS ? 0 : inserts + others;
}

/** The statements with an `err` event: map updates (inserts) and any other checked helper call. */
function checkedSites(body: readonly IrStmt[], unchecked: ReadonlySet<number>): { inserts: number; others: number } {
  let inserts = 0;
  let others = 0;
  forEachCheck(body, unchecked, (_err, insert) => (insert ? inserts++ : others++));
  return { inserts, others };
}

/** Calls `f` for each checked IR node (its `err` event id, and whether it is a map update), skipping updates of `unchecked` maps. */
function forEachCheck(body: readonly IrStmt[], unchecked: ReadonlySet<number>, f: (err: number, insert: boolean) => void): void {
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const y of x) visit(y);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as { op?: unknown; err?: unknown; map?: unknown };
    if (typeof o.err === 'number') {
      const insert = typeof o.op === 'string' && INSERT_OPS.has(o.op);
      if (!(insert && typeof o.map === 'number' && unchecked.has(o.map))) f(o.err, insert);
    }
    for (const v of Object.values(x)) if (v !== null && typeof v === 'object') visit(v);
  };
  visit(body);
}
