import type { IrBlob, IrExpr } from '../ir/ir.js';
import { aggregateLayout, sizeOf, typeEquals, type Type } from '../types/types.js';
import { isFlex, promoteInt } from './int-semantics.js';

/**
 * Scratch variable types as bpftrace 0.26 resolves them: a variable's type is the promotion of
 * every value assigned to it in its probe (`$a = (uint32)5; $a = -1` makes `$a` an int64; a
 * longer string widens a string variable). Type resolution (src/passes/resolve-types.ts) walks the
 * probes until every variable's merged type is recorded; the final lowering declares each variable
 * with it.
 */

/** The common type of a variable's old and newly assigned types, or undefined when they cannot be merged. */
export function mergeVarType(a: Type, b: Type): Type | undefined {
  // `none`: a value whose type an earlier typing round could not know yet (a map read before its assignment).
  if (a.kind === 'none') return b;
  if (b.kind === 'none') return a;
  if (a.kind === 'int' && b.kind === 'int') {
    const p = promoteInt(a, b);
    // A variable is not a literal: it keeps the sign it has settled on.
    return p.flex && !(isFlex(a) && isFlex(b)) ? { kind: 'int', bits: p.bits, signed: p.signed } : p;
  }
  if (a.kind === 'str' && b.kind === 'str') return a.size >= b.size ? a : b;
  if (typeEquals(a, b)) return a;
  if (a.kind === 'tuple' && b.kind === 'tuple' && !a.offsets && !b.offsets && a.elems.length === b.elems.length && !a.array && !b.array) {
    if ((a.names === undefined) !== (b.names === undefined)) return undefined;
    // Records assigned with their fields in another order keep the first order (bpftrace: ambiguous).
    if (a.names && b.names) {
      const elems: Type[] = [];
      for (let i = 0; i < a.names.length; i++) {
        const j = b.names.indexOf(a.names[i]!);
        if (j < 0) return undefined;
        const m = mergeVarType(a.elems[i]!, b.elems[j]!);
        if (!m) return undefined;
        elems.push(m);
      }
      return { kind: 'tuple', elems, names: a.names };
    }
    const elems: Type[] = [];
    for (let i = 0; i < a.elems.length; i++) {
      const m = mergeVarType(a.elems[i]!, b.elems[i]!);
      if (!m) return undefined;
      elems.push(m);
    }
    return { kind: 'tuple', elems };
  }
  return undefined;
}

/** Whether every value of integer type `from` is a value of `to` (no implicit-cast warning). */
export function intFitsInto(from: Type, to: Type): boolean {
  if (from.kind !== 'int' || to.kind !== 'int') return true;
  if (isFlex(from)) return from.bits <= to.bits;
  if (from.signed === to.signed) return from.bits <= to.bits;
  return !from.signed && to.signed && from.bits < to.bits;
}

/**
 * A blob of type `from` re-laid out as type `to` (a merge of `from` with other types): strings
 * are padded, tuple and record elements converted one by one (records by field name).
 */
export function convertBlob(blob: IrBlob, from: Type, to: Type): IrBlob {
  if (typeEquals(from, to)) return blob;
  if (from.kind === 'str' && to.kind === 'str') {
    if (from.size === to.size) return blob;
    if (from.size > to.size) return { op: 'record', size: to.size, fields: [{ offset: 0, blob: { op: 'record', size: from.size, fields: [{ offset: 0, blob }] } }] };
    return { op: 'record', size: to.size, fields: [{ offset: 0, blob }] };
  }
  if (from.kind === 'tuple' && to.kind === 'tuple') {
    const fl = aggregateLayout(from);
    const tl = aggregateLayout(to);
    const fields = tl.fields.map((f, i) => {
      const j = to.names && from.names ? from.names.indexOf(to.names[i]!) : i;
      const src = fl.fields[j]!;
      return { offset: f.offset, blob: convertElem(blob, src.offset, src.type, f.type) };
    });
    return { op: 'record', size: tl.size, fields };
  }
  return blob;
}

function convertElem(blob: IrBlob, offset: number, from: Type, to: Type): IrBlob {
  const scalar = (t: Type): boolean => t.kind === 'int' || t.kind === 'bool' || t.kind === 'ptr';
  if (scalar(from) && scalar(to) && sizeOf(from) !== sizeOf(to)) {
    // Integers (bools, pointers) change size by sign or zero extension, as bpftrace's casts.
    const value: IrExpr = { op: 'blobLoad', blob, offset, size: sizeOf(from) as 1 | 2 | 4 | 8, signed: from.kind === 'int' && from.signed };
    return { op: 'int', value, size: sizeOf(to) as 1 | 2 | 4 | 8 };
  }
  const slice: IrBlob = { op: 'slice', blob, offset, size: sizeOf(from) };
  return convertBlob(slice, from, to);
}
