import type * as ast from '../ast/nodes.js';
import { BUILTIN_VARS, isAggregation, ALL_FUNCTION_NAMES } from '../builtins/builtins.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { checkFormatArgs, parseFormat, type FormatArgKind } from '../common/printf-format.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrProgram, IrStmt, IrVar } from '../ir/ir.js';
import type { ConcreteProbe, ContextField } from '../providers/provider.js';
import {
  boolType, DEFAULT_STRLEN, i64, isIntegral, sizeOf, storageType, tupleLayout, typeEquals, typeToString, u64,
  type Type,
} from '../types/types.js';
import { recordLayout, type EventSpec } from './events.js';
import type { MapKind, MapSpec } from './program-info.js';
import { didYouMean } from './suggest.js';

/** A typed value: integers (and bools, pointers) as an IR expression, aggregates as a blob. */
type TypedValue = { readonly type: Type; readonly int: IrExpr; readonly blob?: undefined } | { readonly type: Type; readonly blob: IrBlob; readonly int?: undefined };

/** State shared by every probe of one script. */
export interface ScriptState {
  readonly maps: Map<string, MapSpec>;
  readonly events: EventSpec[];
  readonly positionals: readonly string[];
  /** Map name → IR map id; filled as maps are first used. */
  readonly mapIds: Map<string, number>;
}

/** Hist buckets (log2, bits 0) and the lhist limit mirror runtime/value.ts's bucket layout. */
const HIST_SLOTS = 65;
const MAX_LHIST_SLOTS = 1002;

export function lhistSlots(min: bigint, max: bigint, step: bigint): number {
  return Number((max - min) / step) + 2;
}

/** Value size in bytes of a map of this kind, per CPU for per-CPU kinds. */
export function mapValueSize(spec: MapSpec): number {
  switch (spec.kind) {
    case 'count': case 'sum': case 'int':
      return 8;
    case 'min': case 'max': case 'avg': case 'stats':
      return 16;
    case 'hist':
      return 8 * HIST_SLOTS;
    case 'lhist':
      return 8 * lhistSlots(spec.params[0]!, spec.params[1]!, spec.params[2]!);
    case 'value':
      return Math.max(1, sizeOf(spec.valueType));
  }
}

export function isPerCpuKind(kind: MapKind): boolean {
  return kind !== 'int' && kind !== 'value';
}

/** Key blob layout of a map: scalar maps use one zero u64; several keys form a tuple. */
export function keyLayoutTypes(keyTypes: readonly Type[]): Type {
  if (keyTypes.length === 0) return u64;
  if (keyTypes.length === 1) return keyTypes[0]!;
  return { kind: 'tuple', elems: keyTypes };
}

class Unsupported extends Error {}

/**
 * Checks and lowers one concrete probe's body to IR. Types are inferred as the code is lowered;
 * the first assignment to a map fixes its key and value types for the whole script.
 */
export class ProbeLowerer {
  private readonly vars = new Map<string, { id: number; type: Type }>();
  private readonly irVars: IrVar[] = [];

  constructor(
    private readonly script: ScriptState,
    private readonly probe: ConcreteProbe,
    private readonly diags: Diagnostics,
  ) {}

  lower(node: ast.Probe, name: string, section: string): IrProgram {
    const body: IrStmt[] = [];
    if (node.predicate) {
      const cond = this.condition(node.predicate);
      if (cond) body.push({ op: 'if', cond: { op: 'unary', operator: '!', operand: cond }, then: [{ op: 'return' }], else: [] });
    }
    body.push(...this.block(node.body));
    return { name, section, vars: this.irVars, body };
  }

  // ------------------------------------------------------------------ statements

  private block(b: ast.Block): IrStmt[] {
    const out: IrStmt[] = [];
    for (const s of b.stmts) {
      try {
        out.push(...this.stmt(s));
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
      }
    }
    return out;
  }

  private stmt(s: ast.Stmt): IrStmt[] {
    switch (s.kind) {
      case 'Block':
        return this.block(s);
      case 'ExprStmt':
        return this.exprStmt(s.expr);
      case 'Assign':
        return s.target.kind === 'MapRef' ? this.assignMap(s.target, s.op, s.value, s) : this.assignVar(s.target, s.op, s.value, s);
      case 'VarDecl': {
        if (s.value) return this.assignVar(s.variable, '=', s.value, s);
        this.declareVar(s.variable.name, i64, s.span);
        return [];
      }
      case 'If': {
        const cond = this.condition(s.cond);
        const then = this.block(s.then);
        const otherwise = s.else ? (s.else.kind === 'Block' ? this.block(s.else) : this.stmt(s.else)) : [];
        return cond ? [{ op: 'if', cond, then, else: otherwise }] : [];
      }
      case 'Return':
        return [{ op: 'return' }];
      case 'While':
      case 'Unroll':
      case 'ForMap':
      case 'ForRange':
      case 'Jump':
        return this.unsupported(`${s.kind === 'Jump' ? s.jump : s.kind.toLowerCase()} is not supported yet`, s.span);
    }
  }

