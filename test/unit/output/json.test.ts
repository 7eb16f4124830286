/**
 * `-f json` output as bpftrace 0.26. Expected lines: EXPECT lines in bpftrace v0.26.1
 * tests/runtime/json-output (exact), and tests/runtime/outputs/*.json (compared as parsed JSON,
 * as bpftrace's runner does; those files are pretty-printed), plus the exact one-line form
 * src/output/json.cpp writes (objects spaced, arrays and histogram buckets unspaced).
 */
import test from 'ava';
import { JsonOutput, jsonInt, jsonString, mapJson } from '../../../runtime/output/json.js';
import { V, type MapDump, type MapEntry, type MapValue, type Value } from '../../../runtime/output/value.js';
import { capture, hist, lhist } from './helpers.js';

const int = (v: number | bigint): MapValue => ({ kind: 'int', value: BigInt(v) });
const e = (key: Value[], value: MapValue): MapEntry => ({ key, value });
const scalar = (name: string, value: MapValue): MapDump => ({ name, entries: [e([], value)] });
const val = (v: Value): MapValue => ({ kind: 'value', value: v });

test('json-output: scalar, scalar_str, complex, map, multiple maps', (t) => {
  t.is(mapJson(scalar('@scalar', int(5))), '{"type": "map", "data": {"@scalar": 5}}\n');
  t.is(mapJson(scalar('@scalar_str', val(V.str('a b \n d e')))), '{"type": "map", "data": {"@scalar_str": "a b \\n d e"}}\n');
  t.is(mapJson({ name: '@complex', entries: [e([V.str('bpftrace'), V.int(2)], int(5))] }), '{"type": "map", "data": {"@complex": {"bpftrace,2": 5}}}\n');
  t.is(
    mapJson({ name: '@map', entries: [e([V.str('key2')], int(3)), e([V.str('key1')], int(2))] }),
    '{"type": "map", "data": {"@map": {"key1": 2, "key2": 3}}}\n',
  );
  // outputs/multiple_maps.ndjson
  t.deepEqual(JSON.parse(mapJson({ name: '@map1', entries: [e([V.str('key1')], int(2))] })), { type: 'map', data: { '@map1': { key1: 2 } } });
});

test('json-output: tuples, records, values', (t) => {
  t.is(mapJson(scalar('@', val(V.tuple(V.int(1), V.int(2), V.str('string'), V.tuple(V.int(4), V.int(5)))))), '{"type": "map", "data": {"@": [1,2,"string",[4,5]]}}\n');
  t.is(mapJson(scalar('@', val(V.tuple(V.int(0), V.record({ m: V.int(2), n: V.int(3) }))))), '{"type": "map", "data": {"@": [0,{"m": 2, "n": 3}]}}\n');
  t.is(mapJson(scalar('@', val(V.tuple(V.int(1), V.int(2), V.str('string with "quotes"'))))), '{"type": "map", "data": {"@": [1,2,"string with \\"quotes\\""]}}\n');
  t.is(
    mapJson(scalar('@a', val(V.record({ a: V.int(0), b: V.int(1), c: V.str('str'), d: V.tuple(V.int(5), V.int(6)), e: V.record({ x: V.int(1), y: V.int(2) }) })))),
    '{"type": "map", "data": {"@a": {"a": 0, "b": 1, "c": "str", "d": [5,6], "e": {"x": 1, "y": 2}}}}\n',
  );
  // print_hex_values: pointers are numbers in JSON
  t.is(mapJson(scalar('@', val(V.ptr(0x32)))), '{"type": "map", "data": {"@": 50}}\n');
  const c = capture();
  const o = new JsonOutput(c.opts);
  o.value(V.int(5));
  o.value(V.str('bpftrace'));
  o.value(V.tuple(V.int(1), V.int(2), V.str('string')));
  o.value(V.record({ y: V.record({ m: V.array(V.int(2)) }), a: V.record({ n: V.int(3) }) }));
  o.value(V.record({ m: V.int(2), n: V.record({ i: V.int(5), f: V.none() }) }));
  o.value(V.tuple(V.bool(true), V.bool(false)));
  o.value(V.sym('FOO', 333));
  t.is(
    c.out(),
    [
      '{"type": "value", "data": 5}',
      '{"type": "value", "data": "bpftrace"}',
      '{"type": "value", "data": [1,2,"string"]}',
      '{"type": "value", "data": {"y": {"m": [2]}, "a": {"n": 3}}}',
      '{"type": "value", "data": {"m": 2, "n": {"i": 5, "f": null}}}',
      '{"type": "value", "data": [true,false]}',
      '{"type": "value", "data": 333}',
      '',
    ].join('\n'),
  );
});

