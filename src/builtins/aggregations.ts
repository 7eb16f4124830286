/**
 * The aggregations (`@m[k] = count()`, bpftrace's map functions): each checks its arguments,
 * declares its use of the assigned map (kind, value type and parameters are part of the map's
 * type, resolved over the script by src/passes/resolve-types.ts) and updates the entry.
 */
import type * as ast from '../ast/nodes.js';
import { histBucketCount, lhistBucketCount } from '../contract/index.js';
import type { IrExpr, IrStmt } from '../ir/ir.js';
import type { MapKind } from '../passes/program-info.js';
import { u64 } from '../types/types.js';
import { argCount, type ArgContext, type LibFunction, type LowerContext, type MapUse } from './library.js';
import { tseriesArgs, tseriesCheck, tseriesParams, tseriesStmts } from './tseries.js';

/** lhist()'s largest bucket count, its two overflow buckets included. */
export const MAX_LHIST_SLOTS = 1002;

/** The value argument as an integer expression. */
function valueArg(call: ast.Call, cx: LowerContext): IrExpr {
  return cx.intOf(cx.value(call.args[0]!), call.args[0]!);
}

/** An aggregation whose map has no parameters: check the arity, declare the use, update the entry. */
function simple(name: MapKind, args: number, update: (call: ast.Call, cx: LowerContext, use: MapUse, map: number) => IrStmt[]): LibFunction {
  return {
    name,
    typeAggregate(call, tx, use) {
      // As `aggregate`: the value is read after the use is declared.
      if (argCount(call, tx, args, args) && use(name, u64, []) && args > 0) tx.typeOf(call.args[0]!);
    },
    aggregate(call, cx, use) {
      if (!argCount(call, cx, args, args)) return [];
      const entry = use(name, u64, []);
      return entry ? update(call, cx, entry, cx.mapId(entry.spec.name)) : [];
    },
  };
}

const count = simple('count', 0, (_call, _cx, use, map) => [{ op: 'mapAdd', map, key: use.key, delta: { op: 'const', value: 1n } }]);
const sum = simple('sum', 1, (call, cx, use, map) => [{ op: 'mapAdd', map, key: use.key, delta: valueArg(call, cx) }]);
const min = simple('min', 1, (call, cx, use, map) => [{ op: 'mapMinMax', map, key: use.key, value: valueArg(call, cx), which: 'min' }]);
const max = simple('max', 1, (call, cx, use, map) => [{ op: 'mapMinMax', map, key: use.key, value: valueArg(call, cx), which: 'max' }]);
const avg = simple('avg', 1, (call, cx, use, map) => [{ op: 'mapCountTotal', map, key: use.key, value: valueArg(call, cx) }]);
const stats = simple('stats', 1, (call, cx, use, map) => [{ op: 'mapCountTotal', map, key: use.key, value: valueArg(call, cx) }]);

/** hist()'s map parameters (its bits when not 0); undefined after an error. */
function histParams(call: ast.Call, cx: ArgContext): bigint[] | undefined {
  if (!argCount(call, cx, 1, 2)) return undefined;
  if (call.args.length < 2) return [];
  const bits = cx.constInt(call.args[1]!);
  if (bits < 0n || bits > 5n) {
    cx.diags.error('invalid-argument', `hist() bits must be between 0 and 5, got ${bits}`, call.args[1]!.span);
    return undefined;
  }
  return bits !== 0n ? [bits] : [];
}

/** lhist()'s map parameters (min, max, step); undefined after an error. */
function lhistParams(call: ast.Call, cx: ArgContext): bigint[] | undefined {
  if (!argCount(call, cx, 4, 4)) return undefined;
  const params = call.args.slice(1).map((a) => cx.constInt(a));
  const [lo, hi, step] = params as [bigint, bigint, bigint];
  if (step <= 0n || hi <= lo) {
    cx.diags.error('invalid-argument', 'lhist() needs min < max and step > 0', call.span);
    return undefined;
  }
  if (lhistBucketCount(lo, hi, step) > MAX_LHIST_SLOTS) {
    cx.diags.error('invalid-argument', `lhist() would have more than ${MAX_LHIST_SLOTS - 2} buckets`, call.span);
    return undefined;
  }
  return params;
}

/** The typing of an aggregation with parameters: the use declared, then the value read. */
function typeWithParams(kind: MapKind, params: (call: ast.Call, cx: ArgContext) => bigint[] | undefined): LibFunction['typeAggregate'] {
  return (call, tx, use) => {
    const p = params(call, tx);
    if (p && use(kind, u64, p)) tx.typeOf(call.args[0]!);
  };
}

/** hist(v[, bits]): log2 buckets, each power of two split into 2^bits. */
const hist: LibFunction = {
  name: 'hist',
  typeAggregate: typeWithParams('hist', histParams),
  aggregate(call, cx, use) {
    const params = histParams(call, cx);
    if (!params) return [];
    const entry = use('hist', u64, params);
    if (!entry) return [];
    const map = cx.mapId(entry.spec.name);
    const bits = Number(params[0] ?? 0n);
    const { stmts, bucket } = histBucket(cx, valueArg(call, cx), bits);
    return [...stmts, { op: 'mapBucketAdd', map, key: entry.key, bucket, slots: histBucketCount(bits) }];
  },
};

/** lhist(v, min, max, step): linear buckets. */
const lhist: LibFunction = {
  name: 'lhist',
  typeAggregate: typeWithParams('lhist', lhistParams),
  aggregate(call, cx, use) {
    const params = lhistParams(call, cx);
    if (!params) return [];
    const [lo, hi, step] = params as [bigint, bigint, bigint];
    const entry = use('lhist', u64, params);
    if (!entry) return [];
    const map = cx.mapId(entry.spec.name);
    return [{ op: 'mapBucketAdd', map, key: entry.key, bucket: lhistBucket(valueArg(call, cx), lo, hi, step), slots: lhistBucketCount(lo, hi, step) }];
  },
};