  private exprStmt(e: ast.Expr): IrStmt[] {
    if (e.kind === 'Update') return this.update(e);
    if (e.kind === 'Call') return this.callStmt(e);
    this.value(e);
    return [];
  }

  private update(e: ast.Update): IrStmt[] {
    const delta: IrExpr = { op: 'const', value: e.op === '++' ? 1n : -1n };
    if (e.target.kind === 'MapRef') {
      const key = this.mapKey(e.target, true);
      const spec = this.useMap(e.target, 'int', key.types, i64, [], e);
      if (!spec) return [];
      return [{ op: 'mapAdd', map: this.mapId(spec.name), key: key.blob, delta }];
    }
    const v = this.lookupVar(e.target);
    if (!v) return [];
    return [{ op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: { op: 'var', id: v.id }, right: delta, signed: true } }];
  }

  private assignVar(target: ast.Variable, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): IrStmt[] {
    if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
      this.diags.error('aggregation-outside-map', `${valueExpr.callee}() can only be assigned to a map, e.g. @x = ${valueExpr.callee}(...)`, valueExpr.span);
      return [];
    }
    let value = this.value(valueExpr);
    if (op !== '=') {
      const current = this.lookupVar(target);
      if (!current) return [];
      value = { type: i64, int: this.arith(op.slice(0, -1) as ast.BinaryOp, { op: 'var', id: current.id }, this.intOf(value, valueExpr), current.type, value.type) };
    }
    const v = this.declareVar(target.name, value.type, node.span);
    if (!v) return [];
    if (value.blob) return [{ op: 'setVarBlob', id: v.id, value: value.blob }];
    return [{ op: 'setVar', id: v.id, value: value.int }];
  }

  private assignMap(target: ast.MapRef, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): IrStmt[] {
    const key = this.mapKey(target, true);
    if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
      if (op !== '=') {
        this.diags.error('invalid-assignment', `${valueExpr.callee}() must be assigned with =`, node.span);
        return [];
      }
      return this.aggregate(target, key, valueExpr);
    }
    const value = this.value(valueExpr);
    if (op !== '=') {
      if (!isIntegral(value.type)) {
        this.diags.error('type-mismatch', `${op} needs an integer, got ${typeToString(value.type)}`, valueExpr.span);
        return [];
      }
      const spec = this.useMap(target, 'int', key.types, i64, [], node);
      if (!spec) return [];
      const id = this.mapId(spec.name);
      if (op === '+=' || op === '-=') {
        const delta = this.intOf(value, valueExpr);
        return [{ op: 'mapAdd', map: id, key: key.blob, delta: op === '+=' ? delta : { op: 'unary', operator: '-', operand: delta } }];
      }
      const current: IrExpr = { op: 'mapGet', map: id, key: key.blob };
      const next = this.arith(op.slice(0, -1) as ast.BinaryOp, current, this.intOf(value, valueExpr), i64, value.type);
      return [{ op: 'mapSet', map: id, key: key.blob, value: { op: 'int', value: next, size: 8 } }];
    }
    if (value.type.kind === 'none' || value.type.kind === 'args') {
      this.diags.error('type-mismatch', `cannot store a value of type ${typeToString(value.type)} in a map`, valueExpr.span);
      return [];
    }
    const stored = storageType(value.type);
    const kind: MapKind = isIntegral(value.type) ? 'int' : 'value';
    const spec = this.useMap(target, kind, key.types, stored, [], node);
    if (!spec) return [];
    const blob: IrBlob = value.blob ?? { op: 'int', value: value.int, size: 8 };
    return [{ op: 'mapSet', map: this.mapId(spec.name), key: key.blob, value: blob }];
  }

  private aggregate(target: ast.MapRef, key: { blob: IrBlob; types: Type[] }, call: ast.Call): IrStmt[] {
    const name = call.callee as MapKind;
    const arity: Record<string, [number, number]> = {
      count: [0, 0], sum: [1, 1], min: [1, 1], max: [1, 1], avg: [1, 1], stats: [1, 1], hist: [1, 2], lhist: [4, 4],
    };
    const [lo, hi] = arity[name]!;
    if (call.args.length < lo || call.args.length > hi) {
      this.diags.error('wrong-argument-count', `${name}() takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'}, got ${call.args.length}`, call.span);
      return [];
    }
    let params: bigint[] = [];
    if (name === 'lhist') {
      params = call.args.slice(1).map((a) => this.constInt(a));
      const [min, max, step] = params as [bigint, bigint, bigint];
      if (step <= 0n || max <= min) {
        this.diags.error('invalid-argument', 'lhist() needs min < max and step > 0', call.span);
        return [];
      }
      if (lhistSlots(min, max, step) > MAX_LHIST_SLOTS) {
        this.diags.error('invalid-argument', `lhist() would have more than ${MAX_LHIST_SLOTS - 2} buckets`, call.span);
        return [];
      }
    }
    if (name === 'hist' && call.args.length === 2 && this.constInt(call.args[1]!) !== 0n) {
      return this.unsupported('hist() with sub-buckets is not supported yet', call.args[1]!.span);
    }
    const spec = this.useMap(target, name, key.types, u64, params, call);
    if (!spec) return [];
    const id = this.mapId(spec.name);
    if (name === 'count') return [{ op: 'mapAdd', map: id, key: key.blob, delta: { op: 'const', value: 1n } }];
    const argExpr = call.args[0]!;
    const arg = this.value(argExpr);
    const v = this.intOf(arg, argExpr);
    switch (name) {
      case 'sum':
        return [{ op: 'mapAdd', map: id, key: key.blob, delta: v }];
      case 'min':
      case 'max':
        return [{ op: 'mapMinMax', map: id, key: key.blob, value: v, which: name }];
      case 'avg':
      case 'stats':
        return [{ op: 'mapCountTotal', map: id, key: key.blob, value: v }];
      case 'hist': {
        const { stmts, bucket } = this.histBucket(v);
        return [...stmts, { op: 'mapBucketAdd', map: id, key: key.blob, bucket, slots: HIST_SLOTS }];
      }
      case 'lhist': {
        const [min, max, step] = params as [bigint, bigint, bigint];
        return [{ op: 'mapBucketAdd', map: id, key: key.blob, bucket: lhistBucket(v, min, max, step), slots: lhistSlots(min, max, step) }];
      }
      default:
        return [];
    }
  }

  private callStmt(call: ast.Call): IrStmt[] {
    switch (call.callee) {
      case 'printf':
        return this.printf(call);
      case 'exit': {
        if (call.args.length > 1) this.diags.error('wrong-argument-count', 'exit() takes at most 1 argument', call.span);
        const code = call.args[0] ? this.intOf(this.value(call.args[0]), call.args[0]) : ({ op: 'const', value: 0n } as IrExpr);
        return [this.emit({ kind: 'exit', args: [i64] }, [{ type: i64, int: code }]), { op: 'return' }];
      }
      case 'print': {
        const first = call.args[0];
        if (!first) {
          this.diags.error('wrong-argument-count', 'print() takes 1 to 3 arguments', call.span);
          return [];
        }
        if (first.kind === 'MapRef' && first.keys.length === 0) {
          const top = call.args[1] ? Number(this.constInt(call.args[1])) : 0;
          const div = call.args[2] ? Number(this.constInt(call.args[2])) : 0;
          this.knownMap(first);
          return [this.emit({ kind: 'print-map', map: first.name, args: [], top, div }, [])];
        }
        const v = this.value(first);
        return [this.emit({ kind: 'print-value', args: [v.type] }, [v])];
      }
      case 'clear':
      case 'zero': {
        const m = call.args[0];
        if (call.args.length !== 1 || m?.kind !== 'MapRef' || m.keys.length > 0) {
          this.diags.error('invalid-argument', `${call.callee}() takes one map, e.g. ${call.callee}(@x)`, call.span);
          return [];
        }
        this.knownMap(m);
        return [this.emit({ kind: call.callee, map: m.name, args: [] }, [])];
      }
      case 'delete': {
        const m = call.args[0];
        if (m?.kind !== 'MapRef') {
          this.diags.error('invalid-argument', 'delete() takes a map element, e.g. delete(@x[key]) or delete(@x, key)', call.span);
          return [];
        }
        const keyExprs = call.args.length > 1 ? call.args.slice(1) : m.keys;
        const spec = this.knownMap(m);
        if (!spec) return [];
        const key = this.keyBlob(keyExprs, spec, m);
        return key ? [{ op: 'mapDelete', map: this.mapId(spec.name), key }] : [];
      }
      case 'time': {
        const fmt = call.args[0];
        const format = fmt === undefined ? '%H:%M:%S\n' : fmt.kind === 'StringLiteral' ? fmt.value : undefined;
        if (format === undefined) {
          this.diags.error('invalid-argument', 'time() takes a string literal format', call.span);
          return [];
        }
        return [this.emit({ kind: 'time', format, args: [] }, [])];
      }
      default:
        if (isAggregation(call.callee)) {
          this.diags.error('aggregation-outside-map', `${call.callee}() can only be assigned to a map, e.g. @x = ${call.callee}(...)`, call.span);
          return [];
        }
        this.value(call);
        return [];
    }
  }

  private printf(call: ast.Call): IrStmt[] {
    const fmt = call.args[0];
    if (!fmt || fmt.kind !== 'StringLiteral') {
      this.diags.error('invalid-argument', 'printf() needs a string literal format as its first argument', fmt?.span ?? call.span);
      return [];
    }
    const parsed = parseFormat(fmt.value);
    if (parsed.error) {
      this.diags.error('invalid-format', parsed.error, fmt.span);
      return [];
    }
    const args = call.args.slice(1).map((a) => this.value(a));
    // An argument that failed to type-check has been reported already.
    if (args.some((a) => a.type.kind === 'none' && this.diags.hasErrors)) return [];
    const problem = checkFormatArgs(parsed, args.map((a) => ({ kind: formatKind(a.type), name: typeToString(a.type) })));
    if (problem) {
      this.diags.error('invalid-format', problem.message, call.span);
      return [];
    }
    const stored = args.map((a) => ({ ...a, type: storageType(a.type) }) as TypedValue);
    return [this.emit({ kind: 'printf', format: fmt.value, args: stored.map((a) => a.type) }, stored)];
  }

  private emit(spec: EventSpec, args: readonly TypedValue[]): IrStmt {
    const id = this.script.events.length;
    this.script.events.push(spec);
    const layout = recordLayout(spec.args);
    const fields = [
      { offset: 0, blob: { op: 'int', value: { op: 'const', value: BigInt(id) }, size: 8 } as IrBlob },
      ...args.map((a, i) => ({ offset: layout.args[i]!.offset, blob: this.blobOf(a, spec.args[i]!) })),
    ];
    return { op: 'emit', record: { op: 'record', size: layout.size, fields } };
  }

  // ------------------------------------------------------------------ maps

  private mapKey(m: ast.MapRef, forWrite: boolean): { blob: IrBlob; types: Type[] } {
    void forWrite;
    const values = m.keys.map((k) => this.value(k));
    const types = values.map((v) => storageType(v.type));
    if (values.length === 0) return { blob: { op: 'zero', size: 8 }, types };
    if (values.length === 1) return { blob: this.blobOf(values[0]!, types[0]!), types };
    const layout = tupleLayout(types);
    return {
      blob: { op: 'record', size: layout.size, fields: values.map((v, i) => ({ offset: layout.fields[i]!.offset, blob: this.blobOf(v, types[i]!) })) },
      types,
    };
  }

  private keyBlob(keyExprs: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): IrBlob | undefined {
    const key = this.mapKey({ ...m, keys: keyExprs }, false);
    if (!sameTypes(key.types, spec.keyTypes)) {
      this.diags.error('map-key-mismatch', `${spec.name} is keyed by [${spec.keyTypes.map(typeToString).join(', ')}], not [${key.types.map(typeToString).join(', ')}]`, m.span);
      return undefined;
    }
    return key.blob;
  }

  /** Declare or check a map's kind and types at an assignment. */
  private useMap(m: ast.MapRef, kind: MapKind, keyTypes: Type[], valueType: Type, params: readonly bigint[], node: ast.Node): MapSpec | undefined {
    const existing = this.script.maps.get(m.name);
    if (!existing) {
      const spec: MapSpec = { name: m.name, kind, keyTypes, valueType, params, firstUse: node };
      this.script.maps.set(m.name, spec);
      return spec;
    }
    if (!sameTypes(existing.keyTypes, keyTypes)) {
      this.diags.error(
        'map-key-mismatch',
        `${m.name} is used with keys [${keyTypes.map(typeToString).join(', ')}] here but [${existing.keyTypes.map(typeToString).join(', ')}] elsewhere`,
        m.span,
      );
      return undefined;
    }
    // `@x++` and `@x += n` on a count/sum map keep adding to it, as in bpftrace.
    const addsToCounter = kind === 'int' && (existing.kind === 'count' || existing.kind === 'sum');
    if (existing.kind !== kind && !addsToCounter) {
      this.diags.error('map-type-mismatch', `${m.name} holds ${describeKind(existing)} but is assigned ${describeKind({ kind, valueType, params })} here`, node.span);
      return undefined;
    }
    if (kind === 'value' && !typeEquals(existing.valueType, valueType)) {
      const a = existing.valueType;
      if (a.kind === 'str' && valueType.kind === 'str') {
        // Strings of different capacities share the larger one.
        if (valueType.size > a.size) existing.valueType = valueType;
        return existing;
      }
      this.diags.error('map-type-mismatch', `${m.name} holds ${typeToString(existing.valueType)} but is assigned ${typeToString(valueType)} here`, node.span);
      return undefined;
    }
    if (existing.params.join() !== params.join()) {
      this.diags.error('map-type-mismatch', `${m.name} is used with different ${kind} parameters`, node.span);
      return undefined;
    }
    return existing;
  }

  private knownMap(m: ast.MapRef): MapSpec | undefined {
    const spec = this.script.maps.get(m.name);
    if (!spec) {
      const hint = didYouMean(m.name, [...this.script.maps.keys()]);
      this.diags.error('undefined-map', `undefined map: ${m.name}`, m.span, hint ? [`did you mean ${hint}?`] : undefined);
    }
    return spec;
  }

  private mapId(name: string): number {
    let id = this.script.mapIds.get(name);
    if (id === undefined) {
      id = this.script.mapIds.size;
      this.script.mapIds.set(name, id);
    }
    return id;
  }

  // ------------------------------------------------------------------ expressions

  private condition(e: ast.Expr): IrExpr | undefined {
    const v = this.value(e);
    if (!isIntegral(v.type)) {
      this.diags.error('type-mismatch', `a condition must be an integer or bool, got ${typeToString(v.type)}`, e.span);
      return undefined;
    }
    return v.int;
  }

  value(e: ast.Expr): TypedValue {
    switch (e.kind) {
      case 'IntLiteral':
        return { type: i64, int: { op: 'const', value: e.value } };
      case 'BoolLiteral':
        return { type: boolType, int: { op: 'const', value: e.value ? 1n : 0n } };
      case 'StringLiteral':
        return stringConst(e.value);
      case 'Positional': {
        const text = this.script.positionals[e.index - 1] ?? '';
        if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return { type: i64, int: { op: 'const', value: BigInt(text) } };
        if (text === '') return { type: i64, int: { op: 'const', value: 0n } };
        return stringConst(text);
      }
      case 'PositionalCount':
        return { type: i64, int: { op: 'const', value: BigInt(this.script.positionals.length) } };
      case 'Variable': {
        const v = this.lookupVar(e);
        if (!v) return this.fail();
        if (isIntegral(v.type)) return { type: v.type, int: { op: 'var', id: v.id } };
        return { type: v.type, blob: { op: 'varBlob', id: v.id, size: sizeOf(v.type) } };
      }
      case 'MapRef': {
        const spec = this.knownMap(e);
        if (!spec) return this.fail();
        const key = this.keyBlob(e.keys, spec, e);
        if (!key) return this.fail();
        if (spec.kind === 'int' || spec.kind === 'count' || spec.kind === 'sum') {
          if (isPerCpuKind(spec.kind)) return this.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
          return { type: spec.valueType.kind === 'int' ? spec.valueType : i64, int: { op: 'mapGet', map: this.mapId(spec.name), key } };
        }
        if (spec.kind === 'value') {
          const size = sizeOf(spec.valueType);
          return { type: spec.valueType, blob: { op: 'mapGetBlob', map: this.mapId(spec.name), key, size } };
        }
        return this.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
      }
      case 'Identifier':
        return this.identifier(e);
      case 'FieldAccess':
        return this.field(e);
      case 'Call':
        return this.call(e);
      case 'Binary':
        return this.binary(e);
      case 'Unary': {
        if (e.op === '*' || e.op === '&') return this.unsupported(`unary ${e.op} is not supported yet`, e.span);
        const v = this.value(e.operand);
        const operand = this.intOf(v, e.operand);
        return { type: e.op === '!' ? boolType : i64, int: { op: 'unary', operator: e.op, operand } };
      }
      case 'Update': {
        if (e.target.kind === 'MapRef') return this.unsupported('++/-- on a map inside an expression is not supported yet', e.span);
        return this.unsupported('++/-- inside an expression is not supported yet', e.span);
      }
      case 'Ternary': {
        const cond = this.condition(e.cond) ?? { op: 'const', value: 0n };
        const thenV = e.then ? this.value(e.then) : this.value(e.cond);
        const elseV = this.value(e.else);
        if (isIntegral(thenV.type) && isIntegral(elseV.type)) {
          return { type: thenV.type, int: { op: 'ternary', cond, then: thenV.int!, else: elseV.int! } };
        }
        return this.unsupported('a ternary of strings is not supported yet', e.span);
      }
      case 'Cast': {
        const target = castTarget(e.type.name);
        if (!target || e.type.pointerDepth > 0 || e.type.arraySize !== undefined) return this.unsupported(`cast to ${e.type.name} is not supported yet`, e.type.span);
        const v = this.value(e.expr);
        return { type: { kind: 'int', bits: target.bits, signed: target.signed }, int: { op: 'cast', operand: this.intOf(v, e.expr), bits: target.bits, signed: target.signed } };
      }
      case 'Tuple': {
        const elems = e.elems.map((x) => this.value(x));
        const types = elems.map((x) => storageType(x.type));
        const layout = tupleLayout(types);
        return {
          type: { kind: 'tuple', elems: types },
          blob: { op: 'record', size: layout.size, fields: elems.map((x, i) => ({ offset: layout.fields[i]!.offset, blob: this.blobOf(x, types[i]!) })) },
        };
      }
      case 'Index':
      case 'Sizeof':
      case 'Offsetof':
        return this.unsupported(`${e.kind.toLowerCase()} is not supported yet`, e.span);
    }
  }

  private identifier(e: ast.Identifier): TypedValue {
    const builtin = BUILTIN_VARS[e.name];
    if (builtin) {
      if (builtin.lower.kind === 'comm') return { type: builtin.type, blob: { op: 'comm', size: sizeOf(builtin.type) } };
      return { type: builtin.type, int: { op: 'builtin', name: builtin.lower.name } };
    }
    if (e.name === 'probe') return stringConst(this.probe.name, 64);
    if (e.name === 'args') {
      if (!this.probe.args) {
        this.diags.error('no-args', `${this.probe.provider} probes have no args`, e.span);
        return this.fail();
      }
      return { type: { kind: 'args' }, int: { op: 'const', value: 0n } };
    }
    const reg = this.probe.registers.find((r) => r.name === e.name);
    if (reg) return this.contextField(reg);
    if (/^arg\d+$/.test(e.name) || e.name === 'retval') {
      this.diags.error('no-such-builtin', `${e.name} is not available in ${this.probe.provider} probes`, e.span);
      return this.fail();
    }
    const hint = didYouMean(e.name, [...Object.keys(BUILTIN_VARS), 'args', 'probe', ...this.probe.registers.map((r) => r.name)]);
    this.diags.error('unknown-identifier', `unknown identifier: ${e.name}`, e.span, hint ? [`did you mean ${hint}?`] : undefined);
    return this.fail();
  }

  private field(e: ast.FieldAccess): TypedValue {
    const obj = this.value(e.object);
    if (obj.type.kind !== 'args') {
      if (obj.type.kind === 'tuple' && /^\d+$/.test(e.field)) return this.tupleElem(obj, Number(e.field), e);
      return this.unsupported(`field access on ${typeToString(obj.type)} is not supported yet`, e.span);
    }
    const f = this.probe.args?.find((a) => a.name === e.field);
    if (!f) {
      const names = (this.probe.args ?? []).map((a) => a.name);
      const hint = didYouMean(e.field, names);
      this.diags.error('unknown-field', `${this.probe.name} has no field named ${e.field}`, e.fieldSpan, [
        ...(hint ? [`did you mean args.${hint}?`] : []),
        ...(names.length && !hint ? [`its fields are: ${names.join(', ')}`] : []),
      ]);
      return this.fail();
    }
    return this.contextField(f);
  }

  private tupleElem(obj: TypedValue, index: number, e: ast.Node): TypedValue {
    if (obj.type.kind !== 'tuple' || index >= obj.type.elems.length) {
      this.diags.error('index-out-of-range', `tuple index ${index} is out of range`, e.span);
      return this.fail();
    }
    return this.unsupported('tuple element access is not supported yet', e.span);
  }

  private contextField(f: ContextField): TypedValue {
    if (f.type.kind === 'str') return { type: f.type, blob: { op: 'ctxBytes', offset: f.offset, size: f.size } };
    const size = f.size as 1 | 2 | 4 | 8;
    const signed = f.type.kind === 'int' && f.type.signed;
    return { type: f.type, int: { op: 'ctxLoad', offset: f.offset, size, signed } };
  }

  private call(e: ast.Call): TypedValue {
    if (e.callee === 'str') {
      if (e.args.length < 1 || e.args.length > 2) {
        this.diags.error('wrong-argument-count', 'str() takes 1 or 2 arguments', e.span);
        return this.fail();
      }
      const arg = this.value(e.args[0]!);
      const size = e.args[1] ? Math.min(Number(this.constInt(e.args[1])) + 1, 256) : DEFAULT_STRLEN;
      if (arg.type.kind === 'str') return arg;
      if (!isIntegral(arg.type)) {
        this.diags.error('type-mismatch', `str() needs a pointer, got ${typeToString(arg.type)}`, e.args[0]!.span);
        return this.fail();
      }
      const space = arg.type.kind === 'ptr' ? arg.type.space : 'kernel';
      return { type: { kind: 'str', size }, blob: { op: 'readStr', addr: arg.int!, size, space } };
    }
    if (isAggregation(e.callee)) {
      this.diags.error('aggregation-outside-map', `${e.callee}() can only be assigned to a map, e.g. @x = ${e.callee}(...)`, e.span);
      return this.fail();
    }
    if (ALL_FUNCTION_NAMES.includes(e.callee)) {
      this.diags.error('no-value', `${e.callee}() has no value and cannot be used in an expression`, e.span);
      return this.fail();
    }
    const hint = didYouMean(e.callee, ALL_FUNCTION_NAMES);
    this.diags.error('unknown-function', `unknown function: ${e.callee}()`, e.calleeSpan, hint ? [`did you mean ${hint}()?`] : undefined);
    return this.fail();
  }

  private binary(e: ast.Binary): TypedValue {
    const l = this.value(e.left);
    const r = this.value(e.right);
    if (e.op === '&&' || e.op === '||') {
      return { type: boolType, int: { op: 'logical', operator: e.op, left: this.intOf(l, e.left), right: this.intOf(r, e.right) } };
    }
    if (l.type.kind === 'str' || r.type.kind === 'str') {
      if ((e.op === '==' || e.op === '!=') && l.type.kind === 'str' && r.type.kind === 'str') {
        const size = Math.max(l.type.size, r.type.size);
        return {
          type: boolType,
          int: { op: 'blobEquals', left: resizeStr(l.blob!, l.type.size, size), right: resizeStr(r.blob!, r.type.size, size), negate: e.op === '!=' },
        };
      }
      this.diags.error('type-mismatch', `operator ${e.op} cannot be used on ${typeToString(l.type)} and ${typeToString(r.type)}`, e.span);
      return this.fail();
    }
    const li = this.intOf(l, e.left);
    const ri = this.intOf(r, e.right);
    const isCompare = ['==', '!=', '<', '<=', '>', '>='].includes(e.op);
    const int = this.arith(e.op, li, ri, literalAware(l, e.left), literalAware(r, e.right));
    return { type: isCompare ? boolType : resultType(literalAware(l, e.left), literalAware(r, e.right)), int };
  }

  private arith(op: ast.BinaryOp, left: IrExpr, right: IrExpr, lt: Type, rt: Type): IrExpr {
    const signed = isSigned(lt) && isSigned(rt);
    return { op: 'binary', operator: op as Exclude<ast.BinaryOp, '&&' | '||'>, left, right, signed };
  }

  // ------------------------------------------------------------------ helpers

  private intOf(v: TypedValue, e: ast.Expr): IrExpr {
    if (v.int && isIntegral(v.type)) return v.int;
    if (v.type.kind !== 'none') this.diags.error('type-mismatch', `expected an integer, got ${typeToString(v.type)}`, e.span);
    return { op: 'const', value: 0n };
  }

  /** The value as a blob of the given storage type (integers widened to their storage size). */
  private blobOf(v: TypedValue, type: Type): IrBlob {
    if (v.blob) return v.type.kind === 'str' && type.kind === 'str' ? resizeStr(v.blob, v.type.size, type.size) : v.blob;
    return { op: 'int', value: v.int, size: Math.min(8, Math.max(1, sizeOf(type))) as 1 | 2 | 4 | 8 };
  }

  private constInt(e: ast.Expr): bigint {
    if (e.kind === 'IntLiteral') return e.value;
    if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'IntLiteral') return -e.operand.value;
    if (e.kind === 'Positional') {
      const text = this.script.positionals[e.index - 1] ?? '0';
      if (/^-?\d+$/.test(text)) return BigInt(text);
    }
    this.diags.error('not-constant', 'expected an integer literal here', e.span);
    return 1n;
  }

  private lookupVar(v: ast.Variable): { id: number; type: Type } | undefined {
    const found = this.vars.get(v.name);
    if (!found) {
      const hint = didYouMean(v.name, [...this.vars.keys()]);
      this.diags.error('undefined-variable', `variable used before it was assigned: ${v.name}`, v.span, hint ? [`did you mean ${hint}?`] : undefined);
    }
    return found;
  }

  private declareVar(name: string, type: Type, span: Span): { id: number; type: Type } | undefined {
    const existing = this.vars.get(name);
    if (existing) {
      if (isIntegral(existing.type) && isIntegral(type)) return existing;
      if (existing.type.kind === 'str' && type.kind === 'str' && type.size <= existing.type.size) return existing;
      if (!typeEquals(existing.type, type)) {
        this.diags.error('variable-type-mismatch', `${name} holds ${typeToString(existing.type)} and cannot be assigned ${typeToString(type)}`, span);
        return undefined;
      }
      return existing;
    }
    const id = this.irVars.length;
    const stored = isIntegral(type) ? i64 : type;
    this.irVars.push({ id, size: isIntegral(type) ? undefined : sizeOf(type) });
    const entry = { id, type: isIntegral(type) ? type : stored };
    this.vars.set(name, entry);
    return entry;
  }

  /**
   * log2 bucket as runtime/value.ts histBucketIndex (bits 0): v < 0 → 0, 0 → 1, 1 → 2, [2^k, 2^(k+1)) → k + 2.
   * A six-step binary search on the highest set bit, through temporaries so no subtree is duplicated.
   */
  private histBucket(v: IrExpr): { stmts: IrStmt[]; bucket: IrExpr } {
    const x = this.temp();
    const r = this.temp();
    const sh = this.temp();
    const c = (n: bigint): IrExpr => ({ op: 'const', value: n });
    const X: IrExpr = { op: 'var', id: x };
    const R: IrExpr = { op: 'var', id: r };
    const SH: IrExpr = { op: 'var', id: sh };
    const stmts: IrStmt[] = [{ op: 'setVar', id: x, value: v }, { op: 'setVar', id: r, value: c(0n) }];
    for (const step of [32n, 16n, 8n, 4n, 2n, 1n]) {
      const ge: IrExpr = { op: 'binary', operator: '>=', left: X, right: c(1n << step), signed: false };
      stmts.push({ op: 'setVar', id: sh, value: { op: 'binary', operator: '*', left: ge, right: c(step), signed: false } });
      stmts.push({ op: 'setVar', id: r, value: { op: 'binary', operator: '+', left: R, right: SH, signed: false } });
      stmts.push({ op: 'setVar', id: x, value: { op: 'binary', operator: '>>', left: X, right: SH, signed: false } });
    }
    const nonNegative: IrExpr = { op: 'binary', operator: '+', signed: false, left: { op: 'binary', operator: '+', left: c(1n), right: R, signed: false }, right: { op: 'binary', operator: '>=', left: X, right: c(1n), signed: false } };
    const negative: IrExpr = { op: 'binary', operator: '<', left: v, right: c(0n), signed: true };
    return { stmts, bucket: { op: 'ternary', cond: negative, then: c(0n), else: nonNegative } };
  }

  private temp(): number {
    const id = this.irVars.length;
    this.irVars.push({ id, size: undefined });
    return id;
  }

  private unsupported(message: string, span: Span): never {
    this.diags.error('not-supported', message, span);
    throw new Unsupported(message);
  }

  private fail(): TypedValue {
    return { type: { kind: 'none' }, int: { op: 'const', value: 0n } };
  }
}

