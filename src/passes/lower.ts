import { PacketLowering } from '../builtins/packet.js';
import { TOO_DEEP } from '../syntax/depth.js';
import type * as ast from '../ast/nodes.js';
import { BUILTIN_VARS, isAggregation, ALL_FUNCTION_NAMES } from '../builtins/builtins.js';
import { TSERIES_CELL, tseriesArgs, tseriesStmts } from '../builtins/tseries.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { checkFormatArgs, parseFormat, type FormatArgKind } from '../builtins/printf-check.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrProgram, IrStmt, IrVar } from '../ir/ir.js';
import type { ConcreteProbe, ContextField } from '../providers/provider.js';
import {
  aggregateLayout, boolType, DEFAULT_STRLEN, i64, noneType, isIntegral, sizeOf, storageType, tupleLayout, typeEquals, typeToString, u64,
  type Type,
} from '../types/types.js';
import type { MapKind, MapSpec } from './program-info.js';
import { didYouMean } from './suggest.js';
import { byteLength, histBucketCount, lhistBucketCount, recordLayout, type EventSpec } from '../contract/index.js';
import { targetBuiltin, type TargetProcess } from './target-process.js';
import { probeGuards } from './probe-guards.js';
import { lowerUsdtArg } from './usdt-lower.js';
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from '../builtins/functions.js';
import { strSizes } from '../builtins/str-size.js';
import type { InternalMapDef, LowerContext } from '../builtins/library.js';
import { kernelBtfTypes, cSizeOf, cTypeName as typeName, findMember, memberNames, type CType } from '../kernel/btf.js';
import { pointee, ptrType, TypeResolver, valueTypeOf } from './lower-types.js';
import { enumConstant } from './enums.js';
import { contextFieldValue } from './lower-context.js';
import { expandMacro, type Expansion } from './macros.js';
import { lowerForMap, rangeNeedsBpfLoop } from './lower-for-map.js';
import { arithResult, asInt64, compareSigned, constType, foldBinary, foldUnary, literalType, promoteInt, renderRuntimeWarning, type Folded } from './int-semantics.js';
import type { SourceFile } from '../common/span.js';
import { convertBlob, intFitsInto, mergeVarType } from './var-types.js';
import { cValueType } from './struct-values.js';
import { getoptValue, type NamedParam } from './named-params.js';
import { blobAs, keyBlob, keyLayoutTypes, keySite, valueStorageType, type KeySite } from './lower-maps.js';
import { promoteType, TypeTable } from './resolve-types.js';

/** A typed value: integers (and bools, pointers) as an IR expression, aggregates as a blob. */
type TypedValue = { readonly type: Type; readonly int: IrExpr; readonly blob?: undefined } | { readonly type: Type; readonly blob: IrBlob; readonly int?: undefined };

/** State shared by every probe of one script. */
export interface ScriptState {
  /** `-p PID` / `-c CMD`: the implicit pid filter and `cpid` (src/passes/target-process.ts). */
  readonly target?: TargetProcess;
  /** Every map's resolved types; the same Map as `table.maps` when a TypeTable is given. */
  readonly maps: Map<string, MapSpec>;
  /** Map types resolved over the whole script (src/passes/resolve-types.ts); every use is observed in it. */
  readonly table?: TypeTable;
  readonly events: EventSpec[];
  readonly positionals: readonly string[];
  /** Map name → IR map id; filled as maps are first used. */
  readonly mapIds: Map<string, number>;
  /** Type names (script structs, then kernel BTF); a default without script structs when absent. */
  readonly types?: TypeResolver;
  /** The script's macros by name. */
  readonly macros?: ReadonlyMap<string, ast.MacroDef>;
  /** `config = { max_strlen = N }`: the size of strings read with str() without a length. */
  readonly maxStrlen?: number;
  /** Config str_trunc_trailer: printed after a str() value that was truncated (default `..`). */
  readonly strTruncTrailer?: string;
  /** `--unsafe`: allow system(), signal() (src/builtins/output.ts). */
  readonly unsafe?: boolean;
  /** `config = { stack_mode = perf }` / BPFTRACE_STACK_MODE: kstack/ustack's mode when none is given. */
  readonly stackMode?: 'bpftrace' | 'perf' | 'raw';
  /** The whole config (the `config` record of the function library). */
  readonly config?: import('./config.js').ScriptConfig;
  /** Internal maps the function library asked for (stack traces, start time), by name; ids come from `mapIds`. */
  readonly internalMaps?: Map<string, InternalMapDef>;
  /** The script's text, to render runtime warnings (division by zero) with their place. */
  readonly source?: SourceFile;
  /** Scratch variable types learned by the first lowering round, by probe and declaration (src/passes/var-types.ts). */
  readonly varTypes?: Map<string, Type>;
  /** getopt() parameters the script declares, and the `--name[=value]` ones given (src/passes/named-params.ts). */
  readonly namedParams?: Map<string, NamedParam>;
  readonly givenParams?: ReadonlyMap<string, string | undefined>;
  /**
   * bpftrace's warning level: 0 `--no-warnings` (no helper checks), 1 default (map updates),
   * 2 `-k` (also probe reads and map lookups). Changes the code: part of the compile cache key.
   */
  readonly warningLevel?: 0 | 1 | 2;
}

/** A C object in memory: where it is, its C type and address space (struct fields, array elements, `*p`). */
interface Place {
  readonly addr: IrExpr;
  readonly ctype: CType;
  readonly space: 'user' | 'kernel';
  /** Bitfields: bit offset from `addr` and width. */
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

const MAX_LHIST_SLOTS = 1002;

/** Value size in bytes of a map of this kind, per CPU for per-CPU kinds. */
export function mapValueSize(spec: MapSpec): number {
  switch (spec.kind) {
    case 'count': case 'sum': case 'int':
      return 8;
    case 'min': case 'max': case 'avg': case 'stats':
      return 16;
    case 'hist':
      return 8 * histBucketCount(Number(spec.params[0] ?? 0n));
    case 'lhist':
      return 8 * lhistBucketCount(spec.params[0]!, spec.params[1]!, spec.params[2]!);
    case 'tseries':
      return TSERIES_CELL;
    case 'value':
      return Math.max(1, sizeOf(spec.valueType));
  }
}

export function isPerCpuKind(kind: MapKind): boolean {
  return kind !== 'int' && kind !== 'value';
}

export { keyLayoutTypes };

class Unsupported extends Error {}

/** Nesting of `value`/`fold` calls lowering tolerates; above src/syntax/depth.ts MAX_AST_DEPTH, far below a stack overflow. */
const MAX_LOWER_DEPTH = 600;

/**
 * Checks and lowers one concrete probe's body to IR. Expression types are computed as the code is
 * lowered; every map use is observed in the script's TypeTable (src/passes/resolve-types.ts), which
 * holds the types resolved over all probes, and its keys and values are converted to that layout
 * (src/passes/lower-maps.ts). Type resolution runs this same walk (its IR discarded) to a fixed point.
 */
export class ProbeLowerer {
  /** Lexical scopes of scratch variables, innermost last: a variable lives in the block that first assigns it. */
  private readonly scopes: Map<string, { id: number; type: Type; key?: string; fixed?: boolean }>[] = [new Map()];
  private readonly irVars: IrVar[] = [];
  /** Enclosing while/for loops: `break` and `continue` are valid only inside one. */
  private loopDepth = 0;
  /** The loops around the statement being lowered, innermost last (bpftrace's JumpDisallowed names). */
  private readonly loopKinds: ('for-loop' | 'while-loop')[] = [];
  private types: TypeResolver;

  constructor(
    private readonly script: ScriptState,
    private readonly probe: ConcreteProbe,
    private readonly diags: Diagnostics,
    /** When given, the type of every expression lowered (the typed AST of `-d types`). */
    private readonly exprTypes?: Map<ast.Expr, Type>,
  ) {
    this.types = script.types ?? new TypeResolver([], () => kernelBtfTypes());
    this.table = script.table ?? new TypeTable(script.source);
    if (!script.table) for (const spec of script.maps.values()) this.table.maps.set(spec.name, spec);
  }
  private readonly table: TypeTable;

  private findVar(name: string): { id: number; type: Type; key?: string; fixed?: boolean } | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  private scoped<T>(f: () => T): T {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  lower(node: ast.Probe, name: string, section: string): IrProgram {
    const body: IrStmt[] = [...probeGuards(this.probe, this.script.target)];
    if (node.predicate) {
      const cond = this.predicate(node.predicate);
      if (cond) body.push({ op: 'if', cond: { op: 'unary', operator: '!', operand: cond }, then: [{ op: 'return' }], else: [] });
    }
    body.push(...this.block(node.body));
    // Packet probes (src/builtins/packet.ts): the default verdict and the header copies come first.
    const verdict = this.packet.verdict();
    return { name, section, vars: this.irVars, body: [...this.packet.prologue(), ...body], ...(verdict ? { verdict } : {}) };
  }

  private packetView: PacketLowering | undefined;
  /** The `pkt` view and verdicts of xdp/tc probes (inert in other probes). */
  private get packet(): PacketLowering {
    return (this.packetView ??= new PacketLowering(this.probe, this.libContext()));
  }

  /** The predicate's condition; undefined after an error it reported (as statements are caught in `stmtCaught`). */
  private predicate(e: ast.Expr): IrExpr | undefined {
    try {
      return this.condition(e);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      return undefined;
    }
  }

  // ------------------------------------------------------------------ statements

  private block(b: ast.Block): IrStmt[] {
    return this.scoped(() => this.blockStmts(b));
  }

  private blockStmts(b: ast.Block): IrStmt[] {
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
        return s.target.kind === 'MapRef' ? this.withMapErr(this.assignMap(s.target, s.op, s.value, s), s.span) : this.assignVar(s.target, s.op, s.value, s);
      case 'VarDecl':
        return this.varDecl(s);
      case 'If': {
        // A condition known now (literals, positionals) lowers only the branch taken, as bpftrace's
        // literal folding does: a fail() in the other branch is never reached.
        const known = this.fold(s.cond);
        if (known !== undefined && known !== 'error') {
          const taken = known.kind === 'bool' ? known.value : known.value !== 0n;
          if (taken) return this.block(s.then);
          return s.else ? (s.else.kind === 'Block' ? this.block(s.else) : this.stmt(s.else)) : [];
        }
        const cond = this.condition(s.cond);
        const then = this.block(s.then);
        const otherwise = s.else ? (s.else.kind === 'Block' ? this.block(s.else) : this.stmt(s.else)) : [];
        return cond ? [{ op: 'if', cond, then, else: otherwise }] : [];
      }
      case 'Return':
        return [{ op: 'return' }];
      case 'While': {
        const cond = this.condition(s.cond) ?? { op: 'const', value: 0n };
        this.loopKinds.push('while-loop');
        let body: IrStmt[];
        try {
          body = this.loopBody(s.body);
        } finally {
          this.loopKinds.pop();
        }
        return [{ op: 'loop', cond, body, step: [] }];
      }
      case 'Unroll': {
        const n = this.constInt(s.count);
        if (n < 1n || n > 100n) {
          this.diags.error('invalid-argument', 'unroll() needs a count from 1 to 100', s.count.span);
          return [];
        }
        const out: IrStmt[] = [];
        for (let i = 0n; i < n; i++) out.push(...this.block(s.body));
        return out;
      }
      case 'ForRange':
      case 'ForMap':
        this.loopKinds.push('for-loop');
        try {
          if (s.kind === 'ForRange') return this.forRange(s);
          const err = this.helperErr('for_each_map_elem', s.span, false);
          return this.forMap(s).map((st) => (st.op === 'forEachMap' && err !== undefined ? { ...st, err } : st));
        } finally {
          this.loopKinds.pop();
        }
      case 'Jump':
        if (this.loopDepth === 0) {
          this.diags.error('jump-outside-loop', `${s.jump} can only be used inside a while or for loop`, s.span);
          return [];
        }
        return [{ op: s.jump }];
    }
  }

