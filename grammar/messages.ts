/**
 * Parser error messages in bpftrace's (bison's) shape: `syntax error, unexpected }, expecting ;`.
 * Tokens are named by their text for keywords and punctuation, by kind and text otherwise.
 */
import { EOF, tokenMatcher, type IParserErrorMessageProvider, type IToken, type TokenType } from './chevrotain.js';
import {
  AttachPoint, BinaryOperator, False, Identifier, Integer, LParen, MapName, Name, Offsetof, Positional, PositionalCount,
  PrefixOperator, PreprocessorLine, Sizeof, StringLiteral, TagKeyword, True, Variable,
} from './tokens.js';

const MAX_IMAGE = 32;

function clip(s: string): string {
  return s.length > MAX_IMAGE ? s.slice(0, MAX_IMAGE - 3) + '...' : s;
}

/** How an offending token is named in a message. */
export function describeToken(tok: IToken): string {
  const t = tok.tokenType;
  if (t === EOF) return 'end of input';
  if (t === Identifier) return `identifier '${clip(tok.image)}'`;
  if (t === AttachPoint) return `attach point '${clip(tok.image)}'`;
  if (t === Integer) return `integer ${clip(tok.image)}`;
  if (tokenMatcher(tok, StringLiteral)) return `string ${clip(tok.image)}`;
  if (t === PreprocessorLine) return 'preprocessor line';
  return clip(tok.image);
}

/** Tokens that begin an expression; an expected set containing them reads "expression". */
const EXPRESSION_STARTS: readonly TokenType[] = [
  Integer, StringLiteral, Variable, Positional, PositionalCount, MapName, Identifier, True, False, Sizeof, Offsetof,
  LParen, PrefixOperator,
];

function label(t: TokenType): string {
  if (t === EOF) return 'end of input';
  if (t === Name) return 'identifier';
  if (t === BinaryOperator) return 'operator';
  return t.LABEL ?? t.name;
}

/** `a`, `a or b`, `a, b or c`; omitted when the set is too large to help. */
function expecting(types: readonly TokenType[]): string {
  const set = new Set(types);
  const labels: string[] = [];
  const exprLike = [...set].filter((t) => EXPRESSION_STARTS.includes(t)).length;
  if (exprLike >= 3) labels.push('expression');
  // A type starts with `struct`/`union`/`enum` or a name.
  const typeLike = set.has(TagKeyword);
  if (typeLike) labels.push('type');
  for (const t of set) {
    if (exprLike >= 3 && EXPRESSION_STARTS.includes(t)) continue;
    if (typeLike && (t === TagKeyword || t === Identifier)) continue;
    const l = label(t);
    if (!labels.includes(l)) labels.push(l);
  }
  if (labels.length === 0 || labels.length > 5) return '';
  const list = labels.length === 1 ? labels[0]! : `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]!}`;
  return `, expecting ${list}`;
}

function unexpected(tok: IToken): string {
  return `syntax error, unexpected ${describeToken(tok)}`;
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    // Expecting the end of input means the top level met something that starts no item.
    return unexpected(actual) + expecting([expected === EOF ? AttachPoint : expected]);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return unexpected(firstRedundant) + expecting([AttachPoint]);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual }) {
    const firsts = expectedPathsPerAlt.flatMap((paths) => paths.map((p) => p[0]).filter((t): t is TokenType => !!t));
    return unexpected(actual[0]!) + expecting(firsts);
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const firsts = expectedIterationPaths.map((p) => p[0]).filter((t): t is TokenType => !!t);
    return unexpected(actual[0]!) + expecting(firsts);
  },
};
