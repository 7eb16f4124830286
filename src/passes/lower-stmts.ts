/**
 * Statements: blocks and scopes, if/while/for/unroll, variable declarations and assignments, `++`/`--`, macro bodies.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation } from '../builtins/builtins.js';
import type { IrExpr, IrStmt } from '../ir/ir.js';
import { DEFAULT_STRLEN, i64, noneType, isIntegral, sizeOf, typeEquals, typeToString, type Type } from '../types/types.js';
import { valueTypeOf } from './lower-types.js';
import { expandMacroOnce, type Expansion } from './macros.js';
import { lowerForMap, rangeNeedsBpfLoop } from './lower-for-map.js';
import { arithResult } from './int-semantics.js';
import { convertBlob, intFitsInto } from './var-types.js';
import { keyLayoutTypes } from './lower-maps.js';
import { assignMap, counterType, scaledDelta, mapKey, useMap, knownMap, mapId, withMapErr, mapValueSize, isPerCpuKind } from './lower-map-use.js';
import { concreteType } from './lower-memory.js';
import { condition, arith, fold } from './lower-arith.js';
import { callStmt, helperErr } from './lower-calls.js';
import { lookupVar, declareVar } from './lower-idents.js';
import { Unsupported, type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

/** The predicate's condition; undefined after an error it reported (as statements are caught in `stmtCaught`). */
export function predicate(lx: ProbeLowerer, e: ast.Expr): IrExpr | undefined {
  try {
    return condition(lx, e);
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    return undefined;
  }
}

// ------------------------------------------------------------------ statements
export function block(lx: ProbeLowerer, b: ast.Block): IrStmt[] {
  return lx.scoped(() => blockStmts(lx, b));
}

