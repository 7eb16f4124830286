/**
 * The grammar's API: text → CST plus lexing and parsing errors. Never throws for user input.
 * The lexer and parser are built once, on first use.
 */
import type { CstNode, ILexingError, IRecognitionException, IToken } from './chevrotain.js';
import { tokenize } from './lexer.js';
import { NestingTooDeepError, TbpfParser } from './parser.js';

export interface CstParseResult {
  readonly cst: CstNode;
  /** All tokens given to the parser, in order. */
  readonly tokens: readonly IToken[];
  /** Lexing errors: unterminated comments (as tokens) and runs of invalid characters. */
  readonly lexErrors: readonly (IToken | ILexingError)[];
  readonly parseErrors: readonly IRecognitionException[];
  /** The token where the input nested deeper than MAX_NESTING (then the CST is empty and nothing else is reported). */
  readonly tooDeepAt?: IToken;
}

let fastParser: TbpfParser | undefined;
let recoveringParser: TbpfParser | undefined;

/**
 * The shared parser. Valid input (the common case) goes through one without error recovery, which
 * is quicker to build; input with errors is parsed again by one with recovery, which reports as many
 * errors as it can.
 */
export function getParser(recovery = false): TbpfParser {
  if (recovery) return (recoveringParser ??= new TbpfParser({ recovery: true }));
  return (fastParser ??= new TbpfParser());
}

function run(p: TbpfParser, tokens: IToken[]): { cst: CstNode; errors: IRecognitionException[] } {
  p.input = tokens;
  const cst = p.program();
  const errors = p.errors;
  p.input = []; // drop references to this input
  return { cst, errors };
}

/**
 * Error recovery costs time per error and recursion in Chevrotain's own code (a few thousand broken
 * `else if`s overflow its stack): on longer inputs only the first error is reported.
 */
const MAX_RECOVERY_TOKENS = 10000;

/** The recovering parse, for more errors than the first; undefined when Chevrotain itself fails. */
function recover(tokens: IToken[]): { cst: CstNode; errors: IRecognitionException[] } | undefined {
  try {
    return run(getParser(true), tokens);
  } catch (e) {
    if (e instanceof NestingTooDeepError) throw e;
    getParser(true).input = [];
    return undefined;
  }
}

export function parseCst(text: string): CstParseResult {
  const lex = tokenize(text);
  const lexErrors = [...lex.errorTokens, ...lex.errors];
  try {
    let result = run(getParser(), lex.tokens);
    if (result.errors.length > 0 && lex.tokens.length <= MAX_RECOVERY_TOKENS) result = recover(lex.tokens) ?? result;
    return { cst: result.cst, tokens: lex.tokens, lexErrors, parseErrors: result.errors };
  } catch (e) {
    // Past MAX_NESTING; or, called with little stack left, a JS stack overflow before it.
    if (!(e instanceof NestingTooDeepError) && !(e instanceof RangeError)) throw e;
    getParser().input = [];
    getParser(true).input = [];
    const at = e instanceof NestingTooDeepError ? e.token : deepestToken(lex.tokens);
    if (!at) throw e;
    return { cst: { name: 'program', children: {} }, tokens: lex.tokens, lexErrors, parseErrors: [], tooDeepAt: at };
  }
}

/** The first token at the deepest bracket nesting (or the first token): where an overflow is reported. */
function deepestToken(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let best = -1;
  let at = tokens[0];
  for (const t of tokens) {
    if (t.image === '(' || t.image === '[' || t.image === '{') depth++;
    else if (t.image === ')' || t.image === ']' || t.image === '}') depth--;
    if (depth > best) {
      best = depth;
      at = t;
    }
  }
  return at;
}

export { tokenize } from './lexer.js';
export { TbpfParser, isBuiltinName, MAX_NESTING } from './parser.js';
export { describeToken } from './messages.js';
export * as tokens from './tokens.js';
export { EOF } from './chevrotain.js';
export type { CstElement, CstNode, IToken, ILexingError, IRecognitionException, TokenType } from './chevrotain.js';
