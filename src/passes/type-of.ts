/**
 * The type of every expression of one probe, computed from the AST without lowering it: the walk
 * type resolution (src/passes/resolve-types.ts) repeats over all probes to a fixed point. It
 * follows the lowerer's rules (src/passes/lower-*.ts) exactly where they decide a type: what a map
 * is assigned and keyed with is observed in the script's TypeTable, what a scratch variable holds
 * in the script's variable types (by probe and declaration, src/passes/var-types.ts). Literal
 * folding, key layouts, pointer and struct types are the lowerer's own functions.
 *
 * Diagnostics of this walk are not reported: the lowering that follows reports them once, in
 * order. A statement the lowerer would abandon (an unknown field, an unsupported value) is
 * abandoned here too (`Unsupported`), so both observe the same uses.
 */
import type * as ast from '../ast/nodes.js';
import { isAggregation } from '../builtins/builtins.js';
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from '../builtins/functions.js';
import type { LibValue, LowerContext } from '../builtins/library.js';
import { PacketLowering } from '../builtins/packet.js';
import { defaultAddressSpace } from '../builtins/str.js';
import type { Diagnostics } from '../common/diagnostic.js';
import type { Span } from '../common/span.js';
import { byteLength } from '../contract/index.js';
import type { IrBlob, IrExpr } from '../ir/ir.js';
import { findMember, kernelBtfTypes, type CType } from '../kernel/btf.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { TOO_DEEP } from '../syntax/depth.js';
import {
  aggregateLayout, boolType, DEFAULT_STRLEN, i64, isIntegral, noneType, sizeOf, typeEquals, u64, type Type,
} from '../types/types.js';
import { enumConstant } from './enums.js';
import { arithResult, constType, literalType, promoteInt } from './int-semantics.js';
import { fold, type FoldHost } from './lower-arith.js';
import { contextFieldValue } from './lower-context.js';
import { keyLayoutTypes, keyTypesOf, valueStorageType } from './lower-maps.js';
import { castTarget, elemStorageType } from './lower-memory.js';
import { pointee, ptrType, TypeResolver, valueTypeOf } from './lower-types.js';
import { Unsupported } from './lower-values.js';
import type { ScriptState } from './lower.js';
import { expandMacro, type Expansion } from './macros.js';
import { getoptValue } from './named-params.js';
import type { MapKind, MapSpec } from './program-info.js';
import { promoteType, TypeTable } from './resolve-types.js';
import { cValueType } from './struct-values.js';
import { targetBuiltin } from './target-process.js';
import { lowerUsdtArg } from './usdt-lower.js';
import { mergeVarType } from './var-types.js';

const none: Type = noneType;
const MAX_TYPE_DEPTH = 600;

/** What memory an expression denotes, for typing: its C type and address space. */
interface TypedPlace {
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
  private readonly scopes: Map<string, VarEntry>[] = [new Map()];
  private readonly types: TypeResolver;
  private readonly table: TypeTable;
  private readonly notMemory = new WeakSet<ast.Expr>();
  private depth = 0;
  private macroDepth = 0;
  private packetView: PacketLowering | undefined;

  constructor(
    readonly script: ScriptState,
    private readonly probe: ConcreteProbe,
    readonly diags: Diagnostics,
    /** When given, the type of every expression typed (to compare with lowering's, in tests). */
    private readonly exprTypes?: Map<ast.Expr, Type>,
  ) {
    this.types = script.types ?? new TypeResolver([], () => kernelBtfTypes());
    this.table = script.table ?? new TypeTable(script.source);
  }

  /** Type the probe's predicate and body, observing every map and variable use. */
  typeProbe(node: ast.Probe): void {
    if (node.predicate) this.caught(() => this.typeOf(node.predicate!));
    this.block(node.body);
  }

  private get packet(): PacketLowering {
    return (this.packetView ??= new PacketLowering(this.probe, this.sandbox()));
  }

  // ------------------------------------------------------------------ statements

  private caught(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }

