/**
 * Arithmetic and folding: unary and binary operators with bpftrace 0.26 integer semantics, pointer arithmetic, comparisons of tuples and strings, `?:`, literal folding.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { IrExpr, IrStmt } from '../ir/ir.js';
import { boolType, isIntegral, sizeOf, typeEquals, typeToString, type Type } from '../types/types.js';
import { cSizeOf } from '../kernel/btf.js';
import { pointee } from './lower-types.js';
import { arithResult, compareSigned, constType, foldBinary, foldUnary, type Folded } from './int-semantics.js';
import { blobAs } from './lower-maps.js';
import { addressOf, deref, tupleElem } from './lower-memory.js';
import { runtimeWarning } from './lower-calls.js';
import { resizeStr, type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

// ------------------------------------------------------------------ expressions
export function condition(lx: ProbeLowerer, e: ast.Expr): IrExpr | undefined {
  const v = lx.value(e);
  if (!isIntegral(v.type)) {
    lx.diags.error('type-mismatch', `a condition must be an integer or bool, got ${typeToString(v.type)}`, e.span);
    return undefined;
  }
  return v.int;
}

/** `-x`, `~x`, `!x`, `*p`, `&x`. */
export function unary(lx: ProbeLowerer, e: ast.Unary): TypedValue {
  if (e.op === '*') return deref(lx, e);
  if (e.op === '&') return addressOf(lx, e);
  const folded = foldedValue(lx, e);
  if (folded) return folded;
  const v = lx.value(e.operand);
  const operand = lx.intOf(v, e.operand);
  return { type: lx.typeOf(e), int: { op: 'unary', operator: e.op, operand } };
}

export function ternary(lx: ProbeLowerer, e: ast.Ternary): TypedValue {
  const cond = condition(lx, e.cond) ?? { op: 'const', value: 0n };
  const thenV = e.then ? lx.value(e.then) : lx.value(e.cond);
  const elseV = lx.value(e.else);
  // The branches meet in the type pass's type: integers promoted, strings the longer, tuples and
  // records of compatible shapes in their promoted type (bpftrace's get_promoted_tuple).
  const type = lx.typeOf(e);
  if (isIntegral(type)) return { type, int: { op: 'ternary', cond, then: thenV.int!, else: elseV.int! } };
  if (type.kind === 'str' && thenV.type.kind === 'str' && elseV.type.kind === 'str') {
    return { type, blob: { op: 'select', cond, then: resizeStr(thenV.blob!, thenV.type.size, type.size), else: resizeStr(elseV.blob!, elseV.type.size, type.size), size: type.size } };
  }
  if (type.kind !== 'none') return { type, blob: { op: 'select', cond, then: blobAs(thenV, type), else: blobAs(elseV, type), size: sizeOf(type) } };
  if (thenV.type.kind !== 'none' && elseV.type.kind !== 'none') {
    lx.diags.error('type-mismatch', `the branches of ?: have different types: ${typeToString(thenV.type)} and ${typeToString(elseV.type)}`, e.span);
  }
  return lx.fail();
}

export function binary(lx: ProbeLowerer, e: ast.Binary): TypedValue {
  const folded = foldedValue(lx, e);
  if (folded) return folded;
  const l = lx.value(e.left);
  const r = lx.value(e.right);
  if (e.op === '&&' || e.op === '||') {
    return { type: lx.typeOf(e), int: { op: 'logical', operator: e.op, left: lx.intOf(l, e.left), right: lx.intOf(r, e.right) } };
  }
  if ((l.type.kind === 'tuple' || r.type.kind === 'tuple') && l.type.kind !== 'none' && r.type.kind !== 'none') {
    const eq = e.op === '==' || e.op === '!=' ? valuesEqual(lx, l, r, e) : undefined;
    if (!eq) {
      lx.diags.error('type-mismatch', `operator ${e.op} cannot be used on ${typeToString(l.type)} and ${typeToString(r.type)}`, e.span);
      return lx.fail();
    }
    return { type: lx.typeOf(e), int: e.op === '==' ? eq : { op: 'unary', operator: '!', operand: eq } };
  }
  if (l.type.kind === 'str' || r.type.kind === 'str') {
    if ((e.op === '==' || e.op === '!=') && l.type.kind === 'str' && r.type.kind === 'str') {
      const size = Math.max(l.type.size, r.type.size);
      return {
        type: lx.typeOf(e),
        int: { op: 'blobEquals', left: resizeStr(l.blob!, l.type.size, size), right: resizeStr(r.blob!, r.type.size, size), negate: e.op === '!=' },
      };
    }
    lx.diags.error('type-mismatch', `operator ${e.op} cannot be used on ${typeToString(l.type)} and ${typeToString(r.type)}`, e.span);
    return lx.fail();
  }
  const ptrArith = pointerArith(lx, e, l, r);
  if (ptrArith) return ptrArith;
  const li = lx.intOf(l, e.left);
  const ri = lx.intOf(r, e.right);
  const int = arith(lx, e.op, li, ri, l.type, r.type, e);
  return { type: lx.typeOf(e), int };
}

