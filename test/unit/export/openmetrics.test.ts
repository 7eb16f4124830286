/**
 * The Prometheus export's rendering (runtime/export/openmetrics.ts) and naming
 * (runtime/export/metric-names.ts), without a kernel: decoded maps in, exposition text out.
 */
import test from 'ava';
import { metricsUrl, parseExportAddress } from '../../../runtime/export/address.js';
import { escapeLabelValue, keyLabelNames, metricBaseName } from '../../../runtime/export/metric-names.js';
import { negotiateFormat, renderExposition, type ExpositionOptions } from '../../../runtime/export/openmetrics.js';
import { V, type MapDump, type MapEntry, type MapValue, type Value } from '../../../runtime/output/value.js';

const e = (key: Value[], value: MapValue): MapEntry => ({ key, value });
const om: ExpositionOptions = { format: 'openmetrics', maxSeries: 1000 };
const prom: ExpositionOptions = { format: 'prometheus', maxSeries: 1000 };

test('count() is a counter with the key as a label; the two formats name it as each wants', (t) => {
  const calls: MapDump = { name: '@', entries: [e([V.str('bash')], { kind: 'int', value: 5n, agg: 'count' }), e([V.str('sshd')], { kind: 'int', value: 2n, agg: 'count' })] };
  t.is(
    renderExposition([calls], om),
    ['# HELP tsbpf_map tsbpf map @', '# TYPE tsbpf_map counter', 'tsbpf_map_total{map="@",key="bash"} 5', 'tsbpf_map_total{map="@",key="sshd"} 2', '# EOF', ''].join('\n'),
  );
  t.is(
    renderExposition([calls], prom),
    ['# HELP tsbpf_map_total tsbpf map @', '# TYPE tsbpf_map_total counter', 'tsbpf_map_total{map="@",key="bash"} 5', 'tsbpf_map_total{map="@",key="sshd"} 2', ''].join('\n'),
  );
});

test('sum() is a counter; assignments, min() and max() are gauges; several keys are key0, key1', (t) => {
  const text = renderExposition(
    [
      { name: '@bytes', entries: [e([V.int(42), V.str('cat')], { kind: 'int', value: 1500n, agg: 'sum' })] },
      { name: '@last', entries: [e([], { kind: 'int', value: -3n })] },
      { name: '@lo', entries: [e([V.int(1)], { kind: 'int', value: 7n, agg: 'min' })] },
      { name: '@hi', entries: [e([], { kind: 'int', value: 9n, agg: 'max' })] },
    ],
    prom,
  );
  t.true(text.includes('# TYPE tsbpf_bytes_total counter\ntsbpf_bytes_total{map="@bytes",key0="42",key1="cat"} 1500\n'), text);
  t.true(text.includes('# TYPE tsbpf_last gauge\ntsbpf_last{map="@last"} -3\n'), text);
  t.true(text.includes('# TYPE tsbpf_lo gauge\ntsbpf_lo{map="@lo",key="1"} 7\n'), text);
  t.true(text.includes('# TYPE tsbpf_hi gauge\ntsbpf_hi{map="@hi"} 9\n'), text);
});

test('avg() and stats() are three gauges: count, sum, avg', (t) => {
  const text = renderExposition(
    [
      { name: '@a', entries: [e([V.str('x')], { kind: 'avg', value: 3n, count: 4n, total: 14n })] },
      { name: '@s', entries: [e([], { kind: 'stats', count: 2n, average: -5n, total: -10n })] },
    ],
    om,
  );
  t.is(
    text,
    [
      '# HELP tsbpf_a_count tsbpf map @a: number of values', '# TYPE tsbpf_a_count gauge', 'tsbpf_a_count{map="@a",key="x"} 4',
      '# HELP tsbpf_a_sum tsbpf map @a: total of the values', '# TYPE tsbpf_a_sum gauge', 'tsbpf_a_sum{map="@a",key="x"} 14',
      '# HELP tsbpf_a_avg tsbpf map @a: average value', '# TYPE tsbpf_a_avg gauge', 'tsbpf_a_avg{map="@a",key="x"} 3',
      '# HELP tsbpf_s_count tsbpf map @s: number of values', '# TYPE tsbpf_s_count gauge', 'tsbpf_s_count{map="@s"} 2',
      '# HELP tsbpf_s_sum tsbpf map @s: total of the values', '# TYPE tsbpf_s_sum gauge', 'tsbpf_s_sum{map="@s"} -10',
      '# HELP tsbpf_s_avg tsbpf map @s: average value', '# TYPE tsbpf_s_avg gauge', 'tsbpf_s_avg{map="@s"} -5',
      '# EOF', '',
    ].join('\n'),
  );
});