test('json: stacks, buffers, keys with spaces', (t) => {
  t.is(mapJson({ name: '@', entries: [e([V.stack(['f1+1'])], int(2))] }), '{"type": "map", "data": {"@": {"\\nf1+1\\n": 2}}}\n');
  t.is(mapJson(scalar('@s', val(V.stack(['f1+1'])))), '{"type": "map", "data": {"@s": "\\n        f1+1\\n"}}\n');
  t.is(mapJson(scalar('@b', val(V.buffer([104, 105, 255])))), '{"type": "map", "data": {"@b": [104,105,-1]}}\n');
  // json.cpp erases every space from the key text
  t.is(mapJson({ name: '@t', entries: [e([V.int(1), V.str('a b')], int(1))] }), '{"type": "map", "data": {"@t": {"1,ab": 1}}}\n');
});

test('json: integers not exactly representable as a double are strings', (t) => {
  t.is(jsonInt(2n ** 53n), '9007199254740992');
  t.is(jsonInt(2n ** 53n + 1n), '"9007199254740993"');
  t.is(jsonInt(-(2n ** 63n)), '-9223372036854775808');
  t.is(jsonInt(2n ** 63n - 1n), '"9223372036854775807"');
  t.is(jsonInt(18446744073709551605n), '"18446744073709551605"');
  t.is(mapJson(scalar('@x', int(18446744073709551605n))), '{"type": "map", "data": {"@x": "18446744073709551605"}}\n');
});

test('json: string escaping (printf_escaping)', (t) => {
  const c = capture();
  new JsonOutput(c.opts).printf('test \r \n \t \\ " bar');
  t.is(c.out(), '{"type": "printf", "data": "test \\r \\n \\t \\\\ \\" bar"}\n');
  t.is(jsonString('a\x01\x1b[31m\x7fé'), '"a\\u0001\\u001b[31m\x7fé"');
});

test('json-output: stats and avg', (t) => {
  t.is(mapJson(scalar('@stats', { kind: 'stats', count: 2n, average: 6n, total: 12n })), '{"type": "stats", "data": {"@stats": {"count": 2, "average": 6, "total": 12}}}\n');
  t.is(
    mapJson({
      name: '@stats',
      entries: [e([V.str('zsh')], { kind: 'stats', count: 1n, average: 10n, total: 10n }), e([V.str('curl')], { kind: 'stats', count: 1n, average: 2n, total: 2n })],
    }),
    '{"type": "stats", "data": {"@stats": {"curl": {"count": 1, "average": 2, "total": 2}, "zsh": {"count": 1, "average": 10, "total": 10}}}}\n',
  );
  const avg: MapDump = { name: '@', entries: ['a', 'b', 'c', 'd'].map((k, i) => e([V.str(k)], { kind: 'avg', value: BigInt(10 * (i + 1)) })) };
  t.is(mapJson(avg, { top: 2, div: 10 }), '{"type": "stats", "data": {"@": {"c": 3, "d": 4}}}\n'); // print_avg_map_args
  t.is(mapJson(avg, { top: 10, div: 10 }), '{"type": "stats", "data": {"@": {"a": 1, "b": 2, "c": 3, "d": 4}}}\n'); // print_avg_map_with_large_top
  t.is(mapJson(scalar('@a', { kind: 'avg', value: 15n })), '{"type": "stats", "data": {"@a": 15}}\n');
});

test('json: empty maps', (t) => {
  t.is(mapJson({ name: '@c', entries: [] }), '');
  t.is(mapJson({ name: '@h', entries: [], kind: 'hist' }), '');
  // an empty avg/stats map is still wrapped in Stats by bpftrace, so it prints {}
  t.is(mapJson({ name: '@a', entries: [], kind: 'avg' }), '{"type": "stats", "data": {"@a": {}}}\n');
});

const histLine = (name: string, data: string) => `{"type": "hist", "data": {"${name}": ${data}}}\n`;

