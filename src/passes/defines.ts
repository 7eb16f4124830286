import type * as ast from '../ast/nodes.js';
import type { Span } from '../common/span.js';
import { decodeStringLiteral, parseIntLiteral } from '../syntax/literals.js';

/**
 * Object-like `#define NAME VALUE` lines whose value is an integer or string literal become
 * argument-less macros, so `NAME` in the script reads the constant (as bpftrace's C preprocessor
 * step gives it). Other defines (function-like, expressions) are left alone, as before.
 */
export function definesAsMacros(lines: readonly ast.PreprocessorLine[]): ast.MacroDef[] {
  const out: ast.MacroDef[] = [];
  for (const line of lines) {
    const m = /^#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.+?)\s*(?:\/\/.*)?$/.exec(line.text);
    if (!m) continue;
    // A trailing `/* comment */` is not part of the value (tcpconnect.bt: `#define AF_INET 2 /* IPv4 */`).
    const text = m[2]!.replace(/\/\*.*?\*\//g, '').trim();
    const value = literal(text.replace(/^\((.*)\)$/, '$1').trim(), line.span);
    if (!value) continue;
    const stmt: ast.ExprStmt = { kind: 'ExprStmt', span: line.span, expr: value };
    out.push({ kind: 'MacroDef', span: line.span, name: m[1]!, params: [], body: { kind: 'Block', span: line.span, stmts: [stmt] } });
  }
  return out;
}

function literal(text: string, span: Span): ast.Expr | undefined {
  if (text.startsWith('"')) {
    const s = decodeStringLiteral(text);
    return s.errors.length === 0 && text.endsWith('"') ? { kind: 'StringLiteral', span, value: s.value } : undefined;
  }
  const negative = text.startsWith('-');
  const parsed = parseIntLiteral(negative ? text.slice(1).trim() : text);
  if ('error' in parsed) return undefined;
  const int: ast.IntLiteral = { kind: 'IntLiteral', span, value: parsed.value, raw: text };
  return negative ? { kind: 'Unary', span, op: '-', operand: { ...int, raw: text.slice(1).trim() } } : int;
}
