import test from 'ava';
import {
  V,
  histBucketCount,
  histBucketIndex,
  histBucketLowerBound,
  keyText,
  lhistBucketCount,
  lhistBucketIndex,
  valueText,
} from '../../../runtime/output/value.js';

// Reference: the algorithm comment in bpftrace v0.26.1 src/ast/passes/codegen_llvm.cpp
// (createLog2Function), e.g. "if VAL = 225 (0b11100001) and K = 2 ... the returned value is 28".
test('histBucketIndex matches bpftrace log2 (k = 0)', (t) => {
  const cases: [bigint, number][] = [
    [-1n, 0],
    [-(2n ** 63n), 0],
    [0n, 1],
    [1n, 2],
    [2n, 3],
    [3n, 3],
    [4n, 4],
    [7n, 4],
    [8n, 5],
    [100n, 8],
    [1023n, 11],
    [1024n, 12],
    [1500n, 12],
    [2n ** 62n, 64],
    [2n ** 63n - 1n, 64],
    // values are taken as signed 64-bit: 2^64 - 1 is -1
    [2n ** 64n - 1n, 0],
  ];
  for (const [v, idx] of cases) t.is(histBucketIndex(v), idx, `hist(${v})`);
});

test('histBucketIndex with k bits', (t) => {
  t.is(histBucketIndex(225n, 2), 28); // the codegen_llvm.cpp example
  // k = 1: [0] [1] [2] [3] [4,6) [6,8) [8,12) [12,16)
  const k1 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16].map((v) => histBucketIndex(BigInt(v), 1));
  t.deepEqual(k1, [1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9]);
  t.is(histBucketIndex(2n ** 63n - 1n, 5), histBucketCount(5) - 1);
  t.is(histBucketIndex(2n ** 63n - 1n, 3), histBucketCount(3) - 1);
});

test('histBucketCount and lower bounds', (t) => {
  t.is(histBucketCount(0), 65);
  t.is(histBucketCount(5), 1889); // bpftrace sizes its arrays 65 * 32 = 2080
  t.is(histBucketLowerBound(1), 0n);
  t.is(histBucketLowerBound(3), 2n);
  t.is(histBucketLowerBound(12), 1024n);
  t.is(histBucketLowerBound(5, 1), 4n);
  t.is(histBucketLowerBound(7, 1), 8n);
  // every bucket's lower bound maps back to that bucket
  for (const k of [0, 1, 2, 3, 4, 5]) {
    for (let i = 1; i < histBucketCount(k); i++) {
      const lo = histBucketLowerBound(i, k);
      t.is(histBucketIndex(lo, k), i);
      if (i > 1) t.is(histBucketIndex(lo - 1n, k), i - 1);
    }
  }
});

// Reference: bpftrace v0.26.1 codegen_llvm.cpp createLinearFunction.
test('lhistBucketIndex matches bpftrace linear()', (t) => {
  const idx = (v: number) => lhistBucketIndex(BigInt(v), 0n, 10n, 2n);
  t.is(lhistBucketCount(0n, 10n, 2n), 7);
  t.deepEqual([-5, -1, 0, 1, 2, 9, 10, 11, 1000].map(idx), [0, 0, 1, 1, 2, 5, 6, 6, 6]);
  // range not a multiple of step: 9 and 10 land in the overflow bucket too
  t.deepEqual([8, 9, 10, 11].map((v) => lhistBucketIndex(BigInt(v), 0n, 10n, 3n)), [3, 4, 4, 4]);
  t.is(lhistBucketCount(0n, 10n, 3n), 5);
  t.is(lhistBucketIndex(650000n, 610000n, 670000n, 10000n), 5);
});

test('valueText: text forms from bpftrace 0.26 tests/runtime', (t) => {
  t.is(valueText(V.tuple(V.int(1), V.tuple(V.int(2), V.str('XXXX')))), '(1, (2, XXXX))'); // call:201
  t.is(valueText(V.array(V.array(V.int(5), V.int(6)), V.array(V.int(7), V.int(8)))), '[[5,6],[7,8]]'); // call:564
  t.is(valueText(V.tuple(V.int(1), V.record({ m: V.int(2), n: V.int(3) }))), '(1, { .m = 2, .n = 3 })'); // tuples:73
  t.is(valueText(V.record([])), '{}');
  t.is(valueText(V.bool(true)), 'true');
  t.is(valueText(V.none()), 'null');
  t.is(valueText(V.ptr(1)), '0x1'); // call:536
  t.is(valueText(V.buffer([111, 107, 0])), 'ok\\x00'); // call:294
  t.is(valueText(V.stack(['a+1', 'b+2'])), '\n        a+1\n        b+2\n');
  t.is(valueText(V.stack(['\tffff a+1'], 'perf')), '\n\tffff a+1\n');
  t.is(keyText([V.int(1), V.str('foo')]), '1, foo');
  t.is(keyText([V.tuple(V.int(1), V.str('hello'))]), '1, hello'); // tuples:23
  t.is(keyText([V.int(1), V.tuple(V.int(123), V.int(1234))]), '1, (123, 1234)'); // tuples:48
  t.is(keyText([V.str('(x)')]), 'x'); // text.cpp strips any enclosing parens
});