test('hist() is a histogram with cumulative buckets up to the last non-empty one, le inclusive', (t) => {
  // Buckets: 0 = negatives, 1 = [0], 2 = [1], 3 = [2, 4), 4 = [4, 8), 5 = [8, 16).
  const h: MapDump = { name: '@h', entries: [e([], { kind: 'hist', buckets: [1n, 0n, 2n, 0n, 3n, 0n, 0n], bits: 0 })] };
  t.is(
    renderExposition([h], om),
    [
      '# HELP tsbpf_h tsbpf map @h', '# TYPE tsbpf_h histogram',
      'tsbpf_h_bucket{map="@h",le="-1"} 1', 'tsbpf_h_bucket{map="@h",le="0"} 1', 'tsbpf_h_bucket{map="@h",le="1"} 3',
      'tsbpf_h_bucket{map="@h",le="3"} 3', 'tsbpf_h_bucket{map="@h",le="7"} 6', 'tsbpf_h_bucket{map="@h",le="+Inf"} 6',
      'tsbpf_h_count{map="@h"} 6', '# EOF', '',
    ].join('\n'),
  );
  // hist(v, 1): two sub-buckets per power of two: 5 = [4, 6), 6 = [6, 8).
  const h1 = renderExposition([{ name: '@b', entries: [e([V.str('k')], { kind: 'hist', buckets: [0n, 0n, 0n, 0n, 0n, 0n, 4n], bits: 1 })] }], prom);
  t.true(h1.includes('tsbpf_b_bucket{map="@b",key="k",le="5"} 0\ntsbpf_b_bucket{map="@b",key="k",le="7"} 4\ntsbpf_b_bucket{map="@b",key="k",le="+Inf"} 4\n'), h1);
});

test('lhist() lists its underflow and every in-range bucket; the overflow bucket is +Inf', (t) => {
  // lhist(v, 0, 30, 10): 0 = (< 0), 1 = [0, 10), 2 = [10, 20), 3 = [20, 30), 4 = [30, ...).
  const l: MapDump = { name: '@l', entries: [e([], { kind: 'lhist', min: 0n, max: 30n, step: 10n, buckets: [0n, 2n, 0n, 1n, 5n] })] };
  t.is(
    renderExposition([l], prom),
    [
      '# HELP tsbpf_l tsbpf map @l', '# TYPE tsbpf_l histogram',
      'tsbpf_l_bucket{map="@l",le="-1"} 0', 'tsbpf_l_bucket{map="@l",le="9"} 2', 'tsbpf_l_bucket{map="@l",le="19"} 2',
      'tsbpf_l_bucket{map="@l",le="29"} 3', 'tsbpf_l_bucket{map="@l",le="+Inf"} 8', 'tsbpf_l_count{map="@l"} 8', '',
    ].join('\n'),
  );
});

test('maps without numbers or entries are left out; label values are escaped', (t) => {
  const text = renderExposition(
    [
      { name: '@name', entries: [e([V.int(1)], { kind: 'value', value: V.str('bash') })] },
      { name: '@empty', entries: [] },
      { name: '@q', entries: [e([V.str('a "b"\\c\nd')], { kind: 'int', value: 1n })] },
    ],
    om,
  );
  t.is(text, '# HELP tsbpf_q tsbpf map @q\n# TYPE tsbpf_q gauge\ntsbpf_q{map="@q",key="a \\"b\\"\\\\c\\nd"} 1\n# EOF\n');
  t.is(renderExposition([], prom), '');
  t.is(renderExposition([], om), '# EOF\n');
});

test('export_max_series keeps the largest keys of a map and reports the cut', (t) => {
  const entries = [3n, 9n, 1n, 7n].map((v, i) => e([V.int(i)], { kind: 'int', value: v, agg: 'count' }));
  const cuts: [string, number, number][] = [];
  const text = renderExposition([{ name: '@c', entries }], { ...prom, maxSeries: 2, onTruncated: (m, keys, kept) => cuts.push([m, keys, kept]) });
  t.deepEqual(text.split('\n').filter((l) => !l.startsWith('#') && l), ['tsbpf_c_total{map="@c",key="3"} 7', 'tsbpf_c_total{map="@c",key="1"} 9']);
  t.deepEqual(cuts, [['@c', 4, 2]]);
});

