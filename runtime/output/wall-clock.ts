/**
 * The offset between the wall clock (CLOCK_REALTIME) and the monotonic clock, to the microsecond:
 * `strftime("...%f", nsecs)` turns a BPF timestamp into a time of day with it, as bpftrace does
 * with two clock_gettime calls. Node has no CLOCK_REALTIME finer than Date.now()'s milliseconds,
 * and performance.timeOrigin is read apart from hrtime's origin (0.7 ms off here under load), so
 * the offset is taken at the instant Date.now() steps to its next millisecond: the wall clock is
 * then exactly that millisecond, and the step lies between two monotonic reads one loop turn apart.
 * Of a few steps, the one bracketed most tightly (least preempted) is kept.
 */

export interface Clocks {
  /** CLOCK_REALTIME in whole milliseconds (Date.now). */
  wallMs(): number;
  /** CLOCK_MONOTONIC in ns (process.hrtime.bigint). */
  monoNs(): bigint;
}

const nodeClocks: Clocks = { wallMs: () => Date.now(), monoNs: () => process.hrtime.bigint() };

/** CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from `tries` millisecond steps of the wall clock (up to `tries` ms of waiting). */
export function wallMinusMonoNs(clocks: Clocks = nodeClocks, tries = 7): bigint {
  let best: { offset: bigint; window: bigint } | undefined;
  for (let i = 0; i < Math.max(1, tries); i++) {
    const first = clocks.wallMs();
    // Reads alternate: monotonic, wall, monotonic, wall... The step happened after the last wall
    // read that still gave `first` (so after the monotonic read before it) and before the wall read
    // that gave the next millisecond (so before the monotonic read after it).
    let prev = clocks.monoNs();
    let wall = clocks.wallMs();
    let cur = prev;
    while (wall === first) {
      prev = cur;
      cur = clocks.monoNs();
      wall = clocks.wallMs();
    }
    const after = clocks.monoNs();
    const window = after - prev;
    const offset = BigInt(wall) * 1_000_000n - (prev + window / 2n);
    if (!best || window < best.window) best = { offset, window };
  }
  return best!.offset;
}