  private loopBody(b: ast.Block, prologue?: () => IrStmt[]): IrStmt[] {
    this.loopDepth++;
    try {
      return this.scoped(() => [...(prologue?.() ?? []), ...this.blockStmts(b)]);
    } finally {
      this.loopDepth--;
    }
  }

  /** `for ($i : a..b)`: the bounds are evaluated once; `$i` is set from a hidden counter each iteration. */
  private forRange(s: ast.ForRange): IrStmt[] {
    const from = this.value(s.from);
    const to = this.value(s.to);
    const counter = this.temp();
    const end = this.temp();
    const C: IrExpr = { op: 'var', id: counter };
    if (rangeNeedsBpfLoop(this.intOf(from, s.from), this.intOf(to, s.to))) {
      // A runtime or large bound: one bpf_loop callback per iteration, $i = from + index (src/passes/lower-for-map.ts).
      const index = this.temp();
      const loopBody = this.loopBody(s.body, () => {
        const v = this.declareVar(s.variable.name, i64, s.variable.span, true);
        return v ? [{ op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: C, right: { op: 'var', id: index }, signed: true } }] : [];
      });
      return [
        { op: 'setVar', id: counter, value: this.intOf(from, s.from) },
        { op: 'setVar', id: end, value: this.intOf(to, s.to) },
        { op: 'callbackLoop', count: { op: 'binary', operator: '-', left: { op: 'var', id: end }, right: C, signed: true }, indexVar: index, body: loopBody, err: this.helperErr('loop', s.span, false) },
      ];
    }
    const body = this.loopBody(s.body, () => {
      const v = this.declareVar(s.variable.name, i64, s.variable.span, true);
      return v ? [{ op: 'setVar', id: v.id, value: C }] : [];
    });
    return [
      { op: 'setVar', id: counter, value: this.intOf(from, s.from) },
      { op: 'setVar', id: end, value: this.intOf(to, s.to) },
      {
        op: 'loop',
        cond: { op: 'binary', operator: '<', left: C, right: { op: 'var', id: end }, signed: true },
        body,
        step: [{ op: 'setVar', id: counter, value: { op: 'binary', operator: '+', left: C, right: { op: 'const', value: 1n }, signed: true } }],
      },
    ];
  }

  /** `for ($kv : @map)`: a bpf_for_each_map_elem callback (src/passes/lower-for-map.ts). */
  private forMap(s: ast.ForMap): IrStmt[] {
    return lowerForMap(s, {
      diags: this.diags,
      knownMap: (m) => this.knownMap(m),
      mapId: (name) => this.mapId(name),
      tempBlob: (size) => {
        const id = this.irVars.length;
        this.irVars.push({ id, size });
        return id;
      },
      loopBody: (b, prologue) => this.loopBody(b, prologue),
      declareVar: (name, type, span) => this.declareVar(name, type, span, true),
      keyLayout: keyLayoutTypes,
      valueSize: mapValueSize,
    });
  }

  /** `let $x;`, `let $x = v;`, `let $x: T = v;`: declares `$x` in the current block. */
  private varDecl(s: ast.VarDecl): IrStmt[] {
    if (s.type?.of) {
      const type = this.concreteType(s.type);
      return type ? this.varDecl({ ...s, type }) : [];
    }
    // `let $x;`: no type yet; the assignments that follow give it one (type resolution).
    let declared: Type = s.type || s.value ? i64 : noneType;
    if (s.type?.name === 'string' && s.type.pointerDepth === 0) {
      declared = { kind: 'str', size: s.type.arraySize ?? this.script.maxStrlen ?? DEFAULT_STRLEN };
    } else if (s.type) {
      const ct = this.types.resolve(s.type);
      const t = ct && valueTypeOf(ct, 'kernel');
      if (!t) {
        this.diags.error('unknown-type', `unknown or unsupported type: ${s.type.name}`, s.type.span);
        return [];
      }
      declared = t;
    }
    if (!s.value) {
      const v = this.declareVar(s.variable.name, declared, s.span, true, s.type !== undefined);
      if (!v) return [];
      return !isIntegral(v.type) && v.type.kind !== 'none' ? [{ op: 'setVarBlob', id: v.id, value: { op: 'zero', size: sizeOf(v.type) } }] : [{ op: 'setVar', id: v.id, value: { op: 'const', value: 0n } }];
    }
    let value = this.value(s.value);
    if (s.type && declared.kind === 'int' && value.int && isIntegral(value.type)) {
      value = { type: declared, int: { op: 'cast', operand: value.int, bits: declared.bits, signed: declared.signed } };
    } else if (s.type && !typeEquals(declared, value.type) && !(declared.kind === 'str' && value.type.kind === 'str')) {
      this.diags.error('type-mismatch', `${s.variable.name} is declared ${typeToString(declared)} but assigned ${typeToString(value.type)}`, s.value.span);
      return [];
    }
    const v = this.declareVar(s.variable.name, s.type ? declared : value.type, s.span, true, s.type !== undefined);
    if (!v) return [];
    if (value.blob) return [{ op: 'setVarBlob', id: v.id, value: value.type.kind === 'tuple' ? convertBlob(value.blob, value.type, v.type) : this.blobOf(value, v.type) }];
    return [{ op: 'setVar', id: v.id, value: value.int }];
  }

  private exprStmt(e: ast.Expr): IrStmt[] {
    const verdict = this.packet.statement(e);
    if (verdict) return verdict;
    if (e.kind === 'Update') return this.update(e);
    if (e.kind === 'Call') return this.callStmt(e);
    this.value(e);
    return [];
  }

  private update(e: ast.Update): IrStmt[] {
    const delta: IrExpr = { op: 'const', value: e.op === '++' ? 1n : -1n };
    if (e.target.kind === 'MapRef') {
      const use = this.useMap(e.target, 'int', this.mapKey(e.target), this.counterType(e.target), [], e);
      if (!use) return [];
      return [{ op: 'mapAdd', map: this.mapId(use.spec.name), key: use.key, delta: this.scaledDelta(use.spec, delta), err: this.helperErr('map_update_elem', e.span, false) }];
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
      const bop = op.slice(0, -1) as ast.BinaryOp;
      const type = isIntegral(current.type) && isIntegral(value.type) ? arithResult(bop, current.type, value.type).type : i64;
      value = { type, int: this.arith(bop, { op: 'var', id: current.id }, this.intOf(value, valueExpr), current.type, value.type) };
    }
    const v = this.declareVar(target.name, value.type, node.span);
    if (!v) return [];
    if (value.type.kind === 'int' && v.type.kind === 'int' && !intFitsInto(value.type, v.type) && valueExpr.kind !== 'IntLiteral' && op === '=') {
      this.diags.warning('implicit-cast', `Expression of type: ${typeToString(value.type)} being cast to type: ${typeToString(v.type)}. This may cause unexpected results. Use an explicit cast to suppress this warning.`, valueExpr.span);
    }
    if (value.blob) return [{ op: 'setVarBlob', id: v.id, value: convertBlob(value.blob, value.type, v.type) }];
    return [{ op: 'setVar', id: v.id, value: value.int }];
  }