/** tseries(v, interval, count[, agg]) (src/builtins/tseries.ts); BPFTRACE_DUMMY_TS_MAP=@ts reads the time from a scalar map (bpftrace's tests). */
const tseries: LibFunction = {
  name: 'tseries',
  typeAggregate(call, tx, use) {
    if (!argCount(call, tx, 3, 4)) return;
    const checked = tseriesCheck(call, tx);
    const params = checked && tseriesParams(checked, tx.typeOf(call.args[0]!));
    if (params) use('tseries', u64, params);
  },
  aggregate(call, cx, use) {
    if (!argCount(call, cx, 3, 4)) return [];
    const t = tseriesArgs(call, cx);
    if (!t) return [];
    const entry = use('tseries', u64, t.params);
    if (!entry) return [];
    const dummy = process.env.BPFTRACE_DUMMY_TS_MAP;
    const dummyId = dummy && cx.scriptMap(dummy)?.kind === 'int' ? cx.mapId(dummy) : undefined;
    return tseriesStmts(entry.spec, cx.mapId(entry.spec.name), entry.key, t, cx, dummyId);
  },
};

export const AGGREGATION_FUNCTIONS: readonly LibFunction[] = [count, sum, min, max, avg, stats, hist, lhist, tseries];

/**
 * log2 bucket as src/contract/histogram.ts histBucketIndex (bits 0): v < 0 → 0, 0 → 1, 1 → 2, [2^k, 2^(k+1)) → k + 2.
 * A six-step binary search on the highest set bit (IR `msb`), through temporaries so no subtree is duplicated.
 */
function histBucket(cx: LowerContext, v: IrExpr, bits = 0): { stmts: IrStmt[]; bucket: IrExpr } {
  const r = cx.temp();
  const c = (n: bigint): IrExpr => ({ op: 'const', value: n });
  const R: IrExpr = { op: 'var', id: r };
  // v is evaluated once (it may call helpers): `original` keeps it, and its sign picks bucket 0 below.
  const original = cx.temp();
  const stmts: IrStmt[] = [{ op: 'setVar', id: original, value: v }];
  // floor(log2 v) for v >= 1: the binary search on the highest set bit (src/codegen/module.ts msb).
  stmts.push({ op: 'setVar', id: r, value: { op: 'msb', value: { op: 'var', id: original } } });
  // 0 → 1, else 2 + floor(log2 v): one test of v (as bpftrace's log2) instead of adding `x >= 1`
  // after the last step, which kept one more value alive across the map lookup (a spill).
  const zero: IrExpr = { op: 'binary', operator: '==', left: { op: 'var', id: original }, right: c(0n), signed: false };
  const nonNegative: IrExpr = { op: 'ternary', cond: zero, then: c(1n), else: { op: 'binary', operator: '+', left: c(2n), right: R, signed: false } };
  const negative: IrExpr = { op: 'binary', operator: '<', left: { op: 'var', id: original }, right: c(0n), signed: true };
  if (bits > 0) {
    // hist(v, k): values below 2^k get one bucket each; above, each power of two splits into 2^k buckets.
    const k = BigInt(bits);
    const mask = (1n << k) - 1n;
    const O: IrExpr = { op: 'var', id: original };
    const shift: IrExpr = { op: 'binary', operator: '-', left: R, right: c(k), signed: false };
    const sub: IrExpr = { op: 'binary', operator: '&', left: { op: 'binary', operator: '>>', left: O, right: shift, signed: false }, right: c(mask), signed: false };
    const top: IrExpr = { op: 'binary', operator: '<<', left: { op: 'binary', operator: '+', left: shift, right: c(1n), signed: false }, right: c(k), signed: false };
    const above: IrExpr = { op: 'binary', operator: '+', left: { op: 'binary', operator: '+', left: top, right: sub, signed: false }, right: c(1n), signed: false };
    const small: IrExpr = { op: 'binary', operator: '<=', left: O, right: c(mask), signed: false };
    const nonNeg: IrExpr = { op: 'ternary', cond: small, then: { op: 'binary', operator: '+', left: O, right: c(1n), signed: false }, else: above };
    return { stmts, bucket: { op: 'ternary', cond: negative, then: c(0n), else: nonNeg } };
  }
  return { stmts, bucket: { op: 'ternary', cond: negative, then: c(0n), else: nonNegative } };
}

/** lhist bucket index as src/contract/histogram.ts lhistBucketIndex: v < min → 0, v > max → overflow, else 1 + (v-min)/step. */
function lhistBucket(v: IrExpr, min: bigint, max: bigint, step: bigint): IrExpr {
  const overflow = BigInt(lhistBucketCount(min, max, step) - 1);
  const below: IrExpr = { op: 'binary', operator: '<', left: v, right: { op: 'const', value: min }, signed: true };
  const above: IrExpr = { op: 'binary', operator: '>', left: v, right: { op: 'const', value: max }, signed: true };
  const inner: IrExpr = {
    op: 'binary', operator: '+', signed: false, left: { op: 'const', value: 1n },
    right: { op: 'binary', operator: '/', signed: false, left: { op: 'binary', operator: '-', left: v, right: { op: 'const', value: min }, signed: true }, right: { op: 'const', value: step } },
  };
  return { op: 'ternary', cond: below, then: { op: 'const', value: 0n }, else: { op: 'ternary', cond: above, then: { op: 'const', value: overflow }, else: inner } };
}
