/**
 * The `.helper-errors` {sum, OR} of a site's map-update return codes, decoded into failures
 * (runtime/session/helper-error-counters.ts): exact for one code, an estimate for several.
 */
import test from 'ava';
import { decodeSiteFailures, NOTHING_SEEN, type SiteSeen } from '../../../runtime/session/helper-error-counters.js';

const E2BIG = -7n;
const ENOMEM = -12n;

/** The counters after the program added and ORed `codes` in (0 for a success). */
function counters(codes: readonly bigint[]): { sum: bigint; or: bigint } {
  return { sum: codes.reduce((a, c) => a + c, 0n), or: codes.reduce((a, c) => a | c, 0n) };
}

test('no failure (only successes, all 0): nothing, and what was seen stays', (t) => {
  const { sum, or } = counters([0n, 0n, 0n]);
  t.deepEqual(decodeSiteFailures(sum, or, NOTHING_SEEN), { failures: { kind: 'none' }, seen: NOTHING_SEEN });
});

test('failures of one code: their exact count and the code', (t) => {
  const { sum, or } = counters([E2BIG, 0n, E2BIG, E2BIG]);
  t.deepEqual(decodeSiteFailures(sum, or, NOTHING_SEEN), { failures: { kind: 'exact', count: 3n, code: -7 }, seen: { count: 3n, sum: -21n } });
});

test('read again: only the failures since the last read, and nothing when none came', (t) => {
  let seen: SiteSeen = NOTHING_SEEN;
  const codes: bigint[] = [];
  const read = (): ReturnType<typeof decodeSiteFailures>['failures'] => {
    const { sum, or } = counters(codes);
    const r = decodeSiteFailures(sum, or, seen);
    seen = r.seen;
    return r.failures;
  };
  codes.push(E2BIG);
  t.deepEqual(read(), { kind: 'exact', count: 1n, code: -7 });
  t.deepEqual(read(), { kind: 'none' });
  for (let i = 0; i < 1000; i++) codes.push(E2BIG);
  t.deepEqual(read(), { kind: 'exact', count: 1000n, code: -7 });
  t.is(seen.count, 1001n);
});

test('a million failures of one code over many reads add up exactly', (t) => {
  let seen: SiteSeen = NOTHING_SEEN;
  let total = 0n;
  let n = 0n;
  for (const batch of [1n, 999_999n, 0n, 5n]) {
    n += batch;
    const r = decodeSiteFailures(n * E2BIG, n > 0n ? E2BIG : 0n, seen);
    seen = r.seen;
    if (r.failures.kind === 'exact') total += r.failures.count;
    else t.is(r.failures.kind, 'none');
  }
  t.is(total, 1_000_005n);
});

test('failures of several codes: one estimate, at least the true count and never below 1, without crashing', (t) => {
  // -7 | -12 = -3: the sum -19 is no multiple of it.
  const { sum, or } = counters([E2BIG, ENOMEM]);
  t.is(or, -3n);
  const r = decodeSiteFailures(sum, or, NOTHING_SEEN);
  t.is(r.failures.kind, 'mixed');
  if (r.failures.kind !== 'mixed') return;
  t.true(r.failures.approx >= 2n);
  t.is(r.seen.sum, sum);
  // More failures later, still mixed: an estimate for the new ones only (the new sum -24 over -3).
  const more = counters([E2BIG, ENOMEM, ENOMEM, ENOMEM]);
  const r2 = decodeSiteFailures(more.sum, more.or, r.seen);
  t.deepEqual(r2.failures, { kind: 'mixed', approx: 8n });
  t.is(r2.seen.count, r.seen.count + 8n);
});

test('one code first, then another: the new failures are reported as mixed, not as a wrong exact count', (t) => {
  const first = counters([E2BIG, E2BIG]);
  const r = decodeSiteFailures(first.sum, first.or, NOTHING_SEEN);
  t.deepEqual(r.failures, { kind: 'exact', count: 2n, code: -7 });
  const later = counters([E2BIG, E2BIG, ENOMEM]);
  t.is(decodeSiteFailures(later.sum, later.or, r.seen).failures.kind, 'mixed');
});

test('counters that no run of return codes makes (a positive OR, an OR past MAX_ERRNO, a sum that went back): one failure reported, never a negative count', (t) => {
  for (const [sum, or] of [[-14n, 7n], [-8192n, -8192n], [5n, -7n]] as const) {
    const r = decodeSiteFailures(sum, or, { count: 3n, sum: -21n });
    t.deepEqual(r.failures, { kind: 'mixed', approx: 1n }, `${sum} ${or}`);
    t.is(r.seen.count, 4n);
  }
});
