import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { bundleIsFresh, freshBundle, STAMP_FILE, stampOf, TSC_BUILD_INFO, TSC_OUT_DIR, type BundleStamp } from '../../../runtime/compile/bundle-stamp.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/**
 * A package tree with the real bin/tsbpf.js and the runtime/compile/ files it loads (bundle-stamp.js, launch.js, early-worker.js, ...), a dist/ CLI that says
 * "dist" and a bundled one that says "bundle", stamped as scripts/dev/bundle.ts stamps it.
 */
function tree(t: ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'tsbpf-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['bin', 'dist/runtime/compile', 'dist/bundle']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'bin', 'tsbpf.js'), join(root, 'bin', 'tsbpf.js'));
  for (const f of ['bundle-stamp.js', 'launch.js', 'early-worker.js', 'cache-location.js']) copyFileSync(join(REPO_ROOT, 'dist', 'runtime', 'compile', f), join(root, 'dist', 'runtime', 'compile', f));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  const cli = (who: string): string => `export async function main() { process.stdout.write(${JSON.stringify(who)}); return 0; }\n`;
  writeFileSync(join(root, 'dist', 'runtime', 'cli.js'), cli('dist'));
  writeFileSync(join(root, 'dist', 'bundle', 'cli.js'), cli('bundle'));
  writeFileSync(join(root, 'dist', 'bundle', STAMP_FILE), JSON.stringify(stampOf(root, ['dist/runtime/cli.js'])));
  return root;
}

const run = (root: string, env: NodeJS.ProcessEnv = {}): string =>
  execFileSync(process.execPath, [join(root, 'bin', 'tsbpf.js')], { encoding: 'utf8', env: { ...process.env, TSBPF_NO_BUNDLE: '', ...env } });

test('the bin runs the bundle while every input is as stamped', (t) => {
  const root = tree(t);
  t.true(bundleIsFresh(root, join(root, 'dist', 'bundle')));
  t.is(run(root), 'bundle');
});

test('a bare tsc after the bundle (an input rewritten) makes the bin run dist/', (t) => {
  const root = tree(t);
  const input = join(root, 'dist', 'runtime', 'cli.js');
  const later = new Date(statSync(input).mtimeMs + 5000);
  utimesSync(input, later, later);
  t.false(bundleIsFresh(root, join(root, 'dist', 'bundle')));
  t.is(run(root), 'dist');
});

test('an input of another size, a missing input, a missing or unreadable stamp: dist/', (t) => {
  const resized = tree(t);
  const input = join(resized, 'dist', 'runtime', 'cli.js');
  const { atime, mtime } = statSync(input);
  writeFileSync(input, `${'// longer\n'}export async function main() { process.stdout.write("dist"); return 0; }\n`);
  utimesSync(input, atime, mtime);
  t.is(run(resized), 'dist');

  const gone = tree(t);
  writeFileSync(join(gone, 'dist', 'bundle', STAMP_FILE), JSON.stringify(stampOf(gone, ['dist/runtime/cli.js', 'package.json'])));
  rmSync(join(gone, 'package.json'));
  writeFileSync(join(gone, 'dist', 'package.json'), '{"type":"module"}');
  t.false(bundleIsFresh(gone, join(gone, 'dist', 'bundle')));

  const noStamp = tree(t);
  rmSync(join(noStamp, 'dist', 'bundle', STAMP_FILE));
  t.is(run(noStamp), 'dist');

  const badStamp = tree(t);
  writeFileSync(join(badStamp, 'dist', 'bundle', STAMP_FILE), '{"inputs":');
  t.is(run(badStamp), 'dist');
  writeFileSync(join(badStamp, 'dist', 'bundle', STAMP_FILE), '{"inputs":[]}');
  t.is(run(badStamp), 'dist');
});

test('TSBPF_NO_BUNDLE=1 runs dist/ even with a fresh bundle', (t) => {
  const root = tree(t);
  t.is(run(root, { TSBPF_NO_BUNDLE: '1' }), 'dist');
  const saved = process.env['TSBPF_NO_BUNDLE'];
  process.env['TSBPF_NO_BUNDLE'] = '1';
  t.teardown(() => (saved === undefined ? delete process.env['TSBPF_NO_BUNDLE'] : (process.env['TSBPF_NO_BUNDLE'] = saved)));
  t.is(freshBundle(root, join(root, 'dist'), 'cli.js'), undefined);
});

