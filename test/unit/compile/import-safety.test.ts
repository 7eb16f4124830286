/**
 * `import` refuses files another user could change (src/passes/import-safety.ts): checked on real
 * files and directories made here (the tests run as root, so chown works), no kernel needed.
 */
import test from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFrontend } from '../../../src/compile.js';
import { unsafeDirectory } from '../../../src/passes/import-safety.js';

/** A user id that is neither root nor us. */
const OTHER_UID = 65534;
const isRoot = process.geteuid?.() === 0;
const rootTest = isRoot ? test : test.skip;
if (!isRoot) console.log('import-safety: chown needs root; skipping the tests that give files to another user');

function scratch(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-import-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const LIB = 'macro twice(x) { x * 2 }\n';
const main = (path: string) => `import "${path}";\nBEGIN { $x = twice(2); }\n`;

function importErrors(path: string): { code: string; at: string; message: string }[] {
  const text = main(path);
  return compileFrontend({ name: 'stdin', text }).diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({ code: d.code, at: d.span ? text.slice(d.span.start, d.span.end) : '', message: d.message }));
}

test('a file owned by us, in a private directory, imports', (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'lib.bt'), LIB, { mode: 0o644 });
  t.deepEqual(importErrors(join(dir, 'lib.bt')), []);
});

test('a group- or world-writable file is refused at the import statement', (t) => {
  const dir = scratch(t);
  for (const mode of [0o666, 0o664]) {
    const f = join(dir, `lib${mode.toString(8)}.bt`);
    writeFileSync(f, LIB);
    chmodSync(f, mode);
    const errs = importErrors(f);
    t.deepEqual(errs.map((e) => [e.code, e.at]), [['import-unsafe', `import "${f}";`]]);
    t.regex(errs[0]!.message, /writable by (everyone|its group)/);
  }
});

rootTest('a file owned by another user is refused, even in a sticky directory like /tmp', (t) => {
  const dir = scratch(t);
  const sticky = join(dir, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const theirs = join(sticky, 'theirs.bt');
  writeFileSync(theirs, LIB, { mode: 0o644 });
  chownSync(theirs, OTHER_UID, OTHER_UID);
  t.deepEqual(importErrors(theirs).map((e) => e.code), ['import-unsafe']);
  t.regex(importErrors(theirs)[0]!.message, /owned by another user \(uid 65534\)/);
  // Ours, in the same sticky directory: others cannot replace it, so it imports.
  const ours = join(sticky, 'ours.bt');
  writeFileSync(ours, LIB, { mode: 0o644 });
  t.deepEqual(importErrors(ours), []);
});

test('a world-writable directory without the sticky bit is refused, for files and whole-directory imports', (t) => {
  const dir = scratch(t);
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  writeFileSync(join(open, 'lib.bt'), LIB, { mode: 0o644 });
  t.deepEqual(importErrors(join(open, 'lib.bt')).map((e) => e.code), ['import-unsafe']);
  t.deepEqual(importErrors(open).map((e) => e.code), ['import-unsafe']);
  t.regex(unsafeDirectory(open) ?? '', /writable by everyone/);
});

test('a symlink from a safe directory into a world-writable one is resolved and refused', (t) => {
  const dir = scratch(t);
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  writeFileSync(join(open, 'lib.bt'), LIB, { mode: 0o644 });
  const safe = join(dir, 'safe');
  mkdirSync(safe, { mode: 0o755 });
  symlinkSync(join(open, 'lib.bt'), join(safe, 'lib.bt'));
  const errs = importErrors(join(safe, 'lib.bt'));
  t.deepEqual(errs.map((e) => e.code), ['import-unsafe']);
  t.true(errs[0]!.message.includes(open), errs[0]!.message);
});

rootTest('a directory on the path owned by another user is refused', (t) => {
  const dir = scratch(t);
  const theirs = join(dir, 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  writeFileSync(join(theirs, 'lib.bt'), LIB, { mode: 0o644 });
  chownSync(theirs, OTHER_UID, OTHER_UID);
  t.regex(importErrors(join(theirs, 'lib.bt'))[0]?.message ?? '', /directory \S*theirs is owned by another user/);
});
