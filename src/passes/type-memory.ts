/**
 * The type pass over memory and casts: struct fields, array elements, `*p`, `&x`, tuple elements, casts to C types, typeof.
 * Free functions over the probe's typer (src/passes/type-of.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { findMember, type CType } from '../kernel/btf.js';
import { aggregateLayout, isIntegral, sizeOf, type Type } from '../types/types.js';
import { contextFieldValue } from './lower-context.js';
import { castTarget, writtenTypeOf } from './lower-memory.js';
import { pointee, ptrType, valueTypeOf } from './lower-types.js';
import { Unsupported } from './lower-values.js';
import { cValueType } from './struct-values.js';
import { hasBlob, none, type TypedPlace, type ProbeTyper } from './type-of.js';

export function cast(tx: ProbeTyper, e: ast.Cast): Type {
  if (e.type.of) {
    const type = concreteType(tx, e.type);
    return type ? tx.typeOf({ ...e, type }) : none;
  }
  const target = castTarget(e.type.name);
  if (!target || e.type.pointerDepth > 0 || e.type.arraySize !== undefined) return typedCast(tx, e);
  const v = tx.typeOf(e.expr);
  if (v.kind === 'tuple' && v.array && sizeOf(v) !== target.bits / 8) return none;
  return { kind: 'int', bits: target.bits, signed: target.signed };
}

export function typedCast(tx: ProbeTyper, e: ast.Cast): Type {
  const ct = tx.types.resolve(e.type);
  if (!ct) return none;
  const v = tx.typeOf(e.expr);
  if (ct.kind === 'array') return arrayCast(tx, ct, v);
  if (ct.kind === 'ptr') {
    if (!isIntegral(v)) return none;
    return ptrType(ct, v.kind === 'ptr' ? v.space : tx.defaultSpace());
  }
  const t = valueTypeOf(ct, 'kernel');
  if (t && (t.kind === 'int' || t.kind === 'bool')) return t;
  return tx.unsupported();
}

export function arrayCast(tx: ProbeTyper, ct: CType & { kind: 'array' }, v: Type): Type {
  if (v.kind === 'none') return v;
  const elem = ct.elem;
  if (elem.kind !== 'int' || ![1, 2, 4, 8].includes(elem.size)) return tx.unsupported();
  const from = isIntegral(v) ? 8 : hasBlob(v) ? sizeOf(v) : 0;
  const total = ct.count === 0 ? from : ct.count * elem.size;
  const ok = isIntegral(v) ? [1, 2, 4, 8].includes(total) && total <= from : total === from;
  if (!ok || total % elem.size !== 0 || from === 0) return none;
  const type = cValueType({ kind: 'array', elem: { ...elem, isChar: false }, count: total / elem.size }, 'kernel');
  if (typeof type === 'string') return tx.unsupported();
  return type;
}

/** `typeof(...)` as the plain type it stands for (shared with lowering: writtenTypeOf). */
export function concreteType(tx: ProbeTyper, te: ast.TypeExpr): ast.TypeExpr | undefined {
  return writtenTypeOf(te, (of) => tx.typeOf(of));
}

// ------------------------------------------------------------------ memory
export function place(tx: ProbeTyper, e: ast.Expr): TypedPlace | undefined {
  if (e.kind === 'FieldAccess') {
    const base = placeOrPointee(tx, e.object);
    if (!base) return undefined;
    if (base.ctype.kind !== 'record') return tx.unsupported();
    const m = findMember(base.ctype, e.field);
    if (!m) return tx.unsupported();
    return m.bitSize > 0 ? { ctype: m.type, space: base.space, bitSize: m.bitSize } : { ctype: m.type, space: base.space };
  }
  if (e.kind === 'Index') {
    const base = placeOrPointee(tx, e.object);
    if (!base) return undefined;
    tx.typeOf(e.index);
    return { ctype: base.ctype.kind === 'array' ? base.ctype.elem : base.ctype, space: base.space };
  }
  if (e.kind === 'Unary' && e.op === '*') return placeOrPointee(tx, e.operand, true);
  return undefined;
}