/** A tree whose dist/ has tsc's build info and whose bundle also has an input outside dist/ (as node_modules' are). */
function builtTree(t: ExecutionContext): string {
  const root = tree(t);
  writeFileSync(join(root, TSC_BUILD_INFO), '{"version":"1"}');
  mkdirSync(join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(root, 'node_modules', 'dep', 'index.js'), 'export const dep = 1;\n');
  writeFileSync(join(root, 'dist', 'bundle', STAMP_FILE), JSON.stringify(stampOf(root, ['dist/runtime/cli.js', 'node_modules/dep/index.js'])));
  return root;
}

/** Rewrites a file as a later build would: new content, a later mtime. */
function rewrite(path: string, text: string): void {
  const later = new Date(statSync(path).mtimeMs + 5000);
  writeFileSync(path, text);
  utimesSync(path, later, later);
}

test('tsconfig.json writes the build info and the outputs where the stamp expects them', (t) => {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { incremental?: boolean; outDir?: string; tsBuildInfoFile?: string } };
  t.true(config.compilerOptions.incremental);
  t.is(config.compilerOptions.tsBuildInfoFile, TSC_BUILD_INFO);
  t.is(`${config.compilerOptions.outDir}/`, TSC_OUT_DIR);
});

test('the stamp records the build info; the bin runs the bundle while it and the inputs outside dist/ are as stamped', (t) => {
  const root = builtTree(t);
  const stamp = JSON.parse(readFileSync(join(root, 'dist', 'bundle', STAMP_FILE), 'utf8')) as BundleStamp;
  t.is(stamp.buildInfo?.[0], TSC_BUILD_INFO);
  t.true(bundleIsFresh(root, join(root, 'dist', 'bundle')));
  t.is(run(root), 'bundle');
});

test('a tsc that rewrote the build info and an output makes the bin run dist/', (t) => {
  const root = builtTree(t);
  rewrite(join(root, TSC_BUILD_INFO), '{"version":"2"}');
  rewrite(join(root, 'dist', 'runtime', 'cli.js'), 'export async function main() { process.stdout.write("dist"); return 0; }\n');
  t.false(bundleIsFresh(root, join(root, 'dist', 'bundle')));
  t.is(run(root), 'dist');
});

test('a tsc that rewrote only the build info (no bundled output changed) keeps the bundle', (t) => {
  const root = builtTree(t);
  rewrite(join(root, TSC_BUILD_INFO), '{"version":"2"}');
  t.true(bundleIsFresh(root, join(root, 'dist', 'bundle')));
  t.is(run(root), 'bundle');
});

test('an input outside dist/ changed, or the build info gone with an output changed: dist/', (t) => {
  const dep = builtTree(t);
  rewrite(join(dep, 'node_modules', 'dep', 'index.js'), 'export const dep = 22;\n');
  t.false(bundleIsFresh(dep, join(dep, 'dist', 'bundle')));
  t.is(run(dep), 'dist');

  const gone = builtTree(t);
  rmSync(join(gone, TSC_BUILD_INFO));
  rewrite(join(gone, 'dist', 'runtime', 'cli.js'), 'export async function main() { process.stdout.write("dist"); return 0; }\n');
  t.is(run(gone), 'dist');

  // A stamp whose build info names another file is not trusted for dist/'s outputs.
  const other = builtTree(t);
  const stamp = JSON.parse(readFileSync(join(other, 'dist', 'bundle', STAMP_FILE), 'utf8')) as BundleStamp;
  writeFileSync(join(other, 'dist', 'bundle', STAMP_FILE), JSON.stringify({ ...stamp, buildInfo: ['package.json', ...stampOf(other, ['package.json']).inputs[0]!.slice(1)] }));
  rewrite(join(other, 'dist', 'runtime', 'cli.js'), 'export async function main() { process.stdout.write("dist"); return 0; }\n');
  t.is(run(other), 'dist');
});
