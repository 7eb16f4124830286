/** Every library family in one table: what lower.ts dispatches to (see library.ts). */
import type { LibFunction, LibVar } from './library.js';
import { MAP_FUNCTIONS } from './maps.js';
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

export const LIBRARY_FUNCTIONS: ReadonlyMap<string, LibFunction> = new Map(
  [...MAP_FUNCTIONS, ...PROCESS_FUNCTIONS, ...STACK_FUNCTIONS, ...STRING_FUNCTIONS, ...OUTPUT_FUNCTIONS, ...WATCH_FUNCTIONS, ...NAME_FUNCTIONS, ...STRING_SEARCH_FUNCTIONS, ...META_FUNCTIONS, ...PROBE_CONTEXT_FUNCTIONS, ...INTERNAL_FUNCTIONS, ...KERNEL_GATED_FUNCTIONS, ...PATH_FUNCTIONS].map((f) => [f.name, f]),
);

/** A function callable as a bare identifier, as its call without arguments. */
function bareVar(f: LibFunction): LibVar {
  return { name: f.name, lower: (node, cx) => f.expr!({ kind: 'Call', span: node.span, callee: f.name, calleeSpan: node.span, args: [] }, cx) };
}

export const LIBRARY_VARS: ReadonlyMap<string, LibVar> = new Map(
  [...PROCESS_VARS, ...STACK_VARS, ...PROBE_CONTEXT_VARS, ...[...LIBRARY_FUNCTIONS.values()].filter((f) => f.bare && f.expr).map(bareVar)].map((v) => [v.name, v]),
);
