import type * as ast from '../ast/nodes.js';
import type { Type } from '../types/types.js';
import { renderLocated } from '../common/render.js';

/**
 * Integer semantics of bpftrace 0.26 (src/ast/integer_types.cpp, src/types.cpp get_promoted_int,
 * type_resolver.cpp get_binop_int, fold_literals.cpp, codegen_llvm.cpp binop_int):
 *
 * - A literal that fits int64 has the smallest signed type that holds it (`0`, `1`, `-1` are int8)
 *   and, when non-negative, a flexible sign: it takes the sign of the other operand. Larger
 *   literals are uint64.
 * - Expressions of literals only are folded at compile time with exact arithmetic; overflow,
 *   division by zero and shifts outside 0..63 are errors.
 * - Arithmetic yields a 64-bit integer, signed when either operand is signed (after a flexible
 *   literal adopted the other side's sign) and always for `-`.
 * - `/`, `%` and `>>` are always unsigned 64-bit operations (BPF has no signed division): a
 *   negative operand is treated as its two's complement. Division by zero gives 1 and a runtime
 *   warning.
 * - Comparisons are signed unless both operands are unsigned.
 */

export type IntType = Type & { kind: 'int' };

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** The type of a non-negative literal (bpftrace `Integer`). */
export function literalType(value: bigint): IntType {
  if (value > INT64_MAX) return { kind: 'int', bits: 64, signed: false };
  return { kind: 'int', bits: smallestSigned(value), signed: true, flex: true };
}

/** The type of a negative literal (bpftrace `NegativeInteger`). */
export function negativeLiteralType(value: bigint): IntType {
  return { kind: 'int', bits: smallestSigned(value), signed: true };
}

/** The type of a folded constant: flexible when non-negative. */
export function constType(value: bigint): IntType {
  return value < 0n ? negativeLiteralType(value) : literalType(value);
}

function smallestSigned(v: bigint): 8 | 16 | 32 | 64 {
  if (v >= -128n && v <= 127n) return 8;
  if (v >= -32768n && v <= 32767n) return 16;
  if (v >= -2147483648n && v <= 2147483647n) return 32;
  return 64;
}

export function isFlex(t: Type): boolean {
  return t.kind === 'int' && (t as { flex?: boolean }).flex === true;
}

function isSignedT(t: Type): boolean {
  return t.kind === 'int' && t.signed;
}

/** Each operand's sign once a flexible one has taken the other's (bools and pointers are unsigned). */
function effectiveSigns(l: Type, r: Type): [boolean, boolean] {
  let ls = isSignedT(l);
  let rs = isSignedT(r);
  if (isFlex(l) && !isFlex(r)) ls = rs;
  else if (isFlex(r) && !isFlex(l)) rs = ls;
  return [ls, rs];
}

/** get_promoted_int: the common type of two integers (comparisons, ternaries, variable reassignment). */
export function promoteInt(a: Type, b: Type): IntType {
  const aBits = a.kind === 'int' ? a.bits : 64;
  const bBits = b.kind === 'int' ? b.bits : 64;
  const as = isSignedT(a);
  const bs = isSignedT(b);
  const flex = isFlex(a) && isFlex(b);
  const bits = Math.max(aBits, bBits) as 8 | 16 | 32 | 64;
  if (as !== bs) {
    if (isFlex(a) || isFlex(b)) {
      const signed = (!isFlex(a) && as) || (!isFlex(b) && bs);
      return flex ? { kind: 'int', bits, signed, flex: true } : { kind: 'int', bits, signed };
    }
    if (as && aBits > bBits) return { kind: 'int', bits: aBits as 8 | 16 | 32 | 64, signed: true };
    if (bs && bBits > aBits) return { kind: 'int', bits: bBits as 8 | 16 | 32 | 64, signed: true };
    const doubled = Math.max(aBits, bBits) * 2;
    return { kind: 'int', bits: (doubled > 64 ? 64 : doubled) as 8 | 16 | 32 | 64, signed: true };
  }
  return flex ? { kind: 'int', bits, signed: as, flex: true } : { kind: 'int', bits, signed: as };
}

/** Whether a comparison of these operands is signed. */
export function compareSigned(l: Type, r: Type): boolean {
  const [ls, rs] = effectiveSigns(l, r);
  return ls || rs;
}

/**
 * get_binop_int: the result type of an arithmetic or bitwise operator, and whether bpftrace warns
 * that signed operands of `/` or `%` are treated as unsigned.
 */
export function arithResult(op: ast.BinaryOp, l: Type, r: Type): { type: IntType; signedDivWarning: boolean } {
  const [ls, rs] = effectiveSigns(l, r);
  const lBits = l.kind === 'int' ? l.bits : 64;
  const rBits = r.kind === 'int' ? r.bits : 64;
  const same = ls === rs && lBits === rBits;
  const signed = ls || rs || op === '-';
  const signedDivWarning = !same && (op === '/' || op === '%') && (ls || rs);
  return { type: { kind: 'int', bits: 64, signed }, signedDivWarning };
}