test('json-output: histogram (outputs/hist.json)', (t) => {
  const line = mapJson(scalar('@hist', hist([2, 1025])));
  const buckets = [
    '{"min": 2, "max": 3, "count": 1}',
    '{"min": 4, "max": 7, "count": 0}',
    '{"min": 8, "max": 15, "count": 0}',
    '{"min": 16, "max": 31, "count": 0}',
    '{"min": 32, "max": 63, "count": 0}',
    '{"min": 64, "max": 127, "count": 0}',
    '{"min": 128, "max": 255, "count": 0}',
    '{"min": 256, "max": 511, "count": 0}',
    '{"min": 512, "max": 1023, "count": 0}',
    '{"min": 1024, "max": 2047, "count": 1}',
  ];
  t.is(line, histLine('@hist', '[' + buckets.join(',') + ']'));
  t.is(mapJson(scalar('@hist', { kind: 'hist', buckets: new Array(65).fill(0n) })), histLine('@hist', '[]')); // hist_zero.json
  t.deepEqual(JSON.parse(mapJson(scalar('@', hist([10n * 1024n ** 3n])))), { type: 'hist', data: { '@': [{ min: 8589934592, max: 17179869183, count: 1 }] } }); // hist_10g.json
});

test('json-output: multiple histograms (outputs/hist_multiple*.json)', (t) => {
  const d: MapDump = {
    name: '@',
    entries: [e([V.str('curl')], hist([-1, 0, 511, 1024, 1025])), e([V.str('bpftrace')], hist([2]))],
  };
  const zero = (min: number, max: number) => ({ min, max, count: 0 });
  t.deepEqual(JSON.parse(mapJson(d)), {
    type: 'hist',
    data: {
      '@': {
        bpftrace: [{ min: 2, max: 3, count: 1 }],
        curl: [
          { max: -1, count: 1 },
          { min: 0, max: 0, count: 1 },
          zero(1, 1),
          zero(2, 3),
          zero(4, 7),
          zero(8, 15),
          zero(16, 31),
          zero(32, 63),
          zero(64, 127),
          zero(128, 255),
          { min: 256, max: 511, count: 1 },
          zero(512, 1023),
          { min: 1024, max: 2047, count: 2 },
        ],
      },
    },
  });
  t.true(mapJson(d).startsWith('{"type": "hist", "data": {"@": {"bpftrace": [{"min": 2, "max": 3, "count": 1}], "curl": [{"max": -1, "count": 1},{"min": 0, "max": 0, "count": 1},'));
  const mk: MapDump = {
    name: '@',
    entries: [e([V.str('curl'), V.int(3)], hist([511, 1024])), e([V.str('bpftrace'), V.int(2)], hist([2]))],
  };
  t.deepEqual(JSON.parse(mapJson(mk)), {
    type: 'hist',
    data: { '@': { 'bpftrace,2': [{ min: 2, max: 3, count: 1 }], 'curl,3': [{ min: 256, max: 511, count: 1 }, zero(512, 1023), { min: 1024, max: 2047, count: 1 }] } },
  });
  // print_hist_with_top_arg / print_hist_with_large_top_arg (ties keep the decoder's order)
  const top: MapDump = { name: '@', entries: [e([V.int(1)], hist([10])), e([V.int(2)], hist([20])), e([V.int(3)], hist([30]))] };
  t.is(mapJson(top, { top: 2 }), '{"type": "hist", "data": {"@": {"2": [{"min": 16, "max": 31, "count": 1}], "3": [{"min": 16, "max": 31, "count": 1}]}}}\n');
  t.is(
    mapJson(top, { top: 10 }),
    '{"type": "hist", "data": {"@": {"1": [{"min": 8, "max": 15, "count": 1}], "2": [{"min": 16, "max": 31, "count": 1}], "3": [{"min": 16, "max": 31, "count": 1}]}}}\n',
  );
});

