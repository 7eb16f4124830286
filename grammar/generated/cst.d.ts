// Generated from grammar/parser.ts by test/unit/syntax/generated.test.ts (UPDATE_GENERATED=1). Do not edit.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface ProgramCstNode extends CstNode {
  name: "program";
  children: ProgramCstChildren;
}

export type ProgramCstChildren = {
  PreprocessorLine?: IToken[];
  structDef?: StructDefCstNode[];
  enumDef?: EnumDefCstNode[];
  configBlock?: ConfigBlockCstNode[];
  macroDef?: MacroDefCstNode[];
  mapDecl?: MapDeclCstNode[];
  importDecl?: ImportDeclCstNode[];
  probe?: ProbeCstNode[];
  Semicolon?: IToken[];
};

export interface StructDefCstNode extends CstNode {
  name: "structDef";
  children: StructDefCstChildren;
}

export type StructDefCstChildren = {
  recordBody: RecordBodyCstNode[];
  Semicolon?: IToken[];
};

export interface RecordBodyCstNode extends CstNode {
  name: "recordBody";
  children: RecordBodyCstChildren;
}

export type RecordBodyCstChildren = {
  Struct?: IToken[];
  Union?: IToken[];
  attribute?: (AttributeCstNode)[];
  Name?: IToken[];
  LBrace: IToken[];
  fieldDecl?: FieldDeclCstNode[];
  RBrace: IToken[];
};

export interface AttributeCstNode extends CstNode {
  name: "attribute";
  children: AttributeCstChildren;
}

export type AttributeCstChildren = {
  Attribute: IToken[];
  LParen: (IToken)[];
  Name?: IToken[];
  argList?: ArgListCstNode[];
  RParen: (IToken)[];
  Comma?: IToken[];
};

export interface EnumDefCstNode extends CstNode {
  name: "enumDef";
  children: EnumDefCstChildren;
}

export type EnumDefCstChildren = {
  Enum: IToken[];
  Name?: IToken[];
  LBrace: IToken[];
  enumerator?: IToken[];
  Assign?: IToken[];
  enumValue?: ExpressionCstNode[];
  Comma?: IToken[];
  RBrace: IToken[];
  Semicolon?: IToken[];
};

export interface FieldDeclCstNode extends CstNode {
  name: "fieldDecl";
  children: FieldDeclCstChildren;
}

export type FieldDeclCstChildren = {
  inline?: RecordBodyCstNode[];
  TagKeyword?: IToken[];
  Name?: (IToken)[];
  Star?: IToken[];
  LBracket?: IToken[];
  arraySize?: IToken[];
  RBracket?: IToken[];
  Colon?: IToken[];
  bitWidth?: IToken[];
  attribute?: AttributeCstNode[];
  Semicolon: IToken[];
};

export interface ConfigBlockCstNode extends CstNode {
  name: "configBlock";
  children: ConfigBlockCstChildren;
}

export type ConfigBlockCstChildren = {
  Config: IToken[];
  Assign: IToken[];
  LBrace: IToken[];
  Semicolon?: (IToken)[];
  configEntry?: ConfigEntryCstNode[];
  RBrace: IToken[];
};

export interface ConfigEntryCstNode extends CstNode {
  name: "configEntry";
  children: ConfigEntryCstChildren;
}

export type ConfigEntryCstChildren = {
  Name: IToken[];
  Assign: IToken[];
  expression: ExpressionCstNode[];
  terminator: TerminatorCstNode[];
};

export interface MacroDefCstNode extends CstNode {
  name: "macroDef";
  children: MacroDefCstChildren;
}

export type MacroDefCstChildren = {
  Macro: IToken[];
  Name: IToken[];
  LParen: IToken[];
  macroParam?: (MacroParamCstNode)[];
  Comma?: IToken[];
  RParen: IToken[];
  block: BlockCstNode[];
};

export interface MacroParamCstNode extends CstNode {
  name: "macroParam";
  children: MacroParamCstChildren;
}

export type MacroParamCstChildren = {
  Variable?: IToken[];
  MapName?: IToken[];
  Identifier?: IToken[];
};

export interface MapDeclCstNode extends CstNode {
  name: "mapDecl";
  children: MapDeclCstChildren;
}

export type MapDeclCstChildren = {
  Let: IToken[];
  MapName: IToken[];
  Assign: IToken[];
  Identifier: IToken[];
  LParen: IToken[];
  argList?: ArgListCstNode[];
  RParen: IToken[];
  Semicolon?: IToken[];
};

export interface ImportDeclCstNode extends CstNode {
  name: "importDecl";
  children: ImportDeclCstChildren;
}

export type ImportDeclCstChildren = {
  Import: IToken[];
  StringLiteral: IToken[];
  Semicolon: IToken[];
};

export interface ProbeCstNode extends CstNode {
  name: "probe";
  children: ProbeCstChildren;
}

