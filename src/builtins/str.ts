/** str(p[, n]): the NUL-terminated string at a pointer, as a string value (bpftrace's str). */
import type { IrBlob } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { isIntegral, noneType, typeToString, type Type } from '../types/types.js';
import { argCount, type ArgContext, type LibFunction } from './library.js';
import { strSizes } from './str-size.js';

/** Pointers read from a probe's context: user space for uprobes and syscall arguments, kernel otherwise. */
export function defaultAddressSpace(probe: ConcreteProbe): 'user' | 'kernel' {
  if (probe.provider.startsWith('u')) return 'user';
  // Syscall arguments point into the caller's memory (an address kept in a map loses its pointer type).
  return probe.name.startsWith('tracepoint:syscalls:') ? 'user' : 'kernel';
}

/** A string blob of `from` bytes as `to` bytes: padded with NULs, or truncated keeping a NUL at the end. */
export function resizeStr(blob: IrBlob, from: number, to: number): IrBlob {
  if (from === to) return blob;
  if (from > to) {
    // Truncating a string keeps its NUL: build a record holding the prefix.
    return { op: 'record', size: to, fields: [{ offset: 0, blob: { op: 'record', size: from, fields: [{ offset: 0, blob }] } }] };
  }
  return { op: 'record', size: to, fields: [{ offset: 0, blob }] };
}

/** str()'s result type for an argument of type `arg`: the string itself, or the string read from a pointer (truncated ones marked); undefined after an error. */
function strType(call: ast.Call, cx: ArgContext & { readonly maxStrlen: number; readonly strTruncTrailer?: string }, arg: Type): { type: Type; size: number; read: number } | undefined {
  const { size, read } = strSizes(cx.maxStrlen, call.args[1] ? Number(cx.constInt(call.args[1])) : undefined);
  if (arg.kind === 'str') return { type: arg, size, read };
  if (arg.kind === 'none') return undefined; // already reported
  if (!isIntegral(arg)) {
    cx.diags.error('type-mismatch', `str() needs a pointer, got ${typeToString(arg)}`, call.args[0]!.span);
    return undefined;
  }
  if (read <= size) return { type: { kind: 'str', size }, size, read };
  // One byte more than the value keeps: a value without a NUL was truncated (str-size.ts).
  const trailer = cx.strTruncTrailer ?? '..';
  return { type: { kind: 'str', size, ...(trailer ? { truncTrailer: trailer } : {}) }, size, read };
}

function strArgCount(call: ast.Call, cx: { readonly diags: Diagnostics }): boolean {
  return argCount(call, cx, 1, 2);
}

const str: LibFunction = {
  name: 'str',
  type: (call, tx) => (strArgCount(call, tx) ? strType(call, tx, tx.typeOf(call.args[0]!))?.type ?? noneType : noneType),
  expr(call, cx) {
    if (!strArgCount(call, cx)) return cx.fail();
    const arg = cx.value(call.args[0]!);
    const result = strType(call, cx, arg.type);
    if (!result) return cx.fail();
    if (arg.type.kind === 'str') return arg;
    const { size, read } = result;
    const space = arg.type.kind === 'ptr' ? arg.type.space : defaultAddressSpace(cx.probe);
    const blob: IrBlob = { op: 'readStr', addr: arg.int!, size: read, space, err: cx.helperErr(`probe_read_${space}_str`, call.span, true) };
    return { type: result.type, blob: read <= size ? resizeStr(blob, read, size) : { op: 'slice', blob, offset: 0, size } };
  },
};

export const STR_FUNCTIONS: readonly LibFunction[] = [str];
