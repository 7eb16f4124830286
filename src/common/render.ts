import type { Diagnostic } from './diagnostic.js';
import type { SourceFile } from './span.js';

/**
 * The one place diagnostics become text, in bpftrace's shape (renderLocated below):
 *   stdin:1:18-21: ERROR: message
 *   <source line>
 *                    ^~~
 *   HINT: ...
 */
export function renderDiagnostic(d: Diagnostic, source?: SourceFile): string {
  const label = d.severity === 'error' ? 'ERROR' : 'WARNING';
  const lines: string[] = [];
  if (d.span && source) {
    // At least one column: a span at one point still names (and marks) the character there.
    lines.push(renderLocated(label, d.message, source, { start: d.span.start, end: Math.max(d.span.end, d.span.start + 1) }));
  } else if (d.message !== '') {
    // An error with no message is only its hints (bpftrace's `-- --help` prints just `HINT: ` lines).
    lines.push(`${label}: ${d.message}`);
  }
  for (const h of d.hints ?? []) lines.push(`HINT: ${h}`);
  return lines.join('\n');
}

/**
 * A message at a place in the source as bpftrace's log prints it (src/log.cpp, ast/location.cpp):
 * `FILE:L:C1-C2: LABEL: msg`, then the source line (tabs as 4 spaces) and `^~~` under the span (bpftrace marks it with `~` only); a
 * span over several lines is `FILE:L1-L2: LABEL: msg` followed by those lines and no marks.
 */
export function renderLocated(label: 'ERROR' | 'WARNING', message: string, source: { name: string; text: string }, span: { start: number; end: number }): string {
  // By a line index, not by splitting the text: lowering renders one per checked helper call.
  const starts = lineStarts(source.text);
  const line = lineOf(starts, span.start);
  const lineStart = starts[line - 1]!;
  const lineText = (n: number): string => source.text.slice(starts[n - 1]!, (starts[n] ?? source.text.length + 1) - 1);
  const startCol = span.start - lineStart + 1;
  const endLine = lineOf(starts, span.end);
  if (endLine !== line) {
    const shown: string[] = [];
    for (let n = line; n <= endLine; n++) shown.push(lineText(n));
    return `${source.name}:${line}-${endLine}: ${label}: ${message}\n${shown.join('\n')}`;
  }
  const endCol = span.end - lineStart + 1;
  const lineEnd = (starts[line] ?? source.text.length + 1) - 1;
  // A very long line (a generated script on one line) is shown around the span only: every
  // checked helper call keeps its rendering in the compiled script, so whole lines made that
  // quadratic (and so did copying the whole line to cut the window out of it).
  const long = lineEnd - lineStart > MAX_CONTEXT_LINE;
  const cut = long ? Math.max(0, startCol - 1 - CONTEXT_AROUND) : 0;
  const src = long ? source.text.slice(lineStart + cut, Math.min(lineEnd, lineStart + endCol - 1 + CONTEXT_AROUND)) : source.text.slice(lineStart, lineEnd);
  return `${source.name}:${line}:${startCol}-${endCol}: ${label}: ${message}\n${src.replace(/\t/g, '    ')}\n${underline(src, startCol - cut, endCol - cut)}`;
}
/** Source lines longer than this are shown CONTEXT_AROUND characters either side of the span. */
const MAX_CONTEXT_LINE = 1000;
const CONTEXT_AROUND = 200;

/**
 * The marks under columns [startCol, endCol) of `src` (tabs as 4): bpftrace's `~` under the span,
 * but a caret where it starts (`^~~~`, as compilers point), so a one-column span still reads as a pointer.
 */
function underline(src: string, startCol: number, endCol: number): string {
  let marks = '';
  for (let x = 0; x < src.length && x < endCol - 1; x++) {
    const width = src[x] === '\t' ? 4 : 1;
    if (x < startCol - 1) marks += ' '.repeat(width);
    else marks += (x === startCol - 1 ? '^' : '~') + '~'.repeat(width - 1);
  }
  return marks;
}

/** The offset each line of `text` starts at (the last text's, cached: one script is rendered many times). */
function lineStarts(text: string): readonly number[] {
  if (lineStartsCache?.text === text) return lineStartsCache.starts;
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  lineStartsCache = { text, starts };
  return starts;
}

let lineStartsCache: { text: string; starts: readonly number[] } | undefined;

/** The 1-based line holding offset `at`. */
function lineOf(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

export function renderDiagnostics(ds: readonly Diagnostic[], source?: SourceFile): string {
  return ds.map((d) => renderDiagnostic(d, source)).join('\n') + (ds.length ? '\n' : '');
}
