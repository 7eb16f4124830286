import type { IrExpr, IrStmt } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { u32, type Type } from '../types/types.js';

/** The process a run targets: `-p PID` (pid), or the `-c CMD` child (pid and cpid). */
export interface TargetProcess {
  readonly pid?: number;
  readonly cpid?: number;
}

/**
 * Probe types that cannot be limited to one process when they are attached, so with -p/-c their
 * programs start with `if (pid != PID) return` (bpftrace's pid_filter_pass). uprobes, usdt,
 * perf events and watchpoints are attached to the process instead; interval and BEGIN/END never filter.
 */
const FILTERED = new Set(['kprobe', 'kretprobe', 'fentry', 'fexit', 'tracepoint', 'rawtracepoint']);

export function pidFilter(probe: ConcreteProbe, target: TargetProcess | undefined): IrStmt[] {
  if (target?.pid === undefined || !FILTERED.has(probe.provider)) return [];
  const cond: IrExpr = { op: 'binary', operator: '!=', left: { op: 'builtin', name: 'pid' }, right: { op: 'const', value: BigInt(target.pid) }, signed: false };
  return [{ op: 'if', cond, then: [{ op: 'return' }], else: [] }];
}

/**
 * `cpid` (the -c child's pid; an error without -c) and `has_cpid` (whether there is one): constants
 * of this compile. Returns undefined for other names, a string for an error message.
 */
export function targetBuiltin(name: string, target: TargetProcess | undefined): { type: Type; value: bigint } | string | undefined {
  if (name === 'cpid') {
    if (target?.cpid === undefined) return 'cpid cannot be used without a child command (-c)';
    return { type: u32, value: BigInt(target.cpid) };
  }
  if (name === 'has_cpid') return { type: { kind: 'bool' }, value: target?.cpid === undefined ? 0n : 1n };
  return undefined;
}
