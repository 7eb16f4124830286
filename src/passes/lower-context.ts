import type { ContextField } from '../contract/probe.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import type { Type } from '../types/types.js';

/**
 * A probe context field's value (`args.x` of a tracepoint, a register): integers load from the
 * context, arrays copy as bytes, and a tracefs `__data_loc` field is the address of its data,
 * ctx + (u32 & 0xffff), as bpftrace computes it (the high 16 bits, the length, are ignored: str()
 * stops at the NUL).
 */
export function contextFieldValue(f: ContextField): { readonly type: Type; readonly int: IrExpr; readonly blob?: undefined } | { readonly type: Type; readonly blob: IrBlob; readonly int?: undefined } {
  if (f.dataLoc) {
    const loc: IrExpr = { op: 'binary', operator: '&', left: { op: 'ctxLoad', offset: f.offset, size: 4, signed: false }, right: { op: 'const', value: 0xffffn }, signed: false };
    return { type: f.type, int: { op: 'binary', operator: '+', left: { op: 'ctxAddr' }, right: loc, signed: false } };
  }
  if (f.copied && f.type.kind !== 'str') {
    const addr: IrExpr = { op: 'binary', operator: '+', left: { op: 'ctxAddr' }, right: { op: 'const', value: BigInt(f.offset) }, signed: false };
    return { type: f.type, int: { op: 'readInt', addr, size: f.size as 1 | 2 | 4 | 8, signed: f.type.kind === 'int' && f.type.signed, space: 'kernel' } };
  }
  if (f.type.kind === 'str') return { type: f.type, blob: { op: 'ctxBytes', offset: f.offset, size: f.size } };
  const size = f.size as 1 | 2 | 4 | 8;
  const signed = f.type.kind === 'int' && f.type.signed;
  return { type: f.type, int: { op: 'ctxLoad', offset: f.offset, size, signed } };
}
