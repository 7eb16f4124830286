/** str(p[, n]): the NUL-terminated string at a pointer, as a string value (bpftrace's str). */
import type { IrBlob } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { isIntegral, typeToString } from '../types/types.js';
import type { LibFunction } from './library.js';
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

const str: LibFunction = {
  name: 'str',
  expr(call, cx) {
    if (call.args.length < 1 || call.args.length > 2) {
      cx.diags.error('wrong-argument-count', 'str() takes 1 or 2 arguments', call.span);
      return cx.fail();
    }
    const arg = cx.value(call.args[0]!);
    const { size, read } = strSizes(cx.maxStrlen, call.args[1] ? Number(cx.constInt(call.args[1])) : undefined);
    if (arg.type.kind === 'str') return arg;
    if (arg.type.kind === 'none') return cx.fail(); // already reported
    if (!isIntegral(arg.type)) {
      cx.diags.error('type-mismatch', `str() needs a pointer, got ${typeToString(arg.type)}`, call.args[0]!.span);
      return cx.fail();
    }
    const space = arg.type.kind === 'ptr' ? arg.type.space : defaultAddressSpace(cx.probe);
    const blob: IrBlob = { op: 'readStr', addr: arg.int!, size: read, space, err: cx.helperErr(`probe_read_${space}_str`, call.span, true) };
    if (read <= size) return { type: { kind: 'str', size }, blob: resizeStr(blob, read, size) };
    // One byte more than the value keeps: a value without a NUL was truncated (str-size.ts).
    const trailer = cx.strTruncTrailer ?? '..';
    return { type: { kind: 'str', size, ...(trailer ? { truncTrailer: trailer } : {}) }, blob: { op: 'slice', blob, offset: 0, size } };
  },
};

export const STR_FUNCTIONS: readonly LibFunction[] = [str];
