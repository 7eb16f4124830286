/**
 * bin/tsbpf, the installed command: node from the start-up snapshot (dist/bundle/cli.snapshot,
 * runtime/snapshot-main.ts) when the blob is trusted and was made by this node, else bin/tsbpf.js.
 * Whichever way it starts, tsbpf prints the same bytes and exits with the same code; a blob that
 * is missing, not ours, shared, a symlink or from another node is not used; a blob whose bundle
 * is stale runs dist/. TSBPF_STARTUP_TRACE names the build that ran (`run:*`).
 * The same rules hold for both ways of checking: bin/tsbpf's shell code (a tree without the
 * native build) and the compiled launcher (native/src/launcher.c, native/build/Release/tsbpf),
 * which bin/tsbpf execs when it is built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { eventually, kernelTest, REPO_ROOT, runTsbpf, scratchDir, type RunResult } from '../helpers/tsbpf.js';
import { freshBundle, SNAPSHOT_BLOB, SNAPSHOT_NODE } from '../../runtime/compile/bundle-stamp.js';

const WRAPPER = join(REPO_ROOT, 'bin', 'tsbpf');
const BUNDLE = join(REPO_ROOT, 'dist', 'bundle');
const NATIVE_OUT = join(REPO_ROOT, 'native', 'build', 'Release');
/** The compiled launcher (native/src/launcher.c), when the native build made it. */
const LAUNCHER = join(NATIVE_OUT, 'tsbpf');

const noSnapshot = (): string | undefined => (existsSync(join(BUNDLE, SNAPSHOT_BLOB)) ? undefined : 'no start-up snapshot: npm run build');
const staleBundle = (): string | undefined => noSnapshot() ?? (freshBundle(REPO_ROOT, join(REPO_ROOT, 'dist'), 'cli.js') ? undefined : 'the bundle is stale: node dist/scripts/dev/bundle.js');
const noLauncher = (): string | undefined => noSnapshot() ?? (existsSync(LAUNCHER) ? undefined : 'no compiled launcher: npm run build:native');

/** The build a run took, from its start-up trace. */
function buildOf(r: RunResult): string | undefined {
  return /^tsbpf-startup run:(\S+) /m.exec(r.stderr)?.[1];
}

/** stderr without the start-up trace (it is printed only when asked for). */
const withoutTrace = (s: string): string => s.replace(/^tsbpf-startup .*\n/gm, '');

const RUNS: readonly (readonly string[])[] = [
  ['-e', 'BEGIN { printf("hello %s %d\\n", comm, 1 + 2); @m[1] = 5; @c = count(); exit(3); }'],
  ['-q', '-e', 'BEGIN { printf("%s\\n", str($1)); exit(); }', 'word'],
  ['-e', 'BEGIN { @x = 1 +; }'],
  ['--no-such-flag'],
  ['--version'],
  ['-l', 'tracepoint:syscalls:sys_enter_getppid'],
  ['-e', 'BEGIN { exit(); } END { printf("end\\n"); }', '-f', 'json'],
];

/** Each run through bin/tsbpf gives what bin/tsbpf.js gives, and took `build`. */
async function sameAsBinJs(t: ExecutionContext, command: readonly string[], build: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  for (const args of RUNS) {
    const viaWrapper = await runTsbpf(args, { command, env: { TSBPF_STARTUP_TRACE: '1', ...env } });
    const viaNode = await runTsbpf(args, { env });
    const what = `tsbpf ${args.join(' ')}`;
    t.is(buildOf(viaWrapper), build, `${what}: ${viaWrapper.stderr}`);
    t.is(viaWrapper.code, viaNode.code, what);
    t.is(viaWrapper.stdout, viaNode.stdout, what);
    t.is(withoutTrace(viaWrapper.stderr), viaNode.stderr, what);
  }
}

kernelTest('bin/tsbpf runs the snapshot, with the output and exit codes of bin/tsbpf.js', (t) => sameAsBinJs(t, [WRAPPER], 'snapshot'), { needs: staleBundle });

kernelTest('bin/tsbpf with TSBPF_NO_BUNDLE: the snapshot runs dist/ (its import of dist modules works), same output', (t) => sameAsBinJs(t, [WRAPPER], 'snapshot-dist', { TSBPF_NO_BUNDLE: '1' }), {
  needs: noSnapshot,
});

for (const [how, command, needs] of [['bin/tsbpf', WRAPPER, staleBundle], ['the launcher', LAUNCHER, () => noLauncher() ?? staleBundle()]] as const) {
  kernelTest(`${how} gives NODE_EXTRA_CA_CERTS back to the programs it runs`, async (t) => {
    const script = join(scratchDir(t), 'env.sh');
    writeFileSync(script, '#!/bin/sh\necho "ca=$NODE_EXTRA_CA_CERTS saved=${TSBPF_NODE_EXTRA_CA_CERTS-unset}"\n', { mode: 0o755 });
    const r = await runTsbpf(['-q', '-c', script, '-e', 'tracepoint:syscalls:sys_enter_getppid { }'], {
      command: [command],
      env: { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', TSBPF_STARTUP_TRACE: '1' },
    });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), 'ca=/nonexistent/ca.pem saved=unset');
    t.is(buildOf(r), 'snapshot', r.stderr);
    // Node's "Ignoring extra certs" warning would come from node's start-up with the variable set.
    t.notRegex(r.stderr, /extra certs/i);
  }, { needs });
}

