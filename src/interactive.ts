/**
 * What the interactive shell (runtime/shell/shell.ts) needs from the compiler besides `compile`: the
 * parser (multi-line continuation, splitting an entry into probes), the tokenizer and the name
 * tables (completion). A separate entry point from index.ts so that `-e` runs never load the parser.
 */
import { tokenize } from '../grammar/index.js';
import { ALL_FUNCTION_NAMES, BUILTIN_VARIABLE_NAMES } from './builtins/builtins.js';
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile, Span } from './common/span.js';
import { listTracepoints, readTracepointFormat } from './kernel/tracefs.js';
import { listKernelFunctions } from './providers/kprobe.js';
import { PROVIDERS, providerFor } from './providers/registry.js';
import { parse } from './syntax/index.js';

export { listKernelFunctions, listTracepoints, readTracepointFormat, PROVIDERS };

/** One probe block of a shell entry: its text and how many concrete probes it expands to. */
export interface EntryProbe {
  readonly span: Span;
  readonly text: string;
  readonly attachPoints: readonly string[];
  /** Concrete probes after wildcard expansion, in the compiler's order. */
  readonly expansions: number;
}

export interface EntryAnalysis {
  /** The text ends inside an open block, predicate, `< >` block or comment: read another line. */
  readonly incomplete: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** Absent when the entry has syntax errors. */
  readonly probes?: readonly EntryProbe[];
  /** The entry declares something besides probes (macros, structs, enums, map declarations, config). */
  readonly hasDeclarations: boolean;
  /** The text of each such declaration, in source order. */
  readonly declarations?: readonly string[];
}

/** Parse one shell entry and split it into its probe blocks. */
export function analyzeEntry(source: SourceFile): EntryAnalysis {
  const parsed = parse(source);
  if (!parsed.program) return { incomplete: parsed.incomplete, diagnostics: parsed.diagnostics, hasDeclarations: false };
  const p = parsed.program;
  const probes = p.probes.map((node): EntryProbe => {
    let expansions = 0;
    for (const ap of node.attachPoints) expansions += providerFor(ap.raw)?.expand(ap.raw, ap.span, new Diagnostics()).length ?? 0;
    return {
      span: node.span,
      text: source.text.slice(node.span.start, node.span.end),
      attachPoints: node.attachPoints.map((ap) => ap.raw),
      expansions,
    };
  });
  const decls: Span[] = [...p.preprocessor, ...p.structs, ...p.enums, ...p.macros, ...p.mapDecls, ...(p.config ? [p.config] : [])].map((n) => n.span);
  decls.sort((a, b) => a.start - b.start);
  const declarations = decls.map((d) => source.text.slice(d.start, d.end));
  return { incomplete: false, diagnostics: parsed.diagnostics, probes, hasDeclarations: decls.length > 0, declarations };
}

/** Is this text a complete entry, or does it end inside an open construct? */
export function isIncomplete(text: string): boolean {
  return parse({ name: 'shell', text }).incomplete;
}

/** Token kinds the completer cares about, from the real lexer (so `< >` blocks and predicates are right). */
export type ShellTokenKind = 'attach-point' | 'open' | 'close' | 'pred-open' | 'pred-close' | 'other';
export interface ShellToken {
  readonly kind: ShellTokenKind;
  readonly image: string;
  readonly start: number;
}

export function shellTokens(text: string): ShellToken[] {
  const kinds: Record<string, ShellTokenKind> = {
    AttachPoint: 'attach-point',
    LBrace: 'open',
    AngleOpen: 'open',
    RBrace: 'close',
    AngleClose: 'close',
    PredOpen: 'pred-open',
    PredClose: 'pred-close',
  };
  try {
    return tokenize(text).tokens.map((t) => ({ kind: kinds[t.tokenType.name] ?? 'other', image: t.image, start: t.startOffset }));
  } catch {
    return [];
  }
}

/** Builtin variable names (`pid`, `comm`, ...), for completion. */
export function builtinNames(): string[] {
  return [...BUILTIN_VARIABLE_NAMES];
}

export function functionNames(): string[] {
  return [...ALL_FUNCTION_NAMES];
}
