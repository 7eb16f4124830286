/**
 * Lowering of the loops that run in callback subprograms (src/codegen/callbacks.ts):
 * `for ($kv : @map)` (bpf_for_each_map_elem) and the decision when a range `for` needs bpf_loop.
 */
import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { i64, sizeOf, tupleLayout, u64, type Type } from '../types/types.js';
import type { MapSpec } from './program-info.js';

/** What the for-map lowering needs of ProbeLowerer. */
export interface ForMapHost {
  readonly diags: Diagnostics;
  knownMap(m: ast.MapRef): MapSpec | undefined;
  mapId(name: string): number;
  tempBlob(size: number): number;
  /** Lower a loop body in its own scope, after `prologue`'s statements (which may declare variables). */
  loopBody(b: ast.Block, prologue: () => IrStmt[]): IrStmt[];
  /** Declare a fresh variable in the current (innermost) scope. */
  declareVar(name: string, type: Type, span: Span): { id: number; type: Type } | undefined;
  keyLayout(keyTypes: readonly Type[]): Type;
  valueSize(spec: MapSpec): number;
}

/**
 * The value half of `for ($kv : @m)`'s tuple: a per-CPU aggregation's total (count unsigned; sum,
 * min, max, avg signed), an int map's value widened to 64 bits, any other value as stored;
 * undefined for maps that cannot be iterated (hist, lhist, stats, tseries). The type pass
 * (src/passes/type-stmts.ts) reads the same answer.
 */
export function forMapValueType(spec: MapSpec): Type | undefined {
  switch (spec.kind) {
    case 'count':
      return u64;
    case 'sum': case 'min': case 'max': case 'avg':
      return i64;
    case 'int':
      return spec.valueType.kind === 'int' ? { kind: 'int', bits: 64, signed: spec.valueType.signed } : spec.valueType.kind === 'ptr' ? spec.valueType : i64;
    case 'value':
      return spec.valueType;
    default:
      return undefined;
  }
}

/**
 * `for ($kv : @m) { ... }`: `$kv` is the tuple (key, value), the key itself a tuple for a map with
 * several keys. As in bpftrace, the value of a per-CPU aggregation (count, sum, min, max, avg) is
 * the total over every CPU; hist, lhist and stats maps cannot be iterated.
 */
export function lowerForMap(s: ast.ForMap, h: ForMapHost): IrStmt[] {
  const spec = h.knownMap(s.map);
  if (!spec) return [];
  if (s.map.keys.length > 0) {
    h.diags.error('invalid-argument', `for takes the map itself, without a key: for (${s.variable.name} : ${spec.name})`, s.map.span);
    return [];
  }
  if (spec.keyTypes.length === 0) {
    h.diags.error('invalid-argument', `for can only iterate over a map with keys; ${spec.name} has none`, s.map.span);
    return [];
  }
  const valueType = forMapValueType(spec);
  if (!valueType) {
    h.diags.error('not-supported', `for cannot iterate over ${spec.name}: its values are ${spec.kind}() aggregations`, s.map.span);
    return [];
  }
  const map = h.mapId(spec.name);
  const keyType = h.keyLayout(spec.keyTypes);
  const keySize = Math.max(1, sizeOf(keyType));
  const perCpu = spec.kind !== 'int' && spec.kind !== 'value';
  const valueSize = h.valueSize(spec);
  const keyVar = h.tempBlob(keySize);
  const valueVar = perCpu ? undefined : h.tempBlob(valueSize);
  const keyBlob: IrBlob = { op: 'varBlob', id: keyVar, size: keySize };
  const kvType: Type = { kind: 'tuple', elems: [keyType, valueType] };
  const layout = tupleLayout(kvType.elems);
  const body = h.loopBody(s.body, () => {
    const kv = h.declareVar(s.variable.name, kvType, s.variable.span);
    if (!kv) return [];
    let value: IrBlob;
    if (perCpu) {
      const agg = spec.kind as 'count' | 'sum' | 'min' | 'max' | 'avg';
      value = { op: 'int', value: { op: 'mapAggRead', map, key: keyBlob, agg }, size: 8 };
    } else {
      value = { op: 'varBlob', id: valueVar!, size: Math.min(valueSize, sizeOf(valueType)) };
    }
    const record: IrBlob = {
      op: 'record',
      size: layout.size,
      fields: [{ offset: layout.fields[0]!.offset, blob: keyBlob }, { offset: layout.fields[1]!.offset, blob: value }],
    };
    return [{ op: 'setVarBlob', id: kv.id, value: record }];
  });
  return [{ op: 'forEachMap', map, keyVar, keySize, ...(valueVar !== undefined ? { valueVar } : {}), valueSize, body }];
}

/** Range loops with at most this many iterations known at compile time stay plain bounded loops. */
const MAX_PLAIN_RANGE = 64n;

/**
 * Whether `for ($i : from..to)` must run through bpf_loop: a bound only known at run time, or more
 * iterations than a bounded loop the verifier walks one by one should have.
 */
export function rangeNeedsBpfLoop(from: IrExpr, to: IrExpr): boolean {
  if (from.op !== 'const' || to.op !== 'const') return true;
  return to.value - from.value > MAX_PLAIN_RANGE;
}
