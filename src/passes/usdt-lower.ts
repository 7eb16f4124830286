import type { IrExpr } from '../ir/ir.js';
import type { UsdtArgSpec } from '../providers/provider.js';
import type { Type } from '../types/types.js';

/**
 * A USDT argument as IR: register operands read their `struct pt_regs` slot, constants are
 * constants, memory operands read `size` bytes of user memory at base + disp (+ index * scale).
 * The value has the operand's size and signedness.
 */
export function lowerUsdtArg(spec: UsdtArgSpec): { type: Type; int: IrExpr } {
  const bits = (spec.size * 8) as 8 | 16 | 32 | 64;
  const type: Type = { kind: 'int', bits, signed: spec.signed };
  const size = spec.size as 1 | 2 | 4 | 8;
  switch (spec.kind) {
    case 'const':
      return { type, int: { op: 'cast', operand: { op: 'const', value: BigInt(spec.value) }, bits, signed: spec.signed } };
    case 'reg':
      return { type, int: { op: 'ctxLoad', offset: spec.regOffset, size, signed: spec.signed } };
    case 'mem': {
      let addr: IrExpr = { op: 'const', value: BigInt(spec.disp) };
      if (spec.regOffset !== undefined) addr = { op: 'binary', operator: '+', left: { op: 'ctxLoad', offset: spec.regOffset, size: 8, signed: false }, right: addr, signed: false };
      if (spec.indexRegOffset !== undefined) {
        const scaled: IrExpr = { op: 'binary', operator: '*', left: { op: 'ctxLoad', offset: spec.indexRegOffset, size: 8, signed: false }, right: { op: 'const', value: BigInt(spec.scale ?? 1) }, signed: false };
        addr = { op: 'binary', operator: '+', left: addr, right: scaled, signed: false };
      }
      return { type, int: { op: 'readInt', addr, size, signed: spec.signed, space: 'user' } };
    }
  }
}
