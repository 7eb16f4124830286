/**
 * Nesting limits: input nested deeper than the compiler's recursive passes can take is a located
 * `too-deep` diagnostic, never a JS stack overflow. Two checks: the parser counts its own recursion
 * (grammar/parser.ts MAX_NESTING, reported by `tooDeepAtToken`), and `checkAstDepth` measures the
 * built AST, whose depth also grows with long operator chains (`1+1+...+1` is parsed flat but
 * becomes a left-deep tree that every pass walks recursively).
 */
import { EOF, MAX_NESTING, type IToken } from '../../grammar/index.js';
import type { Program } from '../ast/nodes.js';
import { error, type Diagnostic } from '../common/diagnostic.js';
import { span, type Span } from '../common/span.js';

export const TOO_DEEP = 'too-deep';

/**
 * The deepest AST the passes may walk. Measured on Node 20's default stack: lowering overflows near
 * 1,000 nested unary operators and 1,600 levels of nested `if` blocks; 400 leaves room for the
 * callers' frames (compile worker, interactive shell).
 */
export const MAX_AST_DEPTH = 400;

const HINT = 'move inner parts into variables ($t = ...;) or split the expression into several statements';

export function tooDeepAtToken(token: IToken, text: string): Diagnostic {
  const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset);
  const at = atEnd ? text.length : token.startOffset;
  const width = atEnd ? 1 : Math.max(1, token.image.length);
  return error(TOO_DEEP, `statements and expressions nest too deeply here (the limit is ${MAX_NESTING} levels of parsing)`, span(at, at + width), [HINT]);
}

interface Located {
  readonly kind: string;
  readonly span: Span;
}

function isNode(v: unknown): v is Located {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && typeof (v as { span?: unknown }).span === 'object';
}

/** Every AST node's children: its fields that are nodes or arrays of nodes (nodes are plain data). */
function children(node: object): object[] {
  const out: object[] = [];
  for (const v of Object.values(node)) {
    if (Array.isArray(v)) {
      for (const e of v) if (isNode(e)) out.push(e);
    } else if (isNode(v)) {
      out.push(v);
    }
  }
  return out;
}

/** The first node (in source order of discovery) deeper than MAX_AST_DEPTH, as a diagnostic at its start; walks iteratively. */
export function checkAstDepth(program: Program, limit = MAX_AST_DEPTH): Diagnostic | undefined {
  const stack: { node: object; depth: number }[] = [{ node: program, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > limit && isNode(node)) {
      const at = node.span.start;
      return error(TOO_DEEP, `expression or block nests more than ${limit} levels deep`, span(at, at + 1), [
        HINT,
        'long chains of binary operators (a + b + c + ...) count one level per operator',
      ]);
    }
    for (const c of children(node)) stack.push({ node: c, depth: depth + 1 });
  }
  return undefined;
}
