import type * as ast from '../ast/nodes.js';
import { rewrite, type Rewriter } from '../ast/walk.js';
import { Diagnostics } from '../common/diagnostic.js';

/**
 * bpftrace's hygienic macros, expanded at each call by rewriting the macro body:
 * - an identifier parameter (`x`) is replaced by the argument expression wherever it is used;
 * - a `$a` parameter aliases the caller's variable, a `@m` parameter the caller's map;
 * - every other variable of the body is renamed (`$v` → `$v#3`), so it can neither see nor
 *   clobber the caller's variables; maps not passed in are errors.
 * The caller lowers the rewritten statements; a final expression statement is the macro's value.
 */

let expansionCounter = 0;

export interface Expansion {
  readonly stmts: readonly ast.Stmt[];
}

/** Each macro use's one expansion and what expanding it reported, by the node of the use. */
const expansions = new WeakMap<ast.Node, { readonly def: ast.MacroDef; readonly exp: Expansion | undefined; readonly diags: Diagnostics }>();

/**
 * The expansion of the macro used at `use` (a call, or the identifier naming a macro without
 * parameters), made once: the type pass (src/passes/type-of.ts) and lowering walk the same nodes,
 * so lowering finds the type pass's type of every expression of a macro body. Its diagnostics go
 * to `diags` at every use (the type pass discards its own).
 */
export function expandMacroOnce(def: ast.MacroDef, call: ast.Call, diags: Diagnostics, use: ast.Node = call): Expansion | undefined {
  let known = expansions.get(use);
  if (!known || known.def !== def) {
    const own = new Diagnostics();
    known = { def, exp: expandMacro(def, call, own), diags: own };
    expansions.set(use, known);
  }
  diags.items.push(...known.diags.items);
  return known.exp;
}

export function expandMacro(def: ast.MacroDef, call: ast.Call, diags: Diagnostics): Expansion | undefined {
  if (call.args.length !== def.params.length) {
    diags.error('wrong-argument-count', `macro ${def.name}() takes ${def.params.length} argument${def.params.length === 1 ? '' : 's'}, got ${call.args.length}`, call.span);
    return undefined;
  }
  const exprs = new Map<string, ast.Expr>();
  const vars = new Map<string, ast.Variable>();
  const maps = new Map<string, string>();
  let ok = true;
  def.params.forEach((p, i) => {
    const arg = call.args[i]!;
    if (p.startsWith('$')) {
      if (arg.kind !== 'Variable') {
        diags.error('macro-argument-mismatch', `macro ${def.name}() expects a scratch variable for ${p}`, arg.span);
        ok = false;
      } else vars.set(p, arg);
    } else if (p.startsWith('@')) {
      if (arg.kind !== 'MapRef' || arg.keys.length > 0) {
        diags.error('macro-argument-mismatch', `macro ${def.name}() expects a map for ${p}`, arg.span);
        ok = false;
      } else maps.set(p, arg.name);
    } else {
      exprs.set(p, arg);
    }
  });
  if (!ok) return undefined;
  const suffix = `#${++expansionCounter}`;
  // Only the kinds a macro body renames or substitutes; every other node is rebuilt around them.
  const rewriter: Rewriter = {
    Identifier: (id) => exprs.get(id.name) ?? id,
    // A type parameter (`macro p_cast(t, x) { (t*)x }` called with `typeof(uint8)`) used as a type.
    TypeExpr: (te, rebuild) => {
      const arg = exprs.get(te.name);
      return arg?.kind === 'TypeArg' ? withSuffix(arg.type, te) : rebuild();
    },
    // `sizeof(t)` parses `t` as an expression; a type argument makes it `sizeof(type)`.
    Sizeof: (sz, rebuild) => {
      const arg = sz.arg.kind === 'Identifier' ? exprs.get(sz.arg.name) : undefined;
      return arg?.kind === 'TypeArg' ? { ...sz, arg: withSuffix(arg.type, { ...arg.type, span: sz.arg.span, pointerDepth: 0, arraySize: undefined }) } : rebuild();
    },
    Call: (c, rebuild) => {
      const e = exprs.get(c.callee);
      return e && c.args.length === 0 ? e : rebuild();
    },
    Variable: (v) => vars.get(v.name) ?? { ...v, name: `${v.name}${suffix}` },
    MapRef: (m, rebuild) => {
      const name = maps.get(m.name);
      if (name === undefined) {
        diags.error('macro-map-not-passed', `macro ${def.name}() uses map ${m.name}, which is not one of its parameters`, m.span, [`pass it in: macro ${def.name}(..., ${m.name})`]);
        ok = false;
      }
      return { ...rebuild(), name: name ?? m.name };
    },
  };
  const stmts = def.body.stmts.map((s) => rewrite(s, rewriter));
  return ok ? { stmts } : undefined;
}

/** The macro argument's type with the use's `*` and `[N]` added: `t*` with t = `typeof(uint8)` is `uint8 *`. */
function withSuffix(arg: ast.TypeExpr, use: ast.TypeExpr): ast.TypeExpr {
  const base = arg.of?.kind === 'TypeExpr' && arg.pointerDepth === 0 && arg.arraySize === undefined ? arg.of : arg;
  if (use.pointerDepth === 0 && use.arraySize === undefined) return { ...base, span: use.span };
  if (base.arraySize !== undefined) return { ...use, name: 'typeof', of: base };
  return { ...base, span: use.span, pointerDepth: base.pointerDepth + use.pointerDepth, arraySize: use.arraySize };
}
