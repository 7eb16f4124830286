/** The compiler's public surface: what runtime/ may import. */
// Only types from compile.ts: importing it loads the parser. The compile worker (compile-worker.ts)
// is the one place that runs the compiler, so a cache hit never loads it.
export type { CompiledMap, CompiledProgram, CompiledScript, CompileOptions } from './compile.js';
export type { Diagnostic } from './common/diagnostic.js';
export { renderDiagnostic, renderDiagnostics } from './common/render.js';
export type { SourceFile, Span } from './common/span.js';
export { recordLayout, type EventSpec } from './passes/events.js';
export { tupleLayout, aggregateLayout, sizeOf, type Type } from './types/types.js';
export { providerFor, PROVIDERS } from './providers/registry.js';
export { listProbes, type ListOptions } from './providers/listing.js';
export { AttachError, type Attachment, type ConcreteProbe, type KernelOps } from './providers/provider.js';
export { TRACEFS_PATHS, tracefsRoot } from './kernel/tracefs.js';
export { formatPrintf, type FormatArg } from './common/printf-format.js';
