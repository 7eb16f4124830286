import test from 'ava';
import { inetText } from '../../../runtime/output/rich-values.js';
import { compileFrontend } from '../../../src/compile.js';

test('inetText prints IPv4 and IPv6 as inet_ntop does', (t) => {
  t.is(inetText(2, Uint8Array.from([10, 0, 0, 1])), '10.0.0.1');
  const v6 = new Uint8Array(16);
  v6[15] = 1;
  t.is(inetText(10, v6), '::1');
  const doc = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  t.is(inetText(10, doc), '2001:db8::1');
  const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 0, 1]);
  t.is(inetText(10, mapped), '::ffff:192.168.0.1');
});

function codes(text: string, unsafe = false): string[] {
  return compileFrontend({ name: 'stdin', text }, { unsafe }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

test('library checks: unsafe gating, argument errors', (t) => {
  t.deepEqual(codes('BEGIN { system("true"); }'), ['unsafe-function']);
  t.deepEqual(codes('BEGIN { system("true"); }', true), []);
  t.deepEqual(codes('BEGIN { signal("SIGKILL"); }'), ['unsafe-function']);
  t.deepEqual(codes('BEGIN { @a[1] = 1; @s = 1; $x = has_key(@s, 1); }'), ['invalid-argument']);
  t.deepEqual(codes('BEGIN { @h = hist(1, 7); }'), ['invalid-argument']);
  t.deepEqual(codes('BEGIN { $x = kstack(fast, 3); }'), ['invalid-argument']);
  t.deepEqual(codes('BEGIN { $x = kaddr("no_such_symbol_tsbpf"); }'), ['unknown-symbol']);
  t.deepEqual(codes('BEGIN { @m[1, 2] = 1; delete(@m, (1, 2)); $x = strncmp("a", "b", 1); }'), []);
});
