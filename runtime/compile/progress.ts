/**
 * A progress line on a terminal's stderr while something slow runs (a compile in the worker, a big
 * map read and printed): `compiling... 1.4s`, redrawn in place and erased when the work is done, so
 * it never mixes with the output. Nothing is written when the stream is not a terminal.
 */

export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
}

export interface Progress {
  /** Change what the line says (shown now if the line is up). */
  set(label: string): void;
  /** Erase the line (if it was shown). Idempotent. */
  done(): void;
}

const NONE: Progress = { set: () => {}, done: () => {} };

/**
 * Show `label` with the seconds elapsed after `delayMs` (0: now), then every 100 ms while the
 * event loop turns, until done(). Work that blocks the loop (a synchronous map dump) shows its
 * line only when it starts with delayMs 0.
 */
export function startProgress(out: ProgressStream, label: string, delayMs = 300): Progress {
  if (!out.isTTY) return NONE;
  const started = Date.now();
  let text = label;
  let shown = false;
  let finished = false;
  const draw = (): void => {
    if (finished) return;
    shown = true;
    const secs = (Date.now() - started) / 1000;
    out.write(`\r\x1b[K${text}... ${secs.toFixed(1)}s`);
  };
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    draw();
    ticker = setInterval(draw, 100);
    ticker.unref();
  }, delayMs);
  first.unref();
  if (delayMs === 0) draw();
  return {
    set(label: string): void {
      text = label;
      if (shown) draw();
    },
    done(): void {
      if (finished) return;
      finished = true;
      clearTimeout(first);
      if (ticker) clearInterval(ticker);
      if (shown) out.write('\r\x1b[K');
    },
  };
}
