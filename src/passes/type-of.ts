/**
 * The type of every expression of one probe, computed from the AST without lowering it: the walk
 * type resolution (src/passes/resolve-types.ts) repeats over all probes to a fixed point. These
 * are the type rules: lowering reads the last walk's type of each expression (`exprTypes`,
 * ProbeLowerer.typeOf in src/passes/lower.ts) where it decides one (operators, `?:`, tuples, map
 * reads and updates, `sizeof(e)`/`typeof(e)`, whose operands are only typed). What a map is
 * assigned and keyed with is observed in the script's TypeTable, what a scratch variable holds in
 * the script's variable types (by probe and declaration, src/passes/var-types.ts). Literal
 * folding, key layouts, pointer and struct types are functions both passes share; library
 * functions answer their result type through their declared typing (`type`, `typeStmt`,
 * `typeAggregate` on the record, given the TypeContext `typing()` below; every record declares one:
 * test/unit/passes/lib-typing.test.ts), the packet view through packetType (src/builtins/packet.ts):
 * no lowering hook runs here.
 *
 * This class holds a probe's typing state and the expression dispatch; statements are typed in
 * src/passes/type-stmts.ts, memory places and casts in src/passes/type-memory.ts.
 *
 * Diagnostics of this walk are not reported: the lowering that follows reports them once, in
 * order. A statement the lowerer would abandon (an unknown field, an unsupported value) is
 * abandoned here too (`Unsupported`), so both observe the same uses.
 */
import type * as ast from '../ast/nodes.js';
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from '../builtins/functions.js';
import type { TypeContext } from '../builtins/library.js';
import { packetType } from '../builtins/packet.js';
import { defaultAddressSpace } from '../builtins/str.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { byteLength } from '../contract/index.js';
import { kernelBtfTypes, type CType } from '../kernel/btf.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { TOO_DEEP } from '../syntax/depth.js';
import { aggregateLayout, boolType, DEFAULT_STRLEN, i64, isIntegral, noneType, PROBE_STR_SIZE, sizeOf, typeEquals, u64, type Type } from '../types/types.js';
import { enumConstant } from './enums.js';
import { arithResult, constType, literalType, promoteInt } from './int-semantics.js';
import { fold, type FoldHost } from './lower-arith.js';
import { contextFieldValue } from './lower-context.js';
import { keyExprTypes } from './lower-maps.js';
import { elemStorageType } from './lower-memory.js';
import { TypeResolver } from './lower-types.js';
import { Unsupported } from './lower-values.js';
import type { ScriptState } from './lower.js';
import { expandMacroOnce, type Expansion } from './macros.js';
import { getoptValue } from './named-params.js';
import type { MapKind, MapSpec } from './program-info.js';
import { promoteType, TypeTable } from './resolve-types.js';
import { targetBuiltin } from './target-process.js';
import { lowerUsdtArg } from './usdt-lower.js';
import { mergeVarType } from './var-types.js';
import { stmt, update } from './type-stmts.js';
import { cast, concreteType, placeOrPointee, tryPlace, load, addressOf, index, field } from './type-memory.js';

export const none: Type = noneType;
const MAX_TYPE_DEPTH = 600;

/** What memory an expression denotes, for typing: its C type and address space. */
export interface TypedPlace {
  readonly ctype: CType;
  readonly space: 'user' | 'kernel';
  readonly bitSize?: number;
}

interface VarEntry {
  type: Type;
  readonly key: string;
  readonly fixed: boolean;
}

/** Types one probe (see the file comment). */
export class ProbeTyper implements FoldHost {
  readonly scopes: Map<string, VarEntry>[] = [new Map()];
  readonly types: TypeResolver;
  readonly table: TypeTable;
  readonly notMemory = new WeakSet<ast.Expr>();
  depth = 0;
  macroDepth = 0;

  constructor(
    readonly script: ScriptState,
    readonly probe: ConcreteProbe,
    readonly diags: Diagnostics,
    /** When given, the type of every expression typed (to compare with lowering's, in tests). */
    readonly exprTypes?: Map<ast.Expr, Type>,
    /** Types already known (lowering's, for a node a library hook built while lowering): not typed again. */
    readonly known?: (e: ast.Expr) => Type | undefined,
  ) {
    this.types = script.types ?? new TypeResolver([], () => kernelBtfTypes());
    this.table = script.table ?? new TypeTable(script.source);
  }

  /** Type the probe's predicate and body, observing every map and variable use. */
  typeProbe(node: ast.Probe): void {
    if (node.predicate) this.caught(() => this.typeOf(node.predicate!));
    this.block(node.body);
  }

  // ------------------------------------------------------------------ statements

  caught(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }

