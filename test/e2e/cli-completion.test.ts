/**
 * The bash completion script (completion/tsbpf.bash) in a real bash: it is registered for tsbpf,
 * completes a flag, a flag's value, a probe type, a tracepoint category (bash splits words at
 * ':', so only the part after the last colon is replaced) and a tracepoint, all through
 * `tsbpf --complete`. Root: tracefs lists the tracepoints.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { kernelTest, REPO_ROOT, TSBPF_BIN } from '../helpers/tsbpf.js';

const SCRIPT = join(REPO_ROOT, 'completion', 'tsbpf.bash');

/** What the completion offers for `line` (the cursor at its end), in a bash that sourced the script. */
function bashComplete(line: string): { replies: string[]; registered: string; nospace: boolean } {
  const program = `
source ${JSON.stringify(SCRIPT)}
complete -p tsbpf
COMP_LINE=${JSON.stringify(`${TSBPF_BIN} ${line}`)}
COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
compopt() { [[ $* == *nospace* ]] && echo NOSPACE; return 0; }
_tsbpf
printf 'REPLY %s\\n' "\${COMPREPLY[@]}"
`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash failed: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  return {
    registered: lines[0]!,
    replies: lines.filter((l) => l.startsWith('REPLY ')).map((l) => l.slice(6)),
    nospace: lines.includes('NOSPACE'),
  };
}

const needsBash = (): string | undefined => (spawnSync('bash', ['--version']).status === 0 ? undefined : 'needs bash');

kernelTest('bash completion: flags, flag values, probe types, tracepoint categories and events', (t) => {
  const flag = bashComplete('--flameg');
  t.is(flag.registered, 'complete -F _tsbpf tsbpf');
  t.deepEqual(flag.replies, ['--flamegraph']);
  t.deepEqual(bashComplete('-f fo').replies, ['folded']);
  t.deepEqual(bashComplete('-d code').replies, ['codegen', 'codegen-opt']);
  const type = bashComplete('-l tracep');
  t.deepEqual(type.replies, ['tracepoint:']);
  t.true(type.nospace, 'typing goes on after tracepoint:');
  // bash replaces the word after the last ':' only.
  const category = bashComplete('-l tracepoint:sysc');
  t.deepEqual(category.replies, ['syscalls:']);
  t.true(category.nospace);
  t.deepEqual(bashComplete('-l t:syscalls:sys_enter_openat').replies, ['sys_enter_openat', 'sys_enter_openat2']);
}, { needs: needsBash });

/**
 * What the zsh completion function (completion/_tsbpf) adds for the words after `tsbpf`, run in a
 * real zsh with compsys's `compadd`/`_files` replaced by recorders (`-S` suffixes are appended).
 */
function zshComplete(...words: string[]): string[] {
  const program = `
compadd() { local s=""; while [[ $1 == -* ]]; do if [[ $1 == -S ]]; then s=$2; shift; fi; if [[ $1 == -- ]]; then shift; break; fi; shift; done; for c in "$@"; do print -r -- "ADD $c$s"; done }
_files() { print -r -- "ADD @files" }
_command_names() { print -r -- "ADD @commands" }
words=(${JSON.stringify(TSBPF_BIN)} "\${(@)argv}"); CURRENT=$#words
source ${JSON.stringify(join(REPO_ROOT, 'completion', '_tsbpf'))}
`;
  const r = spawnSync('zsh', ['-f', '-c', program, 'zsh', ...words], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zsh failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('ADD ')).map((l) => l.slice(4));
}

const needsZsh = (): string | undefined => (spawnSync('zsh', ['--version']).status === 0 ? undefined : 'needs zsh');

kernelTest('zsh completion: flags, flag values, files, probe types and tracepoint categories', (t) => {
  t.deepEqual(zshComplete('--flameg'), ['--flamegraph']);
  t.deepEqual(zshComplete('-f', 'fo'), ['folded']);
  t.deepEqual(zshComplete('-o', 'x'), ['@files']);
  t.deepEqual(zshComplete('-l', 'tracep'), ['tracepoint:']);
  t.deepEqual(zshComplete('-l', 'tracepoint:sysc'), ['tracepoint:syscalls:']);
}, { needs: needsZsh });
