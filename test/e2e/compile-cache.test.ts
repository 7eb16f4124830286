/**
 * Fault tests of the compile cache (runtime/compile/compile-cache.ts, docs/security.md): tsbpf runs as root
 * and loads what the cache holds, so planted, forged, damaged or stale entries, unsafe cache
 * directories and symlinks must never change what runs. Each test has its own XDG_CACHE_HOME.
 * Authenticated entries are written with the same module tsbpf uses, so a test can tell "refused
 * because unauthenticated" from "refused because malformed or unsafe".
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { cacheEntryName, cacheKeyText, type CompileRequest } from '../../runtime/compile/compiler.js';
import { openCacheDir, readEntry, writeEntry, type CacheEntry, type PrivateDir } from '../../runtime/compile/compile-cache.js';
import type { CompiledScript } from '../../src/contract/index.js';
import { describeRun, kernelTest, runTsbpf, scratchDir, stderrLines, uniqueTag, type RunResult } from '../helpers/tsbpf.js';

const STACK_FRAME = /^\s+at .+/m;
const CACHE_WARNING = /^WARNING: not using the compile cache: /;

/** A fresh XDG_CACHE_HOME (0700, root's), removed in teardown; the cache itself is `<home>/tsbpf`. */
function cacheHome(t: ExecutionContext): { home: string; dir: string } {
  const home = mkdtempSync(join(tmpdir(), 'tsbpf-cache-test-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  return { home, dir: join(home, 'tsbpf') };
}

function run(home: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  return runTsbpf(args, { env: { XDG_CACHE_HOME: home }, cwd });
}

/** The request the CLI makes for `tsbpf [--unsafe] -e text` (cli.ts: default warning level 1). */
function request(text: string, unsafe = false): CompileRequest {
  return { source: { name: 'stdin', text }, positionals: [], unsafe, warningLevel: 1 };
}

function privateDir(dir: string): PrivateDir {
  const opened = openCacheDir(dir);
  if (opened.kind !== 'ok') throw new Error(`cache dir ${dir} not usable: ${JSON.stringify(opened)}`);
  return opened.dir;
}

/** The cache entry (and its name) the CLI uses for `-e text`, read through the module: authenticated, checked. */
async function entryOf(dir: string, text: string, unsafe = false): Promise<{ name: string; key: string; script: CompiledScript }> {
  const key = cacheKeyText(request(text, unsafe));
  const name = cacheEntryName(key);
  const read = await readEntry(privateDir(dir), name, key);
  if (!('script' in read)) throw new Error(`no usable entry ${name}: ${read.miss}`);
  return { name, key, script: read.script };
}

/** The script with its first printf's format replaced: what a forged entry would print. */
function withFormat(script: CompiledScript, format: string): CompiledScript {
  const events = script.events.map((e, i) => (i === 0 && e.kind === 'printf' ? { ...e, format } : e));
  return { ...script, events };
}

/** A one-liner with unique text (no other test's entry can match) printing `real <tag>`. */
function printingScript(): { text: string; expected: string } {
  const tag = uniqueTag(8);
  return { text: `BEGIN { printf("real %s\\n", "${tag}"); exit(); }`, expected: `real ${tag}\n` };
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.tmp'));
}

function assertRanClean(t: ExecutionContext, r: RunResult, stdout: string): void {
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, `${stdout}\n\n`, describeRun(r));
  t.notRegex(r.stderr, STACK_FRAME, describeRun(r));
}

kernelTest('a planted entry with the right key but no or a wrong HMAC is not used: the script is recompiled', async (t) => {
  const { home, dir } = cacheHome(t);
  const { text, expected } = printingScript();
  const first = await run(home, ['-e', text]);
  assertRanClean(t, first, expected);
  const { name, key, script } = await entryOf(dir, text);
  const forged = Buffer.from(JSON.stringify({ key, script: withFormat(script, 'planted\n') }));
  const otherKey = randomBytes(32);
  const variants: Record<string, Buffer> = {
    'no HMAC': forged,
    'a zero HMAC': Buffer.concat([Buffer.from(`tsbpf-cache-1 ${'0'.repeat(64)}\n`), forged]),
    'an HMAC under another key': Buffer.concat([Buffer.from(`tsbpf-cache-1 ${createHmac('sha256', otherKey).update(forged).digest('hex')}\n`), forged]),
  };
  for (const [what, bytes] of Object.entries(variants)) {
    writeFileSync(join(dir, name), bytes, { mode: 0o600 });
    const r = await run(home, ['-e', text]);
    t.true(r.stdout.startsWith(expected), `${what}: ${describeRun(r)}`);
    t.false(r.stdout.includes('planted'), `${what}: ${describeRun(r)}`);
    t.is(r.code, 0, `${what}: ${describeRun(r)}`);
  }
  // Control: the same forgery under the real key is used, so the refusals above were the HMAC's doing.
  const realKey = readFileSync(join(dir, 'key'));
  writeFileSync(join(dir, name), Buffer.concat([Buffer.from(`tsbpf-cache-1 ${createHmac('sha256', realKey).update(forged).digest('hex')}\n`), forged]), { mode: 0o600 });
  const control = await run(home, ['-e', text]);
  t.true(control.stdout.startsWith('planted\n'), describeRun(control));
});

kernelTest('corrupt, truncated and malformed entries are misses, never a crash', async (t) => {
  const { home, dir } = cacheHome(t);
  const { text, expected } = printingScript();
  assertRanClean(t, await run(home, ['-e', text]), expected);
  const { name, key, script } = await entryOf(dir, text);
  const whole = readFileSync(join(dir, name));
  const damaged: Record<string, () => Promise<void>> = {
    truncated: async () => writeFileSync(join(dir, name), whole.subarray(0, whole.length >> 1), { mode: 0o600 }),
    garbage: async () => writeFileSync(join(dir, name), randomBytes(whole.length), { mode: 0o600 }),
    empty: async () => writeFileSync(join(dir, name), '', { mode: 0o600 }),
  };
  // Authenticated (written by the cache module itself) but not CompiledScripts.
  const malformed: Record<string, unknown> = {
    'programs: []': { ...script, programs: [] },
    'no events': { ...script, events: undefined },
    'events not an array': { ...script, events: {} },
    'insns not instructions': { ...script, programs: script.programs.map((p) => ({ ...p, insns: 'AAAA' })) },
    'an unknown event kind': { ...script, events: [{ kind: 'rm -rf', args: [] }] },
    'no ring buffer map': { ...script, ringbufMap: 999 },
    'a map without a name': { ...script, maps: script.maps.map((m, i) => (i === 0 ? { ...m, name: undefined } : m)) },
    'a type nested a thousand deep': { ...script, events: [{ kind: 'printf', format: '%d\n', args: [nest(1000)] }] },
    'not an object': 42,
  };
  for (const [what, value] of Object.entries(malformed)) {
    damaged[what] = async () => {
      t.true(await writeEntry(privateDir(dir), name, { key, script: value } as unknown as CacheEntry), what);
    };
  }
  for (const [what, plant] of Object.entries(damaged)) {
    await plant();
    const r = await run(home, ['-e', text]);
    t.is(r.code, 0, `${what}: ${describeRun(r)}`);
    t.true(r.stdout.startsWith(expected), `${what}: ${describeRun(r)}`);
    t.notRegex(r.stderr, STACK_FRAME, `${what}: ${describeRun(r)}`);
    // Recompiled and stored again: the entry is whole and usable afterwards.
    t.deepEqual((await entryOf(dir, text)).script.events, script.events, what);
  }
});

function nest(depth: number): unknown {
  let t: unknown = { kind: 'int', bits: 64, signed: false };
  for (let i = 0; i < depth; i++) t = { kind: 'tuple', elems: [t] };
  return t;
}

kernelTest('a cache directory that is group/other-writable, another user\'s or a symlink is ignored with one warning', async (t) => {
  const cases: Record<string, (dir: string, home: string) => void> = {
    'mode 0777': (dir) => chmodSync(dir, 0o777),
    'mode 0720 (group-writable)': (dir) => chmodSync(dir, 0o720),
    'owned by uid 65534': (dir) => chownSync(dir, 65534, 65534),
    'a symlink to a private directory': (dir, home) => {
      const real = join(home, 'real');
      rmSync(real, { recursive: true, force: true });
      // A private, root-owned directory holding the planted entry: only the symlink is wrong.
      mkdirSync(real, { mode: 0o700 });
      for (const n of readdirSync(dir)) writeFileSync(join(real, n), readFileSync(join(dir, n)), { mode: 0o600 });
      rmSync(dir, { recursive: true });
      symlinkSync(real, dir);
    },
  };
  for (const [what, spoil] of Object.entries(cases)) {
    const { home, dir } = cacheHome(t);
    const { text, expected } = printingScript();
    assertRanClean(t, await run(home, ['-e', text]), expected);
    // An authenticated entry that prints something else: used only if the directory is.
    const { name, key, script } = await entryOf(dir, text);
    t.true(await writeEntry(privateDir(dir), name, { key, script: withFormat(script, 'planted\n') }));
    spoil(dir, home);
    const before = readdirSync(dir).sort();
    const r = await run(home, ['-e', text]);
    t.is(r.code, 0, `${what}: ${describeRun(r)}`);
    t.true(r.stdout.startsWith(expected), `${what}: ${describeRun(r)}`);
    t.is(stderrLines(r.stderr).filter((l) => CACHE_WARNING.test(l)).length, 1, `${what}: ${describeRun(r)}`);
    t.notRegex(r.stderr, STACK_FRAME, `${what}: ${describeRun(r)}`);
    t.deepEqual(readdirSync(dir).sort(), before, `${what}: nothing written`);
  }
});

kernelTest('symlinks at entry or temporary names are not written through, and no temporary file is left', async (t) => {
  const { home, dir } = cacheHome(t);
  const victimDir = scratchDir(t);
  const victim = join(victimDir, 'victim');
  writeFileSync(victim, 'victim\n');
  const { text, expected } = printingScript();
  // Creates the directory and its key (--no-cache would not).
  assertRanClean(t, await run(home, ['-e', 'BEGIN { exit(); }']), '');
  const name = cacheEntryName(cacheKeyText(request(text)));
  symlinkSync(victim, join(dir, name));
  assertRanClean(t, await run(home, ['-e', text]), expected);
  t.is(readFileSync(victim, 'utf8'), 'victim\n');
  t.true(lstatSync(join(dir, name)).isFile(), 'the symlink was replaced by the entry');
  t.deepEqual(tempFiles(dir), []);

  // The temporary name is random; through the module, a symlink at the one it picks is refused (O_EXCL|O_NOFOLLOW).
  const { key, script } = await entryOf(dir, text);
  const trap = '.trap.tmp';
  symlinkSync(victim, join(dir, trap));
  t.false(await writeEntry(privateDir(dir), name, { key, script }, trap));
  t.is(readFileSync(victim, 'utf8'), 'victim\n');
  t.true(lstatSync(join(dir, trap)).isSymbolicLink());
  unlinkSync(join(dir, trap));

  // A write that fails at the rename (a directory where the entry goes) leaves nothing behind.
  const other = printingScript();
  const otherName = cacheEntryName(cacheKeyText(request(other.text)));
  mkdirSync(join(dir, otherName));
  assertRanClean(t, await run(home, ['-e', other.text]), other.expected);
  t.deepEqual(tempFiles(dir), []);
  t.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);
});

