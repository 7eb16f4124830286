/**
 * The interactive shell (`tsbpf` on a terminal): node:repl with our own eval (probes attach
 * live), dot commands, completion and history. `Shell.start` takes the streams (as ts-node's
 * createRepl does), so tests drive it through PassThrough streams; cli.ts loads this module
 * lazily, so `-e` runs never do.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import repl, { Recoverable, type REPLServer } from 'node:repl';
import { Chalk, type ChalkInstance } from 'chalk';
import type { SourceFile } from '../../src/contract/index.js';
import { loadInteractive } from '../../src/index.js';
import { complete, type CompletionSource } from './completion.js';
import { LiveSession, type LiveProbe } from '../session/live-session.js';
import { createOutput, TextOutput } from '../output/index.js';
import type { Output, Sink } from '../output/output.js';
import { bareMapName, helpText, listPattern, parseCommand, SHELL_COMMANDS, type ShellCommand } from './repl-commands.js';
import { ensureTracefs } from '../session/session.js';
import { writePrivateFile } from '../output/private-file.js';
import { MapWatch } from './watch.js';
import { enableBpfStats } from './bpf-stats.js';

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

/** What the shell needs of the compiler's interactive side (src/interactive.ts). */
type Front = Awaited<ReturnType<typeof loadInteractive>>;

export class Shell {
  /** Start a shell on the given streams: prints the banner (on a terminal) and the first prompt. */
  static async start(opts: ShellOptions): Promise<Shell> {
    const front = await loadInteractive();
    return new Shell(opts, front);
  }

  readonly server: REPLServer;
  /** Resolves with the exit code once the shell has ended and unloaded everything. */
  readonly closed: Promise<number>;

  private readonly stdin: ShellOptions['stdin'];
  private readonly stdout: ShellOptions['stdout'];
  private readonly stderr: ShellOptions['stderr'];
  private readonly terminal: boolean;
  private readonly c: ChalkInstance;
  private readonly output: Output;
  private readonly live: LiveSession;
  private readonly restoreStats: () => void;
  /** The shell is running a command: output goes straight out, no prompt redraw. */
  private busy = false;
  private watch: MapWatch | undefined;
  /** Earlier lines of a multi-line entry (for completion). */
  private pending = '';
  private exitCode = 0;
  /** Program output that arrived while the user types, printed above the prompt on the next tick. */
  private readonly queued: string[] = [];
  private flushScheduled = false;

  private constructor(
    opts: ShellOptions,
    private readonly front: Front,
  ) {
    this.stdin = opts.stdin;
    this.stdout = opts.stdout;
    this.stderr = opts.stderr;
    this.terminal = opts.terminal ?? Boolean(this.stdout.isTTY);
    const color = opts.color ?? (Boolean(this.stdout.isTTY) && !process.env['NO_COLOR']);
    this.c = new Chalk({ level: color ? 1 : 0 });

    ensureTracefs((msg) => this.stderr.write(`${msg}\n`));
    this.restoreStats = enableBpfStats();

    this.output = createOutput('text', { out: this.liveSink(this.stdout), err: this.liveSink(this.stderr), color });
    this.live = new LiveSession({
      output: this.output,
      positionals: opts.positionals,
      noCache: opts.noCache,
      analyze: (s: SourceFile) => front.analyzeEntry(s),
      onExit: (code) => {
        this.exitCode = code;
        this.stderr.write(this.c.dim('exit() called: ending the session\n'));
        this.server?.close();
      },
    });

    if (this.terminal) this.say(this.c.dim(`tsbpf shell: type a probe to attach it, .help for commands, Ctrl-D to quit`));
    this.server = repl.start({
      prompt: this.c.cyan('tsbpf> '),
      input: this.stdin,
      output: this.stdout,
      terminal: this.terminal,
      eval: this.evalEntry,
      completer: (line: string) => {
        try {
          return complete(this.completionSource(), this.pending, line);
        } catch {
          return [[], line];
        }
      },
      ignoreUndefined: true,
      preview: false,
      useColors: color,
    });
    this.defineCommands();
    this.handleSigint();
    if (opts.historyFile !== null) {
      const file = opts.historyFile ?? process.env['TSBPF_HISTORY'] ?? join(homedir(), '.tsbpf_history');
      this.server.setupHistory(file, () => {
        // No history (read-only home): the shell still works.
      });
    }
    this.closed = this.endWithServer();
  }

