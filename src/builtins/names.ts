/**
 * strerror, signal_name, syscall_name (bpftrace stdlib strings.bt): a number's name as a string[64],
 * read in the kernel from a read-only ARRAY map the runtime fills from name-tables.ts before any
 * program runs. The map has one entry past the table, holding the "unknown" text, and every number
 * outside the table reads that entry, so the result is a real string (comparable, a map key).
 */
import type * as ast from '../ast/nodes.js';
import type { IrExpr } from '../ir/ir.js';
import { MapType } from '../contract/index.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { typeToString, isIntegral, noneType, type Type } from '../types/types.js';
import { argCount, c64, type LibFunction, type LibValue, type LowerContext, type TypeContext } from './library.js';
import { ERRNO_TEXTS, SIGNAL_TEXTS, SYSCALL_NAMES_X86_64, UNKNOWN_ERROR, UNKNOWN_SIGNAL, UNKNOWN_SYSCALL } from './name-tables.js';

/** bpftrace's result type for all three: string[64]. */
export const NAME_SIZE = 64;

interface NameTable {
  readonly fn: string;
  readonly map: string;
  readonly texts: readonly string[];
  readonly unknown: string;
  /** strerror(-EPERM) is strerror(EPERM). */
  readonly absolute: boolean;
}

/** The argument's type check; false after an error. */
function numberArg(call: ast.Call, cx: { readonly diags: Diagnostics }, t: NameTable, type: Type): boolean {
  if (isIntegral(type)) return true;
  if (type.kind !== 'none') cx.diags.error('type-mismatch', `${t.fn}() needs an integer, got ${typeToString(type)}`, call.args[0]!.span);
  return false;
}

const nameType: Type = { kind: 'str', size: NAME_SIZE };

function lookupType(call: ast.Call, tx: TypeContext, t: NameTable): Type {
  return argCount(call, tx, 1, 1) && numberArg(call, tx, t, tx.typeOf(call.args[0]!)) ? nameType : noneType;
}

function lookup(call: ast.Call, cx: LowerContext, t: NameTable): LibValue {
  if (!argCount(call, cx, 1, 1)) return cx.fail();
  const v = cx.value(call.args[0]!);
  if (!numberArg(call, cx, t, v.type)) return cx.fail();
  const strings = [...t.texts, ''].map((s) => s || t.unknown);
  const map = cx.internalMap(t.map, { bpfType: MapType.ARRAY, keySize: 4, valueSize: NAME_SIZE, maxEntries: strings.length, strings });
  const n = cx.temp();
  // bpftrace casts the argument to int32 first.
  const asInt32: IrExpr = { op: 'cast', operand: cx.intOf(v, call.args[0]!), bits: 32, signed: true };
  const N: IrExpr = { op: 'var', id: n };
  const value: IrExpr = t.absolute ? { op: 'ternary', cond: { op: 'binary', operator: '<', left: N, right: c64(0), signed: true }, then: { op: 'unary', operator: '-', operand: N }, else: N } : N;
  const unknownIndex = c64(t.texts.length);
  // Negative numbers compare as huge unsigned ones: they read the unknown entry too.
  const index: IrExpr = { op: 'ternary', cond: { op: 'binary', operator: '<', left: value, right: unknownIndex, signed: false }, then: value, else: unknownIndex };
  return {
    type: nameType,
    blob: { op: 'seqBlob', stmts: [{ op: 'setVar', id: n, value: asInt32 }], value: { op: 'mapGetBlob', map, key: { op: 'int', value: index, size: 4 }, size: NAME_SIZE } },
  };
}

const TABLES: readonly NameTable[] = [
  { fn: 'strerror', map: '.errno_names', texts: ERRNO_TEXTS, unknown: UNKNOWN_ERROR, absolute: true },
  { fn: 'signal_name', map: '.signal_names', texts: SIGNAL_TEXTS, unknown: UNKNOWN_SIGNAL, absolute: false },
  { fn: 'syscall_name', map: '.syscall_names', texts: SYSCALL_NAMES_X86_64, unknown: UNKNOWN_SYSCALL, absolute: false },
];

export const NAME_FUNCTIONS: readonly LibFunction[] = TABLES.map((t) => ({ name: t.fn, type: (call, tx) => lookupType(call, tx, t), expr: (call, cx) => lookup(call, cx, t) }));
