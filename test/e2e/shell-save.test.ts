/**
 * The shell's `.save FILE` (tsbpf runs as root): never through a symbolic link, asks before
 * overwriting an existing file (`.save! FILE` overwrites without asking), new files are 0600.
 */
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { kernelTest, scratchDir } from '../helpers/tsbpf.js';
import { haveTmux, TmuxShell } from '../helpers/tmux-shell.js';

const title = '.save: refuses a symbolic link, asks before overwriting, .save! forces, new files are private';
if (!haveTmux()) test.skip(`${title} (skipped: tmux is not installed)`, () => undefined);
else
  kernelTest(
    title,
    async (t) => {
      const dir = scratchDir(t);
      const sh = new TmuxShell(t);
      await sh.waitFor('tsbpf> ');
      await sh.run('interval:s:1000 { @saved = 1; }');

      // A symbolic link (here to a file the attacker wants clobbered) is refused; the target is untouched.
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'precious\n');
      const link = join(dir, 'link.tbpf');
      symlinkSync(victim, link);
      t.regex(await sh.run(`.save ${link}`), /ERROR: .*link\.tbpf is a symbolic link; not following it/);
      t.regex(await sh.run(`.save! ${link}`), /ERROR: .*link\.tbpf is a symbolic link; not following it/);
      t.is(readFileSync(victim, 'utf8'), 'precious\n');

      // A new file: written, private.
      const file = join(dir, 'out.tbpf');
      t.regex(await sh.run(`.save ${file}`), /saved 1 probe/);
      t.is(statSync(file).mode & 0o777, 0o600);
      t.true(readFileSync(file, 'utf8').includes('@saved = 1'));

      // It exists now: .save asks; "n" keeps it.
      writeFileSync(file, 'keep me\n');
      sh.line(`.save ${file}`);
      await sh.waitFor(/out\.tbpf exists; overwrite it\? \[y\/N\] $/m);
      t.regex(await sh.run('n'), /not saved/);
      t.is(readFileSync(file, 'utf8'), 'keep me\n');
      // "y" overwrites.
      sh.line(`.save ${file}`);
      await sh.waitFor((s) => (s.match(/overwrite it\? \[y\/N\]/g) ?? []).length === 2);
      t.regex(await sh.run('y'), /saved 1 probe/);
      t.true(readFileSync(file, 'utf8').includes('@saved = 1'));
      // .save! does not ask.
      writeFileSync(file, 'again\n');
      t.regex(await sh.run(`.save! ${file}`), /saved 1 probe/);
      t.true(readFileSync(file, 'utf8').includes('@saved = 1'));
      sh.press('C-d');
      t.is(await sh.exited(), 0);
    },
    { serial: true },
  );