  private scoped<T>(f: () => T): T {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  private block(b: ast.Block): void {
    this.scoped(() => this.stmts(b.stmts));
  }

  private stmts(list: readonly ast.Stmt[]): void {
    for (const s of list) this.caught(() => this.stmt(s));
  }

  private stmt(s: ast.Stmt): void {
    switch (s.kind) {
      case 'Block':
        return this.block(s);
      case 'ExprStmt':
        return this.exprStmt(s.expr);
      case 'Assign':
        return s.target.kind === 'MapRef' ? this.assignMap(s.target, s.op, s.value, s) : this.assignVar(s.target, s.op, s.value, s);
      case 'VarDecl':
        return this.varDecl(s);
      case 'If': {
        // As the lowerer: a condition known now types only the branch taken.
        const known = fold(this, s.cond);
        if (known !== undefined && known !== 'error') {
          const taken = known.kind === 'bool' ? known.value : known.value !== 0n;
          if (taken) return this.block(s.then);
          if (s.else) return s.else.kind === 'Block' ? this.block(s.else) : this.stmt(s.else);
          return;
        }
        this.typeOf(s.cond);
        this.block(s.then);
        if (s.else) s.else.kind === 'Block' ? this.block(s.else) : this.stmt(s.else);
        return;
      }
      case 'While':
        this.typeOf(s.cond);
        this.block(s.body);
        return;
      case 'Unroll': {
        const n = this.constInt(s.count);
        if (n < 1n || n > 100n) return;
        for (let i = 0n; i < n; i++) this.block(s.body);
        return;
      }
      case 'ForRange':
        this.typeOf(s.from);
        this.typeOf(s.to);
        this.scoped(() => {
          this.declareVar(s.variable.name, i64, s.variable.span, true, true);
          this.stmts(s.body.stmts);
        });
        return;
      case 'ForMap':
        return this.forMap(s);
      case 'Return':
      case 'Jump':
        return;
    }
  }

  /** `for ($kv : @m)`: `$kv` is (key, value) as src/passes/lower-for-map.ts lays it out. */
  private forMap(s: ast.ForMap): void {
    const spec = this.knownMap(s.map);
    if (!spec || s.map.keys.length > 0 || spec.keyTypes.length === 0) return;
    let valueType: Type;
    switch (spec.kind) {
      case 'count':
        valueType = u64;
        break;
      case 'sum': case 'min': case 'max': case 'avg':
        valueType = i64;
        break;
      case 'int':
        valueType = spec.valueType.kind === 'int' ? { kind: 'int', bits: 64, signed: spec.valueType.signed } : spec.valueType.kind === 'ptr' ? spec.valueType : i64;
        break;
      case 'value':
        valueType = spec.valueType;
        break;
      default:
        return;
    }
    const kvType: Type = { kind: 'tuple', elems: [keyLayoutTypes(spec.keyTypes), valueType] };
    this.scoped(() => {
      this.declareVar(s.variable.name, kvType, s.variable.span, true);
      this.stmts(s.body.stmts);
    });
  }

  private varDecl(s: ast.VarDecl): void {
    if (s.type?.of) {
      const type = this.concreteType(s.type);
      if (type) this.varDecl({ ...s, type });
      return;
    }
    let declared: Type = s.type || s.value ? i64 : none;
    if (s.type?.name === 'string' && s.type.pointerDepth === 0) {
      declared = { kind: 'str', size: s.type.arraySize ?? this.script.maxStrlen ?? DEFAULT_STRLEN };
    } else if (s.type) {
      const ct = this.types.resolve(s.type);
      const t = ct && valueTypeOf(ct, 'kernel');
      if (!t) return;
      declared = t;
    }
    if (!s.value) {
      this.declareVar(s.variable.name, declared, s.span, true, s.type !== undefined);
      return;
    }
    let value = this.typeOf(s.value);
    if (s.type && declared.kind === 'int' && isIntegral(value)) value = declared;
    else if (s.type && !typeEquals(declared, value) && !(declared.kind === 'str' && value.kind === 'str')) return;
    this.declareVar(s.variable.name, s.type ? declared : value, s.span, true, s.type !== undefined);
  }

  private exprStmt(e: ast.Expr): void {
    if (this.packet.statement(e)) return;
    if (e.kind === 'Update') {
      this.update(e);
      return;
    }
    if (e.kind === 'Call') return this.callStmt(e);
    this.typeOf(e);
  }

  /** `x++` as a statement: a map use of kind int. */
  private update(e: ast.Update): MapSpec | undefined {
    if (e.target.kind === 'MapRef') return this.useMap(e.target, 'int', this.mapKeyTypes(e.target), this.counterType(e.target), [], e);
    this.lookupVar(e.target);
    return undefined;
  }

  private assignVar(target: ast.Variable, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): void {
    if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) return;
    let value = this.typeOf(valueExpr);
    if (op !== '=') {
      const current = this.lookupVar(target);
      if (!current) return;
      const bop = op.slice(0, -1) as ast.BinaryOp;
      value = isIntegral(current.type) && isIntegral(value) ? arithResult(bop, current.type, value).type : i64;
    }
    this.declareVar(target.name, value, node.span);
  }

