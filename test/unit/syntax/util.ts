import type { ExecutionContext } from 'ava';
import type { Block, Expr, Program, Stmt, TypeExpr } from '../../../src/ast/nodes.js';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { parse, type ParseResult } from '../../../src/syntax/index.js';

export function parseText(text: string): ParseResult {
  return parse({ name: 'test', text });
}

/** Parses and fails the test (showing the rendered diagnostics) unless there are none. */
export function parseOk(t: ExecutionContext, text: string): Program {
  const r = parseText(text);
  if (!r.program || r.diagnostics.length) {
    t.fail(`expected no diagnostics for:\n${text}\n${renderDiagnostics(r.diagnostics, { name: 'test', text })}`);
    throw new Error('parse failed');
  }
  return r.program;
}

/** Parses text that must fail; returns its diagnostics. */
export function parseErr(t: ExecutionContext, text: string): Diagnostic[] {
  const r = parseText(text);
  t.is(r.program, undefined, `expected errors for: ${text}`);
  t.true(r.diagnostics.length > 0, `expected diagnostics for: ${text}`);
  return r.diagnostics;
}

/** The statements of the only probe of `BEGIN { <body> }`. */
export function stmts(t: ExecutionContext, body: string): readonly Stmt[] {
  return parseOk(t, `BEGIN { ${body} }`).probes[0]!.body.stmts;
}

/** The expression of `BEGIN { <text>; }`. */
export function expr(t: ExecutionContext, text: string): Expr {
  const s = stmts(t, `${text};`)[0]!;
  if (s.kind !== 'ExprStmt') throw new Error(`not an expression statement: ${s.kind}`);
  return s.expr;
}

function type(ty: TypeExpr): string {
  return `${ty.name}${'*'.repeat(ty.pointerDepth)}${ty.arraySize !== undefined ? `[${ty.arraySize}]` : ''}`;
}

/** A compact S-expression of an expression tree, for precedence and shape assertions. */
export function sx(e: Expr | undefined): string {
  if (!e) return '_';
  switch (e.kind) {
    case 'IntLiteral':
      return e.value.toString();
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'BoolLiteral':
      return String(e.value);
    case 'Variable':
    case 'Identifier':
      return e.name;
    case 'Positional':
      return `$${e.index}`;
    case 'PositionalCount':
      return '$#';
    case 'MapRef':
      return e.keys.length ? `${e.name}[${e.keys.map(sx).join(', ')}]` : e.name;
    case 'Call':
      return `${e.callee}(${e.args.map(sx).join(', ')})`;
    case 'Binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'Unary':
      return `(${e.op} ${sx(e.operand)})`;
    case 'Update':
      return e.prefix ? `(pre${e.op} ${sx(e.target)})` : `(post${e.op} ${sx(e.target)})`;
    case 'Ternary':
      return `(? ${sx(e.cond)} ${sx(e.then)} ${sx(e.else)})`;
    case 'FieldAccess':
      return `(${e.arrow ? '->' : '.'} ${sx(e.object)} ${e.field})`;
    case 'Index':
      return `(index ${sx(e.object)} ${sx(e.index)})`;
    case 'Tuple':
      return `(tuple${e.elems.map((x) => ' ' + sx(x)).join('')})`;
    case 'Record':
      return `(record${e.elems.map((x, i) => ` ${e.names[i]}=${sx(x)}`).join('')})`;
    case 'Cast':
      return `(cast ${type(e.type)} ${sx(e.expr)})`;
    case 'Sizeof':
      return e.arg.kind === 'TypeExpr' ? `(sizeof type ${type(e.arg)})` : `(sizeof ${sx(e.arg)})`;
    case 'Offsetof':
      return `(offsetof ${type(e.type)} ${e.path.join('.')})`;
    case 'BlockExpr':
      return `(block${e.stmts.map((x) => ' ' + ss(x) + ';').join('')} ${sx(e.value)})`;
    case 'TypeArg':
      return `(typearg ${type(e.type)})`;
  }
}

/** A compact rendering of statements. */
export function ss(s: Stmt | Block): string {
  switch (s.kind) {
    case 'Block':
      return `{${s.stmts.map((x) => ' ' + ss(x)).join(';')} }`;
    case 'ExprStmt':
      return sx(s.expr);
    case 'Assign':
      return `${sx(s.target)} ${s.op} ${sx(s.value)}`;
    case 'VarDecl':
      return `let ${s.variable.name}${s.type ? ': ' + type(s.type) : ''}${s.value ? ' = ' + sx(s.value) : ''}`;
    case 'If':
      return `if ${sx(s.cond)} ${ss(s.then)}${s.else ? ' else ' + ss(s.else) : ''}`;
    case 'While':
      return `while ${sx(s.cond)} ${ss(s.body)}`;
    case 'Unroll':
      return `unroll ${sx(s.count)} ${ss(s.body)}`;
    case 'ForMap':
      return `for ${s.variable.name} : ${sx(s.map)} ${ss(s.body)}`;
    case 'ForRange':
      return `for ${s.variable.name} : ${sx(s.from)}..${sx(s.to)} ${ss(s.body)}`;
    case 'Jump':
      return s.jump;
    case 'Return':
      return s.value ? `return ${sx(s.value)}` : 'return';
  }
}

/** The offset of the `n`-th (0-based) occurrence of `needle` in `text`. */
export function at(text: string, needle: string, n = 0): number {
  let i = -1;
  for (let k = 0; k <= n; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`'${needle}' #${n} not in: ${text}`);
  }
  return i;
}
