/**
 * tseries(value, interval, num_intervals[, agg]) (bpftrace 0.24+, an unstable feature: 0.26 warns
 * unless `config = { unstable_tseries = enable }`). Layout as bpftrace's: the map key is the script
 * key with the interval's bucket (epoch % num_intervals, a u64) appended, the per-CPU value a
 * 24-byte cell {value, meta, epoch}; the runtime (runtime/output/tseries.ts) reduces the cells per key.
 * Time is the TAI clock (bpftrace's sw_tai); `BPFTRACE_DUMMY_TS_MAP=@ts` reads it from a
 * scalar map instead, as bpftrace's runtime tests do.
 *
 * Reference: bpftrace v0.26.1 src/ast/passes/codegen_llvm.cpp (tseries), pre_type_check.cpp,
 * unstable_feature.cpp, src/util/tseries.cpp.
 */
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr, IrStmt, TseriesAgg } from '../ir/ir.js';
import type { MapSpec } from '../passes/program-info.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { isIntegral, type Type } from '../types/types.js';
import { c64, type ArgContext, type LowerContext } from './library.js';
import { Helper, tseriesKeyLayout } from '../contract/index.js';

/** Index = the `agg` parameter stored in MapSpec.params[2]. */
export const TSERIES_AGGS: readonly TseriesAgg[] = ['last', 'avg', 'max', 'min', 'sum'];
const ALLOWED = ['avg', 'max', 'min', 'sum'];
const MAX_INTERVALS = 1000000n;

/** The bytes of one tseries cell. */
export const TSERIES_CELL = 24;

export interface TseriesArgs {
  /** MapSpec params: interval_ns, num_intervals, agg index, signed. */
  readonly params: bigint[];
  readonly value: IrExpr;
  readonly signed: boolean;
  readonly agg: TseriesAgg;
}

/** The checked literal arguments (pre_type_check.cpp): interval, count and aggregation; undefined after an error. */
export function tseriesCheck(call: ast.Call, cx: ArgContext): { interval: bigint; count: bigint; agg: TseriesAgg } | undefined {
  const [valueExpr, intervalExpr, countExpr, aggExpr] = call.args;
  if (!valueExpr || !intervalExpr || !countExpr) return undefined;
  if (intervalExpr.kind !== 'IntLiteral' && intervalExpr.kind !== 'Positional') {
    cx.diags.error('invalid-argument', 'tseries: invalid interval_ns value (must be non-negative literal)', intervalExpr.span);
    return undefined;
  }
  if (countExpr.kind !== 'IntLiteral' && countExpr.kind !== 'Positional') {
    cx.diags.error('invalid-argument', 'tseries: invalid num_intervals value (must be non-negative literal)', countExpr.span);
    return undefined;
  }
  const interval = cx.constInt(intervalExpr);
  const count = cx.constInt(countExpr);
  if (interval <= 0n) {
    cx.diags.error('invalid-argument', `tseries() interval_ns must be >= 1 (${interval} provided)`, call.span);
    return undefined;
  }
  if (count <= 0n) {
    cx.diags.error('invalid-argument', `tseries() num_intervals must be >= 1 (${count} provided)`, call.span);
    return undefined;
  }
  if (count > MAX_INTERVALS) {
    cx.diags.error('invalid-argument', `tseries() num_intervals must be < 1000000 (${count} provided)`, call.span);
    return undefined;
  }
  let agg: TseriesAgg = 'last';
  if (aggExpr) {
    const name = cx.constString(aggExpr, 'the aggregation');
    if (name === undefined) return undefined;
    if (!ALLOWED.includes(name)) {
      cx.diags.error('invalid-argument', `tseries() expects one of the following aggregation functions: avg, max, min, sum ("${name}" provided)`, aggExpr.span);
      return undefined;
    }
    agg = name as TseriesAgg;
  }
  return { interval, count, agg };
}

/** The map's parameters for a value of type `valueType` (interval_ns, num_intervals, agg index, signed); undefined when it is not an integer. */
export function tseriesParams(checked: { interval: bigint; count: bigint; agg: TseriesAgg }, valueType: Type): bigint[] | undefined {
  // The value lowering holds as an integer (the type pass's placeholders: integral, none, args).
  if (!isIntegral(valueType) && valueType.kind !== 'none' && valueType.kind !== 'args') return undefined;
  return paramsFor(checked, isSignedType(valueType));
}

function paramsFor(checked: { interval: bigint; count: bigint; agg: TseriesAgg }, signed: boolean): bigint[] {
  return [checked.interval, checked.count, BigInt(TSERIES_AGGS.indexOf(checked.agg)), signed ? 1n : 0n];
}

