/**
 * Tab completion for the shell: probe types, tracepoint categories and names, kernel functions,
 * builtins, functions, map names, `args.` fields of the probe being typed, and the dot commands.
 * Pure over a `CompletionSource` (the kernel's lists), so unit tests use a fake one.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ProviderCompletion } from '../../src/index.js';
import { SHELL_COMMANDS } from './repl-commands.js';

/** A probe type as completion sees it: the registry's providers (src/providers/registry.ts). */
export interface CompletionProvider {
  /** Canonical name and aliases (`tracepoint`, [`t`]). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** The provider's own completion (attach point words, `args.` fields); absent: `listProbes`. */
  readonly completion?: ProviderCompletion;
}

export interface CompletionSource {
  providers(): readonly CompletionProvider[];
  /** Every probe of a type, as full canonical names (`uprobe:/bin/bash:readline`); for types without their own completion. */
  listProbes(provider: string): readonly string[];
  builtins(): readonly string[];
  functions(): readonly string[];
  /** Maps of the live session. */
  mapNames(): readonly string[];
  /** Ids of attached probes (for `.detach`). */
  probeIds(): readonly number[];
  /** The lexer, as the shell sees it: block and predicate structure of the text so far. */
  tokens(text: string): readonly { readonly kind: string; readonly image: string; readonly start: number }[];
}

export type Completion = [completions: string[], word: string];

const KEYWORDS = ['if', 'else', 'for', 'while', 'unroll', 'return', 'break', 'continue', 'let', 'args'];

/**
 * Complete `line` (the text before the cursor); `pending` is the earlier lines of a multi-line
 * entry still being typed (empty when none).
 */
export function complete(src: CompletionSource, pending: string, line: string): Completion {
  if (!pending && /^\s*\./.test(line)) return completeCommand(src, line);
  const text = pending ? `${pending}\n${line}` : line;
  const ctx = context(src, text);
  if (ctx.inProbeHead) {
    const word = /[^\s{}<>,]*$/.exec(line)![0];
    return [completeAttachPoint(src, word), word];
  }
  const word = /(?:args(?:\.|->)[A-Za-z0-9_]*|@[A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)$/.exec(line)?.[0] ?? '';
  if (word.startsWith('@')) return [prefixed(uniq([...src.mapNames(), ...mapsIn(text.slice(0, text.length - word.length))]), word).sort(), word];
  const args = /^(args(?:\.|->))([A-Za-z0-9_]*)$/.exec(word);
  if (args) {
    const fields = ctx.attachPoint ? fieldsOf(src, ctx.attachPoint) : [];
    return [prefixed(fields.map((f) => args[1]! + f), word), word];
  }
  const ident = word;
  if (!ident) return [[], ''];
  return [prefixed(uniq([...src.builtins(), ...src.functions(), ...KEYWORDS]).sort(), ident), ident];
}

interface Context {
  /** The cursor is where an attach point goes (outside every block and predicate). */
  readonly inProbeHead: boolean;
  /** The first attach point of the probe whose block or predicate the cursor is in. */
  readonly attachPoint: string | undefined;
}

function context(src: CompletionSource, text: string): Context {
  let depth = 0;
  let inPred = false;
  let attachPoint: string | undefined;
  let headStarted = false;
  for (const t of src.tokens(text)) {
    switch (t.kind) {
      case 'attach-point':
        if (depth === 0 && !inPred) {
          if (!headStarted) attachPoint = t.image;
          headStarted = true;
        }
        break;
      case 'open':
        depth++;
        headStarted = false;
        break;
      case 'close':
        depth = Math.max(0, depth - 1);
        if (depth === 0) attachPoint = undefined;
        break;
      case 'pred-open':
        inPred = true;
        headStarted = false;
        break;
      case 'pred-close':
        inPred = false;
        break;
    }
  }
  return { inProbeHead: depth === 0 && !inPred, attachPoint };
}

function fieldsOf(src: CompletionSource, attachPoint: string): readonly string[] {
  const colon = attachPoint.indexOf(':');
  if (colon < 0) return [];
  return resolveProvider(src, attachPoint.slice(0, colon))?.completion?.argFields?.(attachPoint.slice(colon + 1)) ?? [];
}

function resolveProvider(src: CompletionSource, head: string): CompletionProvider | undefined {
  const h = head.toLowerCase();
  return src.providers().find((p) => p.name.toLowerCase() === h || p.aliases.some((a) => a.toLowerCase() === h));
}

function completeAttachPoint(src: CompletionSource, word: string): string[] {
  const colon = word.indexOf(':');
  if (colon < 0) {
    const names = src.providers().flatMap((p) => [p.name, ...p.aliases].map((n) => (p.completion?.bare ? n : `${n}:`)));
    return prefixed(names, word);
  }
  const head = word.slice(0, colon);
  const rest = word.slice(colon + 1);
  const provider = resolveProvider(src, head);
  if (!provider) return [];
  const after = provider.completion?.after;
  if (after) return prefixed(after(rest).map((c) => `${head}:${c}`), word);
  return prefixed(src.listProbes(provider.name).map((n) => `${head}:${n.slice(n.indexOf(':') + 1)}`), word);
}

function completeCommand(src: CompletionSource, line: string): Completion {
  const m = /^(\s*)\.([\w!]*)(\s+(.*))?$/.exec(line);
  if (!m) return [[], line];
  const name = m[2]!;
  if (m[3] === undefined) {
    const names = [...SHELL_COMMANDS.map((c) => c.name), 'exit'];
    const word = `.${name}`;
    return [prefixed(names.map((n) => `.${n}`), word).sort(), word];
  }
  const arg = m[4] ?? '';
  const lastWord = /\S*$/.exec(arg)![0];
  switch (name) {
    case 'print':
    case 'clear':
    case 'zero':
    case 'watch':
      if (arg.includes(' ')) return [[], lastWord];
      return [prefixed([...src.mapNames()], lastWord), lastWord];
    case 'detach':
      return [prefixed(['all', ...src.probeIds().map(String)], lastWord), lastWord];
    case 'list':
      return [completeAttachPoint(src, lastWord), lastWord];
    case 'load':
    case 'save':
    case 'save!':
      return [completePath(arg), arg];
    default:
      return [[], lastWord];
  }
}

/** File names for `.load` / `.save`: directories end in `/`. */
export function completePath(partial: string): string[] {
  const dir = partial.endsWith('/') ? partial : dirname(partial);
  const base = partial.endsWith('/') ? '' : basename(partial);
  let entries: string[];
  try {
    entries = readdirSync(dir === '' ? '.' : dir);
  } catch {
    return [];
  }
  const prefix = partial.endsWith('/') ? partial : dir === '.' && !partial.startsWith('./') ? '' : `${dir}/`;
  return entries
    .filter((e) => e.startsWith(base) && (base.startsWith('.') || !e.startsWith('.')))
    .map((e) => {
      let isDir = false;
      try {
        isDir = statSync(join(dir, e)).isDirectory();
      } catch {
        // Dangling link: offer it as a file.
      }
      return `${prefix}${e}${isDir ? '/' : ''}`;
    })
    .sort();
}

function mapsIn(text: string): string[] {
  return text.match(/@[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
}

function prefixed(candidates: readonly string[], word: string): string[] {
  return candidates.filter((c) => c.startsWith(word));
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
