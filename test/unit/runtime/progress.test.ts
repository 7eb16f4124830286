/** The progress line: only on a terminal, redrawn in place, erased when done. */
import test from 'ava';
import { startProgress } from '../../../runtime/compile/progress.js';

function stream(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): boolean } {
  return { isTTY, text: '', write(s: string) { this.text += s; return true; } };
}

test('nothing is written when the stream is not a terminal', (t) => {
  const s = stream(false);
  const p = startProgress(s, 'compiling', 0);
  p.set('other');
  p.done();
  t.is(s.text, '');
});

test('shown at once with delay 0, relabelled in place, erased once by done()', (t) => {
  const s = stream(true);
  const p = startProgress(s, 'reading @x', 0);
  t.regex(s.text, /^\r\x1b\[Kreading @x\.\.\. 0\.\ds$/);
  p.set('printing @x');
  t.regex(s.text, /\r\x1b\[Kprinting @x\.\.\. \d+\.\ds$/);
  p.done();
  p.done();
  t.true(s.text.endsWith('s\r\x1b[K'));
  t.is(s.text.split('\r\x1b[K').length, 4, 'two drawings and one erase');
});

test('a job done before the delay leaves no trace', (t) => {
  const s = stream(true);
  startProgress(s, 'compiling', 60_000).done();
  t.is(s.text, '');
});
