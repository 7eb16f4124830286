/** A failed compile as the CLI prints it (and the API's errors carry as their message). */
import type { SourceFile } from '../../src/contract/index.js';
import { renderDiagnostics } from '../../src/index.js';
import type { CompileOutcome } from './compiler.js';

export function compileFailureText(outcome: Exclude<CompileOutcome, { kind: 'ok' }>, source: SourceFile): string {
  if (outcome.kind === 'diagnostics') return renderDiagnostics(outcome.diagnostics, source);
  return `ERROR: internal compiler error: ${outcome.message}\n`;
}
