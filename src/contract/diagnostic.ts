/** Diagnostics as data: what the compiler reports and the runtime prints (src/common/render.ts renders them). */

/** A half-open range of character offsets into one source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The text a program came from, with the name used in diagnostics (`stdin`, a file path). */
export interface SourceFile {
  readonly name: string;
  readonly text: string;
}

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
