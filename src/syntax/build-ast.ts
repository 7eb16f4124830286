/**
 * CST → AST, read directly from the CST children (one function per rule). Runs only on a CST without
 * lexing or parsing errors; the checks left to it (literal values, escapes, assignment targets, things
 * the grammar accepts more widely than the language) report `syntax-error` diagnostics.
 */
import type { CstNode, IToken } from '../../grammar/index.js';
import type {
  AngleBlockCstNode, ArgListCstNode, BinaryExprCstNode, BlockCstNode, CallOrIdentCstNode, CastExprCstNode,
  AttributeCstNode, ConfigBlockCstNode, EnumDefCstNode, ExpressionCstNode, RecordBodyCstNode, ExprStmtCstNode, FieldDeclCstNode, ForStmtCstNode, IfStmtCstNode,
  LetStmtCstNode, MacroDefCstNode, MapDeclCstNode, MapRefCstNode, OffsetofExprCstNode, ParenExprCstNode,
  PostfixExprCstNode, PostfixOpCstNode, PrimaryExprCstNode, ProbeCstNode, ProgramCstNode, ReturnStmtCstNode,
  SizeofExprCstNode, StatementCstNode, TypeExprCstNode, TypeofTypeCstNode, UnaryExprCstNode, UnrollStmtCstNode,
  WhileStmtCstNode,
} from '../../grammar/generated/cst.js';
import type {
  AssignOp, AttachPoint, BinaryOp, Block, ConfigBlock, ConfigEntry, EnumDef, Enumerator, Expr, If, MacroDef, MapDecl, MapRef,
  PreprocessorLine, Probe, Program, Stmt, StructDef, StructFieldDef, TypeArg, TypeExpr, UnaryOp, Variable,
} from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { joinSpans, span, type Span } from '../common/span.js';
import { decodeStringLiteral, parseIntLiteral } from './literals.js';
import { splitProbeName } from './probe-name.js';

export const SYNTAX_ERROR = 'syntax-error';

/** Binding strength of each binary operator (C's, as in bpftrace): higher binds tighter. */
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5,
  '==': 6, '!=': 6,
  '<': 7, '>': 7, '<=': 7, '>=': 7,
  '<<': 8, '>>': 8,
  '+': 9, '-': 9,
  '*': 10, '/': 10, '%': 10,
};

function tokSpan(t: IToken): Span {
  return span(t.startOffset, t.startOffset + t.image.length);
}

function nodeSpan(n: CstNode): Span {
  const loc = n.location;
  if (!loc || Number.isNaN(loc.startOffset)) return span(0, 0);
  const end = loc.endOffset === undefined || Number.isNaN(loc.endOffset) ? loc.startOffset : loc.endOffset + 1;
  return span(loc.startOffset, end);
}

function spanFrom(start: Span, end: Span): Span {
  return span(start.start, Math.max(start.end, end.end));
}

function first<T>(xs: readonly T[] | undefined): T | undefined {
  return xs?.[0];
}

class Builder {
  constructor(
    private readonly text: string,
    private readonly diags: Diagnostics,
  ) {}

  /** `typeof(...)` values built, and those that are a call's argument (the only place one may be). */
  private readonly typeArgs: TypeArg[] = [];
  private readonly callArgs = new Set<Expr>();

  private error(message: string, at: Span): void {
    this.diags.error(SYNTAX_ERROR, message, at);
  }

  // ---------------------------------------------------------------- top level