kernelTest('an edited, added or deleted imported file is recompiled, or reported', async (t) => {
  const { home } = cacheHome(t);
  const dir = scratchDir(t);
  const tag = uniqueTag(6);
  writeFileSync(join(dir, 'lib.bt'), `BEGIN { printf("lib one ${tag}\\n"); }\n`);
  mkdirSync(join(dir, 'more'));
  writeFileSync(join(dir, 'more', 'a.bt'), `BEGIN { printf("more a\\n"); }\n`);
  writeFileSync(join(dir, 'main.bt'), 'import "lib.bt";\nimport "more";\nBEGIN { exit(); }\n');
  const main = join(dir, 'main.bt');
  const first = await run(home, [main]);
  t.is(first.code, 0, describeRun(first));
  t.true(first.stdout.startsWith(`lib one ${tag}\nmore a\n`), describeRun(first));

  writeFileSync(join(dir, 'lib.bt'), `BEGIN { printf("lib two ${tag}\\n"); }\n`);
  const edited = await run(home, [main]);
  t.true(edited.stdout.startsWith(`lib two ${tag}\nmore a\n`), describeRun(edited));

  writeFileSync(join(dir, 'more', 'b.bt'), `BEGIN { printf("more b\\n"); }\n`);
  const added = await run(home, [main]);
  t.true(added.stdout.startsWith(`lib two ${tag}\nmore a\nmore b\n`), describeRun(added));

  unlinkSync(join(dir, 'lib.bt'));
  const deleted = await run(home, [main]);
  t.is(deleted.code, 1, describeRun(deleted));
  t.regex(deleted.stderr, /cannot import .*lib\.bt: no such file or directory/, describeRun(deleted));
  t.notRegex(deleted.stderr, STACK_FRAME, describeRun(deleted));
});