/** Check the arguments (tseriesCheck) and lower the value; undefined after an error. */
export function tseriesArgs(call: ast.Call, cx: LowerContext): TseriesArgs | undefined {
  const checked = tseriesCheck(call, cx);
  if (!checked) return undefined;
  const valueExpr = call.args[0]!;
  const v = cx.value(valueExpr);
  if (v.int === undefined) {
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', 'tseries() takes an integer value', valueExpr.span);
    return undefined;
  }
  const signed = isSignedType(v.type);
  return { params: paramsFor(checked, signed), value: cx.intOf(v, valueExpr), signed, agg: checked.agg };
}

function isSignedType(t: Type): boolean {
  return t.kind === 'int' && t.signed;
}

/**
 * The statements of `@m[key] = tseries(...)`: compute now and the epoch once, append the bucket
 * to the key and update the cell. `dummyTsMap`: the map id to read the time from (tests).
 */
export function tseriesStmts(spec: MapSpec, mapId: number, key: IrBlob, args: TseriesArgs, cx: LowerContext, dummyTsMap?: number): IrStmt[] {
  const [interval, count] = args.params as [bigint, bigint];
  const nowVar = cx.temp();
  const epochVar = cx.temp();
  const now: IrExpr = dummyTsMap === undefined
    ? { op: 'call', helper: Helper.ktime_get_tai_ns, args: [] }
    : { op: 'mapGet', map: dummyTsMap, key: { op: 'zero', size: 8 } };
  const nowV: IrExpr = { op: 'var', id: nowVar };
  const epochV: IrExpr = { op: 'var', id: epochVar };
  const bucket: IrExpr = { op: 'binary', operator: '%', left: epochV, right: c64(count), signed: false };
  const layout = tseriesKeyLayout(spec.keyTypes);
  const fullKey: IrBlob = spec.keyTypes.length === 0
    ? { op: 'int', value: bucket, size: 8 }
    : {
      op: 'record', size: layout.size,
      fields: [{ offset: 0, blob: key }, { offset: layout.bucketOffset, blob: { op: 'int', value: bucket, size: 8 } }],
    };
  return [
    { op: 'setVar', id: nowVar, value: now },
    { op: 'setVar', id: epochVar, value: { op: 'binary', operator: '/', left: nowV, right: c64(interval), signed: false } },
    { op: 'mapTseries', map: mapId, key: fullKey, value: args.value, now: nowV, epoch: epochV, agg: args.agg, signed: args.signed },
  ];
}

/** The unstable-feature warning bpftrace 0.26 logs once per script (unstable_feature.cpp). */
export const TSERIES_UNSTABLE_WARNING =
  'Script is using an unstable feature: tseries. To prevent this warning you must explicitly enable it in the config e.g. unstable_tseries=enable';
export const TSERIES_UNSTABLE_ERROR =
  'tseries feature is not enabled by default. To enable this unstable feature, set the config flag to enable. unstable_tseries=enable';

/** Entries of a tseries map: one per interval of a scalar series; max_map_keys (at least one series) for keyed ones. */
export function tseriesMaxEntries(spec: MapSpec, maxMapKeys: number): number {
  const count = Number(spec.params[1] ?? 1n);
  return spec.keyTypes.length === 0 ? count : Math.max(maxMapKeys, count);
}

/**
 * `unstable_tseries` (config.h default `warn`): warn once when a script uses tseries, unless the
 * config block says `enable`; `error` refuses it at the first use.
 */
export function checkUnstableTseries(program: ast.Program, maps: ReadonlyMap<string, MapSpec>, diags: Diagnostics): void {
  const uses = [...maps.values()].filter((m) => m.kind === 'tseries');
  if (uses.length === 0) return;
  const entry = program.config?.entries.find((e) => e.key.toLowerCase().replace(/^bpftrace_/, '') === 'unstable_tseries');
  const v = entry?.value;
  const setting = v === undefined ? 'warn' : v.kind === 'Identifier' ? v.name : v.kind === 'StringLiteral' ? v.value : v.kind === 'BoolLiteral' ? (v.value ? 'enable' : 'error') : v.kind === 'IntLiteral' ? (v.value !== 0n ? 'enable' : 'error') : '';
  if (setting === 'enable') return;
  if (setting === 'error') {
    diags.error('unstable-feature', TSERIES_UNSTABLE_ERROR, uses[0]!.firstUse.span);
    return;
  }
  if (setting !== 'warn') {
    diags.error('invalid-config', 'unstable_tseries must be one of: enable, warn, error', v?.span);
    return;
  }
  diags.warning('unstable-feature', TSERIES_UNSTABLE_WARNING);
}
