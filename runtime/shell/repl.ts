/**
 * The interactive shell (`tsbpf` on a terminal): node:repl with our own eval (probes attach
 * live), dot commands, completion and history. `createShell` takes the streams so tests can
 * drive it; cli.ts loads this module lazily, so `-e` runs never do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import repl, { Recoverable, type REPLServer } from 'node:repl';
import { Chalk, type ChalkInstance } from 'chalk';
import type { SourceFile } from '../../src/contract/index.js';
import { loadInteractive } from '../../src/index.js';
import { complete, type CompletionSource } from './completion.js';
import { LiveSession, type LiveProbe } from '../session/live-session.js';
import { createOutput, TextOutput } from '../output/index.js';
import type { Sink } from '../output/output.js';
import { bareMapName, helpText, parseCommand, SHELL_COMMANDS, type ShellCommand } from './repl-commands.js';
import { ensureTracefs } from '../session/session.js';
import { writePrivateFile } from '../output/private-file.js';

export interface ShellOptions {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: stdout is a TTY. */
  readonly terminal?: boolean;
  /** Default: a TTY without NO_COLOR. */
  readonly color?: boolean;
  /** Default ~/.tsbpf_history; null keeps no history. */
  readonly historyFile?: string | null;
  readonly noCache?: boolean;
  readonly positionals?: readonly string[];
}

export interface Shell {
  readonly server: REPLServer;
  /** Resolves with the exit code once the shell has ended and unloaded everything. */
  readonly closed: Promise<number>;
}

const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

interface Watch {
  readonly timer: NodeJS.Timeout;
  lines: number;
  readonly stop: () => void;
}

