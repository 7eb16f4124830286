/**
 * Text output, byte for byte as bpftrace 0.26. Expected strings come from bpftrace v0.26.1:
 * tests/runtime/outputs/*.txt (with the PROG from tests/runtime/call), tests/output.cpp,
 * EXPECT lines in tests/runtime/{call,tuples,basic}, and src/output/text.cpp where no test exists.
 */
import test from 'ava';
import { TextOutput, mapText } from '../../../runtime/output/text.js';
import { V, type MapDump, type MapEntry, type MapValue, type Value } from '../../../runtime/output/value.js';
import { capture, hist, lhist } from './helpers.js';

const int = (v: number | bigint, agg?: 'count' | 'sum' | 'min' | 'max'): MapValue =>
  agg ? { kind: 'int', value: BigInt(v), agg } : { kind: 'int', value: BigInt(v) };
const e = (key: Value[], value: MapValue): MapEntry => ({ key, value });
const scalar = (name: string, value: MapValue): MapDump => ({ name, entries: [e([], value)] });

const bar = (n: number) => '|' + '@'.repeat(n).padEnd(52) + '|';

test('scalar maps', (t) => {
  t.is(mapText(scalar('@x', int(5))), '@x: 5\n');
  t.is(mapText(scalar('@sum', int(6, 'sum'))), '@sum: 6\n'); // call:350
  t.is(mapText(scalar('@x', int(18446744073709551605n))), '@x: 18446744073709551605\n'); // basic:407
  t.is(mapText(scalar('@avg', { kind: 'avg', value: 2n })), '@avg: 2\n'); // call:354
  t.is(mapText(scalar('@stats', { kind: 'stats', count: 3n, average: 2n, total: 6n })), '@stats: { .count = 3, .average = 2, .total = 6 }\n'); // call:366
  t.is(mapText(scalar('@x', { kind: 'value', value: V.str('xxxx') })), '@x: xxxx\n'); // call:233
  t.is(mapText(scalar('@', { kind: 'value', value: V.tuple(V.int(-100), V.int(10), V.int(50)) })), '@: (-100, 10, 50)\n'); // tuples:11
  t.is(mapText(scalar('@a', { kind: 'value', value: V.ptr(1) })), '@a: 0x1\n'); // call:536
  t.is(mapText(scalar('@b', { kind: 'value', value: V.bool(true) })), '@b: true\n');
});

test('count map sorted ascending by value', (t) => {
  const d: MapDump = {
    name: '@cnt',
    entries: [e([V.str('a')], int(2, 'count')), e([V.str('b')], int(1, 'count')), e([V.str('c')], int(300, 'count'))],
  };
  t.is(mapText(d), '@cnt[b]: 1\n@cnt[a]: 2\n@cnt[c]: 300\n');
});

test('signed sums sort numerically; min/max sort as uint64 (types_format.cpp)', (t) => {
  const sums: MapDump = { name: '@s', entries: [e([V.int(1)], int(3, 'sum')), e([V.int(2)], int(-5, 'sum'))] };
  t.is(mapText(sums), '@s[2]: -5\n@s[1]: 3\n');
  const mins: MapDump = { name: '@mn', entries: [e([V.str('x')], int(-1, 'min')), e([V.str('y')], int(5, 'min'))] };
  t.is(mapText(mins), '@mn[y]: 5\n@mn[x]: -1\n');
});