  private assignMap(target: ast.MapRef, op: ast.AssignOp, valueExpr: ast.Expr, node: ast.Node): void {
    if (valueExpr.kind === 'BlockExpr' && valueExpr.value.kind === 'Call' && isAggregation(valueExpr.value.callee)) {
      const inner = valueExpr.value;
      this.scoped(() => {
        this.stmts(valueExpr.stmts);
        this.assignMap(target, op, inner, node);
      });
      return;
    }
    const key = this.mapKeyTypes(target);
    if (valueExpr.kind === 'Call' && isAggregation(valueExpr.callee)) {
      if (op === '=') this.aggregate(target, key, valueExpr);
      return;
    }
    const value = this.typeOf(valueExpr);
    if (op !== '=') {
      if (isIntegral(value)) this.useMap(target, 'int', key, this.counterType(target), [], node);
      return;
    }
    if (value.kind === 'none' || value.kind === 'args') return;
    this.useMap(target, isIntegral(value) ? 'int' : 'value', key, valueStorageType(value), [], node);
  }

  private counterType(m: ast.MapRef): Type {
    const t = this.table.maps.get(m.name)?.valueType;
    return t && (t.kind === 'ptr' || t.kind === 'int') ? t : i64;
  }

  /** An aggregation's record (src/builtins/aggregations.ts) run on the sandbox: it declares the map use as lowering will. */
  private aggregate(target: ast.MapRef, key: readonly Type[], call: ast.Call): void {
    LIBRARY_FUNCTIONS.get(call.callee)!.aggregate!(call, this.sandbox(), (kind, valueType, params) => {
      const spec = this.useMap(target, kind, key, valueType, params, call);
      return spec ? { spec, key: { op: 'zero', size: 8 } } : undefined;
    });
  }

  private callStmt(call: ast.Call): void {
    const macro = this.script.macros?.get(call.callee);
    if (macro) {
      const exp = this.expand(call, macro);
      if (exp) this.inMacro(() => this.scoped(() => this.stmts(exp.stmts)));
      return;
    }
    const lib = LIBRARY_FUNCTIONS.get(call.callee);
    if (lib?.stmt) lib.stmt(call, this.sandbox());
    else if (!isAggregation(call.callee)) this.typeOf(call);
  }

  // ------------------------------------------------------------------ maps

  private mapKeyTypes(m: ast.MapRef): Type[] {
    return keyTypesOf(m.keys.map((k) => this.typeOf(k)));
  }

  private useMap(m: ast.MapRef, kind: MapKind, key: readonly Type[], valueType: Type, params: readonly bigint[], node: ast.Node): MapSpec | undefined {
    return this.table.observeValue(m.name, kind, key, valueType, params, node, this.diags, m.span);
  }

  private knownMap(m: ast.MapRef): MapSpec | undefined {
    return this.table.maps.get(m.name);
  }

  /** A key use of a known map: its key types promoted with this use's; false after a conflict. */
  private observeKeys(keys: readonly ast.Expr[], spec: MapSpec, m: ast.MapRef): boolean {
    return this.table.observeKeys(spec.name, keyTypesOf(keys.map((k) => this.typeOf(k))), m.span, this.diags) !== undefined;
  }

