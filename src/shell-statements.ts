/**
 * Statements typed alone in the shell (`print(@x)`, `printf("%d\n", @n)`, `clear(@)`, `@n * 2`):
 * they run once, in the session, as the body of a BEGIN probe appended to the session's script
 * (runtime/session/live-session.ts `runOnce`), so they see its maps with their types. An
 * expression whose value would be dropped is printed instead: `@n * 2` runs as `print(@n * 2)`.
 */
import type * as ast from './ast/nodes.js';
import { isAggregation } from './builtins/builtins.js';
import { STATEMENT_FUNCTIONS } from './builtins/statements.js';
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from './builtins/functions.js';
import type { Diagnostic } from './common/diagnostic.js';
import type { SourceFile } from './common/span.js';
import { parse } from './syntax/index.js';

/** Text inserted into the user's statements, as wrapped-text offset and length (for mapping spans back). */
export interface Insertion {
  readonly at: number;
  readonly length: number;
}

export interface StatementsAnalysis {
  /** An open block, string or comment: read another line. */
  readonly incomplete: boolean;
  /** Syntax errors, with spans in the text as typed. */
  readonly diagnostics: readonly Diagnostic[];
  /** The one-shot probe to compile (`BEGIN { ... }`), when the text is statements. */
  readonly probe?: string;
  /** Where `probe` differs from the typed text: the wrapper and each `print(` ... `)`. */
  readonly insertions?: readonly Insertion[];
  /**
   * The text is one builtin's name (`pid`, `comm`, `nsecs`): as a probe it would be an attach point
   * waiting for its block, but alone in the shell it means its value.
   */
  readonly bareValue?: boolean;
  /** An offset in `probe` as an offset in the typed text. */
  readonly typedOffset?: (pos: number) => number;
}

const HEAD = 'BEGIN {\n';
const TAIL = '\n}';

/** Does evaluating this expression as a statement drop a value the user wants to see? */
function isValueExpression(e: ast.Expr): boolean {
  if (e.kind === 'Update') return false;
  if (e.kind !== 'Call') return true;
  if (STATEMENT_FUNCTIONS.some((f) => f.name === e.callee) || isAggregation(e.callee)) return false;
  if (e.callee === 'str') return true;
  const f = LIBRARY_FUNCTIONS.get(e.callee);
  return f !== undefined && f.expr !== undefined && f.stmt === undefined;
}

/** Map an offset in the wrapped text back to the typed text (an inserted character maps to where it was inserted). */
export function toTypedOffset(pos: number, insertions: readonly Insertion[]): number {
  let shift = 0;
  for (const ins of insertions) {
    if (ins.at >= pos) break;
    shift += Math.min(ins.length, pos - ins.at);
  }
  return pos - shift;
}

export function analyzeStatements(source: SourceFile): StatementsAnalysis {
  const wrapped = HEAD + source.text + TAIL;
  const parsed = parse({ name: source.name, text: wrapped });
  const head: Insertion = { at: 0, length: HEAD.length };
  const tail: Insertion = { at: HEAD.length + source.text.length, length: TAIL.length };
  const back = (d: Diagnostic): Diagnostic => {
    if (!d.span) return d;
    const end = source.text.length;
    const clamp = (p: number): number => Math.max(0, Math.min(end, toTypedOffset(p, [head, tail])));
    return { ...d, span: { start: clamp(d.span.start), end: clamp(d.span.end) } };
  };
  const only = parsed.program?.probes.length === 1 && parsed.program.probes[0]!.attachPoints[0]?.raw === 'BEGIN';
  if (!parsed.program || !only || parsed.diagnostics.some((d) => d.severity === 'error')) {
    return { incomplete: parsed.incomplete, diagnostics: parsed.diagnostics.map(back) };
  }
  // Wrap each top-level expression statement that computes a value in print( ).
  const edits: { at: number; text: string }[] = [];
  for (const s of parsed.program.probes[0]!.body.stmts) {
    if (s.kind !== 'ExprStmt' || !isValueExpression(s.expr)) continue;
    edits.push({ at: s.expr.span.start, text: 'print(' }, { at: s.expr.span.end, text: ')' });
  }
  let probe = wrapped;
  const insertions: Insertion[] = [head];
  let shift = 0;
  for (const e of edits) {
    const at = e.at + shift;
    probe = probe.slice(0, at) + e.text + probe.slice(at);
    insertions.push({ at, length: e.text.length });
    shift += e.text.length;
  }
  insertions.push({ at: tail.at + shift, length: TAIL.length });
  const name = /^\s*([A-Za-z_]\w*)\s*;?\s*$/.exec(source.text)?.[1];
  const bareValue = name !== undefined && LIBRARY_VARS.has(name);
  const end = source.text.length;
  const typedOffset = (pos: number): number => Math.max(0, Math.min(end, toTypedOffset(pos, insertions)));
  return { incomplete: false, diagnostics: [], probe, insertions, bareValue, typedOffset };
}
