/**
 * The compile worker's start-up snapshot (src/compile-worker-snapshot.ts, runtime/compile/worker-snapshot.ts):
 * used only when its stamp says this node built it and the blob is as built; a worker started from
 * it answers exactly what the worker's file answers (compiles, errors with recovery, dumps, listings).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { freshBundle } from '../../../runtime/compile/bundle-stamp.js';
import { SNAPSHOT_BLOB, SNAPSHOT_STAMP, snapshotArgs, snapshotStampOf, usableSnapshot } from '../../../runtime/compile/worker-snapshot.js';
import type { WorkerRequest } from '../../../src/contract/index.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** A bundle directory with a (fake) blob stamped as scripts/dev/bundle.ts stamps it. */
function stampedDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-snapshot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, SNAPSHOT_BLOB), 'blob');
  writeFileSync(join(dir, SNAPSHOT_STAMP), JSON.stringify(snapshotStampOf(dir)));
  return dir;
}

function withEnv(t: ExecutionContext, name: string, value: string | undefined): void {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  t.teardown(() => (saved === undefined ? delete process.env[name] : (process.env[name] = saved)));
}

test('a snapshot is used while its blob is as stamped, by the node that built it', (t) => {
  withEnv(t, 'TSBPF_NO_SNAPSHOT', undefined);
  const dir = stampedDir(t);
  t.is(usableSnapshot(dir), join(dir, SNAPSHOT_BLOB));
});

test('a rewritten blob, another node or flags, a missing or unreadable stamp, a missing blob, TSBPF_NO_SNAPSHOT=1: no snapshot', (t) => {
  withEnv(t, 'TSBPF_NO_SNAPSHOT', undefined);
  const touched = stampedDir(t);
  const later = new Date(statSync(join(touched, SNAPSHOT_BLOB)).mtimeMs + 5000);
  utimesSync(join(touched, SNAPSHOT_BLOB), later, later);
  t.is(usableSnapshot(touched), undefined);

  const resized = stampedDir(t);
  const { atime, mtime } = statSync(join(resized, SNAPSHOT_BLOB));
  writeFileSync(join(resized, SNAPSHOT_BLOB), 'another blob');
  utimesSync(join(resized, SNAPSHOT_BLOB), atime, mtime);
  t.is(usableSnapshot(resized), undefined);

  for (const [key, value] of [['node', 'v0.0.1'], ['execPath', '/elsewhere/node'], ['arch', 'other'], ['flags', '']] as const) {
    const dir = stampedDir(t);
    writeFileSync(join(dir, SNAPSHOT_STAMP), JSON.stringify({ ...snapshotStampOf(dir), [key]: value }));
    t.is(usableSnapshot(dir), undefined, key);
  }

  const noStamp = stampedDir(t);
  rmSync(join(noStamp, SNAPSHOT_STAMP));
  t.is(usableSnapshot(noStamp), undefined);
  const badStamp = stampedDir(t);
  writeFileSync(join(badStamp, SNAPSHOT_STAMP), '{"node":');
  t.is(usableSnapshot(badStamp), undefined);
  const noBlob = stampedDir(t);
  rmSync(join(noBlob, SNAPSHOT_BLOB));
  t.is(usableSnapshot(noBlob), undefined);

  const off = stampedDir(t);
  withEnv(t, 'TSBPF_NO_SNAPSHOT', '1');
  t.is(usableSnapshot(off), undefined);
});

/** One request to a worker started with `nodeArgs`; its reply line, exit code and stderr. */
function ask(nodeArgs: readonly string[], request: WorkerRequest): Promise<{ reply: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, String(process.pid)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ reply: out, code, stderr: err }));
    child.stdin.write(JSON.stringify(request) + '\n');
  });
}

const bundled = freshBundle(REPO_ROOT, join(REPO_ROOT, 'dist'), 'compile-worker.js');
const snapshot = bundled && !process.env['TSBPF_NO_SNAPSHOT'] ? usableSnapshot(dirname(bundled)) : undefined;

/** Requests that need no tracefs or BTF (BEGIN, END, interval, software events): compiles, warnings, syntax and type errors, dumps, a listing. */
const REQUESTS: readonly WorkerRequest[] = [
  { source: { name: '-e', text: 'BEGIN { printf("%d %s\\n", 1 + 2, "x"); exit(); }' }, positionals: [] },
  { source: { name: '-e', text: 'BEGIN { @a[1, "k"] = count(); @h = hist(5); $x = (uint8)300; print(@a); } END { clear(@a); }' }, positionals: [] },
  { source: { name: '-e', text: 'interval:s:1 { @ = sum($1); if ($1 > 2) { exit(); } }' }, positionals: ['7'] },
  { source: { name: 's.bt', text: 'BEGIN { @x = ; }\nBEGIN { printf("%d\\n") }\nEND { $y = }' }, positionals: [] },
  { source: { name: '-e', text: 'BEGIN { $x = "a" + 1; @m[1] = 1; @m["s"] = 2; }' }, positionals: [] },
  { source: { name: '-e', text: 'BEGIN { $unused = 1; @x = 1; exit(); }' }, positionals: [], warningLevel: 2 },
  { source: { name: '-e', text: 'BEGIN { @c = count(); print(@c); exit(); }' }, positionals: [], dump: ['ast', 'types', 'ir', 'bpf'] },
  { source: { name: '-e', text: 'BEGIN { exit(); } interval:s:1 { } software:cpu-clock:1000 { }' }, positionals: [], list: { verbose: true } },
  // Characters past Latin-1 in strings and where no token starts (the snapshot's lexer computes their classes: scripts/dev/bundle.ts).
  { source: { name: '-e', text: 'BEGIN { printf("é → %s ✓\\n", "日本"); exit(); }' }, positionals: [] },
  { source: { name: '-e', text: 'BEGIN { $x = 1 → 2; }' }, positionals: [] },
];

(snapshot ? test : test.skip)(
  `a worker started from the snapshot answers what the worker's file answers${snapshot ? '' : ' (skipped: no usable snapshot beside a fresh bundle; `npm run build` makes one)'}`,
  async (t) => {
    t.timeout(120_000);
    for (const request of REQUESTS) {
      const plain = await ask([bundled!], request);
      const fromSnapshot = await ask([...snapshotArgs(snapshot!), bundled!], request);
      const what = request.source.text;
      t.is(plain.code, 0, `${what}: ${plain.stderr}`);
      t.is(fromSnapshot.code, 0, `${what}: ${fromSnapshot.stderr}`);
      t.is(fromSnapshot.stderr, '', what);
      t.true(fromSnapshot.reply.endsWith('\n'), what);
      t.is(fromSnapshot.reply, plain.reply, what);
    }
  },
);

test('the snapshot entry runs only to build the snapshot', async (t) => {
  const r = await ask([join(REPO_ROOT, 'dist', 'src', 'compile-worker-snapshot.js')], { source: { name: '-e', text: 'BEGIN { }' }, positionals: [] });
  t.not(r.code, 0);
  t.is(r.reply, '');
  t.regex(r.stderr, /only builds the start-up snapshot/);
});
