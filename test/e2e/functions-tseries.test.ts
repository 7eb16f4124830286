/**
 * tseries(): bpftrace 0.26's runtime tests (tests/runtime/call "tseries*", json-output "time
 * series*") with their expected outputs (tests/runtime/outputs/tseries*.txt/json), run with
 * BPFTRACE_DUMMY_TS_MAP=@ts so the clock is the script's @ts. The loops run in BEGIN (bpftrace's
 * tests use `i:ms:1`, which may fire again after clear(@ts) and before exit() detaches it).
 */
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

const ENV = { BPFTRACE_DUMMY_TS_MAP: '@ts', TZ: 'UTC' };
const WARNING = 'WARNING: Script is using an unstable feature: tseries. To prevent this warning you must explicitly enable it in the config e.g. unstable_tseries=enable';

/** bpftrace's `tseries*` program, with the loop moved into BEGIN. */
const loop100 = (agg: string, extra = '') =>
  `BEGIN { @ts = (uint64)0; $us = (uint64)1000; $ms = 1000*$us; $s = 1000*$ms; $i = (uint64)0; $interval = 100 * $ms; @ts /= $interval; @ts *= $interval; while ($i < 100) { @a = tseries($i % 10, 100ms, 5${agg}); @ts += 10 * $ms; $i++; } clear(@ts); ${extra}exit(); }`;

const MULTIPLE = 'BEGIN { @ts = (uint64)0; $us = (uint64)1000; $ms = 1000*$us; $s = 1000*$ms; $i = (uint64)0; $interval = 100 * $ms; @ts /= $interval; @ts *= $interval; while ($i < 5) { @a["one"] = tseries(5, 100ms, 10); @ts += 100 * $ms; $i++; } $i = 0; while($i < 5) { @a["two"] = tseries(4, 100ms, 10); @ts += 100 * $ms; $i++; } clear(@ts); exit(); }';

const ZIGZAG = 'BEGIN { @dir = 1; @c = -5; @ts = (uint64)100ms; $i = 0; while ($i < 20) { @ = tseries(@c, 100ms, 20); @ts += 100ms; @c += @dir; $i++; if (@c > 5) { @dir = -1; @c = 4 } else if (@c < -5) { @dir = 1; @c = -4; } } clear(@ts); clear(@c); clear(@dir); exit(); }';

const AXIS = 'hh:mm:ss.ms  |___________________________________________________|';
const BOTTOM = '             v___________________________________________________v';
const bounds = (lo: number, hi: number) => ' '.repeat(13) + String(lo).padEnd(21) + String(hi).padStart(32);

function chart(name: string, lo: number, hi: number, rows: string[]): string {
  return [`${name}:`, bounds(lo, hi), AXIS, ...rows, BOTTOM, bounds(lo, hi), ''].join('\n');
}

/** Rows of tseries.txt and friends: five 100 ms intervals from 00:00:00.500, each value at `mark`. */
const five = (mark: string, value: number) => [500, 600, 700, 800, 900].map((ms) => `00:00:00.${ms} ${mark} ${value}`);
const MID = '|                         *                         |';
const LEFT = '*                                                   |';
const RIGHT = '|                                                   *';
const EMPTY = '|                                                   |';

async function run(t: ExecutionContext, prog: string, args: string[] = []) {
  const r = await runTsbpf([...args, '-e', prog], { env: ENV });
  t.is(r.code, 0, describeRun(r));
  return r;
}

for (const [agg, lo, hi, mark, value] of [
  ['', 8, 10, MID, 9],
  ['min', 0, 1, LEFT, 0],
  ['max', 8, 10, MID, 9],
  ['avg', 3, 5, MID, 4],
] as const) {
  kernelTest(`tseries${agg ? ` "${agg}"` : ''}: bpftrace's text chart and JSON`, async (t) => {
    const prog = loop100(agg ? `, "${agg}"` : '');
    const r = await run(t, prog);
    t.is(r.stdout, '\n\n' + chart('@a', lo, hi, five(mark, value)) + '\n');
    t.true(r.stderr.split('\n').includes(WARNING), r.stderr);

    const j = await run(t, prog, ['-f', 'json']);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    const ts = lines.filter((l) => l.type === 'tseries');
    t.is(ts.length, 1, j.stdout);
    const points = ts[0]!.data['@a'] as { interval_start: string; value: number }[];
    t.deepEqual(points.map((p) => p.interval_start), [5, 6, 7, 8, 9].map((d) => `1970-01-01 00:00:00.${d}00000000`));
    t.deepEqual(points.map((p) => p.value), [value, value, value, value, value]);
    // The line is bpftrace's: no spaces inside the interval objects.
    t.true(j.stdout.includes(`{"interval_start":"1970-01-01 00:00:00.500000000","value":${value}}`), j.stdout);
  });
}

