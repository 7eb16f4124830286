/**
 * Token types of the tsbpf language.
 *
 * One lexer mode; the few context-dependent tokens are custom patterns that consult a small
 * bracket tracker (`LexContext`) fed incrementally from the tokens matched so far:
 *
 * - `AttachPoint`: raw probe text (`uprobe:/bin/bash:readline`, `kprobe:f+16`, `BEGIN`), matched only
 *   at top level where a probe may start: at the beginning, after `}`, `;`, `)`, an angle block's
 *   closing `>`, a preprocessor line, or a `,` that follows another attach point.
 * - `PredOpen` / `PredClose`: the slashes around a predicate. An opening `/` follows the attach points
 *   at top level; inside a predicate a `/` is division unless the next thing (after layout) is `{`,
 *   `<` or the end of input (bpftrace's rule).
 * - `AngleOpen` / `AngleClose`: tsbpf's `probe < stmts >` action form. `<` opens when it follows the
 *   attach points or the predicate at top level. Inside the block (not nested in brackets) a `>`
 *   closes it when what follows cannot continue an expression: end of input, the next probe, a
 *   top-level keyword, or a token that cannot start an operand.
 */
import { Lexer, createToken, type CustomPatternMatcherReturn, type IToken, type TokenType } from './chevrotain.js';

// ---------------------------------------------------------------- categories

/** Any binary operator (precedence is applied when building the AST). */
export const BinaryOperator = createToken({ name: 'BinaryOperator', pattern: Lexer.NA });
/** Prefix operators: `! ~ - * & ++ --`. */
export const PrefixOperator = createToken({ name: 'PrefixOperator', pattern: Lexer.NA });
/** `=` and the compound assignments. */
export const AssignOperator = createToken({ name: 'AssignOperator', pattern: Lexer.NA });
/** Identifiers and keywords: whatever can name a field (`ctx.config`, `$s.if`). */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA });
/** `struct`, `union`, `enum`. */
export const TagKeyword = createToken({ name: 'TagKeyword', pattern: Lexer.NA, label: 'struct' });
/** A string literal, terminated or not (an unterminated one is reported when building the AST). */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: Lexer.NA, label: 'string' });

// ---------------------------------------------------------------- layout

/** Whitespace, and a byte order mark. */
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v\ufeff]+/,
  start_chars_hint: [' ', '\t', '\r', '\n', '\f', '\v', '\ufeff'],
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, start_chars_hint: ['/'], group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, start_chars_hint: ['/'], group: Lexer.SKIPPED, line_breaks: true });
/** `/*` without its `*\/`: kept in the `errors` group and reported. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, start_chars_hint: ['/'], group: 'errors', line_breaks: true });
/** `#!...` on the first line. */
export const Shebang = createToken({
  name: 'Shebang',
  pattern: { exec: (text, offset) => matchShebang(text, offset) },
  start_chars_hint: ['#'],
  group: Lexer.SKIPPED,
  line_breaks: false,
});

// ---------------------------------------------------------------- context-dependent tokens

export const PreprocessorLine = createToken({
  name: 'PreprocessorLine',
  label: 'preprocessor line',
  pattern: { exec: (text, offset) => matchPreprocessor(text, offset) },
  start_chars_hint: ['#'],
  line_breaks: true,
});

export const AttachPoint = createToken({
  name: 'AttachPoint',
  label: 'attach point',
  pattern: { exec: (text, offset, tokens) => matchAttachPoint(text, offset, tokens) },
  start_chars_hint: identStartChars(),
  line_breaks: false,
});

export const PredOpen = createToken({
  name: 'PredOpen',
  label: '/',
  pattern: { exec: (text, offset, tokens) => matchPredOpen(text, offset, tokens) },
  start_chars_hint: ['/'],
  line_breaks: false,
});

export const PredClose = createToken({
  name: 'PredClose',
  label: '/',
  pattern: { exec: (text, offset, tokens) => matchPredClose(text, offset, tokens) },
  start_chars_hint: ['/'],
  line_breaks: false,
});

export const AngleOpen = createToken({
  name: 'AngleOpen',
  label: '<',
  pattern: { exec: (text, offset, tokens) => matchAngleOpen(text, offset, tokens) },
  start_chars_hint: ['<'],
  line_breaks: false,
});

