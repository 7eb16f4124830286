import type { Span } from '../common/span.js';

/**
 * The AST: a discriminated union on `kind`. Every node carries the span of the text it came from.
 * The parser builds it once; later passes never mutate it but keep their results in side tables
 * keyed by node (see passes/). Desugaring passes build new nodes and keep the original span.
 */

export interface NodeBase {
  readonly span: Span;
}

// ---------------------------------------------------------------- program

export interface Program extends NodeBase {
  readonly kind: 'Program';
  /** `#include` / `#define` lines, kept as text (kernel BTF supplies types). */
  readonly preprocessor: readonly PreprocessorLine[];
  /** Inline C struct definitions: `struct Foo { int a; char b[8]; }`. */
  readonly structs: readonly StructDef[];
  /** Script-declared enums (`enum Foo { ONE = 1 }`): their enumerators are constants. */
  readonly enums: readonly EnumDef[];
  readonly config: ConfigBlock | undefined;
  readonly macros: readonly MacroDef[];
  /** Top-level map declarations: `let @a = hash(100);`. */
  readonly mapDecls: readonly MapDecl[];
  readonly probes: readonly Probe[];
}

export interface PreprocessorLine extends NodeBase {
  readonly kind: 'PreprocessorLine';
  readonly text: string;
}

export interface StructDef extends NodeBase {
  readonly kind: 'StructDef';
  /** `struct` or `union`. */
  readonly keyword: 'struct' | 'union';
  /** Empty for an anonymous inline record (`struct { int a; } x;`, `union { ... };`). */
  readonly name: string;
  readonly fields: readonly StructFieldDef[];
  /** `__attribute__((packed))`: members at consecutive offsets, alignment 1. */
  readonly packed: boolean;
  /** `__attribute__((aligned(N)))`: the record's minimum alignment. */
  readonly aligned: number | undefined;
}

export interface StructFieldDef extends NodeBase {
  readonly kind: 'StructFieldDef';
  /** The element type (for `int y[2][2]` it is `int`; the dimensions are in `arrayDims`). */
  readonly type: TypeExpr;
  /** An inline record type (`struct { int a; } inner;`); `type` then names it for messages only. */
  readonly inline: StructDef | undefined;
  /** Array dimensions, outermost first: `int y[2][3]` → [2, 3]. */
  readonly arrayDims: readonly number[];
  /** Empty for an anonymous member (`union { ... };`), whose members are found through it as in C. */
  readonly name: string;
}

/** `enum Foo { ONE = 1, TWO }` or anonymous `enum { A, B }`. */
export interface EnumDef extends NodeBase {
  readonly kind: 'EnumDef';
  readonly name: string | undefined;
  readonly enumerators: readonly Enumerator[];
}

export interface Enumerator extends NodeBase {
  readonly kind: 'Enumerator';
  readonly name: string;
  /** The written value (a constant expression); absent: the previous value plus one (0 first). */
  readonly value: Expr | undefined;
}

export interface ConfigBlock extends NodeBase {
  readonly kind: 'ConfigBlock';
  readonly entries: readonly ConfigEntry[];
}

export interface ConfigEntry extends NodeBase {
  readonly kind: 'ConfigEntry';
  readonly key: string;
  readonly value: Expr;
}

export interface MacroDef extends NodeBase {
  readonly kind: 'MacroDef';
  readonly name: string;
  /** Parameter names as written: `$a`, `@m` or a bare identifier. */
  readonly params: readonly string[];
  readonly body: Block;
}

export interface MapDecl extends NodeBase {
  readonly kind: 'MapDecl';
  readonly name: string;
  /** `hash`, `lruhash`, `percpuhash`, `percpulruhash`, ... */
  readonly mapKind: string;
  readonly args: readonly Expr[];
}

export interface Probe extends NodeBase {
  readonly kind: 'Probe';
  readonly attachPoints: readonly AttachPoint[];
  readonly predicate: Expr | undefined;
  readonly body: Block;
  /** `{ }` or tsbpf's own `< >` action form; meaning is identical. */
  readonly form: 'braces' | 'angles';
}

/**
 * One attach point exactly as written (`tracepoint:syscalls:sys_enter_openat`, `BEGIN`,
 * `uprobe:/bin/bash:readline`, `interval:s:1`, `kprobe:do_sys_open+16`). Providers parse `raw`.
 */