  program(cst: ProgramCstNode): Program {
    const c = cst.children;
    const preprocessor: PreprocessorLine[] = (c.PreprocessorLine ?? []).map((t) => ({
      kind: 'PreprocessorLine',
      span: tokSpan(t),
      text: t.image.replace(/\s+$/, ''),
    }));
    const structs = (c.structDef ?? []).map((s) => this.recordBody(s.children.recordBody[0]!));
    for (const s of structs) if (!s.name) this.error('a top-level struct or union needs a name', s.span);
    const enums = (c.enumDef ?? []).map((e) => this.enumDef(e));
    let config: ConfigBlock | undefined;
    for (const b of c.configBlock ?? []) {
      const block = this.configBlock(b);
      if (config) this.error('only one config block is allowed', tokSpan(b.children.Config[0]!));
      else config = block;
    }
    if (config && c.probe?.length) {
      const firstProbe = nodeSpan(c.probe[0]!);
      if (firstProbe.start < config.span.start) this.error('the config block must come before the probes', config.span);
    }
    for (const i of c.importDecl ?? []) {
      this.error('import is only resolved when a script is compiled (tsbpf -e or a script file)', spanFrom(tokSpan(i.children.Import[0]!), tokSpan(i.children.StringLiteral[0]!)));
    }
    const macros = (c.macroDef ?? []).map((m) => this.macroDef(m));
    const mapDecls = (c.mapDecl ?? []).map((m) => this.mapDecl(m));
    const probes = (c.probe ?? []).map((p) => this.probe(p));
    // `typeof(...)` is a value only as a call's argument (a type passed to a macro: `p_cast(typeof(uint8), -1)`).
    for (const arg of this.typeArgs) {
      if (!this.callArgs.has(arg)) this.error(arg.type.name === 'typeof' ? 'typeof(...) is a type: as a value it can only be passed to a macro' : `${arg.type.name} is a type: as a value it can only be passed to a macro or to container_of()`, arg.span);
    }
    return {
      kind: 'Program',
      span: span(0, this.text.length),
      preprocessor,
      structs,
      enums,
      config,
      macros,
      mapDecls,
      probes,
    };
  }

  /** `struct [attrs] [Name] { fields } [attrs]` (a top-level definition or an inline field type). */
  private recordBody(cst: RecordBodyCstNode): StructDef {
    const c = cst.children;
    const fields: StructFieldDef[] = [];
    for (const f of c.fieldDecl ?? []) {
      const field = this.fieldDecl(f);
      if (field) fields.push(field);
    }
    let packed = false;
    let aligned: number | undefined;
    for (const a of c.attribute ?? []) {
      const attr = this.attribute(a);
      packed ||= attr.packed;
      aligned = attr.aligned ?? aligned;
    }
    return {
      kind: 'StructDef',
      span: nodeSpan(cst),
      keyword: c.Union ? 'union' : 'struct',
      name: first(c.Name)?.image ?? '',
      fields,
      packed,
      aligned,
    };
  }

  /** `packed` and `aligned(N)` shape the layout; other attributes (C's, for clang) change nothing here. */
  private attribute(cst: AttributeCstNode): { packed: boolean; aligned: number | undefined } {
    const c = cst.children;
    const names = (c.Name ?? []).map((t) => t.image.replace(/^__(.*)__$/, '$1'));
    let aligned: number | undefined;
    if (names.includes('aligned')) {
      const arg = first(c.argList)?.children.expression[0];
      const e = arg ? this.expression(arg) : undefined;
      if (e && e.kind === 'IntLiteral' && e.value > 0n && e.value <= 4096n && (e.value & (e.value - 1n)) === 0n) aligned = Number(e.value);
      else if (e) this.error('aligned(N) needs a power of two', e.span);
      else aligned = 8; // `aligned` alone: the target's largest alignment
    }
    return { packed: names.includes('packed'), aligned };
  }

  /** `enum [Name] { A = 1, B, }`: values are constant expressions, checked when lowered. */
  private enumDef(cst: EnumDefCstNode): EnumDef {
    const c = cst.children;
    const values = (c.enumValue ?? []).map((e) => ({ offset: e.location?.startOffset ?? 0, expr: this.expression(e) }));
    const names = c.enumerator ?? [];
    const enumerators: Enumerator[] = names.map((t, i) => {
      const next = names[i + 1]?.startOffset ?? Infinity;
      const value = values.find((v) => v.offset > t.startOffset && v.offset < next)?.expr;
      return { kind: 'Enumerator', span: value ? spanFrom(tokSpan(t), value.span) : tokSpan(t), name: t.image, value };
    });
    return { kind: 'EnumDef', span: nodeSpan(cst), name: first(c.Name)?.image, enumerators };
  }

