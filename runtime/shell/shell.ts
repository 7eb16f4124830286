/**
 * The interactive shell (`tsbpf` on a terminal): node:repl with our own eval (probes attach
 * live), dot commands, completion and history. `Shell.start` takes the streams (as ts-node's
 * createRepl does), so tests drive it through PassThrough streams; cli.ts loads this module
 * lazily, so `-e` runs never do. The commands' work is commands.ts, their parsing
 * repl-commands.ts, Tab completion completion.ts, `.watch` watch.ts, output above the prompt
 * prompt-sink.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import repl, { Recoverable, type REPLServer } from 'node:repl';
import { Chalk, type ChalkInstance } from 'chalk';
import type { SourceFile } from '../../src/contract/index.js';
import { loadInteractive } from '../../src/index.js';
import { complete, type CompletionSource } from './completion.js';
import { LiveSession } from '../session/live-session.js';
import { createOutput } from '../output/index.js';
import type { Output } from '../output/output.js';
import { bareMapName, parseCommand, SHELL_COMMANDS } from './repl-commands.js';
import { ensureTracefs } from '../session/session.js';
import { describeProbe, ShellCommands } from './commands.js';
import { MapWatch } from './watch.js';
import { enableBpfStats } from '../session/bpf-stats.js';
import { PromptSafeOutput } from './prompt-sink.js';
import { highlightInput } from './highlight.js';

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
  private readonly commands: ShellCommands;
  private readonly restoreStats: () => void;
  /** The shell is running a command: output goes straight out, no prompt redraw. */
  private busy = false;
  private watch: MapWatch | undefined;
  /** Earlier lines of a multi-line entry (for completion). */
  private pending = '';
  private exitCode = 0;
  /** Program output that arrives while the user types, printed above the prompt. */
  private readonly programOutput: PromptSafeOutput;

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

    this.programOutput = new PromptSafeOutput(
      this.stdout,
      () => this.terminal && this.server !== undefined && !this.busy && !this.watch,
      () => this.server.displayPrompt(true),
    );
    this.output = createOutput('text', { out: this.programOutput.sink(this.stdout), err: this.programOutput.sink(this.stderr), color });
    this.live = new LiveSession({
      output: this.output,
      positionals: opts.positionals,
      noCache: opts.noCache,
      analyze: (s: SourceFile) => front.analyzeEntry(s),
      analyzeStatements: (s: SourceFile) => front.analyzeStatements(s),
      progress: this.stderr,
      onExit: (code) => {
        this.exitCode = code;
        this.stderr.write(this.c.dim('exit() called: ending the session\n'));
        this.server?.close();
      },
    });

    this.commands = new ShellCommands({
      live: this.live,
      output: this.output,
      stdout: this.stdout,
      c: this.c,
      providers: front.PROVIDERS,
      functionDoc: (name) => front.functionDoc(name),
      stderr: this.stderr,
      say: (s) => this.say(s),
      fail: (s) => this.fail(s),
      ask: (question) => new Promise<string>((resolve) => this.server.question(question, resolve)),
      addEntry: (text, name) => this.addEntry(text, name),
      quit: () => this.server.close(),
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
    if (this.terminal && color) highlightInput(this.server, this.stdin, this.c, (text) => front.highlightSpans(text), () => !this.busy && !this.watch);
    if (opts.historyFile !== null) {
      const file = opts.historyFile ?? process.env['TSBPF_HISTORY'] ?? join(homedir(), '.tsbpf_history');
      this.server.setupHistory(file, () => {
        // No history (read-only home): the shell still works.
      });
    }
    this.closed = this.endWithServer();
  }

  // ------------------------------------------------------------------ output

  private say(s: string): void {
    this.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  private fail(s: string): void {
    this.stderr.write(this.c.red(s.endsWith('\n') ? s : s + '\n'));
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
      case 'ran':
        if (r.warnings) this.stderr.write(this.c.yellow(r.warnings));
        this.output.flush();
        return true;
      case 'attached':
        if (r.warnings) this.stderr.write(this.c.yellow(r.warnings));
        for (const p of r.probes) this.say(this.c.green(`[${p.id}]`) + ` attached ${describeProbe(p)}`);
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
        this.commands.printMap(map);
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

  private startWatch(name: string, intervalMs: number): void {
    if (!this.live.map(name)) {
      this.commands.printMap(name);
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
      render: () => this.commands.renderMap(name),
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
          this.commands.run(cmd)
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
        if (this.watch) {
          const w = this.watch;
          this.watch = undefined;
          w.stop();
        }
        this.busy = true;
        this.programOutput.flush();
        void this.commands.closeExport();
        void this.live
          .finish(true)
          .catch((e: unknown) => this.fail(`ERROR: ${(e as Error).message}`))
          .finally(() => {
            // The exit hook stays until here: the process may end while the probes detach.
            process.off('exit', this.restoreStats);
            this.restoreStats();
            resolve(this.exitCode);
          });
      });
    });
  }
}
