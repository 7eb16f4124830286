/**
 * The function library: bpftrace's builtins and functions as table entries with hooks (ply's
 * `struct func`). Each family lives in its own file (maps.ts, strings.ts, process.ts, stacks.ts,
 * output.ts, watch.ts; functions.ts merges them); lowering (src/passes/lower-calls.ts) calls `LIBRARY_FUNCTIONS` from its
 * `call`/`callStmt` default branches and `LIBRARY_VARS` for bare identifiers, through the small
 * `LowerContext` it implements. The type pass (src/passes/type-of.ts) never runs those hooks: it
 * calls each record's declared typing (`type`, `typeStmt`, `typeAggregate`) through the
 * `TypeContext` it implements.
 */
import type * as ast from '../ast/nodes.js';
import { byteLength, parseFormat, type EventSpec, type ParsedFormat } from '../contract/index.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { SourceFile, Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrStmt } from '../ir/ir.js';
import type { CType } from '../kernel/btf.js';
import type { MapKind, MapSpec } from '../passes/program-info.js';
import type { ScriptConfig } from '../passes/config.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { isIntegral, type Type } from '../types/types.js';
import type { FunctionDoc } from './docs.js';

/** A typed value as lowering produces it (same shape as lower.ts's TypedValue). */
export type LibValue =
  | { readonly type: Type; readonly int: IrExpr; readonly blob?: undefined }
  | { readonly type: Type; readonly blob: IrBlob; readonly int?: undefined };

/** An internal map a function needs (stack traces, start time, seen pids); created once per script. */
export interface InternalMapDef {
  readonly bpfType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** A read-only table of strings the runtime writes before any program runs (entry i = strings[i]). */
  readonly strings?: readonly string[];
}

/** What a library function may use while it is lowered: ProbeLowerer implements it. */
export interface LowerContext {
  readonly diags: Diagnostics;
  readonly probe: ConcreteProbe;
  /** `--unsafe` was given. */
  readonly unsafe: boolean;
  /** The script's text, for source locations printed at run time (errorf, warnf). */
  readonly source?: SourceFile;
  /** kstack/ustack's mode when a call gives none (config `stack_mode`, BPFTRACE_STACK_MODE). */
  readonly stackMode?: 'bpftrace' | 'perf' | 'raw';
  /** Config max_strlen: the size of a string read without a length. */
  readonly maxStrlen: number;
  /** Config str_trunc_trailer: printed after a str() value that was truncated (default `..`). */
  readonly strTruncTrailer?: string;
  /** The script's config (block and BPFTRACE_* environment), for the `config` record. */
  readonly config?: ScriptConfig;
  /** Another library function, for functions defined in terms of one (strcap of a pointer is strlen). */
  library(name: string): LibFunction | undefined;
  value(e: ast.Expr): LibValue;
  intOf(v: LibValue, e: ast.Expr): IrExpr;
  /** The value as a blob of `type` (integers stored in its size; strings resized). */
  blobOf(v: LibValue, type: Type): IrBlob;
  /** An integer literal (or positional); reports `not-constant` otherwise. */
  constInt(e: ast.Expr): bigint;
  /** A string literal (or string positional); reports and returns undefined otherwise. */
  constString(e: ast.Expr, what: string): string | undefined;
  /** Register an asynchronous event and build the statement sending it. */
  emit(spec: EventSpec, args: readonly LibValue[]): IrStmt;
  /** Register an event whose record the caller builds itself (join's, in a scratch map); returns its id. */
  registerEvent(spec: EventSpec): number;
  /** The script map `m` refers to (reports `undefined-map`). */
  knownMap(m: ast.MapRef): MapSpec | undefined;
  /** The key blob of map `spec` for these key expressions, checked against its key types. */
  keyBlob(keyExprs: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): IrBlob | undefined;
  mapId(name: string): number;
  /** The script map of that name if it is used anywhere (no diagnostic when not). */
  scriptMap(name: string): MapSpec | undefined;
  /** A C type by name (script types, then the kernel's BTF). */
  resolveType(name: string): CType | undefined;
  /** The loops around the call, innermost last. */
  loops(): readonly ('for-loop' | 'while-loop')[];
  /**
   * The `helper-error` event id for a helper call at `span` when the warning level checks it
   * (probe reads and map lookups, `needsK`, only with -k); undefined = no check.
   */
  helperErr(helper: string, span: Span, needsK: boolean): number | undefined;
  internalMap(name: string, def: InternalMapDef): number;
  /** A fresh 64-bit scratch variable. */
  temp(): number;
  /** A fresh blob scratch variable of `size` bytes. */
  tempBlob(size: number): number;
  fail(): LibValue;
  unsupported(message: string, span: Span): never;
}

/** The map entry an aggregation updates: the map's resolved spec and the key in the map's layout. */
export interface MapUse {
  readonly spec: MapSpec;
  readonly key: IrBlob;
}

/**
 * Declares the use of the assigned map by an aggregation of `kind` (its value type and parameters
 * are part of the map's type, resolved over the script): the entry to update, or undefined after a
 * conflict was reported.
 */
export type UseMap = (kind: MapKind, valueType: Type, params: readonly bigint[]) => MapUse | undefined;

/**
 * What a library function's declared typing may use: the type pass (ProbeTyper, src/passes/type-of.ts)
 * implements it. Nothing is lowered: arguments are typed, map uses are observed in the type table.
 */
