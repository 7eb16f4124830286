/**
 * Memory places and casts: struct fields, array elements, `*p`, `&x`, tuple elements, sizeof/offsetof, typeof, casts to C types.
 * Free functions over the probe's lowerer (src/passes/lower.ts), which dispatches to them.
 */
import type * as ast from '../ast/nodes.js';
import { defaultAddressSpace } from '../builtins/str.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import type { ContextField } from '../providers/provider.js';
import { aggregateLayout, isIntegral, sizeOf, storageType, tupleLayout, typeToString, u64, type Type } from '../types/types.js';
import { didYouMean } from './suggest.js';
import { LIBRARY_VARS } from '../builtins/functions.js';
import { kernelBtfTypes, cSizeOf, cTypeName as typeName, findMember, memberNames, type CType } from '../kernel/btf.js';
import { pointee, ptrType, valueTypeOf } from './lower-types.js';
import { contextFieldValue } from './lower-context.js';
import { cValueType } from './struct-values.js';
import { helperErr } from './lower-calls.js';
import { lookupVar } from './lower-idents.js';
import { Unsupported, type Place, type TypedValue } from './lower-values.js';
import type { ProbeLowerer } from './lower.js';

/** `(type)x`: integer casts here, pointer/array/named casts in typedCast. */
export function cast(lx: ProbeLowerer, e: ast.Cast): TypedValue {
  if (e.type.of) {
    const type = concreteType(lx, e.type);
    return type ? lx.value({ ...e, type }) : lx.fail();
  }
  const target = castTarget(e.type.name);
  if (!target || e.type.pointerDepth > 0 || e.type.arraySize !== undefined) return typedCast(lx, e);
  const v = lx.value(e.expr);
  if (v.blob && v.type.kind === 'tuple' && v.type.array) {
    // int array → int of the same size: its bytes (bpftrace 0.19).
    if (sizeOf(v.type) !== target.bits / 8) {
      lx.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} (${sizeOf(v.type)} bytes) to ${e.type.name} (${target.bits / 8} bytes)`, e.span);
      return lx.fail();
    }
    return { type: { kind: 'int', bits: target.bits, signed: target.signed }, int: { op: 'blobLoad', blob: v.blob, offset: 0, size: (target.bits / 8) as 1 | 2 | 4 | 8, signed: target.signed } };
  }
  return { type: { kind: 'int', bits: target.bits, signed: target.signed }, int: { op: 'cast', operand: lx.intOf(v, e.expr), bits: target.bits, signed: target.signed } };
}

/** `(a, b)` and `(x = a, y = b)`: elements evaluated in the order written, packed as bpftrace packs them. */
export function aggregateValue(lx: ProbeLowerer, e: ast.Tuple | ast.Record): TypedValue {
  const elems = e.elems.map((x) => lx.value(x));
  // The type pass's tuple type: each element in its storage type (elemStorageType).
  const type = lx.typeOf(e);
  if (type.kind !== 'tuple') return lx.fail();
  const types = type.elems;
  const layout = tupleLayout(types);
  return {
    type,
    blob: { op: 'record', size: layout.size, fields: elems.map((x, i) => ({ offset: layout.fields[i]!.offset, blob: lx.blobOf(x, types[i]!) })) },
  };
}

// ------------------------------------------------------------------ C types: casts, pointers, fields

/** Casts to pointer, array and named types: `(struct task_struct *)curtask`, `(uint8[8])x`, `(pid_t)x`. */
export function typedCast(lx: ProbeLowerer, e: ast.Cast): TypedValue {
  const ct = lx.types.resolve(e.type);
  if (!ct) return unknownType(lx, e.type);
  const v = lx.value(e.expr);
  if (ct.kind === 'array') return arrayCast(lx, e, ct, v);
  if (ct.kind === 'ptr') {
    if (!isIntegral(v.type)) {
      lx.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} to a pointer`, e.span);
      return lx.fail();
    }
    const space = v.type.kind === 'ptr' ? v.type.space : defaultSpace(lx);
    return { type: ptrType(ct, space), int: v.int! };
  }
  const t = valueTypeOf(ct, 'kernel');
  if (t && t.kind === 'int') return { type: t, int: { op: 'cast', operand: lx.intOf(v, e.expr), bits: t.bits, signed: t.signed } };
  if (t && t.kind === 'bool') return { type: t, int: { op: 'binary', operator: '!=', left: lx.intOf(v, e.expr), right: { op: 'const', value: 0n }, signed: false } };
  return lx.unsupported(`cast to ${e.type.name}${e.type.arraySize !== undefined ? `[${e.type.arraySize}]` : ''} is not supported yet`, e.type.span);
}