export const AngleClose = createToken({
  name: 'AngleClose',
  label: '>',
  pattern: { exec: (text, offset, tokens) => matchAngleClose(text, offset, tokens) },
  start_chars_hint: ['>'],
  line_breaks: false,
});

// ---------------------------------------------------------------- literals and names

/** `"..."` with backslash escapes, on one line. */
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n]|\\.)*"/, start_chars_hint: ['"'], categories: [StringLiteral], label: 'string' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n]|\\.)*/, start_chars_hint: ['"'], categories: [StringLiteral], label: 'string' });
/**
 * Any run of word characters starting with a digit: `42`, `0x1f`, `0b101`, `0123`, `1_000`, `2e3`,
 * `10UL`, `5s`. The value (and whether it is well formed) is decided when building the AST.
 */
export const Integer = createToken({ name: 'Integer', pattern: /[0-9][A-Za-z0-9_]*/, start_chars_hint: [...'0123456789'], label: 'integer' });
export const Variable = createToken({ name: 'Variable', pattern: /\$[_a-zA-Z][_a-zA-Z0-9]*/, start_chars_hint: ['$'], label: 'variable' });
export const Positional = createToken({ name: 'Positional', pattern: /\$[0-9]+/, start_chars_hint: ['$'], label: 'positional parameter' });
export const PositionalCount = createToken({ name: 'PositionalCount', pattern: '$#', label: '$#' });
export const MapName = createToken({ name: 'MapName', pattern: /@[_a-zA-Z][_a-zA-Z0-9]*|@/, start_chars_hint: ['@'], label: 'map' });
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[_a-zA-Z][_a-zA-Z0-9]*/,
  start_chars_hint: identStartChars(),
  categories: [Name],
  label: 'identifier',
});

function keyword(word: string, extra: TokenType[] = [Name]): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: word, longer_alt: Identifier, categories: extra, label: word });
}

export const Break = keyword('break');
export const Config = keyword('config');
export const Continue = keyword('continue');
export const Else = keyword('else');
export const For = keyword('for');
export const If = keyword('if');
export const Import = keyword('import');
export const Let = keyword('let');
export const Macro = keyword('macro');
export const Offsetof = keyword('offsetof');
export const Return = keyword('return');
export const Sizeof = keyword('sizeof');
export const Typeof = keyword('typeof');
export const Unroll = keyword('unroll');
export const While = keyword('while');
export const True = keyword('true');
export const False = keyword('false');
export const Struct = keyword('struct', [TagKeyword]);
export const Union = keyword('union', [TagKeyword]);
export const Enum = keyword('enum', [TagKeyword]);
/** `__attribute__((packed))` after a struct definition or a field (C's syntax, as bpftrace hands it to clang). */
export const Attribute = createToken({ name: 'Attribute', pattern: '__attribute__', longer_alt: Identifier, label: '__attribute__' });

// ---------------------------------------------------------------- operators and punctuation

function punct(name: string, image: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: image, categories, label: image });
}

export const ShlAssign = punct('ShlAssign', '<<=', [AssignOperator]);
export const ShrAssign = punct('ShrAssign', '>>=', [AssignOperator]);
export const Shl = punct('Shl', '<<', [BinaryOperator]);
export const Shr = punct('Shr', '>>', [BinaryOperator]);
export const LessEq = punct('LessEq', '<=', [BinaryOperator]);
export const GreaterEq = punct('GreaterEq', '>=', [BinaryOperator]);
export const EqEq = punct('EqEq', '==', [BinaryOperator]);
export const NotEq = punct('NotEq', '!=', [BinaryOperator]);
export const AndAnd = punct('AndAnd', '&&', [BinaryOperator]);
export const OrOr = punct('OrOr', '||', [BinaryOperator]);
export const PlusPlus = punct('PlusPlus', '++', [PrefixOperator]);
export const MinusMinus = punct('MinusMinus', '--', [PrefixOperator]);
export const Arrow = punct('Arrow', '->');
export const PlusAssign = punct('PlusAssign', '+=', [AssignOperator]);
export const MinusAssign = punct('MinusAssign', '-=', [AssignOperator]);
export const StarAssign = punct('StarAssign', '*=', [AssignOperator]);
export const SlashAssign = punct('SlashAssign', '/=', [AssignOperator]);
export const PercentAssign = punct('PercentAssign', '%=', [AssignOperator]);
export const AmpAssign = punct('AmpAssign', '&=', [AssignOperator]);
export const PipeAssign = punct('PipeAssign', '|=', [AssignOperator]);
export const CaretAssign = punct('CaretAssign', '^=', [AssignOperator]);
export const DotDot = punct('DotDot', '..');
export const Less = punct('Less', '<', [BinaryOperator]);
export const Greater = punct('Greater', '>', [BinaryOperator]);
export const Assign = punct('Assign', '=', [AssignOperator]);
export const Bang = punct('Bang', '!', [PrefixOperator]);
export const Tilde = punct('Tilde', '~', [PrefixOperator]);
export const Plus = punct('Plus', '+', [BinaryOperator]);
export const Minus = punct('Minus', '-', [BinaryOperator, PrefixOperator]);
export const Star = punct('Star', '*', [BinaryOperator, PrefixOperator]);
export const Slash = punct('Slash', '/', [BinaryOperator]);
export const Percent = punct('Percent', '%', [BinaryOperator]);
export const Amp = punct('Amp', '&', [BinaryOperator, PrefixOperator]);
export const Pipe = punct('Pipe', '|', [BinaryOperator]);
export const Caret = punct('Caret', '^', [BinaryOperator]);
export const Question = punct('Question', '?');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');
export const Comma = punct('Comma', ',');
export const Dot = punct('Dot', '.');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');