  /** `unsigned long x;`, `struct foo *p;`, `char b[8];`, `struct { ... } x;`: the last word is the field's name. */
  private fieldDecl(cst: FieldDeclCstNode): StructFieldDef | undefined {
    const c = cst.children;
    const names = c.Name ?? [];
    const tag = first(c.TagKeyword);
    const inlineCst = first(c.inline);
    const inline = inlineCst ? this.recordBody(inlineCst) : undefined;
    const stars = c.Star ?? [];
    const arrayDims = (c.arraySize ?? []).map((t) => this.smallInt(t));
    const bits = first(c.bitWidth);
    if (bits) this.error('bit-fields are not supported', spanFrom(tokSpan(c.Colon![0]!), tokSpan(bits)));
    if (inline) {
      // `struct { ... } name;` or, with no name, an anonymous member.
      const nameTok = names[names.length - 1];
      if (names.length > 1) {
        this.error('expected a field name after the inline struct', nodeSpan(cst));
        return undefined;
      }
      if (!nameTok && (stars.length || arrayDims.length)) {
        this.error('expected a field name', nodeSpan(cst));
        return undefined;
      }
      const type: TypeExpr = { kind: 'TypeExpr', span: inline.span, name: `${inline.keyword} ${inline.name || '(anonymous)'}`, pointerDepth: stars.length, arraySize: undefined };
      return { kind: 'StructFieldDef', span: nodeSpan(cst), type, inline, arrayDims, name: nameTok?.image ?? '' };
    }
    const nameTok = names[names.length - 1];
    if (!nameTok || names.length < 2) {
      this.error('expected a type and a field name', nodeSpan(cst));
      return undefined;
    }
    const typeWords = names.slice(0, -1).map((t) => t.image);
    const typeName = tag ? `${tag.image} ${typeWords.join(' ')}` : typeWords.join(' ');
    const typeStart = tokSpan(tag ?? names[0]!);
    const typeEnd = stars.length ? tokSpan(stars[stars.length - 1]!) : tokSpan(names[names.length - 2]!);
    const type: TypeExpr = {
      kind: 'TypeExpr',
      span: spanFrom(typeStart, typeEnd),
      name: typeName,
      pointerDepth: stars.length,
      arraySize: undefined,
    };
    return { kind: 'StructFieldDef', span: nodeSpan(cst), type, inline: undefined, arrayDims, name: nameTok.image };
  }

  private configBlock(cst: ConfigBlockCstNode): ConfigBlock {
    const entries: ConfigEntry[] = (cst.children.configEntry ?? []).map((e) => ({
      kind: 'ConfigEntry',
      span: spanFrom(tokSpan(e.children.Name[0]!), nodeSpan(e.children.expression[0]!)),
      key: e.children.Name[0]!.image,
      value: this.expression(e.children.expression[0]!),
    }));
    return { kind: 'ConfigBlock', span: nodeSpan(cst), entries };
  }

  private macroDef(cst: MacroDefCstNode): MacroDef {
    const c = cst.children;
    const params = (c.macroParam ?? []).map((p) => {
      const t = first(p.children.Variable) ?? first(p.children.MapName) ?? first(p.children.Identifier);
      return t?.image ?? '';
    });
    return { kind: 'MacroDef', span: nodeSpan(cst), name: c.Name[0]!.image, params, body: this.block(c.block[0]!) };
  }

  private mapDecl(cst: MapDeclCstNode): MapDecl {
    const c = cst.children;
    return {
      kind: 'MapDecl',
      span: nodeSpan(cst),
      name: c.MapName[0]!.image,
      mapKind: c.Identifier[0]!.image,
      args: this.args(first(c.argList)),
    };
  }

