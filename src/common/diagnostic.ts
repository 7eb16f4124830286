import type { Diagnostic, Span } from '../contract/index.js';

export type { Diagnostic, Severity } from '../contract/index.js';

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
