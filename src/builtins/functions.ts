/** Every library family in one table: what lowering dispatches to (see library.ts); src/builtins/builtins.ts derives the name lists from it. */
import type * as ast from '../ast/nodes.js';
import type { LibFunction, LibVar, TypeContext } from './library.js';
import { FUNCTION_DOCS, type FunctionDoc } from './docs.js';
import { AGGREGATION_FUNCTIONS } from './aggregations.js';
import { HELPER_VARS } from './helper-vars.js';
import { MAP_FUNCTIONS } from './maps.js';
import { STATEMENT_FUNCTIONS } from './statements.js';
import { STR_FUNCTIONS } from './str.js';
import { NAME_FUNCTIONS } from './names.js';
import { META_FUNCTIONS } from './meta.js';
import { INTERNAL_FUNCTIONS } from './internals.js';
import { KERNEL_GATED_FUNCTIONS } from './kernel-gated.js';
import { PROBE_CONTEXT_FUNCTIONS, PROBE_CONTEXT_VARS } from './probe-context.js';
import { STRING_SEARCH_FUNCTIONS } from './string-search.js';
import { OUTPUT_FUNCTIONS } from './output.js';
import { PROCESS_FUNCTIONS, PROCESS_VARS } from './process.js';
import { STACK_FUNCTIONS, STACK_VARS } from './stacks.js';
import { STRING_FUNCTIONS } from './strings.js';
import { WATCH_FUNCTIONS } from './watch.js';
import { PATH_FUNCTIONS } from './dpath.js';
import { REFUSED_FUNCTIONS } from './refused.js';

export const LIBRARY_FUNCTIONS: ReadonlyMap<string, LibFunction> = new Map(
  [...AGGREGATION_FUNCTIONS, ...STATEMENT_FUNCTIONS, ...STR_FUNCTIONS, ...MAP_FUNCTIONS, ...PROCESS_FUNCTIONS, ...STACK_FUNCTIONS, ...STRING_FUNCTIONS, ...OUTPUT_FUNCTIONS, ...WATCH_FUNCTIONS, ...NAME_FUNCTIONS, ...STRING_SEARCH_FUNCTIONS, ...META_FUNCTIONS, ...PROBE_CONTEXT_FUNCTIONS, ...INTERNAL_FUNCTIONS, ...KERNEL_GATED_FUNCTIONS, ...PATH_FUNCTIONS, ...REFUSED_FUNCTIONS].map((f) => [
    f.name,
    f.doc || !FUNCTION_DOCS[f.name] ? f : { ...f, doc: FUNCTION_DOCS[f.name] },
  ]),
);

/**
 * A function's signature and description: the library record's, else the table's (aggregations,
 * printf and the other statements lowering handles itself). `__builtin_x` is documented as `x`.
 */
export function functionDoc(name: string): FunctionDoc | undefined {
  return LIBRARY_FUNCTIONS.get(name)?.doc ?? FUNCTION_DOCS[name] ?? (name.startsWith('__builtin_') ? functionDoc(name.slice('__builtin_'.length)) : undefined);
}

/** A function callable as a bare identifier, as its call without arguments. */
function bareVar(f: LibFunction): LibVar {
  const asCall = (node: ast.Identifier): ast.Call => ({ kind: 'Call', span: node.span, callee: f.name, calleeSpan: node.span, args: [] });
  const type = f.type;
  return { name: f.name, lower: (node, cx) => f.expr!(asCall(node), cx), ...(type ? { type: (node: ast.Identifier, tx: TypeContext) => type(asCall(node), tx) } : {}) };
}

/**
 * The records with a lowering hook but no declared typing for it (`type`/`typeStmt`/`typeAggregate`),
 * which the type pass could not type: `function:NAME`, `statement:NAME`, `aggregation:NAME`, `var:NAME`.
 */
export function untypedRecords(): string[] {
  const out: string[] = [];
  for (const f of LIBRARY_FUNCTIONS.values()) {
    if (f.expr && !f.type) out.push(`function:${f.name}`);
    if (f.stmt && !f.typeStmt) out.push(`statement:${f.name}`);
    if (f.aggregate && !f.typeAggregate) out.push(`aggregation:${f.name}`);
  }
  for (const v of LIBRARY_VARS.values()) if (!v.type) out.push(`var:${v.name}`);
  return out;
}

export const LIBRARY_VARS: ReadonlyMap<string, LibVar> = new Map(
  [...HELPER_VARS, ...PROCESS_VARS, ...STACK_VARS, ...PROBE_CONTEXT_VARS, ...[...LIBRARY_FUNCTIONS.values()].filter((f) => f.bare && f.expr).map(bareVar)].map((v) => [v.name, v]),
);
