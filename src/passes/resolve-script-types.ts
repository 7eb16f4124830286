import type * as ast from '../ast/nodes.js';
import { Diagnostics } from '../common/diagnostic.js';
import type { SourceFile } from '../common/span.js';
import type { ConcreteProbe } from '../providers/provider.js';
import type { ScriptState } from './lower.js';
import { resolveTypes, type ResolvedTypes } from './resolve-types.js';
import { ProbeTyper } from './type-of.js';

/**
 * The type resolution pass over a script's expanded probes (AST): every map's and scratch
 * variable's type, resolved over all probes to a fixed point (src/passes/resolve-types.ts). Each
 * walk types every probe from its AST (src/passes/type-of.ts: nothing is lowered), observing map
 * uses in the table; its diagnostics are discarded (lowering, which runs once after it, reports
 * them once, in order).
 */
export function resolveScriptTypes(probes: readonly { node: ast.Probe; probe: ConcreteProbe }[], state: () => ScriptState, source?: SourceFile): ResolvedTypes {
  return resolveTypes((table, varTypes) => {
    const walk: ScriptState = { ...state(), maps: table.maps, table, varTypes };
    for (const { node, probe } of probes) new ProbeTyper(walk, probe, new Diagnostics()).typeProbe(node);
  }, source);
}