export interface TypeContext {
  readonly diags: Diagnostics;
  readonly probe: ConcreteProbe;
  readonly unsafe: boolean;
  readonly maxStrlen: number;
  readonly strTruncTrailer?: string;
  readonly stackMode?: 'bpftrace' | 'perf' | 'raw';
  readonly config?: ScriptConfig;
  /** The argument's type (typed once, as lowering's `value` will read it). */
  typeOf(e: ast.Expr): Type;
  constInt(e: ast.Expr): bigint;
  /** A string literal (or string positional); `what` is for lowering's report (typing reports nothing). */
  constString(e: ast.Expr, what?: string): string | undefined;
  knownMap(m: ast.MapRef): MapSpec | undefined;
  /** A key use of a known map, promoted into its key types; false after a conflict. */
  observeKeys(keyExprs: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): boolean;
  scriptMap(name: string): MapSpec | undefined;
  resolveType(name: string): CType | undefined;
  library(name: string): LibFunction | undefined;
  /** Abandons the statement, as lowering's `unsupported` does. */
  unsupported(): never;
}

/** What argument checks shared by a record's lowering and its typing use (both contexts have it). */
export interface ArgContext {
  readonly diags: Diagnostics;
  constInt(e: ast.Expr): bigint;
  constString(e: ast.Expr, what: string): string | undefined;
}

/** Observes an aggregation's use of its assigned map (the typing side of `UseMap`); false after a conflict. */
export type ObserveMap = (kind: MapKind, valueType: Type, params: readonly bigint[]) => boolean;

export interface LibFunction {
  readonly name: string;
  /**
   * The declared typing of a call used as a value: its result type (none after an error lowering
   * reports), typing the arguments `expr` reads. The type pass calls it; lowering never runs to type.
   */
  readonly type?: (call: ast.Call, tx: TypeContext) => Type;
  /** The typing of a call used as a statement (records the map uses `stmt` makes); needed when `stmt` is given. */
  readonly typeStmt?: (call: ast.Call, tx: TypeContext) => void;
  /** The typing of an aggregation: the map use `aggregate` declares, observed; needed when `aggregate` is given. */
  readonly typeAggregate?: (call: ast.Call, tx: TypeContext, use: ObserveMap) => void;
  /** An aggregation (`@m[k] = count()`): checks its arguments, declares the map use, updates the entry. */
  readonly aggregate?: (call: ast.Call, cx: LowerContext, use: UseMap) => IrStmt[];
  /** Lower a call used as a value. */
  readonly expr?: (call: ast.Call, cx: LowerContext) => LibValue;
  /** Lower a call used as a statement; defaults to `expr` with its value dropped. */
  readonly stmt?: (call: ast.Call, cx: LowerContext) => IrStmt[];
  /** Needs `--unsafe` (bpftrace's unsafe functions). */
  readonly unsafe?: boolean;
  /** Also a bare identifier (`probetype` == `probetype()`), as bpftrace allows for functions without arguments. */
  readonly bare?: boolean;
  /** Signature and description (`.help NAME` in the shell); filled from src/builtins/docs.ts. */
  readonly doc?: FunctionDoc;
}

/** A builtin identifier (`elapsed`, `func`, `kstack`...). */
export interface LibVar {
  readonly name: string;
  /** The declared type of the identifier (see LibFunction.type). */
  readonly type?: (node: ast.Identifier, tx: TypeContext) => Type;
  readonly lower: (node: ast.Identifier, cx: LowerContext) => LibValue;
}

// ------------------------------------------------------------------ small helpers for the families

export function argCount(call: ast.Call, cx: { readonly diags: Diagnostics }, min: number, max: number): boolean {
  const n = call.args.length;
  if (n >= min && n <= max) return true;
  cx.diags.error('wrong-argument-count', `${call.callee}() ${argCountRule(n, min, max)} (${n} provided)`, call.span);
  return false;
}

/** What a call with n arguments broke, in bpftrace's words (CallPreCheck::check_nargs / check_varargs). */
function argCountRule(n: number, min: number, max: number): string {
  const count = (k: number): string => (k === 1 ? 'one argument' : `${k} arguments`);
  if (max === 0) return 'requires no arguments';
  if (min === max) return `requires ${count(min)}`;
  if (n < min) return `requires at least ${count(min)}`;
  return `takes up to ${count(max)}`;
}

/**
 * A printf-like call's first argument (cat, system, errorf, warnf, fail, debugf): a string literal
 * format, parsed; undefined (reported at the format) when it is not one or does not parse.
 */
export function literalFormat(call: ast.Call, cx: ArgContext): { text: string; parsed: ParsedFormat } | undefined {
  const text = cx.constString(call.args[0]!, 'a string literal format');
  if (text === undefined) return undefined;
  const parsed = parseFormat(text);
  if (parsed.error) {
    cx.diags.error('invalid-format', parsed.error, call.args[0]!.span);
    return undefined;
  }
  return { text, parsed };
}

export const c64 = (v: bigint | number): IrExpr => ({ op: 'const', value: BigInt(v) });

export function stringValue(value: string, size?: number): LibValue {
  const bytes = byteLength(value) + 1;
  const s = Math.max(size ?? bytes, bytes);
  return { type: { kind: 'str', size: s }, blob: { op: 'string', value, size: s } };
}

/**
 * Whether lowering holds a value of this type as an integer expression (`LibValue.int`): how a
 * typing decides what a lowering hook decides on `v.int` (none and args as the type pass's
 * placeholders were).
 */
export function heldAsInt(t: Type): boolean {
  return isIntegral(t) || t.kind === 'none' || t.kind === 'args';
}

export function intValue(type: Type, int: IrExpr): LibValue {
  return { type, int };
}

/**
 * An exit request's record may be dropped uncounted (IrStmt emit `dropOk`): the runtime ends the run
 * at the first one it reads, and a probe that fires again before it has stopped sends the same
 * request again. So a ring buffer full of them loses nothing, and the ring needs room for one.
 */
export function endRequest(stmt: IrStmt): IrStmt {
  return stmt.op === 'emit' ? { ...stmt, dropOk: true } : stmt;
}