export async function createShell(opts: ShellOptions): Promise<Shell> {
  const { stdin, stdout, stderr } = opts;
  const terminal = opts.terminal ?? Boolean(stdout.isTTY);
  const color = opts.color ?? (Boolean(stdout.isTTY) && !process.env['NO_COLOR']);
  const c: ChalkInstance = new Chalk({ level: color ? 1 : 0 });
  const front = await loadInteractive();

  ensureTracefs((msg) => stderr.write(`${msg}\n`));
  const restoreStats = enableStats();

  let server: REPLServer | undefined;
  /** The shell is running a command: output goes straight out, no prompt redraw. */
  let busy = false;
  let watch: Watch | undefined;
  /** Earlier lines of a multi-line entry (for completion). */
  let pending = '';
  let exitCode = 0;

  // Program output arriving while the user types: clear the prompt line, print, redraw the prompt.
  const queued: string[] = [];
  let flushScheduled = false;
  const flushQueued = (): void => {
    flushScheduled = false;
    if (queued.length === 0) return;
    const text = queued.splice(0).join('');
    const redraw = terminal && server !== undefined && !busy && !watch;
    if (redraw) stdout.write('\r\x1b[K');
    stdout.write(text);
    if (redraw) server!.displayPrompt(true);
  };
  const liveSink = (stream: NodeJS.WritableStream): Sink => ({
    write(s: string) {
      if (busy || watch || !terminal || !server) {
        flushQueued();
        return stream.write(s);
      }
      queued.push(s);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushQueued);
      }
      return true;
    },
  });
  const output = createOutput('text', { out: liveSink(stdout), err: liveSink(stderr), color });

  const live = new LiveSession({
    output,
    positionals: opts.positionals,
    noCache: opts.noCache,
    analyze: (s: SourceFile) => front.analyzeEntry(s),
    onExit: (code) => {
      exitCode = code;
      stderr.write(c.dim('exit() called: ending the session\n'));
      server?.close();
    },
  });

  const say = (s: string): void => void stdout.write(s.endsWith('\n') ? s : s + '\n');
  const fail = (s: string): void => void stderr.write(c.red(s.endsWith('\n') ? s : s + '\n'));

  const describe = (p: LiveProbe): string => {
    const what = p.attachPoints.join(', ');
    return p.concrete.length > 1 ? `${what} (${p.concrete.length} probes)` : what;
  };

  const addEntry = async (text: string, name: string): Promise<boolean> => {
    const r = await live.add(text, name);
    switch (r.kind) {
      case 'incomplete':
        fail(`ERROR: ${name}: the input ends inside an open block`);
        return false;
      case 'error':
        fail(r.message);
        return false;
      case 'declared':
        return true;
      case 'attached':
        if (r.warnings) stderr.write(c.yellow(r.warnings));
        for (const p of r.probes) say(c.green(`[${p.id}]`) + ` attached ${describe(p)}`);
        return true;
    }
  };

  // ------------------------------------------------------------------ commands

  const printMap = (name: string): void => {
    const m = live.map(name);
    if (!m) {
      fail(`ERROR: no map named ${name}${live.maps().length ? ` (maps: ${live.maps().map((x) => x.name).join(', ')})` : ''}`);
      return;
    }
    const dump = live.dump(m);
    if (dump.entries.length === 0) say(c.dim(`${name} is empty`));
    else output.map(dump);
    output.flush();
  };

  const renderMap = (name: string): string => {
    const m = live.map(name);
    if (!m) return `no map named ${name}\n`;
    let text = '';
    const out = new TextOutput({ out: { write: (s: string) => (text += s) }, err: { write: (s: string) => (text += s) }, color: false });
    const dump = live.dump(m);
    if (dump.entries.length === 0) return `${name} is empty\n`;
    out.map(dump);
    return text;
  };

  const startWatch = (name: string, intervalMs: number): void => {
    if (!live.map(name)) {
      printMap(name);
      server!.displayPrompt();
      return;
    }
    const draw = (): void => {
      if (!watch) return;
      const body = renderMap(name);
      const frame = `${c.bold(`Every ${intervalMs / 1000}s: ${name}`)}  ${c.dim(new Date().toLocaleTimeString())}  ${c.dim('(Enter or Ctrl-C stops)')}\n${body}`;
      if (watch.lines > 0 && terminal) stdout.write(`\x1b[${watch.lines}A\r\x1b[J`);
      stdout.write(frame);
      watch.lines = frame.split('\n').length - 1;
    };
    // While watching, keys go to the watch, not to the line editor (so they neither echo nor
    // reach the prompt); Enter, Ctrl-C, q or Escape stop it.
    const keyListeners = terminal ? stdin.listeners('keypress') : [];
    const onKey = (_s: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void => {
      if (!key) return;
      if (key.name === 'return' || key.name === 'enter' || key.name === 'q' || key.name === 'escape' || (key.ctrl && (key.name === 'c' || key.name === 'd'))) stopWatch();
    };
    const onLine = (): void => stopWatch();
    if (terminal) {
      for (const l of keyListeners) stdin.removeListener('keypress', l as (...a: unknown[]) => void);
      stdin.on('keypress', onKey);
    } else {
      server!.prependListener('line', onLine);
    }
    const stop = (): void => {
      clearInterval(timer);
      if (terminal) {
        stdin.removeListener('keypress', onKey);
        for (const l of keyListeners) stdin.on('keypress', l as (...a: unknown[]) => void);
      } else {
        server!.removeListener('line', onLine);
      }
    };
    const timer = setInterval(draw, intervalMs);
    watch = { timer, lines: 0, stop };
    draw();
  };

  const stopWatch = (): void => {
    if (!watch) return;
    const w = watch;
    watch = undefined;
    w.stop();
    server?.displayPrompt();
  };

  const listProbes = (pattern: string | undefined): void => {
    const re = pattern ? listPattern(pattern, front.PROVIDERS) : undefined;
    const lines: string[] = [];
    for (const p of front.PROVIDERS) {
      let names: string[];
      try {
        names = p.list();
      } catch {
        continue;
      }
      for (const n of names) if (!re || re.test(n)) lines.push(n);
    }
    if (lines.length === 0) say(c.dim(pattern ? `no probes match ${pattern}` : 'no probes'));
    else stdout.write(lines.join('\n') + '\n');
  };

  const run = async (cmd: ShellCommand): Promise<void> => {
    switch (cmd.kind) {
      case 'help':
        say(helpText());
        return;
      case 'quit':
        server!.close();
        return;
      case 'probes': {
        const probes = live.attached();
        if (probes.length === 0) {
          say(c.dim('no probes attached'));
          return;
        }
        const rows = probes.map((p) => [String(p.id), String(live.hits(p)), describe(p)] as const);
        const w0 = Math.max(2, ...rows.map((r) => r[0].length));
        const w1 = Math.max(4, ...rows.map((r) => r[1].length));
        say(c.bold(`${'ID'.padStart(w0)}  ${'HITS'.padStart(w1)}  PROBE`));
        for (const [id, hits, what] of rows) say(`${id.padStart(w0)}  ${hits.padStart(w1)}  ${what}`);
        return;
      }
      case 'detach': {
        const gone = live.detach(cmd.target);
        if (gone.length === 0) fail(cmd.target === 'all' ? 'no probes attached' : `ERROR: no attached probe ${cmd.target} (see .probes)`);
        for (const p of gone) say(`${c.yellow(`[${p.id}]`)} detached ${describe(p)}`);
        return;
      }
      case 'maps': {
        const maps = live.maps();
        if (maps.length === 0) {
          say(c.dim('no maps'));
          return;
        }
        const rows = maps.map((m) => {
          const n = live.dump(m).entries.length;
          return [m.name, m.spec!.kind, `${n} ${n === 1 ? 'entry' : 'entries'}`] as const;
        });
        const w0 = Math.max(...rows.map((r) => r[0].length));
        const w1 = Math.max(...rows.map((r) => r[1].length));
        for (const [n, k, s] of rows) say(`${n.padEnd(w0)}  ${k.padEnd(w1)}  ${s}`);
        return;
      }
      case 'print':
        printMap(cmd.map);
        return;
      case 'clear':
      case 'zero': {
        const m = live.map(cmd.map);
        if (!m) {
          fail(`ERROR: no map named ${cmd.map}`);
          return;
        }
        if (cmd.kind === 'clear') live.clear(m);
        else live.zero(m);
        return;
      }
      case 'watch':
        return; // handled by the command itself (it keeps the prompt away)
      case 'list':
        listProbes(cmd.pattern);
        return;
      case 'load': {
        let text: string;
        try {
          text = readFileSync(cmd.file, 'utf8');
        } catch (e) {
          fail(`ERROR: cannot read ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          return;
        }
        // A shebang is only skipped on a script's first line; here the text is appended to the session's.
        if (text.startsWith('#!')) text = text.replace(/^#![^\n]*/, '');
        await addEntry(text, cmd.file);
        return;
      }
      case 'save': {
        const text = live.saveText();
        let result = writePrivateFile(cmd.file, text, cmd.force === true);
        if (result.kind === 'exists') {
          const answer = await new Promise<string>((resolve) => server!.question(`${cmd.file} exists; overwrite it? [y/N] `, resolve));
          if (!/^\s*y(es)?\s*$/i.test(answer)) {
            say(`not saved (.save! ${cmd.file} overwrites without asking)`);
            return;
          }
          result = writePrivateFile(cmd.file, text, true);
        }
        if (result.kind === 'refused') fail(`ERROR: ${result.message}`);
        else if (result.kind === 'written') say(`saved ${live.attached().length} probe${live.attached().length === 1 ? '' : 's'} to ${cmd.file}`);
        return;
      }
    }
  };

  // ------------------------------------------------------------------ the REPL

  const evalEntry = (cmd: string, _context: unknown, _file: string, cb: (err: Error | null, result?: unknown) => void): void => {
    const text = cmd.replace(/\n$/, '');
    if (text.trim() === '') {
      pending = '';
      cb(null);
      return;
    }
    const map = bareMapName(text);
    if (map) {
      pending = '';
      busy = true;
      try {
        printMap(map);
      } finally {
        busy = false;
      }
      cb(null);
      return;
    }
    if (front.isIncomplete(text)) {
      pending = text;
      cb(new Recoverable(new Error('incomplete')));
      return;
    }
    pending = '';
    busy = true;
    addEntry(text, 'shell').then(
      () => {
        busy = false;
        cb(null);
      },
      (e: unknown) => {
        busy = false;
        fail(`ERROR: internal error: ${(e as Error).message}`);
        cb(null);
      },
    );
  };

  const source: CompletionSource = {
    providers: () => front.PROVIDERS,
    listProbes: (name) => front.PROVIDERS.find((p) => p.name === name)?.list() ?? [],
    builtins: () => front.builtinNames(),
    functions: () => front.functionNames(),
    mapNames: () => live.maps().map((m) => m.name),
    probeIds: () => live.attached().map((p) => p.id),
    tokens: (text) => front.shellTokens(text),
  };

  if (terminal) say(c.dim(`tsbpf shell: type a probe to attach it, .help for commands, Ctrl-D to quit`));
  server = repl.start({
    prompt: c.cyan('tsbpf> '),
    input: stdin,
    output: stdout,
    terminal,
    eval: evalEntry,
    completer: (line: string) => {
      try {
        return complete(source, pending, line);
      } catch {
        return [[], line];
      }
    },
    ignoreUndefined: true,
    preview: false,
    useColors: color,
  });
  const srv = server;

  // Our commands replace node's (.clear, .load, .save and .help are ours; .break and .editor are JavaScript's).
  for (const name of Object.keys(srv.commands)) delete (srv.commands as Record<string, unknown>)[name];
  for (const spec of [...SHELL_COMMANDS, { name: 'exit', args: '', help: 'the same as .quit' }]) {
    srv.defineCommand(spec.name, {
      help: spec.help,
      action(rest: string) {
        const parsed = parseCommand(spec.name, rest);
        if ('error' in parsed) {
          fail(`ERROR: ${parsed.error}`);
          srv.displayPrompt();
          return;
        }
        const cmd = parsed.ok;
        if (cmd.kind === 'watch') {
          startWatch(cmd.map, cmd.intervalMs);
          return;
        }
        if (cmd.kind === 'quit') {
          srv.close();
          return;
        }
        busy = true;
        run(cmd)
          .catch((e: unknown) => fail(`ERROR: ${(e as Error).message}`))
          .finally(() => {
            busy = false;
            srv.displayPrompt();
          });
      },
    });
  }

  // Ctrl-C stops a watch or abandons the line being typed; it never ends the shell (Ctrl-D, .quit do).
  srv.removeAllListeners('SIGINT');
  srv.on('SIGINT', () => {
    if (watch) {
      stopWatch();
      return;
    }
    pending = '';
    srv.clearBufferedCommand();
    // Drop the half-typed line too (readline's clearLine: cursor to the end, newline, empty line).
    const rl = srv as unknown as { clearLine?: () => void };
    if (terminal) stdout.write('^C');
    if (typeof rl.clearLine === 'function') rl.clearLine();
    else stdout.write('\n');
    srv.displayPrompt();
  });

  if (opts.historyFile !== null) {
    const file = opts.historyFile ?? process.env['TSBPF_HISTORY'] ?? join(homedir(), '.tsbpf_history');
    srv.setupHistory(file, () => {
      // No history (read-only home): the shell still works.
    });
  }


  // A closed terminal (SIGHUP) or a kill (SIGTERM) ends the shell as Ctrl-D does: unload, restore the sysctl.
  const onSignal = (): void => void srv.close();
  // The terminal went away (EIO from setRawMode or a write): end quietly; 'close' still cleans up.
  srv.on('error', () => {});
  stdout.on('error', () => {});
  process.once('exit', restoreStats);
  if (stdin === process.stdin) {
    process.on('SIGHUP', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const closed = new Promise<number>((resolve) => {
    srv.on('close', () => {
      process.off('SIGHUP', onSignal);
      process.off('SIGTERM', onSignal);
      if (watch) {
        const w = watch;
        watch = undefined;
        w.stop();
      }
      busy = true;
      flushQueued();
      try {
        live.finish(true);
      } catch (e) {
        fail(`ERROR: ${(e as Error).message}`);
      } finally {
        restoreStats();
      }
      resolve(exitCode);
    });
  });
  return { server: srv, closed };
}

/** `.list` pattern: a glob over full probe names; the provider part may be an alias; no wildcard means "contains". */
function listPattern(pattern: string, providers: readonly { name: string; aliases: readonly string[] }[]): RegExp {
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

/** Turn on per-program run counts while the shell runs; the returned function puts the old value back. */
function enableStats(): () => void {
  let old: string;
  try {
    old = readFileSync(STATS_SYSCTL, 'utf8').trim();
    if (old !== '1') writeFileSync(STATS_SYSCTL, '1');
  } catch {
    return () => {};
  }
  let restored = false;
  return () => {
    if (old === '1' || restored) return;
    restored = true;
    try {
      writeFileSync(STATS_SYSCTL, old);
    } catch {
      // Not ours to insist.
    }
  };
}
