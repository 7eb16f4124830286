/**
 * The one table of builtins, from the function library (src/builtins/functions.ts): which calls are
 * aggregations, every function name (hints, completion) and every builtin variable name (the
 * parser's cast rule, grammar/generated/builtin-names.ts, and completion).
 */
import { LIBRARY_FUNCTIONS, LIBRARY_VARS } from './functions.js';
import { HELPER_VARS } from './helper-vars.js';

/** Aggregation functions: only valid as the value of a map assignment (`@x = count()`). */
export function isAggregation(name: string): boolean {
  return LIBRARY_FUNCTIONS.get(name)?.aggregate !== undefined;
}

/** Calls only xdp and tc probes have; lowered by the packet view (src/builtins/packet.ts), not the library. */
export const PACKET_FUNCTION_NAMES: readonly string[] = ['redirect'];

/** Every name a user can call, for "did you mean" hints and completion. */
export const ALL_FUNCTION_NAMES: readonly string[] = [...LIBRARY_FUNCTIONS.keys(), ...PACKET_FUNCTION_NAMES];

/** Identifiers lowering resolves from the probe itself (src/passes/lower-idents.ts), not from the library. */
export const PROBE_VARS: readonly string[] = ['args', 'ctx', 'probe', 'retval', 'cpid', 'sarg'];

/** The variables read by one helper (`pid`, `comm`...): what an unknown identifier's hint suggests. */
export const HELPER_VAR_NAMES: readonly string[] = HELPER_VARS.map((v) => v.name);

/** Every builtin variable a script may name (the internal `__builtin_*` aliases left out). */
export const BUILTIN_VARIABLE_NAMES: readonly string[] = [...new Set([...LIBRARY_VARS.keys(), ...PROBE_VARS])].filter((n) => !n.startsWith('__'));

/** grammar/generated/builtin-names.ts: the parser's builtin names (the grammar imports nothing outside grammar/; a unit test writes it). */
export function builtinNamesSource(): string {
  const names = [...BUILTIN_VARIABLE_NAMES].sort();
  return `// Generated from the builtin library (src/builtins/builtins.ts) by test/unit/syntax/generated.test.ts; do not edit.\n\n/** Identifiers that are builtin values: \`(pid) - 1\` is a subtraction, not a cast of \`-1\` to a type \`pid\`. */\nexport const BUILTIN_NAMES: readonly string[] = [\n${names.map((n) => `  '${n}',\n`).join('')}];\n`;
}
