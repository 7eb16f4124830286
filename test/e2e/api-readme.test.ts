/**
 * The API examples of README.md ("Using tsbpf from TypeScript") run as they are written: each
 * ```js block is run by node as an ES module from the repository root (so `'tsbpf'` is this
 * package, through package.json "exports") and prints what its comments say.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { kernelTest, REPO_ROOT, runTsbpf } from '../helpers/tsbpf.js';

function readmeExamples(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Using tsbpf from TypeScript');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

async function runModule(t: ExecutionContext, code: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cache = mkdtempSync(join(tmpdir(), 'tsbpf-readme-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, env: { ...process.env, XDG_CACHE_HOME: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stdout, stderr };
}

const examples = readmeExamples();

kernelTest('README has the three API examples', (t) => {
  t.is(examples.length, 3);
});

kernelTest('README API example 1: trace(), events(), stop() with the final maps', async (t) => {
  const r = await runModule(t, examples[0]!);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'open /etc/hostname\n/etc/hostname count 1n\n');
});

kernelTest('README API example 2: compile() diagnostics, with the CLI\'s text', async (t) => {
  const r = await runModule(t, examples[1]!);
  t.is(r.status, 0, r.stderr);
  const cli = await runTsbpf(['-e', 'BEGIN { printf("%d\\n", nosuch); }']);
  t.is(r.stdout, `[ 'unknown-identifier 23-29' ]\n${cli.stderr}`);
});

kernelTest('README API example 3: a trace ended by its AbortSignal', async (t) => {
  const r = await runModule(t, examples[2]!);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'abort count hist\n');
});
