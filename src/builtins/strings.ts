/** String and byte functions: strncmp, strcontains, buf, ntop, macaddr, strftime. */
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import { encodeBytes } from '../common/bytes.js';
import { i64, isIntegral, typeToString, type Type } from '../types/types.js';
import { argCount, c64, type LibFunction, type LibValue, type LowerContext } from './library.js';

const PROBE_READ_USER = 112;
const PROBE_READ_KERNEL = 113;
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
  if (v.type.kind !== 'str' || !v.blob) {
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `${fn}() needs a string, got ${typeToString(v.type)}`, e.span);
    return undefined;
  }
  return { blob: v.blob, size: v.type.size };
}

/** strncmp(a, b, n): 0 when the first n characters are equal (stopping at a common NUL), else 1. */
const strncmp: LibFunction = {
  name: 'strncmp',
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

/** strcontains(haystack, "needle"): 1 when needle occurs in haystack. Needles are string literals. */
const strcontains: LibFunction = {
  name: 'strcontains',
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const hay = stringArg(cx, call.args[0]!, 'strcontains');
    if (!hay) return cx.fail();
    const needle = cx.constString(call.args[1]!, 'a string literal needle');
    if (needle === undefined) return cx.fail();
    const bytes = encodeBytes(needle);
    if (bytes.length === 0) return { type: i64, int: c64(1) };
    const room = hay.size - 1; // the last byte of a string value is its NUL
    if (bytes.length > room) return { type: i64, int: c64(0) };
    // Keep the haystack in a variable so every comparison reads it without rebuilding it.
    const v = cx.tempBlob(hay.size);
    const h: IrBlob = { op: 'varBlob', id: v, size: hay.size };
    let any: IrExpr | undefined;
    for (let i = 0; i + bytes.length <= room; i++) {
      let all: IrExpr | undefined;
      for (let j = 0; j < bytes.length; j++) {
        const eq: IrExpr = { op: 'binary', operator: '==', left: { op: 'blobLoad', blob: h, offset: i + j, size: 1, signed: false }, right: c64(bytes[j]!), signed: false };
        all = all ? { op: 'logical', operator: '&&', left: all, right: eq } : eq;
      }
      any = any ? { op: 'logical', operator: '||', left: any, right: all! } : all!;
    }
    return { type: i64, int: { op: 'seq', stmts: [{ op: 'setVarBlob', id: v, value: hay.blob }], value: any ?? c64(0) } };
  },
};

function addressSpace(t: Type): 'user' | 'kernel' {
  return t.kind === 'ptr' ? t.space : 'kernel';
}

/** buf(data, length): `length` bytes from a pointer (or the bytes of an array/string value). */
const buf: LibFunction = {
  name: 'buf',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 2)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (v.blob && (v.type.kind === 'str' || v.type.kind === 'rich')) {
      const have = v.type.size;
      const n = call.args[1] ? Math.min(Number(cx.constInt(call.args[1])), have) : have;
      return { type: { kind: 'rich', of: 'buffer', size: n }, blob: resized(v.blob, have, n) };
    }
    if (!isIntegral(v.type)) {
      cx.diags.error('type-mismatch', `buf() needs a pointer or an array, got ${typeToString(v.type)}`, call.args[0]!.span);
      return cx.fail();
    }
    if (!call.args[1]) {
      cx.diags.error('wrong-argument-count', 'buf() of a pointer needs a length: buf(ptr, n)', call.span);
      return cx.fail();
    }
    const n = Number(cx.constInt(call.args[1]));
    if (n < 1 || n > MAX_BUF) {
      cx.diags.error('invalid-argument', `buf() length must be between 1 and ${MAX_BUF}`, call.args[1].span);
      return cx.fail();
    }
    const helper = addressSpace(v.type) === 'user' ? PROBE_READ_USER : PROBE_READ_KERNEL;
    const addr = cx.intOf(v, call.args[0]!);
    return {
      type: { kind: 'rich', of: 'buffer', size: n },
      blob: { op: 'callFill', size: n, helper, args: [{ kind: 'dst' }, { kind: 'int', value: c64(n) }, { kind: 'int', value: addr }] },
    };
  },
};

const AF_INET = 2n;
const AF_INET6 = 10n;

/** ntop([af,] addr): an `inet` value {u64 family; u8 addr[16]} printed as text by user space. */
const ntop: LibFunction = {
  name: 'ntop',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 2)) return cx.fail();
    const addrExpr = call.args[call.args.length - 1]!;
    const v = cx.value(addrExpr);
    let family: IrExpr | undefined = call.args.length === 2 ? cx.intOf(cx.value(call.args[0]!), call.args[0]!) : undefined;
    let addr: IrBlob;
    if (v.blob && v.type.kind === 'str' && (v.type.size === 4 || v.type.size === 16)) {
      family ??= c64(v.type.size === 4 ? AF_INET : AF_INET6);
      addr = v.blob;
    } else if (isIntegral(v.type) && v.int) {
      family ??= c64(AF_INET);
      addr = { op: 'int', value: v.int, size: 4 };
    } else {
      if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `ntop() needs an integer or a char[4]/char[16] address, got ${typeToString(v.type)}`, addrExpr.span);
      return cx.fail();
    }
    return {
      type: { kind: 'rich', of: 'inet', size: 24 },
      blob: { op: 'record', size: 24, fields: [{ offset: 0, blob: { op: 'int', value: family, size: 8 } }, { offset: 8, blob: addr }] },
    };
  },
};

/** macaddr(char[6] or pointer): six bytes printed as `AA:BB:CC:DD:EE:FF`. */
const macaddr: LibFunction = {
  name: 'macaddr',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const v = cx.value(call.args[0]!);
    if (v.blob && v.type.kind === 'str' && v.type.size >= 6) {
      return { type: { kind: 'rich', of: 'macaddr', size: 6 }, blob: resized(v.blob, v.type.size, 6) };
    }
    if (isIntegral(v.type) && v.int && v.type.kind === 'ptr') {
      const helper = v.type.space === 'user' ? PROBE_READ_USER : PROBE_READ_KERNEL;
      return { type: { kind: 'rich', of: 'macaddr', size: 6 }, blob: { op: 'callFill', size: 6, helper, args: [{ kind: 'dst' }, { kind: 'int', value: c64(6) }, { kind: 'int', value: v.int }] } };
    }
    if (v.type.kind !== 'none') cx.diags.error('type-mismatch', `macaddr() needs a char[6] array or a pointer, got ${typeToString(v.type)}`, call.args[0]!.span);
    return cx.fail();
  },
};

/** strftime(fmt, nsecs): a timestamp (boot-clock ns) formatted by user space when printed. */
const strftime: LibFunction = {
  name: 'strftime',
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const fmt = cx.constString(call.args[0]!, 'a string literal format');
    if (fmt === undefined) return cx.fail();
    const v = cx.value(call.args[1]!);
    const ns = cx.intOf(v, call.args[1]!);
    return { type: { kind: 'rich', of: 'timestamp', size: 8, arg: fmt }, blob: { op: 'int', value: ns, size: 8 } };
  },
};

export const STRING_FUNCTIONS: readonly LibFunction[] = [strncmp, strcontains, buf, ntop, macaddr, strftime];
export type { LibValue };