  scoped<T>(f: () => T): T {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  block(b: ast.Block): void {
    this.scoped(() => this.stmts(b.stmts));
  }

  stmts(list: readonly ast.Stmt[]): void {
    for (const s of list) this.caught(() => stmt(this, s));
  }

  // ------------------------------------------------------------------ maps

  mapKeyTypes(m: ast.MapRef): Type[] {
    return keyExprTypes(m.keys, (k) => this.typeOf(k));
  }

  useMap(m: ast.MapRef, kind: MapKind, key: readonly Type[], valueType: Type, params: readonly bigint[], node: ast.Node): MapSpec | undefined {
    return this.table.observeValue(m.name, kind, key, valueType, params, node, this.diags, m.span);
  }

  knownMap(m: ast.MapRef): MapSpec | undefined {
    return this.table.maps.get(m.name);
  }

  /** A key use of a known map: its key types promoted with this use's; false after a conflict. */
  observeKeys(keys: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): boolean {
    return this.table.observeKeys(spec.name, keyExprTypes(keys, (k) => this.typeOf(k)), m.span, this.diags) !== undefined;
  }

  mapRead(e: ast.MapRef): Type {
    const spec = this.knownMap(e);
    if (!spec || !this.observeKeys(e.keys, spec, e)) return none;
    switch (spec.kind) {
      case 'count':
        return u64;
      case 'sum': case 'min': case 'max': case 'avg':
        return i64;
      case 'int':
        return spec.valueType.kind === 'int' || spec.valueType.kind === 'ptr' ? spec.valueType : i64;
      case 'value':
        return spec.valueType;
      default:
        return this.unsupported();
    }
  }

  // ------------------------------------------------------------------ variables

  findVar(name: string): VarEntry | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  lookupVar(v: ast.Variable): VarEntry | undefined {
    return this.findVar(v.name);
  }

  /** As the lowerer's declareVar (src/passes/lower-idents.ts): a reassignment promotes the variable's resolved type. */
  declareVar(name: string, type: Type, span: Span, fresh = false, fixed = false): VarEntry | undefined {
    const existing = fresh ? this.scopes[this.scopes.length - 1]!.get(name) : this.findVar(name);
    if (existing && !existing.fixed) {
      const merged = mergeVarType(existing.type, type);
      if (merged && !typeEquals(merged, existing.type)) {
        this.script.varTypes?.set(existing.key, merged);
        if (isIntegral(merged) || sizeOf(merged) <= sizeOf(existing.type)) existing.type = merged;
      }
    }
    if (existing) return existing;
    const key = `${this.probe.name}|${span.start}|${name}`;
    const learned = fixed ? undefined : this.script.varTypes?.get(key);
    if (learned) type = mergeVarType(learned, type) ?? type;
    const entry: VarEntry = { type, key, fixed };
    this.scopes[this.scopes.length - 1]!.set(name, entry);
    return entry;
  }

  // ------------------------------------------------------------------ expressions

  /** Runs `f` one expression level deeper (the lowerer's bound on macro-multiplied depth). */
  deeper<T>(e: ast.Expr, f: () => T): T {
    if (this.depth >= MAX_TYPE_DEPTH) {
      this.diags.error(TOO_DEEP, `expression nests more than ${MAX_TYPE_DEPTH} levels deep once macros are expanded`, e.span);
      throw new Unsupported('too deep');
    }
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** The type of `e` (none when it has no value or an error the lowerer will report). */
  typeOf(e: ast.Expr): Type {
    const known = this.known?.(e);
    if (known) return known;
    return this.deeper(e, () => {
      const t = this.typeAt(e);
      this.exprTypes?.set(e, t);
      return t;
    });
  }

  typeAt(e: ast.Expr): Type {
    const packet = packetType(this.probe, e, (x) => this.typeOf(x));
    if (packet) return packet;
    switch (e.kind) {
      case 'IntLiteral':
        return literalType(e.value);
      case 'BoolLiteral':
        return boolType;
      case 'StringLiteral':
        return stringType(e.value);
      case 'Positional':
      case 'PositionalCount':
        return this.folded(e) ?? stringType(this.script.positionals[(e.kind === 'Positional' ? e.index : 0) - 1] ?? '');
      case 'Variable': {
        const v = this.lookupVar(e);
        if (!v) return none;
        return v.type.kind === 'none' ? i64 : v.type;
      }
      case 'MapRef':
        return this.mapRead(e);
      case 'Identifier':
        return this.identifier(e);
      case 'FieldAccess':
        return field(this, e);
      case 'Call':
        return this.call(e);
      case 'Binary':
        return this.binary(e);
      case 'Unary':
        return this.unary(e);
      case 'Update':
        return this.updateValue(e);
      case 'Ternary':
        return this.ternary(e);
      case 'Cast':
        return cast(this, e);
      case 'Tuple':
      case 'Record': {
        const elems = e.elems.map((x) => elemStorageType(this.typeOf(x)));
        return e.kind === 'Record' ? { kind: 'tuple', elems, names: e.names } : { kind: 'tuple', elems };
      }
      case 'Index':
        return index(this, e);
      case 'Sizeof': {
        // sizeof(typeof(x)) is sizeof(x); a type is not typed, a place is not read.
        let arg: ast.Expr | ast.TypeExpr = e.arg;
        while (arg.kind === 'TypeExpr' && arg.of) arg = arg.of;
        if (arg.kind !== 'TypeExpr' && !tryPlace(this, arg)) this.typeOf(arg);
        return u64;
      }
      case 'Offsetof':
        if (e.type.of) concreteType(this, e.type);
        return u64;
      case 'BlockExpr':
        return this.scoped(() => {
          this.stmts(e.stmts);
          return this.typeOf(e.value);
        });
      case 'TypeArg':
        return this.unsupported();
    }
  }

  /** A literal-only expression's folded type; none after an overflow; undefined when not all literals. */
  folded(e: ast.Expr): Type | undefined {
    const f = fold(this, e);
    if (f === undefined) return undefined;
    if (f === 'error') return none;
    return f.kind === 'bool' ? boolType : constType(f.value);
  }

  constInt(e: ast.Expr): bigint {
    const f = fold(this, e);
    return f !== 'error' && f?.kind === 'int' ? f.value : 1n;
  }

  identifier(e: ast.Identifier): Type {
    const target = targetBuiltin(e.name, this.script.target);
    if (typeof target === 'string') return none;
    if (target) return target.type;
    if (e.name === 'probe') return stringType(this.probe.userName ?? this.probe.name, PROBE_STR_SIZE);
    const libVar = LIBRARY_VARS.get(e.name);
    if (libVar) return libVar.type ? libVar.type(e, this.typing()) : none;
    if (e.name === 'args') return this.probe.args ? { kind: 'args' } : none;
    const usdtArg = this.probe.usdtArgs && /^arg\d+$/.test(e.name) ? this.probe.usdtArgs[Number(e.name.slice(3))] : undefined;
    if (usdtArg) return lowerUsdtArg(usdtArg).type;
    const reg = this.probe.registers.find((r) => r.name === e.name);
    if (reg) return contextFieldValue(reg).type;
    if (/^arg\d+$/.test(e.name) || e.name === 'retval') return none;
    const macro = this.script.macros?.get(e.name);
    if (macro && macro.params.length === 0) return this.macroValue({ kind: 'Call', span: e.span, callee: e.name, calleeSpan: e.span, args: [] }, macro, e);
    const enumerator = enumConstant(e.name, this.types.enums);
    return enumerator ? enumerator.type : none;
  }

  call(e: ast.Call): Type {
    const macro = this.script.macros?.get(e.callee);
    if (macro) return this.macroValue(e, macro);
    if (e.callee === 'getopt') {
      const v = getoptValue(e, this.script.namedParams ?? new Map(), this.script.givenParams ?? new Map(), this.diags);
      if (!v) return none;
      return v.type === 'string' ? stringType(v.value, this.script.maxStrlen) : v.type;
    }
    const lib = LIBRARY_FUNCTIONS.get(e.callee);
    return lib?.type ? lib.type(e, this.typing()) : none;
  }

  binary(e: ast.Binary): Type {
    const folded = this.folded(e);
    if (folded) return folded;
    const l = this.typeOf(e.left);
    const r = this.typeOf(e.right);
    if (e.op === '&&' || e.op === '||') return boolType;
    if ((l.kind === 'tuple' || r.kind === 'tuple') && l.kind !== 'none' && r.kind !== 'none') {
      return (e.op === '==' || e.op === '!=') && comparable(l, r) ? boolType : none;
    }
    if (l.kind === 'str' || r.kind === 'str') return (e.op === '==' || e.op === '!=') && l.kind === 'str' && r.kind === 'str' ? boolType : none;
    if (e.op === '+' || e.op === '-') {
      const lp = l.kind === 'ptr';
      const rp = r.kind === 'ptr';
      if (lp && rp) return none;
      if (rp && e.op === '-') return none;
      if (lp) return l;
      if (rp) return r;
    }
    if (['==', '!=', '<', '<=', '>', '>='].includes(e.op)) return boolType;
    return arithResult(e.op, l, r).type;
  }

  unary(e: ast.Unary): Type {
    if (e.op === '*') {
      const p = placeOrPointee(this, e.operand, true);
      if (!p) {
        this.typeOf(e.operand);
        return none;
      }
      return load(this, p);
    }
    if (e.op === '&') return addressOf(this, e);
    const folded = this.folded(e);
    if (folded) return folded;
    const v = this.typeOf(e.operand);
    return e.op === '!' ? boolType : v.kind === 'int' && !v.signed ? u64 : i64;
  }

  updateValue(e: ast.Update): Type {
    if (e.target.kind === 'MapRef') {
      const spec = update(this, e);
      if (!spec) return none;
      if (spec.kind !== 'int' && spec.kind !== 'value') return this.unsupported();
      return i64;
    }
    const v = this.lookupVar(e.target);
    return v && isIntegral(v.type) ? v.type : none;
  }

  ternary(e: ast.Ternary): Type {
    this.typeOf(e.cond);
    const thenT = e.then ? this.typeOf(e.then) : this.typeOf(e.cond);
    const elseT = this.typeOf(e.else);
    if (isIntegral(thenT) && isIntegral(elseT)) return thenT.kind === 'int' && elseT.kind === 'int' ? promoteInt(thenT, elseT) : thenT;
    if (thenT.kind === 'str' && elseT.kind === 'str') return { kind: 'str', size: Math.max(thenT.size, elseT.size) };
    return (hasBlob(thenT) && hasBlob(elseT) ? promoteType(thenT, elseT) : undefined) ?? none;
  }

  defaultSpace(): 'user' | 'kernel' {
    return defaultAddressSpace(this.probe);
  }

  // ------------------------------------------------------------------ macros

  inMacro<T>(f: () => T): T {
    this.macroDepth++;
    try {
      return f();
    } finally {
      this.macroDepth--;
    }
  }

  expand(call: ast.Call, def: ast.MacroDef, use: ast.Node = call): Expansion | undefined {
    return this.macroDepth >= 16 ? undefined : expandMacroOnce(def, call, this.diags, use);
  }

  macroValue(call: ast.Call, def: ast.MacroDef, use: ast.Node = call): Type {
    const exp = this.expand(call, def, use);
    const last = exp?.stmts[exp.stmts.length - 1];
    if (!exp || !last || last.kind !== 'ExprStmt') return none;
    return this.inMacro(() => this.scoped(() => {
      this.stmts(exp.stmts.slice(0, -1));
      return this.typeOf(last.expr);
    }));
  }

  // ------------------------------------------------------------------ the function library

  unsupported(): never {
    throw new Unsupported('untyped');
  }

  typingCx: TypeContext | undefined;

  /** What a library function's declared typing sees (library.ts TypeContext). */
  typing(): TypeContext {
    if (this.typingCx) return this.typingCx;
    const self = this;
    return (this.typingCx = {
      diags: this.diags,
      probe: this.probe,
      unsafe: this.script.unsafe === true,
      stackMode: this.script.stackMode,
      config: this.script.config,
      maxStrlen: this.script.maxStrlen ?? DEFAULT_STRLEN,
      strTruncTrailer: this.script.strTruncTrailer,
      typeOf: (e) => self.typeOf(e),
      constInt: (e) => self.constInt(e),
      constString: (e) => self.constString(e),
      knownMap: (m) => self.knownMap(m),
      observeKeys: (keys, spec, m) => self.observeKeys(keys, spec, m),
      scriptMap: (name) => self.table.maps.get(name),
      resolveType: (name) => self.types.resolveName(name),
      library: (name) => LIBRARY_FUNCTIONS.get(name),
      unsupported: () => self.unsupported(),
    });
  }

  /** A string literal or string positional's text (typing's constString). */
  constString(e: ast.Expr): string | undefined {
    if (e.kind === 'StringLiteral') return e.value;
    if (e.kind === 'Positional') return this.script.positionals[e.index - 1];
    return undefined;
  }
}

function stringType(value: string, size?: number): Type {
  const bytes = byteLength(value) + 1;
  return { kind: 'str', size: Math.max(size ?? bytes, bytes) };
}

/** Whether `==` can compare values of these types (the lowerer's valuesEqual shapes). */
function comparable(l: Type, r: Type): boolean {
  if (isIntegral(l) && isIntegral(r)) return true;
  if (l.kind === 'str' && r.kind === 'str') return true;
  if (l.kind === 'tuple' && r.kind === 'tuple' && l.elems.length === r.elems.length) {
    const lf = aggregateLayout(l).fields;
    const rf = aggregateLayout(r).fields;
    return lf.every((f, i) => comparable(f.type, rf[i]!.type));
  }
  return hasBlob(l) && hasBlob(r) && typeEquals(l, r);
}

/** Whether lowering holds a value of this type as a blob (aggregates, strings) rather than an integer expression. */
export function hasBlob(t: Type): boolean {
  return !isIntegral(t) && t.kind !== 'none' && t.kind !== 'args';
}

