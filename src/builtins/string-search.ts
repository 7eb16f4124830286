/**
 * strstr, strcap, memcmp, default_str_length (bpftrace stdlib strings.bt / internal.bt). strcap and
 * default_str_length are compile-time sizes; strstr and memcmp run in the kernel.
 */
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import { encodeBytes, Helper } from '../contract/index.js';
import { i64, isIntegral, noneType, sizeOf, typeToString, u64, type Type } from '../types/types.js';
import { argCount, c64, heldAsInt, type LibFunction, type LibValue, type LowerContext } from './library.js';

const i32: Type = { kind: 'int', bits: 32, signed: true };

/** sizeof(str((int8*)0)): the size of a string read without a length (config max_strlen). */
const defaultStrLength: LibFunction = {
  name: 'default_str_length',
  bare: true,
  type: (call, tx) => (argCount(call, tx, 0, 0) ? u64 : noneType),
  expr: (call, cx) => (argCount(call, cx, 0, 0) ? { type: u64, int: c64(cx.maxStrlen) } : cx.fail()),
};

/** An int8 array (char[N]) in the type system: a tuple marked as an array of 8-bit integers. */
function charArrayLength(t: Type): number | undefined {
  return t.kind === 'tuple' && t.array === true && t.elems.every((e) => e.kind === 'int' && e.bits === 8) ? t.elems.length : undefined;
}

/**
 * strcap(s): a string's capacity (its size, NUL included), an int8 array's length, or a char
 * pointer's strlen (bpftrace's macro passes a pointer on to strlen).
 */
const strcap: LibFunction = {
  name: 'strcap',
  type(call, tx) {
    if (!argCount(call, tx, 1, 1)) return noneType;
    const t = tx.typeOf(call.args[0]!);
    if (t.kind === 'str' || charArrayLength(t) !== undefined) return i64;
    const strlen = t.kind === 'ptr' ? tx.library('strlen')?.type : undefined;
    if (strlen) {
      const len = strlen(call, tx);
      return heldAsInt(len) ? i64 : len;
    }
    return noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (v.type.kind === 'str') return { type: i64, int: c64(v.type.size) };
    const n = charArrayLength(v.type);
    if (n !== undefined) return { type: i64, int: c64(n) };
    if (v.type.kind === 'ptr') {
      const strlen = cx.library('strlen');
      if (strlen?.expr) {
        const len = strlen.expr(call, cx);
        return len.int ? { type: i64, int: len.int } : len;
      }
    }
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `strcap() needs a string, an int8 array or an int8 pointer, got ${typeToString(v.type)}`, call.args[0]!.span);
    return cx.fail();
  },
};

/** The next power of two at or above n (at least 16, see str_concat in strings.ts). */
function pow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/**
 * strstr(haystack, "needle"): the index of needle's first occurrence, -1 when absent, 0 for an empty
 * needle. A bpf_loop over the haystack's positions: each one reads needle-length bytes at that
 * position (bpf_probe_read_kernel from the copy on the stack or scratch, so the variable offset needs
 * no verifier bounds) and compares them with the needle; a NUL at the position ends the search.
 */
