/**
 * Shell input in colour as it is typed (on a terminal with colour): keywords, functions, builtins,
 * strings, maps, variables and attach points, from the real lexer (src/interactive.ts
 * `highlightSpans`). node:repl has no hook for it: readline writes the prompt and the line through
 * `_writeToOutput` when it redraws, so that is where the line is coloured, and every edit redraws.
 */
import type { ChalkInstance } from 'chalk';
import type { REPLServer } from 'node:repl';
import type { HighlightSpan } from '../../src/index.js';

/** `text` with its spans coloured. */
export function colorize(text: string, spans: readonly HighlightSpan[], c: ChalkInstance): string {
  const paint: Record<HighlightSpan['kind'], (s: string) => string> = {
    'attach-point': c.magenta,
    keyword: c.bold.blue,
    function: c.blue,
    builtin: c.cyan,
    string: c.green,
    map: c.yellow,
    variable: c.yellow.dim,
    number: c.magenta.dim,
  };
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + paint[s.kind](text.slice(s.start, s.end));
    at = s.end;
  }
  return out + text.slice(at);
}

/** The readline internals used (stable since Node 16: the underscore names are kept for compatibility). */
interface ReadlineInternals {
  line: string;
  getPrompt(): string;
  _writeToOutput(s: string): void;
  _refreshLine(): void;
}

/** Keys after which the line is redrawn in colour (not Enter, Tab, Ctrl-C/D: those print or end). */
function editsLine(key: { name?: string; ctrl?: boolean; meta?: boolean; sequence?: string } | undefined): boolean {
  if (!key) return false;
  if (key.name === 'return' || key.name === 'enter' || key.name === 'tab' || key.name === 'escape') return false;
  if (key.ctrl && (key.name === 'c' || key.name === 'd' || key.name === 'l' || key.name === 'm' || key.name === 'j')) return false;
  return true;
}

/**
 * Colour the line being typed. `active()` says when (not while a command runs or a watch draws);
 * returns a function that undoes it.
 */
export function highlightInput(server: REPLServer, input: NodeJS.ReadableStream, c: ChalkInstance, spans: (text: string) => readonly HighlightSpan[], active: () => boolean): () => void {
  const rl = server as unknown as ReadlineInternals;
  const write = rl._writeToOutput.bind(server);
  rl._writeToOutput = (s: string): void => {
    const prompt = rl.getPrompt();
    if (active() && rl.line && s === prompt + rl.line) write(prompt + colorize(rl.line, spans(rl.line), c));
    else write(s);
  };
  const onKey = (_s: string | undefined, key: Parameters<typeof editsLine>[0]): void => {
    // readline has handled the key (its listener came first): redraw the line it left.
    if (active() && rl.line && editsLine(key)) rl._refreshLine();
  };
  input.on('keypress', onKey);
  return () => {
    input.off('keypress', onKey);
    rl._writeToOutput = write;
  };
}
