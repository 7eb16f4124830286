import type { Diagnostic } from './diagnostic.js';
import { lineCol, type SourceFile } from './span.js';

/**
 * The one place diagnostics become text, in bpftrace's shape:
 *   stdin:1:18-21: ERROR: message
 *   <source line>
 *                    ~~~~
 *   HINT: ...
 */
export function renderDiagnostic(d: Diagnostic, source?: SourceFile): string {
  const label = d.severity === 'error' ? 'ERROR' : 'WARNING';
  const lines: string[] = [];
  if (d.span && source) {
    const start = lineCol(source.text, d.span.start);
    const endOffset = Math.max(d.span.start, d.span.end);
    const end = lineCol(source.text, endOffset);
    const lineText = source.text.split('\n')[start.line - 1] ?? '';
    const sameLine = end.line === start.line;
    const endCol = sameLine ? Math.max(end.col, start.col + 1) : lineText.length + 1;
    const where = endCol - start.col > 1 ? `${start.line}:${start.col}-${endCol}` : `${start.line}:${start.col}`;
    lines.push(`${source.name}:${where}: ${label}: ${d.message}`);
    lines.push(lineText);
    const width = Math.max(1, endCol - start.col);
    const marker = '^' + '~'.repeat(width - 1);
    lines.push(' '.repeat(start.col - 1) + marker);
  } else if (d.message !== '') {
    // An error with no message is only its hints (bpftrace's `-- --help` prints just `HINT:` lines).
    lines.push(`${label}: ${d.message}`);
  }
  for (const h of d.hints ?? []) lines.push(`HINT: ${h}`);
  return lines.join('\n');
}

export function renderDiagnostics(ds: readonly Diagnostic[], source?: SourceFile): string {
  return ds.map((d) => renderDiagnostic(d, source)).join('\n') + (ds.length ? '\n' : '');
}