const strstr: LibFunction = {
  name: 'strstr',
  type(call, tx) {
    if (!argCount(call, tx, 2, 2) || tx.typeOf(call.args[0]!).kind !== 'str') return noneType;
    const needleArg = call.args[1]!;
    // As strstrVariable: a needle known at run time must be a string.
    if (needleArg.kind !== 'StringLiteral' && needleArg.kind !== 'Positional') return tx.typeOf(needleArg).kind === 'str' ? i64 : noneType;
    return tx.constString(needleArg) === undefined ? noneType : i64;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const hay = cx.value(call.args[0]!);
    if (hay.type.kind !== 'str' || !hay.blob) {
      if (hay.type.kind !== 'none') cx.diags.error('type-mismatch', `strstr() needs a string haystack, got ${typeToString(hay.type)}`, call.args[0]!.span);
      return cx.fail();
    }
    const needleArg = call.args[1]!;
    if (needleArg.kind !== 'StringLiteral' && needleArg.kind !== 'Positional') return strstrVariable(cx, hay.blob, hay.type.size, needleArg);
    const text = cx.constString(needleArg, 'a string literal needle');
    if (text === undefined) return cx.fail();
    const nul = text.indexOf('\0');
    const needleText = nul < 0 ? text : text.slice(0, nul);
    const needle = encodeBytes(needleText);
    const size = hay.type.size;
    if (needle.length === 0) return { type: i64, int: c64(0) };
    if (needle.length > size) return { type: i64, int: c64(-1) };
    const hayArg = call.args[0]!;
    if (hayArg.kind === 'StringLiteral') {
      // Both known now: the index at compile time (within the characters before a NUL).
      const bytes = encodeBytes(hayArg.value);
      const nulAt = bytes.indexOf(0);
      return { type: i64, int: c64((nulAt < 0 ? bytes : bytes.subarray(0, nulAt)).indexOf(needle)) };
    }
    // The copy is padded with zeroes past the haystack so every position's read stays inside it.
    const copySize = pow2(size + needle.length);
    const h = cx.tempBlob(copySize);
    const H: IrBlob = { op: 'varBlob', id: h, size: copySize };
    // The needle's bytes and a NUL that no read overwrites: compared with the needle as a string.
    const chunk = cx.tempBlob(needle.length + 1);
    const C: IrBlob = { op: 'varBlob', id: chunk, size: needle.length + 1 };
    const index = cx.temp();
    const result = cx.temp();
    const I: IrExpr = { op: 'var', id: index };
    const read: IrExpr = { op: 'call', helper: Helper.probe_read_kernel, args: [{ kind: 'blobAt', blob: C, offset: c64(0) }, { kind: 'int', value: c64(needle.length) }, { kind: 'blobAt', blob: H, offset: { op: 'binary', operator: '&', left: I, right: c64(copySize - 1), signed: false } }] };
    const body: IrStmt[] = [
      { op: 'if', cond: read, then: [{ op: 'break' }], else: [] },
      { op: 'if', cond: { op: 'unary', operator: '!', operand: { op: 'blobLoad', blob: C, offset: 0, size: 1, signed: false } }, then: [{ op: 'break' }], else: [] },
      {
        op: 'if',
        cond: { op: 'blobEquals', left: C, right: { op: 'string', value: needleText, size: needle.length + 1 }, negate: false },
        then: [{ op: 'setVar', id: result, value: I }, { op: 'break' }],
        else: [],
      },
    ];
    return {
      type: i64,
      int: {
        op: 'seq',
        stmts: [
          { op: 'setVarBlob', id: h, value: { op: 'record', size: copySize, fields: [{ offset: 0, blob: hay.blob }] } },
          { op: 'setVar', id: result, value: c64(-1) },
          { op: 'callbackLoop', count: c64(size - needle.length + 1), indexVar: index, body },
        ],
        value: { op: 'var', id: result },
      },
    };
  },
};

/**
 * strstr(haystack, $needle) with a needle known only at run time: the needle is copied NUL-padded
 * into a power-of-two buffer (its length from bpf_probe_read_kernel_str), and each position reads
 * that many haystack bytes into a zeroed buffer of the same size to compare them whole.
 */
function strstrVariable(cx: LowerContext, hay: IrBlob, size: number, e: ast.Expr): LibValue {
  const v = cx.value(e);
  if (v.type.kind !== 'str' || !v.blob) {
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `strstr() needs a string needle, got ${typeToString(v.type)}`, e.span);
    return cx.fail();
  }
  const n = v.type.size;
  const width = pow2(n);
  const copySize = pow2(size + width);
  const h = cx.tempBlob(copySize);
  const H: IrBlob = { op: 'varBlob', id: h, size: copySize };
  const nv = cx.tempBlob(width);
  const NV: IrBlob = { op: 'varBlob', id: nv, size: width };
  const chunk = cx.tempBlob(width);
  const C: IrBlob = { op: 'varBlob', id: chunk, size: width };
  const [len, index, result] = [cx.temp(), cx.temp(), cx.temp()];
  const L: IrExpr = { op: 'var', id: len };
  const I: IrExpr = { op: 'var', id: index };
  const copied: IrExpr = { op: 'call', helper: Helper.probe_read_kernel_str, args: [{ kind: 'blobAt', blob: NV, offset: c64(0) }, { kind: 'int', value: c64(n) }, { kind: 'blob', blob: v.blob }] };
  const read: IrExpr = {
    op: 'call', helper: Helper.probe_read_kernel,
    args: [{ kind: 'blobAt', blob: C, offset: c64(0) }, { kind: 'int', value: { op: 'binary', operator: '&', left: L, right: c64(width - 1), signed: false } }, { kind: 'blobAt', blob: H, offset: { op: 'binary', operator: '&', left: I, right: c64(copySize - 1), signed: false } }],
  };
  const body: IrStmt[] = [
    { op: 'setVarBlob', id: chunk, value: { op: 'zero', size: width } },
    { op: 'if', cond: read, then: [{ op: 'break' }], else: [] },
    { op: 'if', cond: { op: 'unary', operator: '!', operand: { op: 'blobLoad', blob: C, offset: 0, size: 1, signed: false } }, then: [{ op: 'break' }], else: [] },
    { op: 'if', cond: { op: 'blobEquals', left: C, right: NV, negate: false }, then: [{ op: 'setVar', id: result, value: I }, { op: 'break' }], else: [] },
  ];
  return {
    type: i64,
    int: {
      op: 'seq',
      stmts: [
        { op: 'setVarBlob', id: h, value: { op: 'record', size: copySize, fields: [{ offset: 0, blob: hay }] } },
        { op: 'setVarBlob', id: nv, value: { op: 'zero', size: width } },
        // The needle's length: bpf_probe_read_kernel_str counts its NUL.
        { op: 'setVar', id: len, value: { op: 'binary', operator: '-', left: copied, right: c64(1), signed: true } },
        { op: 'setVar', id: result, value: c64(-1) },
        {
          op: 'if',
          cond: { op: 'binary', operator: '<=', left: L, right: c64(0), signed: true },
          then: [{ op: 'setVar', id: result, value: c64(0) }],
          else: [{ op: 'callbackLoop', count: c64(size), indexVar: index, body }],
        },
      ],
      value: { op: 'var', id: result },
    },
  };
}

