import test from 'ava';
import { bareMapName, helpText, parseCommand, parseDuration, SHELL_COMMANDS } from '../../../runtime/shell/repl-commands.js';

test('bare map names print maps', (t) => {
  t.is(bareMapName('@x'), '@x');
  t.is(bareMapName('  @count_1  '), '@count_1');
  t.is(bareMapName('@'), '@');
  t.is(bareMapName('@x = 1'), undefined);
  t.is(bareMapName('@1x'), undefined);
  t.is(bareMapName('x'), undefined);
});

test('commands without arguments', (t) => {
  t.deepEqual(parseCommand('probes', ''), { ok: { kind: 'probes' } });
  t.deepEqual(parseCommand('maps', '  '), { ok: { kind: 'maps' } });
  t.deepEqual(parseCommand('help', ''), { ok: { kind: 'help' } });
  t.deepEqual(parseCommand('quit', ''), { ok: { kind: 'quit' } });
  t.deepEqual(parseCommand('exit', ''), { ok: { kind: 'quit' } });
  t.true('error' in parseCommand('probes', 'extra'));
});

test('.detach takes an id or all', (t) => {
  t.deepEqual(parseCommand('detach', '3'), { ok: { kind: 'detach', target: 3 } });
  t.deepEqual(parseCommand('detach', 'all'), { ok: { kind: 'detach', target: 'all' } });
  t.true('error' in parseCommand('detach', ''));
  t.true('error' in parseCommand('detach', 'x'));
  t.true('error' in parseCommand('detach', '1 2'));
});

test('map commands need one map name', (t) => {
  t.deepEqual(parseCommand('clear', '@x'), { ok: { kind: 'clear', map: '@x' } });
  t.deepEqual(parseCommand('zero', '@'), { ok: { kind: 'zero', map: '@' } });
  t.deepEqual(parseCommand('print', '@abc'), { ok: { kind: 'print', map: '@abc' } });
  t.true('error' in parseCommand('clear', 'x'));
  t.true('error' in parseCommand('clear', ''));
  t.true('error' in parseCommand('zero', '@a @b'));
});

test('.watch takes a map and an optional interval', (t) => {
  t.deepEqual(parseCommand('watch', '@x'), { ok: { kind: 'watch', map: '@x', intervalMs: 1000 } });
  t.deepEqual(parseCommand('watch', '@x 2'), { ok: { kind: 'watch', map: '@x', intervalMs: 2000 } });
  t.deepEqual(parseCommand('watch', '@x 500ms'), { ok: { kind: 'watch', map: '@x', intervalMs: 500 } });
  t.deepEqual(parseCommand('watch', '@x 0.5s'), { ok: { kind: 'watch', map: '@x', intervalMs: 500 } });
  t.true('error' in parseCommand('watch', '@x soon'));
  t.true('error' in parseCommand('watch', '@x 1ms'), 'too fast');
  t.true('error' in parseCommand('watch', ''));
});

test('durations', (t) => {
  t.is(parseDuration('1'), 1000);
  t.is(parseDuration('1.5'), 1500);
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration('10ms'), undefined);
  t.is(parseDuration('-1'), undefined);
});

test('.list, .load and .save', (t) => {
  t.deepEqual(parseCommand('list', ''), { ok: { kind: 'list', pattern: undefined } });
  t.deepEqual(parseCommand('list', 't:syscalls:*open*'), { ok: { kind: 'list', pattern: 't:syscalls:*open*' } });
  t.deepEqual(parseCommand('load', ' my file.tbpf '), { ok: { kind: 'load', file: 'my file.tbpf' } });
  t.deepEqual(parseCommand('save', 'x.tbpf'), { ok: { kind: 'save', file: 'x.tbpf' } });
  t.true('error' in parseCommand('load', ''));
});

test('unknown commands are errors; .help lists every command', (t) => {
  t.true('error' in parseCommand('frobnicate', ''));
  const help = helpText();
  for (const c of SHELL_COMMANDS) t.true(help.includes(`.${c.name}`), c.name);
});

test('.save! forces; .save does not', (t) => {
  t.deepEqual(parseCommand('save!', 'x.tbpf'), { ok: { kind: 'save', file: 'x.tbpf', force: true } });
  t.true('error' in parseCommand('save!', ''));
});

test('.export takes an address, off, or nothing', (t) => {
  t.deepEqual(parseCommand('export', ''), { ok: { kind: 'export', target: undefined } });
  t.deepEqual(parseCommand('export', 'off'), { ok: { kind: 'export', target: 'off' } });
  t.deepEqual(parseCommand('export', ':9464'), { ok: { kind: 'export', target: { host: undefined, port: 9464 } } });
  t.deepEqual(parseCommand('export', '127.0.0.1:9000'), { ok: { kind: 'export', target: { host: '127.0.0.1', port: 9000 } } });
  t.deepEqual(parseCommand('export', 'nowhere'), { error: ".export: invalid address 'nowhere': expected [HOST]:PORT, e.g. :9464 or 127.0.0.1:9464" });
  t.true('error' in parseCommand('export', ':1 :2'));
});
