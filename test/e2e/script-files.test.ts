/**
 * Script files: `tsbpf file.tbpf [args...]`, `#!/usr/bin/env tsbpf` executables, `-` for standard
 * input, a script on a non-terminal standard input, positional parameters, and the same flags as -e.
 */
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, exec, kernelTest, runTsbpf, scratchDir, TSBPF_BIN } from '../helpers/tsbpf.js';

const HELLO = 'BEGIN { printf("hello %s %d\\n", str($1), $2); exit(); }\n';

kernelTest('tsbpf FILE ARGS runs the file with positional parameters', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'hello.tbpf');
  writeFileSync(file, HELLO);
  const r = await runTsbpf([file, 'world', '42']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'hello world 42\n\n\n');
});

kernelTest('an executable script with #!/usr/bin/env tsbpf runs directly, and its lines keep their numbers', async (t) => {
  const dir = scratchDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(TSBPF_BIN, join(bin, 'tsbpf'));
  const file = join(dir, 'hello.tbpf');
  writeFileSync(file, `#!/usr/bin/env tsbpf\n${HELLO}`);
  chmodSync(file, 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };
  const r = await exec([file, 'shebang', '7'], { env });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'hello shebang 7\n\n\n');

  // An error on the third line of the file is reported on line 3.
  const bad = join(dir, 'bad.tbpf');
  writeFileSync(bad, '#!/usr/bin/env tsbpf\n// comment\nBEGIN { @x = ; }\n');
  chmodSync(bad, 0o755);
  const b = await exec([bad], { env });
  t.is(b.code, 1);
  t.regex(b.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:3:\\d+`));
});

kernelTest('- reads the script from standard input; positional parameters follow it', async (t) => {
  const r = await runTsbpf(['-', 'stdin', '5'], { input: HELLO });
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'hello stdin 5\n\n\n');
});

kernelTest('without a program and without a terminal, standard input is the script', async (t) => {
  const r = await runTsbpf([], { input: 'BEGIN { printf("piped\\n"); exit(); }\n' });
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'piped\n\n\n');
});

kernelTest('script files take the same flags as -e: -f json, -o, -q', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'flags.tbpf');
  writeFileSync(file, 'BEGIN { @n = 3; printf("x\\n"); exit(); }\n');
  const json = await runTsbpf(['-f', 'json', file]);
  t.is(json.code, 0, describeRun(json));
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  t.true(lines.some((l) => l.type === 'printf'));
  t.true(lines.some((l) => l.type === 'map'));

  const out = join(dir, 'out.txt');
  const q = await runTsbpf(['-q', '-o', out, file]);
  t.is(q.code, 0, describeRun(q));
  t.notRegex(q.stderr, /Attached/);
  t.is(readFileSync(out, 'utf8'), 'x\n\n\n@n: 3\n');
});

kernelTest('a missing script file is a clear error', async (t) => {
  const r = await runTsbpf(['/nonexistent/script.tbpf']);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot read \/nonexistent\/script\.tbpf: no such file/);
});

kernelTest('a script file another user could change runs with one warning naming why; a private one runs silently', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'shared.bt');
  writeFileSync(file, 'BEGIN { printf("ran\\n"); exit(); }');
  chmodSync(file, 0o666);
  const open = await runTsbpf([file]);
  t.is(open.code, 0, describeRun(open));
  t.is(open.stdout.trim(), 'ran');
  t.regex(open.stderr, /^WARNING: .*shared\.bt can be changed by another user \(it is writable by group or others \(mode 666\)\)/m);
  chmodSync(file, 0o644);
  const closed = await runTsbpf([file]);
  t.is(closed.code, 0, describeRun(closed));
  t.notRegex(closed.stderr, /WARNING/);
});