test('multi-key maps', (t) => {
  const d: MapDump = {
    name: '@t',
    entries: [e([V.int(2), V.str('bar')], int(20)), e([V.int(1), V.str('foo')], int(10))],
  };
  t.is(mapText(d), '@t[1, foo]: 10\n@t[2, bar]: 20\n');
  // tuples:27, tuples:31, tuples:48
  t.is(mapText({ name: '@', entries: [e([V.tuple(V.int(1), V.int(2))], { kind: 'value', value: V.tuple(V.int(3), V.int(4)) })] }), '@[1, 2]: (3, 4)\n');
  t.is(
    mapText({ name: '@', entries: [e([V.str('abcd'), V.int(2)], { kind: 'value', value: V.tuple(V.int(3), V.int(4), V.int(5)) })] }),
    '@[abcd, 2]: (3, 4, 5)\n',
  );
  t.is(
    mapText({
      name: '@a',
      entries: [e([V.tuple(V.int(4), V.tuple(V.int(1234), V.int(123)))], int(2)), e([V.tuple(V.int(1), V.tuple(V.int(123), V.int(1234)))], int(1))],
    }),
    '@a[1, (123, 1234)]: 1\n@a[4, (1234, 123)]: 2\n',
  );
});

test('non-numeric values are sorted by key (ints numerically, strings bytewise, tuples field by field)', (t) => {
  const sv = (s: string): MapValue => ({ kind: 'value', value: V.str(s) });
  t.is(mapText({ name: '@s', entries: [e([V.str('b')], sv('x')), e([V.str('a')], sv('y')), e([V.str('ab')], sv('z'))] }), '@s[a]: y\n@s[ab]: z\n@s[b]: x\n');
  t.is(mapText({ name: '@i', entries: [e([V.int(10)], sv('p')), e([V.int(-1)], sv('q')), e([V.int(2)], sv('r'))] }), '@i[-1]: q\n@i[2]: r\n@i[10]: p\n');
  t.is(
    mapText({
      name: '@t',
      entries: [e([V.int(2), V.str('a')], sv('1')), e([V.int(1), V.str('b')], sv('2')), e([V.int(1), V.str('a')], sv('3'))],
    }),
    '@t[1, a]: 3\n@t[1, b]: 2\n@t[2, a]: 1\n',
  );
});

test('avg and stats maps sort by average; stats print as a record (0.26)', (t) => {
  const avg: MapDump = { name: '@avg', entries: [e([V.str('y')], { kind: 'avg', value: 10n }), e([V.str('x')], { kind: 'avg', value: 3n })] };
  t.is(mapText(avg), '@avg[x]: 3\n@avg[y]: 10\n');
  const st: MapDump = {
    name: '@st',
    entries: [
      e([V.str('zsh')], { kind: 'stats', count: 1n, average: 10n, total: 10n }),
      e([V.str('curl')], { kind: 'stats', count: 1n, average: 2n, total: 2n }),
    ],
  };
  t.is(mapText(st), '@st[curl]: { .count = 1, .average = 2, .total = 2 }\n@st[zsh]: { .count = 1, .average = 10, .total = 10 }\n');
});

// tests/runtime/call print_avg_map_args / print_avg_map_with_large_top and outputs/*.txt
test('top and div', (t) => {
  const d: MapDump = {
    name: '@',
    entries: ['a', 'b', 'c', 'd'].map((k, i) => e([V.str(k)], { kind: 'avg', value: BigInt(10 * (i + 1)) })),
  };
  t.is(mapText(d, { top: 2, div: 10 }), '@[c]: 3\n@[d]: 4\n');
  t.is(mapText(d, { top: 10, div: 10 }), '@[a]: 1\n@[b]: 2\n@[c]: 3\n@[d]: 4\n');
  const c: MapDump = { name: '@c', entries: [e([V.str('a')], int(1000)), e([V.str('b')], int(-2500)), e([V.str('c')], int(10))] };
  t.is(mapText(c, { top: 2 }), '@c[c]: 10\n@c[a]: 1000\n');
  // div truncates toward zero like C++ integer division
  t.is(mapText(c, { div: 1000 }), '@c[b]: -2\n@c[c]: 0\n@c[a]: 1\n');
  // stats: only the average is divided; div 0 means 1
  t.is(mapText(scalar('@s', { kind: 'stats', count: 2n, average: 600n, total: 1200n }), { div: 100 }), '@s: { .count = 2, .average = 6, .total = 1200 }\n');
  t.is(mapText(scalar('@x', int(7)), { div: 0 }), '@x: 7\n');
  // div reaches ints inside tuple values (types_format.cpp passes div down)
  t.is(mapText(scalar('@t', { kind: 'value', value: V.tuple(V.int(100), V.str('s')) }), { div: 10 }), '@t: (10, s)\n');
});

