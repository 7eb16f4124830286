import type * as ast from '../ast/nodes.js';
import { visit } from '../ast/walk.js';
import type { Diagnostics } from '../common/diagnostic.js';

/**
 * bpftrace's control-flow warning (control_flow_analyser.cpp): in a block, the first statement
 * after one that always leaves it (`return`, `break`, `continue`, `exit()`, an `if` whose branches
 * all do) is "Unreachable statement."; a block expression's value after one is unreachable too.
 */
export function warnUnreachable(program: ast.Program, diags: Diagnostics): void {
  const check = (stmts: readonly ast.Stmt[], value: ast.Expr | undefined): void => {
    const i = stmts.findIndex(leaves);
    if (i < 0) return;
    const next = stmts[i + 1];
    if (next) diags.warning('unreachable', 'Unreachable statement.', next.span);
    else if (value) diags.warning('unreachable', 'Unreachable expression; block type is implicitly none.', value.span);
  };
  visit(program, {
    Block: (b, children) => {
      check(b.stmts, undefined);
      children();
    },
    BlockExpr: (b, children) => {
      check(b.stmts, b.value);
      children();
    },
  });
}

function leaves(s: ast.Stmt | ast.Block | undefined): boolean {
  if (!s) return false;
  switch (s.kind) {
    case 'Return':
    case 'Jump':
      return true;
    case 'ExprStmt':
      return s.expr.kind === 'Call' && s.expr.callee === 'exit' && s.expr.args.length <= 1;
    case 'If':
      return leaves(s.then) && s.else !== undefined && leaves(s.else);
    case 'Block':
      return s.stmts.some(leaves);
    default:
      return false;
  }
}
