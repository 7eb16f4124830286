/** String and byte functions: strncmp, strcontains, buf, ntop, macaddr, strftime. */
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import { encodeBytes, Helper } from '../contract/index.js';
import { isIP } from 'node:net';
import type { Diagnostics } from '../common/diagnostic.js';
import { boolType, DEFAULT_STRLEN, i64, isIntegral, noneType, typeToString, u64, type Type } from '../types/types.js';
import { argCount, c64, type ArgContext, type LibFunction, type LibValue, type LowerContext, type TypeContext } from './library.js';

/** Largest buf() (bpftrace's default max_strlen is larger; our values live on the 512-byte stack). */
export const MAX_BUF = 64;

/** A string blob of `from` bytes as `to` bytes: truncated (NUL not kept) or zero-padded. */
function resized(blob: IrBlob, from: number, to: number): IrBlob {
  if (from === to) return blob;
  if (from > to) return { op: 'slice', blob, offset: 0, size: to };
  return { op: 'record', size: to, fields: [{ offset: 0, blob }] };
}

function stringArg(cx: LowerContext, e: ast.Expr, fn: string): { blob: IrBlob; size: number } | undefined {
  const v = cx.value(e);
  const size = stringSize(cx, e, fn, v.type);
  return size !== undefined && v.blob ? { blob: v.blob, size } : undefined;
}

/** A string argument's size (its type checked); undefined after an error. */
function stringSize(cx: { readonly diags: Diagnostics }, e: ast.Expr, fn: string, t: Type): number | undefined {
  if (t.kind === 'str') return t.size;
  if (t.kind !== 'none') cx.diags.error('type-mismatch', `${fn}() needs a string, got ${typeToString(t)}`, e.span);
  return undefined;
}

/** stringArg's typing. */
const typeStringArg = (tx: TypeContext, e: ast.Expr, fn: string): number | undefined => stringSize(tx, e, fn, tx.typeOf(e));

/** strncmp(a, b, n): 0 when the first n characters are equal (stopping at a common NUL), else 1. */
const strncmp: LibFunction = {
  name: 'strncmp',
  type(call, tx) {
    if (!argCount(call, tx, 3, 3)) return noneType;
    const a = typeStringArg(tx, call.args[0]!, 'strncmp');
    const b = typeStringArg(tx, call.args[1]!, 'strncmp');
    return a !== undefined && b !== undefined ? i64 : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 3, 3)) return cx.fail();
    const a = stringArg(cx, call.args[0]!, 'strncmp');
    const b = stringArg(cx, call.args[1]!, 'strncmp');
    const n = Number(cx.constInt(call.args[2]!));
    if (!a || !b) return cx.fail();
    if (n <= 0) return { type: i64, int: c64(0) };
    const size = Math.min(n, Math.max(a.size, b.size));
    return { type: i64, int: { op: 'blobEquals', left: resized(a.blob, a.size, size), right: resized(b.blob, b.size, size), negate: true } };
  },
};

/** strcontains(haystack, "needle"): a bool, true when needle occurs in haystack (bpftrace: strstr(h, n) >= 0). Needles are string literals. */
const strcontains: LibFunction = {
  name: 'strcontains',
  type(call, tx) {
    if (!argCount(call, tx, 2, 2) || typeStringArg(tx, call.args[0]!, 'strcontains') === undefined) return noneType;
    return tx.constString(call.args[1]!) === undefined ? noneType : boolType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const hay = stringArg(cx, call.args[0]!, 'strcontains');
    if (!hay) return cx.fail();
    const needle = cx.constString(call.args[1]!, 'a string literal needle');
    if (needle === undefined) return cx.fail();
    // The needle ends at its first NUL (bpftrace's __bpf_strnstr); an empty needle is always found.
    const nul = needle.indexOf('\0');
    const text = nul < 0 ? needle : needle.slice(0, nul);
    const bytes = encodeBytes(text);
    if (bytes.length === 0) return { type: boolType, int: c64(1) };
    const room = hay.size - 1; // the last byte of a string value is its NUL
    if (bytes.length > room) return { type: boolType, int: c64(0) };
    // A bounded loop over the haystack's positions in the code generator (src/codegen/module.ts).
    return { type: boolType, int: { op: 'strContains', haystack: hay.blob, needle: text } };
  },
};

function addressSpace(t: Type): 'user' | 'kernel' {
  return t.kind === 'ptr' ? t.space : 'kernel';
}

