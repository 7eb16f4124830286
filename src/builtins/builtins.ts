import { COMM_SIZE, u32, u64, type Type } from '../types/types.js';
import type { IrBuiltin } from '../ir/ir.js';
import { LIBRARY_FUNCTIONS } from './functions.js';

/** Builtin identifiers that read kernel state through a helper (`pid`, `comm`, ...). */
export interface BuiltinVar {
  readonly type: Type;
  /** Integer builtins lower to an IR builtin; `comm` lowers to a blob. */
  readonly lower: { kind: 'int'; name: IrBuiltin } | { kind: 'comm' };
}

export const BUILTIN_VARS: Readonly<Record<string, BuiltinVar>> = {
  pid: { type: u32, lower: { kind: 'int', name: 'pid' } },
  tid: { type: u32, lower: { kind: 'int', name: 'tid' } },
  uid: { type: u32, lower: { kind: 'int', name: 'uid' } },
  gid: { type: u32, lower: { kind: 'int', name: 'gid' } },
  nsecs: { type: u64, lower: { kind: 'int', name: 'nsecs' } },
  cpu: { type: u32, lower: { kind: 'int', name: 'cpu' } },
  rand: { type: u32, lower: { kind: 'int', name: 'rand' } },
  cgroup: { type: u64, lower: { kind: 'int', name: 'cgroup' } },
  curtask: { type: u64, lower: { kind: 'int', name: 'curtask' } },
  comm: { type: { kind: 'str', size: COMM_SIZE }, lower: { kind: 'comm' } },
};

/** Aggregation functions: only valid as the value of a map assignment (`@x = count()`). */
export const AGGREGATIONS = ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'tseries'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export function isAggregation(name: string): name is Aggregation {
  return (AGGREGATIONS as readonly string[]).includes(name);
}

/** Functions used as statements; their value is `none`. */
export const STATEMENT_FUNCTIONS = ['printf', 'exit', 'print', 'clear', 'zero', 'delete', 'time'] as const;

/** Every name a user can call, for "did you mean" hints and completion. */
export const ALL_FUNCTION_NAMES: readonly string[] = [...AGGREGATIONS, ...STATEMENT_FUNCTIONS, 'str', ...LIBRARY_FUNCTIONS.keys()];