/** Order matters: the first pattern that matches wins (longer operators first). */
export const allTokens: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, UnterminatedComment,
  Shebang, PreprocessorLine,
  AttachPoint, PredOpen, PredClose, AngleOpen, AngleClose,
  StringLit, UnterminatedString, Integer,
  Variable, Positional, PositionalCount, MapName,
  Break, Config, Continue, Else, For, If, Import, Let, Macro, Offsetof, Return, Sizeof, Typeof, Unroll, While,
  True, False, Struct, Union, Enum, Attribute, Identifier,
  ShlAssign, ShrAssign, Shl, Shr, LessEq, GreaterEq, EqEq, NotEq, AndAnd, OrOr, PlusPlus, MinusMinus, Arrow,
  PlusAssign, MinusAssign, StarAssign, SlashAssign, PercentAssign, AmpAssign, PipeAssign, CaretAssign, DotDot,
  Less, Greater, Assign, Bang, Tilde, Plus, Minus, Star, Slash, Percent, Amp, Pipe, Caret,
  Question, Colon, Semicolon, Comma, Dot, LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  // categories (never matched themselves)
  BinaryOperator, PrefixOperator, AssignOperator, Name, TagKeyword, StringLiteral,
];

// ---------------------------------------------------------------- scanning helpers (shared with the parser's gates)

/** Words that begin a top-level item and so never begin an attach point (unless followed by `:`). */
export const TOP_LEVEL_KEYWORDS: ReadonlySet<string> = new Set(['struct', 'union', 'enum', 'config', 'macro', 'let', 'import', 'fn']);
/** Keywords that cannot begin an operand: after an angle block's `>`, they end the block. */
const NON_OPERAND_KEYWORDS: ReadonlySet<string> = new Set([
  ...TOP_LEVEL_KEYWORDS, 'if', 'else', 'for', 'while', 'unroll', 'return', 'break', 'continue',
]);
/** No attach point is a bare keyword (no provider is named like one). */
const KEYWORDS: ReadonlySet<string> = new Set([...NON_OPERAND_KEYWORDS, 'sizeof', 'offsetof', 'typeof', 'true', 'false', '__attribute__']);
/** Attach points that need no `:`. */
const BARE_ATTACH_POINTS: ReadonlySet<string> = new Set(['BEGIN', 'END', 'begin', 'end']);

function identStartChars(): string[] {
  const out: string[] = ['_'];
  for (let c = 65; c <= 90; c++) out.push(String.fromCharCode(c), String.fromCharCode(c + 32));
  return out;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** Skips whitespace and comments from `i`; returns the offset of the next significant character. */
export function skipLayout(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      break;
    }
  }
  return i;
}

/** Characters that end an attach point (besides whitespace and, before any `:`, a `/`). */
function endsAttachPoint(c: number): boolean {
  switch (c) {
    case 123: case 125: // { }
    case 44: case 59: // , ;
    case 60: case 62: // < >
    case 40: case 41: // ( )
    case 39: case 96: // ' `
      return true;
    default:
      return false;
  }
}