kernelTest('tseries: zero() leaves no intervals ({"@a": []})', async (t) => {
  const j = await run(t, loop100(', "avg"', 'zero(@a); '), ['-f', 'json']);
  const line = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> }).find((l) => l.type === 'tseries');
  t.deepEqual(line?.data, { '@a': [] });
});

kernelTest('tseries: keyed series share the last interval; missing intervals print "-"', async (t) => {
  const r = await run(t, MULTIPLE);
  const one = ['00:00:00.000 ' + LEFT + ' 0', ...[1, 2, 3, 4].map((d) => `00:00:00.${d}00 ${RIGHT} 5`), ...[5, 6, 7, 8, 9].map((d) => `00:00:00.${d}00 ${EMPTY} -`)];
  const expected = '\n\n' + chart('@a[one]', 0, 5, one) + '\n' + chart('@a[two]', 3, 5, five(MID, 4)) + '\n';
  t.is(r.stdout, expected);

  const j = await run(t, MULTIPLE, ['-f', 'json']);
  const line = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, Record<string, { interval_start: string; value: number }[]>> }).find((l) => l.type === 'tseries');
  const a = line!.data['@a']!;
  t.deepEqual(Object.keys(a), ['one', 'two']);
  t.deepEqual(a['one']!.map((p) => [p.interval_start.slice(11), p.value]), [['00:00:00.000000000', 0], ['00:00:00.100000000', 5], ['00:00:00.200000000', 5], ['00:00:00.300000000', 5], ['00:00:00.400000000', 5]]);
  t.deepEqual(a['two']!.map((p) => p.value), [4, 4, 4, 4, 4]);
});

kernelTest('tseries: negative values draw the zero line (zigzag)', async (t) => {
  const r = await run(t, ZIGZAG);
  const vals = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, -1, -2, -3, -4];
  const rows = vals.map((v, i) => {
    const line = Array.from(EMPTY);
    if (v !== 0) line[26] = '.';
    line[Math.trunc(Math.fround(Math.fround(52 * (v + 5)) / 10))] = '*';
    const ms = (i + 1) * 100;
    return `00:00:0${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')} ${line.join('')} ${v}`;
  });
  t.is(r.stdout, '\n\n' + chart('@', -5, 5, rows) + '\n');
  // The first rows, verbatim from bpftrace's tseries_zigzag.txt.
  t.true(r.stdout.includes('00:00:00.100 *                         .                         | -5\n00:00:00.200 |    *                    .                         | -4\n'));
});

kernelTest('tseries: unstable_tseries config (enable silences, error refuses) and argument checks', async (t) => {
  const quiet = await run(t, `config = { unstable_tseries = enable } ${loop100('')}`);
  t.false(quiet.stderr.includes('unstable feature'), quiet.stderr);

  const refused = await runTsbpf(['-e', `config = { unstable_tseries = error } BEGIN { @ = tseries(1, 1s, 2); exit(); }`], { env: ENV });
  t.not(refused.code, 0);
  t.true(refused.stderr.includes('ERROR: tseries feature is not enabled by default. To enable this unstable feature, set the config flag to enable. unstable_tseries=enable'), refused.stderr);

  const bad = await runTsbpf(['-e', 'BEGIN { @a = tseries(1, 1s, 2, "median"); @b = tseries(1, 0, 2); @c = tseries(1, 1s, 1000001); }'], { env: ENV });
  t.not(bad.code, 0);
  t.true(bad.stderr.includes('ERROR: tseries() expects one of the following aggregation functions: avg, max, min, sum ("median" provided)'), bad.stderr);
  t.true(bad.stderr.includes('ERROR: tseries() interval_ns must be >= 1 (0 provided)'), bad.stderr);
  t.true(bad.stderr.includes('ERROR: tseries() num_intervals must be < 1000000 (1000001 provided)'), bad.stderr);
});

kernelTest('tseries on the real clock: one interval per 100 ms, local time with milliseconds', async (t) => {
  const r = await run(t, 'config = { unstable_tseries = enable } i:ms:10 { @ = tseries(7, 100ms, 3, "max"); } i:ms:450 { exit(); }');
  const lines = r.stdout.split('\n');
  t.is(lines[2], '@:');
  t.is(lines[3], bounds(6, 8));
  const rows = lines.slice(5, -4);
  t.true(rows.length >= 2 && rows.length <= 3, r.stdout);
  for (const row of rows) t.regex(row, /^\d\d:\d\d:\d\d\.\d00 \|                         \*                         \| 7$/);
});