/** buf(data, length): `length` bytes from a pointer (or the bytes of an array/string value). */
const buf: LibFunction = {
  name: 'buf',
  type(call, tx) {
    if (!argCount(call, tx, 1, 2)) return noneType;
    const t = tx.typeOf(call.args[0]!);
    if (t.kind === 'str' || t.kind === 'rich') return bufferType(call.args[1] ? Math.min(Number(tx.constInt(call.args[1])), t.size) : t.size);
    if (!isIntegral(t) || !call.args[1]) return noneType;
    if (!isConstant(call.args[1])) {
      tx.typeOf(call.args[1]);
      return RUNTIME_LENGTH_BUFFER;
    }
    const n = Number(tx.constInt(call.args[1]));
    return n < 1 || n > MAX_BUF ? noneType : bufferType(n);
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 2)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (v.blob && (v.type.kind === 'str' || v.type.kind === 'rich')) {
      const have = v.type.size;
      const n = call.args[1] ? Math.min(Number(cx.constInt(call.args[1])), have) : have;
      return { type: bufferType(n), blob: resized(v.blob, have, n) };
    }
    if (!isIntegral(v.type)) {
      cx.diags.error('type-mismatch', `buf() needs a pointer or an array, got ${typeToString(v.type)}`, call.args[0]!.span);
      return cx.fail();
    }
    if (!call.args[1]) {
      cx.diags.error('wrong-argument-count', 'buf() of a pointer needs a length: buf(ptr, n)', call.span);
      return cx.fail();
    }
    if (!isConstant(call.args[1])) return runtimeLengthBuf(cx, v, call.args[0]!, call.args[1]);
    const n = Number(cx.constInt(call.args[1]));
    if (n < 1 || n > MAX_BUF) {
      cx.diags.error('invalid-argument', `buf() length must be between 1 and ${MAX_BUF}`, call.args[1].span);
      return cx.fail();
    }
    const helper = addressSpace(v.type) === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
    const addr = cx.intOf(v, call.args[0]!);
    return {
      type: bufferType(n),
      blob: { op: 'callFill', size: n, helper, args: [{ kind: 'dst' }, { kind: 'int', value: c64(n) }, { kind: 'int', value: addr }] },
    };
  },
};

const bufferType = (n: number): Type => ({ kind: 'rich', of: 'buffer', size: n });

/** buf(ptr, $len)'s value: the length, then the bytes. */
const RUNTIME_LENGTH_BUFFER: Type = { kind: 'rich', of: 'buffer', size: 4 + 2 * MAX_BUF, arg: 'len' };

/** An expression constInt folds (a literal, a positional, sizeof, arithmetic on them). */
function isConstant(e: ast.Expr): boolean {
  switch (e.kind) {
    case 'IntLiteral': case 'Positional': case 'Sizeof': case 'Offsetof':
      return true;
    case 'Unary':
      return isConstant(e.operand);
    case 'Binary':
      return isConstant(e.left) && isConstant(e.right);
    case 'Cast':
      return isConstant(e.expr);
    default:
      return false;
  }
}

/**
 * buf(ptr, $len) (undump.bt's `buf($skb.data, $skb.len)`): up to MAX_BUF bytes, the length clamped
 * so the verifier sees a bounded read, stored before the bytes (bpftrace's buffer is length-prefixed too).
 */
function runtimeLengthBuf(cx: LowerContext, v: LibValue, ptrExpr: ast.Expr, lenExpr: ast.Expr): LibValue {
  // Clamped, then masked: the mask changes nothing but is a bound the verifier always sees,
  // whatever LLVM makes of the clamp (the read area is twice the cap so the mask's bound fits).
  const len = cx.intOf(cx.value(lenExpr), lenExpr);
  const cap = c64(MAX_BUF);
  const min: IrExpr = { op: 'ternary', cond: { op: 'binary', operator: '>', left: len, right: cap, signed: false }, then: cap, else: len };
  const clamped: IrExpr = { op: 'binary', operator: '&', left: min, right: c64(2 * MAX_BUF - 1), signed: false };
  const temp = cx.temp();
  const n: IrExpr = { op: 'var', id: temp };
  const helper = addressSpace(v.type) === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
  const addr = cx.intOf(v, ptrExpr);
  return {
    type: RUNTIME_LENGTH_BUFFER,
    blob: {
      op: 'seqBlob',
      stmts: [{ op: 'setVar', id: temp, value: clamped }],
      value: {
        op: 'record', size: 4 + 2 * MAX_BUF, fields: [
          { offset: 0, blob: { op: 'int', value: n, size: 4 } },
          { offset: 4, blob: { op: 'callFill', size: 2 * MAX_BUF, helper, args: [{ kind: 'dst' }, { kind: 'int', value: n }, { kind: 'int', value: addr }] } },
        ],
      },
    },
  };
}

