import test from 'ava';
import { decodeStringLiteral, parseIntLiteral } from '../../../src/syntax/literals.js';

test('parseIntLiteral: values', (t) => {
  const ok: [string, bigint][] = [
    ['0', 0n], ['7', 7n], ['00', 0n], ['0777', 511n], ['0x0', 0n], ['0xDEAD_BEEF', 0xdeadbeefn], ['0b1_0', 2n],
    ['1_2_3', 123n], ['3e0', 3n], ['1_0e1_0', 100_000_000_000n], ['0xffffffffffffffff', 0xffffffffffffffffn],
    ['10U', 10n], ['10l', 10n], ['10LU', 10n], ['10uLL', 10n], ['1ns', 1n], ['3us', 3000n], ['2ms', 2_000_000n],
    ['1_000ms', 1_000_000_000n], ['0x10L', 16n],
  ];
  for (const [raw, v] of ok) t.deepEqual(parseIntLiteral(raw), { value: v }, raw);
});

test('parseIntLiteral: errors', (t) => {
  for (const raw of ['08', '0_9', '1_', '_1', '1__2', '0x', '0xg', '0b', '0b102', '1e', 'e1', '1e1e1', '12abc', '1sm', '0x10s',
    '18446744073709551616', '1e20', '1e50', '300d' + '0'.repeat(10), '5ULLL']) {
    t.true('error' in parseIntLiteral(raw), raw);
  }
});

test('decodeStringLiteral: escapes', (t) => {
  const cases: [string, string][] = [
    ['"plain"', 'plain'],
    ['"\\n\\t\\r\\\\\\"\\\'"', '\n\t\r\\"\''],
    ['"\\a\\b\\f\\v\\e"', '\x07\b\f\v\x1b'],
    ['"\\0"', '\0'],
    ['"\\00"', '\0'],
    ['"\\101\\0101"', 'A\x081'],
    ['"\\x41\\x4a\\x4A\\x7"', 'AJJ\x07'],
    ['"\\x414"', 'A4'],
    ['"caf\u00e9"', 'caf\u00e9'],
  ];
  for (const [raw, value] of cases) t.deepEqual(decodeStringLiteral(raw), { value, errors: [] }, raw);
});

test('decodeStringLiteral: errors carry offsets', (t) => {
  const r = decodeStringLiteral('"ab\\qc"');
  t.is(r.value, 'abc');
  t.deepEqual(r.errors.map((e) => [e.start, e.end]), [[3, 5]]);
  t.deepEqual(decodeStringLiteral('"\\400"').errors.map((e) => e.start), [1]);
  t.deepEqual(decodeStringLiteral('"\\xg"').errors.map((e) => e.start), [1]);
});

test('decodeStringLiteral: unterminated literals decode what is there', (t) => {
  t.is(decodeStringLiteral('"abc').value, 'abc');
  t.is(decodeStringLiteral('"abc\\"').value, 'abc"');
  t.is(decodeStringLiteral('"').value, '');
});
