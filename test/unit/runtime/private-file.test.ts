import { linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { writePrivateFile } from '../../../runtime/output/private-file.js';

function dir(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'tsbpf-private-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a new file is created private (0600) with the text', (t) => {
  const path = join(dir(t), 'new.tbpf');
  t.deepEqual(writePrivateFile(path, 'hello\n', false), { kind: 'written' });
  t.is(readFileSync(path, 'utf8'), 'hello\n');
  t.is(statSync(path).mode & 0o777, 0o600);
});

test('an existing file is not touched without overwrite (the shell asks), and replaced with it', (t) => {
  const path = join(dir(t), 'old.tbpf');
  writeFileSync(path, 'old contents that are longer\n');
  t.deepEqual(writePrivateFile(path, 'new\n', false), { kind: 'exists' });
  t.is(readFileSync(path, 'utf8'), 'old contents that are longer\n');
  t.deepEqual(writePrivateFile(path, 'new\n', true), { kind: 'written' });
  t.is(readFileSync(path, 'utf8'), 'new\n');
});

test('a symbolic link is never followed, with or without overwrite, dangling or not', (t) => {
  const d = dir(t);
  const target = join(d, 'target');
  writeFileSync(target, 'precious\n');
  const link = join(d, 'link.tbpf');
  symlinkSync(target, link);
  for (const overwrite of [false, true]) {
    const r = writePrivateFile(link, 'evil\n', overwrite);
    t.is(r.kind, 'refused');
    t.regex(r.kind === 'refused' ? r.message : '', /symbolic link/);
  }
  t.is(readFileSync(target, 'utf8'), 'precious\n');
  const dangling = join(d, 'dangling.tbpf');
  const missing = join(d, 'would-be-created');
  symlinkSync(missing, dangling);
  t.is(writePrivateFile(dangling, 'evil\n', false).kind, 'refused');
  t.is(writePrivateFile(dangling, 'evil\n', true).kind, 'refused');
  t.throws(() => lstatSync(missing), undefined, 'nothing created through the dangling link');
});

test('a file with another hard link is not written through', (t) => {
  const d = dir(t);
  const target = join(d, 'target');
  writeFileSync(target, 'precious\n');
  const alias = join(d, 'alias.tbpf');
  linkSync(target, alias);
  const r = writePrivateFile(alias, 'evil\n', true);
  t.is(r.kind, 'refused');
  t.is(readFileSync(target, 'utf8'), 'precious\n');
});

test('a directory is refused with a reason', (t) => {
  const r = writePrivateFile(dir(t), 'x', true);
  t.is(r.kind, 'refused');
});