// ------------------------------------------------------------------ free helpers

function stringConst(value: string, size?: number): TypedValue {
  const bytes = Buffer.byteLength(value) + 1;
  const s = Math.max(size ?? bytes, bytes);
  return { type: { kind: 'str', size: s }, blob: { op: 'string', value, size: s } };
}

function resizeStr(blob: IrBlob, from: number, to: number): IrBlob {
  if (from === to) return blob;
  if (from > to) {
    // Truncating a string keeps its NUL: build a record holding the prefix.
    return { op: 'record', size: to, fields: [{ offset: 0, blob: { op: 'record', size: from, fields: [{ offset: 0, blob }] } }] };
  }
  return { op: 'record', size: to, fields: [{ offset: 0, blob }] };
}

function isSigned(t: Type): boolean {
  return t.kind === 'int' && t.signed;
}

/** Integer literals adopt the signedness of the other operand, as bpftrace's do. */
function literalAware(v: TypedValue, e: ast.Expr): Type {
  if (e.kind === 'IntLiteral' && e.value >= 0n) return { kind: 'int', bits: 64, signed: true, literal: true } as Type;
  return v.type;
}

function resultType(a: Type, b: Type): Type {
  const aLit = (a as { literal?: boolean }).literal === true;
  const bLit = (b as { literal?: boolean }).literal === true;
  if (aLit && !bLit) return isSigned(b) ? i64 : u64;
  if (bLit && !aLit) return isSigned(a) ? i64 : u64;
  return isSigned(a) && isSigned(b) ? i64 : u64;
}

