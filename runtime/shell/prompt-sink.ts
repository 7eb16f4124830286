/**
 * Program output while the user types at the prompt: printf lines from probes must not land in
 * the middle of the line being edited. On a terminal, when the shell is idle at its prompt,
 * output is queued, and on the next tick the prompt line is cleared, the output printed and the
 * prompt (with what was typed) redrawn. Otherwise it goes straight out.
 */
import type { Sink } from '../output/output.js';

export class PromptSafeOutput {
  private readonly queued: string[] = [];
  private flushScheduled = false;

  /**
   * @param stdout where queued output is printed (both streams' output: it lands above the prompt)
   * @param atPrompt the shell is idle at its prompt on a terminal: queue, and redraw after printing
   * @param redrawPrompt print the prompt again with the line being typed
   */
  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly atPrompt: () => boolean,
    private readonly redrawPrompt: () => void,
  ) {}

  /** A sink writing to `stream`, queued while the shell is at its prompt. */
  sink(stream: NodeJS.WritableStream): Sink {
    return {
      write: (s: string) => {
        if (!this.atPrompt()) {
          this.flush();
          return stream.write(s);
        }
        this.queued.push(s);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(this.flush);
        }
        return true;
      },
    };
  }

  /** Print what is queued now: clear the prompt line, print, redraw the prompt. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const text = this.queued.splice(0).join('');
    const redraw = this.atPrompt();
    if (redraw) this.stdout.write('\r\x1b[K');
    this.stdout.write(text);
    if (redraw) this.redrawPrompt();
  };
}