  private probe(cst: ProbeCstNode): Probe {
    const c = cst.children;
    const attachPoints: AttachPoint[] = c.AttachPoint.map((t) => ({ kind: 'AttachPoint', span: tokSpan(t), ...splitProbeName(t.image) }));
    const pred = first(c.predicate);
    const angle = first(c.angleBlock);
    const body = angle ? this.statementsBlock(angle) : this.block(c.block![0]!);
    return {
      kind: 'Probe',
      span: nodeSpan(cst),
      attachPoints,
      predicate: pred ? this.expression(pred) : undefined,
      body,
      form: angle ? 'angles' : 'braces',
    };
  }

  // ---------------------------------------------------------------- statements

  private block(cst: BlockCstNode): Block {
    return this.statementsBlock(cst);
  }

  private statementsBlock(cst: BlockCstNode | AngleBlockCstNode): Block {
    const stmts: Stmt[] = [];
    for (const s of cst.children.statement ?? []) {
      const stmt = this.statement(s);
      if (stmt) stmts.push(stmt);
    }
    return { kind: 'Block', span: nodeSpan(cst), stmts };
  }

  private statement(cst: StatementCstNode): Stmt | undefined {
    const c = cst.children;
    if (c.ifStmt) return this.ifStmt(c.ifStmt[0]!);
    if (c.whileStmt) return this.whileStmt(c.whileStmt[0]!);
    if (c.unrollStmt) return this.unrollStmt(c.unrollStmt[0]!);
    if (c.forStmt) return this.forStmt(c.forStmt[0]!);
    if (c.block) return this.block(c.block[0]!);
    if (c.letStmt) return this.letStmt(c.letStmt[0]!);
    if (c.jumpStmt) {
      const j = c.jumpStmt[0]!;
      const t = first(j.children.Break) ?? j.children.Continue![0]!;
      return { kind: 'Jump', span: tokSpan(t), jump: t.image === 'break' ? 'break' : 'continue' };
    }
    if (c.returnStmt) return this.returnStmt(c.returnStmt[0]!);
    if (c.exprStmt) return this.exprStmt(c.exprStmt[0]!);
    return undefined; // an empty statement: `;`
  }

  private letStmt(cst: LetStmtCstNode): Stmt {
    const c = cst.children;
    const v = c.Variable[0]!;
    const t = first(c.typeExpr);
    const e = first(c.expression);
    return {
      kind: 'VarDecl',
      span: nodeSpan(cst),
      variable: { kind: 'Variable', span: tokSpan(v), name: v.image },
      type: t ? this.typeExpr(t) : undefined,
      value: e ? this.expression(e) : undefined,
    };
  }

  private returnStmt(cst: ReturnStmtCstNode): Stmt {
    const e = first(cst.children.expression);
    return { kind: 'Return', span: nodeSpan(cst), value: e ? this.expression(e) : undefined };
  }

  private exprStmt(cst: ExprStmtCstNode): Stmt {
    const c = cst.children;
    const target = this.expression(c.expression[0]!);
    const opTok = first(c.AssignOperator);
    if (!opTok) return { kind: 'ExprStmt', span: target.span, expr: target };
    const value = this.expression(c.expression[1]!);
    const op = opTok.image as AssignOp;
    // `_ = expr;` evaluates and discards (bpftrace's way to silence an unused-value warning).
    if (op === '=' && target.kind === 'Identifier' && target.name === '_') {
      return { kind: 'ExprStmt', span: nodeSpan(cst), expr: value };
    }
    if (target.kind !== 'Variable' && target.kind !== 'MapRef') {
      this.error(`cannot assign to this expression; the target of '${op}' must be a $variable or a @map`, target.span);
      return { kind: 'ExprStmt', span: nodeSpan(cst), expr: value };
    }
    return { kind: 'Assign', span: nodeSpan(cst), op, target, value };
  }

