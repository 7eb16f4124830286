/**
 * `-d STAGE` prints compiler stages to stderr and still runs the script; `--emit STAGE` prints to
 * stdout and exits without loading anything. The dumps come from the compile worker, so a cached
 * compile must not hide them.
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

const PROG = 'BEGIN { @n[1, "k"] = count(); printf("ran %d\\n", 7); exit(); }';

kernelTest('-d all prints every stage to stderr, in pipeline order, then runs the script', async (t) => {
  // Once without -d first: the compile cache holds this script, and -d must still print.
  const plain = await runTsbpf(['-e', PROG]);
  t.is(plain.code, 0, describeRun(plain));
  const r = await runTsbpf(['-d', 'all', '-e', PROG]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, plain.stdout);
  t.true(r.stdout.startsWith('ran 7\n'), r.stdout);
  const headers = r.stderr.split('\n').filter((l) => l.startsWith('--- '));
  t.deepEqual(headers, ['--- ast ---', '--- types ---', '--- ir ---', '--- codegen ---', '--- codegen-opt ---', '--- bpf ---']);
  const section = (name: string): string => r.stderr.split(`--- ${name} ---\n`)[1]!.split('\n--- ')[0]!;
  t.regex(section('ast'), /MapRef name="@n"/);
  t.regex(section('types'), /StringLiteral value="k" :: string\[2\]/);
  // Key parts keep their own sizes at natural alignment (src/passes/resolve-types.ts): a 1-byte literal, then the string.
  t.regex(section('ir'), /@n#0\[record\[3\]\{0: u8\(1\), 1: "k"\[2\]\}\] \+= 1/);
  t.regex(section('codegen'), /define i64 @BEGIN_0\(/);
  t.regex(section('codegen-opt'), /section "\.text\.BEGIN_0"/);
  t.regex(section('bpf'), /^BEGIN_0:\n +0: \(/);
  t.regex(section('bpf'), /\(95\) exit/);
  t.true(r.stderr.includes('Attached 1 probe'), r.stderr);
});

kernelTest('--emit ir prints the IR alone to stdout and attaches nothing; a bad stage is a usage error', async (t) => {
  const r = await runTsbpf(['--emit', 'ir', '-e', PROG]);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /^map #0 @n /);
  t.false(r.stdout.includes('ran 7'));
  t.false(r.stderr.includes('Attached'), r.stderr);
  const bad = await runTsbpf(['-d', 'optimised', '-e', PROG]);
  t.is(bad.code, 1);
  t.true(bad.stderr.includes('-d: unknown stage "optimised"'), bad.stderr);
});