/** How the layout's command checks the blob: bin/tsbpf's shell code, or the compiled launcher. */
type Checker = 'sh' | 'launcher';

/**
 * A copy of the command's layout in a scratch directory: bin/ copied, dist/'s folders linked,
 * dist/bundle/ copied (the stamp there names ../main-style paths it cannot see, so a blob used
 * here runs dist/: `snapshot-dist`), native/build/Release/ holding links to the add-ons and, for
 * `launcher`, a copy of the launcher (it finds its tree from its own path), which is then the
 * command; for `sh`, bin/tsbpf with no launcher to exec.
 */
function layout(t: ExecutionContext, checker: Checker = 'sh'): { root: string; bundle: string; command: string[] } {
  const root = scratchDir(t);
  mkdirSync(join(root, 'bin'));
  for (const f of ['tsbpf', 'tsbpf.js']) copyFileSync(join(REPO_ROOT, 'bin', f), join(root, 'bin', f));
  chmodSync(join(root, 'bin', 'tsbpf'), 0o755);
  mkdirSync(join(root, 'dist'));
  for (const d of ['runtime', 'src', 'native', 'grammar']) symlinkSync(join(REPO_ROOT, 'dist', d), join(root, 'dist', d));
  const nativeOut = join(root, 'native', 'build', 'Release');
  mkdirSync(nativeOut, { recursive: true });
  for (const f of ['tsbpf_bpf.node', 'tsbpf_llvm.node', 'tsbpf_proc.node']) symlinkSync(join(NATIVE_OUT, f), join(nativeOut, f));
  if (checker === 'launcher') copyFileSync(LAUNCHER, join(nativeOut, 'tsbpf'));
  const bundle = join(root, 'dist', 'bundle');
  cpSync(BUNDLE, bundle, { recursive: true });
  chmodSync(bundle, 0o755);
  return { root, bundle, command: [checker === 'launcher' ? join(nativeOut, 'tsbpf') : join(root, 'bin', 'tsbpf')] };
}

const ONE_RUN = ['-e', 'BEGIN { printf("one %s\\n", comm); exit(2); }'];

/** The layout's command after `spoil`: took `build`, printed what bin/tsbpf.js prints. */
async function layoutRun(t: ExecutionContext, checker: Checker, spoil: (bundle: string) => void, build: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const { bundle, command } = layout(t, checker);
  spoil(bundle);
  const r = await runTsbpf(ONE_RUN, { command, env: { TSBPF_STARTUP_TRACE: '1', ...env } });
  t.is(buildOf(r), build, r.stderr);
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, 'one tsbpf\n\n\n');
}

const SPOILED: readonly [what: string, spoil: (bundle: string) => void, build: string, env?: NodeJS.ProcessEnv][] = [
  ['a copied tree with its blob uses the blob (the stamp sends it to dist/)', () => undefined, 'snapshot-dist'],
  ['no blob -> bin/tsbpf.js', (b) => rmSync(join(b, SNAPSHOT_BLOB)), 'dist'],
  ['a blob another node made -> bin/tsbpf.js', (b) => writeFileSync(join(b, SNAPSHOT_NODE), '1:2:3:4\n'), 'dist'],
  ['no record of the node that made it -> bin/tsbpf.js', (b) => rmSync(join(b, SNAPSHOT_NODE)), 'dist'],
  ['a record without its line end -> bin/tsbpf.js', (b) => writeFileSync(join(b, SNAPSHOT_NODE), readFileSync(join(b, SNAPSHOT_NODE), 'utf8').trimEnd()), 'dist'],
  ['a blob writable by group or others -> bin/tsbpf.js', (b) => chmodSync(join(b, SNAPSHOT_BLOB), 0o664), 'dist'],
  ['a blob writable by others only -> bin/tsbpf.js', (b) => chmodSync(join(b, SNAPSHOT_BLOB), 0o646), 'dist'],
  ['a bundle directory writable by others -> bin/tsbpf.js', (b) => chmodSync(b, 0o757), 'dist'],
  ['a bundle directory writable by its group -> bin/tsbpf.js', (b) => chmodSync(b, 0o775), 'dist'],
  ['a blob owned by another user -> bin/tsbpf.js', (b) => chownSync(join(b, SNAPSHOT_BLOB), 1, 1), 'dist'],
  ['a bundle directory owned by another user -> bin/tsbpf.js', (b) => chownSync(b, 1, 1), 'dist'],
  ['a blob that is a directory -> bin/tsbpf.js', (b) => {
    rmSync(join(b, SNAPSHOT_BLOB));
    mkdirSync(join(b, SNAPSHOT_BLOB));
  }, 'dist'],
  ['a blob that is a symlink -> bin/tsbpf.js', (b) => {
    const real = join(b, '..', 'elsewhere.snapshot');
    copyFileSync(join(b, SNAPSHOT_BLOB), real);
    rmSync(join(b, SNAPSHOT_BLOB));
    symlinkSync(real, join(b, SNAPSHOT_BLOB));
  }, 'dist'],
  ['TSBPF_NO_SNAPSHOT=1 -> bin/tsbpf.js', () => undefined, 'dist', { TSBPF_NO_SNAPSHOT: '1' }],
  ['TSBPF_NO_SNAPSHOT set but empty: the blob is used', () => undefined, 'snapshot-dist', { TSBPF_NO_SNAPSHOT: '' }],
];

