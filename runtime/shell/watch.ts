/**
 * `.watch @x [interval]`: redraws one map in place every interval until Enter, Ctrl-C, q or
 * Escape. While it runs, keys go to the watch, not to the line editor (so they neither echo nor
 * reach the prompt).
 */
import type { REPLServer } from 'node:repl';
import type { ChalkInstance } from 'chalk';

export interface MapWatchOptions {
  readonly server: REPLServer;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly terminal: boolean;
  readonly c: ChalkInstance;
  readonly name: string;
  readonly intervalMs: number;
  /** The map as text, rendered afresh for each frame. */
  readonly render: () => string;
  /** Called once when a key or a line stops the watch. */
  readonly onStopKey: () => void;
}

type Listener = (...a: unknown[]) => void;

export class MapWatch {
  private readonly timer: NodeJS.Timeout;
  /** Lines of the last frame, moved up over on a terminal to redraw in place. */
  private lines = 0;
  private readonly keyListeners: Listener[];
  private stopped = false;

  constructor(private readonly opts: MapWatchOptions) {
    const { stdin, server, terminal } = opts;
    this.keyListeners = terminal ? (stdin.listeners('keypress') as Listener[]) : [];
    if (terminal) {
      for (const l of this.keyListeners) stdin.removeListener('keypress', l);
      stdin.on('keypress', this.onKey);
    } else {
      server.prependListener('line', this.onLine);
    }
    this.timer = setInterval(() => this.draw(), opts.intervalMs);
    this.draw();
  }

  /** Stop redrawing and give the keys back to the line editor. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const { stdin, server, terminal } = this.opts;
    if (terminal) {
      stdin.removeListener('keypress', this.onKey);
      for (const l of this.keyListeners) stdin.on('keypress', l);
    } else {
      server.removeListener('line', this.onLine);
    }
  }

  private draw(): void {
    if (this.stopped) return;
    const { c, name, intervalMs, stdout, terminal } = this.opts;
    const frame = `${c.bold(`Every ${intervalMs / 1000}s: ${name}`)}  ${c.dim(new Date().toLocaleTimeString())}  ${c.dim('(Enter or Ctrl-C stops)')}\n${this.opts.render()}`;
    if (this.lines > 0 && terminal) stdout.write(`\x1b[${this.lines}A\r\x1b[J`);
    stdout.write(frame);
    this.lines = frame.split('\n').length - 1;
  }

  private readonly onKey = (_s: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void => {
    if (!key) return;
    if (key.name === 'return' || key.name === 'enter' || key.name === 'q' || key.name === 'escape' || (key.ctrl && (key.name === 'c' || key.name === 'd'))) this.opts.onStopKey();
  };

  private readonly onLine = (): void => this.opts.onStopKey();
}
