import test from 'ava';
import { WarningLimiter } from '../../../runtime/session/warning-limiter.js';

/** A limiter on a clock the test moves, recording what each site printed. */
function setup() {
  let now = 0;
  const limiter = new WarningLimiter(1000, () => now);
  const printed: string[] = [];
  const report = (key: string) => ({ full: () => printed.push(`${key} full`), repeated: (n: number) => printed.push(`${key} x${n}`) });
  return {
    limiter,
    printed,
    at(ms: number) {
      now = ms;
    },
    occur(key: string) {
      limiter.occur(key, report(key));
    },
  };
}

test('the first occurrence prints in full at once, repeats are only counted until flushed', (t) => {
  const s = setup();
  s.occur('a');
  t.deepEqual(s.printed, ['a full']);
  for (let i = 0; i < 999; i++) s.occur('a');
  t.deepEqual(s.printed, ['a full']);
  s.limiter.flush();
  t.deepEqual(s.printed, ['a full', 'a x999']);
  t.is(s.limiter.total(), 1000);
  s.limiter.dispose();
});

test('each location is limited on its own; no total when nothing repeated', (t) => {
  const s = setup();
  s.occur('a');
  s.occur('b');
  t.deepEqual(s.printed, ['a full', 'b full']);
  t.is(s.limiter.total(), undefined);
  s.occur('b');
  s.limiter.flush();
  t.deepEqual(s.printed, ['a full', 'b full', 'b x1']);
  t.is(s.limiter.total(), 3);
  s.limiter.dispose();
});

test('after a quiet interval a location prints in full again', (t) => {
  const s = setup();
  s.occur('a');
  s.at(1500);
  s.occur('a');
  t.deepEqual(s.printed, ['a full', 'a full']);
  s.limiter.dispose();
});

test('the count line comes from the timer, at most once an interval', async (t) => {
  // Real timers with a short interval: the pending count is printed without any flush.
  const printed: string[] = [];
  const limiter = new WarningLimiter(20);
  const report = { full: () => printed.push('full'), repeated: (n: number) => printed.push(`x${n}`) };
  limiter.occur('a', report);
  limiter.occur('a', report);
  limiter.occur('a', report);
  await new Promise((r) => setTimeout(r, 60));
  t.deepEqual(printed, ['full', 'x2']);
  limiter.dispose();
});
