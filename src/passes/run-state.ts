import type { IrStmt } from '../ir/ir.js';
import type { InternalMapDef } from '../builtins/library.js';
import type { ConcreteProbe } from '../providers/provider.js';
import { MapType, STOPPED_MAP } from '../contract/index.js';

/**
 * The `.stopped` map (STOPPED_MAP) is set to 1 by the runtime when the run ends, before END runs
 * (runtime/session/session.ts `detach`). bpftrace detaches every probe before END, so nothing END clears is refilled before the
 * maps are printed; tsbpf hands the slow part of detaching (a grace period per perf event) to a child
 * process (runtime/session/detach.ts), so its probes may still fire while END runs and the maps are
 * printed: each one returns at once when this is set. Its word is read at the value's address
 * (IrMap.intArray: a `ld_imm64`, a load and a branch; no lookup), so the guard costs 4 instructions.
 */
export const STOPPED_MAP_DEF: InternalMapDef = { bpfType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };

/** Probe kinds the runtime attaches and later detaches (not run by the runtime itself, not packet verdicts). */
const DETACHED_KINDS = new Set(['tracepoint', 'kprobe', 'perf', 'uprobe', 'rawtracepoint', 'fentry', 'watchpoint']);

/** Whether the runtime attaches `probe` and detaches it at the end (the probes the guard is for). */
export function isDetachedProbe(probe: ConcreteProbe): boolean {
  return DETACHED_KINDS.has(probe.attach.kind);
}

/**
 * `if (.stopped[0] != 0) return;` for a probe that is attached, in a script of two or more such
 * probes; nothing for the others. A lone probe's one attachment is closed before END runs (the
 * runtime hands off only a second and later ones, and closes every unguarded program's itself:
 * runtime/session/detach.ts), so the common one-probe script pays no instruction for it.
 * `mapId` makes the map.
 */
export function stoppedGuard(probe: ConcreteProbe, detachedProbes: number, mapId: (name: string, def: InternalMapDef) => number): IrStmt[] {
  if (!isDetachedProbe(probe) || detachedProbes < 2) return [];
  const map = mapId(STOPPED_MAP, STOPPED_MAP_DEF);
  return [{
    op: 'if',
    cond: { op: 'binary', operator: '!=', left: { op: 'mapGet', map, key: { op: 'int', value: { op: 'const', value: 0n }, size: 4 } }, right: { op: 'const', value: 0n }, signed: false },
    then: [{ op: 'return' }],
    else: [],
  }];
}
