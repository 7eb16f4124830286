/**
 * The declarations package.json ships are enough for a TypeScript consumer: a strict program
 * using the API's types (narrowing events, values and map snapshots) type-checks against them,
 * with library checking on, resolving `'tsbpf'` through package.json "exports" as a dependent's would.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/tsbpf.js';

const CONSUMER = `import { trace, compile, DiagnosticError, TsbpfError, type TraceEvent, type MapsSnapshot, type Diagnostic } from 'tsbpf';
const r = await compile('BEGIN {}', { params: [1, 'x'], namedParams: { flag: true } });
if (!r.ok) {
  const d: Diagnostic | undefined = r.diagnostics[0];
  const start: number | undefined = d?.span?.start;
  void start;
}
const t = await trace('BEGIN { exit(); }', { signal: AbortSignal.timeout(1000), eventBuffer: 10 });
for await (const ev of t.events()) {
  const e: TraceEvent = ev;
  if (e.kind === 'printf') {
    const a = e.args[0];
    if (a?.kind === 'int') {
      const n: bigint = a.value;
      void n;
    }
  }
}
const maps: MapsSnapshot = await t.stop();
const v = maps['@x']?.entries[0]?.value;
if (v?.kind === 'hist') {
  const b: { min: bigint | null; max: bigint | null; count: bigint } | undefined = v.buckets[0];
  void b;
}
const e: TsbpfError = new DiagnosticError('x', []);
void e;
`;

test('a strict TypeScript consumer type-checks against the shipped declarations', (t) => {
  // Inside the package, so that 'tsbpf' resolves to it (self-reference), as a dependency would.
  const dir = mkdtempSync(join(REPO_ROOT, 'dist', 'consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'consumer.ts');
  writeFileSync(file, CONSUMER);
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', file];
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stdout + r.stderr);
});
