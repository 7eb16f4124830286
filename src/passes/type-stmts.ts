/**
 * The type pass over statements: assignments to maps and variables, declarations, loops, aggregations and statement calls (each declares its uses as lowering will).
 * Free functions over the probe's typer (src/passes/type-of.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation } from '../builtins/builtins.js';
import { LIBRARY_FUNCTIONS } from '../builtins/functions.js';
import { isPacketStatement } from '../builtins/packet.js';
import { DEFAULT_STRLEN, i64, isIntegral, typeEquals, u64, type Type } from '../types/types.js';
import { arithResult } from './int-semantics.js';
import { fold } from './lower-arith.js';
import { forMapValueType } from './lower-for-map.js';
import { keyLayoutTypes, valueStorageType } from './lower-maps.js';
import { valueTypeOf } from './lower-types.js';
import type { MapSpec } from './program-info.js';
import { concreteType } from './type-memory.js';
import { none, type ProbeTyper } from './type-of.js';

export function stmt(tx: ProbeTyper, s: ast.Stmt): void {
  switch (s.kind) {
    case 'Block':
      return tx.block(s);
    case 'ExprStmt':
      return exprStmt(tx, s.expr);
    case 'Assign':
      return s.target.kind === 'MapRef' ? assignMap(tx, s.target, s.op, s.value, s) : assignVar(tx, s.target, s.op, s.value, s);
    case 'VarDecl':
      return varDecl(tx, s);
    case 'If': {
      // As the lowerer: a condition known now types only the branch taken.
      const known = fold(tx, s.cond);
      if (known !== undefined && known !== 'error') {
        const taken = known.kind === 'bool' ? known.value : known.value !== 0n;
        if (taken) return tx.block(s.then);
        if (s.else) return s.else.kind === 'Block' ? tx.block(s.else) : stmt(tx, s.else);
        return;
      }
      tx.typeOf(s.cond);
      tx.block(s.then);
      if (s.else) s.else.kind === 'Block' ? tx.block(s.else) : stmt(tx, s.else);
      return;
    }
    case 'While':
      tx.typeOf(s.cond);
      tx.block(s.body);
      return;
    case 'Unroll': {
      const n = tx.constInt(s.count);
      if (n < 1n || n > 100n) return;
      for (let i = 0n; i < n; i++) tx.block(s.body);
      return;
    }
    case 'ForRange':
      tx.typeOf(s.from);
      tx.typeOf(s.to);
      tx.scoped(() => {
        tx.declareVar(s.variable.name, i64, s.variable.span, true, true);
        tx.stmts(s.body.stmts);
      });
      return;
    case 'ForMap':
      return forMap(tx, s);
    case 'Return':
    case 'Jump':
      return;
  }
}

/** `for ($kv : @m)`: `$kv` is (key, value) as src/passes/lower-for-map.ts lays it out. */
export function forMap(tx: ProbeTyper, s: ast.ForMap): void {
  const spec = tx.knownMap(s.map);
  if (!spec || s.map.keys.length > 0 || spec.keyTypes.length === 0) return;
  const valueType = forMapValueType(spec);
  if (!valueType) return;
  const kvType: Type = { kind: 'tuple', elems: [keyLayoutTypes(spec.keyTypes), valueType] };
  tx.scoped(() => {
    tx.declareVar(s.variable.name, kvType, s.variable.span, true);
    tx.stmts(s.body.stmts);
  });
}

