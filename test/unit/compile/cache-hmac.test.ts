/**
 * The compile cache's HMAC-SHA256 on a hit is computed by the native add-on (node's own OpenSSL,
 * native/src/hmac.cc) while entries are written with node:crypto (runtime/compile/compile-cache.ts):
 * both must give the same MAC for any key and body, and the check must refuse every other MAC.
 */
import test from 'ava';
import { createHmac, randomBytes } from 'node:crypto';
import { bpf } from '../../../native/index.js';

const BODIES = [Buffer.alloc(0), Buffer.from('{"key":"x"}'), randomBytes(1), randomBytes(63), randomBytes(64), randomBytes(65), randomBytes(100_000)];
const KEYS = [randomBytes(32), Buffer.alloc(32), randomBytes(64), randomBytes(65)];

test('the add-on HMAC-SHA256 is node:crypto createHmac', (t) => {
  for (const key of KEYS) {
    for (const body of BODIES) {
      const expected = createHmac('sha256', key).update(body).digest();
      t.deepEqual(bpf.hmacSha256(key, body), expected, `key ${key.length} bytes, body ${body.length} bytes`);
      t.true(bpf.hmacSha256Verify(key, body, expected));
    }
  }
});

test('the add-on check refuses another MAC, key or body, and a MAC of the wrong length', (t) => {
  const key = randomBytes(32);
  const body = Buffer.from('{"key":"tsbpf","script":{}}');
  const mac = createHmac('sha256', key).update(body).digest();
  for (let i = 0; i < mac.length; i += 7) {
    const flipped = Buffer.from(mac);
    flipped[i] ^= 1;
    t.false(bpf.hmacSha256Verify(key, body, flipped), `byte ${i} flipped`);
  }
  const otherKey = Buffer.from(key);
  otherKey[0] ^= 0x80;
  t.false(bpf.hmacSha256Verify(otherKey, body, mac));
  t.false(bpf.hmacSha256Verify(key, Buffer.concat([body, Buffer.from(' ')]), mac));
  t.false(bpf.hmacSha256Verify(key, body, mac.subarray(0, 31)));
  t.false(bpf.hmacSha256Verify(key, body, Buffer.concat([mac, Buffer.alloc(1)])));
  t.false(bpf.hmacSha256Verify(key, body, Buffer.alloc(0)));
});
