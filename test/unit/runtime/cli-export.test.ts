import test from 'ava';
import { parseArgs } from '../../../runtime/cli.js';

test('--export takes [HOST]:PORT, in both spellings, and names a bad one', (t) => {
  t.deepEqual(parseArgs(['--export', ':9464', '-e', 'BEGIN {}']).export, { host: undefined, port: 9464 });
  t.deepEqual(parseArgs(['--export=127.0.0.1:9100', '-e', 'BEGIN {}']).export, { host: '127.0.0.1', port: 9100 });
  t.is(parseArgs(['-e', 'BEGIN {}']).export, undefined);
  t.throws(() => parseArgs(['--export', 'localhost', '-e', 'BEGIN {}']), { message: "--export: invalid address 'localhost': expected [HOST]:PORT, e.g. :9464 or 127.0.0.1:9464" });
  t.throws(() => parseArgs(['--export']), { message: "option '--export' requires an argument" });
});