/**
 * The end of the attach point starting at `i`, or `i` if none starts there. An attach point begins
 * with a letter or `_` and runs until whitespace, one of `{ } , ; < > ( ) ' \``, or a `/` before any
 * `:` (after a `:` slashes are path separators). Quoted parts (`cpp:"NS::f"`) are taken whole.
 */
export function scanAttachPoint(text: string, i: number): number {
  const start = i;
  const n = text.length;
  if (i >= n || !isIdentStart(text.charCodeAt(i))) return start;
  let sawColon = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || endsAttachPoint(c)) break;
    if (c === 47 /* / */ && !sawColon) break;
    if (c === 58 /* : */) sawColon = true;
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 10) break;
        if (d === 92 /* \ */) {
          i += 2;
          continue;
        }
        i++;
        if (d === 34) break;
      }
      continue;
    }
    i++;
  }
  return Math.min(i, n);
}

function readWord(text: string, i: number): string {
  let j = i;
  while (j < text.length && isIdentChar(text.charCodeAt(j))) j++;
  return text.slice(i, j);
}

/**
 * Whether a probe header starts at `i`: attach points (each with a `:` unless `BEGIN`/`END`),
 * comma separated, followed by `{`, `<` or a predicate's `/`.
 */
export function looksLikeProbeHeader(text: string, i: number): boolean {
  for (;;) {
    const end = scanAttachPoint(text, i);
    if (end === i) return false;
    const raw = text.slice(i, end);
    if (!raw.includes(':') && !BARE_ATTACH_POINTS.has(raw)) return false;
    i = skipLayout(text, end);
    const c = text.charCodeAt(i);
    if (c === 44 /* , */) {
      i = skipLayout(text, i + 1);
      const d = text.charCodeAt(i);
      if (d === 123 || d === 60 || d === 47) return true; // trailing comma
      continue;
    }
    return c === 123 /* { */ || c === 60 /* < */ || c === 47 /* / */;
  }
}

/** Whether the text at `i` (after layout) can continue an expression after a binary `>`. */
function canContinueAfterGreater(text: string, i: number): boolean {
  i = skipLayout(text, i);
  if (i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (isIdentStart(c)) {
    if (looksLikeProbeHeader(text, i)) return false;
    return !NON_OPERAND_KEYWORDS.has(readWord(text, i));
  }
  if (isDigit(c)) return true;
  switch (text[i]) {
    case '$': case '@': case '"': case '(': case '!': case '~': case '-': case '*': case '&':
      return true;
    case '+':
      return text[i + 1] === '+';
    default:
      return false;
  }
}

// ---------------------------------------------------------------- lexical context

type Frame = 'brace' | 'paren' | 'bracket' | 'angle' | 'pred';

/**
 * Brackets open at the current lexing position, rebuilt incrementally from the tokens matched so far
 * (Chevrotain passes the growing token array to custom patterns). A new array means a new input.
 */
class LexContext {
  private tokens: IToken[] | undefined;
  private seen = 0;
  readonly stack: Frame[] = [];

  sync(tokens: IToken[]): void {
    if (tokens !== this.tokens || tokens.length < this.seen) {
      this.tokens = tokens;
      this.seen = 0;
      this.stack.length = 0;
    }
    for (; this.seen < tokens.length; this.seen++) this.apply(tokens[this.seen]!.tokenType);
  }

  /** Forget the last input (so it can be collected). */
  release(): void {
    this.tokens = undefined;
    this.seen = 0;
    this.stack.length = 0;
  }

  get topLevel(): boolean {
    return this.stack.length === 0;
  }

  get top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  has(frame: Frame): boolean {
    return this.stack.includes(frame);
  }

  private apply(t: TokenType): void {
    if (t === LBrace) this.stack.push('brace');
    else if (t === LParen) this.stack.push('paren');
    else if (t === LBracket) this.stack.push('bracket');
    else if (t === AngleOpen) this.stack.push('angle');
    else if (t === PredOpen) this.stack.push('pred');
    else if (t === RBrace) this.popTo('brace');
    else if (t === RParen) this.popTo('paren');
    else if (t === RBracket) this.popTo('bracket');
    else if (t === AngleClose) this.popTo('angle');
    else if (t === PredClose) this.popTo('pred');
  }

  /** Pops up to and including the innermost `frame`; a closer with no opener changes nothing. */
  private popTo(frame: Frame): void {
    const at = this.stack.lastIndexOf(frame);
    if (at >= 0) this.stack.length = at;
  }
}

export const lexContext = new LexContext();

function match(image: string): CustomPatternMatcherReturn {
  return [image] as CustomPatternMatcherReturn;
}

/** Whether the token before the current position lets a probe's attach points start here. */
function probeMayStart(tokens: IToken[]): boolean {
  const n = tokens.length;
  if (n === 0) return true;
  const prev = tokens[n - 1]!.tokenType;
  if (prev === RBrace || prev === AngleClose || prev === Semicolon || prev === PreprocessorLine) return true;
  // `let @m = hash(10)` needs no `;` (a top-level `)` ends nothing else), but in
  // `struct __attribute__((packed)) Foo {` the record's name follows.
  if (prev === RParen) return !closesRecordAttribute(tokens);
  return prev === Comma && n >= 2 && tokens[n - 2]!.tokenType === AttachPoint;
}

/** Whether the last token, a `)`, closes `struct __attribute__((...))` (a record's name comes next). */
function closesRecordAttribute(tokens: IToken[]): boolean {
  let depth = 0;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!.tokenType;
    if (t === RParen) depth++;
    else if (t === LParen && --depth === 0) {
      const before = tokens[i - 1]?.tokenType;
      const keyword = tokens[i - 2]?.tokenType;
      return before === Attribute && (keyword === Struct || keyword === Union);
    }
  }
  return false;
}

