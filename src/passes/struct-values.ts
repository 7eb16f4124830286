import { cSizeOf, cTypeName, type CType } from '../kernel/btf.js';
import type { Type } from '../types/types.js';
import { valueTypeOf } from './lower-types.js';

/**
 * C structs, unions and arrays as values (bpftrace: `$s = *$ptr`, `print(*$ptr)`, `@m = *$p`): the
 * object's bytes are copied into a blob whose language type is a tuple with the C layout (explicit
 * offsets), field names (so it prints `{ .a = 1, .b = x }`) and the C name. Pointers inside keep
 * only their type name (types cross to the runtime as JSON).
 */

/** Why a C object cannot be a value, or its language type. */
export function cValueType(t: CType, space: 'user' | 'kernel'): Type | string {
  switch (t.kind) {
    case 'record':
      return recordType(t, space);
    case 'array': {
      if (t.elem.kind === 'int' && t.elem.isChar) return { kind: 'str', size: t.count };
      const elem = cValueType(t.elem, space);
      if (typeof elem === 'string') return elem;
      const size = cSizeOf(t.elem);
      return {
        kind: 'tuple', array: true, elems: Array.from({ length: t.count }, () => elem),
        offsets: Array.from({ length: t.count }, (_, i) => i * size), size: cSizeOf(t),
      };
    }
    case 'ptr':
      return { kind: 'ptr', to: cTypeName(t.target()), space };
    default: {
      const v = valueTypeOf(t, space);
      return v ?? `${cTypeName(t)} has no value`;
    }
  }
}

function recordType(t: CType & { kind: 'record' }, space: 'user' | 'kernel'): Type | string {
  const names: string[] = [];
  const elems: Type[] = [];
  const offsets: number[] = [];
  const add = (rec: CType & { kind: 'record' }, base: number): string | undefined => {
    for (const m of rec.members()) {
      if (m.bitSize > 0 || m.bitOffset % 8 !== 0) return `${cTypeName(t)} has bitfields (${m.name}), which cannot be copied as a value yet`;
      const off = base + m.bitOffset / 8;
      // Anonymous struct/union members: their fields belong to the enclosing struct (C11).
      if (m.name === '' && m.type.kind === 'record') {
        const err = add(m.type, off);
        if (err) return err;
        continue;
      }
      const v = cValueType(m.type, space);
      if (typeof v === 'string') return v;
      names.push(m.name);
      elems.push(v);
      offsets.push(off);
    }
    return undefined;
  };
  const err = add(t, 0);
  if (err) return err;
  return { kind: 'tuple', elems, names, offsets, size: t.size, cname: cTypeName(t) };
}
