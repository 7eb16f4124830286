/**
 * The `.helper-errors` counters (HELPER_ERROR_MAP in src/contract/events.ts): the constant the
 * programs insert, written when the map is created, and the failures read from the per-site
 * {sum, OR} of map-update return codes, which the session reports each second and at the end.
 */
import { HELPER_ERROR_MAP, HELPER_ERROR_ONE, helperErrorSlot, type CompiledMap, type EventSpec } from '../../src/contract/index.js';
import { bpf } from '../../native/index.js';

/** The largest errno a helper returns (negated): MAX_ERRNO in the kernel. */
const MAX_ERRNO = 4095n;

/** What a site's counters say happened since they were last read. */
export type SiteFailures =
  | { readonly kind: 'none' }
  /** `count` failures, all with return code `code` (every failure of the site so far had that code). */
  | { readonly kind: 'exact'; readonly count: bigint; readonly code: number }
  /** Failures with several return codes: `approx` is an estimate (at least 1). */
  | { readonly kind: 'mixed'; readonly approx: bigint };

/** What was already reported of a site: the failures counted and the sum of return codes then. */
export interface SiteSeen {
  readonly count: bigint;
  readonly sum: bigint;
}

export const NOTHING_SEEN: SiteSeen = { count: 0n, sum: 0n };

/**
 * The failures a site's counters show since `seen`: `sum` and `or` are the sum and the OR of all
 * its update return codes (i64; 0 for a success). n failures of one code c leave OR = c and
 * SUM = n * c, so SUM / OR is the count, exact (the usual case: -E2BIG, map full). Failures of
 * several codes leave an OR whose magnitude is at most the smallest code's, which usually does
 * not divide the sum: the new sum over the OR, at least 1, is then reported as an estimate (an
 * upper bound). Codes whose bits contain each other's (-1 and -7) can still pass for one code.
 * Never a negative count; a sum that did not change is nothing new.
 */
export function decodeSiteFailures(sum: bigint, or: bigint, seen: SiteSeen): { failures: SiteFailures; seen: SiteSeen } {
  if (sum === seen.sum) return { failures: { kind: 'none' }, seen };
  const errno = or < 0n && or >= -MAX_ERRNO;
  if (errno && sum % or === 0n) {
    const count = sum / or - seen.count;
    if (count > 0n) return { failures: { kind: 'exact', count, code: Number(or) }, seen: { count: seen.count + count, sum } };
  }
  const estimate = errno ? (sum - seen.sum) / or : 1n;
  const approx = estimate > 0n ? estimate : 1n;
  return { failures: { kind: 'mixed', approx }, seen: { count: seen.count + approx, sum } };
}

/** A `.helper-errors` map the session reads: its fd, value size, the events of its compile and what was reported per site. */
export interface HelperErrorSource {
  readonly fd: number;
  readonly size: number;
  events: readonly EventSpec[];
  readonly seen: SiteSeen[];
}

/** Calls `report` for each `helper-error` site of `src` with new failures since the last read. */
export function readHelperErrorCounters(src: HelperErrorSource, report: (spec: Extract<EventSpec, { kind: 'helper-error' }>, failures: Exclude<SiteFailures, { kind: 'none' }>) => void): void {
  const value = Buffer.alloc(src.size);
  if (!bpf.mapLookup(src.fd, Buffer.alloc(4), value)) return;
  for (let id = 0; helperErrorSlot(id).or + 8 <= value.length; id++) {
    const slot = helperErrorSlot(id);
    const { failures, seen } = decodeSiteFailures(value.readBigInt64LE(slot.sum), value.readBigInt64LE(slot.or), src.seen[id] ?? NOTHING_SEEN);
    if (failures.kind === 'none') continue;
    src.seen[id] = seen;
    const spec = src.events[id];
    if (spec?.kind === 'helper-error') report(spec, failures);
  }
}

/** Write the constant 1 the programs insert (HELPER_ERROR_ONE) into a just created `.helper-errors` map; other maps are left alone. */
export function initHelperErrorMap(m: CompiledMap, fd: number): void {
  if (m.name !== HELPER_ERROR_MAP) return;
  const value = Buffer.alloc(m.valueSize);
  value.writeBigUInt64LE(1n, HELPER_ERROR_ONE);
  bpf.mapUpdate(fd, Buffer.alloc(4), value, 0);
}