/** Whether the attach points just ended (a predicate or action block may follow). */
function afterAttachPoints(tokens: IToken[]): boolean {
  const n = tokens.length;
  if (n === 0) return false;
  const prev = tokens[n - 1]!.tokenType;
  if (prev === AttachPoint) return true;
  return prev === Comma && n >= 2 && tokens[n - 2]!.tokenType === AttachPoint;
}

function matchShebang(text: string, offset: number): CustomPatternMatcherReturn | null {
  if (offset !== 0 || !text.startsWith('#!')) return null;
  const nl = text.indexOf('\n');
  return match(nl < 0 ? text : text.slice(0, nl));
}

function matchPreprocessor(text: string, offset: number): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 35 /* # */) return null;
  // Only at the start of a line (after indentation).
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) break;
    if (c !== 32 && c !== 9) return null;
  }
  // Up to the end of the line, following `\` continuations.
  let i = offset;
  for (;;) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return match(text.slice(offset));
    const lineEnd = text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (text.charCodeAt(lineEnd - 1) !== 92 /* \ */) return match(text.slice(offset, nl));
    i = nl + 1;
  }
}

function matchAttachPoint(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  lexContext.sync(tokens);
  if (!lexContext.topLevel || !probeMayStart(tokens)) return null;
  const end = scanAttachPoint(text, offset);
  if (end === offset) return null;
  const word = readWord(text, offset);
  if (KEYWORDS.has(word) && text.charCodeAt(offset + word.length) !== 58 /* : */) return null;
  return match(text.slice(offset, end));
}

function matchPredOpen(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 47 /* / */) return null;
  lexContext.sync(tokens);
  if (!lexContext.topLevel || !afterAttachPoints(tokens)) return null;
  const next = text.charCodeAt(offset + 1);
  if (next === 47 || next === 42) return null; // a comment
  return match('/');
}

function matchPredClose(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 47 /* / */) return null;
  lexContext.sync(tokens);
  if (!lexContext.has('pred')) return null;
  const next = text.charCodeAt(offset + 1);
  if (next === 47 || next === 42 || next === 61) return null; // comment or `/=`
  const i = skipLayout(text, offset + 1);
  if (i < text.length && text[i] !== '{' && text[i] !== '<') return null;
  return match('/');
}

function matchAngleOpen(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 60 /* < */) return null;
  lexContext.sync(tokens);
  if (!lexContext.topLevel) return null;
  const n = tokens.length;
  if (n === 0) return null;
  if (!afterAttachPoints(tokens) && tokens[n - 1]!.tokenType !== PredClose) return null;
  return match('<');
}

function matchAngleClose(text: string, offset: number, tokens: IToken[]): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 62 /* > */) return null;
  lexContext.sync(tokens);
  if (lexContext.top !== 'angle') return null;
  const next = text.charCodeAt(offset + 1);
  if (next === 62 || next === 61) return null; // `>>`, `>=`
  if (canContinueAfterGreater(text, offset + 1)) return null;
  return match('>');
}
