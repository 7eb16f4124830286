/**
 * The shell's own commands (`.probes`, `.watch @x 2`, ...) and what a line of input is: pure
 * functions, tested in test/unit/shell/.
 */
import { DEFAULT_EXPORT_PORT, parseExportAddress, type ExportAddress } from '../export/address.js';

export interface ShellCommandSpec {
  readonly name: string;
  readonly args: string;
  readonly help: string;
}

/** Every dot command, in `.help` order. */
export const SHELL_COMMANDS: readonly ShellCommandSpec[] = [
  { name: 'probes', args: '', help: 'list the attached probes: id, hits, events/s and ns per event since the last .probes, attach point' },
  { name: 'detach', args: 'N|all', help: 'detach probe N (or every probe); its maps stay' },
  { name: 'maps', args: '', help: 'list the maps and their sizes' },
  { name: 'print', args: '@name', help: 'print a map now (typing @name alone does the same)' },
  { name: 'clear', args: '@name', help: 'delete every key of a map' },
  { name: 'zero', args: '@name', help: 'set every value of a map to zero' },
  { name: 'watch', args: '@name [seconds]', help: 'redraw a map every interval (default 1 s) until Enter or Ctrl-C' },
  { name: 'list', args: '[pattern]', help: 'list available probes, as tsbpf -l' },
  { name: 'load', args: 'file.tbpf', help: 'attach the probes of a script file' },
  { name: 'save', args: 'file.tbpf', help: 'write what is attached now as a script (asks before overwriting)' },
  { name: 'save!', args: 'file.tbpf', help: 'the same, overwriting an existing file without asking' },
  { name: 'export', args: '[HOST:PORT|off]', help: `serve the maps for Prometheus at http://HOST:PORT/metrics (default 127.0.0.1:${DEFAULT_EXPORT_PORT}), or stop` },
  { name: 'flamegraph', args: 'file.svg', help: 'write a flame graph of the maps keyed by stacks now (asks before overwriting)' },
  { name: 'help', args: '[function]', help: 'this text, or a function\'s signature and description (.help hist)' },
  { name: 'quit', args: '', help: 'detach everything, print the maps and leave (also .exit, Ctrl-D)' },
];

export type ShellCommand =
  | { readonly kind: 'probes' }
  | { readonly kind: 'detach'; readonly target: number | 'all' }
  | { readonly kind: 'maps' }
  | { readonly kind: 'print'; readonly map: string }
  | { readonly kind: 'clear'; readonly map: string }
  | { readonly kind: 'zero'; readonly map: string }
  | { readonly kind: 'watch'; readonly map: string; readonly intervalMs: number }
  | { readonly kind: 'list'; readonly pattern: string | undefined }
  | { readonly kind: 'load'; readonly file: string }
  | { readonly kind: 'save'; readonly file: string; readonly force?: true }
  | { readonly kind: 'export'; readonly target: ExportAddress | 'off' | undefined }
  | { readonly kind: 'flamegraph'; readonly file: string }
  | { readonly kind: 'help'; readonly topic?: string }
  | { readonly kind: 'quit' };

export type CommandParse = { readonly ok: ShellCommand } | { readonly error: string };

const MAP_RE = /^@[A-Za-z_][A-Za-z0-9_]*$|^@$/;

/** Is this line (trimmed) a bare map name, which prints that map? */
export function bareMapName(line: string): string | undefined {
  const t = line.trim();
  return MAP_RE.test(t) ? t : undefined;
}

/**
 * Parse a dot command given as its name (without the dot) and the rest of the line. Durations
 * accept `2`, `2s`, `500ms`, `0.5`.
 */