const AF_INET = 2n;
const AF_INET6 = 10n;

/** ntop([af,] addr): an `inet` value {u64 family; u8 addr[16]} printed as text by user space. */
const INET: Type = { kind: 'rich', of: 'inet', size: 24 };

/** Whether ntop() takes an address of this type: char[4]/char[16] strings, 4- or 16-byte arrays, integers. */
function ntopAddress(t: Type): boolean {
  return (t.kind === 'str' && (t.size === 4 || t.size === 16)) || isByteArray(t) || isIntegral(t);
}

const ntop: LibFunction = {
  name: 'ntop',
  type(call, tx) {
    if (!argCount(call, tx, 1, 2)) return noneType;
    const t = tx.typeOf(call.args[call.args.length - 1]!);
    if (call.args.length === 2) tx.typeOf(call.args[0]!);
    return ntopAddress(t) ? INET : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 2)) return cx.fail();
    const addrExpr = call.args[call.args.length - 1]!;
    const v = cx.value(addrExpr);
    let family: IrExpr | undefined = call.args.length === 2 ? cx.intOf(cx.value(call.args[0]!), call.args[0]!) : undefined;
    let addr: IrBlob;
    if (v.blob && v.type.kind === 'str' && (v.type.size === 4 || v.type.size === 16)) {
      family ??= c64(v.type.size === 4 ? AF_INET : AF_INET6);
      addr = v.blob;
    } else if (v.blob && isByteArray(v.type)) {
      family ??= c64(v.type.kind === 'tuple' && v.type.elems.length === 4 ? AF_INET : AF_INET6);
      addr = v.blob;
    } else if (isIntegral(v.type) && v.int) {
      family ??= c64(AF_INET);
      addr = { op: 'int', value: v.int, size: 4 };
    } else {
      if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `ntop() needs an integer or a char[4]/char[16] address, got ${typeToString(v.type)}`, addrExpr.span);
      return cx.fail();
    }
    return {
      type: INET,
      blob: { op: 'record', size: 24, fields: [{ offset: 0, blob: { op: 'int', value: family, size: 8 } }, { offset: 8, blob: addr }] },
    };
  },
};

/** macaddr(char[6] or pointer): six bytes printed as `AA:BB:CC:DD:EE:FF`. */
const MACADDR: Type = { kind: 'rich', of: 'macaddr', size: 6 };

const macaddr: LibFunction = {
  name: 'macaddr',
  type(call, tx) {
    if (!argCount(call, tx, 1, 1)) return noneType;
    const t = tx.typeOf(call.args[0]!);
    return (t.kind === 'str' && t.size >= 6) || t.kind === 'ptr' ? MACADDR : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (v.blob && v.type.kind === 'str' && v.type.size >= 6) {
      return { type: MACADDR, blob: resized(v.blob, v.type.size, 6) };
    }
    if (isIntegral(v.type) && v.int && v.type.kind === 'ptr') {
      const helper = v.type.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
      return { type: MACADDR, blob: { op: 'callFill', size: 6, helper, args: [{ kind: 'dst' }, { kind: 'int', value: c64(6) }, { kind: 'int', value: v.int }] } };
    }
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `macaddr() needs a char[6] array or a pointer, got ${typeToString(v.type)}`, call.args[0]!.span);
    return cx.fail();
  },
};

/** strftime(fmt, nsecs): a timestamp (boot-clock ns) formatted by user space when printed. */
const timestampType = (fmt: string): Type => ({ kind: 'rich', of: 'timestamp', size: 8, arg: fmt });

const strftime: LibFunction = {
  name: 'strftime',
  type(call, tx) {
    if (!argCount(call, tx, 2, 2)) return noneType;
    const fmt = tx.constString(call.args[0]!);
    if (fmt === undefined) return noneType;
    tx.typeOf(call.args[1]!);
    return timestampType(fmt);
  },
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const fmt = cx.constString(call.args[0]!, 'a string literal format');
    if (fmt === undefined) return cx.fail();
    const v = cx.value(call.args[1]!);
    const ns = cx.intOf(v, call.args[1]!);
    return { type: timestampType(fmt), blob: { op: 'int', value: ns, size: 8 } };
  },
};


/** The space a pointer value reads from (syscall tracepoint arguments and uprobe arguments are user memory). */
function pointerSpace(t: Type, cx: LowerContext): 'user' | 'kernel' {
  if (t.kind === 'ptr') return t.space;
  return cx.probe.provider.startsWith('u') || cx.probe.name.startsWith('tracepoint:syscalls:') ? 'user' : 'kernel';
}