kernelTest('the same -e text with relative imports from another directory imports that directory\'s files', async (t) => {
  const { home } = cacheHome(t);
  const text = 'import "lib.bt"; BEGIN { exit(); }';
  const outputs: string[] = [];
  for (const word of ['left', 'right']) {
    const dir = scratchDir(t);
    writeFileSync(join(dir, 'lib.bt'), `BEGIN { printf("${word}\\n"); }\n`);
    const r = await run(home, ['-e', text], dir);
    t.is(r.code, 0, describeRun(r));
    outputs.push(r.stdout.split('\n')[0]!);
  }
  t.deepEqual(outputs, ['left', 'right']);
});

kernelTest('a cached script that uses an unsafe function is refused without --unsafe, even when authenticated', async (t) => {
  const cases = {
    'system()': 'BEGIN { system("echo ran-system"); exit(); }',
    'bpf_send_signal': 'BEGIN { signal("SIGCONT"); exit(); }',
    'bpf_send_signal_thread': 'BEGIN { signal_thread("SIGCONT"); exit(); }',
  };
  for (const [what, text] of Object.entries(cases)) {
    const { home, dir } = cacheHome(t);
    const compiled = await run(home, ['--unsafe', '--dry-run', '-e', text]);
    t.is(compiled.code, 0, `${what}: ${describeRun(compiled)}`);
    // The --unsafe compile, stored under the key of the same text without --unsafe.
    const { script } = await entryOf(dir, text, true);
    const safeKey = cacheKeyText(request(text));
    t.true(await writeEntry(privateDir(dir), cacheEntryName(safeKey), { key: safeKey, script }));
    const r = await run(home, ['-e', text]);
    t.is(r.code, 1, `${what}: ${describeRun(r)}`);
    const lines = stderrLines(r.stderr).filter((l) => l.startsWith('ERROR'));
    t.deepEqual(lines, [`ERROR: refusing to load a script that uses unsafe functions (${what}) without --unsafe`], `${what}: ${describeRun(r)}`);
    t.false(r.stdout.includes('ran-system'), `${what}: ${describeRun(r)}`);
    // And with --unsafe the same entry runs.
    const allowed = await run(home, ['--unsafe', '-e', text]);
    t.is(allowed.code, 0, `${what}: ${describeRun(allowed)}`);
  }
});
