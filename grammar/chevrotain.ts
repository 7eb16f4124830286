/**
 * The one importer of Chevrotain. `import('chevrotain')` loads lodash-es and hundreds of files
 * (~190 ms, 35 MB); the package's prebundled `lib/chevrotain.min.mjs` loads in ~10 ms. We resolve the
 * package entry (.../lib/src/api.js) and load the bundle beside it, typed as the package's API.
 */
import type * as Chevrotain from 'chevrotain';

const bundleUrl = new URL('../chevrotain.min.mjs', import.meta.resolve('chevrotain')).href;
const chevrotain = (await import(bundleUrl)) as typeof Chevrotain;

export const { CstParser, Lexer, LLkLookaheadStrategy, createToken, EOF, generateCstDts, getLookaheadPaths, tokenMatcher } =
  chevrotain;

export type {
  CstElement,
  CstNode,
  CustomPatternMatcherReturn,
  ILexingError,
  ILookaheadStrategy,
  IOrAlt,
  IParserErrorMessageProvider,
  IRecognitionException,
  IToken,
  OptionalProductionType,
  Rule,
  TokenType,
} from 'chevrotain';

/** Instance types of the classes above (same names, as for a class import). */
export type Lexer = Chevrotain.Lexer;
export type CstParser = Chevrotain.CstParser;