for (const checker of ['sh', 'launcher'] as const) {
  for (const [what, spoil, build, env] of SPOILED) {
    const name = checker === 'sh' ? 'bin/tsbpf (shell)' : 'the launcher';
    kernelTest(`${name}: ${what}`, (t) => layoutRun(t, checker, spoil, build, env), { needs: checker === 'sh' ? noSnapshot : noLauncher });
  }
}

kernelTest('bin/tsbpf execs the launcher when it is built, with the arguments as given', async (t) => {
  const { root } = layout(t, 'sh');
  // A stand-in launcher that says how it was called.
  writeFileSync(join(root, 'native', 'build', 'Release', 'tsbpf'), '#!/bin/sh\nprintf "launcher:%s|" "$@"\n', { mode: 0o755 });
  const r = await runTsbpf(['-e', 'BEGIN { }', 'a b', ''], { command: [join(root, 'bin', 'tsbpf')] });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'launcher:-e|launcher:BEGIN { }|launcher:a b|launcher:|');
}, { needs: noSnapshot });

kernelTest('the launcher through a symlink (an installed command) finds its tree', async (t) => {
  const dir = scratchDir(t);
  symlinkSync(LAUNCHER, join(dir, 'tsbpf'));
  const r = await runTsbpf(ONE_RUN, { command: [join(dir, 'tsbpf')], env: { TSBPF_STARTUP_TRACE: '1' } });
  t.is(buildOf(r), 'snapshot', r.stderr);
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, 'one tsbpf\n\n\n');
}, { needs: () => noLauncher() ?? staleBundle() });

kernelTest('the launcher runs the snapshot, with the output and exit codes of bin/tsbpf.js', (t) => sameAsBinJs(t, [LAUNCHER], 'snapshot'), { needs: () => noLauncher() ?? staleBundle() });

kernelTest('the launcher with no node in PATH fails as bin/tsbpf does (status 127)', async (t) => {
  const r = await runTsbpf(['--version'], { command: [LAUNCHER], env: { PATH: '/nonexistent' } });
  t.is(r.code, 127, r.stderr);
  t.regex(r.stderr, /node/);
}, { needs: noLauncher });

kernelTest('bin/tsbpf through a symlink (an installed command) finds its tree', async (t) => {
  const dir = scratchDir(t);
  symlinkSync(WRAPPER, join(dir, 'tsbpf'));
  const r = await runTsbpf(ONE_RUN, { command: [join(dir, 'tsbpf')], env: { TSBPF_STARTUP_TRACE: '1' } });
  t.is(buildOf(r), 'snapshot', r.stderr);
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, 'one tsbpf\n\n\n');
}, { needs: staleBundle });

const haveScript = (): string | undefined => staleBundle() ?? (spawnSync('script', ['--version']).status === 0 ? undefined : 'needs script(1) (util-linux) for a terminal');

kernelTest('bin/tsbpf: the interactive shell runs from the snapshot (node:repl, the front end from dist/)', async (t) => {
  // A terminal (script(1)) makes tsbpf start its shell; the entry is typed once the prompt is up.
  const child = spawn('script', ['-q', '-c', WRAPPER, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', TSBPF_STARTUP_TRACE: '1', XDG_CACHE_HOME: scratchDir(t), TSBPF_HISTORY: '/dev/null' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const seen = (text: string): Promise<boolean> => eventually(() => out.includes(text), 20_000);
  t.true(await seen('tsbpf> '), out);
  child.stdin.write('BEGIN { printf("in shell\\n"); }\r');
  t.true(await seen('attached BEGIN'), out);
  child.stdin.write('.quit\r');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(code, 0, out);
  t.true(out.includes('in shell'), out);
  t.false(out.includes('ERROR'), out);
  t.regex(out, /tsbpf-startup run:snapshot /);
}, { needs: haveScript });
