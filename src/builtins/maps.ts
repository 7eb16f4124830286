/** Map functions: has_key, delete (one key, a tuple key, the deprecated `delete(@m[k])`), len. */
import type * as ast from '../ast/nodes.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { MapSpec } from '../passes/program-info.js';
import { boolType, i64, noneType, type Type } from '../types/types.js';
import { argCount, c64, type LibFunction, type LowerContext, type LibValue, type TypeContext } from './library.js';
import { Helper } from '../contract/index.js';


/** What finding the map and its key expressions needs: lowering's and typing's contexts alike. */
interface MapArgContext {
  readonly diags: Diagnostics;
  knownMap(m: ast.MapRef): MapSpec | undefined;
}

/** `(@m, key)`, `(@m, (k1, k2))`, `(@m[k1, k2])`: the map, its spec and its key expressions (none for a scalar map); undefined after an error. */
function mapAndKeyExprs(call: ast.Call, cx: MapArgContext, allowScalar: boolean): { m: ast.MapRef; spec: MapSpec; keyExprs?: readonly ast.Expr[] } | undefined {
  const m = call.args[0];
  if (m?.kind !== 'MapRef') {
    cx.diags.error('invalid-argument', `${call.callee}() takes a map as its first argument, e.g. ${call.callee}(@x, key)`, call.args[0]?.span ?? call.span);
    return undefined;
  }
  const spec = cx.knownMap(m);
  if (!spec) return undefined;
  if (spec.kind === 'tseries') {
    // Its entries are (key, interval) pairs (src/builtins/tseries.ts): use clear() or zero().
    cx.diags.error('not-supported', `${call.callee}() does not support tseries() map ${spec.name}; use clear() or zero()`, m.span);
    return undefined;
  }
  let keyExprs: readonly ast.Expr[];
  if (call.args.length > 1) {
    if (m.keys.length > 0) {
      cx.diags.error('invalid-argument', `${call.callee}() takes the map without a key when the key is a separate argument`, m.span);
      return undefined;
    }
    const k = call.args[1]!;
    // A multi-key map takes its key as one tuple: delete(@m, (1, "a")).
    keyExprs = spec.keyTypes.length > 1 && k.kind === 'Tuple' ? k.elems : call.args.slice(1);
    if (call.args.length > 2) {
      cx.diags.error('wrong-argument-count', `${call.callee}() takes a map and one key; give several keys as a tuple: ${call.callee}(@m, (k1, k2))`, call.span);
      return undefined;
    }
  } else {
    keyExprs = m.keys;
  }
  if (spec.keyTypes.length === 0) {
    if (!allowScalar) {
      cx.diags.error('invalid-argument', `${call.callee}() needs a map with keys; ${spec.name} has none`, m.span);
      return undefined;
    }
    return { m, spec };
  }
  if (keyExprs.length === 0) {
    cx.diags.error('invalid-argument', `${call.callee}() needs a key for ${spec.name}, e.g. ${call.callee}(${spec.name}, key)`, call.span);
    return undefined;
  }
  return { m, spec, keyExprs };
}

/** The map and its key blob (mapAndKeyExprs lowered). */
function mapAndKey(call: ast.Call, cx: LowerContext, allowScalar: boolean): { map: number; key: IrBlob; scalar: boolean } | undefined {
  const found = mapAndKeyExprs(call, cx, allowScalar);
  if (!found) return undefined;
  const { m, spec, keyExprs } = found;
  if (!keyExprs) return { map: cx.mapId(spec.name), key: { op: 'zero', size: 8 }, scalar: true };
  const key = cx.keyBlob(keyExprs, spec, m);
  return key ? { map: cx.mapId(spec.name), key, scalar: false } : undefined;
}

/** The typing of mapAndKey: the key use observed; false after an error. */
function observeMapAndKey(call: ast.Call, tx: TypeContext, allowScalar: boolean): boolean {
  const found = mapAndKeyExprs(call, tx, allowScalar);
  if (!found) return false;
  return found.keyExprs ? tx.observeKeys(found.keyExprs, found.spec, found.m) : true;
}

const hasKey: LibFunction = {
  name: 'has_key',
  type: (call, tx) => (argCount(call, tx, 2, 2) && observeMapAndKey(call, tx, false) ? boolType : noneType),
  expr(call, cx) {
    if (!argCount(call, cx, 2, 2)) return cx.fail();
    const mk = mapAndKey(call, cx, false);
    if (!mk) return cx.fail();
    const ptr = { op: 'call', helper: Helper.map_lookup_elem, args: [{ kind: 'map', map: mk.map }, { kind: 'blob', blob: mk.key }] } as const;
    return { type: boolType, int: { op: 'binary', operator: '!=', left: ptr, right: c64(0), signed: false } };
  },
};

