/**
 * A statement's temporaries (map keys and values, printf records, str() results) live for that
 * statement only (src/codegen/bpf-builder.ts beginTemps): their stack slots are reused by the next
 * statement and their scratch bytes handed out again, so a probe with a thousand statements fits
 * the 512-byte BPF stack (bpftrace fits more than 200; tsbpf used to stop at 31).
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

const N = 1000;

kernelTest(`BEGIN with ${N} printf statements with arguments loads and prints each line`, async (t) => {
  const stmts = Array.from({ length: N }, (_, i) => `printf("line %d %d %s\\n", ${i}, ${i} * 2, "x${i}");`).join(' ');
  const r = await runTsbpf(['--no-cache', '-e', `BEGIN { ${stmts} exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  const expected = Array.from({ length: N }, (_, i) => `line ${i} ${i * 2} x${i}\n`).join('');
  // Then only the blank lines of the exit (no maps to print).
  t.is(r.stdout.trimEnd(), expected.trimEnd(), describeRun(r));
});

kernelTest(`BEGIN with ${N} statements of map assignments, str() temporaries and printf loads and prints the maps`, async (t) => {
  // Four statements a group.
  const groups = N / 4;
  const stmts = Array.from({ length: groups }, (_, i) => `@a = ${i}; $s = str(${i % 2 === 0 ? '"even"' : '"odd"'}); @n[$s, ${i % 3}] = count(); printf("%s\\n", str($s));`).join(' ');
  const r = await runTsbpf(['--no-cache', '-e', `BEGIN { ${stmts} exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  const lines = Array.from({ length: groups }, (_, i) => (i % 2 === 0 ? 'even\n' : 'odd\n')).join('');
  t.true(r.stdout.startsWith(lines), describeRun(r));
  const counts = new Map<string, number>();
  for (let i = 0; i < groups; i++) {
    const k = `@n[${i % 2 === 0 ? 'even' : 'odd'}, ${i % 3}]`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of counts) t.true(r.stdout.includes(`${k}: ${n}\n`), `${k}: ${n}\n${describeRun(r)}`);
  t.true(r.stdout.includes(`@a: ${groups - 1}\n`), describeRun(r));
});
