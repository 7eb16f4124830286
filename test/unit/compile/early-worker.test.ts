/**
 * The compile worker started at the CLI's first line (runtime/compile/early-worker.ts): only when
 * the command line makes a compile certain; a run that uses it prints what a run without it prints,
 * and a run that never compiles leaves no worker behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { compileIsCertain } from '../../../runtime/compile/early-worker.js';
import { compileWorkersOf, eventually } from '../../helpers/tsbpf.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'tsbpf.js');

function scratch(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-early-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a compile is certain with a program and a cache that cannot answer', (t) => {
  const dir = scratch(t);
  const script = join(dir, 'script.bt');
  writeFileSync(script, 'BEGIN { exit(); }');
  const noKey = { XDG_CACHE_HOME: join(dir, 'empty') };
  const keyed = { XDG_CACHE_HOME: join(dir, 'keyed') };
  mkdirSync(join(dir, 'keyed', 'tsbpf'), { recursive: true });
  writeFileSync(join(dir, 'keyed', 'tsbpf', 'key'), 'k');

  // No cache key yet: no entry can be used.
  t.true(compileIsCertain(['-e', 'BEGIN { }'], noKey));
  t.true(compileIsCertain(['-q', script, '1'], noKey));
  t.true(compileIsCertain(['-l', '-e', 'BEGIN { }'], noKey));
  // A keyed cache may hold the script: only options that bypass the cache make it certain.
  t.false(compileIsCertain(['-e', 'BEGIN { }'], keyed));
  t.false(compileIsCertain([script], keyed));
  for (const bypass of [['--no-cache'], ['-d', 'ast'], ['--debug', 'ir'], ['--emit', 'bpf'], ['--emit=bpf'], ['--emit-elf', 'f.o']]) {
    t.true(compileIsCertain([...bypass, '-e', 'BEGIN { }'], keyed), bypass.join(' '));
  }
  // No program, or an option that prints and exits.
  t.false(compileIsCertain([], noKey));
  t.false(compileIsCertain(['-l', 'tracepoint:syscalls:*'], noKey));
  t.false(compileIsCertain(['no-such-file.bt'], noKey));
  for (const exits of ['-h', '--help', '-V', '--version', '--info', '--complete']) t.false(compileIsCertain([exits, '-e', 'BEGIN { }'], noKey), exits);
});

/** bin/tsbpf.js with `args` and a fresh (keyless) cache directory; its pid, exit code and output. */
function runBin(t: ExecutionContext, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ pid: number; code: number | null; stdout: string; stderr: string }> {
  const cache = scratch(t);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, XDG_CACHE_HOME: cache, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, code, stdout, stderr }));
  });
}

test('a compile through the early worker prints what one through a worker started at compile time prints', async (t) => {
  t.timeout(60_000);
  const args = ['--emit', 'bpf', '-e', 'BEGIN { @a[1] = count(); printf("%d %s\\n", 5, "x"); exit(); }'];
  const early = await runBin(t, args);
  const late = await runBin(t, args, { TSBPF_NO_EARLY_WORKER: '1' });
  t.is(early.code, 0, early.stderr);
  t.true(early.stdout.includes('exit'), early.stdout);
  t.is(early.stdout, late.stdout);
  t.is(early.stderr, late.stderr);
  // A syntax error: the same diagnostic either way.
  const bad = ['--no-cache', '-e', 'BEGIN { @x = ; }'];
  const badEarly = await runBin(t, bad);
  const badLate = await runBin(t, bad, { TSBPF_NO_EARLY_WORKER: '1' });
  t.is(badEarly.code, 1);
  t.regex(badEarly.stderr, /syntax error/);
  t.is(badEarly.stderr, badLate.stderr);
});

test('a run that never compiles (a usage error) exits as before and leaves no early worker running', async (t) => {
  t.timeout(60_000);
  const r = await runBin(t, ['--no-cache', '--no-such-flag', '-e', 'BEGIN { exit(); }']);
  t.is(r.code, 1);
  t.is(r.stderr.split('\n')[0], "ERROR: unrecognized option '--no-such-flag'");
  t.true(await eventually(() => compileWorkersOf(r.pid).length === 0, 10_000), `compile workers of ${r.pid} still running: ${compileWorkersOf(r.pid).join(' ')}`);
});

test('the early worker is not used when the CLI changes the environment the worker reads (--traceable-functions)', async (t) => {
  t.timeout(60_000);
  const dir = scratch(t);
  const list = join(dir, 'traceable');
  writeFileSync(list, 'tsbpf_fake_one\ntsbpf_fake_two\nvfs_write\n');
  // Listed from the file (TSBPF_TRACEABLE_FUNCTIONS, set by the CLI after the early worker started), not the kernel's list.
  const r = await runBin(t, ['--traceable-functions', list, '-l', '-e', 'kprobe:tsbpf_fake_* { }']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'kprobe:tsbpf_fake_one\nkprobe:tsbpf_fake_two\n');
  t.true(await eventually(() => compileWorkersOf(r.pid).length === 0, 10_000), 'the unused early worker was ended');
});
