/** The lexer instance (built once, on first use) and `tokenize()`. */
import { Lexer, type ILexingError, type IToken } from './chevrotain.js';
import { allTokens, lexContext } from './tokens.js';

export interface LexResult {
  /** Tokens for the parser (layout and comments skipped). */
  readonly tokens: IToken[];
  /** Tokens that are errors: `UnterminatedComment`. */
  readonly errorTokens: IToken[];
  /** Runs of characters that start no token (the lexer skips them and goes on). */
  readonly errors: ILexingError[];
}

let lexer: Lexer | undefined;

/** The shared lexer; `validate` runs Chevrotain's definition checks (tests do). */
export function getLexer(validate = false): Lexer {
  if (validate) return new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: true });
  lexer ??= new Lexer(allTokens, { positionTracking: 'onlyOffset', skipValidations: true });
  return lexer;
}

export function tokenize(text: string): LexResult {
  try {
    const r = getLexer().tokenize(text);
    // 'onlyOffset' tracking (the cheapest) records start offsets only; CST node locations need ends.
    for (const t of r.tokens) t.endOffset = t.startOffset + t.image.length - 1;
    return { tokens: r.tokens, errorTokens: r.groups['errors'] ?? [], errors: r.errors };
  } finally {
    lexContext.release();
  }
}
