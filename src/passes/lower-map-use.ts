/**
 * Maps and aggregations: reads, assignments, `count()`/`hist()`/... , keys converted to the resolved layout (src/passes/lower-maps.ts).
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation } from '../builtins/builtins.js';
import { TSERIES_CELL } from '../builtins/tseries.js';
import { LIBRARY_FUNCTIONS } from '../builtins/functions.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { i64, isIntegral, sizeOf, typeToString, u64, type Type } from '../types/types.js';
import type { MapKind, MapSpec } from './program-info.js';
import { didYouMean } from './suggest.js';
import { histBucketCount, lhistBucketCount } from '../contract/index.js';
import { cSizeOf } from '../kernel/btf.js';
import { pointee } from './lower-types.js';
import { blobAs, keyBlob, keySite, probeKeyValue, valueStorageType, type KeySite } from './lower-maps.js';
import { stmtCaught } from './lower-stmts.js';
import { arith } from './lower-arith.js';
import { helperErr } from './lower-calls.js';
import { type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

export function assignMap(lx: ProbeLowerer, target: ast.MapRef, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): IrStmt[] {
  // `@ = { let $a = 100; avg($a) };`: the block's statements, then the aggregation.
  if (valueExpr.kind === 'BlockExpr' && valueExpr.value.kind === 'Call' && isAggregation(valueExpr.value.callee)) {
    const inner = valueExpr.value;
    return lx.scoped(() => [...valueExpr.stmts.flatMap((st) => stmtCaught(lx, st)), ...assignMap(lx, target, op, inner, node)]);
  }
  const key = mapKey(lx, target);
  if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
    if (op !== '=') {
      lx.diags.error('invalid-assignment', `${valueExpr.callee}() must be assigned with =`, node.span);
      return [];
    }
    return aggregate(lx, target, key, valueExpr);
  }
  const value = lx.value(valueExpr);
  if (op !== '=') {
    if (!isIntegral(value.type)) {
      lx.diags.error('type-mismatch', `${op} needs an integer, got ${typeToString(value.type)}`, valueExpr.span);
      return [];
    }
    const use = useMap(lx, target, 'int', key, counterType(lx, target), [], node);
    if (!use) return [];
    const id = mapId(lx, use.spec.name);
    if (op === '+=' || op === '-=') {
      const delta = scaledDelta(lx, use.spec, lx.intOf(value, valueExpr));
      return [{ op: 'mapAdd', map: id, key: use.key, delta: op === '+=' ? delta : { op: 'unary', operator: '-', operand: delta } }];
    }
    const current: IrExpr = { op: 'mapGet', map: id, key: use.key };
    const next = arith(lx, op.slice(0, -1) as ast.BinaryOp, current, lx.intOf(value, valueExpr), i64, value.type);
    return [{ op: 'mapSet', map: id, key: use.key, value: { op: 'int', value: next, size: 8 } }];
  }
  // `none` comes from an expression whose error is already reported.
  if (value.type.kind === 'none') return [];
  if (value.type.kind === 'args') {
    lx.diags.error('type-mismatch', `cannot store a value of type ${typeToString(value.type)} in a map`, valueExpr.span);
    return [];
  }
  const stored = valueStorageType(value.type);
  const kind: MapKind = isIntegral(value.type) ? 'int' : 'value';
  const use = useMap(lx, target, kind, key, stored, [], node);
  if (!use) return [];
  return [{ op: 'mapSet', map: mapId(lx, use.spec.name), key: use.key, value: blobAs(value, kind === 'int' ? u64 : use.spec.valueType) }];
}

/** The value type `@x++` / `@x += n` gives a map: its own when it holds a pointer or a settled integer, else int64. */
export function counterType(lx: ProbeLowerer, m: ast.MapRef): Type {
  const t = lx.table.maps.get(m.name)?.valueType;
  return t && (t.kind === 'ptr' || t.kind === 'int') ? t : i64;
}

/** `@p++` / `@p += n` on a map holding a typed pointer moves it by whole elements (bpftrace's pointer arithmetic). */
export function scaledDelta(lx: ProbeLowerer, spec: MapSpec, delta: IrExpr): IrExpr {
  if (spec.kind !== 'int' || spec.valueType.kind !== 'ptr') return delta;
  const target = pointee(spec.valueType, lx.types);
  const size = target && target.kind !== 'void' ? Math.max(1, cSizeOf(target)) : 1;
  return size === 1 ? delta : { op: 'binary', operator: '*', left: delta, right: { op: 'const', value: BigInt(size) }, signed: true };
}

/** `@m[k] = count()`...: the aggregation's library record (src/builtins/aggregations.ts) updates the entry of the map's use. */
export function aggregate(lx: ProbeLowerer, target: ast.MapRef, key: KeySite, call: ast.Call): IrStmt[] {
  const lib = LIBRARY_FUNCTIONS.get(call.callee)!;
  return lib.aggregate!(call, lx.libContext(), (kind, valueType, params) => useMap(lx, target, kind, key, valueType, params, call));
}

// ------------------------------------------------------------------ maps

