/**
 * Drive the real interactive shell in a pseudo-terminal: tmux runs `node bin/tsbpf.js`, the test
 * types with send-keys and reads the screen with capture-pane. Waits end when the screen shows
 * what the test expects; the deadline only turns a hang into a clear failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { DEFAULT_TIMEOUT_MS, REPO_ROOT, TSBPF_BIN, uniqueTag } from './tsbpf.js';

/** A tmux server of our own, so tests never touch a user's sessions. */
const SOCKET = 'tsbpf-tests';

function tmux(args: readonly string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function haveTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ShellStartOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The shell's home (history file); default a fresh directory. */
  readonly home?: string;
  readonly cwd?: string;
}

export class TmuxShell {
  readonly name = `tsbpf-${process.pid}-${uniqueTag(6)}`;
  readonly home: string;
  private ended = false;

  constructor(t: ExecutionContext, opts: ShellStartOptions = {}) {
    this.home = opts.home ?? mkdtempSync(join(tmpdir(), 'tsbpf-shell-home-'));
    if (!opts.home) t.teardown(() => rmSync(this.home, { recursive: true, force: true }));
    const env = {
      HOME: this.home,
      // One compile cache for the test process (recompiling the growing session text is slow).
      XDG_CACHE_HOME: join(tmpdir(), `tsbpf-shell-cache-${process.pid}`),
      TERM: 'xterm-256color',
      ...opts.env,
    };
    const envText = Object.entries(env).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
    const args = (opts.args ?? []).map(shq).join(' ');
    // After tsbpf ends the pane stays (sleep), showing its exit status for the test to read.
    const cmd = `cd ${shq(opts.cwd ?? REPO_ROOT)} && env ${envText} ${shq(process.execPath)} ${shq(TSBPF_BIN)} ${args}; echo "[tsbpf exited $?]"; sleep 600`;
    tmux(['new-session', '-d', '-s', this.name, '-x', '200', '-y', '50', cmd]);
    t.teardown(() => this.kill());
  }

  /** Type text literally (no Enter). */
  type(text: string): void {
    tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  /** Press keys by tmux name: 'Enter', 'Tab', 'C-c', 'C-d'. */
  press(...keys: string[]): void {
    tmux(['send-keys', '-t', this.name, ...keys]);
  }

  /** Type a line and press Enter. */
  line(text: string): void {
    this.type(text);
    this.press('Enter');
  }

  /** The screen with its scrollback, trailing blank lines dropped. */
  screen(): string {
    return tmux(['capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name]).replace(/\n+$/, '\n');
  }

  /** The visible screen with its colours (SGR escape sequences as the terminal got them). */
  colouredScreen(): string {
    return tmux(['capture-pane', '-p', '-e', '-t', this.name]);
  }

  /** The pid of the tsbpf process (the node child of the pane's shell, named tsbpf once it runs). */
  tsbpfPid(): number | undefined {
    const panePid = Number(tmux(['display-message', '-p', '-t', this.name, '#{pane_pid}']).trim());
    for (const e of spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(panePid)], { encoding: 'utf8' }).stdout.split('\n')) {
      const [pid, comm] = e.trim().split(/\s+/);
      if (pid && comm && (comm === 'tsbpf' || comm.startsWith('node'))) return Number(pid);
    }
    return undefined;
  }

  /** Wait until the screen matches; returns the screen. */
  async waitFor(what: RegExp | string | ((screen: string) => boolean), deadlineMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const test = typeof what === 'function' ? what : typeof what === 'string' ? (s: string) => s.includes(what) : (s: string) => what.test(s);
    const end = Date.now() + deadlineMs;
    for (;;) {
      const s = this.screen();
      if (test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(what)}; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Lines that start with the prompt (typing on a prompt line adds none; finishing a command adds one). */
  prompts(screen = this.screen()): number {
    return (screen.match(/^tsbpf>/gm) ?? []).length;
  }

  /**
   * Run a line and wait for the next prompt (the command finished). Returns what the screen
   * shows from the command line on.
   */
  async run(text: string, deadlineMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const before = this.screen();
    const n = this.prompts(before);
    const base = before.lastIndexOf('\n', before.length - 2) + 1;
    this.line(text);
    const s = await this.waitFor((x) => this.prompts(x) > n, deadlineMs);
    return s.slice(base);
  }

  /** Wait for tsbpf to end; returns its exit status. */
  async exited(deadlineMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    const s = await this.waitFor(/\[tsbpf exited (\d+)\]/, deadlineMs);
    return Number(/\[tsbpf exited (\d+)\]/.exec(s)![1]);
  }

  history(): string {
    try {
      return readFileSync(join(this.home, '.tsbpf_history'), 'utf8');
    } catch {
      return '';
    }
  }

  kill(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      tmux(['kill-session', '-t', this.name]);
    } catch {
      // Already gone.
    }
  }
}