  private ifStmt(cst: IfStmtCstNode): If {
    const c = cst.children;
    const elseIf = first(c.elseIf);
    const elseBlock = first(c.else);
    return {
      kind: 'If',
      span: nodeSpan(cst),
      cond: this.expression(c.expression[0]!),
      then: this.block(c.then[0]!),
      else: elseIf ? this.ifStmt(elseIf) : elseBlock ? this.block(elseBlock) : undefined,
    };
  }

  private whileStmt(cst: WhileStmtCstNode): Stmt {
    const c = cst.children;
    return { kind: 'While', span: nodeSpan(cst), cond: this.expression(c.expression[0]!), body: this.block(c.block[0]!) };
  }

  private unrollStmt(cst: UnrollStmtCstNode): Stmt {
    const c = cst.children;
    return { kind: 'Unroll', span: nodeSpan(cst), count: this.expression(c.expression[0]!), body: this.block(c.block[0]!) };
  }

  private forStmt(cst: ForStmtCstNode): Stmt {
    const c = cst.children.forHead![0]!.children;
    const v = c.Variable[0]!;
    const variable: Variable = { kind: 'Variable', span: tokSpan(v), name: v.image };
    const body = this.block(cst.children.block[0]!);
    const from = this.expression(c.expression[0]!);
    if (c.DotDot) {
      const to = this.expression(c.expression[1]!);
      return { kind: 'ForRange', span: nodeSpan(cst), variable, from, to, body };
    }
    if (from.kind !== 'MapRef' || from.keys.length > 0) {
      this.error('a for loop iterates over a whole @map or a range (start..end)', from.span);
    }
    const map: MapRef = from.kind === 'MapRef' ? from : { kind: 'MapRef', span: from.span, name: '@', keys: [] };
    return { kind: 'ForMap', span: nodeSpan(cst), variable, map, body };
  }

  // ---------------------------------------------------------------- expressions

  expression(cst: ExpressionCstNode): Expr {
    const c = cst.children;
    const cond = this.binaryExpr(c.binaryExpr[0]!);
    if (!c.Question) return cond;
    const thenCst = first(c.then);
    return {
      kind: 'Ternary',
      span: nodeSpan(cst),
      cond,
      then: thenCst ? this.expression(thenCst) : undefined,
      else: this.expression(c.else![0]!),
    };
  }

  /**
   * Operators in source order → a tree by precedence (shunting-yard, left associative). A Binary's
   * span runs from its first operand's text to its last's, parentheses included.
   */
  private binaryExpr(cst: BinaryExprCstNode): Expr {
    const c = cst.children;
    const operands = c.unaryExpr.map((u) => ({ expr: this.unaryExpr(u), span: nodeSpan(u) }));
    const ops = (c.BinaryOperator ?? []).map((t) => t.image as BinaryOp);
    if (ops.length === 0) return operands[0]!.expr;
    const out: { expr: Expr; span: Span }[] = [operands[0]!];
    const pending: BinaryOp[] = [];
    const reduce = (): void => {
      const op = pending.pop()!;
      const right = out.pop()!;
      const left = out.pop()!;
      const at = joinSpans(left.span, right.span);
      out.push({ expr: { kind: 'Binary', span: at, op, left: left.expr, right: right.expr }, span: at });
    };
    ops.forEach((op, i) => {
      while (pending.length && PRECEDENCE[pending[pending.length - 1]!] >= PRECEDENCE[op]) reduce();
      pending.push(op);
      out.push(operands[i + 1]!);
    });
    while (pending.length) reduce();
    return out[0]!.expr;
  }