/**
 * `(int8[8])12345`, `(uint8[])x` (size from the operand), `(int8[])"hello"`: the operand's bytes
 * seen as an array of integers (bpftrace 0.19); integers are 8 bytes unless the size says less.
 */
export function arrayCast(lx: ProbeLowerer, e: ast.Cast, ct: CType & { kind: 'array' }, v: TypedValue): TypedValue {
  if (v.type.kind === 'none') return v;
  const elem = ct.elem;
  if (elem.kind !== 'int' || ![1, 2, 4, 8].includes(elem.size)) {
    return lx.unsupported(`cast to an array of ${typeName(elem)} is not supported: only integer arrays`, e.type.span);
  }
  const from = isIntegral(v.type) ? 8 : v.blob ? sizeOf(v.type) : 0;
  const total = ct.count === 0 ? from : ct.count * elem.size;
  const ok = isIntegral(v.type) ? [1, 2, 4, 8].includes(total) && total <= from : total === from;
  if (!ok || total % elem.size !== 0 || from === 0) {
    lx.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} to ${typeName(elem)}[${ct.count || total / Math.max(1, elem.size)}]`, e.span);
    return lx.fail();
  }
  const count = total / elem.size;
  const type = cValueType({ kind: 'array', elem: { ...elem, isChar: false }, count }, 'kernel');
  if (typeof type === 'string') return lx.unsupported(type, e.type.span);
  const blob: IrBlob = v.blob ?? { op: 'int', value: v.int, size: total as 1 | 2 | 4 | 8 };
  return { type, blob };
}

/**
 * `typeof(type)` / `typeof(expr)` (bpftrace 0.26) as the plain type it stands for; the expression
 * is only typed, never run. A lone identifier that names a type is that type (`typeof(pid_t)`).
 * Undefined (after a diagnostic) when the type has no written form here.
 */
export function concreteType(lx: ProbeLowerer, te: ast.TypeExpr): ast.TypeExpr | undefined {
  // As sizeof's operand: typed, never run; lowered (and its code dropped) only to report its error.
  return writtenTypeOf(
    te,
    (of) => lx.operandType(of) ?? lx.value(of).type,
    (t, at) => lx.diags.error('unsupported', `typeof: a value of type ${typeToString(t)} cannot be used as a type here`, at.span),
  );
}

/**
 * The written type a `typeof(...)` stands for, given its operand's type (`operandType`); the type
 * pass (src/passes/type-memory.ts) and lowering share it. `unsupported` hears of a value type that
 * has no written form (none, an error already reported, is silent).
 */
export function writtenTypeOf(
  te: ast.TypeExpr,
  operandType: (e: ast.Expr) => Type,
  unsupported?: (t: Type, at: ast.TypeExpr) => void,
): ast.TypeExpr | undefined {
  const of = te.of;
  if (!of) return te;
  if (of.kind === 'TypeExpr') return writtenTypeOf(of, operandType, unsupported);
  const plain = (name: string, pointerDepth = 0, arraySize?: number): ast.TypeExpr => ({ kind: 'TypeExpr', span: te.span, name, pointerDepth, arraySize });
  // bpftrace: a bare identifier that is not a builtin names a type there (never a macro).
  if (of.kind === 'Identifier' && !LIBRARY_VARS.has(of.name) && !/^(args|probe|retval|s?arg\d+)$/.test(of.name)) return plain(of.name);
  const t = operandType(of);
  switch (t.kind) {
    case 'int':
      return plain(`${t.signed ? '' : 'u'}int${t.bits}`);
    case 'bool':
      return plain('bool');
    case 'str':
      return plain('string', 0, t.size);
    case 'ptr': {
      const m = /^(.*?)((?:\s*\*)*)$/.exec(t.to)!;
      return plain(m[1]!.trim(), 1 + (m[2]!.match(/\*/g)?.length ?? 0));
    }
    case 'none':
      return undefined;
    default:
      unsupported?.(t, te);
      return undefined;
  }
}

export function unknownType(lx: ProbeLowerer, te: ast.TypeExpr): TypedValue {
  const isStruct = /^(struct|union|enum) /.test(te.name);
  const hint = isStruct ? didYouMean(te.name, lx.types.knownStructNames()) : undefined;
  lx.diags.error('unknown-type', `unknown type: ${te.name}`, te.span, [
    ...(hint ? [`did you mean ${hint}?`] : []),
    ...(isStruct && !kernelBtfTypes() ? ['this kernel has no BTF (/sys/kernel/btf/vmlinux): define the struct in the script'] : []),
  ]);
  return lx.fail();
}

/** Pointers read from a probe's context: user space for uprobes and syscall arguments, kernel otherwise. */
export function defaultSpace(lx: ProbeLowerer): 'user' | 'kernel' {
  return defaultAddressSpace(lx.probe);
}

/** The memory a field access, index or `*p` denotes, when it denotes memory (not a tuple or args field). */
export function place(lx: ProbeLowerer, e: ast.Expr): Place | undefined {
  if (e.kind === 'FieldAccess') {
    const base = placeOrPointee(lx, e.object);
    if (!base) return undefined;
    if (base.ctype.kind !== 'record') {
      lx.diags.error('not-a-struct', `${e.field}: ${typeName(base.ctype)} is not a struct or union`, e.fieldSpan);
      throw new Unsupported('field of non-struct');
    }
    const m = findMember(base.ctype, e.field);
    if (!m) {
      const hint = didYouMean(e.field, memberNames(base.ctype));
      lx.diags.error('unknown-field', `${typeName(base.ctype)} has no field named ${e.field}`, e.fieldSpan, hint ? [`did you mean ${hint}?`] : undefined);
      throw new Unsupported('unknown field');
    }
    const byteOff = Math.floor(m.bitOffset / 8);
    const addr = addOffset(base.addr, byteOff);
    if (m.bitSize > 0) return { addr, ctype: m.type, space: base.space, bitOffset: m.bitOffset % 8, bitSize: m.bitSize };
    return { addr, ctype: m.type, space: base.space };
  }
  if (e.kind === 'Index') {
    const base = placeOrPointee(lx, e.object);
    if (!base) return undefined;
    const elem = base.ctype.kind === 'array' ? base.ctype.elem : base.ctype;
    const size = cSizeOf(elem);
    const idx = lx.value(e.index);
    if (base.ctype.kind === 'array' && e.index.kind === 'IntLiteral' && (e.index.value < 0n || e.index.value >= BigInt(base.ctype.count))) {
      lx.diags.error('index-out-of-range', `the index ${e.index.value} is out of bounds for array of size ${base.ctype.count}`, e.span, [`the array is ${typeName(base.ctype)}`]);
    }
    const offset: IrExpr = { op: 'binary', operator: '*', left: lx.intOf(idx, e.index), right: { op: 'const', value: BigInt(size) }, signed: false };
    return { addr: { op: 'binary', operator: '+', left: base.addr, right: offset, signed: false }, ctype: elem, space: base.space };
  }
  if (e.kind === 'Unary' && e.op === '*') return placeOrPointee(lx, e.operand, true);
  return undefined;
}

/** `e` as memory: a place when it is one, else the object its pointer value points to. */
export function placeOrPointee(lx: ProbeLowerer, e: ast.Expr, intAddress = false): Place | undefined {
  // `***x` asks each level first as a place, then as a value: without remembering the misses
  // that is exponential in the chain's length.
  if (lx.notMemory.has(e)) return undefined;
  const p = place(lx, e);
  if (p) {
    if (p.ctype.kind === 'ptr') {
      const target = p.ctype.target();
      return { addr: { op: 'readInt', addr: p.addr, size: 8, signed: false, space: p.space, err: helperErr(lx, `probe_read_${p.space}`, e.span, true) }, ctype: target, space: p.space };
    }
    return p;
  }
  const v = lx.value(e);
  if (v.type.kind !== 'ptr') {
    lx.notMemory.add(e);
    // `*x` of an integer (`*kaddr("avenrun")`, loads.bt): bpftrace reads a uint64 at that address
    // (type_resolver.cpp: dereferencing an int is uint64), in the probe's default address space.
    const u64 = intAddress && v.type.kind === 'int' ? lx.types.resolveName('uint64') : undefined;
    return u64 ? { addr: lx.intOf(v, e), ctype: u64, space: defaultSpace(lx) } : undefined;
  }
  const target = pointee(v.type, lx.types);
  if (!target) {
    lx.diags.error('unknown-type', `unknown type: ${v.type.to}`, e.span);
    throw new Unsupported('unknown pointee');
  }
  return { addr: v.int!, ctype: target, space: v.type.space };
}

/** Read the value stored at a place. */
export function load(lx: ProbeLowerer, p: Place, e: ast.Expr): TypedValue {
  const t = valueTypeOf(p.ctype, p.space);
  if (!t) {
    // Structs, unions and arrays: a copy of their bytes (src/passes/struct-values.ts).
    const whole = p.bitSize === undefined ? cValueType(p.ctype, p.space) : undefined;
    if (whole && typeof whole !== 'string') return { type: whole, blob: { op: 'readBytes', addr: p.addr, size: sizeOf(whole), space: p.space, err: helperErr(lx, `probe_read_${p.space}`, e.span, true) } };
    return lx.unsupported(typeof whole === 'string' ? whole : `a value of type ${typeName(p.ctype)} cannot be used here yet; access one of its fields`, e.span);
  }
  const err = helperErr(lx, `probe_read_${p.space}`, e.span, true);
  if (t.kind === 'str') return { type: t, blob: { op: 'readBytes', addr: p.addr, size: t.size, space: p.space, err } };
  const size = cSizeOf(p.ctype) as 1 | 2 | 4 | 8;
  const signed = t.kind === 'int' && t.signed;
  if (p.bitSize !== undefined && p.bitOffset !== undefined) {
    const bytes = [1, 2, 4, 8].find((n) => n * 8 >= p.bitOffset! + p.bitSize!) as 1 | 2 | 4 | 8;
    const raw: IrExpr = { op: 'readInt', addr: p.addr, size: bytes, signed: false, space: p.space, err };
    const shifted: IrExpr = { op: 'binary', operator: '>>', left: raw, right: { op: 'const', value: BigInt(p.bitOffset) }, signed: false };
    return { type: t, int: { op: 'binary', operator: '&', left: shifted, right: { op: 'const', value: (1n << BigInt(p.bitSize)) - 1n }, signed: false } };
  }
  return { type: t, int: { op: 'readInt', addr: p.addr, size, signed, space: p.space, err } };
}

/**
 * `&x` (bpftrace 0.26): the address of memory a field access, index or `*p` denotes, or of a
 * scratch variable on the BPF stack (`*(&$a)`, `(int8 *)&$s`).
 */
export function addressOf(lx: ProbeLowerer, e: ast.Unary): TypedValue {
  const op = e.operand;
  if (op.kind === 'Variable') {
    const v = lookupVar(lx, op);
    if (!v) return lx.fail();
    // What a pointer to it is given may fill it in: assigned from here on, as bpftrace.
    lx.unassignedVars.delete(v.id);
    const t = v.type;
    const ct: CType | undefined = t.kind === 'int' ? lx.types.resolveName(`${t.signed ? '' : 'u'}int${t.bits}`)
      : t.kind === 'bool' ? lx.types.resolveName('bool')
      : t.kind === 'str' ? { kind: 'array', elem: lx.types.resolveName('char')!, count: t.size }
      : t.kind === 'tuple' && t.cname ? lx.types.resolveName(t.cname)
      : t.kind === 'ptr' ? (t.ctype?.kind === 'ptr' ? t.ctype : { kind: 'ptr', target: () => lx.types.resolveName(t.to) ?? { kind: 'void' } })
      : undefined;
    if (!ct) return lx.unsupported(`taking the address of a ${typeToString(t)} variable is not supported yet`, e.span);
    return { type: ptrType({ kind: 'ptr', target: () => ct }, 'kernel'), int: { op: 'varAddr', id: v.id } };
  }
  const p = op.kind === 'FieldAccess' || op.kind === 'Index' || (op.kind === 'Unary' && op.op === '*') ? place(lx, op) : undefined;
  if (!p || p.bitSize !== undefined) {
    const v = lx.value(op);
    if (v.type.kind !== 'none') lx.diags.error('type-mismatch', `cannot take the address of ${p ? 'a bitfield' : `a ${typeToString(v.type)} value`}`, e.span);
    return lx.fail();
  }
  const target = p.ctype;
  return { type: ptrType({ kind: 'ptr', target: () => target }, p.space), int: p.addr };
}

export function deref(lx: ProbeLowerer, e: ast.Unary): TypedValue {
  const p = placeOrPointee(lx, e.operand, true);
  if (!p) {
    const v = lx.value(e.operand);
    if (v.type.kind !== 'none') lx.diags.error('type-mismatch', `cannot dereference ${typeToString(v.type)}`, e.span);
    return lx.fail();
  }
  return load(lx, p, e);
}

export function index(lx: ProbeLowerer, e: ast.Index): TypedValue {
  // Tuples: a constant index.
  if (e.object.kind !== 'FieldAccess' && e.object.kind !== 'Index') {
    const obj = lx.value(e.object);
    if (obj.type.kind === 'tuple') return tupleElem(lx, obj, Number(lx.constInt(e.index)), e);
    if (obj.type.kind === 'str') {
      // bpftrace's type checker: a constant index at or past the string's size is an error.
      if (e.index.kind === 'IntLiteral' && e.index.value >= BigInt(obj.type.size)) {
        lx.diags.error('index-out-of-range', `the index ${e.index.value} is out of bounds for array of size ${obj.type.size}`, e.span);
        return lx.fail();
      }
      const idx = lx.intOf(lx.value(e.index), e.index);
      return { type: { kind: 'int', bits: 8, signed: true }, int: strByte(lx, obj, idx) };
    }
    if (obj.type.kind !== 'ptr') {
      if (obj.type.kind !== 'none') lx.diags.error('type-mismatch', `cannot index a value of type ${typeToString(obj.type)}`, e.span);
      return lx.fail();
    }
  }
  const p = place(lx, e);
  if (!p) {
    // An element of an array copied as a value (`$s.arr[1]` with `$s = *$ptr`).
    const obj = lx.value(e.object);
    if (obj.type.kind === 'tuple') return tupleElem(lx, obj, Number(lx.constInt(e.index)), e);
    if (obj.type.kind !== 'none') lx.diags.error('type-mismatch', `cannot index a value of type ${typeToString(obj.type)}`, e.span);
    return lx.fail();
  }
  return load(lx, p, e);
}

/** Byte `idx` of a string (0 past its end). */
export function strByte(lx: ProbeLowerer, obj: TypedValue, idx: IrExpr): IrExpr {
  const size = sizeOf(obj.type);
  let out: IrExpr = { op: 'const', value: 0n };
  for (let i = size - 1; i >= 0; i--) {
    out = { op: 'ternary', cond: { op: 'binary', operator: '==', left: idx, right: { op: 'const', value: BigInt(i) }, signed: false }, then: { op: 'blobLoad', blob: obj.blob!, offset: i, size: 1, signed: true }, else: out };
  }
  return out;
}

export function sizeofExpr(lx: ProbeLowerer, e: ast.Sizeof): TypedValue {
  // sizeof(typeof(x)) is sizeof(x).
  if (e.arg.kind === 'TypeExpr' && e.arg.of) return sizeofExpr(lx, { ...e, arg: e.arg.of });
  if (e.arg.kind === 'TypeExpr') {
    const ct = lx.types.resolve(e.arg);
    if (!ct) return unknownType(lx, e.arg);
    return { type: u64, int: { op: 'const', value: BigInt(cSizeOf(ct)) } };
  }
  const p = e.arg.kind === 'FieldAccess' || e.arg.kind === 'Index' || (e.arg.kind === 'Unary' && e.arg.op === '*') ? tryPlace(lx, e.arg) : undefined;
  if (p) return { type: u64, int: { op: 'const', value: BigInt(cSizeOf(p.ctype)) } };
  // The operand is typed, never run; lowered (and its code dropped) only to report its error.
  const t = lx.operandType(e.arg) ?? lx.value(e.arg).type;
  return { type: u64, int: { op: 'const', value: BigInt(sizeOf(t)) } };
}

export function tryPlace(lx: ProbeLowerer, e: ast.Expr): Place | undefined {
  try {
    return place(lx, e);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

export function offsetofExpr(lx: ProbeLowerer, e: ast.Offsetof): TypedValue {
  if (e.type.of) {
    const type = concreteType(lx, e.type);
    return type ? offsetofExpr(lx, { ...e, type }) : lx.fail();
  }
  const ct = lx.types.resolve(e.type);
  if (!ct) return unknownType(lx, e.type);
  let t: CType = ct;
  let bits = 0;
  for (const name of e.path) {
    const m = findMember(t, name);
    if (!m) {
      const hint = didYouMean(name, memberNames(t));
      lx.diags.error('unknown-field', `${typeName(t)} has no field named ${name}`, e.span, hint ? [`did you mean ${hint}?`] : undefined);
      return lx.fail();
    }
    bits += m.bitOffset;
    t = m.type;
  }
  return { type: u64, int: { op: 'const', value: BigInt(Math.floor(bits / 8)) } };
}

export function field(lx: ProbeLowerer, e: ast.FieldAccess): TypedValue {
  const p = place(lx, e);
  if (p) return load(lx, p, e);
  const obj = lx.value(e.object);
  if (obj.type.kind === 'none') return lx.fail();
  if (obj.type.kind !== 'args') {
    if (obj.type.kind === 'tuple' && /^\d+$/.test(e.field) && !obj.type.names) return tupleElem(lx, obj, Number(e.field), e);
    if (obj.type.kind === 'tuple' && obj.type.names) {
      const i = obj.type.names.indexOf(e.field);
      if (i < 0) {
        const hint = didYouMean(e.field, [...obj.type.names]);
        lx.diags.error('unknown-field', `${typeToString(obj.type)} has no field named ${e.field}`, e.fieldSpan, hint ? [`did you mean ${hint}?`] : undefined);
        return lx.fail();
      }
      return tupleElem(lx, obj, i, e);
    }
    return lx.unsupported(`field access on ${typeToString(obj.type)} is not supported yet`, e.span);
  }
  const f = lx.probe.args?.find((a) => a.name === e.field);
  if (!f) {
    const names = (lx.probe.args ?? []).map((a) => a.name);
    const hint = didYouMean(e.field, names);
    lx.diags.error('unknown-field', `${lx.probe.name} has no field named ${e.field}`, e.fieldSpan, [
      ...(hint ? [`did you mean args.${hint}?`] : []),
      ...(names.length && !hint ? [`its fields are: ${names.join(', ')}`] : []),
    ]);
    return lx.fail();
  }
  return contextField(lx, f);
}

export function tupleElem(lx: ProbeLowerer, obj: TypedValue, index: number, e: ast.Node): TypedValue {
  if (obj.type.kind !== 'tuple' || index >= obj.type.elems.length) {
    lx.diags.error('index-out-of-range', `tuple index ${index} is out of range`, e.span);
    return lx.fail();
  }
  const layout = aggregateLayout(obj.type);
  const f = layout.fields[index]!;
  if (f.type.kind === 'int' || f.type.kind === 'bool' || f.type.kind === 'ptr') {
    const size = sizeOf(f.type) as 1 | 2 | 4 | 8;
    return { type: f.type, int: { op: 'blobLoad', blob: obj.blob!, offset: f.offset, size, signed: f.type.kind === 'int' && f.type.signed } };
  }
  return { type: f.type, blob: { op: 'slice', blob: obj.blob!, offset: f.offset, size: sizeOf(f.type) } };
}

export function contextField(lx: ProbeLowerer, f: ContextField): TypedValue {
  return contextFieldValue(f);
}

// ------------------------------------------------------------------ free helpers

/** A tuple or record element's stored type: integers keep their size, bools stay bools (they print `true`). */
export function elemStorageType(t: Type): Type {
  // bpftrace packs tuples: integers keep their size (struct.cpp CreateTuple), pointers their pointee.
  if (t.kind === 'int') return t;
  return t.kind === 'bool' || t.kind === 'ptr' ? t : storageType(t);
}

export function addOffset(addr: IrExpr, offset: number): IrExpr {
  return offset === 0 ? addr : { op: 'binary', operator: '+', left: addr, right: { op: 'const', value: BigInt(offset) }, signed: false };
}

export function castTarget(name: string): { bits: 8 | 16 | 32 | 64; signed: boolean } | undefined {
  const m = /^(u?)int(8|16|32|64)$/.exec(name);
  if (m) return { bits: Number(m[2]) as 8 | 16 | 32 | 64, signed: m[1] === '' };
  const c: Record<string, { bits: 8 | 16 | 32 | 64; signed: boolean }> = {
    char: { bits: 8, signed: true }, 'unsigned char': { bits: 8, signed: false }, short: { bits: 16, signed: true },
    'unsigned short': { bits: 16, signed: false }, int: { bits: 32, signed: true }, 'unsigned int': { bits: 32, signed: false },
    long: { bits: 64, signed: true }, 'unsigned long': { bits: 64, signed: false }, u8: { bits: 8, signed: false },
    u16: { bits: 16, signed: false }, u32: { bits: 32, signed: false }, u64: { bits: 64, signed: false },
    s8: { bits: 8, signed: true }, s16: { bits: 16, signed: true }, s32: { bits: 32, signed: true }, s64: { bits: 64, signed: true },
  };
  return c[name];
}