export function parseCommand(name: string, rest: string): CommandParse {
  const args = rest.trim().split(/\s+/).filter((a) => a.length > 0);
  const usage = (): CommandParse => {
    const spec = SHELL_COMMANDS.find((c) => c.name === name);
    return { error: `usage: .${name}${spec && spec.args ? ' ' + spec.args : ''}` };
  };
  const mapArg = (): string | CommandParse => {
    if (args.length !== 1) return usage();
    const m = args[0]!;
    if (!MAP_RE.test(m)) return { error: `not a map name: ${m} (maps are written @name, or @)` };
    return m;
  };
  switch (name) {
    case 'probes':
    case 'maps':
      return args.length === 0 ? { ok: { kind: name } } : usage();
    case 'help':
      if (args.length === 0) return { ok: { kind: 'help' } };
      return args.length === 1 ? { ok: { kind: 'help', topic: args[0]!.replace(/\(\)$/, '') } } : usage();
    case 'quit':
    case 'exit':
      return { ok: { kind: 'quit' } };
    case 'detach': {
      if (args.length !== 1) return usage();
      const a = args[0]!;
      if (a === 'all') return { ok: { kind: 'detach', target: 'all' } };
      if (!/^\d+$/.test(a)) return { error: `not a probe id: ${a} (see .probes)` };
      return { ok: { kind: 'detach', target: Number(a) } };
    }
    case 'print':
    case 'clear':
    case 'zero': {
      const m = mapArg();
      return typeof m === 'string' ? { ok: { kind: name, map: m } } : m;
    }
    case 'watch': {
      if (args.length < 1 || args.length > 2) return usage();
      const map = args[0]!;
      if (!MAP_RE.test(map)) return { error: `not a map name: ${map} (maps are written @name, or @)` };
      const intervalMs = args[1] === undefined ? 1000 : parseDuration(args[1]);
      if (intervalMs === undefined) return { error: `not an interval: ${args[1]} (seconds, or e.g. 500ms)` };
      return { ok: { kind: 'watch', map, intervalMs } };
    }
    case 'export': {
      if (args.length > 1) return usage();
      if (args[0] === undefined || args[0] === 'off') return { ok: { kind: 'export', target: args[0] } };
      try {
        return { ok: { kind: 'export', target: parseExportAddress(args[0]) } };
      } catch (e) {
        return { error: `.export: ${(e as Error).message}` };
      }
    }
    case 'list':
      if (args.length > 1) return usage();
      return { ok: { kind: 'list', pattern: args[0] } };
    case 'flamegraph': {
      const file = rest.trim();
      return file ? { ok: { kind: 'flamegraph', file } } : usage();
    }
    case 'load':
    case 'save':
    case 'save!': {
      const file = rest.trim();
      if (!file) return usage();
      if (name === 'load') return { ok: { kind: 'load', file } };
      return { ok: name === 'save!' ? { kind: 'save', file, force: true } : { kind: 'save', file } };
    }
    default:
      return { error: `unknown command .${name} (see .help)` };
  }
}

/** `2`, `1.5`, `2s`, `500ms` → milliseconds (at least 50 ms). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!m) return undefined;
  const ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  return ms >= 50 ? ms : undefined;
}

export function helpText(): string {
  const rows = SHELL_COMMANDS.map((c) => [`.${c.name}${c.args ? ' ' + c.args : ''}`, c.help] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    'Type a probe to attach it now, e.g.',
    '  tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }',
    'An open { or < block continues on the next line. Maps and variables are shared by every probe of',
    'the session, as in one script. @name alone prints a map. Tab completes probes, builtins, functions,',
    'maps and args. fields. A probe that calls exit() ends the session. Statements typed alone run once',
    'against the maps (print(@x), clear(@x), printf(...)); an expression alone prints its value (@n * 2).',
    '',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`),
  ].join('\n');
}

/** `.list` pattern: a glob over full probe names; the provider part may be an alias; no wildcard means "contains". */
export function listPattern(pattern: string, providers: readonly { name: string; aliases: readonly string[] }[]): RegExp {
  let p = pattern;
  const colon = p.indexOf(':');
  if (colon > 0) {
    const head = p.slice(0, colon).toLowerCase();
    const prov = providers.find((x) => x.name.toLowerCase() === head || x.aliases.some((a) => a.toLowerCase() === head));
    if (prov) p = prov.name + p.slice(colon);
  }
  if (!/[*?]/.test(p)) p = `*${p}*`;
  const escaped = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
