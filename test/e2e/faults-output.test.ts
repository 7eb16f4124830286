/**
 * Output failures end tsbpf in one line (or quietly), with the exit a Unix user expects:
 * - the reader of stdout goes away (`tsbpf ... | head -1`): tracing ends, everything is
 *   detached, tsbpf dies of SIGPIPE (shell status 141) and prints nothing;
 * - `-o FILE` that cannot be opened: one `ERROR:` line, exit 1, nothing compiled or attached.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { bpf } from '../../native/index.js';
import { bpfObjectsOf, describeRun, eventually, kernelTest, NOTIFY_VAR, runTsbpf, scratchDir, startTsbpf, stderrLines, uniqueTag } from '../helpers/tsbpf.js';

kernelTest('EPIPE on stdout (reader gone, as with | head -1): quiet SIGPIPE exit, nothing left loaded', async (t) => {
  const tag = uniqueTag(6);
  const h = startTsbpf(['-e', `interval:ms:20 { printf("tick${tag}\\n"); @t${tag} = count(); }`], { t });
  await h.attached;
  await h.waitForStdout(new RegExp(`tick${tag}\\n`));
  const held = bpfObjectsOf(h.pid);
  t.true(held.progIds.length > 0 && held.mapIds.length > 0, `tsbpf holds its programs and maps\n${describeRun(h)}`);
  // The read side of the pipe goes away: the next printf gets EPIPE.
  h.child.stdout!.destroy();
  const r = await h.exited;
  t.is(r.signal, 'SIGPIPE', describeRun(r));
  // Nothing after the probes-attached lines: no stack trace, no error line.
  const after = stderrLines(r.stderr).filter((l) => l !== NOTIFY_VAR && !/^Attached \d+ probes?$/.test(l));
  t.deepEqual(after, [], describeRun(r));
  const gone = await eventually(() => held.progIds.every((id) => bpf.progInfoById(id) === null) && held.mapIds.every((id) => bpf.mapInfoById(id) === null));
  t.true(gone, `left loaded: progs ${held.progIds.filter((id) => bpf.progInfoById(id) !== null)} maps ${held.mapIds.filter((id) => bpf.mapInfoById(id) !== null)}`);
});

kernelTest('EPIPE in JSON output: the same quiet SIGPIPE exit', async (t) => {
  const tag = uniqueTag(6);
  const h = startTsbpf(['-f', 'json', '-e', `interval:ms:20 { printf("tick${tag}\\n"); }`], { t });
  await h.waitForStdout(new RegExp(`tick${tag}`));
  h.child.stdout!.destroy();
  const r = await h.exited;
  t.is(r.signal, 'SIGPIPE', describeRun(r));
  t.deepEqual(stderrLines(r.stderr).filter((l) => l !== NOTIFY_VAR), [], describeRun(r));
});

/** A run with `-o path` that must fail before compiling: exactly one ERROR line, exit 1, nothing attached. */
async function badOutputPath(t: import('ava').ExecutionContext, path: string, reason: string): Promise<void> {
  const r = await runTsbpf(['-o', path, '-e', 'interval:ms:20 { printf("never\\n"); }']);
  t.is(r.code, 1, describeRun(r));
  t.deepEqual(stderrLines(r.stderr), [`ERROR: Failed to open output file: "${path}": ${reason}`], describeRun(r));
  t.is(r.stdout, '');
}

kernelTest('-o into a missing directory: one line, exit 1, nothing attached', async (t) => {
  await badOutputPath(t, join(scratchDir(t), 'no-such-dir', 'out.txt'), 'No such file or directory');
});

kernelTest('-o naming a directory: one line, exit 1, nothing attached', async (t) => {
  await badOutputPath(t, scratchDir(t), 'Is a directory');
});

kernelTest('-o below a regular file: one line, exit 1, nothing attached', async (t) => {
  const file = join(scratchDir(t), 'plain');
  writeFileSync(file, '');
  await badOutputPath(t, join(file, 'out.txt'), 'Not a directory');
});

/** Still uid 0 (tsbpf runs), without the capabilities that let root write anyone's files. */
const WITHOUT_DAC = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
const canDropDac = spawnSync(WITHOUT_DAC[0]!, [...WITHOUT_DAC.slice(1), 'true']).status === 0;
const eaccesTitle = '-o onto a file root may not write (no CAP_DAC_OVERRIDE): EACCES in one line, exit 1';
if (!canDropDac) test.skip(`${eaccesTitle} (skipped: setpriv cannot drop capabilities here)`, () => undefined);
else kernelTest(eaccesTitle, async (t) => {
  const path = join(scratchDir(t), 'not-mine');
  writeFileSync(path, '', { mode: 0o444 });
  chownSync(path, 65534, 65534);
  const r = await runTsbpf(['-o', path, '-e', 'interval:ms:20 { printf("never\\n"); }'], { wrap: WITHOUT_DAC });
  t.is(r.code, 1, describeRun(r));
  t.deepEqual(stderrLines(r.stderr), [`ERROR: Failed to open output file: "${path}": Permission denied`], describeRun(r));
});

kernelTest('-o whose writes fail mid-run (/proc/version opens, writing gives EIO): one line, exit 1', async (t) => {
  const r = await runTsbpf(['-o', '/proc/version', '-e', 'interval:ms:20 { printf("tick\\n"); }']);
  t.is(r.code, 1, describeRun(r));
  const lines = stderrLines(r.stderr).filter((l) => l !== NOTIFY_VAR && !/^Attached \d+ probes?$/.test(l));
  t.deepEqual(lines, ['ERROR: Failed to write output: Input/output error'], describeRun(r));
});

kernelTest('-o creates the file private to its owner and writes the output there', async (t) => {
  const dir = scratchDir(t);
  mkdirSync(join(dir, 'sub'));
  const path = join(dir, 'sub', 'out.txt');
  const tag = uniqueTag(6);
  const r = await runTsbpf(['-o', path, '-e', `BEGIN { printf("hello${tag}\\n"); exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(statSync(path).mode & 0o777, 0o600);
  t.regex(readFileSync(path, 'utf8'), new RegExp(`^hello${tag}\\n`));
});