  // ------------------------------------------------------------------ output

  private flushQueued = (): void => {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const text = this.queued.splice(0).join('');
    // Clear the prompt line, print, redraw the prompt.
    const redraw = this.terminal && this.server !== undefined && !this.busy && !this.watch;
    if (redraw) this.stdout.write('\r\x1b[K');
    this.stdout.write(text);
    if (redraw) this.server.displayPrompt(true);
  };

  private liveSink(stream: NodeJS.WritableStream): Sink {
    return {
      write: (s: string) => {
        if (this.busy || this.watch || !this.terminal || !this.server) {
          this.flushQueued();
          return stream.write(s);
        }
        this.queued.push(s);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(this.flushQueued);
        }
        return true;
      },
    };
  }

  private say(s: string): void {
    this.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  private fail(s: string): void {
    this.stderr.write(this.c.red(s.endsWith('\n') ? s : s + '\n'));
  }

  private describe(p: LiveProbe): string {
    const what = p.attachPoints.join(', ');
    return p.concrete.length > 1 ? `${what} (${p.concrete.length} probes)` : what;
  }

  // ------------------------------------------------------------------ entries

  private async addEntry(text: string, name: string): Promise<boolean> {
    const r = await this.live.add(text, name);
    switch (r.kind) {
      case 'incomplete':
        this.fail(`ERROR: ${name}: the input ends inside an open block`);
        return false;
      case 'error':
        this.fail(r.message);
        return false;
      case 'declared':
        return true;
      case 'attached':
        if (r.warnings) this.stderr.write(this.c.yellow(r.warnings));
        for (const p of r.probes) this.say(this.c.green(`[${p.id}]`) + ` attached ${this.describe(p)}`);
        return true;
    }
  }

  private evalEntry = (cmd: string, _context: unknown, _file: string, cb: (err: Error | null, result?: unknown) => void): void => {
    const text = cmd.replace(/\n$/, '');
    if (text.trim() === '') {
      this.pending = '';
      cb(null);
      return;
    }
    const map = bareMapName(text);
    if (map) {
      this.pending = '';
      this.busy = true;
      try {
        this.printMap(map);
      } finally {
        this.busy = false;
      }
      cb(null);
      return;
    }
    if (this.front.isIncomplete(text)) {
      this.pending = text;
      cb(new Recoverable(new Error('incomplete')));
      return;
    }
    this.pending = '';
    this.busy = true;
    this.addEntry(text, 'shell').then(
      () => {
        this.busy = false;
        cb(null);
      },
      (e: unknown) => {
        this.busy = false;
        this.fail(`ERROR: internal error: ${(e as Error).message}`);
        cb(null);
      },
    );
  };

  private completionSource(): CompletionSource {
    const { front, live } = this;
    return {
      providers: () => front.PROVIDERS,
      listProbes: (name) => front.PROVIDERS.find((p) => p.name === name)?.list() ?? [],
      builtins: () => front.builtinNames(),
      functions: () => front.functionNames(),
      mapNames: () => live.maps().map((m) => m.name),
      probeIds: () => live.attached().map((p) => p.id),
      tokens: (text) => front.shellTokens(text),
    };
  }

  // ------------------------------------------------------------------ commands

  private printMap(name: string): void {
    const m = this.live.map(name);
    if (!m) {
      const maps = this.live.maps();
      this.fail(`ERROR: no map named ${name}${maps.length ? ` (maps: ${maps.map((x) => x.name).join(', ')})` : ''}`);
      return;
    }
    const dump = this.live.dump(m);
    if (dump.entries.length === 0) this.say(this.c.dim(`${name} is empty`));
    else this.output.map(dump);
    this.output.flush();
  }

  /** A map as plain text, for `.watch` frames. */
  private renderMap(name: string): string {
    const m = this.live.map(name);
    if (!m) return `no map named ${name}\n`;
    let text = '';
    const out = new TextOutput({ out: { write: (s: string) => (text += s) }, err: { write: (s: string) => (text += s) }, color: false });
    const dump = this.live.dump(m);
    if (dump.entries.length === 0) return `${name} is empty\n`;
    out.map(dump);
    return text;
  }

  private startWatch(name: string, intervalMs: number): void {
    if (!this.live.map(name)) {
      this.printMap(name);
      this.server.displayPrompt();
      return;
    }
    this.watch = new MapWatch({
      server: this.server,
      stdin: this.stdin,
      stdout: this.stdout,
      terminal: this.terminal,
      c: this.c,
      name,
      intervalMs,
      render: () => this.renderMap(name),
      onStopKey: () => this.stopWatch(),
    });
  }

  private stopWatch(): void {
    if (!this.watch) return;
    const w = this.watch;
    this.watch = undefined;
    w.stop();
    this.server.displayPrompt();
  }

  private listProbes(pattern: string | undefined): void {
    const providers = this.front.PROVIDERS;
    const re = pattern ? listPattern(pattern, providers) : undefined;
    const lines: string[] = [];
    for (const p of providers) {
      let names: string[];
      try {
        names = p.list();
      } catch {
        continue;
      }
      for (const n of names) if (!re || re.test(n)) lines.push(n);
    }
    if (lines.length === 0) this.say(this.c.dim(pattern ? `no probes match ${pattern}` : 'no probes'));
    else this.stdout.write(lines.join('\n') + '\n');
  }

  private async run(cmd: ShellCommand): Promise<void> {
    const { c, live } = this;
    switch (cmd.kind) {
      case 'help':
        this.say(helpText());
        return;
      case 'quit':
        this.server.close();
        return;
      case 'probes': {
        const probes = live.attached();
        if (probes.length === 0) {
          this.say(c.dim('no probes attached'));
          return;
        }
        const rows = probes.map((p) => [String(p.id), String(live.hits(p)), this.describe(p)] as const);
        const w0 = Math.max(2, ...rows.map((r) => r[0].length));
        const w1 = Math.max(4, ...rows.map((r) => r[1].length));
        this.say(c.bold(`${'ID'.padStart(w0)}  ${'HITS'.padStart(w1)}  PROBE`));
        for (const [id, hits, what] of rows) this.say(`${id.padStart(w0)}  ${hits.padStart(w1)}  ${what}`);
        return;
      }
      case 'detach': {
        const gone = live.detach(cmd.target);
        if (gone.length === 0) this.fail(cmd.target === 'all' ? 'no probes attached' : `ERROR: no attached probe ${cmd.target} (see .probes)`);
        for (const p of gone) this.say(`${c.yellow(`[${p.id}]`)} detached ${this.describe(p)}`);
        return;
      }
      case 'maps': {
        const maps = live.maps();
        if (maps.length === 0) {
          this.say(c.dim('no maps'));
          return;
        }
        const rows = maps.map((m) => {
          const n = live.dump(m).entries.length;
          return [m.name, m.spec!.kind, `${n} ${n === 1 ? 'entry' : 'entries'}`] as const;
        });
        const w0 = Math.max(...rows.map((r) => r[0].length));
        const w1 = Math.max(...rows.map((r) => r[1].length));
        for (const [n, k, s] of rows) this.say(`${n.padEnd(w0)}  ${k.padEnd(w1)}  ${s}`);
        return;
      }
      case 'print':
        this.printMap(cmd.map);
        return;
      case 'clear':
      case 'zero': {
        const m = live.map(cmd.map);
        if (!m) {
          this.fail(`ERROR: no map named ${cmd.map}`);
          return;
        }
        if (cmd.kind === 'clear') live.clear(m);
        else live.zero(m);
        return;
      }
      case 'watch':
        return; // handled by the command itself (it keeps the prompt away)
      case 'list':
        this.listProbes(cmd.pattern);
        return;
      case 'load': {
        let text: string;
        try {
          text = readFileSync(cmd.file, 'utf8');
        } catch (e) {
          this.fail(`ERROR: cannot read ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          return;
        }
        // A shebang is only skipped on a script's first line; here the text is appended to the session's.
        if (text.startsWith('#!')) text = text.replace(/^#![^\n]*/, '');
        await this.addEntry(text, cmd.file);
        return;
      }
      case 'save': {
        const text = live.saveText();
        let result = writePrivateFile(cmd.file, text, cmd.force === true);
        if (result.kind === 'exists') {
          const answer = await new Promise<string>((resolve) => this.server.question(`${cmd.file} exists; overwrite it? [y/N] `, resolve));
          if (!/^\s*y(es)?\s*$/i.test(answer)) {
            this.say(`not saved (.save! ${cmd.file} overwrites without asking)`);
            return;
          }
          result = writePrivateFile(cmd.file, text, true);
        }
        const n = live.attached().length;
        if (result.kind === 'refused') this.fail(`ERROR: ${result.message}`);
        else if (result.kind === 'written') this.say(`saved ${n} probe${n === 1 ? '' : 's'} to ${cmd.file}`);
        return;
      }
    }
  }

  /** Our commands replace node's (.clear, .load, .save and .help are ours; .break and .editor are JavaScript's). */
  private defineCommands(): void {
    const srv = this.server;
    for (const name of Object.keys(srv.commands)) delete (srv.commands as Record<string, unknown>)[name];
    for (const spec of [...SHELL_COMMANDS, { name: 'exit', args: '', help: 'the same as .quit' }]) {
      srv.defineCommand(spec.name, {
        help: spec.help,
        action: (rest: string) => {
          const parsed = parseCommand(spec.name, rest);
          if ('error' in parsed) {
            this.fail(`ERROR: ${parsed.error}`);
            srv.displayPrompt();
            return;
          }
          const cmd = parsed.ok;
          if (cmd.kind === 'watch') {
            this.startWatch(cmd.map, cmd.intervalMs);
            return;
          }
          if (cmd.kind === 'quit') {
            srv.close();
            return;
          }
          this.busy = true;
          this.run(cmd)
            .catch((e: unknown) => this.fail(`ERROR: ${(e as Error).message}`))
            .finally(() => {
              this.busy = false;
              srv.displayPrompt();
            });
        },
      });
    }
  }

  /** Ctrl-C stops a watch or abandons the line being typed; it never ends the shell (Ctrl-D, .quit do). */
  private handleSigint(): void {
    const srv = this.server;
    srv.removeAllListeners('SIGINT');
    srv.on('SIGINT', () => {
      if (this.watch) {
        this.stopWatch();
        return;
      }
      this.pending = '';
      srv.clearBufferedCommand();
      // Drop the half-typed line too (readline's clearLine: cursor to the end, newline, empty line).
      const rl = srv as unknown as { clearLine?: () => void };
      if (this.terminal) this.stdout.write('^C');
      if (typeof rl.clearLine === 'function') rl.clearLine();
      else this.stdout.write('\n');
      srv.displayPrompt();
    });
  }

  /** Ctrl-D, .quit, exit(), SIGHUP or SIGTERM: stop a watch, detach, print the maps, restore the sysctl. */
  private endWithServer(): Promise<number> {
    const srv = this.server;
    // A closed terminal (SIGHUP) or a kill (SIGTERM) ends the shell as Ctrl-D does: unload, restore the sysctl.
    const onSignal = (): void => void srv.close();
    // The terminal went away (EIO from setRawMode or a write): end quietly; 'close' still cleans up.
    srv.on('error', () => {});
    this.stdout.on('error', () => {});
    process.once('exit', this.restoreStats);
    if (this.stdin === process.stdin) {
      process.on('SIGHUP', onSignal);
      process.on('SIGTERM', onSignal);
    }
    return new Promise<number>((resolve) => {
      srv.on('close', () => {
        process.off('SIGHUP', onSignal);
        process.off('SIGTERM', onSignal);
        process.off('exit', this.restoreStats);
        if (this.watch) {
          const w = this.watch;
          this.watch = undefined;
          w.stop();
        }
        this.busy = true;
        this.flushQueued();
        try {
          this.live.finish(true);
        } catch (e) {
          this.fail(`ERROR: ${(e as Error).message}`);
        } finally {
          this.restoreStats();
        }
        resolve(this.exitCode);
      });
    });
  }
}
