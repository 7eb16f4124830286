import type * as ast from '../ast/nodes.js';
import { Diagnostics } from '../common/diagnostic.js';
import type { SourceFile } from '../common/span.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { ProbeLowerer, type ScriptState } from './lower.js';
import { resolveTypes, type ResolvedTypes } from './resolve-types.js';

/**
 * The type resolution pass over a script's expanded probes (AST): every map's and scratch
 * variable's type, resolved over all probes to a fixed point (src/passes/resolve-types.ts). Each
 * walk types every probe with the lowerer's expression rules, observing map uses in the table;
 * its IR and diagnostics are discarded (the final lowering reports them once, in order).
 */
export function resolveScriptTypes(probes: readonly { node: ast.Probe; probe: ConcreteProbe }[], state: () => ScriptState, source?: SourceFile): ResolvedTypes {
  return resolveTypes((table, varTypes) => {
    // warningLevel 0: the walk's IR is discarded, so it registers no helper-error events.
    const walk: ScriptState = { ...state(), maps: table.maps, table, varTypes, warningLevel: 0 };
    for (const { node, probe } of probes) new ProbeLowerer(walk, probe, new Diagnostics()).lower(node, 'p', 'p');
  }, source);
}
