/**
 * The tsbpf grammar: a pure CstParser (no embedded actions). Binary operators are one flat rule
 * (`unaryExpr (BinaryOperator unaryExpr)*`); precedence is applied when the AST is built, which keeps
 * the grammar small and its lookahead shallow (k = 2). The only semantic gates are the cast / type
 * decisions (`(type)expr`, `sizeof(type)`) and the statement terminator before a closing bracket.
 */
import { CstParser, EOF, tokenMatcher, type ILookaheadStrategy, type IToken, type TokenType } from './chevrotain.js';
import { BUILTIN_NAMES } from './generated/builtin-names.js';
import { LOOKAHEAD } from './generated/lookahead.js';
import { grammarFingerprint, TableLookaheadStrategy } from './lookahead.js';
import { messageProvider } from './messages.js';
import {
  allTokens, AngleClose, AngleOpen, Arrow, AssignOperator, Assign, AttachPoint, BinaryOperator, Break, Colon, Comma,
  Attribute, Config, Continue, Dot, DotDot, Else, Enum, False, For, Identifier, If, Import, Integer, LBrace, LBracket, Let, LParen,
  Macro, MapName, MinusMinus, Name, Offsetof, PlusPlus, Positional, PositionalCount, PredClose, PredOpen, PrefixOperator,
  PreprocessorLine, Question, RBrace, RBracket, Return, RParen, Semicolon, Sizeof, Star, StringLiteral, Struct, TagKeyword,
  True, Typeof, Union, Unroll, Variable, While,
} from './tokens.js';

/** Identifiers that are builtins (from the builtin library, generated): `(pid) - 1` is a subtraction, not a cast. */
const BUILTINS: ReadonlySet<string> = new Set(BUILTIN_NAMES);

export function isBuiltinName(name: string): boolean {
  return BUILTINS.has(name) || /^s?arg[0-9]+$/.test(name) || name.startsWith('__builtin_');
}

/** Names that are types even when written alone (so `sizeof(int)` is a type and `sizeof(x)` an expression). */
const TYPE_NAMES: ReadonlySet<string> = new Set([
  'bool', 'string', 'void', 'char', 'short', 'int', 'long', 'unsigned', 'signed', 'float', 'double',
  'size_t', 'ssize_t', 'uintptr_t', 'intptr_t', 'pid_t', 'inet', 'buffer',
  ...[8, 16, 32, 64].flatMap((n) => [
    `int${n}`, `uint${n}`, `u${n}`, `s${n}`, `__u${n}`, `__s${n}`, `int${n}_t`, `uint${n}_t`, `u_int${n}_t`,
  ]),
]);

/** Tokens that can start an operand (a unary expression). */
const OPERAND_START: readonly TokenType[] = [
  Integer, StringLiteral, Variable, Positional, PositionalCount, MapName, Identifier, True, False,
  Sizeof, Offsetof, LParen, PrefixOperator,
];

/**
 * How deeply statements and expressions may nest, counted where the grammar recurses (a statement,
 * an `if`, a unary operand, a ternary's branches, a `typeof`): `((x))` counts 1 per parenthesis, `!!x` 1 per `!`,
 * a nested `if` 2. Far above what scripts write (bpftrace's tools nest a handful of levels) and
 * below what overflows the JS stack (about 400 parentheses on Node's default stack; grammar/index.ts
 * still turns an overflow into the same diagnostic): deeper input is a diagnostic.
 */
export const MAX_NESTING = 256;

/** Thrown (not a recognition error: Chevrotain lets it through) when input nests beyond MAX_NESTING. */
export class NestingTooDeepError extends Error {
  constructor(readonly token: IToken) {
    super('nesting too deep');
    this.name = 'NestingTooDeepError';
  }
}

/** The lookahead depth the grammar needs (two tokens: `(a,)`, trailing commas). */
export const MAX_LOOKAHEAD = 2;

export interface TbpfParserOptions {
  /** Recover from errors to report several (slower to build). */
  readonly recovery?: boolean;
  /** Run Chevrotain's grammar checks (tests do). */
  readonly validate?: boolean;
  /** How to get lookahead: from the generated table (default) or a given strategy. */
  readonly lookahead?: ILookaheadStrategy;
}

