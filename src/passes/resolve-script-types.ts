import type * as ast from '../ast/nodes.js';
import { Diagnostics } from '../common/diagnostic.js';
import type { SourceFile } from '../common/span.js';
import type { ConcreteProbe } from '../providers/provider.js';
import type { ScriptState } from './lower.js';
import type { Type } from '../types/types.js';
import { resolveTypes, type ResolvedTypes } from './resolve-types.js';
import { ProbeTyper } from './type-of.js';

/** The resolved map and variable types, and the type of every expression by concrete probe. */
export interface ResolvedScriptTypes extends ResolvedTypes {
  /** For each expanded probe (same index), the type of each expression of its body, from the last walk. */
  readonly exprTypes: readonly ReadonlyMap<ast.Expr, Type>[];
}

/**
 * The type resolution pass over a script's expanded probes (AST): every map's and scratch
 * variable's type, resolved over all probes to a fixed point (src/passes/resolve-types.ts). Each
 * walk types every probe from its AST (src/passes/type-of.ts: nothing is lowered), observing map
 * uses in the table; its diagnostics are discarded (lowering, which runs once after it, reports
 * them once, in order). The expression types of the last walk, which changed nothing, are the ones
 * lowering reads (src/passes/lower.ts `typeOf`): a probe block expanded to several concrete probes
 * has a table per concrete probe, and a macro's body is expanded once for both passes
 * (src/passes/macros.ts `expandMacroOnce`).
 */
export function resolveScriptTypes(probes: readonly { node: ast.Probe; probe: ConcreteProbe }[], state: () => ScriptState, source?: SourceFile): ResolvedScriptTypes {
  let exprTypes: Map<ast.Expr, Type>[] = [];
  const resolved = resolveTypes((table, varTypes) => {
    const walk: ScriptState = { ...state(), maps: table.maps, table, varTypes };
    exprTypes = probes.map(({ node, probe }) => {
      const types = new Map<ast.Expr, Type>();
      new ProbeTyper(walk, probe, new Diagnostics(), types).typeProbe(node);
      return types;
    });
  }, source);
  return { ...resolved, exprTypes };
}