/**
 * strlen(string | char[] | char *): bpf_probe_read_*_str copies up to the NUL and returns the
 * length including it (bpftrace's __bpf_strnlen); pointers read at most the default string length.
 */
const strlen: LibFunction = {
  name: 'strlen',
  type(call, tx) {
    if (!argCount(call, tx, 1, 1)) return noneType;
    const t = tx.typeOf(call.args[0]!);
    return t.kind === 'str' || isIntegral(t) ? u64 : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    let r: IrExpr;
    if (v.blob && v.type.kind === 'str') {
      const size = v.type.size;
      r = { op: 'call', helper: Helper.probe_read_kernel_str, args: [{ kind: 'blob', blob: { op: 'zero', size: size + 1 } }, { kind: 'int', value: c64(size + 1) }, { kind: 'blob', blob: { op: 'record', size: size + 1, fields: [{ offset: 0, blob: v.blob }] } }] };
    } else if (isIntegral(v.type) && v.int) {
      const helper = pointerSpace(v.type, cx) === 'user' ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
      r = { op: 'call', helper, args: [{ kind: 'blob', blob: { op: 'zero', size: DEFAULT_STRLEN } }, { kind: 'int', value: c64(DEFAULT_STRLEN) }, { kind: 'int', value: v.int }] };
    } else {
      if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `strlen() needs a string, a char array or a pointer, got ${typeToString(v.type)}`, call.args[0]!.span);
      return cx.fail();
    }
    const t = cx.temp();
    const T: IrExpr = { op: 'var', id: t };
    const len: IrExpr = { op: 'ternary', cond: { op: 'binary', operator: '>', left: T, right: c64(0), signed: true }, then: { op: 'binary', operator: '-', left: T, right: c64(1), signed: true }, else: c64(0) };
    return { type: u64, int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: r }], value: len } };
  },
};

/**
 * str_concat(a, b): a new string of capacity |a| + |b| (bpftrace's stdlib macro uses 1024). The
 * second string is copied right after the first one's last character with bpf_probe_read_kernel_str
 * at a variable offset into a scratch blob, which the verifier bounds by masking the offset.
 */
const strConcat: LibFunction = {
  name: 'str_concat',
  type(call, tx) {
    if (!argCount(call, tx, 2, 2)) return noneType;
    const a = typeStringArg(tx, call.args[0]!, 'str_concat');
    const b = typeStringArg(tx, call.args[1]!, 'str_concat');
    return a !== undefined && b !== undefined ? { kind: 'str', size: a + b - 1 } : noneType;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const a = stringArg(cx, call.args[0]!, 'str_concat');
    const b = stringArg(cx, call.args[1]!, 'str_concat');
    if (!a || !b) return cx.fail();
    // Strings whose characters are all known now concatenate at compile time.
    if (call.args[0]!.kind === 'StringLiteral' && call.args[1]!.kind === 'StringLiteral') {
      const s = call.args[0]!.value + call.args[1]!.value;
      return { type: { kind: 'str', size: a.size + b.size - 1 }, blob: { op: 'string', value: s, size: a.size + b.size - 1 } };
    }
    const size = a.size + b.size - 1;
    // At least 16: with a mask below the slot's 8-byte alignment LLVM turns `base + off` into
    // `base | off`, which the verifier refuses on a pointer.
    let p2 = 16;
    while (p2 < a.size + 1) p2 *= 2;
    const scratch = p2 + b.size;
    const v = cx.tempBlob(scratch);
    const V: IrBlob = { op: 'varBlob', id: v, size: scratch };
    const la = cx.temp();
    const LA: IrExpr = { op: 'var', id: la };
    const r: IrExpr = { op: 'call', helper: Helper.probe_read_kernel_str, args: [{ kind: 'blob', blob: { op: 'zero', size: a.size + 1 } }, { kind: 'int', value: c64(a.size + 1) }, { kind: 'blob', blob: V }] };
    const copyB: IrExpr = { op: 'call', helper: Helper.probe_read_kernel_str, args: [{ kind: 'blobAt', blob: V, offset: LA }, { kind: 'int', value: c64(b.size) }, { kind: 'blob', blob: b.blob }] };
    return {
      type: { kind: 'str', size },
      blob: {
        op: 'seqBlob',
        stmts: [
          { op: 'setVarBlob', id: v, value: { op: 'record', size: scratch, fields: [{ offset: 0, blob: a.blob }] } },
          // The length of a (bounded for the verifier: it is below p2).
          { op: 'setVar', id: la, value: { op: 'binary', operator: '&', left: { op: 'binary', operator: '-', left: r, right: c64(1), signed: false }, right: c64(p2 - 1), signed: false } },
          { op: 'if', cond: copyB, then: [], else: [] },
        ],
        value: { op: 'slice', blob: V, offset: 0, size },
      },
    };
  },
};

