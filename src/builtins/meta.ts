/**
 * Compile-time helpers of bpftrace's stdlib (meta.bt, base.bt): the type predicates (is_str,
 * is_ptr...), static_assert, fail, assert_str, and the run-time assert and is_err built on them.
 */
import type * as ast from '../ast/nodes.js';
import type { IrExpr, IrStmt } from '../ir/ir.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { boolType, i64, noneType, typeToString, type Type } from '../types/types.js';
import { argCount, c64, endRequest, literalFormat, type LibFunction, type LibValue, type LowerContext } from './library.js';

const constBool = (b: boolean): LibValue => ({ type: boolType, int: c64(b ? 1 : 0) });

/** A predicate over the argument's type; the argument is typed, not run. */
function typePredicate(name: string, test: (t: Type) => boolean): LibFunction {
  return {
    name,
    type(call, tx) {
      if (!argCount(call, tx, 1, 1)) return noneType;
      return tx.typeOf(call.args[0]!).kind === 'none' ? noneType : boolType;
    },
    expr(call, cx) {
      if (!argCount(call, cx, 1, 1)) return cx.fail();
      const v = cx.value(call.args[0]!);
      if (v.type.kind === 'none') return cx.fail();
      return constBool(test(v.type));
    },
  };
}

const isArray = (t: Type): boolean => t.kind === 'tuple' && t.array === true;

/** A literal as bpftrace's is_literal sees one: integers (negated ones too), strings, booleans. */
function isLiteral(e: ast.Expr): boolean {
  if (e.kind === 'IntLiteral' || e.kind === 'StringLiteral' || e.kind === 'BoolLiteral') return true;
  return e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'IntLiteral';
}

const isLiteralFn: LibFunction = {
  name: 'is_literal',
  type: (call, tx) => (argCount(call, tx, 1, 1) ? boolType : noneType),
  expr: (call, cx) => (argCount(call, cx, 1, 1) ? constBool(isLiteral(call.args[0]!)) : cx.fail()),
};

