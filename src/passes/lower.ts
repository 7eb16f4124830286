import { PacketLowering } from '../builtins/packet.js';
import { TOO_DEEP } from '../syntax/depth.js';
import type * as ast from '../ast/nodes.js';
import { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import type { IrBlob, IrExpr, IrProgram, IrStmt, IrVar } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { boolType, DEFAULT_STRLEN, isIntegral, sizeOf, typeToString, type Type } from '../types/types.js';
import type { MapSpec } from './program-info.js';
import type { EventSpec } from '../contract/index.js';
import type { TargetProcess } from './target-process.js';
import { probeGuards } from './probe-guards.js';
import { stoppedGuard } from './run-state.js';
import { LIBRARY_FUNCTIONS } from '../builtins/functions.js';
import type { InternalMapDef, LowerContext } from '../builtins/library.js';
import { kernelBtfTypes } from '../kernel/btf.js';
import { TypeResolver } from './lower-types.js';
import { ProbeTyper } from './type-of.js';
import { asInt64, literalType } from './int-semantics.js';
import type { SourceFile } from '../common/span.js';
import { type NamedParam } from './named-params.js';
import { keyLayoutTypes } from './lower-maps.js';
import { TypeTable } from './resolve-types.js';
import { predicate, block, blockValue, updateValue } from './lower-stmts.js';
import { mapKeyBlob, knownMap, mapId, mapRead } from './lower-map-use.js';
import { index, sizeofExpr, offsetofExpr, field, cast, aggregateValue } from './lower-memory.js';
import { binary, foldedValue, fold, ternary, unary } from './lower-arith.js';
import { emit, call, helperErr } from './lower-calls.js';
import { identifier, variableValue } from './lower-idents.js';
import { Unsupported, stringConst, resizeStr, type TypedValue } from './lower-values.js';

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
  /** Probe name → the id `probe` map keys store (CompiledScript.probeNames); filled in probe order as probes use one. */
  readonly probeIds: Map<string, number>;
  /** How many of the script's probes the runtime attaches and detaches (src/passes/run-state.ts: two or more get the `.stopped` guard). */
  readonly detachedProbes?: number;
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
  /** Scratch variable types resolved by the type pass (src/passes/type-of.ts), by probe and declaration (src/passes/var-types.ts). */
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

export { keyLayoutTypes };
export { isPerCpuKind, mapValueSize } from './lower-map-use.js';

/** Nesting of `value`/`fold` calls lowering tolerates; above src/syntax/depth.ts MAX_AST_DEPTH, far below a stack overflow. */
const MAX_LOWER_DEPTH = 600;

/**
 * Checks and lowers one concrete probe's body to IR. This class holds a probe's lowering state and
 * dispatches each expression kind to the file of its seam (lower-stmts.ts, lower-map-use.ts,
 * lower-memory.ts, lower-arith.ts, lower-calls.ts, lower-idents.ts: free functions over it).
 * Where lowering decides a type it reads the type pass's (src/passes/type-of.ts), the one set of
 * type rules: `typeOf(e)`, from the walk that resolved the script's types (or, for a lowerer made
 * on its own, a walk of this probe when it starts). Every map use is checked against the
 * script's TypeTable (src/passes/resolve-types.ts), frozen with the types resolved over all
 * probes, and its keys and values are converted to that layout (src/passes/lower-maps.ts).
 * Each probe is lowered once.
 */
export class ProbeLowerer {
  /** Lexical scopes of scratch variables, innermost last: a variable lives in the block that first assigns it. */
  readonly scopes: Map<string, { id: number; type: Type; key?: string; fixed?: boolean }>[] = [new Map()];
  readonly irVars: IrVar[] = [];
  /** Variables declared by `let $x;` and not assigned yet: reading one warns, as bpftrace's VariablePreCheck. */
  readonly unassignedVars = new Set<number>();
  /** Enclosing while/for loops: `break` and `continue` are valid only inside one. */
  loopDepth = 0;
  /** The loops around the statement being lowered, innermost last (bpftrace's JumpDisallowed names). */
  readonly loopKinds: ('for-loop' | 'while-loop')[] = [];
  types: TypeResolver;

  constructor(
    readonly script: ScriptState,
    readonly probe: ConcreteProbe,
    readonly diags: Diagnostics,
    /** When given, the type of every expression lowered (the typed AST of `-d types`). */
    readonly exprTypes?: Map<ast.Expr, Type>,
    /** The type pass's type of every expression of this probe (src/passes/resolve-script-types.ts). */
    private typed?: ReadonlyMap<ast.Expr, Type>,
  ) {
    this.types = script.types ?? new TypeResolver([], () => kernelBtfTypes());
    this.loweredTypes = exprTypes ?? new Map();
    this.table = script.table ?? new TypeTable(script.source);
    if (!script.table) for (const spec of script.maps.values()) this.table.maps.set(spec.name, spec);
  }
  readonly table: TypeTable;
  /** The type of every expression lowered so far (`exprTypes` when given). */
  private readonly loweredTypes: Map<ast.Expr, Type>;

  findVar(name: string): { id: number; type: Type; key?: string; fixed?: boolean } | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  scoped<T>(f: () => T): T {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  lower(node: ast.Probe, name: string, section: string): IrProgram {
    if (!this.typed) {
      const typed = new Map<ast.Expr, Type>();
      new ProbeTyper(this.script, this.probe, new Diagnostics(), typed).typeProbe(node);
      this.typed = typed;
    }
    const internalMap = (mapName: string, def: InternalMapDef): number => {
      this.script.internalMaps?.set(mapName, def);
      return mapId(this, mapName);
    };
    const guard = stoppedGuard(this.probe, this.script.detachedProbes ?? 0, internalMap);
    this.stopGuarded = guard.length > 0;
    const body: IrStmt[] = [...guard, ...probeGuards(this.probe, this.script.target)];
    if (node.predicate) {
      const cond = predicate(this, node.predicate);
      if (cond) body.push({ op: 'if', cond: { op: 'unary', operator: '!', operand: cond }, then: [{ op: 'return' }], else: [] });
    }
    body.push(...block(this, node.body));
    // Packet probes (src/builtins/packet.ts): the default verdict and the header copies come first.
    const verdict = this.packet.verdict();
    return { name, section, vars: this.irVars, body: [...this.packet.prologue(), ...body], ...(verdict ? { verdict } : {}) };
  }

  /** Whether the program lowered starts with the `.stopped` guard (CompiledProgram.stopGuard). */
  stopGuarded = false;

  packetView: PacketLowering | undefined;
  /** The `pkt` view and verdicts of xdp/tc probes (inert in other probes). */
  get packet(): PacketLowering {
    return (this.packetView ??= new PacketLowering(this.probe, this.libContext()));
  }

  /** How deeply `value`/`fold` are nested now: macro expansions nest beyond the AST's own depth (src/syntax/depth.ts). */
  exprDepth = 0;

  /** Runs `f` one expression level deeper; past MAX_LOWER_DEPTH a `too-deep` diagnostic at `e` instead of a stack overflow. */
  deeper<T>(e: ast.Expr, f: () => T): T {
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
      this.loweredTypes.set(e, v.type);
      return v;
    });
  }

  lowerValue(e: ast.Expr): TypedValue {
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
        return foldedValue(this, e) ?? stringConst(this.script.positionals[(e.kind === 'Positional' ? e.index : 0) - 1] ?? '');
      case 'Variable':
        return variableValue(this, e);
      case 'MapRef':
        return mapRead(this, e);
      case 'Identifier':
        return identifier(this, e);
      case 'FieldAccess':
        return field(this, e);
      case 'Call':
        return call(this, e);
      case 'Binary':
        return binary(this, e);
      case 'Unary':
        return unary(this, e);
      case 'Update':
        return updateValue(this, e);
      case 'Ternary':
        return ternary(this, e);
      case 'Cast':
        return cast(this, e);
      case 'Tuple':
      case 'Record':
        return aggregateValue(this, e);
      case 'Index':
        return index(this, e);
      case 'Sizeof':
        return sizeofExpr(this, e);
      case 'Offsetof':
        return offsetofExpr(this, e);
      case 'BlockExpr':
        return blockValue(this, e);
      case 'TypeArg':
        return this.unsupported('a type, typeof(...), is a value only as a macro argument (macro m(t) { (t)$x })', e.span);
    }
  }

  /**
   * The type pass's type of `e`. Lowering reaches only expressions the type pass typed (the same
   * nodes, macro bodies included); none where the type pass found an error lowering reports.
   */
  typeOf(e: ast.Expr): Type {
    return this.typed?.get(e) ?? this.builtType(e);
  }

  /**
   * A node a library hook built while lowering (container_of's address arithmetic), which the type
   * pass saw only as its own copy: typed now by the same rules (src/passes/type-of.ts), its
   * operands having the types lowering just gave them.
   */
  private builtType(e: ast.Expr): Type {
    const known = (x: ast.Expr): Type | undefined => (x === e ? undefined : this.loweredTypes.get(x) ?? this.typed?.get(x));
    return new ProbeTyper(this.script, this.probe, new Diagnostics(), undefined, known).typeOf(e);
  }

  /**
   * The type pass's type of an operand that is typed but not run (`sizeof(e)`, `typeof(e)`);
   * undefined where the type pass found an error there or has no value for it: the caller then
   * lowers the operand, whose code it discards, for its diagnostics.
   */
  operandType(e: ast.Expr): Type | undefined {
    const t = this.typed?.get(e);
    return t && t.kind !== 'none' ? t : undefined;
  }

  macroDepth = 0;

  /** Expressions `placeOrPointee` found to be neither a place nor a pointer (AST nodes are not shared between macro expansions). */
  readonly notMemory = new WeakSet<ast.Expr>();

  readonly helperErrIds = new Map<string, number>();

  // ------------------------------------------------------------------ helpers

  intOf(v: TypedValue, e: ast.Expr): IrExpr {
    if (v.int && isIntegral(v.type)) return v.int;
    if (v.type.kind !== 'none') this.diags.error('type-mismatch', `expected an integer, got ${typeToString(v.type)}`, e.span);
    return { op: 'const', value: 0n };
  }

  /** The value as a blob of the given storage type (integers widened to their storage size). */
  blobOf(v: TypedValue, type: Type): IrBlob {
    if (v.blob) return v.type.kind === 'str' && type.kind === 'str' ? resizeStr(v.blob, v.type.size, type.size) : v.blob;
    return { op: 'int', value: v.int, size: Math.min(8, Math.max(1, sizeOf(type))) as 1 | 2 | 4 | 8 };
  }

  constInt(e: ast.Expr): bigint {
    const f = fold(this, e);
    if (f === 'error') return 1n;
    if (f?.kind === 'int') return f.value;
    this.diags.error('not-constant', 'expected an integer literal here', e.span);
    return 1n;
  }

  temp(): number {
    const id = this.irVars.length;
    this.irVars.push({ id, size: undefined });
    return id;
  }

  /** What the function library (src/builtins/library.ts) may use of this lowerer. */
  libContext(): LowerContext {
    const self = this;
    return {
      diags: this.diags,
      probe: this.probe,
      unsafe: this.script.unsafe === true,
      source: this.script.source,
      stackMode: this.script.stackMode,
      config: this.script.config,
      maxStrlen: this.script.maxStrlen ?? DEFAULT_STRLEN,
      strTruncTrailer: this.script.strTruncTrailer,
      library: (name) => LIBRARY_FUNCTIONS.get(name),
      scriptMap: (name) => self.script.maps.get(name),
      resolveType: (name) => self.types.resolveName(name),
      loops: () => self.loopKinds,
      helperErr: (helper, span, needsK) => helperErr(self, helper, span, needsK),
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
      emit: (spec, args) => emit(self, spec, args),
      registerEvent(spec) {
        self.script.events.push(spec);
        return self.script.events.length - 1;
      },
      knownMap: (m) => knownMap(self, m),
      keyBlob: (keys, spec, m) => mapKeyBlob(self, keys, spec, m),
      mapId: (name) => mapId(self, name),
      internalMap(name, def) {
        self.script.internalMaps?.set(name, def);
        return mapId(self, name);
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

  unsupported(message: string, span: Span): never {
    this.diags.error('not-supported', message, span);
    throw new Unsupported(message);
  }

  fail(): TypedValue {
    return { type: { kind: 'none' }, int: { op: 'const', value: 0n } };
  }
}