export type ProbeCstChildren = {
  AttachPoint: (IToken)[];
  Comma?: (IToken)[];
  PredOpen?: IToken[];
  predicate?: ExpressionCstNode[];
  PredClose?: IToken[];
  block?: BlockCstNode[];
  angleBlock?: AngleBlockCstNode[];
};

export interface BlockCstNode extends CstNode {
  name: "block";
  children: BlockCstChildren;
}

export type BlockCstChildren = {
  LBrace: IToken[];
  statement?: StatementCstNode[];
  RBrace: IToken[];
};

export interface AngleBlockCstNode extends CstNode {
  name: "angleBlock";
  children: AngleBlockCstChildren;
}

export type AngleBlockCstChildren = {
  AngleOpen: IToken[];
  statement?: StatementCstNode[];
  AngleClose: IToken[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  Semicolon?: IToken[];
  ifStmt?: IfStmtCstNode[];
  whileStmt?: WhileStmtCstNode[];
  unrollStmt?: UnrollStmtCstNode[];
  forStmt?: ForStmtCstNode[];
  block?: BlockCstNode[];
  letStmt?: LetStmtCstNode[];
  terminator?: (TerminatorCstNode)[];
  jumpStmt?: JumpStmtCstNode[];
  returnStmt?: ReturnStmtCstNode[];
  exprStmt?: ExprStmtCstNode[];
};

export interface TerminatorCstNode extends CstNode {
  name: "terminator";
  children: TerminatorCstChildren;
}

export type TerminatorCstChildren = {
  Semicolon?: IToken[];
};

export interface LetStmtCstNode extends CstNode {
  name: "letStmt";
  children: LetStmtCstChildren;
}

export type LetStmtCstChildren = {
  Let: IToken[];
  Variable: IToken[];
  Colon?: IToken[];
  typeExpr?: TypeExprCstNode[];
  Assign?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface JumpStmtCstNode extends CstNode {
  name: "jumpStmt";
  children: JumpStmtCstChildren;
}

export type JumpStmtCstChildren = {
  Break?: IToken[];
  Continue?: IToken[];
};

export interface ReturnStmtCstNode extends CstNode {
  name: "returnStmt";
  children: ReturnStmtCstChildren;
}

export type ReturnStmtCstChildren = {
  Return: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ExprStmtCstNode extends CstNode {
  name: "exprStmt";
  children: ExprStmtCstChildren;
}

export type ExprStmtCstChildren = {
  expression: (ExpressionCstNode)[];
  AssignOperator?: IToken[];
};

export interface IfStmtCstNode extends CstNode {
  name: "ifStmt";
  children: IfStmtCstChildren;
}

export type IfStmtCstChildren = {
  If: IToken[];
  expression: ExpressionCstNode[];
  then: BlockCstNode[];
  Else?: IToken[];
  elseIf?: IfStmtCstNode[];
  else?: BlockCstNode[];
};

export interface WhileStmtCstNode extends CstNode {
  name: "whileStmt";
  children: WhileStmtCstChildren;
}

export type WhileStmtCstChildren = {
  While: IToken[];
  expression: ExpressionCstNode[];
  block: BlockCstNode[];
};

export interface UnrollStmtCstNode extends CstNode {
  name: "unrollStmt";
  children: UnrollStmtCstChildren;
}

export type UnrollStmtCstChildren = {
  Unroll: IToken[];
  LParen: IToken[];
  expression: ExpressionCstNode[];
  RParen: IToken[];
  block: BlockCstNode[];
};

export interface ForStmtCstNode extends CstNode {
  name: "forStmt";
  children: ForStmtCstChildren;
}

export type ForStmtCstChildren = {
  For: IToken[];
  LParen?: IToken[];
  forHead?: (ForHeadCstNode)[];
  RParen?: IToken[];
  block: BlockCstNode[];
};

export interface ForHeadCstNode extends CstNode {
  name: "forHead";
  children: ForHeadCstChildren;
}

export type ForHeadCstChildren = {
  Variable: IToken[];
  Colon: IToken[];
  expression: (ExpressionCstNode)[];
  DotDot?: IToken[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  binaryExpr: BinaryExprCstNode[];
  Question?: IToken[];
  Colon?: (IToken)[];
  else?: (ExpressionCstNode)[];
  then?: ExpressionCstNode[];
};

export interface BinaryExprCstNode extends CstNode {
  name: "binaryExpr";
  children: BinaryExprCstChildren;
}

export type BinaryExprCstChildren = {
  unaryExpr: (UnaryExprCstNode)[];
  BinaryOperator?: IToken[];
};

export interface UnaryExprCstNode extends CstNode {
  name: "unaryExpr";
  children: UnaryExprCstChildren;
}

export type UnaryExprCstChildren = {
  PrefixOperator?: IToken[];
  unaryExpr?: UnaryExprCstNode[];
  castExpr?: CastExprCstNode[];
  postfixExpr?: PostfixExprCstNode[];
};

export interface CastExprCstNode extends CstNode {
  name: "castExpr";
  children: CastExprCstChildren;
}

export type CastExprCstChildren = {
  LParen: IToken[];
  typeExpr: TypeExprCstNode[];
  RParen: IToken[];
  unaryExpr: UnaryExprCstNode[];
};

export interface PostfixExprCstNode extends CstNode {
  name: "postfixExpr";
  children: PostfixExprCstChildren;
}

export type PostfixExprCstChildren = {
  primaryExpr: PrimaryExprCstNode[];
  postfixOp?: PostfixOpCstNode[];
};

export interface PostfixOpCstNode extends CstNode {
  name: "postfixOp";
  children: PostfixOpCstChildren;
}

export type PostfixOpCstChildren = {
  Dot?: IToken[];
  Name?: (IToken)[];
  Integer?: IToken[];
  Arrow?: IToken[];
  LBracket?: IToken[];
  expression?: ExpressionCstNode[];
  RBracket?: IToken[];
  PlusPlus?: IToken[];
  MinusMinus?: IToken[];
};

export interface PrimaryExprCstNode extends CstNode {
  name: "primaryExpr";
  children: PrimaryExprCstChildren;
}

export type PrimaryExprCstChildren = {
  Integer?: IToken[];
  StringLiteral?: IToken[];
  True?: IToken[];
  False?: IToken[];
  Variable?: IToken[];
  Positional?: IToken[];
  PositionalCount?: IToken[];
  mapRef?: MapRefCstNode[];
  callOrIdent?: CallOrIdentCstNode[];
  sizeofExpr?: SizeofExprCstNode[];
  offsetofExpr?: OffsetofExprCstNode[];
  parenExpr?: ParenExprCstNode[];
  ifExpr?: IfStmtCstNode[];
  typeArg?: TypeofTypeCstNode[];
  configValue?: IToken[];
  typeValue?: TypeExprCstNode[];
  blockExpr?: BlockCstNode[];
};

export interface MapRefCstNode extends CstNode {
  name: "mapRef";
  children: MapRefCstChildren;
}

export type MapRefCstChildren = {
  MapName: IToken[];
  LBracket?: IToken[];
  argList?: ArgListCstNode[];
  RBracket?: IToken[];
};

export interface CallOrIdentCstNode extends CstNode {
  name: "callOrIdent";
  children: CallOrIdentCstChildren;
}

export type CallOrIdentCstChildren = {
  Identifier: IToken[];
  LParen?: IToken[];
  argList?: ArgListCstNode[];
  RParen?: IToken[];
};

export interface ArgListCstNode extends CstNode {
  name: "argList";
  children: ArgListCstChildren;
}

export type ArgListCstChildren = {
  expression: (ExpressionCstNode)[];
  Comma?: IToken[];
};

export interface SizeofExprCstNode extends CstNode {
  name: "sizeofExpr";
  children: SizeofExprCstChildren;
}

export type SizeofExprCstChildren = {
  Sizeof: IToken[];
  LParen: IToken[];
  typeExpr?: TypeExprCstNode[];
  expression?: ExpressionCstNode[];
  RParen: IToken[];
};

export interface OffsetofExprCstNode extends CstNode {
  name: "offsetofExpr";
  children: OffsetofExprCstChildren;
}

export type OffsetofExprCstChildren = {
  Offsetof: IToken[];
  LParen: IToken[];
  typeExpr: TypeExprCstNode[];
  Comma: IToken[];
  Name: (IToken)[];
  Dot?: IToken[];
  RParen: IToken[];
};

export interface ParenExprCstNode extends CstNode {
  name: "parenExpr";
  children: ParenExprCstChildren;
}

export type ParenExprCstChildren = {
  LParen: IToken[];
  fieldName?: (IToken)[];
  Assign?: (IToken)[];
  expression?: (ExpressionCstNode)[];
  Comma?: (IToken)[];
  RParen: IToken[];
};

export interface TypeExprCstNode extends CstNode {
  name: "typeExpr";
  children: TypeExprCstChildren;
}

export type TypeExprCstChildren = {
  typeofType?: TypeofTypeCstNode[];
  TagKeyword?: IToken[];
  Name?: IToken[];
  Identifier?: IToken[];
  Star?: IToken[];
  LBracket?: IToken[];
  Integer?: IToken[];
  RBracket?: IToken[];
};

export interface TypeofTypeCstNode extends CstNode {
  name: "typeofType";
  children: TypeofTypeCstChildren;
}

export type TypeofTypeCstChildren = {
  Typeof: IToken[];
  LParen: IToken[];
  typeExpr?: TypeExprCstNode[];
  expression?: ExpressionCstNode[];
  RParen: IToken[];
};