function sameTypes(a: readonly Type[], b: readonly Type[]): boolean {
  return a.length === b.length && a.every((t, i) => typeEquals(t, b[i]!) || (t.kind === 'str' && b[i]!.kind === 'str'));
}

function formatKind(t: Type): FormatArgKind {
  switch (t.kind) {
    case 'int':
      return 'integer';
    case 'bool':
      return 'boolean';
    case 'ptr':
      return 'pointer';
    case 'str':
      return 'string';
    case 'none':
      return 'none';
    default:
      return 'other';
  }
}

function describeKind(s: { kind: MapKind; valueType: Type; params: readonly bigint[] }): string {
  switch (s.kind) {
    case 'int':
      return 'an integer';
    case 'value':
      return `a ${typeToString(s.valueType)}`;
    default:
      return `${s.kind}()`;
  }
}

function castTarget(name: string): { bits: 8 | 16 | 32 | 64; signed: boolean } | undefined {
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

/** lhist bucket index as in runtime/value.ts lhistBucketIndex: v < min → 0, v > max → overflow, else 1 + (v-min)/step. */
function lhistBucket(v: IrExpr, min: bigint, max: bigint, step: bigint): IrExpr {
  const overflow = BigInt(lhistSlots(min, max, step) - 1);
  const below: IrExpr = { op: 'binary', operator: '<', left: v, right: { op: 'const', value: min }, signed: true };
  const above: IrExpr = { op: 'binary', operator: '>', left: v, right: { op: 'const', value: max }, signed: true };
  const inner: IrExpr = {
    op: 'binary', operator: '+', signed: false, left: { op: 'const', value: 1n },
    right: { op: 'binary', operator: '/', signed: false, left: { op: 'binary', operator: '-', left: v, right: { op: 'const', value: min }, signed: true }, right: { op: 'const', value: step } },
  };
  return { op: 'ternary', cond: below, then: { op: 'const', value: 0n }, else: { op: 'ternary', cond: above, then: { op: 'const', value: overflow }, else: inner } };
}
