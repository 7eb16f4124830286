/** Two readings of the programs -> per-program rates over the interval between them. */
import type { Owner } from './owners.js';
import type { ProgramReading, Snapshot } from './snapshot.js';

export interface ProgramRow {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly attach: readonly string[];
  /** Processes holding the program (`comm[pid]`). */
  readonly owners: readonly string[];
  /** Runs in the interval, and since stats were first on (kernel totals). */
  readonly events: number;
  readonly runCnt: number;
  readonly runTimeNs: number;
  readonly eventsPerSec: number;
  /** Average run time of one event in the interval (0 without events). */
  readonly nsPerEvent: number;
  /** Share of one CPU spent in the program during the interval, in percent. */
  readonly cpuPercent: number;
}

export const ownerName = (o: Owner): string => `${o.comm}[${o.pid}]`;

export function programRows(before: Snapshot, after: Snapshot): ProgramRow[] {
  const intervalNs = Number(after.timeNs - before.timeNs);
  const old = new Map<number, ProgramReading>(before.programs.map((p) => [p.id, p]));
  return after.programs.map((p) => {
    const prev = old.get(p.id);
    // A program loaded during the interval started from zero.
    const events = Math.max(0, p.runCnt - (prev?.runCnt ?? 0));
    const timeNs = Math.max(0, p.runTimeNs - (prev?.runTimeNs ?? 0));
    return {
      id: p.id,
      type: p.type,
      name: p.name,
      attach: p.attach,
      owners: p.owners.map(ownerName),
      events,
      runCnt: p.runCnt,
      runTimeNs: p.runTimeNs,
      eventsPerSec: intervalNs > 0 ? (events * 1e9) / intervalNs : 0,
      nsPerEvent: events > 0 ? timeNs / events : 0,
      cpuPercent: intervalNs > 0 ? (timeNs * 100) / intervalNs : 0,
    };
  });
}
