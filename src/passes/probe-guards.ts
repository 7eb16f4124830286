import type { IrStmt } from '../ir/ir.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { pidFilter, type TargetProcess } from './target-process.js';

/**
 * What every program of `probe` checks before its predicate: the -p/-c pid filter
 * (target-process.ts) and the context pointers the kernel may pass as NULL
 * (`ConcreteProbe.skipIfNull`, an iterator's last call), on which the program returns at once.
 */
export function probeGuards(probe: ConcreteProbe, target: TargetProcess | undefined): IrStmt[] {
  const nullChecks: IrStmt[] = (probe.skipIfNull ?? []).map((offset) => ({
    op: 'if',
    cond: { op: 'binary', operator: '==', left: { op: 'ctxLoad', offset, size: 8, signed: false }, right: { op: 'const', value: 0n }, signed: false },
    then: [{ op: 'return' }],
    else: [],
  }));
  return [...pidFilter(probe, target), ...nullChecks];
}
