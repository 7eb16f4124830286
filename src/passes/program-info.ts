import type * as ast from '../ast/nodes.js';
import type { ConcreteProbe, MapKind } from '../contract/index.js';

export type { MapKind } from '../contract/index.js';
import type { Type } from '../types/types.js';

export interface MapSpec {
  readonly name: string;
  kind: MapKind;
  /** Storage types of the keys; empty for a scalar map. */
  keyTypes: readonly Type[];
  /** For `int` maps: signedness; for `value` maps: the stored type. */
  valueType: Type;
  /** lhist: min, max, step; hist: bits; tseries: interval_ns, num_intervals, agg (TSERIES_AGGS index), signed (0/1). */
  params: readonly bigint[];
  /** Where the map was first given its type (for mismatch diagnostics). */
  readonly firstUse: ast.Node;
}

/** One probe block expanded into its concrete probes. */
export interface ExpandedProbe {
  readonly node: ast.Probe;
  readonly probes: readonly ConcreteProbe[];
}

/** Side tables the passes fill; the AST itself is never changed. */
export interface ProgramInfo {
  readonly program: ast.Program;
  readonly expanded: ExpandedProbe[];
  readonly maps: Map<string, MapSpec>;
  /** Type of each expression, per concrete probe context (args differ between probes). */
  readonly types: Map<ast.Expr, Type>;
  readonly positionals: readonly string[];
}