export interface AttachPoint extends NodeBase {
  readonly kind: 'AttachPoint';
  readonly raw: string;
  /** bpftrace's optional `NAME=` before the provider (`myname=tracepoint:a:b`): what the `probe` builtin says. */
  readonly userName?: string;
}

// ---------------------------------------------------------------- statements

export interface Block extends NodeBase {
  readonly kind: 'Block';
  readonly stmts: readonly Stmt[];
}

export interface ExprStmt extends NodeBase {
  readonly kind: 'ExprStmt';
  readonly expr: Expr;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

/** `@m[k] = v`, `$x += 1`, `@x = count()`. */
export interface Assign extends NodeBase {
  readonly kind: 'Assign';
  readonly op: AssignOp;
  readonly target: MapRef | Variable;
  readonly value: Expr;
}

/** `let $x;`, `let $x: uint16 = 3;` */
export interface VarDecl extends NodeBase {
  readonly kind: 'VarDecl';
  readonly variable: Variable;
  readonly type: TypeExpr | undefined;
  readonly value: Expr | undefined;
}

export interface If extends NodeBase {
  readonly kind: 'If';
  readonly cond: Expr;
  readonly then: Block;
  /** `else { }` is a Block; `else if` is a nested If. */
  readonly else: Block | If | undefined;
}

export interface While extends NodeBase {
  readonly kind: 'While';
  readonly cond: Expr;
  readonly body: Block;
}

export interface Unroll extends NodeBase {
  readonly kind: 'Unroll';
  readonly count: Expr;
  readonly body: Block;
}

/** `for ($kv : @map) { }` */
export interface ForMap extends NodeBase {
  readonly kind: 'ForMap';
  readonly variable: Variable;
  readonly map: MapRef;
  readonly body: Block;
}

/** `for ($i : 0..N) { }` (half-open). */
export interface ForRange extends NodeBase {
  readonly kind: 'ForRange';
  readonly variable: Variable;
  readonly from: Expr;
  readonly to: Expr;
  readonly body: Block;
}

export interface Jump extends NodeBase {
  readonly kind: 'Jump';
  readonly jump: 'break' | 'continue';
}

export interface Return extends NodeBase {
  readonly kind: 'Return';
  readonly value: Expr | undefined;
}

export type Stmt = Block | ExprStmt | Assign | VarDecl | If | While | Unroll | ForMap | ForRange | Jump | Return;

// ---------------------------------------------------------------- expressions

export interface IntLiteral extends NodeBase {
  readonly kind: 'IntLiteral';
  readonly value: bigint;
  /** The literal as written (`0x10`, `1_000`, `5s`). */
  readonly raw: string;
}

export interface StringLiteral extends NodeBase {
  readonly kind: 'StringLiteral';
  /** Escapes already decoded. */
  readonly value: string;
}

export interface BoolLiteral extends NodeBase {
  readonly kind: 'BoolLiteral';
  readonly value: boolean;
}

/** `$x` (name includes the `$`). */
export interface Variable extends NodeBase {
  readonly kind: 'Variable';
  readonly name: string;
}

/** `$1`, `$2`, ... */
export interface Positional extends NodeBase {
  readonly kind: 'Positional';
  readonly index: number;
}

/** `$#` */
export interface PositionalCount extends NodeBase {
  readonly kind: 'PositionalCount';
}

/** `@name`, `@` (name `@`), `@name[k]`, `@[k1, k2]`. `keys` is empty for a scalar map. */
export interface MapRef extends NodeBase {
  readonly kind: 'MapRef';
  readonly name: string;
  readonly keys: readonly Expr[];
}

/** A bare identifier: builtins (`pid`, `comm`, `args`, `arg0`, `retval`...), or an enum/constant. */
export interface Identifier extends NodeBase {
  readonly kind: 'Identifier';
  readonly name: string;
}

/** `count()`, `printf("...", a)`, `str(args.filename, 16)`. */
export interface Call extends NodeBase {
  readonly kind: 'Call';
  readonly callee: string;
  readonly calleeSpan: Span;
  readonly args: readonly Expr[];
}

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%'
  | '&' | '|' | '^' | '<<' | '>>'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '&&' | '||';

export interface Binary extends NodeBase {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export type UnaryOp = '-' | '~' | '!' | '*' | '&';

export interface Unary extends NodeBase {
  readonly kind: 'Unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

/** `@x++`, `--$i` */
export interface Update extends NodeBase {
  readonly kind: 'Update';
  readonly op: '++' | '--';
  readonly prefix: boolean;
  readonly target: MapRef | Variable;
}

export interface Ternary extends NodeBase {
  readonly kind: 'Ternary';
  readonly cond: Expr;
  /** Absent for the short form `a ?: b`. */
  readonly then: Expr | undefined;
  readonly else: Expr;
}

/** `a.b`, `a->b`, `$t.0` (tuple index: field is the digits). */
export interface FieldAccess extends NodeBase {
  readonly kind: 'FieldAccess';
  readonly object: Expr;
  readonly field: string;
  readonly fieldSpan: Span;
  readonly arrow: boolean;
}

/** `a[i]` on a non-map value. */
export interface Index extends NodeBase {
  readonly kind: 'Index';
  readonly object: Expr;
  readonly index: Expr;
}

export interface Tuple extends NodeBase {
  readonly kind: 'Tuple';
  readonly elems: readonly Expr[];
}

/** `(a=1, b="x")`: a record (bpftrace 0.25), a tuple whose elements have names. */
export interface Record extends NodeBase {
  readonly kind: 'Record';
  readonly names: readonly string[];
  readonly elems: readonly Expr[];
}

export interface Cast extends NodeBase {
  readonly kind: 'Cast';
  readonly type: TypeExpr;
  readonly expr: Expr;
}

/** `sizeof(type)` or `sizeof(expr)`. */
export interface Sizeof extends NodeBase {
  readonly kind: 'Sizeof';
  readonly arg: TypeExpr | Expr;
}

/** `offsetof(struct Foo, a.b)` */
export interface Offsetof extends NodeBase {
  readonly kind: 'Offsetof';
  readonly type: TypeExpr;
  readonly path: readonly string[];
}

/** `{ let $b = 1; $b }` (bpftrace 0.24): runs `stmts` in their own scope, then evaluates `value`. */
/** `typeof(T)` written as a value: only a macro argument (`p_cast(typeof(uint8), -1)`) substitutes it into types. */
export interface TypeArg extends NodeBase {
  readonly kind: 'TypeArg';
  readonly type: TypeExpr;
}

export interface BlockExpr extends NodeBase {
  readonly kind: 'BlockExpr';
  readonly stmts: readonly Stmt[];
  readonly value: Expr;
}

export type Expr =
  | IntLiteral | StringLiteral | BoolLiteral
  | Variable | Positional | PositionalCount | MapRef | Identifier
  | Call | Binary | Unary | Update | Ternary
  | FieldAccess | Index | Tuple | Record | Cast | Sizeof | Offsetof | BlockExpr | TypeArg;

// ---------------------------------------------------------------- types as written

/**
 * A type as written in a cast, `let`, `sizeof` or struct definition:
 * `uint8`, `int32`, `struct task_struct *`, `char[16]`, `unsigned long`.
 */
export interface TypeExpr extends NodeBase {
  readonly kind: 'TypeExpr';
  /** Base name with its keyword: `uint8`, `struct task_struct`, `unsigned long`, `union u`, `enum e`. */
  readonly name: string;
  readonly pointerDepth: number;
  /** `char[16]` → 16. */
  readonly arraySize: number | undefined;
  /** `typeof(x)` (bpftrace 0.26): the type or expression whose type this is; `name` is then `typeof`. */
  readonly of?: TypeExpr | Expr;
}

export type Node =
  | Program | PreprocessorLine | StructDef | StructFieldDef | EnumDef | Enumerator | ConfigBlock | ConfigEntry | MacroDef | MapDecl
  | Probe | AttachPoint | Stmt | Expr | TypeExpr;

export function isExpr(n: Node): n is Expr {
  switch (n.kind) {
    case 'IntLiteral': case 'StringLiteral': case 'BoolLiteral': case 'Variable': case 'Positional':
    case 'PositionalCount': case 'MapRef': case 'Identifier': case 'Call': case 'Binary': case 'Unary':
    case 'Update': case 'Ternary': case 'FieldAccess': case 'Index': case 'Tuple': case 'Cast':
    case 'Sizeof': case 'Offsetof': case 'BlockExpr': case 'Record': case 'TypeArg':
      return true;
    default:
      return false;
  }
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