export function blockStmts(lx: ProbeLowerer, b: ast.Block): IrStmt[] {
  const out: IrStmt[] = [];
  for (const s of b.stmts) {
    try {
      out.push(...stmt(lx, s));
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }
  return out;
}

export function stmt(lx: ProbeLowerer, s: ast.Stmt): IrStmt[] {
  switch (s.kind) {
    case 'Block':
      return block(lx, s);
    case 'ExprStmt':
      return exprStmt(lx, s.expr);
    case 'Assign':
      return s.target.kind === 'MapRef' ? withMapErr(lx, assignMap(lx, s.target, s.op, s.value, s), s.span) : assignVar(lx, s.target, s.op, s.value, s);
    case 'VarDecl':
      return varDecl(lx, s);
    case 'If': {
      // A condition known now (literals, positionals) lowers only the branch taken, as bpftrace's
      // literal folding does: a fail() in the other branch is never reached.
      const known = fold(lx, s.cond);
      if (known !== undefined && known !== 'error') {
        const taken = known.kind === 'bool' ? known.value : known.value !== 0n;
        if (taken) return block(lx, s.then);
        return s.else ? (s.else.kind === 'Block' ? block(lx, s.else) : stmt(lx, s.else)) : [];
      }
      const cond = condition(lx, s.cond);
      const then = block(lx, s.then);
      const otherwise = s.else ? (s.else.kind === 'Block' ? block(lx, s.else) : stmt(lx, s.else)) : [];
      return cond ? [{ op: 'if', cond, then, else: otherwise }] : [];
    }
    case 'Return':
      return [{ op: 'return' }];
    case 'While': {
      const cond = condition(lx, s.cond) ?? { op: 'const', value: 0n };
      lx.loopKinds.push('while-loop');
      let body: IrStmt[];
      try {
        body = loopBody(lx, s.body);
      } finally {
        lx.loopKinds.pop();
      }
      return [{ op: 'loop', cond, body, step: [] }];
    }
    case 'Unroll': {
      const n = lx.constInt(s.count);
      if (n < 1n || n > 100n) {
        lx.diags.error('invalid-argument', 'unroll() needs a count from 1 to 100', s.count.span);
        return [];
      }
      const out: IrStmt[] = [];
      for (let i = 0n; i < n; i++) out.push(...block(lx, s.body));
      return out;
    }
    case 'ForRange':
    case 'ForMap':
      lx.loopKinds.push('for-loop');
      try {
        if (s.kind === 'ForRange') return forRange(lx, s);
        const err = helperErr(lx, 'for_each_map_elem', s.span, false);
        return forMap(lx, s).map((st) => (st.op === 'forEachMap' && err !== undefined ? { ...st, err } : st));
      } finally {
        lx.loopKinds.pop();
      }
    case 'Jump':
      if (lx.loopDepth === 0) {
        lx.diags.error('jump-outside-loop', `${s.jump} can only be used inside a while or for loop`, s.span);
        return [];
      }
      return [{ op: s.jump }];
  }
}

export function loopBody(lx: ProbeLowerer, b: ast.Block, prologue?: () => IrStmt[]): IrStmt[] {
  lx.loopDepth++;
  try {
    return lx.scoped(() => [...(prologue?.() ?? []), ...blockStmts(lx, b)]);
  } finally {
    lx.loopDepth--;
  }
}

/** `for ($i : a..b)`: the bounds are evaluated once; `$i` is set from a hidden counter each iteration. */
export function forRange(lx: ProbeLowerer, s: ast.ForRange): IrStmt[] {
  const from = lx.value(s.from);
  const to = lx.value(s.to);
  const counter = lx.temp();
  const end = lx.temp();
  const C: IrExpr = { op: 'var', id: counter };
  if (rangeNeedsBpfLoop(lx.intOf(from, s.from), lx.intOf(to, s.to))) {
    // A runtime or large bound: one bpf_loop callback per iteration, $i = from + index (src/passes/lower-for-map.ts).
    const index = lx.temp();
    const callbackBody = loopBody(lx, s.body, () => {
      const v = declareVar(lx, s.variable.name, i64, s.variable.span, true);
      return v ? [{ op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: C, right: { op: 'var', id: index }, signed: true } }] : [];
    });
    return [
      { op: 'setVar', id: counter, value: lx.intOf(from, s.from) },
      { op: 'setVar', id: end, value: lx.intOf(to, s.to) },
      { op: 'callbackLoop', count: { op: 'binary', operator: '-', left: { op: 'var', id: end }, right: C, signed: true }, indexVar: index, body: callbackBody, err: helperErr(lx, 'loop', s.span, false) },
    ];
  }
  const body = loopBody(lx, s.body, () => {
    const v = declareVar(lx, s.variable.name, i64, s.variable.span, true);
    return v ? [{ op: 'setVar', id: v.id, value: C }] : [];
  });
  return [
    { op: 'setVar', id: counter, value: lx.intOf(from, s.from) },
    { op: 'setVar', id: end, value: lx.intOf(to, s.to) },
    {
      op: 'loop',
      cond: { op: 'binary', operator: '<', left: C, right: { op: 'var', id: end }, signed: true },
      body,
      step: [{ op: 'setVar', id: counter, value: { op: 'binary', operator: '+', left: C, right: { op: 'const', value: 1n }, signed: true } }],
    },
  ];
}

/** `for ($kv : @map)`: a bpf_for_each_map_elem callback (src/passes/lower-for-map.ts). */
export function forMap(lx: ProbeLowerer, s: ast.ForMap): IrStmt[] {
  return lowerForMap(s, {
    diags: lx.diags,
    knownMap: (m) => knownMap(lx, m),
    mapId: (name) => mapId(lx, name),
    tempBlob: (size) => {
      const id = lx.irVars.length;
      lx.irVars.push({ id, size });
      return id;
    },
    loopBody: (b, prologue) => loopBody(lx, b, prologue),
    declareVar: (name, type, span) => declareVar(lx, name, type, span, true),
    keyLayout: keyLayoutTypes,
    valueSize: mapValueSize,
  });
}

