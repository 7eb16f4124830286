/**
 * Keyless assigned integers live in a one-entry ARRAY {value, written flag} (src/passes/scalar-maps.ts):
 * on the real kernel they print, clear and zero as bpftrace's one-entry hashes do.
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

kernelTest('keyless integers: 0 written prints, nothing written does not, ++/+=/reads, clear() and zero() as a hash', async (t) => {
  const script = 'BEGIN { @a = 0; @b = 5; @c++; @c += 3; @d = @c * 2; @e = 1; clear(@e); @f = 9; zero(@f); zero(@g); printf("%d %d\\n", @b, @g); exit(); } interval:s:100 { @g = 1; @never = 0; }';
  const r = await runTsbpf(['--no-cache', '-e', script]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '5 0\n\n\n@a: 0\n@b: 5\n@c: 4\n@d: 8\n@f: 0\n');
});

kernelTest('4000 `@a = 1;` in one probe load and run (folded stores)', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', `BEGIN { ${'@a = 1; '.repeat(4000)}@a += 1; exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n@a: 2\n');
});

kernelTest('-k: reading a keyless integer nothing wrote yet warns as a failed lookup; once written it does not', async (t) => {
  const r = await runTsbpf(['--no-cache', '-k', '-e', 'BEGIN { $x = @a; @a = 2; $y = @a; printf("%d %d\\n", $x, $y); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '0 2\n\n\n@a: 2\n');
  const warnings = r.stderr.split('\n').filter((l) => l.includes('WARNING'));
  t.deepEqual(warnings, ["stdin:1:14-16: WARNING: Can't lookup map element because it does not exist."]);
});