/** The key a use gives (its values, with their own types): converted to the map's layout by `keyFor`. */
export function mapKey(lx: ProbeLowerer, m: ast.MapRef): KeySite {
  const resolved = lx.table?.maps.get(m.name)?.keyTypes;
  return keySite(m.keys.map((k, i) => probeKeyValue(k, i, resolved, { name: lx.probe.userName ?? lx.probe.name, id: () => probeId(lx) }) ?? lx.value(k)));
}

/** The key blob of a use of map `m`, laid out as its resolved key types (src/passes/lower-maps.ts). */
export function keyFor(lx: ProbeLowerer, m: ast.MapRef, site: KeySite, spec: MapSpec): IrBlob | undefined {
  const types = lx.table.observeKeys(spec.name, site.types, m.span, lx.diags);
  return types ? keyBlob(site, types) : undefined;
}

export function mapKeyBlob(lx: ProbeLowerer, keyExprs: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): IrBlob | undefined {
  return keyFor(lx, m, mapKey(lx, { ...m, keys: keyExprs }), spec);
}

/**
 * An assignment or aggregation to map `m`: its resolved spec (src/passes/resolve-types.ts) and
 * the key blob in the map's key layout; undefined after a conflict was reported.
 */
export function useMap(lx: ProbeLowerer, m: ast.MapRef, kind: MapKind, key: KeySite, valueType: Type, params: readonly bigint[], node: ast.Node): { spec: MapSpec; key: IrBlob } | undefined {
  const spec = lx.table.observeValue(m.name, kind, key.types, valueType, params, node, lx.diags, m.span);
  return spec ? { spec, key: keyBlob(key, spec.keyTypes) } : undefined;
}

export function knownMap(lx: ProbeLowerer, m: ast.MapRef): MapSpec | undefined {
  const spec = lx.script.maps.get(m.name);
  if (!spec) {
    const hint = didYouMean(m.name, [...lx.script.maps.keys()]);
    lx.diags.error('undefined-map', `Undefined map: ${m.name}`, m.span, hint ? [`did you mean ${hint}?`] : undefined);
  }
  return spec;
}

/** This probe's id as a `probe` map key: its name's index in the script's probe-name table (names the script already has keep theirs). */
function probeId(lx: ProbeLowerer): number {
  const name = lx.probe.userName ?? lx.probe.name;
  let id = lx.script.probeIds.get(name);
  if (id === undefined) {
    id = lx.script.probeIds.size;
    lx.script.probeIds.set(name, id);
  }
  return id;
}

export function mapId(lx: ProbeLowerer, name: string): number {
  let id = lx.script.mapIds.get(name);
  if (id === undefined) {
    id = lx.script.mapIds.size;
    lx.script.mapIds.set(name, id);
  }
  return id;
}

/** `@m[k]` read in a probe. */
export function mapRead(lx: ProbeLowerer, e: ast.MapRef): TypedValue {
  const spec = knownMap(lx, e);
  if (!spec) return lx.fail();
  const key = mapKeyBlob(lx, e.keys, spec, e);
  if (!key) return lx.fail();
  if (spec.kind === 'count' || spec.kind === 'sum' || spec.kind === 'min' || spec.kind === 'max' || spec.kind === 'avg') {
    // bpftrace reads a per-CPU aggregation in a probe by combining every CPU's slot.
    return { type: lx.typeOf(e), int: { op: 'mapAggRead', map: mapId(lx, spec.name), key, agg: spec.kind } };
  }
  if (spec.kind === 'int') {
    if (isPerCpuKind(spec.kind)) return lx.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
    return { type: lx.typeOf(e), int: { op: 'mapGet', map: mapId(lx, spec.name), key, err: helperErr(lx, 'map_lookup_elem', e.span, true) } };
  }
  if (spec.kind === 'value') {
    const size = sizeOf(spec.valueType);
    return { type: spec.valueType, blob: { op: 'mapGetBlob', map: mapId(lx, spec.name), key, size, err: helperErr(lx, 'map_lookup_elem', e.span, true) } };
  }
  return lx.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
}

/** Map updates of an assignment report a failure (a full map) by default, as bpftrace does. */
export function withMapErr(lx: ProbeLowerer, stmts: IrStmt[], span: Span): IrStmt[] {
  return stmts.map((st) => {
    switch (st.op) {
      case 'mapSet': case 'mapAdd': case 'mapMinMax': case 'mapCountTotal': case 'mapBucketAdd':
        return st.err === undefined ? { ...st, err: helperErr(lx, 'map_update_elem', span, false) } : st;
      default:
        return st;
    }
  });
}

/** Value size in bytes of a map of this kind, per CPU for per-CPU kinds. */
export function mapValueSize(spec: MapSpec): number {
  switch (spec.kind) {
    case 'count': case 'sum': case 'int':
      return 8;
    case 'min': case 'max': case 'avg': case 'stats':
      return 16;
    case 'hist':
      return 8 * histBucketCount(Number(spec.params[0] ?? 0n));
    case 'lhist':
      return 8 * lhistBucketCount(spec.params[0]!, spec.params[1]!, spec.params[2]!);
    case 'tseries':
      return TSERIES_CELL;
    case 'value':
      return Math.max(1, sizeOf(spec.valueType));
  }
}

export function isPerCpuKind(kind: MapKind): boolean {
  return kind !== 'int' && kind !== 'value';
}

