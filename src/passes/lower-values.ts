/** What every part of lowering shares: typed values, places in memory, the abort of a statement, string constants. */
import type { IrBlob, IrExpr } from '../ir/ir.js';
import type { CType } from '../kernel/btf.js';
import { byteLength } from '../contract/index.js';
import type { Type } from '../types/types.js';

/** A typed value: integers (and bools, pointers) as an IR expression, aggregates as a blob. */
export type TypedValue = { readonly type: Type; readonly int: IrExpr; readonly blob?: undefined } | { readonly type: Type; readonly blob: IrBlob; readonly int?: undefined };

/** A C object in memory: where it is, its C type and address space (struct fields, array elements, `*p`). */
export interface Place {
  readonly addr: IrExpr;
  readonly ctype: CType;
  readonly space: 'user' | 'kernel';
  /** Bitfields: bit offset from `addr` and width. */
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

/** Thrown after a diagnostic to abandon the statement being lowered (caught per statement). */
export class Unsupported extends Error {}

export function stringConst(value: string, size?: number): TypedValue {
  const bytes = byteLength(value) + 1;
  const s = Math.max(size ?? bytes, bytes);
  return { type: { kind: 'str', size: s }, blob: { op: 'string', value, size: s } };
}

export { resizeStr } from '../builtins/str.js';
