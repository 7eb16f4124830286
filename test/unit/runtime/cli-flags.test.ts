/**
 * One flag table (runtime/cli-flags.ts) behind the parser, --help, the man page and completion:
 * every spelling the parser's switch accepts is in the table, every table row is accepted, and
 * the help and the man page (rendered by `man -l` where man is installed) name every flag.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_FLAGS, FLAG_GROUPS, helpText, valueOptions, type CliFlag } from '../../../runtime/cli-flags.js';
import { parseArgs, VERSION } from '../../../runtime/cli.js';
import { manPage } from '../../../runtime/man-page.js';
import { completeCli, flagWords } from '../../../runtime/cli-complete.js';

const ROOT = process.cwd();
const spellings = CLI_FLAGS.flatMap((f) => f.names);

/** A value the parser takes for this flag. */
function sampleValue(f: CliFlag): string {
  if (f.values) return f.values[0]!;
  if (f.names.includes('-p')) return '1';
  if (f.names.includes('--export')) return ':9464';
  return 'x';
}

test('every case label of the parser is a spelling in the flag table', (t) => {
  const source = readFileSync(join(ROOT, 'runtime', 'cli.ts'), 'utf8');
  const body = source.slice(source.indexOf('export function parseArgs'), source.indexOf('\n}\n', source.indexOf('export function parseArgs')));
  const labels = [...body.matchAll(/case '(-[^']*)':/g)].map((m) => m[1]!);
  t.true(labels.length > 30, labels.join(' '));
  t.deepEqual(labels.filter((l) => !spellings.includes(l)), []);
});

test('the parser accepts every spelling in the table, with a value where it takes one', (t) => {
  for (const f of CLI_FLAGS) {
    for (const name of f.names) {
      // `-` reads the program from stdin.
      if (name === '-') continue;
      const argv = f.arg && !f.optionalArg ? [name, sampleValue(f)] : [name];
      if (name === '--complete') argv.push('');
      // bpftrace flags tsbpf refuses say so in one line (a usage error).
      if (f.help.startsWith('refused:')) t.throws(() => parseArgs(argv), undefined, argv.join(' '));
      else t.notThrows(() => parseArgs(argv), argv.join(' '));
    }
  }
  t.throws(() => parseArgs(['--no-such-flag']), { message: "unrecognized option '--no-such-flag'" });
});

test('value-taking spellings map to their canonical name', (t) => {
  const v = valueOptions();
  t.is(v['--output'], '-o');
  t.is(v['--pid'], '-p');
  t.is(v['--flamegraph'], '--flamegraph');
  t.false('-l' in v, '-l takes its value only when one follows');
  t.false('-q' in v);
});

test('--help names every flag, grouped as bpftrace groups them', (t) => {
  const help = helpText();
  t.true(help.startsWith('USAGE:\n'));
  for (const s of spellings) t.true(new RegExp(`(^|[ ,])${s.replace(/[-]/g, '\\-')}([ ,\\n]|$)`, 'm').test(help), s);
  const headings = ['OPTIONS:', 'DEVELOPER OPTIONS:', 'TROUBLESHOOTING OPTIONS:', 'ENVIRONMENT:', 'EXAMPLES:'].map((h) => help.indexOf(`\n${h}\n`));
  t.false(headings.includes(-1), String(headings));
  t.deepEqual([...headings].sort((a, b) => a - b), headings);
  // Every line fits a terminal.
  for (const l of help.split('\n')) if (!l.startsWith('tsbpf ')) t.true(l.length <= 110, l);
});

const hasMan = spawnSync('man', ['--version']).status === 0;
(hasMan ? test : test.skip)(`the man page renders with man -l and names every flag${hasMan ? '' : ' (skipped: needs man)'}`, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-man-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tsbpf.8');
  writeFileSync(file, manPage(VERSION));
  const r = spawnSync('man', ['-l', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8', MANPAGER: 'cat', PAGER: 'cat' } });
  t.is(r.status, 0, r.stderr);
  const text = r.stdout;
  t.regex(text, /^TSBPF\(8\)/);
  t.regex(text, new RegExp(`tsbpf ${VERSION.replace(/\./g, '\\.')}`));
  for (const s of spellings) t.true(new RegExp(`(^|[ ,])${s.replace(/[-]/g, '\\-')}([ ,\\n]|$)`, 'm').test(text), s);
  for (const g of FLAG_GROUPS) t.true(text.includes(g.heading), g.heading);
  for (const h of ['NAME', 'SYNOPSIS', 'OPTIONS', 'INTERACTIVE SHELL', 'ENVIRONMENT', 'EXAMPLES']) t.regex(text, new RegExp(`^${h}$`, 'm'));
  t.true(text.includes('.flamegraph file.svg'));
});

test('--complete: flags, flag values, and what the shell completes itself', async (t) => {
  t.deepEqual(await completeCli('tsbpf', '--flameg'), ['--flamegraph']);
  t.deepEqual(await completeCli('tsbpf', '--no-'), ['--no-warnings', '--no-feature', '--no-cache']);
  t.deepEqual(await completeCli('-f', ''), ['text', 'json', 'folded']);
  t.deepEqual(await completeCli('-B', 'f'), ['full']);
  t.deepEqual(await completeCli('--no-feature', 'u'), ['uprobe_multi']);
  t.deepEqual(await completeCli('-o', 'out'), ['@files']);
  t.deepEqual(await completeCli('-c', 'l'), ['@commands']);
  t.deepEqual(await completeCli('tsbpf', 'script'), ['@files']);
  t.true((await completeCli('-p', '')).includes(String(process.pid)));
  // -l takes no value when a flag follows.
  t.deepEqual(await completeCli('-l', '--qu'), ['--quiet']);
  t.false(flagWords().includes('--'));
});