// outputs/hist_2args.json: begin { $i = 0; while ($i < 1024) { @ = hist($i, 3); $i++; } }
test('json-output: histogram-finegrain (hist_2args.json)', (t) => {
  const values = Array.from({ length: 1024 }, (_, i) => i);
  const expected: { min: number; max: number; count: number }[] = [];
  for (let i = 0; i < 16; i++) expected.push({ min: i, max: i, count: 1 });
  for (let p = 16; p < 1024; p *= 2) {
    const w = p / 8;
    for (let j = 0; j < 8; j++) expected.push({ min: p + j * w, max: p + (j + 1) * w - 1, count: w });
  }
  const line = mapJson(scalar('@', hist(values, 3)));
  t.deepEqual(JSON.parse(line), { type: 'hist', data: { '@': expected } });
  t.true(line.startsWith('{"type": "hist", "data": {"@": [{"min": 0, "max": 0, "count": 1},{"min": 1, "max": 1, "count": 1},'));
  t.true(line.includes('{"min": 16, "max": 17, "count": 2},{"min": 18, "max": 19, "count": 2}'));
  t.true(line.endsWith('{"min": 960, "max": 1023, "count": 64}]}}\n'));
});

test('json-output: linear histograms (outputs/lhist*.json)', (t) => {
  const zero = (min: number) => ({ min, max: min + 9, count: 0 });
  t.deepEqual(JSON.parse(mapJson(scalar('@h', lhist([2, 50, 1000], 0, 100, 10)))), {
    type: 'hist',
    data: { '@h': [{ min: 0, max: 9, count: 1 }, zero(10), zero(20), zero(30), zero(40), { min: 50, max: 59, count: 1 }, zero(60), zero(70), zero(80), zero(90), { min: 100, count: 1 }] },
  });
  t.true(mapJson(scalar('@h', lhist([2, 50, 1000], 0, 100, 10))).endsWith('{"min": 90, "max": 99, "count": 0},{"min": 100, "count": 1}]}}\n'));
  const z = lhist([2], 0, 100, 10) as Extract<MapValue, { kind: 'lhist' }>;
  t.is(mapJson(scalar('@h', { ...z, buckets: z.buckets.map(() => 0n) })), histLine('@h', '[]')); // lhist_zero.json
  const m: MapDump = {
    name: '@stats',
    entries: [e([V.str('bpftrace')], lhist([2, 1000], 0, 100, 10)), e([V.str('curl')], lhist([50], 0, 100, 10))],
  };
  t.deepEqual(JSON.parse(mapJson(m)), {
    type: 'hist',
    data: {
      '@stats': {
        curl: [{ min: 50, max: 59, count: 1 }],
        bpftrace: [{ min: 0, max: 9, count: 1 }, zero(10), zero(20), zero(30), zero(40), zero(50), zero(60), zero(70), zero(80), zero(90), { min: 100, count: 1 }],
      },
    },
  });
  // underflow bucket: no min; max is min - 1
  t.is(mapJson(scalar('@l', lhist([-5], 0, 10, 2))), histLine('@l', '[{"max": -1, "count": 1}]'));
});

test('JsonOutput events', (t) => {
  const c = capture();
  const o = new JsonOutput(c.opts);
  o.attachedProbes(1);
  o.printf('test 5');
  o.time('16:18:56\n');
  o.syscall('a b c\n');
  o.join("/bin/echo,'A'");
  o.cat('1.0 2.0\n');
  o.lostEvents(5);
  o.totalLostEvents(5);
  o.warnf('careful', [{ filename: 'stdin', line: 1, col: 9, text: 'stdin:1:9-20' }]);
  o.errorf('bad', [{ filename: 'stdin', line: 2, col: 3, text: 'stdin:2:3-9' }]);
  o.mapsHeader();
  o.map(scalar('@x', int(1)));
  t.is(
    c.out(),
    [
      '{"type": "attached_probes", "count": 1, "data": {"probes": 1}}',
      '{"type": "printf", "data": "test 5"}',
      '{"type": "time", "data": "16:18:56\\n"}',
      '{"type": "syscall", "data": "a b c\\n"}',
      '{"type": "join", "data": "/bin/echo,\'A\'"}',
      '{"type": "cat", "data": "1.0 2.0\\n"}',
      '{"type": "lost_events", "count": 5, "data": {"events": 5}}',
      '{"type": "warnf", "msg": "careful", "filename": "stdin", "line": 1, "col": 9}',
      '{"type": "errorf", "msg": "bad", "filename": "stdin", "line": 2, "col": 3}',
      '{"type": "map", "data": {"@x": 1}}',
      '',
    ].join('\n'),
  );
  t.is(c.err(), 'WARNING: Total lost event count: 5\n');
});