/**
 * An integer operator with bpftrace 0.26's semantics (src/passes/int-semantics.ts): comparisons
 * are signed unless both sides are unsigned; `/`, `%` and `>>` are unsigned 64-bit operations;
 * a division by a value that is 0 at run time gives 1 and sends bpftrace's runtime warning.
 */
export function arith(lx: ProbeLowerer, op: ast.BinaryOp, left: IrExpr, right: IrExpr, lt: Type, rt: Type, node?: ast.Node): IrExpr {
  const operator = op as Exclude<ast.BinaryOp, '&&' | '||'>;
  if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
    const signed = lt.kind === 'ptr' || rt.kind === 'ptr' ? false : compareSigned(lt, rt);
    return { op: 'binary', operator, left, right, signed };
  }
  const res = arithResult(op, lt, rt);
  if (res.signedDivWarning && node) {
    lx.diags.warning('signed-division', `signed operands for '${op}' can lead to undefined behavior (cast to unsigned to silence warning)`, node.span);
  }
  if (op !== '/' && op !== '%') return { op: 'binary', operator, left, right, signed: op === '>>' ? false : res.type.signed };
  if (right.op === 'const' && right.value !== 0n) return { op: 'binary', operator, left, right, signed: false };
  // x / 0 is 1 (the code generator's divide); tell the user at run time, as bpftrace does.
  const tl = lx.temp();
  const tr = lx.temp();
  const warn = node ? runtimeWarning(lx, 'division-by-zero', 'Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.', node.span) : undefined;
  const stmts: IrStmt[] = [{ op: 'setVar', id: tl, value: left }, { op: 'setVar', id: tr, value: right }];
  if (warn) stmts.push({ op: 'if', cond: { op: 'binary', operator: '==', left: { op: 'var', id: tr }, right: { op: 'const', value: 0n }, signed: false }, then: [warn], else: [] });
  return { op: 'seq', stmts, value: { op: 'binary', operator, left: { op: 'var', id: tl }, right: { op: 'var', id: tr }, signed: false } };
}

/**
 * Whether two values are equal, element by element for tuples (bpftrace compares tuples of the
 * same shape with `==`/`!=`; strings compare up to their NUL, integers by value). Undefined when
 * the shapes differ.
 */
export function valuesEqual(lx: ProbeLowerer, l: TypedValue, r: TypedValue, e: ast.Node): IrExpr | undefined {
  if (isIntegral(l.type) && isIntegral(r.type)) return { op: 'binary', operator: '==', left: l.int!, right: r.int!, signed: false };
  if (l.type.kind === 'str' && r.type.kind === 'str') {
    const size = Math.max(l.type.size, r.type.size);
    return { op: 'blobEquals', left: resizeStr(l.blob!, l.type.size, size), right: resizeStr(r.blob!, r.type.size, size), negate: false };
  }
  if (l.type.kind === 'tuple' && r.type.kind === 'tuple' && l.type.elems.length === r.type.elems.length) {
    let all: IrExpr | undefined;
    for (let i = 0; i < l.type.elems.length; i++) {
      const eq = valuesEqual(lx, tupleElem(lx, l, i, e), tupleElem(lx, r, i, e), e);
      if (!eq) return undefined;
      all = all ? { op: 'logical', operator: '&&', left: all, right: eq } : eq;
    }
    return all ?? { op: 'const', value: 1n };
  }
  if (l.blob && r.blob && typeEquals(l.type, r.type)) {
    // Other aggregates of one type: byte for byte.
    return { op: 'blobEquals', left: l.blob, right: r.blob, negate: false };
  }
  return undefined;
}

