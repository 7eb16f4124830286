import type { IrExpr, IrStmt } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { providerFor } from '../providers/registry.js';
import { u32, type Type } from '../types/types.js';

/** The process a run targets: `-p PID` (pid), or the `-c CMD` child (pid and cpid). */
export interface TargetProcess {
  readonly pid?: number;
  readonly cpid?: number;
}

/**
 * With -p/-c, a probe type that cannot be limited to one process when it is attached (its
 * provider's `pidFilter` is 'program') starts with `if (pid != PID) return` (bpftrace's pid_filter_pass).
 */
export function pidFilter(probe: ConcreteProbe, target: TargetProcess | undefined): IrStmt[] {
  if (target?.pid === undefined || providerFor(probe.provider)?.pidFilter !== 'program') return [];
  const cond: IrExpr = { op: 'binary', operator: '!=', left: { op: 'builtin', name: 'pid' }, right: { op: 'const', value: BigInt(target.pid) }, signed: false };
  return [{ op: 'if', cond, then: [{ op: 'return' }], else: [] }];
}

/**
 * `cpid` (the -c child's pid) and `has_cpid` (whether there is one): constants of this compile.
 * Returns undefined for other names and for `cpid` without -c (the function library's `cpid`
 * then warns at run time and is 0, as bpftrace's base.bt), a string for an error message.
 */
export function targetBuiltin(name: string, target: TargetProcess | undefined): { type: Type; value: bigint } | string | undefined {
  if (name === 'cpid') {
    if (target?.cpid === undefined) return undefined;
    return { type: u32, value: BigInt(target.cpid) };
  }
  if (name === 'has_cpid') return { type: { kind: 'bool' }, value: target?.cpid === undefined ? 0n : 1n };
  return undefined;
}
