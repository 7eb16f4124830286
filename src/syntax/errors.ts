/**
 * Lexing and parsing errors → `syntax-error` diagnostics with the offending token's span.
 * Messages follow bpftrace's (bison's) shape: `syntax error, unexpected }, expecting ;`.
 */
import { EOF, tokens as T, type ILexingError, type IRecognitionException, type IToken } from '../../grammar/index.js';
import { error, type Diagnostic } from '../common/diagnostic.js';
import { span, type Span } from '../common/span.js';
import { SYNTAX_ERROR } from './build-ast.js';

/** More than this many syntax errors is noise: later ones are mostly consequences of earlier ones. */
const MAX_ERRORS = 10;

function isToken(e: IToken | ILexingError): e is IToken {
  return (e as IToken).tokenType !== undefined;
}

function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The offset just after the last non-whitespace character: where "end of input" errors point. */
function endOfInput(text: string): Span {
  let i = text.length;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return span(i, i);
}

/**
 * Lexing errors: runs of invalid characters (one diagnostic per run), unterminated comments and
 * unterminated strings (found among the parser's tokens).
 */
export function lexDiagnostics(
  lexErrors: readonly (IToken | ILexingError)[],
  tokens: readonly IToken[],
  text: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of lexErrors) {
    if (isToken(e)) {
      if (e.tokenType === T.UnterminatedComment) {
        out.push(error(SYNTAX_ERROR, 'unterminated comment: end of input before */', span(e.startOffset, e.startOffset + 2)));
      }
    } else {
      const chars = printable(text.slice(e.offset, e.offset + e.length));
      const what = e.length === 1 ? `invalid character '${chars}'` : `invalid characters '${chars}'`;
      out.push(error(SYNTAX_ERROR, what, span(e.offset, e.offset + e.length)));
    }
  }
  for (const t of tokens) {
    if (t.tokenType === T.UnterminatedString) {
      out.push(error(SYNTAX_ERROR, 'unterminated string: missing closing "', span(t.startOffset, t.startOffset + 1)));
    }
  }
  return out;
}

/** Parsing errors, one per offending token, in source order. */
export function parseDiagnostics(errors: readonly IRecognitionException[], text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of errors) {
    const tok = e.token;
    const atEnd = !tok || tok.tokenType === EOF || Number.isNaN(tok.startOffset);
    const at = atEnd ? endOfInput(text) : span(tok.startOffset, tok.startOffset + tok.image.length);
    if (seen.has(at.start)) continue;
    seen.add(at.start);
    out.push(error(SYNTAX_ERROR, e.message, at));
  }
  return out;
}

/** Source order, without two diagnostics at the same place, at most MAX_ERRORS. */
export function tidy(ds: readonly Diagnostic[]): Diagnostic[] {
  const sorted = [...ds].sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const d of sorted) {
    const key = d.span ? `${d.span.start}` : d.message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
    if (out.length === MAX_ERRORS) break;
  }
  return out;
}