  private unaryExpr(cst: UnaryExprCstNode): Expr {
    const c = cst.children;
    if (c.castExpr) return this.castExpr(c.castExpr[0]!);
    if (c.postfixExpr) return this.postfixExpr(c.postfixExpr[0]!);
    const opTok = c.PrefixOperator![0]!;
    const operand = this.unaryExpr(c.unaryExpr![0]!);
    const at = nodeSpan(cst);
    if (opTok.image === '++' || opTok.image === '--') {
      return this.update(opTok.image, true, operand, at);
    }
    return { kind: 'Unary', span: at, op: opTok.image as UnaryOp, operand };
  }

  private update(op: '++' | '--', prefix: boolean, target: Expr, at: Span): Expr {
    if (target.kind !== 'Variable' && target.kind !== 'MapRef') {
      this.error(`the operand of '${op}' must be a $variable or a @map`, target.span);
      return target;
    }
    return { kind: 'Update', span: at, op, prefix, target };
  }

  private castExpr(cst: CastExprCstNode): Expr {
    const c = cst.children;
    const type = this.typeExpr(c.typeExpr[0]!);
    const expr = this.unaryExpr(c.unaryExpr[0]!);
    return { kind: 'Cast', span: nodeSpan(cst), type, expr };
  }

  /** Postfix operators apply left to right; each node's span starts at the primary (with its parentheses). */
  private postfixExpr(cst: PostfixExprCstNode): Expr {
    const primary = cst.children.primaryExpr[0]!;
    const start = nodeSpan(primary);
    let e = this.primaryExpr(primary);
    for (const op of cst.children.postfixOp ?? []) e = this.postfixOp(e, op, start);
    return e;
  }

  private postfixOp(object: Expr, cst: PostfixOpCstNode, start: Span): Expr {
    const c = cst.children;
    const at = spanFrom(start, nodeSpan(cst));
    if (c.PlusPlus || c.MinusMinus) return this.update(c.PlusPlus ? '++' : '--', false, object, at);
    if (c.LBracket) return { kind: 'Index', span: at, object, index: this.expression(c.expression![0]!) };
    const field = first(c.Name) ?? c.Integer![0]!;
    return { kind: 'FieldAccess', span: at, object, field: field.image, fieldSpan: tokSpan(field), arrow: !!c.Arrow };
  }

  private primaryExpr(cst: PrimaryExprCstNode): Expr {
    const c = cst.children;
    if (c.Integer) return this.intLiteral(c.Integer[0]!);
    if (c.StringLiteral) return this.stringLiteral(c.StringLiteral[0]!);
    if (c.True) return { kind: 'BoolLiteral', span: tokSpan(c.True[0]!), value: true };
    if (c.False) return { kind: 'BoolLiteral', span: tokSpan(c.False[0]!), value: false };
    if (c.Variable) return { kind: 'Variable', span: tokSpan(c.Variable[0]!), name: c.Variable[0]!.image };
    if (c.Positional) {
      const t = c.Positional[0]!;
      return { kind: 'Positional', span: tokSpan(t), index: Number(t.image.slice(1)) };
    }
    if (c.PositionalCount) return { kind: 'PositionalCount', span: tokSpan(c.PositionalCount[0]!) };
    if (c.mapRef) return this.mapRef(c.mapRef[0]!);
    if (c.callOrIdent) return this.callOrIdent(c.callOrIdent[0]!);
    if (c.sizeofExpr) return this.sizeofExpr(c.sizeofExpr[0]!);
    if (c.offsetofExpr) return this.offsetofExpr(c.offsetofExpr[0]!);
    if (c.blockExpr) return this.blockExpr(c.blockExpr[0]!);
    if (c.ifExpr) return this.ifExpr(c.ifExpr[0]!);
    if (c.typeArg) {
      const t = c.typeArg[0]!;
      const arg: TypeArg = { kind: 'TypeArg', span: nodeSpan(t), type: this.typeofType(t) };
      this.typeArgs.push(arg);
      return arg;
    }
    if (c.configValue) return { kind: 'Identifier', span: tokSpan(c.configValue[0]!), name: 'config' };
    if (c.typeValue) {
      const t = c.typeValue[0]!;
      const arg: TypeArg = { kind: 'TypeArg', span: nodeSpan(t), type: this.typeExpr(t) };
      this.typeArgs.push(arg);
      return arg;
    }
    return this.parenExpr(c.parenExpr![0]!);
  }