/** `let $x;`, `let $x = v;`, `let $x: T = v;`: declares `$x` in the current block. */
export function varDecl(lx: ProbeLowerer, s: ast.VarDecl): IrStmt[] {
  if (s.type?.of) {
    const type = concreteType(lx, s.type);
    return type ? varDecl(lx, { ...s, type }) : [];
  }
  // `let $x;`: no type yet; the assignments that follow give it one (type resolution).
  let declared: Type = s.type || s.value ? i64 : noneType;
  if (s.type?.name === 'string' && s.type.pointerDepth === 0) {
    declared = { kind: 'str', size: s.type.arraySize ?? lx.script.maxStrlen ?? DEFAULT_STRLEN };
  } else if (s.type) {
    const ct = lx.types.resolve(s.type);
    const t = ct && valueTypeOf(ct, 'kernel');
    if (!t) {
      lx.diags.error('unknown-type', `unknown or unsupported type: ${s.type.name}`, s.type.span);
      return [];
    }
    declared = t;
  }
  if (!s.value) {
    const v = declareVar(lx, s.variable.name, declared, s.span, true, s.type !== undefined);
    if (!v) return [];
    lx.unassignedVars.add(v.id);
    return !isIntegral(v.type) && v.type.kind !== 'none' ? [{ op: 'setVarBlob', id: v.id, value: { op: 'zero', size: sizeOf(v.type) } }] : [{ op: 'setVar', id: v.id, value: { op: 'const', value: 0n } }];
  }
  let value = lx.value(s.value);
  if (s.type && declared.kind === 'int' && value.int && isIntegral(value.type)) {
    value = { type: declared, int: { op: 'cast', operand: value.int, bits: declared.bits, signed: declared.signed } };
  } else if (s.type && !typeEquals(declared, value.type) && !(declared.kind === 'str' && value.type.kind === 'str')) {
    lx.diags.error('type-mismatch', `${s.variable.name} is declared ${typeToString(declared)} but assigned ${typeToString(value.type)}`, s.value.span);
    return [];
  }
  const v = declareVar(lx, s.variable.name, s.type ? declared : value.type, s.span, true, s.type !== undefined);
  if (!v) return [];
  if (value.blob) return [{ op: 'setVarBlob', id: v.id, value: value.type.kind === 'tuple' ? convertBlob(value.blob, value.type, v.type) : lx.blobOf(value, v.type) }];
  return [{ op: 'setVar', id: v.id, value: value.int }];
}

export function exprStmt(lx: ProbeLowerer, e: ast.Expr): IrStmt[] {
  const verdict = lx.packet.statement(e);
  if (verdict) return verdict;
  if (e.kind === 'Update') return update(lx, e);
  if (e.kind === 'Call') return callStmt(lx, e);
  lx.value(e);
  return [];
}

export function update(lx: ProbeLowerer, e: ast.Update): IrStmt[] {
  const delta: IrExpr = { op: 'const', value: e.op === '++' ? 1n : -1n };
  if (e.target.kind === 'MapRef') {
    const use = useMap(lx, e.target, 'int', mapKey(lx, e.target), counterType(lx, e.target), [], e);
    if (!use) return [];
    return [{ op: 'mapAdd', map: mapId(lx, use.spec.name), key: use.key, delta: scaledDelta(lx, use.spec, delta), err: helperErr(lx, 'map_update_elem', e.span, false) }];
  }
  const v = lookupVar(lx, e.target);
  if (!v) return [];
  lx.unassignedVars.delete(v.id);
  return [{ op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: { op: 'var', id: v.id }, right: delta, signed: true } }];
}

export function assignVar(lx: ProbeLowerer, target: ast.Variable, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): IrStmt[] {
  if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
    lx.diags.error('aggregation-outside-map', `${valueExpr.callee}() can only be assigned to a map, e.g. @x = ${valueExpr.callee}(...)`, valueExpr.span);
    return [];
  }
  let value = lx.value(valueExpr);
  if (op !== '=') {
    const current = lookupVar(lx, target);
    if (!current) return [];
    const bop = op.slice(0, -1) as ast.BinaryOp;
    const type = isIntegral(current.type) && isIntegral(value.type) ? arithResult(bop, current.type, value.type).type : i64;
    value = { type, int: arith(lx, bop, { op: 'var', id: current.id }, lx.intOf(value, valueExpr), current.type, value.type) };
  }
  const v = declareVar(lx, target.name, value.type, node.span);
  if (!v) return [];
  lx.unassignedVars.delete(v.id);
  if (value.type.kind === 'int' && v.type.kind === 'int' && !intFitsInto(value.type, v.type) && valueExpr.kind !== 'IntLiteral' && op === '=') {
    lx.diags.warning('implicit-cast', `Expression of type: ${typeToString(value.type)} being cast to type: ${typeToString(v.type)}. This may cause unexpected results. Use an explicit cast to suppress this warning.`, valueExpr.span);
  }
  if (value.blob) return [{ op: 'setVarBlob', id: v.id, value: convertBlob(value.blob, value.type, v.type) }];
  return [{ op: 'setVar', id: v.id, value: value.int }];
}

