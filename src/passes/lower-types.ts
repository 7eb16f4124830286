import type * as ast from '../ast/nodes.js';
import { cAlignOf, cSizeOf, cTypeName, type Btf, type CMember, type CType } from '../kernel/btf.js';
import { alignUp, type Type } from '../types/types.js';
import { ScriptEnums } from './enums.js';

/**
 * Names in type position (casts, `sizeof`, `offsetof`, `let $x: T`, struct fields) resolved to C
 * types: the language's own integer names, C's, then the script's struct definitions, then the
 * kernel's BTF (typedefs such as `pid_t` and `u64` included).
 */
export class TypeResolver {
  private readonly scriptTypes = new Map<string, CType>();

  constructor(
    structs: readonly ast.StructDef[],
    private readonly btf: () => Btf | undefined,
    /** The script's enums (src/passes/enums.ts): `enum Foo` names a type, its enumerators are constants. */
    readonly enums: ScriptEnums = new ScriptEnums(),
  ) {
    for (const def of structs) this.define(def);
  }

  private define(def: ast.StructDef): void {
    this.scriptTypes.set(`${def.keyword} ${def.name}`, this.record(def));
  }

  /**
   * A script record's C layout, computed on first use (fields may name records defined later):
   * C's rules (each member at its alignment, the size rounded up to the largest), `packed` puts
   * members at consecutive offsets, `aligned(N)` raises the record's alignment.
   */
  private record(def: ast.StructDef): CType {
    let members: CMember[] | undefined;
    let size = 0;
    const layout = (): CMember[] => {
      if (members) return members;
      members = [];
      let offset = 0;
      let maxAlign = def.aligned ?? 1;
      for (const f of def.fields) {
        let type = f.inline ? this.record(f.inline) : (this.resolve(f.type) ?? INT64);
        for (let i = 0; i < (f.inline ? f.type.pointerDepth : 0); i++) {
          const target: CType = type;
          type = { kind: 'ptr', target: () => target };
        }
        for (const n of [...f.arrayDims].reverse()) type = { kind: 'array', elem: type, count: n };
        const align = def.packed ? 1 : cAlignOf(type);
        maxAlign = Math.max(maxAlign, align);
        const at = def.keyword === 'union' ? 0 : alignUp(offset, align);
        members.push({ name: f.name, type, bitOffset: at * 8, bitSize: 0 });
        offset = def.keyword === 'union' ? Math.max(offset, cSizeOf(type)) : at + cSizeOf(type);
      }
      size = alignUp(offset, maxAlign);
      align = maxAlign;
      return members;
    };
    let align = 1;
    const rec = {
      kind: 'record' as const, union: def.keyword === 'union', name: def.name,
      get size() {
        layout();
        return size;
      },
      members: layout,
    };
    if (!def.packed && def.aligned === undefined) return rec;
    return Object.defineProperty(rec, 'align', { get: () => (layout(), align), enumerable: true });
  }

  /** A base type name (`uint8`, `unsigned long`, `struct task_struct`, `pid_t`). */
  resolveName(name: string): CType | undefined {
    const norm = name.replace(/\s+/g, ' ').trim();
    const builtin = BUILTIN_INTS[norm];
    if (builtin) return builtin;
    if (norm === 'void') return { kind: 'void' };
    return this.scriptTypes.get(norm) ?? this.enums.type(norm) ?? this.btf()?.lookup(norm);
  }

  resolve(te: ast.TypeExpr): CType | undefined {
    // typeof(type) in a struct field; typeof(expr) needs the lowering's types (lower.ts).
    if (te.of) return te.of.kind === 'TypeExpr' ? this.resolve(te.of) : undefined;
    let t = this.resolveName(te.name);
    if (!t) return undefined;
    for (let i = 0; i < te.pointerDepth; i++) {
      const target: CType = t;
      t = { kind: 'ptr', target: () => target };
    }
    if (te.arraySize !== undefined) t = { kind: 'array', elem: t, count: te.arraySize };
    return t;
  }

  /** Struct names known to the script or the kernel, for hints. */
  knownStructNames(): string[] {
    return [...this.scriptTypes.keys(), ...(this.btf()?.namesWithPrefix('struct ') ?? [])];
  }
}