export function placeOrPointee(tx: ProbeTyper, e: ast.Expr, intAddress = false): TypedPlace | undefined {
  if (tx.notMemory.has(e)) return undefined;
  const p = place(tx, e);
  if (p) return p.ctype.kind === 'ptr' ? { ctype: p.ctype.target(), space: p.space } : p;
  const v = tx.typeOf(e);
  if (v.kind !== 'ptr') {
    tx.notMemory.add(e);
    // `*x` of an integer reads a uint64 there (lower-memory.ts placeOrPointee).
    const u64 = intAddress && v.kind === 'int' ? tx.types.resolveName('uint64') : undefined;
    return u64 ? { ctype: u64, space: tx.defaultSpace() } : undefined;
  }
  const target = pointee(v, tx.types);
  if (!target) return tx.unsupported();
  return { ctype: target, space: v.space };
}

export function tryPlace(tx: ProbeTyper, e: ast.Expr): TypedPlace | undefined {
  if (e.kind !== 'FieldAccess' && e.kind !== 'Index' && !(e.kind === 'Unary' && e.op === '*')) return undefined;
  try {
    return place(tx, e);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

export function load(tx: ProbeTyper, p: TypedPlace): Type {
  const t = valueTypeOf(p.ctype, p.space);
  if (t) return t;
  const whole = p.bitSize === undefined ? cValueType(p.ctype, p.space) : undefined;
  return whole && typeof whole !== 'string' ? whole : tx.unsupported();
}

export function addressOf(tx: ProbeTyper, e: ast.Unary): Type {
  const op = e.operand;
  if (op.kind === 'Variable') {
    const v = tx.lookupVar(op);
    if (!v) return none;
    const t = v.type;
    const ct: CType | undefined = t.kind === 'int' ? tx.types.resolveName(`${t.signed ? '' : 'u'}int${t.bits}`)
      : t.kind === 'bool' ? tx.types.resolveName('bool')
      : t.kind === 'str' ? { kind: 'array', elem: tx.types.resolveName('char')!, count: t.size }
      : t.kind === 'tuple' && t.cname ? tx.types.resolveName(t.cname)
      : t.kind === 'ptr' ? (t.ctype?.kind === 'ptr' ? t.ctype : { kind: 'ptr', target: () => tx.types.resolveName(t.to) ?? { kind: 'void' } })
      : undefined;
    if (!ct) return tx.unsupported();
    return ptrType({ kind: 'ptr', target: () => ct }, 'kernel');
  }
  const p = op.kind === 'FieldAccess' || op.kind === 'Index' || (op.kind === 'Unary' && op.op === '*') ? place(tx, op) : undefined;
  if (!p || p.bitSize !== undefined) {
    tx.typeOf(op);
    return none;
  }
  const target = p.ctype;
  return ptrType({ kind: 'ptr', target: () => target }, p.space);
}

export function index(tx: ProbeTyper, e: ast.Index): Type {
  if (e.object.kind !== 'FieldAccess' && e.object.kind !== 'Index') {
    const obj = tx.typeOf(e.object);
    if (obj.kind === 'tuple') return tupleElem(tx, obj, Number(tx.constInt(e.index)));
    if (obj.kind === 'str') {
      if (e.index.kind === 'IntLiteral' && e.index.value >= BigInt(obj.size)) return none;
      tx.typeOf(e.index);
      return { kind: 'int', bits: 8, signed: true };
    }
    if (obj.kind !== 'ptr') return none;
  }
  const p = place(tx, e);
  if (!p) {
    const obj = tx.typeOf(e.object);
    return obj.kind === 'tuple' ? tupleElem(tx, obj, Number(tx.constInt(e.index))) : none;
  }
  return load(tx, p);
}

export function field(tx: ProbeTyper, e: ast.FieldAccess): Type {
  const p = place(tx, e);
  if (p) return load(tx, p);
  const obj = tx.typeOf(e.object);
  if (obj.kind === 'none') return none;
  if (obj.kind !== 'args') {
    if (obj.kind === 'tuple' && /^\d+$/.test(e.field) && !obj.names) return tupleElem(tx, obj, Number(e.field));
    if (obj.kind === 'tuple' && obj.names) {
      const i = obj.names.indexOf(e.field);
      return i < 0 ? none : tupleElem(tx, obj, i);
    }
    return tx.unsupported();
  }
  const f = tx.probe.args?.find((a) => a.name === e.field);
  return f ? contextFieldValue(f).type : none;
}

export function tupleElem(tx: ProbeTyper, obj: Type, index: number): Type {
  if (obj.kind !== 'tuple' || index >= obj.elems.length) return none;
  return aggregateLayout(obj).fields[index]!.type;
}