export function varDecl(tx: ProbeTyper, s: ast.VarDecl): void {
  if (s.type?.of) {
    const type = concreteType(tx, s.type);
    if (type) varDecl(tx, { ...s, type });
    return;
  }
  let declared: Type = s.type || s.value ? i64 : none;
  if (s.type?.name === 'string' && s.type.pointerDepth === 0) {
    declared = { kind: 'str', size: s.type.arraySize ?? tx.script.maxStrlen ?? DEFAULT_STRLEN };
  } else if (s.type) {
    const ct = tx.types.resolve(s.type);
    const t = ct && valueTypeOf(ct, 'kernel');
    if (!t) return;
    declared = t;
  }
  if (!s.value) {
    tx.declareVar(s.variable.name, declared, s.span, true, s.type !== undefined);
    return;
  }
  let value = tx.typeOf(s.value);
  if (s.type && declared.kind === 'int' && isIntegral(value)) value = declared;
  else if (s.type && !typeEquals(declared, value) && !(declared.kind === 'str' && value.kind === 'str')) return;
  tx.declareVar(s.variable.name, s.type ? declared : value, s.span, true, s.type !== undefined);
}

export function exprStmt(tx: ProbeTyper, e: ast.Expr): void {
  if (isPacketStatement(tx.probe, e)) return;
  if (e.kind === 'Update') {
    update(tx, e);
    return;
  }
  if (e.kind === 'Call') return callStmt(tx, e);
  tx.typeOf(e);
}

/** `x++` as a statement: a map use of kind int. */
export function update(tx: ProbeTyper, e: ast.Update): MapSpec | undefined {
  if (e.target.kind === 'MapRef') return tx.useMap(e.target, 'int', tx.mapKeyTypes(e.target), counterType(tx, e.target), [], e);
  tx.lookupVar(e.target);
  return undefined;
}

export function assignVar(tx: ProbeTyper, target: ast.Variable, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): void {
  if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) return;
  let value = tx.typeOf(valueExpr);
  if (op !== '=') {
    const current = tx.lookupVar(target);
    if (!current) return;
    const bop = op.slice(0, -1) as ast.BinaryOp;
    value = isIntegral(current.type) && isIntegral(value) ? arithResult(bop, current.type, value).type : i64;
  }
  tx.declareVar(target.name, value, node.span);
}

export function assignMap(tx: ProbeTyper, target: ast.MapRef, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): void {
  if (valueExpr.kind === 'BlockExpr' && valueExpr.value.kind === 'Call' && isAggregation(valueExpr.value.callee)) {
    const inner = valueExpr.value;
    tx.scoped(() => {
      tx.stmts(valueExpr.stmts);
      assignMap(tx, target, op, inner, node);
    });
    return;
  }
  const key = tx.mapKeyTypes(target);
  if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
    if (op === '=') aggregate(tx, target, key, valueExpr);
    return;
  }
  const value = tx.typeOf(valueExpr);
  if (op !== '=') {
    if (isIntegral(value)) tx.useMap(target, 'int', key, counterType(tx, target), [], node);
    return;
  }
  if (value.kind === 'none' || value.kind === 'args') return;
  tx.useMap(target, isIntegral(value) ? 'int' : 'value', key, valueStorageType(value), [], node);
}

export function counterType(tx: ProbeTyper, m: ast.MapRef): Type {
  const t = tx.table.maps.get(m.name)?.valueType;
  return t && (t.kind === 'ptr' || t.kind === 'int') ? t : i64;
}

/** An aggregation's declared typing (src/builtins/aggregations.ts) observes the map use lowering will declare. */
export function aggregate(tx: ProbeTyper, target: ast.MapRef, key: readonly Type[], call: ast.Call): void {
  const lib = LIBRARY_FUNCTIONS.get(call.callee)!;
  lib.typeAggregate?.(call, tx.typing(), (kind, valueType, params) => tx.useMap(target, kind, key, valueType, params, call) !== undefined);
}

export function callStmt(tx: ProbeTyper, call: ast.Call): void {
  const macro = tx.script.macros?.get(call.callee);
  if (macro) {
    const exp = tx.expand(call, macro);
    if (exp) tx.inMacro(() => tx.scoped(() => tx.stmts(exp.stmts)));
    return;
  }
  const lib = LIBRARY_FUNCTIONS.get(call.callee);
  if (lib?.stmt) lib.typeStmt?.(call, tx.typing());
  else if (!isAggregation(call.callee)) tx.typeOf(call);
}
