import type { Span } from './span.js';

export type Severity = 'error' | 'warning';

/**
 * A problem found in a user's program. Diagnostics are data: passes collect them, and exactly one
 * function (render.ts) turns them into text. Tests assert `code` and `span`, never the message text.
 */
export interface Diagnostic {
  readonly severity: Severity;
  /** Stable kebab-case identifier, e.g. `syntax-error`, `unknown-tracepoint`, `map-type-mismatch`. */
  readonly code: string;
  readonly message: string;
  /** Where in the source; absent for problems that belong to no place (e.g. missing privileges). */
  readonly span?: Span;
  readonly hints?: readonly string[];
}

export function error(code: string, message: string, span?: Span, hints?: readonly string[]): Diagnostic {
  return { severity: 'error', code, message, span, hints };
}

export function warning(code: string, message: string, span?: Span, hints?: readonly string[]): Diagnostic {
  return { severity: 'warning', code, message, span, hints };
}

/** Collects diagnostics during a pass. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];
  report(d: Diagnostic): void {
    this.items.push(d);
  }
  error(code: string, message: string, span?: Span, hints?: readonly string[]): void {
    this.items.push(error(code, message, span, hints));
  }
  warning(code: string, message: string, span?: Span, hints?: readonly string[]): void {
    this.items.push(warning(code, message, span, hints));
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Thrown to abandon a compilation when diagnostics have been collected; carries them. */
export class CompileError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
    this.name = 'CompileError';
  }
}