export class TbpfParser extends CstParser {
  /** Fingerprint of this grammar, matched against the generated lookahead table's. */
  static fingerprint(): string {
    return grammarFingerprint(TbpfParser.toString(), allTokens, MAX_LOOKAHEAD);
  }

  constructor(options: TbpfParserOptions = {}) {
    const { recovery = false, validate = false } = options;
    const table = LOOKAHEAD.fingerprint === TbpfParser.fingerprint() ? LOOKAHEAD : undefined;
    super(allTokens, {
      recoveryEnabled: recovery,
      maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: options.lookahead ?? new TableLookaheadStrategy(MAX_LOOKAHEAD, table, allTokens),
      nodeLocationTracking: 'onlyOffset',
      errorMessageProvider: messageProvider,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  private nesting = 0;

  /**
   * One nesting level deeper (see MAX_NESTING); the rule undoes it with `nesting--` in a `finally`,
   * written inline rather than through a wrapper function so each level costs no extra stack frames.
   */
  private enter(): void {
    if (this.nesting >= MAX_NESTING) throw new NestingTooDeepError(this.LA(1));
    this.nesting++;
  }

  // ---------------------------------------------------------------- top level

  program = this.RULE('program', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(PreprocessorLine) },
        { ALT: () => this.SUBRULE(this.structDef) },
        { ALT: () => this.SUBRULE(this.enumDef) },
        { ALT: () => this.SUBRULE(this.configBlock) },
        { ALT: () => this.SUBRULE(this.macroDef) },
        { ALT: () => this.SUBRULE(this.mapDecl) },
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.probe) },
        { ALT: () => this.CONSUME(Semicolon) },
      ]);
    });
  });

  /** `struct Foo { int a; char b[8]; };` (also `union`, attributes after the keyword or the `}`). */
  structDef = this.RULE('structDef', () => {
    this.SUBRULE(this.recordBody);
    this.OPTION(() => this.CONSUME(Semicolon));
  });

  /** `struct [attrs] [Name] { fields } [attrs]`: a definition at top level or inline as a field's type. */
  recordBody = this.RULE('recordBody', () => {
    this.OR([{ ALT: () => this.CONSUME(Struct) }, { ALT: () => this.CONSUME(Union) }]);
    this.MANY(() => this.SUBRULE(this.attribute));
    this.OPTION(() => this.CONSUME(Name));
    this.CONSUME(LBrace);
    this.MANY2(() => this.SUBRULE(this.fieldDecl));
    this.CONSUME(RBrace);
    this.MANY3(() => this.SUBRULE2(this.attribute));
  });

  /** `__attribute__((packed))`, `__attribute__((aligned(8), packed))` */
  attribute = this.RULE('attribute', () => {
    this.CONSUME(Attribute);
    this.CONSUME(LParen);
    this.CONSUME2(LParen);
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        this.CONSUME(Name);
        this.OPTION(() => {
          this.CONSUME3(LParen);
          this.OPTION2(() => this.SUBRULE(this.argList));
          this.CONSUME(RParen);
        });
      },
    });
    this.CONSUME2(RParen);
    this.CONSUME3(RParen);
  });

  /** `enum Foo { ONE = 1, TWO, };` and anonymous `enum { A, B }` */
  enumDef = this.RULE('enumDef', () => {
    this.CONSUME(Enum);
    this.OPTION(() => this.CONSUME(Name));
    this.CONSUME(LBrace);
    // Enumerators are separated by commas; one may follow the last.
    let more = true;
    this.MANY({
      GATE: () => more,
      DEF: () => {
        this.CONSUME2(Name, { LABEL: 'enumerator' });
        this.OPTION2(() => {
          this.CONSUME(Assign);
          this.SUBRULE(this.expression, { LABEL: 'enumValue' });
        });
        more = false;
        this.OPTION3(() => {
          this.CONSUME(Comma);
          more = true;
        });
      },
    });
    this.CONSUME(RBrace);
    this.OPTION4(() => this.CONSUME(Semicolon));
  });

  /**
   * `int a;`, `unsigned long x;`, `struct foo *p;`, `char name[16];`, `int y[2][2];`, `u32 flags : 3;`,
   * an inline `struct { ... } inner;` or an anonymous `union { ... };` (its members are the outer's).
   */
  fieldDecl = this.RULE('fieldDecl', () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { GATE: () => this.inlineRecordAhead(), ALT: () => this.SUBRULE(this.recordBody, { LABEL: 'inline' }) },
      {
        ALT: () => {
          this.CONSUME(TagKeyword);
          this.CONSUME(Name);
        },
      },
      { ALT: () => this.CONSUME2(Name) },
    ] });
    this.MANY(() => {
      this.OR2([{ ALT: () => this.CONSUME3(Name) }, { ALT: () => this.CONSUME(Star) }]);
    });
    this.MANY2(() => {
      this.CONSUME(LBracket);
      this.CONSUME(Integer, { LABEL: 'arraySize' });
      this.CONSUME(RBracket);
    });
    this.OPTION2(() => {
      this.CONSUME(Colon);
      this.CONSUME2(Integer, { LABEL: 'bitWidth' });
    });
    this.MANY3(() => this.SUBRULE(this.attribute));
    this.CONSUME(Semicolon);
  });

  /** `config = { max_map_keys = 2; stack_mode = perf }` */
  configBlock = this.RULE('configBlock', () => {
    this.CONSUME(Config);
    this.CONSUME(Assign);
    this.CONSUME(LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Semicolon) }, { ALT: () => this.SUBRULE(this.configEntry) }]);
    });
    this.CONSUME(RBrace);
    this.OPTION(() => this.CONSUME2(Semicolon));
  });

  configEntry = this.RULE('configEntry', () => {
    this.CONSUME(Name);
    this.CONSUME(Assign);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.terminator);
  });

  /** `macro name($a, @b, c) { ... }` */
  macroDef = this.RULE('macroDef', () => {
    this.CONSUME(Macro);
    this.CONSUME(Name);
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.macroParam);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.macroParam);
      });
    });
    this.CONSUME(RParen);
    this.SUBRULE(this.block);
  });

  macroParam = this.RULE('macroParam', () => {
    this.OR([
      { ALT: () => this.CONSUME(Variable) },
      { ALT: () => this.CONSUME(MapName) },
      { ALT: () => this.CONSUME(Identifier) },
    ]);
  });

  /** `let @m = hash(100);` */
  mapDecl = this.RULE('mapDecl', () => {
    this.CONSUME(Let);
    this.CONSUME(MapName);
    this.CONSUME(Assign);
    this.CONSUME(Identifier);
    this.CONSUME(LParen);
    this.OPTION(() => this.SUBRULE(this.argList));
    this.CONSUME(RParen);
    this.OPTION2(() => this.CONSUME(Semicolon));
  });

  /** `import "file.bt";` (parsed; not supported yet). */
  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(Import);
    this.CONSUME(StringLiteral);
    this.CONSUME(Semicolon);
  });

  /** `a:b:c, d:e /pred/ { ... }` or `a:b:c /pred/ < ... >` */
  probe = this.RULE('probe', () => {
    this.CONSUME(AttachPoint);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.CONSUME2(AttachPoint);
    });
    this.OPTION(() => this.CONSUME2(Comma));
    this.OPTION2(() => {
      this.CONSUME(PredOpen);
      this.SUBRULE(this.expression, { LABEL: 'predicate' });
      this.CONSUME(PredClose);
    });
    this.OR([{ ALT: () => this.SUBRULE(this.block) }, { ALT: () => this.SUBRULE(this.angleBlock) }]);
  });

  // ---------------------------------------------------------------- statements

  block = this.RULE('block', () => {
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(RBrace);
  });

  angleBlock = this.RULE('angleBlock', () => {
    this.CONSUME(AngleOpen);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(AngleClose);
  });

  statement = this.RULE('statement', () => {
    this.enter();
    try {
      // A `{` starting a statement opens a block statement; block expressions (`{ ...; expr }`) are
      // parsed where an expression is expected (`let $a = { ... };`).
      this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
        { ALT: () => this.CONSUME(Semicolon) },
        { ALT: () => this.SUBRULE(this.ifStmt) },
        { ALT: () => this.SUBRULE(this.whileStmt) },
        { ALT: () => this.SUBRULE(this.unrollStmt) },
        { ALT: () => this.SUBRULE(this.forStmt) },
        { ALT: () => this.SUBRULE(this.block) },
        {
          ALT: () => {
            this.SUBRULE(this.letStmt);
            this.SUBRULE(this.terminator);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.jumpStmt);
            this.SUBRULE2(this.terminator);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.returnStmt);
            this.SUBRULE3(this.terminator);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.exprStmt);
            this.SUBRULE4(this.terminator);
          },
        },
      ] });
    } finally {
      this.nesting--;
    }
  });

  /** `;`, or nothing right before the closing `}` / `>` of a block (the last `;` is optional). */
  terminator = this.RULE('terminator', () => {
    this.OR([
      { ALT: () => this.CONSUME(Semicolon) },
      { GATE: () => this.atBlockEnd(), ALT: () => {} },
    ]);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(Let);
    this.CONSUME(Variable);
    this.OPTION(() => {
      this.CONSUME(Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.OPTION2(() => {
      this.CONSUME(Assign);
      this.SUBRULE(this.expression);
    });
  });

  jumpStmt = this.RULE('jumpStmt', () => {
    this.OR([{ ALT: () => this.CONSUME(Break) }, { ALT: () => this.CONSUME(Continue) }]);
  });

  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(Return);
    this.OPTION(() => this.SUBRULE(this.expression));
  });

  /** An expression, or an assignment `target op= value` (the target is checked when building the AST). */
  exprStmt = this.RULE('exprStmt', () => {
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(AssignOperator);
      this.SUBRULE2(this.expression);
    });
  });

  ifStmt = this.RULE('ifStmt', () => {
    this.enter();
    try {
      this.CONSUME(If);
      this.SUBRULE(this.expression);
      this.SUBRULE(this.block, { LABEL: 'then' });
      this.OPTION(() => {
        this.CONSUME(Else);
        this.OR([
          { ALT: () => this.SUBRULE(this.ifStmt, { LABEL: 'elseIf' }) },
          { ALT: () => this.SUBRULE2(this.block, { LABEL: 'else' }) },
        ]);
      });
    } finally {
      this.nesting--;
    }
  });

  whileStmt = this.RULE('whileStmt', () => {
    this.CONSUME(While);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
  });

  unrollStmt = this.RULE('unrollStmt', () => {
    this.CONSUME(Unroll);
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(RParen);
    this.SUBRULE(this.block);
  });

  /** `for ($kv : @map) { }`, `for ($i : 0..N) { }`, and without the parentheses: `for $i : 0..N { }` */
  forStmt = this.RULE('forStmt', () => {
    this.CONSUME(For);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.forHead);
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE2(this.forHead) },
    ]);
    this.SUBRULE(this.block);
  });

  forHead = this.RULE('forHead', () => {
    this.CONSUME(Variable);
    this.CONSUME(Colon);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(DotDot);
      this.SUBRULE2(this.expression);
    });
  });

  // ---------------------------------------------------------------- expressions

  /** Ternary level: `c ? a : b`, `a ?: b` (right associative). */
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.binaryExpr);
    // A ternary's branches recurse without an operand in between: each one counts a level.
    this.OPTION(() => {
      this.enter();
      try {
        this.CONSUME(Question);
        this.OR([
          {
            ALT: () => {
              this.CONSUME(Colon);
              this.SUBRULE(this.expression, { LABEL: 'else' });
            },
          },
          {
            ALT: () => {
              this.SUBRULE2(this.expression, { LABEL: 'then' });
              this.CONSUME2(Colon);
              this.SUBRULE3(this.expression, { LABEL: 'else' });
            },
          },
        ]);
      } finally {
        this.nesting--;
      }
    });
  });

  /** Operands and binary operators in order; precedence is applied by the AST builder. */
  binaryExpr = this.RULE('binaryExpr', () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.CONSUME(BinaryOperator);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  unaryExpr = this.RULE('unaryExpr', () => {
    this.enter();
    try {
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          {
            ALT: () => {
              this.CONSUME(PrefixOperator);
              this.SUBRULE(this.unaryExpr);
            },
          },
          { GATE: () => this.castAhead(), ALT: () => this.SUBRULE(this.castExpr) },
          { ALT: () => this.SUBRULE(this.postfixExpr) },
        ],
      });
    } finally {
      this.nesting--;
    }
  });

  /** `(uint8)x`, `(struct task_struct *)curtask`, `(int8[8])x` */
  castExpr = this.RULE('castExpr', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(RParen);
    this.SUBRULE(this.unaryExpr);
  });

  postfixExpr = this.RULE('postfixExpr', () => {
    this.SUBRULE(this.primaryExpr);
    this.MANY(() => this.SUBRULE(this.postfixOp));
  });

  postfixOp = this.RULE('postfixOp', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Dot);
          this.OR2([{ ALT: () => this.CONSUME(Name) }, { ALT: () => this.CONSUME(Integer) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Arrow);
          this.CONSUME2(Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(LBracket);
          this.SUBRULE(this.expression);
          this.CONSUME(RBracket);
        },
      },
      { ALT: () => this.CONSUME(PlusPlus) },
      { ALT: () => this.CONSUME(MinusMinus) },
    ]);
  });

  primaryExpr = this.RULE('primaryExpr', () => {
    this.OR([
      { ALT: () => this.CONSUME(Integer) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.CONSUME(Variable) },
      { ALT: () => this.CONSUME(Positional) },
      { ALT: () => this.CONSUME(PositionalCount) },
      { ALT: () => this.SUBRULE(this.mapRef) },
      { ALT: () => this.SUBRULE(this.callOrIdent) },
      { ALT: () => this.SUBRULE(this.sizeofExpr) },
      { ALT: () => this.SUBRULE(this.offsetofExpr) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      // `if (c) { a } else { b }` as a value (bpftrace 0.24), nested `else if` too.
      { ALT: () => this.SUBRULE(this.ifStmt, { LABEL: 'ifExpr' }) },
      // `typeof(...)` as a value: a type passed to a macro (`p_cast(typeof(uint8), -1)`).
      { ALT: () => this.SUBRULE(this.typeofType, { LABEL: 'typeArg' }) },
      // `config` as a value: the config record (`config.max_strlen`; the block is `config = { ... }` at top level).
      { ALT: () => this.CONSUME(Config, { LABEL: 'configValue' }) },
      // `struct T` as a value: a type passed to a function or macro (`container_of(p, struct T, member)`).
      { GATE: () => this.is(1, TagKeyword) && this.is(2, Name) && !this.is(3, LBrace), ALT: () => this.SUBRULE(this.typeExpr, { LABEL: 'typeValue' }) },
      // Block expression (bpftrace 0.24): `{ let $b = 1; $b }`, its value is the last expression.
      { ALT: () => this.SUBRULE(this.block, { LABEL: 'blockExpr' }) },
    ]);
  });

  /** `@`, `@name`, `@name[k1, k2]` */
  mapRef = this.RULE('mapRef', () => {
    this.CONSUME(MapName);
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.SUBRULE(this.argList);
      this.CONSUME(RBracket);
    });
  });

  /** `pid`, `count()`, `printf("%d\n", $x)` */
  callOrIdent = this.RULE('callOrIdent', () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  argList = this.RULE('argList', () => {
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expression);
    });
  });

  sizeofExpr = this.RULE('sizeofExpr', () => {
    this.CONSUME(Sizeof);
    this.CONSUME(LParen);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.sizeofTypeAhead(), ALT: () => this.SUBRULE(this.typeExpr) },
        { ALT: () => this.SUBRULE(this.expression) },
      ],
    });
    this.CONSUME(RParen);
  });

  /** `offsetof(struct Foo, a.b)` */
  offsetofExpr = this.RULE('offsetofExpr', () => {
    this.CONSUME(Offsetof);
    this.CONSUME(LParen);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(Comma);
    this.CONSUME(Name);
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME2(Name);
    });
    this.CONSUME(RParen);
  });

  /** `(e)`, `()`, `(a,)`, `(a, b)`, `(a, b,)`, records `(a=1, b=2)` */
  parenExpr = this.RULE('parenExpr', () => {
    // Record field names are inline (not a subrule): deeply nested parentheses must not use more stack.
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.OPTION3(() => {
        this.CONSUME(Identifier, { LABEL: 'fieldName' });
        this.CONSUME(Assign);
      });
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.OPTION4(() => {
          this.CONSUME2(Identifier, { LABEL: 'fieldName' });
          this.CONSUME2(Assign);
        });
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
  });

  /** `uint8`, `unsigned long`, `struct task_struct *`, `char[16]`, `int32*[4]`, `typeof($x)` */
  typeExpr = this.RULE('typeExpr', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.typeofType) },
      {
        ALT: () => {
          this.OR2([
            {
              ALT: () => {
                this.CONSUME(TagKeyword);
                this.CONSUME(Name);
              },
            },
            { ALT: () => this.AT_LEAST_ONE(() => this.CONSUME(Identifier)) },
          ]);
          this.MANY(() => this.CONSUME(Star));
          this.OPTION(() => {
            this.CONSUME(LBracket);
            this.OPTION2(() => this.CONSUME(Integer));
            this.CONSUME(RBracket);
          });
        },
      },
    ]);
  });

  /** `typeof(type)` or `typeof(expr)` (bpftrace 0.26): no `*` / `[N]` suffix after it. */
  typeofType = this.RULE('typeofType', () => {
    // typeof(typeof(...)) recurses through types, not operands: it counts a level too.
    this.enter();
    try {
      this.CONSUME(Typeof);
      this.CONSUME(LParen);
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          { GATE: () => this.sizeofTypeAhead(), ALT: () => this.SUBRULE(this.typeExpr) },
          { ALT: () => this.SUBRULE(this.expression) },
        ],
      });
      this.CONSUME(RParen);
    } finally {
      this.nesting--;
    }
  });

  // ---------------------------------------------------------------- gates (token lookahead only)

  private is(i: number, t: TokenType): boolean {
    return tokenMatcher(this.LA(i), t);
  }

  /** A field's type is an inline `struct {` / `struct Name {` (not `struct Name *p;`). */
  private inlineRecordAhead(): boolean {
    if (!this.is(1, Struct) && !this.is(1, Union)) return false;
    let i = 2;
    while (this.is(i, Attribute)) i = this.balancedEnd(i + 1);
    if (this.is(i, Name)) i++;
    return this.is(i, LBrace);
  }

  private atBlockEnd(): boolean {
    const t = this.LA(1).tokenType;
    return t === RBrace || t === AngleClose || t === EOF;
  }

  /**
   * Scans a type starting at LA(i): returns the index after it, whether it certainly is a type
   * (a tag, a known type name, several words, or a `*` / `[N]` suffix), and its first word.
   */
  private scanType(i: number): { end: number; certain: boolean; first: string } | undefined {
    let certain = false;
    let first: string;
    if (this.is(i, TagKeyword)) {
      if (!this.is(i + 1, Name)) return undefined;
      first = this.LA(i).image;
      certain = true;
      i += 2;
    } else if (this.is(i, Identifier)) {
      first = this.LA(i).image;
      let words = 0;
      while (this.is(i, Identifier)) {
        i++;
        words++;
      }
      certain = words > 1 || TYPE_NAMES.has(first);
    } else {
      return undefined;
    }
    while (this.is(i, Star)) {
      i++;
      certain = true;
    }
    if (this.is(i, LBracket)) {
      i++;
      if (this.is(i, Integer)) i++;
      if (!this.is(i, RBracket)) return undefined;
      i++;
      certain = true;
    }
    return { end: i, certain, first };
  }

  /**
   * `( type ) operand` where the type is not a lone builtin name (bpftrace's rule). A certain type
   * (`(struct x *)`, `(uint8)`) is a cast even without an operand, so the error points after it.
   */
  private castAhead(): boolean {
    if (!this.is(1, LParen)) return false;
    if (this.is(2, Typeof)) return this.is(3, LParen) && this.is(this.balancedEnd(3), RParen);
    const t = this.scanType(2);
    if (!t || isBuiltinName(t.first) || !this.is(t.end, RParen)) return false;
    if (t.certain) return true;
    const next = this.LA(t.end + 1);
    return OPERAND_START.some((s) => tokenMatcher(next, s));
  }

  /** The index after the `)` matching the `(` at LA(i) (or at the end of input). */
  private balancedEnd(i: number): number {
    let depth = 0;
    for (;; i++) {
      const t = this.LA(i).tokenType;
      if (t === EOF) return i;
      if (t === LParen) depth++;
      else if (t === RParen && --depth === 0) return i + 1;
    }
  }

  /** Inside `sizeof(` / `typeof(`: a type when it certainly is one and the `)` follows. */
  private sizeofTypeAhead(): boolean {
    if (this.is(1, Typeof)) return true;
    const t = this.scanType(1);
    return t !== undefined && t.certain && this.is(t.end, RParen);
  }
}

export type { IToken };
