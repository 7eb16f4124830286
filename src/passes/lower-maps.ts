/**
 * Map keys and values at each use, converted to the map's resolved layout (src/passes/resolve-types.ts):
 * a use site computes its values with their own types; the blob stored or looked up is laid out as
 * the map's key/value type (integers extended to their size, strings copied into the larger
 * buffer, tuples re-laid element by element).
 */
import type { IrBlob } from '../ir/ir.js';
import type { LibValue } from '../builtins/library.js';
import type * as ast from '../ast/nodes.js';
import { isProbeIdKey, mapStorageType, PROBE_ID_KEY, sizeOf, tupleLayout, typeEquals, u64, type Type } from '../types/types.js';
import { convertBlob } from './var-types.js';

/** Key blob layout of a map: scalar maps use one zero u64; several keys form a tuple. */
export function keyLayoutTypes(keyTypes: readonly Type[]): Type {
  if (keyTypes.length === 0) return u64;
  if (keyTypes.length === 1) return keyTypes[0]!;
  return { kind: 'tuple', elems: keyTypes };
}

/** The type a value has as a map key: integers (and pointers) as 64-bit integers, tuples with their elements so. */
export function keyStorageType(t: Type): Type {
  if (t.kind === 'tuple' && !t.offsets && !t.cname && !t.array) return { ...t, elems: t.elems.map(keyStorageType) };
  // bpftrace 0.26 keeps an integer key's own size (promoted over the map's uses).
  if (t.kind === 'int' && !t.isBool) return t;
  return keepFlex(t, mapStorageType(t));
}

/** A non-negative literal stays sign-flexible when widened, so it takes the sign of the map's other uses (bpftrace). */
function keepFlex(from: Type, to: Type): Type {
  return from.kind === 'int' && from.flex && to.kind === 'int' && !to.isBool ? { ...to, flex: true } : to;
}

/** The type a value has as a map value: integers as 64-bit, pointers keep their pointee (bpftrace prints them as pointers), tuples their packed layout. */
export function valueStorageType(t: Type): Type {
  return t.kind === 'ptr' || t.kind === 'tuple' ? t : keepFlex(t, mapStorageType(t));
}

/** A plain tuple (not a record, C struct or array): `@m[(a, b)]` is the same key as `@m[a, b]`. */
function isPlainTuple(t: Type): t is Type & { kind: 'tuple' } {
  return t.kind === 'tuple' && !t.names && !t.cname && !t.array && !t.offsets && t.elems.length > 1;
}

/** A use's key: the values it gives and their key types, a single plain tuple spread into its elements. */
export interface KeySite {
  readonly values: readonly LibValue[];
  readonly types: readonly Type[];
  /** Set when one tuple value stands for all the keys. */
  readonly tuple?: LibValue;
}

export function keySite(values: readonly LibValue[]): KeySite {
  const only = values.length === 1 ? values[0]! : undefined;
  const types = keyTypesOf(values.map((v) => v.type));
  return only && isPlainTuple(only.type) && only.blob ? { values, types, tuple: only } : { values, types };
}

/** The key types a use with values of `types` gives (a single plain tuple spread into its elements): what the type pass observes. */
export function keyTypesOf(types: readonly Type[]): Type[] {
  const only = types.length === 1 ? types[0]! : undefined;
  return only && isPlainTuple(only) ? only.elems.map(keyStorageType) : types.map(keyStorageType);
}

/**
 * The key types a use with key expressions `keys` gives, `typeOf` typing each: the `probe` builtin
 * as a key part of its own is a probe id (PROBE_ID_KEY), not its 64-byte name (bpftrace's layout).
 * What the type pass observes; lowering builds the matching values with probeKeyValue.
 */
export function keyExprTypes(keys: readonly ast.Expr[], typeOf: (e: ast.Expr) => Type): Type[] {
  const types = keys.map(typeOf);
  if (types.length === 1 && isPlainTuple(types[0]!)) return keyTypesOf(types);
  return keyTypesOf(types.map((t, i) => (isProbeBuiltin(keys[i]!) ? PROBE_ID_KEY : t)));
}

export function isProbeBuiltin(e: ast.Expr): boolean {
  if (e.kind === 'Identifier') return e.name === 'probe' || e.name === '__builtin_probe';
  return e.kind === 'Call' && e.callee === '__builtin_probe' && e.args.length === 0;
}

/**
 * The value of key part `i` of a use of a map whose resolved key types are `resolved`, when the
 * part is the `probe` builtin: its id (from `probe.id`) where the map keys by probe id; where the
 * map also has string keys there, the name as a string of the map's size (a name longer than the
 * map's strings is cut, as any string stored there); undefined for any other part.
 */
export function probeKeyValue(key: ast.Expr, i: number, resolved: readonly Type[] | undefined, probe: { readonly name: string; id(): number }): LibValue | undefined {
  const to = resolved?.[i];
  if (!isProbeBuiltin(key) || !to) return undefined;
  if (isProbeIdKey(to)) return { type: PROBE_ID_KEY, int: { op: 'const', value: BigInt(probe.id()) } };
  if (to.kind !== 'str') return undefined;
  const bytes = Buffer.from(probe.name);
  const name = bytes.length < to.size ? probe.name : bytes.subarray(0, to.size - 1).toString();
  return { type: to, blob: { op: 'string', value: name, size: to.size } };
}

/** The key blob of a use, laid out as the map's resolved key types. */
export function keyBlob(site: KeySite, keyTypes: readonly Type[]): IrBlob {
  if (keyTypes.length === 0) return { op: 'zero', size: 8 };
  if (site.tuple) return blobAs(site.tuple, keyLayoutTypes(keyTypes));
  if (keyTypes.length === 1) return blobAs(site.values[0]!, keyTypes[0]!);
  const layout = tupleLayout(keyTypes);
  return { op: 'record', size: layout.size, fields: site.values.map((v, i) => ({ offset: layout.fields[i]!.offset, blob: blobAs(v, keyTypes[i]!) })) };
}

/** A value as a blob of type `to` (the resolved type it was promoted into). */
export function blobAs(v: LibValue, to: Type): IrBlob {
  if (v.blob) {
    if (typeEquals(v.type, to) && sizeOf(v.type) === sizeOf(to)) return v.blob;
    // A string literal is written padded to the larger size directly.
    if (v.blob.op === 'string' && to.kind === 'str' && to.size >= v.blob.size) return { ...v.blob, size: to.size };
    return convertBlob(v.blob, v.type, to);
  }
  return { op: 'int', value: v.int, size: Math.min(8, Math.max(1, sizeOf(to))) as 1 | 2 | 4 | 8 };
}
