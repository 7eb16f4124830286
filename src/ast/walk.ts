import type { Node } from './nodes.js';

/**
 * The AST walker: which properties of each node kind hold child nodes (as data, like TS-ESTree's
 * visitor keys), and two traversals over them. Every pass that walks the tree uses these, so a new
 * node kind is added here once (the table is checked for completeness by the compiler) and every
 * pass walks it by default; a pass handles only the kinds it cares about.
 */

export type NodeKind = Node['kind'];
export type NodeOf<K extends NodeKind> = Extract<Node, { readonly kind: K }>;

/** The child-holding properties of each kind, in source order. Spans and scalars are not children. */
export const CHILD_KEYS: { readonly [K in NodeKind]: readonly (keyof NodeOf<K> & string)[] } = {
  Program: ['preprocessor', 'structs', 'enums', 'config', 'macros', 'mapDecls', 'probes'],
  PreprocessorLine: [],
  StructDef: ['fields'],
  StructFieldDef: ['type', 'inline'],
  EnumDef: ['enumerators'],
  Enumerator: ['value'],
  ConfigBlock: ['entries'],
  ConfigEntry: ['value'],
  MacroDef: ['body'],
  MapDecl: ['args'],
  Probe: ['attachPoints', 'predicate', 'body'],
  AttachPoint: [],
  Block: ['stmts'],
  ExprStmt: ['expr'],
  Assign: ['target', 'value'],
  VarDecl: ['variable', 'type', 'value'],
  If: ['cond', 'then', 'else'],
  While: ['cond', 'body'],
  Unroll: ['count', 'body'],
  ForMap: ['variable', 'map', 'body'],
  ForRange: ['variable', 'from', 'to', 'body'],
  Jump: [],
  Return: ['value'],
  IntLiteral: [],
  StringLiteral: [],
  BoolLiteral: [],
  Variable: [],
  Positional: [],
  PositionalCount: [],
  MapRef: ['keys'],
  Identifier: [],
  Call: ['args'],
  Binary: ['left', 'right'],
  Unary: ['operand'],
  Update: ['target'],
  Ternary: ['cond', 'then', 'else'],
  FieldAccess: ['object'],
  Index: ['object', 'index'],
  Tuple: ['elems'],
  Record: ['elems'],
  Cast: ['type', 'expr'],
  Sizeof: ['arg'],
  Offsetof: ['type'],
  BlockExpr: ['stmts', 'value'],
  TypeArg: ['type'],
  TypeExpr: ['of'],
};

/** The child keys of one node. */
export function childKeys(node: Node): readonly string[] {
  return CHILD_KEYS[node.kind] as readonly string[];
}

/** Each child of `node` in source order, with the property it sits in. */
export function forEachChild(node: Node, f: (child: Node, key: string) => void): void {
  const rec = node as unknown as Readonly<Record<string, unknown>>;
  for (const key of childKeys(node)) {
    const v = rec[key];
    if (Array.isArray(v)) for (const c of v as Node[]) f(c, key);
    else if (v !== undefined && v !== null) f(v as Node, key);
  }
}

/**
 * A read-only visit: a handler per kind (given the node and `children`, which walks its children;
 * a handler that does not call it stops the descent). Kinds without a handler walk their children.
 */
export type Visitor = { readonly [K in NodeKind]?: (node: NodeOf<K>, children: () => void) => void };

export function visit(node: Node, visitor: Visitor): void {
  const children = (): void => forEachChild(node, (c) => visit(c, visitor));
  const handler = visitor[node.kind] as ((n: Node, children: () => void) => void) | undefined;
  if (handler) handler(node, children);
  else children();
}

/**
 * A rewrite that builds a new tree: a handler per kind returns the node's replacement (`rebuild`
 * gives the node with its children rewritten). Kinds without a handler are rebuilt; the input is
 * never mutated, and spans are kept.
 */
export type Rewriter = { readonly [K in NodeKind]?: (node: NodeOf<K>, rebuild: () => NodeOf<K>) => Node };

export function rewrite<T extends Node>(node: T, rewriter: Rewriter): T {
  const rebuild = (): T => {
    const keys = childKeys(node);
    if (keys.length === 0) return node;
    const rec = node as unknown as Readonly<Record<string, unknown>>;
    const out: Record<string, unknown> = { ...rec };
    for (const key of keys) {
      const v = rec[key];
      if (Array.isArray(v)) out[key] = (v as Node[]).map((c) => rewrite(c, rewriter));
      else if (v !== undefined && v !== null) out[key] = rewrite(v as Node, rewriter);
    }
    return out as unknown as T;
  };
  const handler = rewriter[node.kind] as ((n: Node, rebuild: () => Node) => Node) | undefined;
  return (handler ? handler(node, rebuild) : rebuild()) as T;
}
