/**
 * Drive the interactive shell in this process through streams (no terminal, no tmux): the test
 * writes lines to its input and reads what it wrote to its output and error streams. Waits end
 * when the shell shows the next prompt; the deadline only turns a hang into a clear failure.
 */
import { PassThrough } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { Shell } from '../../runtime/shell/shell.js';
import { DEFAULT_TIMEOUT_MS } from './tsbpf.js';

const PROMPT = 'tsbpf> ';

export interface Reply {
  readonly out: string;
  readonly err: string;
}

export class StreamShell {
  readonly stdin = new PassThrough();
  private readonly stdout = new PassThrough();
  private readonly stderr = new PassThrough();
  /** Everything the shell wrote so far. */
  out = '';
  err = '';
  private exitCode: Promise<number> | undefined;
  private waiters: (() => void)[] = [];

  private constructor() {
    this.stdout.setEncoding('utf8');
    this.stderr.setEncoding('utf8');
    this.stdout.on('data', (s: string) => this.grew(() => (this.out += s)));
    this.stderr.on('data', (s: string) => this.grew(() => (this.err += s)));
  }

  /** A shell on fresh streams, without history or color; ended (Ctrl-D) when the test ends. */
  static async start(t: ExecutionContext, args: { noCache?: boolean; positionals?: readonly string[]; ttyStderr?: boolean } = {}): Promise<StreamShell> {
    const s = new StreamShell();
    const { ttyStderr, ...rest } = args;
    // A stderr that says it is a terminal gets the progress lines a terminal would.
    if (ttyStderr) Object.assign(s.stderr, { isTTY: true });
    const shell = await Shell.start({ stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, terminal: false, color: false, historyFile: null, ...rest });
    s.exitCode = shell.closed;
    t.teardown(async () => {
      s.ctrlD();
      await s.exited();
    });
    await s.waitFor(() => s.prompts() >= 1);
    return s;
  }

  prompts(): number {
    return this.out.split(PROMPT).length - 1;
  }

  /** Type a line; resolves with what the shell wrote until its next prompt. */
  async run(line: string): Promise<Reply> {
    const [out0, err0, prompts] = [this.out.length, this.err.length, this.prompts()];
    this.stdin.write(`${line}\n`);
    await this.waitFor(() => this.prompts() > prompts);
    // Writes to the error stream are synchronous with the command; give their 'data' event a turn.
    await new Promise((r) => setImmediate(r));
    return { out: this.out.slice(out0), err: this.err.slice(err0) };
  }

  /** Type a line without waiting for a prompt (a `... ` continuation or an ending). */
  line(line: string): void {
    this.stdin.write(`${line}\n`);
  }

  /** End of input: what Ctrl-D does on a terminal. */
  ctrlD(): void {
    if (!this.stdin.writableEnded) this.stdin.end();
  }

  /** The exit code once the shell has ended and unloaded everything. */
  async exited(): Promise<number> {
    const code = await this.exitCode!;
    await new Promise((r) => setImmediate(r));
    return code;
  }

  async waitFor(cond: () => boolean, deadlineMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (cond()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`the shell did not get there in ${deadlineMs} ms; output:\n${this.out}\nerrors:\n${this.err}`));
      }, deadlineMs);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private grew(append: () => void): void {
    append();
    for (const w of [...this.waiters]) w();
  }
}
