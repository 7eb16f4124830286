/**
 * Object-like `#define NAME VALUE` constants (integer and string literals) are usable in the
 * script, as bpftrace's preprocessing makes them; script macros of the same name win.
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

kernelTest('#define integer and string constants are usable as values', async (t) => {
  const script = '#define FOO 3\n#define NEG (-2)\n#define GREETING "hi\\tthere"\n#define MAX 0x10UL\nBEGIN { printf("%d %d %s %d\\n", FOO, NEG, GREETING, MAX + 1); exit(); }';
  const r = await runTsbpf(['--no-cache', '-e', script]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '3 -2 hi\tthere 17\n\n\n');
});

kernelTest('a script macro overrides a #define of the same name; other defines stay unknown names', async (t) => {
  const ok = await runTsbpf(['--no-cache', '-e', '#define FOO 3\nmacro FOO() { 7 }\nBEGIN { printf("%d\\n", FOO); exit(); }']);
  t.is(ok.code, 0, describeRun(ok));
  t.is(ok.stdout, '7\n\n\n');
  const bad = await runTsbpf(['--no-cache', '-e', '#define SQ(x) ((x) * (x))\nBEGIN { printf("%d\\n", SQ); exit(); }']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /stdin:2:24-26: ERROR: Unknown identifier: 'SQ'\n/);
});