/** `{ stmts; value }`: the statements in their own scope, then the value (bpftrace 0.24 block expressions). */
export function blockValue(lx: ProbeLowerer, e: ast.BlockExpr): TypedValue {
  return lx.scoped(() => {
    const stmts = e.stmts.flatMap((st) => stmtCaught(lx, st));
    const v = lx.value(e.value);
    if (stmts.length === 0) return v;
    return v.blob ? { type: v.type, blob: { op: 'seqBlob', stmts, value: v.blob } } : { type: v.type, int: { op: 'seq', stmts, value: v.int } };
  });
}

/** A macro call as a statement: its body's statements, in their own scope. */
export function macroStmts(lx: ProbeLowerer, call: ast.Call, def: ast.MacroDef): IrStmt[] {
  const exp = expandGuarded(lx, call, def);
  if (!exp) return [];
  lx.macroDepth++;
  try {
    return lx.scoped(() => exp.stmts.flatMap((st) => stmtCaught(lx, st)));
  } finally {
    lx.macroDepth--;
  }
}

/** A macro call as a value: the body's statements, then its final expression. */
export function macroValue(lx: ProbeLowerer, call: ast.Call, def: ast.MacroDef, use: ast.Node = call): TypedValue {
  const exp = expandGuarded(lx, call, def, use);
  if (!exp) return lx.fail();
  const last = exp.stmts[exp.stmts.length - 1];
  if (!last || last.kind !== 'ExprStmt') {
    lx.diags.error('no-value', `macro ${def.name}() has no value: its body does not end with an expression`, call.span);
    return lx.fail();
  }
  lx.macroDepth++;
  try {
    return lx.scoped(() => {
      const stmts = exp.stmts.slice(0, -1).flatMap((st) => stmtCaught(lx, st));
      const v = lx.value(last.expr);
      if (stmts.length === 0) return v;
      return v.blob ? { type: v.type, blob: { op: 'seqBlob', stmts, value: v.blob } } : { type: v.type, int: { op: 'seq', stmts, value: v.int } };
    });
  } finally {
    lx.macroDepth--;
  }
}

export function expandGuarded(lx: ProbeLowerer, call: ast.Call, def: ast.MacroDef, use: ast.Node = call): Expansion | undefined {
  if (lx.macroDepth >= 16) {
    lx.diags.error('macro-recursion', `macro ${def.name}() expands too deeply (recursive macro?)`, call.span);
    return undefined;
  }
  return expandMacroOnce(def, call, lx.diags, use);
}

export function stmtCaught(lx: ProbeLowerer, st: ast.Stmt): IrStmt[] {
  try {
    return stmt(lx, st);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return [];
  }
}

/** `$x++` / `--@m[k]` as a value: the old value for postfix, the new one for prefix. */
export function updateValue(lx: ProbeLowerer, e: ast.Update): TypedValue {
  const delta: IrExpr = { op: 'const', value: e.op === '++' ? 1n : -1n };
  if (e.target.kind === 'MapRef') {
    const stmts = update(lx, e);
    if (stmts.length === 0) return lx.fail();
    const add = stmts[0]!;
    if (add.op !== 'mapAdd') return lx.fail();
    const spec = lx.script.maps.get(e.target.name);
    if (spec && isPerCpuKind(spec.kind)) return lx.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
    const current: IrExpr = { op: 'mapGet', map: add.map, key: add.key };
    if (e.prefix) return { type: lx.typeOf(e), int: { op: 'seq', stmts, value: current } };
    const t = lx.temp();
    return { type: lx.typeOf(e), int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: current }, ...stmts], value: { op: 'var', id: t } } };
  }
  const v = lookupVar(lx, e.target);
  if (!v) return lx.fail();
  lx.unassignedVars.delete(v.id);
  if (!isIntegral(v.type)) {
    lx.diags.error('type-mismatch', `${e.op} needs an integer variable, ${e.target.name} holds ${typeToString(v.type)}`, e.span);
    return lx.fail();
  }
  const cur: IrExpr = { op: 'var', id: v.id };
  const step: IrStmt = { op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: cur, right: delta, signed: true } };
  if (e.prefix) return { type: v.type, int: { op: 'seq', stmts: [step], value: cur } };
  const t = lx.temp();
  return { type: v.type, int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: cur }, step], value: { op: 'var', id: t } } };
}