/** The size of a memcmp operand of type `t` (as bytesOf); undefined when it has no bytes to compare. */
function operandSize(t: Type): number | undefined {
  return !heldAsInt(t) || isIntegral(t) ? sizeOf(t) : undefined;
}

/** The bytes of a string, array or record value (memcmp's operands). */
function bytesOf(cx: LowerContext, e: ast.Expr): { blob: IrBlob; size: number } | undefined {
  const v: LibValue = cx.value(e);
  if (v.blob) return { blob: v.blob, size: sizeOf(v.type) };
  if (isIntegral(v.type) && v.int) {
    const size = sizeOf(v.type) as 1 | 2 | 4 | 8;
    return { blob: { op: 'int', value: v.int, size }, size };
  }
  if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `memcmp() cannot compare ${typeToString(v.type)}`, e.span);
  return undefined;
}

/**
 * memcmp(left, right, n): 0 when the first n bytes are equal, else the difference of the first
 * differing bytes as signed chars (bpftrace's __memcmp). n is a constant up to the smaller size.
 */
const memcmp: LibFunction = {
  name: 'memcmp',
  type(call, tx) {
    if (!argCount(call, tx, 3, 3)) return noneType;
    const a = operandSize(tx.typeOf(call.args[0]!));
    const b = operandSize(tx.typeOf(call.args[1]!));
    const n = Number(tx.constInt(call.args[2]!));
    return a !== undefined && b !== undefined && n >= 0 && n <= Math.min(a, b) ? i32 : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 3, 3)) return cx.fail();
    const a = bytesOf(cx, call.args[0]!);
    const b = bytesOf(cx, call.args[1]!);
    const n = Number(cx.constInt(call.args[2]!));
    if (!a || !b) return cx.fail();
    if (n < 0 || n > Math.min(a.size, b.size)) {
      cx.diags.error('invalid-argument', `memcmp() count ${n} is larger than its operands (${a.size} and ${b.size} bytes)`, call.args[2]!.span);
      return cx.fail();
    }
    const va = cx.tempBlob(a.size);
    const vb = cx.tempBlob(b.size);
    const A: IrBlob = { op: 'varBlob', id: va, size: a.size };
    const B: IrBlob = { op: 'varBlob', id: vb, size: b.size };
    // From the last byte back: the first difference wins.
    let out: IrExpr = c64(0);
    for (let k = n - 1; k >= 0; k--) {
      const x: IrExpr = { op: 'blobLoad', blob: A, offset: k, size: 1, signed: true };
      const y: IrExpr = { op: 'blobLoad', blob: B, offset: k, size: 1, signed: true };
      out = { op: 'ternary', cond: { op: 'binary', operator: '!=', left: x, right: y, signed: true }, then: { op: 'binary', operator: '-', left: x, right: y, signed: true }, else: out };
    }
    return { type: i32, int: { op: 'seq', stmts: [{ op: 'setVarBlob', id: va, value: a.blob }, { op: 'setVarBlob', id: vb, value: b.blob }], value: out } };
  },
};

export const STRING_SEARCH_FUNCTIONS: readonly LibFunction[] = [defaultStrLength, strcap, strstr, memcmp];