  private intLiteral(t: IToken): Expr {
    const at = tokSpan(t);
    const r = parseIntLiteral(t.image);
    if ('error' in r) {
      this.error(r.error, at);
      return { kind: 'IntLiteral', span: at, value: 0n, raw: t.image };
    }
    return { kind: 'IntLiteral', span: at, value: r.value, raw: t.image };
  }

  private stringLiteral(t: IToken): Expr {
    const at = tokSpan(t);
    const r = decodeStringLiteral(t.image);
    // An unterminated string was reported with the lexing errors.
    for (const e of r.errors) this.error(e.message, span(at.start + e.start, at.start + e.end));
    return { kind: 'StringLiteral', span: at, value: r.value };
  }

  /** A small non-negative integer (array sizes). */
  private smallInt(t: IToken): number {
    const r = parseIntLiteral(t.image);
    if ('error' in r) {
      this.error(r.error, tokSpan(t));
      return 0;
    }
    if (r.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.error(`array size '${t.image}' is too large`, tokSpan(t));
      return 0;
    }
    return Number(r.value);
  }

  private mapRef(cst: MapRefCstNode): MapRef {
    const c = cst.children;
    return { kind: 'MapRef', span: nodeSpan(cst), name: c.MapName[0]!.image, keys: this.args(first(c.argList)) };
  }

  private callOrIdent(cst: CallOrIdentCstNode): Expr {
    const c = cst.children;
    const id = c.Identifier[0]!;
    if (!c.LParen) return { kind: 'Identifier', span: tokSpan(id), name: id.image };
    const args = this.args(first(c.argList));
    for (const a of args) if (a.kind === 'TypeArg') this.callArgs.add(a);
    return { kind: 'Call', span: nodeSpan(cst), callee: id.image, calleeSpan: tokSpan(id), args };
  }

  private args(cst: ArgListCstNode | undefined): Expr[] {
    return (cst?.children.expression ?? []).map((e) => this.expression(e));
  }

  private sizeofExpr(cst: SizeofExprCstNode): Expr {
    const c = cst.children;
    const t = first(c.typeExpr);
    return { kind: 'Sizeof', span: nodeSpan(cst), arg: t ? this.typeExpr(t) : this.expression(c.expression![0]!) };
  }

  private offsetofExpr(cst: OffsetofExprCstNode): Expr {
    const c = cst.children;
    return {
      kind: 'Offsetof',
      span: nodeSpan(cst),
      type: this.typeExpr(c.typeExpr[0]!),
      path: c.Name.map((t) => t.image),
    };
  }

  /**
   * `if (c) { a } else { b }` as a value: the ternary of two block expressions (bpftrace's
   * if-expression, whose branches must have one type, like a ternary's). `else if` nests.
   */
  private ifExpr(cst: IfStmtCstNode): Expr {
    const c = cst.children;
    const elseIf = first(c.elseIf);
    const elseBlock = first(c.else);
    if (!elseIf && !elseBlock) {
      this.error('an if used as a value needs an else branch', nodeSpan(cst));
      return { kind: 'IntLiteral', span: nodeSpan(cst), value: 0n, raw: '0' };
    }
    return {
      kind: 'Ternary',
      span: nodeSpan(cst),
      cond: this.expression(c.expression[0]!),
      then: this.blockExpr(c.then[0]!),
      else: elseIf ? this.ifExpr(elseIf) : this.blockExpr(elseBlock!),
    };
  }

