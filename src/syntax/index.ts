/**
 * Text → AST. `parse` never throws for user input: problems come back as `syntax-error` diagnostics
 * with the offending token's span.
 */
import { EOF, parseCst, tokens as T, type CstParseResult } from '../../grammar/index.js';
import type { ProgramCstNode } from '../../grammar/generated/cst.js';
import type { Program } from '../ast/nodes.js';
import { Diagnostics, error, type Diagnostic } from '../common/diagnostic.js';
import type { SourceFile } from '../common/span.js';
import { buildProgram } from './build-ast.js';
import { lexDiagnostics, parseDiagnostics, tidy } from './errors.js';
import { checkAstDepth, tooDeepAtToken } from './depth.js';

export interface ParseResult {
  /** The AST; absent when there is any error diagnostic. */
  readonly program: Program | undefined;
  readonly diagnostics: Diagnostic[];
  /**
   * The text ended inside an unfinished construct (an open block, a predicate, a comment...): an
   * interactive shell should read another line rather than report the errors.
   */
  readonly incomplete: boolean;
}

function endsEarly(r: CstParseResult): boolean {
  const atEof = r.parseErrors.some((e) => !e.token || e.token.tokenType === EOF || Number.isNaN(e.token.startOffset));
  const openComment = r.lexErrors.some((e) => 'tokenType' in e && e.tokenType === T.UnterminatedComment);
  // A string cannot span lines: more input would not finish it.
  const openString = r.tokens.some((t) => t.tokenType === T.UnterminatedString);
  return openComment || (atEof && !openString);
}

export function parse(source: SourceFile): ParseResult {
  try {
    const r = parseCst(source.text);
    const lexed = lexDiagnostics(r.lexErrors, r.tokens, source.text);
    if (r.tooDeepAt) return { program: undefined, diagnostics: tidy([...lexed, tooDeepAtToken(r.tooDeepAt, source.text)]), incomplete: false };
    const syntax = tidy([...lexed, ...parseDiagnostics(r.parseErrors, source.text)]);
    if (syntax.length > 0) return { program: undefined, diagnostics: syntax, incomplete: endsEarly(r) };
    const diags = new Diagnostics();
    const program = buildProgram(r.cst as ProgramCstNode, source.text, diags);
    const tooDeep = checkAstDepth(program);
    if (tooDeep) diags.report(tooDeep);
    const diagnostics = tidy(diags.items);
    return { program: diags.hasErrors ? undefined : program, diagnostics, incomplete: false };
  } catch (e) {
    // A bug, not the user's input: still a diagnostic, never an exception.
    const why = e instanceof Error ? e.message : String(e);
    return {
      program: undefined,
      diagnostics: [error('internal-error', `internal error while parsing: ${why}`)],
      incomplete: false,
    };
  }
}

export { SYNTAX_ERROR } from './build-ast.js';
export { decodeStringLiteral, parseIntLiteral } from './literals.js';
