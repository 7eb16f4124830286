/**
 * tsbpf's programmatic API, the package's main export (`import { trace, compile } from 'tsbpf'`).
 * README.md "Using tsbpf from TypeScript" shows it at work.
 */
export { trace, Trace, type TraceOptions } from './trace.js';
export { compile, type CompileOptions, type CompileResult, type ParamValue } from './compile.js';
export { TsbpfError, DiagnosticError, InternalCompilerError, VerifierError, AttachError } from './errors.js';
export type * from './types.js';
