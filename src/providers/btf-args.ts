import { cTypeName, kernelBtfTypes, type CType } from '../kernel/btf.js';
import type { BtfParam } from '../kernel/btf-funcs.js';
import type { Type } from '../types/types.js';
import type { ContextField } from './provider.js';

/** The language type of a BTF-typed argument slot: integers, enums, bools and kernel pointers. */
export function argType(t: CType): Type | undefined {
  switch (t.kind) {
    case 'int':
    case 'enum':
      if (t.kind === 'int' && t.isBool) return { kind: 'bool' };
      if (t.size !== 1 && t.size !== 2 && t.size !== 4 && t.size !== 8) return undefined;
      return { kind: 'int', bits: (t.size * 8) as 8 | 16 | 32 | 64, signed: t.signed };
    case 'ptr':
      return { kind: 'ptr', to: cTypeName(t.target()), space: 'kernel', ctype: t };
    default:
      return undefined;
  }
}

/**
 * `args.<name>` fields for a BTF-typed context that is an array of u64 slots (tp_btf, fentry/fexit,
 * raw tracepoints): slot i at offset 8*i, loaded whole (the kernel widens each argument to u64).
 * Parameters whose type has no scalar value (structs passed by value) are left out.
 */
export function btfArgFields(params: readonly BtfParam[]): ContextField[] {
  const btf = kernelBtfTypes();
  const out: ContextField[] = [];
  params.forEach((p, i) => {
    const t = btf ? argType(btf.type(p.typeId)) : undefined;
    if (t && p.name) out.push({ name: p.name, offset: 8 * i, size: 8, type: t });
  });
  return out;
}