test('a map whose metric names another map already uses is left out, with its reason', (t) => {
  const clashes: [string, string][] = [];
  const text = renderExposition(
    [
      { name: '@a', entries: [e([], { kind: 'avg', value: 1n, count: 1n, total: 1n })] },
      { name: '@a_count', entries: [e([], { kind: 'int', value: 1n })] },
    ],
    { ...prom, onNameClash: (m, other) => clashes.push([m, other]) },
  );
  t.false(text.includes('map="@a_count"'));
  t.deepEqual(clashes, [['@a_count', '@a']]);
});

test('names: @ and @name, key labels from records, tuples and several keys', (t) => {
  t.is(metricBaseName('@'), 'tsbpf_map');
  t.is(metricBaseName('@rx_bytes'), 'tsbpf_rx_bytes');
  t.deepEqual(keyLabelNames([V.str('bash')]), ['key']);
  t.deepEqual(keyLabelNames([V.int(1), V.str('x')]), ['key0', 'key1']);
  t.deepEqual(keyLabelNames([V.tuple(V.int(1), V.str('x'))]), ['key0', 'key1']);
  t.deepEqual(keyLabelNames([V.record({ pid: V.int(1), comm: V.str('x') })]), ['pid', 'comm']);
  // Names the export sets itself, or not usable as label names, are positional.
  t.deepEqual(keyLabelNames([V.record({ map: V.int(1), comm: V.str('x') })]), ['key0', 'comm']);
  t.deepEqual(keyLabelNames([V.record({ key1: V.int(1), b: V.str('x') })]), ['key1', 'b']);
  // `map` falls back to key0, which a later field also names: positional throughout.
  t.deepEqual(keyLabelNames([V.record({ map: V.int(1), key0: V.str('x') })]), ['key0', 'key1']);
  t.is(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

test('keys are labelled as the script writes them when the compiler knows every part', (t) => {
  t.deepEqual(keyLabelNames([V.str('bash')], ['comm']), ['comm']);
  t.deepEqual(keyLabelNames([V.str('bash'), V.int(4)], ['comm', 'pid']), ['comm', 'pid']);
  t.deepEqual(keyLabelNames([V.tuple(V.str('bash'), V.int(4))], ['comm', 'pid']), ['comm', 'pid']);
  // Unusable or reserved names, or a count that does not fit the key: the positional names.
  t.deepEqual(keyLabelNames([V.str('bash')], ['le']), ['key']);
  t.deepEqual(keyLabelNames([V.str('bash'), V.int(4)], ['comm']), ['key0', 'key1']);
  const dump: MapDump = { name: '@', keyNames: ['comm'], entries: [e([V.str('bash')], { kind: 'int', value: 3n, agg: 'count' })] };
  t.true(renderExposition([dump], prom).includes('tsbpf_map_total{map="@",comm="bash"} 3\n'));
});

test('a stack key is one label, its frames one per line', (t) => {
  const text = renderExposition([{ name: '@s', entries: [e([V.stack(['f1+4', 'main+10'])], { kind: 'int', value: 2n, agg: 'count' })] }], prom);
  t.true(text.includes('tsbpf_s_total{map="@s",key="f1+4\\nmain+10"} 2\n'), text);
});

test('the format follows the Accept header', (t) => {
  t.is(negotiateFormat('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), 'openmetrics');
  t.is(negotiateFormat('*/*'), 'prometheus');
  t.is(negotiateFormat(undefined), 'prometheus');
});

test('--export addresses', (t) => {
  t.deepEqual(parseExportAddress(':9464'), { host: undefined, port: 9464 });
  t.deepEqual(parseExportAddress('9464'), { host: undefined, port: 9464 });
  t.deepEqual(parseExportAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  t.deepEqual(parseExportAddress('[::1]:9464'), { host: '::1', port: 9464 });
  t.deepEqual(parseExportAddress('localhost:80'), { host: 'localhost', port: 80 });
  t.throws(() => parseExportAddress('127.0.0.1'), { message: "invalid address '127.0.0.1': expected [HOST]:PORT, e.g. :9464 or 127.0.0.1:9464" });
  t.throws(() => parseExportAddress(':70000'), { message: "invalid address ':70000': port 70000 is out of range (0-65535)" });
  t.throws(() => parseExportAddress('::1:9464'));
  t.is(metricsUrl('::1', 9464), 'http://[::1]:9464/metrics');
  t.is(metricsUrl('127.0.0.1', 80), 'http://127.0.0.1:80/metrics');
});
