/**
 * The API's errors. Each message is exactly the text the CLI prints for the same failure (without
 * the final newline), so a service can log it as a user of the CLI would see it.
 */
import type { Diagnostic } from '../../src/contract/index.js';
import { RuntimeError, runtimeErrorText } from '../session/session.js';

/** The base class: every error trace() and compile() throw for a failure of the script or the run. */
export class TsbpfError extends Error {
  override name = 'TsbpfError';
  /** The CLI's `HINT:` line, when it prints one (also part of the message). */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
  }
}

/** The compiler rejected the script: its diagnostics, each with its span (offsets into the script's text). */
export class DiagnosticError extends TsbpfError {
  override name = 'DiagnosticError';
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super(message);
  }
}

/** The compiler itself failed (a bug in tsbpf, or LLVM crashed in the compile worker). */
export class InternalCompilerError extends TsbpfError {
  override name = 'InternalCompilerError';
}

/** The kernel refused to load a program (its verifier, or missing privileges). */
export class VerifierError extends TsbpfError {
  override name = 'VerifierError';
  constructor(
    message: string,
    hint: string | undefined,
    /** The probe whose program was refused (`tracepoint:syscalls:sys_enter_openat`). */
    readonly probe: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

/** A probe could not be attached (no such tracepoint, the binary has no such function...). */
export class AttachError extends TsbpfError {
  override name = 'AttachError';
  constructor(
    message: string,
    hint: string | undefined,
    readonly probe: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

/** A session's failure (runtime/session/session.ts RuntimeError) as the API's error class, with the CLI's text. */
export function apiError(e: unknown): unknown {
  if (!(e instanceof RuntimeError)) return e;
  const message = runtimeErrorText(e).replace(/\n$/, '');
  const probe = e.program?.probe.name;
  if (e.phase === 'load') return new VerifierError(message, e.hint, probe, { cause: e });
  if (e.phase === 'attach') return new AttachError(message, e.hint, probe, { cause: e });
  return new TsbpfError(message, e.hint, { cause: e });
}