test('stacks in maps', (t) => {
  const frames = ['__schedule+1560', 'schedule+80'];
  t.is(mapText({ name: '@', entries: [e([V.stack(frames)], int(2, 'count'))] }), '@[\n        __schedule+1560\n        schedule+80\n]: 2\n');
  t.is(mapText({ name: '@s', entries: [e([V.int(1)], { kind: 'value', value: V.stack(['f1']) })] }), '@s[1]: \n        f1\n\n');
  t.is(mapText({ name: '@', entries: [e([V.stack(['\tffffffff81000000 f1'], 'perf')], int(1))] }), '@[\n\tffffffff81000000 f1\n]: 1\n');
});

// tests/runtime/outputs/hist.txt: begin { @=hist(-1); @=hist(2); @=hist(3); @=hist(7); @=hist(20); }
test('hist: outputs/hist.txt', (t) => {
  const expected =
    '@:\n' +
    '(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[0]                    0 |                                                    |\n' +
    '[1]                    0 |                                                    |\n' +
    '[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    '[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[8, 16)                0 |                                                    |\n' +
    '[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '\n';
  t.is(mapText(scalar('@', hist([-1, 2, 3, 7, 20]))), expected);
});

// tests/runtime/outputs/hist_2_values.txt: begin { @=hist(3);@=hist(20);}
test('hist: outputs/hist_2_values.txt', (t) => {
  const expected =
    '@:\n' +
    '[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    '[4, 8)                 0 |                                                    |\n' +
    '[8, 16)                0 |                                                    |\n' +
    '[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    '\n';
  t.is(mapText(scalar('@', hist([3, 20]))), expected);
});

// bpftrace-features.md §8.1's input set, in 0.26 format (`@h:` without the trailing space 0.17 printed)
test('hist: 0,1,2,3,5,100,1500,-1 with K suffixes', (t) => {
  const rows: [string, number, number][] = [
    ['(..., 0)', 1, 26],
    ['[0]', 1, 26],
    ['[1]', 1, 26],
    ['[2, 4)', 2, 52],
    ['[4, 8)', 1, 26],
    ['[8, 16)', 0, 0],
    ['[16, 32)', 0, 0],
    ['[32, 64)', 0, 0],
    ['[64, 128)', 1, 26],
    ['[128, 256)', 0, 0],
    ['[256, 512)', 0, 0],
    ['[512, 1K)', 0, 0],
    ['[1K, 2K)', 1, 26],
  ];
  const expected = '@h:\n' + rows.map(([l, c, b]) => l.padEnd(16) + String(c).padStart(8) + ' ' + bar(b) + '\n').join('') + '\n';
  t.is(mapText(scalar('@h', hist([0, 1, 2, 3, 5, 100, 1500, -1]))), expected);
});

test('hist: large values, bits, bar rounding in float like bpftrace', (t) => {
  // hist(10G) is [8G, 16G) (JSON min 8589934592, max 17179869183 in outputs/hist_10g.json)
  t.is(mapText(scalar('@', hist([10n * 1024n ** 3n]))), '@:\n[8G, 16G)              1 ' + bar(52) + '\n\n');
  t.is(mapText(scalar('@', hist([2n ** 63n - 1n]))), '@:\n[4E, 8E)               1 ' + bar(52) + '\n\n');
  // hist(v, 1): N = 2 sub-buckets per power of two
  t.deepEqual(
    mapText(scalar('@', hist([0, 3, 4, 5, 7, 1024], 1))).split('\n').slice(0, 8).map((l) => l.slice(0, 25).trimEnd()),
    ['@:', '[0]                    1', '[1]                    0', '[2]                    0', '[3]                    1', '[4, 6)                 2', '[6, 8)                 1', '[8, 12)                0'],
  );
  // hist_index_label picks the suffix from the power of two alone: 2^9 * 2 stays `1024`
  t.is(mapText(scalar('@', hist([1024, 1600], 1))), '@:\n[1024, 1536)           1 ' + bar(52) + '\n[1536, 2K)             1 ' + bar(52) + '\n\n');
  // 15/26 * 52 is 29.99.. in double but 30 in float: bpftrace computes in float
  const buckets = new Array(65).fill(0n);
  buckets[3] = 15n;
  buckets[4] = 26n;
  t.is(mapText(scalar('@', { kind: 'hist', buckets })), '@:\n[2, 4)                15 ' + bar(30) + '\n[4, 8)                26 ' + bar(52) + '\n\n');
  // div divides counts; trimming still uses the raw counts
  t.is(mapText(scalar('@', { kind: 'hist', buckets }), { div: 13 }), '@:\n[2, 4)                 1 ' + bar(26) + '\n[4, 8)                 2 ' + bar(52) + '\n\n');
});

test('hist: empty after zero(), and keyed hists sorted by total count', (t) => {
  t.is(mapText(scalar('@hist', { kind: 'hist', buckets: new Array(65).fill(0n) })), '@hist:\n\n');
  const d: MapDump = {
    name: '@lat',
    entries: [e([V.str('read')], hist([64, 256])), e([V.str('write')], hist([4]))],
  };
  t.is(
    mapText(d),
    '@lat[write]:\n[4, 8)                 1 ' + bar(52) + '\n\n' +
      '@lat[read]:\n[64, 128)              1 ' + bar(52) + '\n[128, 256)             0 ' + bar(0) + '\n[256, 512)             1 ' + bar(52) + '\n\n',
  );
  // call:294: buffer keys print escaped, the tuple parens dropped
  t.true(mapText({ name: '@', entries: [e([V.buffer([111, 107, 95, 107, 101, 121, 0]), V.int(1)], hist([1]))] }).startsWith('@[ok_key\\x00, 1]:\n'));
});

// tests/runtime/outputs/lhist.txt: @=lhist(2,0,10,2); lhist(3..); lhist(7..); lhist(-1..); lhist(11..)
test('lhist: outputs/lhist.txt (under- and overflow)', (t) => {
  const expected =
    '@:\n' +
    '(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[0, 2)                 0 |                                                    |\n' +
    '[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    '[4, 6)                 0 |                                                    |\n' +
    '[6, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[8, 10)                0 |                                                    |\n' +
    '[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '\n';
  t.is(mapText(scalar('@', lhist([2, 3, 7, -1, 11], 0, 10, 2))), expected);
});

// tests/output.cpp (TextOutput.lhist_no_suffix / lhist_suffix / lhist_overflow_only / lhist_underflow_only)
test('lhist: tests/output.cpp cases', (t) => {
  const raw = (min: number, max: number, step: number, counts: number[]): MapValue => ({
    kind: 'lhist',
    min: BigInt(min),
    max: BigInt(max),
    step: BigInt(step),
    buckets: counts.map(BigInt),
  });
  const full = bar(52);
  t.is(
    mapText(scalar('@mymap', raw(610000, 670000, 10000, [0, 1, 1, 1, 1, 1, 1, 0]))),
    '@mymap:\n' +
      ['[610000, 620000)', '[620000, 630000)', '[630000, 640000)', '[640000, 650000)', '[650000, 660000)', '[660000, 670000)']
        .map((l) => l + '       1 ' + full + '\n')
        .join('') +
      '\n',
  );
  t.is(
    mapText(scalar('@mymap', raw(0, 5 * 1024, 1024, [0, 1, 1, 1, 1, 1, 0]))),
    '@mymap:\n' + ['[0, 1K)', '[1K, 2K)', '[2K, 3K)', '[3K, 4K)', '[4K, 5K)'].map((l) => l.padEnd(16) + '       1 ' + full + '\n').join('') + '\n',
  );
  t.is(mapText(scalar('@mymap', raw(0, 100, 10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))), '@mymap:\n[100, ...)             1 ' + full + '\n\n');
  t.is(mapText(scalar('@mymap', raw(10, 110, 10, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))), '@mymap:\n(..., 10)              1 ' + full + '\n\n');
});

test('lhist: step 1 prints single values [n] (0.26 labels are plain integers)', (t) => {
  t.is(mapText(scalar('@l', lhist([1, 2], 0, 5, 1))), '@l:\n[1]                    1 ' + bar(52) + '\n[2]                    1 ' + bar(52) + '\n\n');
  t.is(mapText(scalar('@l', lhist([3 * 1048576], 0, 4 * 1048576, 1048576))), '@l:\n[3M, 4M)               1 ' + bar(52) + '\n\n');
});

test('empty maps print nothing (0.26.1)', (t) => {
  t.is(mapText({ name: '@e', entries: [] }), '');
  t.is(mapText({ name: '@a', entries: [], kind: 'avg' }), '');
});

test('TextOutput events and streams', (t) => {
  const c = capture();
  const o = new TextOutput(c.opts);
  o.attachedProbes(1);
  o.attachedProbes(3);
  o.printf('pid=42 comm=abc\n');
  o.value(V.int(123));
  o.value(V.str('abc'));
  o.value(V.tuple(V.int(1), V.str('two'), V.int(3)));
  o.value(V.tuple(V.bool(true), V.bool(false)));
  o.time('16:18:55\n');
  o.join('/bin/echo,A');
  o.syscall('a b c');
  o.cat('x');
  o.lostEvents(42);
  o.totalLostEvents(42);
  o.mapsHeader();
  o.map({ name: '@a', entries: [e([], { kind: 'avg', value: 15n })] });
  o.map({ name: '@cnt', entries: [e([V.str('a')], int(2, 'count')), e([V.str('b')], int(1, 'count'))] });
  o.flush();
  t.is(c.err(), 'Attached 1 probe\nAttached 3 probes\nLost 42 events\nWARNING: Total lost event count: 42\n');
  t.is(c.out(), 'pid=42 comm=abc\n123\nabc\n(1, two, 3)\n(true, false)\n16:18:55\n/bin/echo,A\na b c\nx\n\n@a: 15\n@cnt[b]: 1\n@cnt[a]: 2\n');
});

test('warnf/errorf: bpftrace LOG format, coloured only when asked', (t) => {
  const loc = { filename: 'stdin', line: 1, col: 9, text: 'stdin:1:9-25' };
  const plain = capture(false);
  new TextOutput(plain.opts).warnf('value is 5\n', [loc]);
  t.is(plain.err(), 'stdin:1:9-25: WARNING: value is 5\n');
  t.is(plain.out(), '');
  const col = capture(true);
  const o = new TextOutput(col.opts);
  o.errorf('bad', [loc, { filename: 'stdin', line: 2, col: 1, text: 'stdin:2:1-8', context: ['macro()', '~~~~~~~'] }]);
  o.warnf('w', [loc]);
  t.is(
    col.err(),
    '\x1b[31mstdin:1:9-25: ERROR: bad\x1b[0m\n\x1b[31mstdin:2:1-8: ERROR: expanded from\x1b[0m\nmacro()\n~~~~~~~\n\x1b[33mstdin:1:9-25: WARNING: w\x1b[0m\n',
  );
  // maps are never coloured
  const m = capture(true);
  new TextOutput(m.opts).map(scalar('@x', int(1)));
  t.is(m.out(), '@x: 1\n');
});