  private assignMap(target: ast.MapRef, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): IrStmt[] {
    // `@ = { let $a = 100; avg($a) };`: the block's statements, then the aggregation.
    if (valueExpr.kind === 'BlockExpr' && valueExpr.value.kind === 'Call' && isAggregation(valueExpr.value.callee)) {
      const inner = valueExpr.value;
      return this.scoped(() => [...valueExpr.stmts.flatMap((st) => this.stmtCaught(st)), ...this.assignMap(target, op, inner, node)]);
    }
    const key = this.mapKey(target);
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
      const use = this.useMap(target, 'int', key, this.counterType(target), [], node);
      if (!use) return [];
      const id = this.mapId(use.spec.name);
      if (op === '+=' || op === '-=') {
        const delta = this.scaledDelta(use.spec, this.intOf(value, valueExpr));
        return [{ op: 'mapAdd', map: id, key: use.key, delta: op === '+=' ? delta : { op: 'unary', operator: '-', operand: delta } }];
      }
      const current: IrExpr = { op: 'mapGet', map: id, key: use.key };
      const next = this.arith(op.slice(0, -1) as ast.BinaryOp, current, this.intOf(value, valueExpr), i64, value.type);
      return [{ op: 'mapSet', map: id, key: use.key, value: { op: 'int', value: next, size: 8 } }];
    }
    // `none` comes from an expression whose error is already reported.
    if (value.type.kind === 'none') return [];
    if (value.type.kind === 'args') {
      this.diags.error('type-mismatch', `cannot store a value of type ${typeToString(value.type)} in a map`, valueExpr.span);
      return [];
    }
    const stored = valueStorageType(value.type);
    const kind: MapKind = isIntegral(value.type) ? 'int' : 'value';
    const use = this.useMap(target, kind, key, stored, [], node);
    if (!use) return [];
    return [{ op: 'mapSet', map: this.mapId(use.spec.name), key: use.key, value: blobAs(value, kind === 'int' ? u64 : use.spec.valueType) }];
  }

  /** The value type `@x++` / `@x += n` gives a map: its own when it holds a pointer or a settled integer, else int64. */
  private counterType(m: ast.MapRef): Type {
    const t = this.table.maps.get(m.name)?.valueType;
    return t && (t.kind === 'ptr' || t.kind === 'int') ? t : i64;
  }

  /** `@p++` / `@p += n` on a map holding a typed pointer moves it by whole elements (bpftrace's pointer arithmetic). */
  private scaledDelta(spec: MapSpec, delta: IrExpr): IrExpr {
    if (spec.kind !== 'int' || spec.valueType.kind !== 'ptr') return delta;
    const target = pointee(spec.valueType, this.types);
    const size = target && target.kind !== 'void' ? Math.max(1, cSizeOf(target)) : 1;
    return size === 1 ? delta : { op: 'binary', operator: '*', left: delta, right: { op: 'const', value: BigInt(size) }, signed: true };
  }

  private aggregate(target: ast.MapRef, key: KeySite, call: ast.Call): IrStmt[] {
    const name = call.callee as MapKind;
    const arity: Record<string, [number, number]> = {
      count: [0, 0], sum: [1, 1], min: [1, 1], max: [1, 1], avg: [1, 1], stats: [1, 1], hist: [1, 2], lhist: [4, 4], tseries: [3, 4],
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
      if (lhistBucketCount(min, max, step) > MAX_LHIST_SLOTS) {
        this.diags.error('invalid-argument', `lhist() would have more than ${MAX_LHIST_SLOTS - 2} buckets`, call.span);
        return [];
      }
    }
    if (name === 'tseries') {
      // src/builtins/tseries.ts; BPFTRACE_DUMMY_TS_MAP=@ts reads the time from a scalar map (bpftrace's tests).
      const cx = this.libContext();
      const t = tseriesArgs(call, cx);
      if (!t) return [];
      const use = this.useMap(target, name, key, u64, t.params, call);
      if (!use) return [];
      const dummy = process.env.BPFTRACE_DUMMY_TS_MAP;
      const dummyId = dummy && this.script.maps.get(dummy)?.kind === 'int' ? this.mapId(dummy) : undefined;
      return tseriesStmts(use.spec, this.mapId(use.spec.name), use.key, t, cx, dummyId);
    }
    if (name === 'hist' && call.args.length === 2) {
      const bits = this.constInt(call.args[1]!);
      if (bits < 0n || bits > 5n) {
        this.diags.error('invalid-argument', `hist() bits must be between 0 and 5, got ${bits}`, call.args[1]!.span);
        return [];
      }
      if (bits !== 0n) params = [bits];
    }
    const use = this.useMap(target, name, key, u64, params, call);
    if (!use) return [];
    const id = this.mapId(use.spec.name);
    const keyBlob = use.key;
    if (name === 'count') return [{ op: 'mapAdd', map: id, key: keyBlob, delta: { op: 'const', value: 1n } }];
    const argExpr = call.args[0]!;
    const arg = this.value(argExpr);
    const v = this.intOf(arg, argExpr);
    switch (name) {
      case 'sum':
        return [{ op: 'mapAdd', map: id, key: keyBlob, delta: v }];
      case 'min':
      case 'max':
        return [{ op: 'mapMinMax', map: id, key: keyBlob, value: v, which: name }];
      case 'avg':
      case 'stats':
        return [{ op: 'mapCountTotal', map: id, key: keyBlob, value: v }];
      case 'hist': {
        const bits = Number(params[0] ?? 0n);
        const { stmts, bucket } = this.histBucket(v, bits);
        return [...stmts, { op: 'mapBucketAdd', map: id, key: keyBlob, bucket, slots: histBucketCount(bits) }];
      }
      case 'lhist': {
        const [min, max, step] = params as [bigint, bigint, bigint];
        return [{ op: 'mapBucketAdd', map: id, key: keyBlob, bucket: lhistBucket(v, min, max, step), slots: lhistBucketCount(min, max, step) }];
      }
      default:
        return [];
    }
  }

  private callStmt(call: ast.Call): IrStmt[] {
    const macro = this.script.macros?.get(call.callee);
    if (macro) return this.macroStmts(call, macro);
    switch (call.callee) {
      case 'printf':
        return this.printf(call);
      case 'exit': {
        if (call.args.length > 1) this.diags.error('wrong-argument-count', 'exit() takes at most 1 argument', call.span);
        // bpftrace 0.25+: exit() carries an implicit `return`, which a for-loop (and a while-loop
        // inside one) does not allow (control_flow_analyser.cpp ExitReturn + JumpDisallowed).
        if (this.loopKinds.includes('for-loop')) {
          this.diags.error('jump-not-allowed', `'return' statement is not allowed in a ${this.loopKinds[this.loopKinds.length - 1]}`, call.span);
          return [];
        }
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
      case 'time': {
        const fmt = call.args[0];
        const format = fmt === undefined ? '%H:%M:%S\n' : fmt.kind === 'StringLiteral' ? fmt.value : undefined;
        if (format === undefined) {
          this.diags.error('invalid-argument', 'time() takes a string literal format', call.span);
          return [];
        }
        return [this.emit({ kind: 'time', format, args: [] }, [])];
      }
      default: {
        const lib = LIBRARY_FUNCTIONS.get(call.callee);
        if (lib?.stmt) return lib.stmt(call, this.libContext());
        if (isAggregation(call.callee)) {
          this.diags.error('aggregation-outside-map', `${call.callee}() can only be assigned to a map, e.g. @x = ${call.callee}(...)`, call.span);
          return [];
        }
        this.value(call);
        return [];
      }
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
    // A pointer printed with %s prints its address: almost always a missing str() (bpftrace 0.17 rejects it too).
    const ptrAsStr = parsed.specs.findIndex((sp, i) => sp.conversion === 's' && args[i]?.type.kind === 'ptr');
    if (ptrAsStr >= 0) {
      const argExpr = call.args[ptrAsStr + 1]!;
      this.diags.error('invalid-format', `%s needs a string, got a pointer (${typeToString(args[ptrAsStr]!.type)})`, argExpr.span, [`read the string it points to with str(${sourceText(this.script.source, argExpr.span) ?? '...'})`]);
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

  /** The key a use gives (its values, with their own types): converted to the map's layout by `keyFor`. */
  private mapKey(m: ast.MapRef): KeySite {
    return keySite(m.keys.map((k) => this.value(k)));
  }

  /** The key blob of a use of map `m`, laid out as its resolved key types (src/passes/lower-maps.ts). */
  private keyFor(m: ast.MapRef, site: KeySite, spec: MapSpec): IrBlob | undefined {
    const types = this.table.observeKeys(spec.name, site.types, m.span, this.diags);
    return types ? keyBlob(site, types) : undefined;
  }

  private keyBlob(keyExprs: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): IrBlob | undefined {
    return this.keyFor(m, this.mapKey({ ...m, keys: keyExprs }), spec);
  }

  /**
   * An assignment or aggregation to map `m`: its resolved spec (src/passes/resolve-types.ts) and
   * the key blob in the map's key layout; undefined after a conflict was reported.
   */
  private useMap(m: ast.MapRef, kind: MapKind, key: KeySite, valueType: Type, params: readonly bigint[], node: ast.Node): { spec: MapSpec; key: IrBlob } | undefined {
    const spec = this.table.observeValue(m.name, kind, key.types, valueType, params, node, this.diags, m.span);
    return spec ? { spec, key: keyBlob(key, spec.keyTypes) } : undefined;
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

  /** How deeply `value`/`fold` are nested now: macro expansions nest beyond the AST's own depth (src/syntax/depth.ts). */
  private exprDepth = 0;

  /** Runs `f` one expression level deeper; past MAX_LOWER_DEPTH a `too-deep` diagnostic at `e` instead of a stack overflow. */
  private deeper<T>(e: ast.Expr, f: () => T): T {
    if (this.exprDepth >= MAX_LOWER_DEPTH) {
      this.diags.error(TOO_DEEP, `expression nests more than ${MAX_LOWER_DEPTH} levels deep once macros are expanded`, { start: e.span.start, end: e.span.start + 1 }, [
        'macros calling macros multiply their bodies\' depth: move inner parts into variables',
      ]);
      throw new Unsupported('too deep');
    }
    this.exprDepth++;
    try {
      return f();
    } finally {
      this.exprDepth--;
    }
  }

  value(e: ast.Expr): TypedValue {
    return this.deeper(e, () => {
      const v = this.lowerValue(e);
      this.exprTypes?.set(e, v.type);
      return v;
    });
  }

  private lowerValue(e: ast.Expr): TypedValue {
    const packetValue = this.packet.value(e);
    if (packetValue) return packetValue;
    switch (e.kind) {
      case 'IntLiteral':
        return { type: literalType(e.value), int: { op: 'const', value: asInt64(e.value, true) } };
      case 'BoolLiteral':
        return { type: boolType, int: { op: 'const', value: e.value ? 1n : 0n } };
      case 'StringLiteral':
        return stringConst(e.value);
      case 'Positional':
      case 'PositionalCount':
        return this.foldedValue(e) ?? stringConst(this.script.positionals[(e.kind === 'Positional' ? e.index : 0) - 1] ?? '');
      case 'Variable': {
        const v = this.lookupVar(e);
        if (!v) return this.fail();
        if (isIntegral(v.type)) return { type: v.type, int: { op: 'var', id: v.id } };
        if (v.type.kind === 'none') return { type: i64, int: { op: 'var', id: v.id } };
        return { type: v.type, blob: { op: 'varBlob', id: v.id, size: sizeOf(v.type) } };
      }
      case 'MapRef': {
        const spec = this.knownMap(e);
        if (!spec) return this.fail();
        const key = this.keyBlob(e.keys, spec, e);
        if (!key) return this.fail();
        if (spec.kind === 'count' || spec.kind === 'sum' || spec.kind === 'min' || spec.kind === 'max' || spec.kind === 'avg') {
          // bpftrace reads a per-CPU aggregation in a probe by combining every CPU's slot.
          return { type: spec.kind === 'count' ? u64 : i64, int: { op: 'mapAggRead', map: this.mapId(spec.name), key, agg: spec.kind } };
        }
        if (spec.kind === 'int') {
          if (isPerCpuKind(spec.kind)) return this.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
          return { type: spec.valueType.kind === 'int' || spec.valueType.kind === 'ptr' ? spec.valueType : i64, int: { op: 'mapGet', map: this.mapId(spec.name), key, err: this.helperErr('map_lookup_elem', e.span, true) } };
        }
        if (spec.kind === 'value') {
          const size = sizeOf(spec.valueType);
          return { type: spec.valueType, blob: { op: 'mapGetBlob', map: this.mapId(spec.name), key, size, err: this.helperErr('map_lookup_elem', e.span, true) } };
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
        if (e.op === '*') return this.deref(e);
        if (e.op === '&') return this.addressOf(e);
        const folded = this.foldedValue(e);
        if (folded) return folded;
        const v = this.value(e.operand);
        const operand = this.intOf(v, e.operand);
        // bpftrace: `-x` and `~x` are 64-bit and keep x's sign; `!x` is a bool.
        const type: Type = e.op === '!' ? boolType : v.type.kind === 'int' && !v.type.signed ? u64 : i64;
        return { type, int: { op: 'unary', operator: e.op, operand } };
      }
      case 'Update':
        return this.updateValue(e);
      case 'Ternary':
        return this.ternary(e);
      case 'Cast': {
        if (e.type.of) {
          const type = this.concreteType(e.type);
          return type ? this.value({ ...e, type }) : this.fail();
        }
        const target = castTarget(e.type.name);
        if (!target || e.type.pointerDepth > 0 || e.type.arraySize !== undefined) return this.typedCast(e);
        const v = this.value(e.expr);
        if (v.blob && v.type.kind === 'tuple' && v.type.array) {
          // int array → int of the same size: its bytes (bpftrace 0.19).
          if (sizeOf(v.type) !== target.bits / 8) {
            this.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} (${sizeOf(v.type)} bytes) to ${e.type.name} (${target.bits / 8} bytes)`, e.span);
            return this.fail();
          }
          return { type: { kind: 'int', bits: target.bits, signed: target.signed }, int: { op: 'blobLoad', blob: v.blob, offset: 0, size: (target.bits / 8) as 1 | 2 | 4 | 8, signed: target.signed } };
        }
        return { type: { kind: 'int', bits: target.bits, signed: target.signed }, int: { op: 'cast', operand: this.intOf(v, e.expr), bits: target.bits, signed: target.signed } };
      }
      case 'Tuple': {
        const elems = e.elems.map((x) => this.value(x));
        const types = elems.map((x) => elemStorageType(x.type));
        const layout = tupleLayout(types);
        return {
          type: { kind: 'tuple', elems: types },
          blob: { op: 'record', size: layout.size, fields: elems.map((x, i) => ({ offset: layout.fields[i]!.offset, blob: this.blobOf(x, types[i]!) })) },
        };
      }
      case 'Record': {
        // bpftrace evaluates the fields in the order written.
        const elems = e.elems.map((x) => this.value(x));
        const types = elems.map((x) => elemStorageType(x.type));
        const layout = tupleLayout(types);
        return {
          type: { kind: 'tuple', elems: types, names: e.names },
          blob: { op: 'record', size: layout.size, fields: elems.map((x, i) => ({ offset: layout.fields[i]!.offset, blob: this.blobOf(x, types[i]!) })) },
        };
      }
      case 'Index':
        return this.index(e);
      case 'Sizeof':
        return this.sizeofExpr(e);
      case 'Offsetof':
        return this.offsetofExpr(e);
      case 'BlockExpr':
        return this.blockValue(e);
      case 'TypeArg':
        return this.unsupported('a type, typeof(...), is a value only as a macro argument (macro m(t) { (t)$x })', e.span);
    }
  }

  /** `{ stmts; value }`: the statements in their own scope, then the value (bpftrace 0.24 block expressions). */
  private blockValue(e: ast.BlockExpr): TypedValue {
    return this.scoped(() => {
      const stmts = e.stmts.flatMap((st) => this.stmtCaught(st));
      const v = this.value(e.value);
      if (stmts.length === 0) return v;
      return v.blob ? { type: v.type, blob: { op: 'seqBlob', stmts, value: v.blob } } : { type: v.type, int: { op: 'seq', stmts, value: v.int } };
    });
  }

  /** A macro call as a statement: its body's statements, in their own scope. */
  private macroStmts(call: ast.Call, def: ast.MacroDef): IrStmt[] {
    const exp = this.expandGuarded(call, def);
    if (!exp) return [];
    this.macroDepth++;
    try {
      return this.scoped(() => exp.stmts.flatMap((st) => this.stmtCaught(st)));
    } finally {
      this.macroDepth--;
    }
  }

  /** A macro call as a value: the body's statements, then its final expression. */
  private macroValue(call: ast.Call, def: ast.MacroDef): TypedValue {
    const exp = this.expandGuarded(call, def);
    if (!exp) return this.fail();
    const last = exp.stmts[exp.stmts.length - 1];
    if (!last || last.kind !== 'ExprStmt') {
      this.diags.error('no-value', `macro ${def.name}() has no value: its body does not end with an expression`, call.span);
      return this.fail();
    }
    this.macroDepth++;
    try {
      return this.scoped(() => {
        const stmts = exp.stmts.slice(0, -1).flatMap((st) => this.stmtCaught(st));
        const v = this.value(last.expr);
        if (stmts.length === 0) return v;
        return v.blob ? { type: v.type, blob: { op: 'seqBlob', stmts, value: v.blob } } : { type: v.type, int: { op: 'seq', stmts, value: v.int } };
      });
    } finally {
      this.macroDepth--;
    }
  }

  private macroDepth = 0;

  private expandGuarded(call: ast.Call, def: ast.MacroDef): Expansion | undefined {
    if (this.macroDepth >= 16) {
      this.diags.error('macro-recursion', `macro ${def.name}() expands too deeply (recursive macro?)`, call.span);
      return undefined;
    }
    return expandMacro(def, call, this.diags);
  }

  private stmtCaught(st: ast.Stmt): IrStmt[] {
    try {
      return this.stmt(st);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      return [];
    }
  }

  /** `$x++` / `--@m[k]` as a value: the old value for postfix, the new one for prefix. */
  private updateValue(e: ast.Update): TypedValue {
    const delta: IrExpr = { op: 'const', value: e.op === '++' ? 1n : -1n };
    if (e.target.kind === 'MapRef') {
      const stmts = this.update(e);
      if (stmts.length === 0) return this.fail();
      const add = stmts[0]!;
      if (add.op !== 'mapAdd') return this.fail();
      const spec = this.script.maps.get(e.target.name);
      if (spec && isPerCpuKind(spec.kind)) return this.unsupported(`reading ${spec.kind}() map ${spec.name} in a probe is not supported yet`, e.span);
      const current: IrExpr = { op: 'mapGet', map: add.map, key: add.key };
      if (e.prefix) return { type: i64, int: { op: 'seq', stmts, value: current } };
      const t = this.temp();
      return { type: i64, int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: current }, ...stmts], value: { op: 'var', id: t } } };
    }
    const v = this.lookupVar(e.target);
    if (!v) return this.fail();
    if (!isIntegral(v.type)) {
      this.diags.error('type-mismatch', `${e.op} needs an integer variable, ${e.target.name} holds ${typeToString(v.type)}`, e.span);
      return this.fail();
    }
    const cur: IrExpr = { op: 'var', id: v.id };
    const step: IrStmt = { op: 'setVar', id: v.id, value: { op: 'binary', operator: '+', left: cur, right: delta, signed: true } };
    if (e.prefix) return { type: v.type, int: { op: 'seq', stmts: [step], value: cur } };
    const t = this.temp();
    return { type: v.type, int: { op: 'seq', stmts: [{ op: 'setVar', id: t, value: cur }, step], value: { op: 'var', id: t } } };
  }

  private ternary(e: ast.Ternary): TypedValue {
    const cond = this.condition(e.cond) ?? { op: 'const', value: 0n };
    const thenV = e.then ? this.value(e.then) : this.value(e.cond);
    const elseV = this.value(e.else);
    if (isIntegral(thenV.type) && isIntegral(elseV.type)) {
      const type = thenV.type.kind === 'int' && elseV.type.kind === 'int' ? promoteInt(thenV.type, elseV.type) : thenV.type;
      return { type, int: { op: 'ternary', cond, then: thenV.int!, else: elseV.int! } };
    }
    if (thenV.type.kind === 'str' && elseV.type.kind === 'str') {
      const size = Math.max(thenV.type.size, elseV.type.size);
      return {
        type: { kind: 'str', size },
        blob: { op: 'select', cond, then: resizeStr(thenV.blob!, thenV.type.size, size), else: resizeStr(elseV.blob!, elseV.type.size, size), size },
      };
    }
    // Tuples and records of compatible shapes meet in their promoted type (bpftrace's get_promoted_tuple).
    const common = thenV.blob && elseV.blob ? promoteType(thenV.type, elseV.type) : undefined;
    if (common) {
      return { type: common, blob: { op: 'select', cond, then: blobAs(thenV, common), else: blobAs(elseV, common), size: sizeOf(common) } };
    }
    if (thenV.type.kind !== 'none' && elseV.type.kind !== 'none') {
      this.diags.error('type-mismatch', `the branches of ?: have different types: ${typeToString(thenV.type)} and ${typeToString(elseV.type)}`, e.span);
    }
    return this.fail();
  }

  // ------------------------------------------------------------------ C types: casts, pointers, fields

  /** Casts to pointer, array and named types: `(struct task_struct *)curtask`, `(uint8[8])x`, `(pid_t)x`. */
  private typedCast(e: ast.Cast): TypedValue {
    const ct = this.types.resolve(e.type);
    if (!ct) return this.unknownType(e.type);
    const v = this.value(e.expr);
    if (ct.kind === 'array') return this.arrayCast(e, ct, v);
    if (ct.kind === 'ptr') {
      if (!isIntegral(v.type)) {
        this.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} to a pointer`, e.span);
        return this.fail();
      }
      const space = v.type.kind === 'ptr' ? v.type.space : this.defaultSpace();
      return { type: ptrType(ct, space), int: v.int! };
    }
    const t = valueTypeOf(ct, 'kernel');
    if (t && t.kind === 'int') return { type: t, int: { op: 'cast', operand: this.intOf(v, e.expr), bits: t.bits, signed: t.signed } };
    if (t && t.kind === 'bool') return { type: t, int: { op: 'binary', operator: '!=', left: this.intOf(v, e.expr), right: { op: 'const', value: 0n }, signed: false } };
    return this.unsupported(`cast to ${e.type.name}${e.type.arraySize !== undefined ? `[${e.type.arraySize}]` : ''} is not supported yet`, e.type.span);
  }

  /**
   * `(int8[8])12345`, `(uint8[])x` (size from the operand), `(int8[])"hello"`: the operand's bytes
   * seen as an array of integers (bpftrace 0.19); integers are 8 bytes unless the size says less.
   */
  private arrayCast(e: ast.Cast, ct: CType & { kind: 'array' }, v: TypedValue): TypedValue {
    if (v.type.kind === 'none') return v;
    const elem = ct.elem;
    if (elem.kind !== 'int' || ![1, 2, 4, 8].includes(elem.size)) {
      return this.unsupported(`cast to an array of ${typeName(elem)} is not supported: only integer arrays`, e.type.span);
    }
    const from = isIntegral(v.type) ? 8 : v.blob ? sizeOf(v.type) : 0;
    const total = ct.count === 0 ? from : ct.count * elem.size;
    const ok = isIntegral(v.type) ? [1, 2, 4, 8].includes(total) && total <= from : total === from;
    if (!ok || total % elem.size !== 0 || from === 0) {
      this.diags.error('type-mismatch', `cannot cast ${typeToString(v.type)} to ${typeName(elem)}[${ct.count || total / Math.max(1, elem.size)}]`, e.span);
      return this.fail();
    }
    const count = total / elem.size;
    const type = cValueType({ kind: 'array', elem: { ...elem, isChar: false }, count }, 'kernel');
    if (typeof type === 'string') return this.unsupported(type, e.type.span);
    const blob: IrBlob = v.blob ?? { op: 'int', value: v.int, size: total as 1 | 2 | 4 | 8 };
    return { type, blob };
  }

  /**
   * `typeof(type)` / `typeof(expr)` (bpftrace 0.26) as the plain type it stands for; the expression
   * is only typed, never run. A lone identifier that names a type is that type (`typeof(pid_t)`).
   * Undefined (after a diagnostic) when the type has no written form here.
   */
  private concreteType(te: ast.TypeExpr): ast.TypeExpr | undefined {
    const of = te.of;
    if (!of) return te;
    if (of.kind === 'TypeExpr') return this.concreteType(of);
    const plain = (name: string, pointerDepth = 0, arraySize?: number): ast.TypeExpr => ({ kind: 'TypeExpr', span: te.span, name, pointerDepth, arraySize });
    // bpftrace: a bare identifier that is not a builtin names a type there (never a macro).
    if (of.kind === 'Identifier' && !BUILTIN_VARS[of.name] && !LIBRARY_VARS.has(of.name) && !/^(args|probe|retval|s?arg\d+)$/.test(of.name)) return plain(of.name);
    const t = this.value(of).type;
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
        this.diags.error('unsupported', `typeof: a value of type ${typeToString(t)} cannot be used as a type here`, te.span);
        return undefined;
    }
  }

  private unknownType(te: ast.TypeExpr): TypedValue {
    const isStruct = /^(struct|union|enum) /.test(te.name);
    const hint = isStruct ? didYouMean(te.name, this.types.knownStructNames()) : undefined;
    this.diags.error('unknown-type', `unknown type: ${te.name}`, te.span, [
      ...(hint ? [`did you mean ${hint}?`] : []),
      ...(isStruct && !kernelBtfTypes() ? ['this kernel has no BTF (/sys/kernel/btf/vmlinux): define the struct in the script'] : []),
    ]);
    return this.fail();
  }

  /** Pointers read from a probe's context: user space for uprobes and syscall arguments, kernel otherwise. */
  private defaultSpace(): 'user' | 'kernel' {
    if (this.probe.provider.startsWith('u')) return 'user';
    // Syscall arguments point into the caller's memory (an address kept in a map loses its pointer type).
    return this.probe.name.startsWith('tracepoint:syscalls:') ? 'user' : 'kernel';
  }

  /** The memory a field access, index or `*p` denotes, when it denotes memory (not a tuple or args field). */
  private place(e: ast.Expr): Place | undefined {
    if (e.kind === 'FieldAccess') {
      const base = this.placeOrPointee(e.object);
      if (!base) return undefined;
      if (base.ctype.kind !== 'record') {
        this.diags.error('not-a-struct', `${e.field}: ${typeName(base.ctype)} is not a struct or union`, e.fieldSpan);
        throw new Unsupported('field of non-struct');
      }
      const m = findMember(base.ctype, e.field);
      if (!m) {
        const hint = didYouMean(e.field, memberNames(base.ctype));
        this.diags.error('unknown-field', `${typeName(base.ctype)} has no field named ${e.field}`, e.fieldSpan, hint ? [`did you mean ${hint}?`] : undefined);
        throw new Unsupported('unknown field');
      }
      const byteOff = Math.floor(m.bitOffset / 8);
      const addr = addOffset(base.addr, byteOff);
      if (m.bitSize > 0) return { addr, ctype: m.type, space: base.space, bitOffset: m.bitOffset % 8, bitSize: m.bitSize };
      return { addr, ctype: m.type, space: base.space };
    }
    if (e.kind === 'Index') {
      const base = this.placeOrPointee(e.object);
      if (!base) return undefined;
      const elem = base.ctype.kind === 'array' ? base.ctype.elem : base.ctype;
      const size = cSizeOf(elem);
      const idx = this.value(e.index);
      if (base.ctype.kind === 'array' && e.index.kind === 'IntLiteral' && (e.index.value < 0n || e.index.value >= BigInt(base.ctype.count))) {
        this.diags.error('index-out-of-range', `the index ${e.index.value} is out of bounds for array of size ${base.ctype.count}`, e.span, [`the array is ${typeName(base.ctype)}`]);
      }
      const offset: IrExpr = { op: 'binary', operator: '*', left: this.intOf(idx, e.index), right: { op: 'const', value: BigInt(size) }, signed: false };
      return { addr: { op: 'binary', operator: '+', left: base.addr, right: offset, signed: false }, ctype: elem, space: base.space };
    }
    if (e.kind === 'Unary' && e.op === '*') return this.placeOrPointee(e.operand);
    return undefined;
  }

  /** Expressions `placeOrPointee` found to be neither a place nor a pointer (AST nodes are not shared between macro expansions). */
  private readonly notMemory = new WeakSet<ast.Expr>();

  /** `e` as memory: a place when it is one, else the object its pointer value points to. */
  private placeOrPointee(e: ast.Expr): Place | undefined {
    // `***x` asks each level first as a place, then as a value: without remembering the misses
    // that is exponential in the chain's length.
    if (this.notMemory.has(e)) return undefined;
    const p = this.place(e);
    if (p) {
      if (p.ctype.kind === 'ptr') {
        const target = p.ctype.target();
        return { addr: { op: 'readInt', addr: p.addr, size: 8, signed: false, space: p.space, err: this.helperErr(`probe_read_${p.space}`, e.span, true) }, ctype: target, space: p.space };
      }
      return p;
    }
    const v = this.value(e);
    if (v.type.kind !== 'ptr') {
      this.notMemory.add(e);
      return undefined;
    }
    const target = pointee(v.type, this.types);
    if (!target) {
      this.diags.error('unknown-type', `unknown type: ${v.type.to}`, e.span);
      throw new Unsupported('unknown pointee');
    }
    return { addr: v.int!, ctype: target, space: v.type.space };
  }

  /** Read the value stored at a place. */
  private load(p: Place, e: ast.Expr): TypedValue {
    const t = valueTypeOf(p.ctype, p.space);
    if (!t) {
      // Structs, unions and arrays: a copy of their bytes (src/passes/struct-values.ts).
      const whole = p.bitSize === undefined ? cValueType(p.ctype, p.space) : undefined;
      if (whole && typeof whole !== 'string') return { type: whole, blob: { op: 'readBytes', addr: p.addr, size: sizeOf(whole), space: p.space, err: this.helperErr(`probe_read_${p.space}`, e.span, true) } };
      return this.unsupported(typeof whole === 'string' ? whole : `a value of type ${typeName(p.ctype)} cannot be used here yet; access one of its fields`, e.span);
    }
    const err = this.helperErr(`probe_read_${p.space}`, e.span, true);
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
  private addressOf(e: ast.Unary): TypedValue {
    const op = e.operand;
    if (op.kind === 'Variable') {
      const v = this.lookupVar(op);
      if (!v) return this.fail();
      const t = v.type;
      const ct: CType | undefined = t.kind === 'int' ? this.types.resolveName(`${t.signed ? '' : 'u'}int${t.bits}`)
        : t.kind === 'bool' ? this.types.resolveName('bool')
        : t.kind === 'str' ? { kind: 'array', elem: this.types.resolveName('char')!, count: t.size }
        : t.kind === 'tuple' && t.cname ? this.types.resolveName(t.cname)
        : t.kind === 'ptr' ? (t.ctype?.kind === 'ptr' ? t.ctype : { kind: 'ptr', target: () => this.types.resolveName(t.to) ?? { kind: 'void' } })
        : undefined;
      if (!ct) return this.unsupported(`taking the address of a ${typeToString(t)} variable is not supported yet`, e.span);
      return { type: ptrType({ kind: 'ptr', target: () => ct }, 'kernel'), int: { op: 'varAddr', id: v.id } };
    }
    const p = op.kind === 'FieldAccess' || op.kind === 'Index' || (op.kind === 'Unary' && op.op === '*') ? this.place(op) : undefined;
    if (!p || p.bitSize !== undefined) {
      const v = this.value(op);
      if (v.type.kind !== 'none') this.diags.error('type-mismatch', `cannot take the address of ${p ? 'a bitfield' : `a ${typeToString(v.type)} value`}`, e.span);
      return this.fail();
    }
    const target = p.ctype;
    return { type: ptrType({ kind: 'ptr', target: () => target }, p.space), int: p.addr };
  }

  private deref(e: ast.Unary): TypedValue {
    const p = this.placeOrPointee(e.operand);
    if (!p) {
      const v = this.value(e.operand);
      if (v.type.kind !== 'none') this.diags.error('type-mismatch', `cannot dereference ${typeToString(v.type)}`, e.span);
      return this.fail();
    }
    return this.load(p, e);
  }

  private index(e: ast.Index): TypedValue {
    // Tuples: a constant index.
    if (e.object.kind !== 'FieldAccess' && e.object.kind !== 'Index') {
      const obj = this.value(e.object);
      if (obj.type.kind === 'tuple') return this.tupleElem(obj, Number(this.constInt(e.index)), e);
      if (obj.type.kind === 'str') {
        // bpftrace's type checker: a constant index at or past the string's size is an error.
        if (e.index.kind === 'IntLiteral' && e.index.value >= BigInt(obj.type.size)) {
          this.diags.error('index-out-of-range', `the index ${e.index.value} is out of bounds for array of size ${obj.type.size}`, e.span);
          return this.fail();
        }
        const idx = this.intOf(this.value(e.index), e.index);
        return { type: { kind: 'int', bits: 8, signed: true }, int: this.strByte(obj, idx) };
      }
      if (obj.type.kind !== 'ptr') {
        if (obj.type.kind !== 'none') this.diags.error('type-mismatch', `cannot index a value of type ${typeToString(obj.type)}`, e.span);
        return this.fail();
      }
    }
    const p = this.place(e);
    if (!p) {
      // An element of an array copied as a value (`$s.arr[1]` with `$s = *$ptr`).
      const obj = this.value(e.object);
      if (obj.type.kind === 'tuple') return this.tupleElem(obj, Number(this.constInt(e.index)), e);
      if (obj.type.kind !== 'none') this.diags.error('type-mismatch', `cannot index a value of type ${typeToString(obj.type)}`, e.span);
      return this.fail();
    }
    return this.load(p, e);
  }

  /** Byte `idx` of a string (0 past its end). */
  private strByte(obj: TypedValue, idx: IrExpr): IrExpr {
    const size = sizeOf(obj.type);
    let out: IrExpr = { op: 'const', value: 0n };
    for (let i = size - 1; i >= 0; i--) {
      out = { op: 'ternary', cond: { op: 'binary', operator: '==', left: idx, right: { op: 'const', value: BigInt(i) }, signed: false }, then: { op: 'blobLoad', blob: obj.blob!, offset: i, size: 1, signed: true }, else: out };
    }
    return out;
  }

  private sizeofExpr(e: ast.Sizeof): TypedValue {
    // sizeof(typeof(x)) is sizeof(x).
    if (e.arg.kind === 'TypeExpr' && e.arg.of) return this.sizeofExpr({ ...e, arg: e.arg.of });
    if (e.arg.kind === 'TypeExpr') {
      const ct = this.types.resolve(e.arg);
      if (!ct) return this.unknownType(e.arg);
      return { type: u64, int: { op: 'const', value: BigInt(cSizeOf(ct)) } };
    }
    const p = e.arg.kind === 'FieldAccess' || e.arg.kind === 'Index' || (e.arg.kind === 'Unary' && e.arg.op === '*') ? this.tryPlace(e.arg) : undefined;
    if (p) return { type: u64, int: { op: 'const', value: BigInt(cSizeOf(p.ctype)) } };
    const v = this.value(e.arg);
    return { type: u64, int: { op: 'const', value: BigInt(sizeOf(v.type)) } };
  }

  private tryPlace(e: ast.Expr): Place | undefined {
    try {
      return this.place(e);
    } catch (err) {
      if (err instanceof Unsupported) return undefined;
      throw err;
    }
  }

  private offsetofExpr(e: ast.Offsetof): TypedValue {
    if (e.type.of) {
      const type = this.concreteType(e.type);
      return type ? this.offsetofExpr({ ...e, type }) : this.fail();
    }
    const ct = this.types.resolve(e.type);
    if (!ct) return this.unknownType(e.type);
    let t: CType = ct;
    let bits = 0;
    for (const name of e.path) {
      const m = findMember(t, name);
      if (!m) {
        const hint = didYouMean(name, memberNames(t));
        this.diags.error('unknown-field', `${typeName(t)} has no field named ${name}`, e.span, hint ? [`did you mean ${hint}?`] : undefined);
        return this.fail();
      }
      bits += m.bitOffset;
      t = m.type;
    }
    return { type: u64, int: { op: 'const', value: BigInt(Math.floor(bits / 8)) } };
  }

  private identifier(e: ast.Identifier): TypedValue {
    const target = targetBuiltin(e.name, this.script.target);
    if (typeof target === 'string') {
      this.diags.error('no-child-command', target, e.span);
      return this.fail();
    }
    if (target) return { type: target.type, int: { op: 'const', value: target.value } };
    const builtin = BUILTIN_VARS[e.name];
    if (builtin) {
      if (e.name === 'curtask') {
        // bpftrace types curtask as `struct task_struct *` when the kernel has BTF.
        const task = this.types.resolveName('struct task_struct');
        if (task && task.kind === 'record') return { type: ptrType({ kind: 'ptr', target: () => task }, 'kernel'), int: { op: 'builtin', name: 'curtask' } };
      }
      if (builtin.lower.kind === 'comm') return { type: builtin.type, blob: { op: 'comm', size: sizeOf(builtin.type) } };
      return { type: builtin.type, int: { op: 'builtin', name: builtin.lower.name } };
    }
    if (e.name === 'probe') return stringConst(this.probe.name, 64);
    const libVar = LIBRARY_VARS.get(e.name);
    if (libVar) return libVar.lower(e, this.libContext());
    if (e.name === 'args') {
      if (!this.probe.args) {
        this.diags.error('no-args', `${this.probe.provider} probes have no args`, e.span);
        return this.fail();
      }
      return { type: { kind: 'args' }, int: { op: 'const', value: 0n } };
    }
    const usdtArg = this.probe.usdtArgs && /^arg\d+$/.test(e.name) ? this.probe.usdtArgs[Number(e.name.slice(3))] : undefined;
    if (usdtArg) return lowerUsdtArg(usdtArg);
    const reg = this.probe.registers.find((r) => r.name === e.name);
    if (reg) return this.contextField(reg);
    if (/^arg\d+$/.test(e.name) || e.name === 'retval') {
      this.diags.error('no-such-builtin', `${e.name} is not available in ${this.probe.provider} probes`, e.span);
      return this.fail();
    }
    const macro = this.script.macros?.get(e.name);
    if (macro && macro.params.length === 0) return this.macroValue({ kind: 'Call', span: e.span, callee: e.name, calleeSpan: e.span, args: [] }, macro);
    const enumerator = enumConstant(e.name, this.types.enums);
    if (enumerator) return { type: enumerator.type, int: { op: 'const', value: enumerator.value } };
    const hint = didYouMean(e.name, [...Object.keys(BUILTIN_VARS), 'args', 'probe', ...this.probe.registers.map((r) => r.name)]);
    this.diags.error('unknown-identifier', `unknown identifier: ${e.name}`, e.span, hint ? [`did you mean ${hint}?`] : undefined);
    return this.fail();
  }

  private field(e: ast.FieldAccess): TypedValue {
    const p = this.place(e);
    if (p) return this.load(p, e);
    const obj = this.value(e.object);
    if (obj.type.kind === 'none') return this.fail();
    if (obj.type.kind !== 'args') {
      if (obj.type.kind === 'tuple' && /^\d+$/.test(e.field) && !obj.type.names) return this.tupleElem(obj, Number(e.field), e);
      if (obj.type.kind === 'tuple' && obj.type.names) {
        const i = obj.type.names.indexOf(e.field);
        if (i < 0) {
          const hint = didYouMean(e.field, [...obj.type.names]);
          this.diags.error('unknown-field', `${typeToString(obj.type)} has no field named ${e.field}`, e.fieldSpan, hint ? [`did you mean ${hint}?`] : undefined);
          return this.fail();
        }
        return this.tupleElem(obj, i, e);
      }
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
    const layout = aggregateLayout(obj.type);
    const f = layout.fields[index]!;
    if (f.type.kind === 'int' || f.type.kind === 'bool' || f.type.kind === 'ptr') {
      const size = sizeOf(f.type) as 1 | 2 | 4 | 8;
      return { type: f.type, int: { op: 'blobLoad', blob: obj.blob!, offset: f.offset, size, signed: f.type.kind === 'int' && f.type.signed } };
    }
    return { type: f.type, blob: { op: 'slice', blob: obj.blob!, offset: f.offset, size: sizeOf(f.type) } };
  }

  private contextField(f: ContextField): TypedValue {
    return contextFieldValue(f);
  }

  private call(e: ast.Call): TypedValue {
    const macro = this.script.macros?.get(e.callee);
    if (macro) return this.macroValue(e, macro);
    if (e.callee === 'str') {
      if (e.args.length < 1 || e.args.length > 2) {
        this.diags.error('wrong-argument-count', 'str() takes 1 or 2 arguments', e.span);
        return this.fail();
      }
      const arg = this.value(e.args[0]!);
      const { size, read } = strSizes(this.script.maxStrlen ?? DEFAULT_STRLEN, e.args[1] ? Number(this.constInt(e.args[1])) : undefined);
      if (arg.type.kind === 'str') return arg;
      if (arg.type.kind === 'none') return this.fail(); // already reported
      if (!isIntegral(arg.type)) {
        this.diags.error('type-mismatch', `str() needs a pointer, got ${typeToString(arg.type)}`, e.args[0]!.span);
        return this.fail();
      }
      const space = arg.type.kind === 'ptr' ? arg.type.space : this.defaultSpace();
      const blob: IrBlob = { op: 'readStr', addr: arg.int!, size: read, space, err: this.helperErr(`probe_read_${space}_str`, e.span, true) };
      if (read <= size) return { type: { kind: 'str', size }, blob: resizeStr(blob, read, size) };
      // One byte more than the value keeps: a value without a NUL was truncated (str-size.ts).
      const trailer = this.script.strTruncTrailer ?? '..';
      return { type: { kind: 'str', size, ...(trailer ? { truncTrailer: trailer } : {}) }, blob: { op: 'slice', blob, offset: 0, size } };
    }
    if (e.callee === 'getopt') {
      const v = getoptValue(e, this.script.namedParams ?? new Map(), this.script.givenParams ?? new Map(), this.diags);
      if (!v) return this.fail();
      return v.type === 'string' ? stringConst(v.value, this.script.maxStrlen) : { type: v.type, int: { op: 'const', value: v.value } };
    }
    const lib = LIBRARY_FUNCTIONS.get(e.callee);
    if (lib?.expr) return lib.expr(e, this.libContext());
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
    const folded = this.foldedValue(e);
    if (folded) return folded;
    const l = this.value(e.left);
    const r = this.value(e.right);
    if (e.op === '&&' || e.op === '||') {
      return { type: boolType, int: { op: 'logical', operator: e.op, left: this.intOf(l, e.left), right: this.intOf(r, e.right) } };
    }
    if ((l.type.kind === 'tuple' || r.type.kind === 'tuple') && l.type.kind !== 'none' && r.type.kind !== 'none') {
      const eq = e.op === '==' || e.op === '!=' ? this.valuesEqual(l, r, e) : undefined;
      if (!eq) {
        this.diags.error('type-mismatch', `operator ${e.op} cannot be used on ${typeToString(l.type)} and ${typeToString(r.type)}`, e.span);
        return this.fail();
      }
      return { type: boolType, int: e.op === '==' ? eq : { op: 'unary', operator: '!', operand: eq } };
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
    const ptrArith = this.pointerArith(e, l, r);
    if (ptrArith) return ptrArith;
    const li = this.intOf(l, e.left);
    const ri = this.intOf(r, e.right);
    const isCompare = ['==', '!=', '<', '<=', '>', '>='].includes(e.op);
    const int = this.arith(e.op, li, ri, l.type, r.type, e);
    return { type: isCompare ? boolType : arithResult(e.op, l.type, r.type).type, int };
  }

  /**
   * An integer operator with bpftrace 0.26's semantics (src/passes/int-semantics.ts): comparisons
   * are signed unless both sides are unsigned; `/`, `%` and `>>` are unsigned 64-bit operations;
   * a division by a value that is 0 at run time gives 1 and sends bpftrace's runtime warning.
   */
  private arith(op: ast.BinaryOp, left: IrExpr, right: IrExpr, lt: Type, rt: Type, node?: ast.Node): IrExpr {
    const operator = op as Exclude<ast.BinaryOp, '&&' | '||'>;
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      const signed = lt.kind === 'ptr' || rt.kind === 'ptr' ? false : compareSigned(lt, rt);
      return { op: 'binary', operator, left, right, signed };
    }
    const res = arithResult(op, lt, rt);
    if (res.signedDivWarning && node) {
      this.diags.warning('signed-division', `signed operands for '${op}' can lead to undefined behavior (cast to unsigned to silence warning)`, node.span);
    }
    if (op !== '/' && op !== '%') return { op: 'binary', operator, left, right, signed: op === '>>' ? false : res.type.signed };
    if (right.op === 'const' && right.value !== 0n) return { op: 'binary', operator, left, right, signed: false };
    // x / 0 is 1 (the code generator's divide); tell the user at run time, as bpftrace does.
    const tl = this.temp();
    const tr = this.temp();
    const warn = node ? this.runtimeWarning('division-by-zero', 'Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.', node.span) : undefined;
    const stmts: IrStmt[] = [{ op: 'setVar', id: tl, value: left }, { op: 'setVar', id: tr, value: right }];
    if (warn) stmts.push({ op: 'if', cond: { op: 'binary', operator: '==', left: { op: 'var', id: tr }, right: { op: 'const', value: 0n }, signed: false }, then: [warn], else: [] });
    return { op: 'seq', stmts, value: { op: 'binary', operator, left: { op: 'var', id: tl }, right: { op: 'var', id: tr }, signed: false } };
  }

  /**
   * Whether two values are equal, element by element for tuples (bpftrace compares tuples of the
   * same shape with `==`/`!=`; strings compare up to their NUL, integers by value). Undefined when
   * the shapes differ.
   */
  private valuesEqual(l: TypedValue, r: TypedValue, e: ast.Node): IrExpr | undefined {
    if (isIntegral(l.type) && isIntegral(r.type)) return { op: 'binary', operator: '==', left: l.int!, right: r.int!, signed: false };
    if (l.type.kind === 'str' && r.type.kind === 'str') {
      const size = Math.max(l.type.size, r.type.size);
      return { op: 'blobEquals', left: resizeStr(l.blob!, l.type.size, size), right: resizeStr(r.blob!, r.type.size, size), negate: false };
    }
    if (l.type.kind === 'tuple' && r.type.kind === 'tuple' && l.type.elems.length === r.type.elems.length) {
      let all: IrExpr | undefined;
      for (let i = 0; i < l.type.elems.length; i++) {
        const eq = this.valuesEqual(this.tupleElem(l, i, e), this.tupleElem(r, i, e), e);
        if (!eq) return undefined;
        all = all ? { op: 'logical', operator: '&&', left: all, right: eq } : eq;
      }
      return all ?? { op: 'const', value: 1n };
    }
    if (l.blob && r.blob && typeEquals(l.type, r.type)) {
      // Other aggregates of one type: byte for byte.
      return { op: 'blobEquals', left: l.blob, right: r.blob, negate: false };
    }
    return undefined;
  }

  /**
   * The `helper-error` event id for a helper call at `span` when the warning level checks it
   * (bpftrace CreateHelperErrorCond: probe reads and map lookups need `-k`, other helpers are
   * checked unless `--no-warnings`); undefined = no check.
   */
  helperErr(helper: string, span: Span | undefined, needsK: boolean): number | undefined {
    const level = this.script.warningLevel ?? 1;
    if (level === 0 || (needsK && level < 2) || !span) return undefined;
    const rendered = renderRuntimeWarning('\u0000', this.script.source, span);
    const cut = rendered.indexOf('\u0000');
    const where = rendered.slice(0, cut).replace(/: WARNING: $/, '').replace(/^WARNING: $/, '');
    const m = /^(.*):(\d+):(\d+)/.exec(where);
    const loc = { filename: m?.[1] ?? this.script.source?.name ?? 'stdin', line: Number(m?.[2] ?? 0), col: Number(m?.[3] ?? 0), text: where, context: rendered.slice(cut + 1).split('\n').slice(1) };
    const key = `${helper}@${span.start}:${span.end}`;
    const known = this.helperErrIds.get(key);
    if (known !== undefined) return known;
    const id = this.script.events.length;
    this.script.events.push({ kind: 'helper-error', helper, loc, args: [i64] });
    this.helperErrIds.set(key, id);
    return id;
  }
  private readonly helperErrIds = new Map<string, number>();

  /** Map updates of an assignment report a failure (a full map) by default, as bpftrace does. */
  private withMapErr(stmts: IrStmt[], span: Span): IrStmt[] {
    return stmts.map((st) => {
      switch (st.op) {
        case 'mapSet': case 'mapAdd': case 'mapMinMax': case 'mapCountTotal': case 'mapBucketAdd':
          return st.err === undefined ? { ...st, err: this.helperErr('map_update_elem', span, false) } : st;
        default:
          return st;
      }
    });
  }

  /** An event that makes the runtime print a warning about this place in the script. */
  private runtimeWarning(code: string, message: string, span: Span): IrStmt | undefined {
    void code;
    const text = renderRuntimeWarning(message, this.script.source, span);
    return this.emit({ kind: 'runtime-warning', text, args: [] }, []);
  }

  /** `p + n`, `n + p`, `p - n` on a typed pointer: the address moves by n elements (C semantics). */
  private pointerArith(e: ast.Binary, l: TypedValue, r: TypedValue): TypedValue | undefined {
    if (e.op !== '+' && e.op !== '-') return undefined;
    const lp = l.type.kind === 'ptr';
    const rp = r.type.kind === 'ptr';
    if (lp === rp) {
      if (lp) {
        this.diags.error('type-mismatch', `the ${e.op} operator can not be used on two pointers`, e.span);
        return this.fail();
      }
      return undefined;
    }
    if (rp && e.op === '-') {
      this.diags.error('type-mismatch', 'a pointer can only be subtracted from, not subtract', e.span);
      return this.fail();
    }
    const ptr = lp ? l : r;
    const other = lp ? r : l;
    const otherExpr = lp ? e.right : e.left;
    const target = pointee(ptr.type, this.types);
    const size = target && target.kind !== 'void' ? Math.max(1, cSizeOf(target)) : 1;
    const n = this.intOf(other, otherExpr);
    const scaled: IrExpr = size === 1 ? n : { op: 'binary', operator: '*', left: n, right: { op: 'const', value: BigInt(size) }, signed: false };
    return { type: ptr.type, int: { op: 'binary', operator: e.op, left: ptr.int!, right: scaled, signed: false } };
  }

  /**
   * An expression made of literals only, folded as bpftrace folds it (fold_literals.cpp): the
   * constant with its literal type, `fail()` after reporting an overflow, or undefined when the
   * expression is not all literals.
   */
  private foldedValue(e: ast.Expr): TypedValue | undefined {
    const f = this.fold(e);
    if (f === undefined) return undefined;
    if (f === 'error') return this.fail();
    if (f.kind === 'bool') return { type: boolType, int: { op: 'const', value: f.value ? 1n : 0n } };
    return { type: constType(f.value), int: { op: 'const', value: BigInt.asIntN(64, f.value) } };
  }

  private fold(e: ast.Expr): Folded | 'error' | undefined {
    return this.deeper(e, () => this.foldAt(e));
  }

  private foldAt(e: ast.Expr): Folded | 'error' | undefined {
    switch (e.kind) {
      case 'IntLiteral':
        return { kind: 'int', value: e.value };
      case 'BoolLiteral':
        return { kind: 'bool', value: e.value };
      case 'PositionalCount':
        return { kind: 'int', value: BigInt(this.script.positionals.length) };
      case 'Positional': {
        const text = this.script.positionals[e.index - 1] ?? '';
        if (text === '') return { kind: 'int', value: 0n };
        // strtoull/strtoll with base 0, as bpftrace's util::to_uint/to_int: 0x hex, 0 octal.
        const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
        if (!m) return undefined;
        const mag = /^0[0-7]+$/.test(m[2]!) ? BigInt('0o' + m[2]!.slice(1)) : BigInt(m[2]!);
        return { kind: 'int', value: m[1] ? -mag : mag };
      }
      case 'Unary': {
        if (e.op === '*' || e.op === '&') return undefined;
        const v = this.fold(e.operand);
        if (v === undefined || v === 'error') return v;
        const r = foldUnary(e.op, v);
        if (r && 'error' in r) {
          this.diags.error('literal-overflow', 'negative value will underflow', e.span);
          return 'error';
        }
        return r;
      }
      case 'Binary': {
        const a = this.fold(e.left);
        if (a === 'error') return a;
        const b = this.fold(e.right);
        if (b === 'error') return b;
        if (a === undefined || b === undefined) return undefined;
        const r = foldBinary(e.op, a, b);
        if (r && 'error' in r) {
          this.diags.error('literal-overflow', 'unable to fold literals due to overflow or underflow', e.span,
            (e.op === '/' || e.op === '%') && b.kind === 'int' && b.value === 0n ? ['this divides by zero'] : undefined);
          return 'error';
        }
        return r;
      }
      default:
        return undefined;
    }
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
    const f = this.fold(e);
    if (f === 'error') return 1n;
    if (f?.kind === 'int') return f.value;
    this.diags.error('not-constant', 'expected an integer literal here', e.span);
    return 1n;
  }

  private lookupVar(v: ast.Variable): { id: number; type: Type } | undefined {
    const found = this.findVar(v.name);
    if (!found) {
      const hint = didYouMean(v.name, this.scopes.flatMap((m) => [...m.keys()]));
      this.diags.error('undefined-variable', `variable used before it was assigned: ${v.name}`, v.span, hint ? [`did you mean ${hint}?`] : undefined);
    }
    return found;
  }

  private declareVar(name: string, type: Type, span: Span, fresh = false, fixed = false): { id: number; type: Type } | undefined {
    const existing = fresh ? this.scopes[this.scopes.length - 1]!.get(name) : this.findVar(name);
    if (existing && !existing.fixed && existing.key) {
      // bpftrace 0.26: a reassignment promotes the variable's type (src/passes/var-types.ts).
      const merged = mergeVarType(existing.type, type);
      if (merged && !typeEquals(merged, existing.type)) {
        this.script.varTypes?.set(existing.key, merged);
        if (isIntegral(merged) || sizeOf(merged) <= sizeOf(existing.type)) existing.type = merged;
      }
    }
    if (existing) {
      if (isIntegral(existing.type) && isIntegral(type)) return existing;
      if (mergeVarType(existing.type, type) && typeEquals(mergeVarType(existing.type, type)!, existing.type)) return existing;
      if (existing.type.kind === 'str' && type.kind === 'str' && type.size <= existing.type.size) return existing;
      if (!typeEquals(existing.type, type)) {
        this.diags.error('variable-type-mismatch', `${name} holds ${typeToString(existing.type)} and cannot be assigned ${typeToString(type)}`, span);
        return undefined;
      }
      return existing;
    }
    const id = this.irVars.length;
    const key = `${this.probe.name}|${span.start}|${name}`;
    const learned = fixed ? undefined : this.script.varTypes?.get(key);
    if (learned) type = mergeVarType(learned, type) ?? type;
    const stored = isIntegral(type) ? i64 : type;
    // A variable still without a type (`let $x;` never assigned) is a 64-bit slot.
    this.irVars.push({ id, size: isIntegral(type) || type.kind === 'none' ? undefined : sizeOf(type) });
    const entry = { id, type: isIntegral(type) ? type : stored, key, fixed };
    this.scopes[this.scopes.length - 1]!.set(name, entry);
    return entry;
  }

  /**
   * log2 bucket as src/contract/histogram.ts histBucketIndex (bits 0): v < 0 → 0, 0 → 1, 1 → 2, [2^k, 2^(k+1)) → k + 2.
   * A six-step binary search on the highest set bit, through temporaries so no subtree is duplicated.
   */
  private histBucket(v: IrExpr, bits = 0): { stmts: IrStmt[]; bucket: IrExpr } {
    const x = this.temp();
    const r = this.temp();
    const sh = this.temp();
    const c = (n: bigint): IrExpr => ({ op: 'const', value: n });
    const X: IrExpr = { op: 'var', id: x };
    const R: IrExpr = { op: 'var', id: r };
    const SH: IrExpr = { op: 'var', id: sh };
    // v is evaluated once (it may call helpers): x keeps it, and x's sign picks bucket 0 below.
    const stmts: IrStmt[] = [{ op: 'setVar', id: x, value: v }, { op: 'setVar', id: r, value: c(0n) }];
    const original = this.temp();
    stmts.push({ op: 'setVar', id: original, value: X });
    for (const step of [32n, 16n, 8n, 4n, 2n, 1n]) {
      const ge: IrExpr = { op: 'binary', operator: '>=', left: X, right: c(1n << step), signed: false };
      stmts.push({ op: 'setVar', id: sh, value: { op: 'binary', operator: '*', left: ge, right: c(step), signed: false } });
      stmts.push({ op: 'setVar', id: r, value: { op: 'binary', operator: '+', left: R, right: SH, signed: false } });
      stmts.push({ op: 'setVar', id: x, value: { op: 'binary', operator: '>>', left: X, right: SH, signed: false } });
    }
    // 0 → 1, else 2 + floor(log2 v): one test of v (as bpftrace's log2) instead of adding `x >= 1`
    // after the last step, which kept one more value alive across the map lookup (a spill).
    const zero: IrExpr = { op: 'binary', operator: '==', left: { op: 'var', id: original }, right: c(0n), signed: false };
    const nonNegative: IrExpr = { op: 'ternary', cond: zero, then: c(1n), else: { op: 'binary', operator: '+', left: c(2n), right: R, signed: false } };
    const negative: IrExpr = { op: 'binary', operator: '<', left: { op: 'var', id: original }, right: c(0n), signed: true };
    if (bits > 0) {
      // hist(v, k): values below 2^k get one bucket each; above, each power of two splits into 2^k buckets.
      const k = BigInt(bits);
      const mask = (1n << k) - 1n;
      const O: IrExpr = { op: 'var', id: original };
      const shift: IrExpr = { op: 'binary', operator: '-', left: R, right: c(k), signed: false };
      const sub: IrExpr = { op: 'binary', operator: '&', left: { op: 'binary', operator: '>>', left: O, right: shift, signed: false }, right: c(mask), signed: false };
      const top: IrExpr = { op: 'binary', operator: '<<', left: { op: 'binary', operator: '+', left: shift, right: c(1n), signed: false }, right: c(k), signed: false };
      const above: IrExpr = { op: 'binary', operator: '+', left: { op: 'binary', operator: '+', left: top, right: sub, signed: false }, right: c(1n), signed: false };
      const small: IrExpr = { op: 'binary', operator: '<=', left: O, right: c(mask), signed: false };
      const nonNeg: IrExpr = { op: 'ternary', cond: small, then: { op: 'binary', operator: '+', left: O, right: c(1n), signed: false }, else: above };
      return { stmts, bucket: { op: 'ternary', cond: negative, then: c(0n), else: nonNeg } };
    }
    return { stmts, bucket: { op: 'ternary', cond: negative, then: c(0n), else: nonNegative } };
  }

  private temp(): number {
    const id = this.irVars.length;
    this.irVars.push({ id, size: undefined });
    return id;
  }

  /** What the function library (src/builtins/library.ts) may use of this lowerer. */
  private libContext(): LowerContext {
    const self = this;
    return {
      diags: this.diags,
      probe: this.probe,
      unsafe: this.script.unsafe === true,
      source: this.script.source,
      stackMode: this.script.stackMode,
      config: this.script.config,
      maxStrlen: this.script.maxStrlen ?? DEFAULT_STRLEN,
      library: (name) => LIBRARY_FUNCTIONS.get(name),
      value: (e) => self.value(e),
      intOf: (v, e) => self.intOf(v, e),
      blobOf: (v, t) => self.blobOf(v, t),
      constInt: (e) => self.constInt(e),
      constString(e, what) {
        if (e.kind === 'StringLiteral') return e.value;
        if (e.kind === 'Positional') {
          const text = self.script.positionals[e.index - 1];
          if (text !== undefined) return text;
        }
        self.diags.error('not-constant', `expected ${what} here (a string literal)`, e.span);
        return undefined;
      },
      emit: (spec, args) => self.emit(spec, args),
      registerEvent(spec) {
        self.script.events.push(spec);
        return self.script.events.length - 1;
      },
      knownMap: (m) => self.knownMap(m),
      keyBlob: (keys, spec, m) => self.keyBlob(keys, spec, m),
      mapId: (name) => self.mapId(name),
      internalMap(name, def) {
        self.script.internalMaps?.set(name, def);
        return self.mapId(name);
      },
      temp: () => self.temp(),
      tempBlob(size) {
        const id = self.irVars.length;
        self.irVars.push({ id, size });
        return id;
      },
      fail: () => self.fail(),
      unsupported: (message, span) => self.unsupported(message, span),
    };
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

/** A tuple or record element's stored type: integers keep their size, bools stay bools (they print `true`). */
function elemStorageType(t: Type): Type {
  // bpftrace packs tuples: integers keep their size (struct.cpp CreateTuple), pointers their pointee.
  if (t.kind === 'int') return t;
  return t.kind === 'bool' || t.kind === 'ptr' ? t : storageType(t);
}

function addOffset(addr: IrExpr, offset: number): IrExpr {
  return offset === 0 ? addr : { op: 'binary', operator: '+', left: addr, right: { op: 'const', value: BigInt(offset) }, signed: false };
}

function stringConst(value: string, size?: number): TypedValue {
  const bytes = byteLength(value) + 1;
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

function sourceText(source: SourceFile | undefined, span: Span): string | undefined {
  return source?.text.slice(span.start, span.end);
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
    case 'rich':
      return t.of === 'buffer' ? 'buffer' : 'other';
    default:
      return 'other';
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

/** lhist bucket index as src/contract/histogram.ts lhistBucketIndex: v < min → 0, v > max → overflow, else 1 + (v-min)/step. */
function lhistBucket(v: IrExpr, min: bigint, max: bigint, step: bigint): IrExpr {
  const overflow = BigInt(lhistBucketCount(min, max, step) - 1);
  const below: IrExpr = { op: 'binary', operator: '<', left: v, right: { op: 'const', value: min }, signed: true };
  const above: IrExpr = { op: 'binary', operator: '>', left: v, right: { op: 'const', value: max }, signed: true };
  const inner: IrExpr = {
    op: 'binary', operator: '+', signed: false, left: { op: 'const', value: 1n },
    right: { op: 'binary', operator: '/', signed: false, left: { op: 'binary', operator: '-', left: v, right: { op: 'const', value: min }, signed: true }, right: { op: 'const', value: step } },
  };
  return { op: 'ternary', cond: below, then: { op: 'const', value: 0n }, else: { op: 'ternary', cond: above, then: { op: 'const', value: overflow }, else: inner } };
}
