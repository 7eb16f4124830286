import test from 'ava';
import { byteChar, byteLength, decodeBytes, encodeBytes } from '../../../src/contract/bytes.js';
import { decodeStringLiteral } from '../../../src/syntax/literals.js';

test('escapes >= 0x80 are single raw bytes; source text stays UTF-8', (t) => {
  t.deepEqual([...encodeBytes(decodeStringLiteral('"\\xff"').value)], [0xff]);
  t.deepEqual([...encodeBytes(decodeStringLiteral('"\\377\\x41"').value)], [0xff, 0x41]);
  t.deepEqual([...encodeBytes(decodeStringLiteral('"é"').value)], [0xc3, 0xa9]);
  t.deepEqual([...encodeBytes(decodeStringLiteral('"\\xc3\\xa9"').value)], [0xc3, 0xa9]);
  t.is(byteLength(decodeStringLiteral('"a\\x80é😀"').value), 1 + 1 + 2 + 4);
  t.is(byteChar(0x41), 'A');
});

test('decodeBytes keeps valid UTF-8 as text and round-trips any other byte', (t) => {
  const bytes = Buffer.from([0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0xc3, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80]);
  const s = decodeBytes(bytes);
  t.true(s.startsWith('a\udcffé'));
  t.true(s.includes('😀'));
  t.deepEqual([...encodeBytes(s)], [...bytes]);
});
