/**
 * `tsbpf --complete PREV CUR`: the candidates for the word CUR typed after PREV, one per line,
 * for the bash and zsh completion scripts (completion/tsbpf.bash, completion/_tsbpf). Flags and
 * their values come from the flag table (runtime/cli-flags.ts); probe types, tracepoint
 * categories and events from the shell's own completion (runtime/shell/completion.ts) over the
 * probe providers. A value the shell completes better itself is a marker line: `@files`, `@dirs`,
 * `@commands`.
 */
import { readdirSync } from 'node:fs';
import { CLI_FLAGS, flagNamed } from './cli-flags.js';
import { complete, type CompletionSource } from './shell/completion.js';

export const FILES = '@files';
export const DIRS = '@dirs';
export const COMMANDS = '@commands';

export async function completeCli(prev: string, cur: string): Promise<string[]> {
  const flag = flagNamed(prev);
  const takesValue = flag?.arg !== undefined && !(flag.optionalArg && cur.startsWith('-'));
  if (flag && takesValue) {
    if (flag.values) return flag.values.filter((v) => v.startsWith(cur));
    switch (flag.valueKind) {
      case 'file':
        return [FILES];
      case 'dir':
        return [DIRS];
      case 'command':
        return [COMMANDS];
      case 'pid':
        return processIds().filter((p) => p.startsWith(cur));
      case 'probe':
        return completeProbe(cur);
      default:
        return [];
    }
  }
  if (cur.startsWith('-')) return flagWords().filter((n) => n.startsWith(cur));
  // A script file; or a probe, for a word that names one.
  return cur.includes(':') ? completeProbe(cur) : [FILES];
}

/** Every flag spelling worth offering (`-` and `--` alone are not completions). */
export function flagWords(): string[] {
  return CLI_FLAGS.flatMap((f) => f.names).filter((n) => n.length > 1 && n !== '--');
}

function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

/** An attach point as the shell completes one: `t` → `t:`, `tracepoint:sys` → `tracepoint:syscalls:`. */
async function completeProbe(word: string): Promise<string[]> {
  const front = await import('../src/index.js').then((m) => m.loadInteractive());
  const src: CompletionSource = {
    providers: () => front.PROVIDERS,
    listProbes: (name) => {
      try {
        return front.PROVIDERS.find((p) => p.name === name)?.list() ?? [];
      } catch {
        return [];
      }
    },
    builtins: () => [],
    functions: () => [],
    mapNames: () => [],
    probeIds: () => [],
    tokens: (text) => front.shellTokens(text),
  };
  try {
    return complete(src, '', word)[0];
  } catch {
    // Lists the kernel does not let this user read (tracefs as non-root): nothing to offer.
    return [];
  }
}