  private mapRead(e: ast.MapRef): Type {
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

  private findVar(name: string): VarEntry | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  private lookupVar(v: ast.Variable): VarEntry | undefined {
    return this.findVar(v.name);
  }

  /** As the lowerer's declareVar (src/passes/lower-idents.ts): a reassignment promotes the variable's resolved type. */
  private declareVar(name: string, type: Type, span: Span, fresh = false, fixed = false): VarEntry | undefined {
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
    return this.deeper(e, () => {
      const t = this.typeAt(e);
      this.exprTypes?.set(e, t);
      return t;
    });
  }

  private typeAt(e: ast.Expr): Type {
    const packetValue = this.packet.value(e);
    if (packetValue) return packetValue.type;
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
        return this.field(e);
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
        return this.cast(e);
      case 'Tuple':
      case 'Record': {
        const elems = e.elems.map((x) => elemStorageType(this.typeOf(x)));
        return e.kind === 'Record' ? { kind: 'tuple', elems, names: e.names } : { kind: 'tuple', elems };
      }
      case 'Index':
        return this.index(e);
      case 'Sizeof': {
        // sizeof(typeof(x)) is sizeof(x); a type is not typed, a place is not read.
        let arg: ast.Expr | ast.TypeExpr = e.arg;
        while (arg.kind === 'TypeExpr' && arg.of) arg = arg.of;
        if (arg.kind !== 'TypeExpr' && !this.tryPlace(arg)) this.typeOf(arg);
        return u64;
      }
      case 'Offsetof':
        if (e.type.of) this.concreteType(e.type);
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
  private folded(e: ast.Expr): Type | undefined {
    const f = fold(this, e);
    if (f === undefined) return undefined;
    if (f === 'error') return none;
    return f.kind === 'bool' ? boolType : constType(f.value);
  }

  private constInt(e: ast.Expr): bigint {
    const f = fold(this, e);
    return f !== 'error' && f?.kind === 'int' ? f.value : 1n;
  }

  private identifier(e: ast.Identifier): Type {
    const target = targetBuiltin(e.name, this.script.target);
    if (typeof target === 'string') return none;
    if (target) return target.type;
    if (e.name === 'probe') return stringType(this.probe.name, 64);
    const libVar = LIBRARY_VARS.get(e.name);
    if (libVar) return libVar.lower(e, this.sandbox()).type;
    if (e.name === 'args') return this.probe.args ? { kind: 'args' } : none;
    const usdtArg = this.probe.usdtArgs && /^arg\d+$/.test(e.name) ? this.probe.usdtArgs[Number(e.name.slice(3))] : undefined;
    if (usdtArg) return lowerUsdtArg(usdtArg).type;
    const reg = this.probe.registers.find((r) => r.name === e.name);
    if (reg) return contextFieldValue(reg).type;
    if (/^arg\d+$/.test(e.name) || e.name === 'retval') return none;
    const macro = this.script.macros?.get(e.name);
    if (macro && macro.params.length === 0) return this.macroValue({ kind: 'Call', span: e.span, callee: e.name, calleeSpan: e.span, args: [] }, macro);
    const enumerator = enumConstant(e.name, this.types.enums);
    return enumerator ? enumerator.type : none;
  }

  private call(e: ast.Call): Type {
    const macro = this.script.macros?.get(e.callee);
    if (macro) return this.macroValue(e, macro);
    if (e.callee === 'getopt') {
      const v = getoptValue(e, this.script.namedParams ?? new Map(), this.script.givenParams ?? new Map(), this.diags);
      if (!v) return none;
      return v.type === 'string' ? stringType(v.value, this.script.maxStrlen) : v.type;
    }
    const lib = LIBRARY_FUNCTIONS.get(e.callee);
    if (lib?.expr) return lib.expr(e, this.sandbox()).type;
    return none;
  }

  private binary(e: ast.Binary): Type {
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

  private unary(e: ast.Unary): Type {
    if (e.op === '*') {
      const p = this.placeOrPointee(e.operand);
      if (!p) {
        this.typeOf(e.operand);
        return none;
      }
      return this.load(p);
    }
    if (e.op === '&') return this.addressOf(e);
    const folded = this.folded(e);
    if (folded) return folded;
    const v = this.typeOf(e.operand);
    return e.op === '!' ? boolType : v.kind === 'int' && !v.signed ? u64 : i64;
  }

  private updateValue(e: ast.Update): Type {
    if (e.target.kind === 'MapRef') {
      const spec = this.update(e);
      if (!spec) return none;
      if (spec.kind !== 'int' && spec.kind !== 'value') return this.unsupported();
      return i64;
    }
    const v = this.lookupVar(e.target);
    return v && isIntegral(v.type) ? v.type : none;
  }

  private ternary(e: ast.Ternary): Type {
    this.typeOf(e.cond);
    const thenT = e.then ? this.typeOf(e.then) : this.typeOf(e.cond);
    const elseT = this.typeOf(e.else);
    if (isIntegral(thenT) && isIntegral(elseT)) return thenT.kind === 'int' && elseT.kind === 'int' ? promoteInt(thenT, elseT) : thenT;
    if (thenT.kind === 'str' && elseT.kind === 'str') return { kind: 'str', size: Math.max(thenT.size, elseT.size) };
    return (hasBlob(thenT) && hasBlob(elseT) ? promoteType(thenT, elseT) : undefined) ?? none;
  }

  private cast(e: ast.Cast): Type {
    if (e.type.of) {
      const type = this.concreteType(e.type);
      return type ? this.typeOf({ ...e, type }) : none;
    }
    const target = castTarget(e.type.name);
    if (!target || e.type.pointerDepth > 0 || e.type.arraySize !== undefined) return this.typedCast(e);
    const v = this.typeOf(e.expr);
    if (v.kind === 'tuple' && v.array && sizeOf(v) !== target.bits / 8) return none;
    return { kind: 'int', bits: target.bits, signed: target.signed };
  }

  private typedCast(e: ast.Cast): Type {
    const ct = this.types.resolve(e.type);
    if (!ct) return none;
    const v = this.typeOf(e.expr);
    if (ct.kind === 'array') return this.arrayCast(ct, v);
    if (ct.kind === 'ptr') {
      if (!isIntegral(v)) return none;
      return ptrType(ct, v.kind === 'ptr' ? v.space : this.defaultSpace());
    }
    const t = valueTypeOf(ct, 'kernel');
    if (t && (t.kind === 'int' || t.kind === 'bool')) return t;
    return this.unsupported();
  }

  private arrayCast(ct: CType & { kind: 'array' }, v: Type): Type {
    if (v.kind === 'none') return v;
    const elem = ct.elem;
    if (elem.kind !== 'int' || ![1, 2, 4, 8].includes(elem.size)) return this.unsupported();
    const from = isIntegral(v) ? 8 : hasBlob(v) ? sizeOf(v) : 0;
    const total = ct.count === 0 ? from : ct.count * elem.size;
    const ok = isIntegral(v) ? [1, 2, 4, 8].includes(total) && total <= from : total === from;
    if (!ok || total % elem.size !== 0 || from === 0) return none;
    const type = cValueType({ kind: 'array', elem: { ...elem, isChar: false }, count: total / elem.size }, 'kernel');
    if (typeof type === 'string') return this.unsupported();
    return type;
  }

  /** `typeof(...)` as the plain type it stands for (as src/passes/lower-memory.ts concreteType). */
  private concreteType(te: ast.TypeExpr): ast.TypeExpr | undefined {
    const of = te.of;
    if (!of) return te;
    if (of.kind === 'TypeExpr') return this.concreteType(of);
    const plain = (name: string, pointerDepth = 0, arraySize?: number): ast.TypeExpr => ({ kind: 'TypeExpr', span: te.span, name, pointerDepth, arraySize });
    if (of.kind === 'Identifier' && !LIBRARY_VARS.has(of.name) && !/^(args|probe|retval|s?arg\d+)$/.test(of.name)) return plain(of.name);
    const t = this.typeOf(of);
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
      default:
        return undefined;
    }
  }

  private defaultSpace(): 'user' | 'kernel' {
    return defaultAddressSpace(this.probe);
  }

  // ------------------------------------------------------------------ memory

  private place(e: ast.Expr): TypedPlace | undefined {
    if (e.kind === 'FieldAccess') {
      const base = this.placeOrPointee(e.object);
      if (!base) return undefined;
      if (base.ctype.kind !== 'record') return this.unsupported();
      const m = findMember(base.ctype, e.field);
      if (!m) return this.unsupported();
      return m.bitSize > 0 ? { ctype: m.type, space: base.space, bitSize: m.bitSize } : { ctype: m.type, space: base.space };
    }
    if (e.kind === 'Index') {
      const base = this.placeOrPointee(e.object);
      if (!base) return undefined;
      this.typeOf(e.index);
      return { ctype: base.ctype.kind === 'array' ? base.ctype.elem : base.ctype, space: base.space };
    }
    if (e.kind === 'Unary' && e.op === '*') return this.placeOrPointee(e.operand);
    return undefined;
  }

  private placeOrPointee(e: ast.Expr): TypedPlace | undefined {
    if (this.notMemory.has(e)) return undefined;
    const p = this.place(e);
    if (p) return p.ctype.kind === 'ptr' ? { ctype: p.ctype.target(), space: p.space } : p;
    const v = this.typeOf(e);
    if (v.kind !== 'ptr') {
      this.notMemory.add(e);
      return undefined;
    }
    const target = pointee(v, this.types);
    if (!target) return this.unsupported();
    return { ctype: target, space: v.space };
  }

  private tryPlace(e: ast.Expr): TypedPlace | undefined {
    if (e.kind !== 'FieldAccess' && e.kind !== 'Index' && !(e.kind === 'Unary' && e.op === '*')) return undefined;
    try {
      return this.place(e);
    } catch (err) {
      if (err instanceof Unsupported) return undefined;
      throw err;
    }
  }

  private load(p: TypedPlace): Type {
    const t = valueTypeOf(p.ctype, p.space);
    if (t) return t;
    const whole = p.bitSize === undefined ? cValueType(p.ctype, p.space) : undefined;
    return whole && typeof whole !== 'string' ? whole : this.unsupported();
  }

  private addressOf(e: ast.Unary): Type {
    const op = e.operand;
    if (op.kind === 'Variable') {
      const v = this.lookupVar(op);
      if (!v) return none;
      const t = v.type;
      const ct: CType | undefined = t.kind === 'int' ? this.types.resolveName(`${t.signed ? '' : 'u'}int${t.bits}`)
        : t.kind === 'bool' ? this.types.resolveName('bool')
        : t.kind === 'str' ? { kind: 'array', elem: this.types.resolveName('char')!, count: t.size }
        : t.kind === 'tuple' && t.cname ? this.types.resolveName(t.cname)
        : t.kind === 'ptr' ? (t.ctype?.kind === 'ptr' ? t.ctype : { kind: 'ptr', target: () => this.types.resolveName(t.to) ?? { kind: 'void' } })
        : undefined;
      if (!ct) return this.unsupported();
      return ptrType({ kind: 'ptr', target: () => ct }, 'kernel');
    }
    const p = op.kind === 'FieldAccess' || op.kind === 'Index' || (op.kind === 'Unary' && op.op === '*') ? this.place(op) : undefined;
    if (!p || p.bitSize !== undefined) {
      this.typeOf(op);
      return none;
    }
    const target = p.ctype;
    return ptrType({ kind: 'ptr', target: () => target }, p.space);
  }

  private index(e: ast.Index): Type {
    if (e.object.kind !== 'FieldAccess' && e.object.kind !== 'Index') {
      const obj = this.typeOf(e.object);
      if (obj.kind === 'tuple') return this.tupleElem(obj, Number(this.constInt(e.index)));
      if (obj.kind === 'str') {
        if (e.index.kind === 'IntLiteral' && e.index.value >= BigInt(obj.size)) return none;
        this.typeOf(e.index);
        return { kind: 'int', bits: 8, signed: true };
      }
      if (obj.kind !== 'ptr') return none;
    }
    const p = this.place(e);
    if (!p) {
      const obj = this.typeOf(e.object);
      return obj.kind === 'tuple' ? this.tupleElem(obj, Number(this.constInt(e.index))) : none;
    }
    return this.load(p);
  }

  private field(e: ast.FieldAccess): Type {
    const p = this.place(e);
    if (p) return this.load(p);
    const obj = this.typeOf(e.object);
    if (obj.kind === 'none') return none;
    if (obj.kind !== 'args') {
      if (obj.kind === 'tuple' && /^\d+$/.test(e.field) && !obj.names) return this.tupleElem(obj, Number(e.field));
      if (obj.kind === 'tuple' && obj.names) {
        const i = obj.names.indexOf(e.field);
        return i < 0 ? none : this.tupleElem(obj, i);
      }
      return this.unsupported();
    }
    const f = this.probe.args?.find((a) => a.name === e.field);
    return f ? contextFieldValue(f).type : none;
  }

  private tupleElem(obj: Type, index: number): Type {
    if (obj.kind !== 'tuple' || index >= obj.elems.length) return none;
    return aggregateLayout(obj).fields[index]!.type;
  }

  // ------------------------------------------------------------------ macros

  private inMacro<T>(f: () => T): T {
    this.macroDepth++;
    try {
      return f();
    } finally {
      this.macroDepth--;
    }
  }

  private expand(call: ast.Call, def: ast.MacroDef): Expansion | undefined {
    return this.macroDepth >= 16 ? undefined : expandMacro(def, call, this.diags);
  }

  private macroValue(call: ast.Call, def: ast.MacroDef): Type {
    const exp = this.expand(call, def);
    const last = exp?.stmts[exp.stmts.length - 1];
    if (!exp || !last || last.kind !== 'ExprStmt') return none;
    return this.inMacro(() => this.scoped(() => {
      this.stmts(exp.stmts.slice(0, -1));
      return this.typeOf(last.expr);
    }));
  }

  // ------------------------------------------------------------------ the function library

  private unsupported(): never {
    throw new Unsupported('untyped');
  }

  private sandboxCx: LowerContext | undefined;

  /**
   * What a library function's hook sees while the type pass asks it for its result type: its
   * arguments' types (each typed here, never lowered) as placeholder values; what it would add to
   * the program (events, internal maps, scratch slots) goes nowhere; map uses are observed.
   */
  private sandbox(): LowerContext {
    if (this.sandboxCx) return this.sandboxCx;
    const self = this;
    const placeholder = (type: Type): LibValue => (isIntegral(type) || type.kind === 'none' || type.kind === 'args' ? { type, int: ZERO } : { type, blob: { op: 'zero', size: Math.max(1, sizeOf(type)) } });
    return (this.sandboxCx = {
      diags: this.diags,
      probe: this.probe,
      unsafe: this.script.unsafe === true,
      source: this.script.source,
      stackMode: this.script.stackMode,
      maxStrlen: this.script.maxStrlen ?? DEFAULT_STRLEN,
      strTruncTrailer: this.script.strTruncTrailer,
      library: (name) => LIBRARY_FUNCTIONS.get(name),
      scriptMap: (name) => self.table.maps.get(name),
      resolveType: (name) => self.types.resolveName(name),
      loops: () => [],
      helperErr: () => undefined,
      value: (e) => placeholder(self.typeOf(e)),
      intOf: (v) => v.int ?? ZERO,
      blobOf: (v, t): IrBlob => v.blob ?? { op: 'zero', size: Math.max(1, sizeOf(t)) },
      constInt: (e) => self.constInt(e),
      constString(e) {
        if (e.kind === 'StringLiteral') return e.value;
        if (e.kind === 'Positional') return self.script.positionals[e.index - 1];
        return undefined;
      },
      emit: () => ({ op: 'return' }),
      registerEvent: () => 0,
      knownMap: (m) => self.knownMap(m),
      keyBlob: (keys, spec, m) => (self.observeKeys(keys, spec, m) ? { op: 'zero', size: 8 } : undefined),
      mapId: () => 0,
      internalMap: () => 0,
      temp: () => 0,
      tempBlob: () => 0,
      fail: () => placeholder(none),
      unsupported: () => self.unsupported(),
    });
  }
}

const ZERO: IrExpr = { op: 'const', value: 0n };

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
function hasBlob(t: Type): boolean {
  return !isIntegral(t) && t.kind !== 'none' && t.kind !== 'args';
}