/** The value of an IR expression built only from constants (is_*(), sizeof, literals, && || ! and comparisons), or undefined. */
function constValue(e: IrExpr): bigint | undefined {
  switch (e.op) {
    case 'const':
      return e.value;
    case 'unary': {
      const x = constValue(e.operand);
      if (x === undefined) return undefined;
      return e.operator === '!' ? (x === 0n ? 1n : 0n) : e.operator === '-' ? BigInt.asIntN(64, -x) : BigInt.asIntN(64, ~x);
    }
    case 'logical': {
      const l = constValue(e.left);
      const r = constValue(e.right);
      if (l === undefined || r === undefined) return undefined;
      return (e.operator === '&&' ? l !== 0n && r !== 0n : l !== 0n || r !== 0n) ? 1n : 0n;
    }
    case 'binary': {
      const l = constValue(e.left);
      const r = constValue(e.right);
      if (l === undefined || r === undefined) return undefined;
      const [a, b] = e.signed ? [BigInt.asIntN(64, l), BigInt.asIntN(64, r)] : [BigInt.asUintN(64, l), BigInt.asUintN(64, r)];
      const cmp: Record<string, boolean> = { '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b };
      if (e.operator in cmp) return cmp[e.operator] ? 1n : 0n;
      return undefined;
    }
    case 'cast': {
      const x = constValue(e.operand);
      return x === undefined ? undefined : e.signed ? BigInt.asIntN(e.bits, x) : BigInt.asUintN(e.bits, x);
    }
    default:
      return undefined;
  }
}

/** A compile-time condition: its value must be a constant after lowering (literals, is_*(), sizeof...). */
function constCondition(cx: LowerContext, e: ast.Expr, fn: string): boolean | undefined {
  const v = cx.value(e);
  if (v.type.kind === 'none') return undefined;
  const known = v.int ? constValue(v.int) : undefined;
  if (known !== undefined) return known !== 0n;
  cx.diags.error('not-constant', `${fn}() needs a condition known at compile time`, e.span);
  return undefined;
}

/** A literal argument of fail() as text for its format (bpftrace evaluates fail() at compile time). */
function literalText(cx: LowerContext, e: ast.Expr): string | bigint | undefined {
  if (e.kind === 'StringLiteral') return e.value;
  const v = cx.value(e);
  if (v.int?.op === 'const') return v.int.value;
  if (v.type.kind !== 'none') cx.diags.error('not-constant', 'fail() arguments must be literals', e.span);
  return undefined;
}

/** fail()'s message: the format with its literal arguments put in (integers, strings, %x/%o). */
function compileTimeFormat(fmt: string, args: readonly (string | bigint)[]): string {
  let i = 0;
  return fmt.replace(/%%|%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?([a-zA-Z])/g, (m, conv: string | undefined) => {
    if (m === '%%') return '%';
    const a = args[i++];
    if (a === undefined) return m;
    if (typeof a === 'string') return a;
    if (conv === 'x') return BigInt.asUintN(64, a).toString(16);
    if (conv === 'X') return BigInt.asUintN(64, a).toString(16).toUpperCase();
    if (conv === 'o') return BigInt.asUintN(64, a).toString(8);
    if (conv === 'u') return BigInt.asUintN(64, a).toString();
    return a.toString();
  });
}

/** fail(fmt, args...): a compile error wherever it is lowered (a branch a constant condition skips is not). */
const fail: LibFunction = {
  name: 'fail',
  typeStmt(call, tx) {
    // As literalText: a string literal is not typed, every other argument is.
    const fmt = argCount(call, tx, 1, Infinity) ? literalFormat(call, tx) : undefined;
    if (fmt) for (const a of call.args.slice(1)) if (a.kind !== 'StringLiteral') tx.typeOf(a);
  },
  stmt(call, cx) {
    const fmt = argCount(call, cx, 1, Infinity) ? literalFormat(call, cx) : undefined;
    if (!fmt) return [];
    const args = call.args.slice(1).map((a) => literalText(cx, a));
    if (args.some((a) => a === undefined)) return [];
    cx.diags.error('fail', compileTimeFormat(fmt.text, args as (string | bigint)[]), call.span);
    return [];
  },
};

/** static_assert(cond, msg): a compile error with msg when the constant condition is false. */
const staticAssert: LibFunction = {
  name: 'static_assert',
  typeStmt(call, tx) {
    if (argCount(call, tx, 2, 2)) tx.typeOf(call.args[0]!);
  },
  stmt(call, cx) {
    if (!argCount(call, cx, 2, 2)) return [];
    const msg = cx.constString(call.args[1]!, 'a string literal message');
    const ok = constCondition(cx, call.args[0]!, 'static_assert');
    if (ok === false && msg !== undefined) cx.diags.error('static-assert', msg, call.span);
    return [];
  },
};

/** assert_str(x): x must be string-like: a string, an int8 array or an int8 pointer. */
const assertStr: LibFunction = {
  name: 'assert_str',
  typeStmt(call, tx) {
    if (argCount(call, tx, 1, 1)) tx.typeOf(call.args[0]!);
  },
  stmt(call, cx) {
    if (!argCount(call, cx, 1, 1)) return [];
    const v = cx.value(call.args[0]!);
    const t = v.type;
    const int8 = (e: Type | undefined): boolean => e?.kind === 'int' && e.bits === 8;
    if (t.kind === 'none' || t.kind === 'str') return [];
    if (isArray(t)) {
      if (t.kind === 'tuple' && !int8(t.elems[0])) cx.diags.error('static-assert', 'string-like arrays must contain a char-like type', call.span);
    } else if (t.kind === 'ptr') {
      if (!/^u?int8$|^(unsigned |signed )?char$/.test(t.to)) cx.diags.error('static-assert', 'string-like pointers must point to a char-like type', call.span);
    } else {
      cx.diags.error('fail', 'string-like values must be either strings, arrays or pointers', call.span);
    }
    return [];
  },
};

/** assert's report: errorf("assert failed: %s", msg). */
const assertReport = (call: ast.Call): ast.Call => ({ ...call, callee: 'errorf', args: [{ kind: 'StringLiteral', value: 'assert failed: %s', span: call.span }, call.args[1]!] });

/** assert(cond, msg): at run time, when cond is false, errorf("assert failed: %s", msg) and exit(1). */
const assertFn: LibFunction = {
  name: 'assert',
  typeStmt(call, tx) {
    if (!argCount(call, tx, 2, 2)) return;
    tx.typeOf(call.args[0]!);
    tx.library('errorf')?.typeStmt?.(assertReport(call), tx);
  },
  stmt(call, cx) {
    if (!argCount(call, cx, 2, 2)) return [];
    const cond = cx.intOf(cx.value(call.args[0]!), call.args[0]!);
    const errorf = cx.library('errorf')?.stmt;
    if (!errorf) return [];
    const report = errorf(assertReport(call), cx);
    const exit: IrStmt[] = [endRequest(cx.emit({ kind: 'exit', args: [i64] }, [{ type: i64, int: c64(1) }])), { op: 'return' }];
    return [{ op: 'if', cond: { op: 'unary', operator: '!', operand: cond }, then: [...report, ...exit], else: [] }];
  },
};

/** is_err(ptr): an ERR_PTR, -4095 <= (int64)ptr < 0 (the kernel's IS_ERR). */
function isErrArg(call: ast.Call, cx: { readonly diags: Diagnostics }, t: Type): boolean {
  if (t.kind === 'ptr' || t.kind === 'int') return true;
  if (t.kind !== 'none') cx.diags.error('type-mismatch', `is_err() needs a pointer, got ${typeToString(t)}`, call.args[0]!.span);
  return false;
}

const isErr: LibFunction = {
  name: 'is_err',
  type: (call, tx) => (argCount(call, tx, 1, 1) && isErrArg(call, tx, tx.typeOf(call.args[0]!)) ? boolType : noneType),
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (!isErrArg(call, cx, v.type)) return cx.fail();
    const x = cx.intOf(v, call.args[0]!);
    // (uint64)x >= (uint64)-4095: one comparison for both bounds.
    const int: IrExpr = { op: 'binary', operator: '>=', left: x, right: c64(BigInt.asUintN(64, -4095n)), signed: false };
    return { type: boolType, int };
  },
};

export const META_FUNCTIONS: readonly LibFunction[] = [
  typePredicate('is_array', isArray),
  typePredicate('is_integer', (t) => t.kind === 'int'),
  typePredicate('is_unsigned_integer', (t) => t.kind === 'int' && !t.signed),
  typePredicate('is_ptr', (t) => t.kind === 'ptr'),
  typePredicate('is_str', (t) => t.kind === 'str'),
  isLiteralFn,
  isErr,
  fail,
  staticAssert,
  assertStr,
  assertFn,
];