/** bswap's result: unsigned, of its argument's width. */
const bswapType = (t: Type): Type & { kind: 'int' } => ({ kind: 'int', bits: t.kind === 'int' ? t.bits : 64, signed: false });

/** bswap(n): the bytes of n reversed, an unsigned integer of n's width (8-bit values unchanged). */
const bswap: LibFunction = {
  name: 'bswap',
  type: (call, tx) => (argCount(call, tx, 1, 1) ? bswapType(tx.typeOf(call.args[0]!)) : noneType),
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    const x = cx.intOf(v, call.args[0]!);
    const type = bswapType(v.type);
    const bits = type.bits;
    const n = bits / 8;
    if (n === 1) return { type, int: { op: 'cast', operand: x, bits: 8, signed: false } };
    const t = cx.temp();
    const X: IrExpr = { op: 'var', id: t };
    let out: IrExpr | undefined;
    for (let k = 0; k < n; k++) {
      const byte: IrExpr = { op: 'binary', operator: '&', left: { op: 'binary', operator: '>>', left: X, right: c64(8 * k), signed: false }, right: c64(0xff), signed: false };
      const moved: IrExpr = { op: 'binary', operator: '<<', left: byte, right: c64(8 * (n - 1 - k)), signed: false };
      out = out ? { op: 'binary', operator: '|', left: out, right: moved, signed: false } : moved;
    }
    return { type, int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: x }], value: out! } };
  },
};

/** pton's address bytes; undefined after an error. */
function ptonBytes(call: ast.Call, cx: ArgContext): Buffer | undefined {
  if (!argCount(call, cx, 1, 1)) return undefined;
  const text = cx.constString(call.args[0]!, 'a string literal address');
  if (text === undefined) return undefined;
  const family = isIP(text);
  if (family === 0) {
    cx.diags.error('invalid-argument', `pton: invalid IP address ${text}`, call.args[0]!.span);
    return undefined;
  }
  return family === 4 ? Buffer.from(text.split('.').map(Number)) : ipv6Bytes(text);
}

/** uint8[n]. */
function byteArrayType(n: number): Type {
  const u8: Type = { kind: 'int', bits: 8, signed: false };
  return { kind: 'tuple', array: true, elems: Array.from({ length: n }, () => u8), offsets: Array.from({ length: n }, (_, i) => i), size: n };
}

/**
 * pton("1.2.3.4" | "::1"): the address's bytes in network order, uint8[4] or uint8[16] (compile
 * time), so `(uint32)pton("127.0.0.1")` casts it to an integer (bpftrace stdlib.md pton).
 */
const pton: LibFunction = {
  name: 'pton',
  type(call, tx) {
    const bytes = ptonBytes(call, tx);
    return bytes ? byteArrayType(bytes.length) : noneType;
  },
  expr(call, cx) {
    const bytes = ptonBytes(call, cx);
    if (!bytes) return cx.fail();
    const fields: { offset: number; blob: IrBlob }[] = [];
    for (let off = 0; off < bytes.length; off += 4) fields.push({ offset: off, blob: { op: 'int', value: c64(bytes.readUInt32LE(off)), size: 4 } });
    return { type: byteArrayType(bytes.length), blob: { op: 'record', size: bytes.length, fields } };
  },
};

/** A 4- or 16-byte array of 8-bit integers (uint8[4], int8[16], ...): an address for ntop(). */
function isByteArray(t: Type): boolean {
  return t.kind === 'tuple' && t.array === true && (t.elems.length === 4 || t.elems.length === 16) && t.elems.every((e) => e.kind === 'int' && e.bits === 8);
}

function ipv6Bytes(text: string): Buffer {
  let s = text;
  const out = Buffer.alloc(16);
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) s = s.slice(0, v4.index) + ((Number(v4[1]) << 8) | Number(v4[2])).toString(16) + ':' + ((Number(v4[3]) << 8) | Number(v4[4])).toString(16);
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export const STRING_FUNCTIONS: readonly LibFunction[] = [strncmp, strcontains, buf, ntop, macaddr, strftime, strlen, strConcat, bswap, pton];
export type { LibValue };
