/** Shell input colouring: spans from the real lexer, painted without changing the text. */
import test from 'ava';
import { Chalk } from 'chalk';
import { highlightSpans } from '../../../src/interactive.js';
import { colorize } from '../../../runtime/shell/highlight.js';

const kinds = (text: string): string[] => highlightSpans(text).map((s) => `${s.kind}:${text.slice(s.start, s.end)}`);

test('keywords, functions, builtins, strings, maps, variables, numbers and attach points', (t) => {
  t.deepEqual(kinds('tracepoint:syscalls:sys_enter_openat /pid > 1/ { if ($x) { @m[comm] = count(); printf("%d", 5); } }'), [
    'attach-point:tracepoint:syscalls:sys_enter_openat',
    'builtin:pid',
    'number:1',
    'keyword:if',
    'variable:$x',
    'map:@m',
    'builtin:comm',
    'function:count',
    'function:printf',
    'string:"%d"',
    'number:5',
  ]);
  t.deepEqual(kinds('"unterminated'), [], 'text the lexer cannot read is left alone');
});

test('colorize paints the spans and keeps the text', (t) => {
  const c = new Chalk({ level: 1 });
  const text = '@n = count(); "s"';
  const painted = colorize(text, highlightSpans(text), c);
  t.is(painted.replace(/\x1b\[[0-9;]*m/g, ''), text);
  t.true(painted.startsWith('\x1b[33m@n\x1b[39m'));
  t.true(painted.includes('\x1b[32m"s"\x1b[39m'));
  t.is(colorize(text, highlightSpans(text), new Chalk({ level: 0 })), text);
});