  /** `{ stmts; expr }` in expression position: the statements run, then the last expression is the value. */
  private blockExpr(cst: BlockCstNode): Expr {
    const block = this.statementsBlock(cst);
    const last = block.stmts[block.stmts.length - 1];
    // A trailing `if (c) { a } else { b }` was parsed as a statement: as the block's value it is an if-expression.
    const lastIf = last?.kind === 'If' ? ifAsValue(last) : undefined;
    if (lastIf) return { kind: 'BlockExpr', span: block.span, stmts: block.stmts.slice(0, -1), value: lastIf };
    if (!last || last.kind !== 'ExprStmt') {
      this.error('a block expression must end with an expression (its value)', block.span);
      return { kind: 'BlockExpr', span: block.span, stmts: block.stmts, value: { kind: 'IntLiteral', span: block.span, value: 0n, raw: '0' } };
    }
    return { kind: 'BlockExpr', span: block.span, stmts: block.stmts.slice(0, -1), value: last.expr };
  }

  private parenExpr(cst: ParenExprCstNode): Expr {
    const c = cst.children;
    const elems = (c.expression ?? []).map((e) => this.expression(e));
    const fieldNames = c.fieldName ?? [];
    const names = fieldNames.length === elems.length ? fieldNames.map((t) => t.image) : elems.map(() => undefined);
    if (fieldNames.length > 0) {
      if (fieldNames.length !== elems.length) {
        this.error('a record needs a name for every field: (a=1, b=2)', nodeSpan(cst));
      } else {
        const seen = new Set<string>();
        for (const [i, n] of names.entries()) {
          if (seen.has(n!)) this.error(`duplicate record field name: ${n}`, elems[i]!.span);
          seen.add(n!);
        }
        return { kind: 'Record', span: nodeSpan(cst), names: names as string[], elems };
      }
    }
    if (elems.length === 1 && !c.Comma) return elems[0]!; // grouping
    return { kind: 'Tuple', span: nodeSpan(cst), elems };
  }

  private typeofType(cst: TypeofTypeCstNode): TypeExpr {
    const tc = cst.children;
    const inner = first(tc.typeExpr);
    const of = inner ? this.typeExpr(inner) : this.expression(tc.expression![0]!);
    return { kind: 'TypeExpr', span: nodeSpan(cst), name: 'typeof', pointerDepth: 0, arraySize: undefined, of };
  }

  typeExpr(cst: TypeExprCstNode): TypeExpr {
    const c = cst.children;
    const tof = first(c.typeofType);
    if (tof) return this.typeofType(tof);
    const tag = first(c.TagKeyword);
    const name = tag ? `${tag.image} ${c.Name![0]!.image}` : (c.Identifier ?? []).map((t) => t.image).join(' ');
    let arraySize: number | undefined;
    if (c.LBracket) {
      const n = first(c.Integer);
      arraySize = n ? this.smallInt(n) : 0;
    }
    return { kind: 'TypeExpr', span: nodeSpan(cst), name, pointerDepth: c.Star?.length ?? 0, arraySize };
  }
}

/** An `if` statement whose branches all end in a value (and that has an `else`) as a ternary of block expressions. */
function ifAsValue(stmt: If): Expr | undefined {
  const branch = (b: Block | If | undefined): Expr | undefined => {
    if (!b) return undefined;
    if (b.kind === 'If') return ifAsValue(b);
    const last = b.stmts[b.stmts.length - 1];
    const value = last?.kind === 'ExprStmt' ? last.expr : last?.kind === 'If' ? ifAsValue(last) : undefined;
    return value && { kind: 'BlockExpr', span: b.span, stmts: b.stmts.slice(0, -1), value };
  };
  const then = branch(stmt.then);
  const otherwise = branch(stmt.else);
  return then && otherwise ? { kind: 'Ternary', span: stmt.span, cond: stmt.cond, then, else: otherwise } : undefined;
}

/** Builds the AST of a program from its (error-free) CST. */
export function buildProgram(cst: ProgramCstNode, text: string, diags: Diagnostics): Program {
  return new Builder(text, diags).program(cst);
}