function int(name: string, size: number, signed: boolean, extra: Partial<{ isBool: boolean; isChar: boolean }> = {}): CType {
  return { kind: 'int', name, size, signed, isBool: extra.isBool ?? false, isChar: extra.isChar ?? false };
}

const INT64 = int('int64', 8, true);

const BUILTIN_INTS: Record<string, CType> = (() => {
  const m: Record<string, CType> = {};
  for (const bits of [8, 16, 32, 64]) {
    m[`int${bits}`] = int(`int${bits}`, bits / 8, true);
    m[`uint${bits}`] = int(`uint${bits}`, bits / 8, false);
    m[`int${bits}_t`] = int(`int${bits}`, bits / 8, true);
    m[`uint${bits}_t`] = int(`uint${bits}`, bits / 8, false);
    m[`u${bits}`] = int(`uint${bits}`, bits / 8, false);
    m[`s${bits}`] = int(`int${bits}`, bits / 8, true);
    m[`__u${bits}`] = int(`uint${bits}`, bits / 8, false);
    m[`__s${bits}`] = int(`int${bits}`, bits / 8, true);
  }
  Object.assign(m, {
    bool: int('bool', 1, false, { isBool: true }), _Bool: int('bool', 1, false, { isBool: true }),
    char: int('char', 1, true, { isChar: true }), 'signed char': int('int8', 1, true), 'unsigned char': int('uint8', 1, false),
    short: int('int16', 2, true), 'short int': int('int16', 2, true), 'unsigned short': int('uint16', 2, false), 'unsigned short int': int('uint16', 2, false),
    int: int('int32', 4, true), signed: int('int32', 4, true), 'signed int': int('int32', 4, true), unsigned: int('uint32', 4, false), 'unsigned int': int('uint32', 4, false),
    long: int('int64', 8, true), 'long int': int('int64', 8, true), 'unsigned long': int('uint64', 8, false), 'unsigned long int': int('uint64', 8, false),
    'long long': int('int64', 8, true), 'long long int': int('int64', 8, true), 'unsigned long long': int('uint64', 8, false), 'unsigned long long int': int('uint64', 8, false),
    size_t: int('uint64', 8, false), ssize_t: int('int64', 8, true), pid_t: int('int32', 4, true), uid_t: int('uint32', 4, false), gid_t: int('uint32', 4, false),
  });
  return m;
})();

/**
 * The language type of a value read from memory of C type `t`: integers and enums as integers,
 * pointers keep their C type (field access goes through them), char arrays become strings.
 * Records and other arrays have no scalar value: undefined.
 */
export function valueTypeOf(t: CType, space: 'user' | 'kernel'): Type | undefined {
  switch (t.kind) {
    case 'int':
      if (t.isBool) return { kind: 'bool' };
      if (t.size !== 1 && t.size !== 2 && t.size !== 4 && t.size !== 8) return undefined;
      return { kind: 'int', bits: (t.size * 8) as 8 | 16 | 32 | 64, signed: t.signed };
    case 'enum': {
      if (t.size !== 1 && t.size !== 2 && t.size !== 4 && t.size !== 8) return undefined;
      const bits = (t.size * 8) as 8 | 16 | 32 | 64;
      return t.names ? { kind: 'int', bits, signed: t.signed, enum: { name: t.name, names: t.names() } } : { kind: 'int', bits, signed: t.signed };
    }
    case 'ptr':
      return ptrType(t, space);
    case 'array':
      if (t.elem.kind === 'int' && t.elem.isChar) return { kind: 'str', size: t.count };
      return undefined;
    default:
      return undefined;
  }
}

export function ptrType(t: CType & { kind: 'ptr' }, space: 'user' | 'kernel'): Type {
  const to = cTypeName(t.target());
  return { kind: 'ptr', to, space, ctype: t };
}

/** The C type a pointer value points to, from its `ctype` or by looking its name up. */
export function pointee(t: Type, types: TypeResolver): CType | undefined {
  if (t.kind !== 'ptr') return undefined;
  const ct = t.ctype;
  if (ct && ct.kind === 'ptr') return ct.target();
  return types.resolveName(t.to.replace(/\b(const|volatile)\b/g, ' '));
}
