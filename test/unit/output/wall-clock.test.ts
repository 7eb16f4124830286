import test from 'ava';
import { wallMinusMonoNs, type Clocks } from '../../../runtime/output/wall-clock.js';

/** A monotonic clock that advances `stepNs` per read, and a millisecond wall clock `offsetNs` ahead of it. */
function fakeClocks(offsetNs: bigint, stepNs: bigint, startNs = 5_000_123_456n): Clocks {
  let mono = startNs;
  return {
    monoNs: () => (mono += stepNs),
    wallMs: () => Number((mono + offsetNs) / 1_000_000n),
  };
}

test('the wall-minus-monotonic offset is taken at a millisecond step of the wall clock, to within one loop turn', (t) => {
  // Offsets whose sub-millisecond part Date.now() alone would lose.
  for (const offset of [1_733_370_000_123_456_789n, 1_733_370_000_999_999_999n, 1_733_370_000_000_000_001n]) {
    const got = wallMinusMonoNs(fakeClocks(offset, 170n));
    t.true(got >= offset - 340n && got <= offset + 340n, `offset ${offset} got ${got} (${got - offset} ns off)`);
  }
});

/** As fakeClocks, but the read that crosses the first millisecond step stalls 400 µs (a preemption). */
function stallingClocks(offsetNs: bigint): Clocks {
  let mono = 7_000_000_000n;
  let stalled = false;
  const ms = (m: bigint): bigint => (m + offsetNs) / 1_000_000n;
  return {
    monoNs: () => {
      const next = mono + 100n;
      if (!stalled && ms(next) !== ms(mono)) {
        stalled = true;
        mono += 400_000n;
      } else mono = next;
      return mono;
    },
    wallMs: () => Number(ms(mono)),
  };
}

test('of several steps the one read in the shortest turn is kept (a preempted turn is ignored)', (t) => {
  const offset = 1_733_370_000_123_456_789n;
  const once = wallMinusMonoNs(stallingClocks(offset), 1);
  t.true(once - offset > 100_000n || offset - once > 100_000n, `a single stalled step is off: ${once - offset} ns`);
  const got = wallMinusMonoNs(stallingClocks(offset), 3);
  t.true(got >= offset - 200n && got <= offset + 200n, `${got - offset} ns off`);
});