function deleteValue(call: ast.Call, cx: LowerContext): LibValue {
  if (!argCount(call, cx, 1, 3)) return cx.fail();
  const mk = mapAndKey(call, cx, true);
  if (!mk) return cx.fail();
  const r = { op: 'call', helper: Helper.map_delete_elem, args: [{ kind: 'map', map: mk.map }, { kind: 'blob', blob: mk.key }] } as const;
  return { type: boolType, int: { op: 'binary', operator: '==', left: r, right: c64(0), signed: false } };
}

const deleteType = (call: ast.Call, tx: TypeContext): Type => (argCount(call, tx, 1, 3) && observeMapAndKey(call, tx, true) ? boolType : noneType);

const del: LibFunction = {
  name: 'delete',
  type: deleteType,
  typeStmt: (call, tx) => void deleteType(call, tx),
  expr: deleteValue,
  stmt(call, cx): IrStmt[] {
    const v = deleteValue(call, cx);
    return v.int ? [{ op: 'if', cond: v.int, then: [], else: [] }] : [];
  },
};

const len: LibFunction = {
  name: 'len',
  type(call, tx) {
    if (!argCount(call, tx, 1, 1)) return noneType;
    const a = call.args[0]!;
    if (a.kind === 'MapRef') return a.keys.length > 0 || tx.knownMap(a) ? i64 : noneType;
    const t = tx.typeOf(a);
    // As stackLength: a stack read from a map abandons the statement.
    if (t.kind === 'rich' && (t.of === 'kstack' || t.of === 'ustack') && !stackLengthSupported(a)) tx.unsupported();
    return i64;
  },
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const a = call.args[0]!;
    if (a.kind === 'MapRef') return mapLength(a, cx);
    const v = cx.value(a);
    const t: Type = v.type;
    if (t.kind === 'rich' && (t.of === 'kstack' || t.of === 'ustack')) return stackLength(a, t.of, t.arg, cx);
    cx.diags.error('type-mismatch', 'len() takes a map or a stack', a.span);
    return { type: i64, int: c64(0) };
  },
};

const BPF_F_USER_STACK = 1n << 8n;

/** Whether len() takes the depth of this stack expression: one taken here, not one read from a map. */
function stackLengthSupported(a: ast.Expr): boolean {
  return a.kind === 'Identifier' || a.kind === 'Call' || a.kind === 'Variable';
}

/**
 * `len(kstack)` / `len(ustack(3))` / `len($s)`: the stack's depth in frames (bpftrace 0.23+), at most
 * the stack's frame limit. bpf_get_stack into a scratch buffer returns the bytes it wrote: depth =
 * bytes / 8. A stack is a stack id, so the depth is taken where len() is: the same stack for a
 * scratch variable (one probe run, one stack); a stack read from a map could be another one.
 */
function stackLength(a: ast.Expr, of: 'kstack' | 'ustack', arg: string | undefined, cx: LowerContext): LibValue {
  if (!stackLengthSupported(a)) {
    return cx.unsupported('len() of a stack stored in a map is not supported: use len(kstack) or len($stack)', a.span);
  }
  const limit = Number(arg?.split(',')[1] ?? 127);
  if (limit <= 0) return { type: i64, int: c64(0) };
  const size = 8 * limit;
  const ret = cx.temp();
  const r: IrExpr = { op: 'var', id: ret };
  const call: IrExpr = {
    op: 'call', helper: Helper.get_stack,
    args: [{ kind: 'ctx' }, { kind: 'blob', blob: { op: 'zero', size } }, { kind: 'int', value: c64(BigInt(size)) }, { kind: 'int', value: c64(of === 'ustack' ? BPF_F_USER_STACK : 0n) }],
  };
  const depth: IrExpr = {
    op: 'ternary', cond: { op: 'binary', operator: '>', left: r, right: c64(0), signed: true },
    then: { op: 'binary', operator: '>>', left: r, right: c64(3), signed: false }, else: c64(0),
  };
  return { type: i64, int: { op: 'seq', stmts: [{ op: 'setVar', id: ret, value: { op: 'cast', operand: call, bits: 32, signed: true } }], value: depth } };
}

/** `len(@m)`: the number of entries, counted by a bpf_for_each_map_elem callback (src/codegen/callbacks.ts). */
function mapLength(m: ast.MapRef, cx: LowerContext): LibValue {
  if (m.keys.length > 0) {
    cx.diags.error('invalid-argument', 'len() takes the map itself, without a key', m.span);
    return { type: i64, int: c64(0) };
  }
  const spec = cx.knownMap(m);
  if (!spec) return cx.fail();
  const n = cx.temp();
  const count: IrExpr = { op: 'var', id: n };
  const stmts: IrStmt[] = [
    { op: 'setVar', id: n, value: c64(0) },
    {
      op: 'forEachMap', map: cx.mapId(spec.name), keySize: 0, valueSize: 0,
      body: [{ op: 'setVar', id: n, value: { op: 'binary', operator: '+', left: count, right: c64(1), signed: false } }],
    },
  ];
  return { type: i64, int: { op: 'seq', stmts, value: count } };
}

export const MAP_FUNCTIONS: readonly LibFunction[] = [hasKey, del, len];