// ------------------------------------------------------------------ literal folding

/** A folded literal: bpftrace's `Integer` (non-negative, up to 2^64-1), `NegativeInteger`, or `Boolean`. */
export type Folded = { readonly kind: 'int'; readonly value: bigint } | { readonly kind: 'bool'; readonly value: boolean };

/** Why folding failed: an error to report at the expression. */
export type FoldError = { readonly error: 'overflow' | 'negative-underflow' };

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** fold_literals.cpp `visit(Unop)`. */
export function foldUnary(op: '-' | '~' | '!', v: Folded): Folded | FoldError | undefined {
  if (v.kind === 'bool') return op === '!' ? { kind: 'bool', value: !v.value } : undefined;
  const x = v.value;
  if (op === '!') return { kind: 'bool', value: x === 0n };
  if (op === '~') return { kind: 'int', value: x >= 0n ? UINT64_MAX - x : -x - 1n };
  if (x > 0n && x > INT64_MAX + 1n) return { error: 'negative-underflow' };
  return { kind: 'int', value: -x };
}

/** fold_literals.cpp `visit(Binop)` on two integer (or bool) literals. */
export function foldBinary(op: ast.BinaryOp, a: Folded, b: Folded): Folded | FoldError | undefined {
  if (op === '&&' || op === '||') {
    const x = a.kind === 'bool' ? a.value : a.value !== 0n;
    const y = b.kind === 'bool' ? b.value : b.value !== 0n;
    return { kind: 'bool', value: op === '&&' ? x && y : x || y };
  }
  if (a.kind === 'bool' || b.kind === 'bool') {
    if (a.kind === 'bool' && b.kind === 'bool') {
      const x = a.value ? 1n : 0n;
      const y = b.value ? 1n : 0n;
      if (COMPARE.has(op)) return { kind: 'bool', value: compare(op, x, y) };
    }
    return undefined;
  }
  const x = a.value;
  const y = b.value;
  // Unsigned values above INT64_MAX do not mix with negative ones.
  if ((x > INT64_MAX && y < 0n) || (y > INT64_MAX && x < 0n)) return { error: 'overflow' };
  if (COMPARE.has(op)) return { kind: 'bool', value: compare(op, x, y) };
  const unsigned = x >= 0n && y >= 0n;
  const r = evalBinop(op, x, y, unsigned);
  return r === undefined ? { error: 'overflow' } : { kind: 'int', value: r };
}

function compare(op: string, x: bigint, y: bigint): boolean {
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}

/** eval_binop: `unsigned` when both are bpftrace `Integer`s (uint64), else int64 arithmetic. */
function evalBinop(op: ast.BinaryOp, x: bigint, y: bigint, unsigned: boolean): bigint | undefined {
  const fits = (v: bigint): bigint | undefined => (unsigned ? (v >= INT64_MIN && v <= UINT64_MAX ? v : undefined) : v >= INT64_MIN && v <= INT64_MAX ? v : undefined);
  switch (op) {
    case '+': {
      const v = x + y;
      if (unsigned) return v <= UINT64_MAX ? v : undefined;
      if (x > 0n && y > 0n) return v <= UINT64_MAX ? v : undefined;
      return v >= INT64_MIN ? v : undefined;
    }
    case '-':
      return fits(x - y);
    case '*': {
      const v = x * y;
      if (v >= 0n) return v <= UINT64_MAX ? v : undefined;
      return v >= INT64_MIN ? v : undefined;
    }
    case '/':
    case '%': {
      if (y === 0n) return undefined;
      // BigInt division truncates toward zero and `%` takes the dividend's sign, as in C.
      return op === '/' ? x / y : x % y;
    }
    case '&':
    case '|':
    case '^': {
      const v = op === '&' ? x & y : op === '|' ? x | y : x ^ y;
      return unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v);
    }
    case '<<':
      if (y < 0n || y >= 64n) return undefined;
      return unsigned ? BigInt.asUintN(64, x << y) : BigInt.asIntN(64, x << y);
    case '>>':
      if (y < 0n || y >= 64n) return undefined;
      return x >> y;
    default:
      return undefined;
  }
}

/** The value of a 64-bit register holding `v` read as `signed` or not. */
export function asInt64(v: bigint, signed: boolean): bigint {
  return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
}

/** A runtime warning as bpftrace's log prints it: `FILE:L:C1-C2: WARNING: msg`, the source line and `~` under the span. */
export function renderRuntimeWarning(message: string, source: { name: string; text: string } | undefined, span: { start: number; end: number }): string {
  return source ? renderLocated('WARNING', message, source, span) : `WARNING: ${message}`;
}