/** `p + n`, `n + p`, `p - n` on a typed pointer: the address moves by n elements (C semantics). */
export function pointerArith(lx: ProbeLowerer, e: ast.Binary, l: TypedValue, r: TypedValue): TypedValue | undefined {
  if (e.op !== '+' && e.op !== '-') return undefined;
  const lp = l.type.kind === 'ptr';
  const rp = r.type.kind === 'ptr';
  if (lp === rp) {
    if (lp) {
      lx.diags.error('type-mismatch', `the ${e.op} operator can not be used on two pointers`, e.span);
      return lx.fail();
    }
    return undefined;
  }
  if (rp && e.op === '-') {
    lx.diags.error('type-mismatch', 'a pointer can only be subtracted from, not subtract', e.span);
    return lx.fail();
  }
  const ptr = lp ? l : r;
  const other = lp ? r : l;
  const otherExpr = lp ? e.right : e.left;
  const target = pointee(ptr.type, lx.types);
  const size = target && target.kind !== 'void' ? Math.max(1, cSizeOf(target)) : 1;
  const n = lx.intOf(other, otherExpr);
  const scaled: IrExpr = size === 1 ? n : { op: 'binary', operator: '*', left: n, right: { op: 'const', value: BigInt(size) }, signed: false };
  return { type: lx.typeOf(e), int: { op: 'binary', operator: e.op, left: ptr.int!, right: scaled, signed: false } };
}

/**
 * An expression made of literals only, folded as bpftrace folds it (fold_literals.cpp): the
 * constant with its literal type, `fail()` after reporting an overflow, or undefined when the
 * expression is not all literals.
 */
export function foldedValue(lx: ProbeLowerer, e: ast.Expr): TypedValue | undefined {
  const f = fold(lx, e);
  if (f === undefined) return undefined;
  if (f === 'error') return lx.fail();
  if (f.kind === 'bool') return { type: boolType, int: { op: 'const', value: f.value ? 1n : 0n } };
  return { type: constType(f.value), int: { op: 'const', value: BigInt.asIntN(64, f.value) } };
}

/** What literal folding needs: the lowerer and the type pass (src/passes/type-of.ts) both fold. */
export interface FoldHost {
  readonly diags: Diagnostics;
  readonly script: { readonly positionals: readonly string[] };
  deeper<T>(e: ast.Expr, f: () => T): T;
}

export function fold(lx: FoldHost, e: ast.Expr): Folded | 'error' | undefined {
  return lx.deeper(e, () => foldAt(lx, e));
}

export function foldAt(lx: FoldHost, e: ast.Expr): Folded | 'error' | undefined {
  switch (e.kind) {
    case 'IntLiteral':
      return { kind: 'int', value: e.value };
    case 'BoolLiteral':
      return { kind: 'bool', value: e.value };
    case 'PositionalCount':
      return { kind: 'int', value: BigInt(lx.script.positionals.length) };
    case 'Positional': {
      const text = lx.script.positionals[e.index - 1] ?? '';
      if (text === '') return { kind: 'int', value: 0n };
      // strtoull/strtoll with base 0, as bpftrace's util::to_uint/to_int: 0x hex, 0 octal.
      const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
      if (!m) return undefined;
      const mag = /^0[0-7]+$/.test(m[2]!) ? BigInt('0o' + m[2]!.slice(1)) : BigInt(m[2]!);
      return { kind: 'int', value: m[1] ? -mag : mag };
    }
    case 'Unary': {
      if (e.op === '*' || e.op === '&') return undefined;
      const v = fold(lx, e.operand);
      if (v === undefined || v === 'error') return v;
      const r = foldUnary(e.op, v);
      if (r && 'error' in r) {
        lx.diags.error('literal-overflow', 'negative value will underflow', e.span);
        return 'error';
      }
      return r;
    }
    case 'Binary': {
      const a = fold(lx, e.left);
      if (a === 'error') return a;
      const b = fold(lx, e.right);
      if (b === 'error') return b;
      if (a === undefined || b === undefined) return undefined;
      const r = foldBinary(e.op, a, b);
      if (r && 'error' in r) {
        lx.diags.error('literal-overflow', 'unable to fold literals due to overflow or underflow', e.span,
          (e.op === '/' || e.op === '%') && b.kind === 'int' && b.value === 0n ? ['this divides by zero'] : undefined);
        return 'error';
      }
      return r;
    }
    default:
      return undefined;
  }
}
