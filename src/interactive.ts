/**
 * What the interactive shell (runtime/shell/shell.ts) needs from the compiler besides `compile`: the
 * parser (multi-line continuation, splitting an entry into probes), the tokenizer and the name
 * tables (completion). A separate entry point from index.ts so that `-e` runs never load the parser.
 */
import { tokenize } from '../grammar/index.js';
import { ALL_FUNCTION_NAMES, BUILTIN_VARIABLE_NAMES } from './builtins/builtins.js';
import { functionDoc } from './builtins/functions.js';
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile, Span } from './common/span.js';
import { listTracepoints, readTracepointFormat } from './kernel/tracefs.js';
import { listKernelFunctions } from './providers/kprobe.js';
import { PROVIDERS, providerFor } from './providers/registry.js';
import { parse } from './syntax/index.js';

const BUILTIN_VARIABLE_SET: ReadonlySet<string> = new Set(BUILTIN_VARIABLE_NAMES);
import { analyzeStatements } from './shell-statements.js';

export { listKernelFunctions, listTracepoints, readTracepointFormat, PROVIDERS, analyzeStatements, functionDoc };
export type { StatementsAnalysis, Insertion } from './shell-statements.js';

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

/**
 * Is this text a complete entry, or does it end inside an open construct? As probes, or, when it
 * is no probe, as statements to run once (`if (@x) {` waits for its block's end too).
 */
export function isIncomplete(text: string): boolean {
  const asProbes = parse({ name: 'shell', text });
  if (asProbes.program) return false;
  const asStatements = analyzeStatements({ name: 'shell', text });
  if (asProbes.incomplete) return !asStatements.bareValue;
  return asStatements.incomplete;
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

/** What a piece of shell input is, for colouring it as it is typed. */
export type HighlightKind = 'attach-point' | 'keyword' | 'function' | 'builtin' | 'string' | 'map' | 'variable' | 'number';
export interface HighlightSpan {
  readonly start: number;
  readonly end: number;
  readonly kind: HighlightKind;
}

let functionSet: ReadonlySet<string> | undefined;

/** The spans of `text` to colour, from the real lexer (text it cannot read is left as it is). */
export function highlightSpans(text: string): HighlightSpan[] {
  functionSet ??= new Set(ALL_FUNCTION_NAMES);
  let tokens;
  try {
    tokens = tokenize(text).tokens;
  } catch {
    return [];
  }
  const out: HighlightSpan[] = [];
  for (const t of tokens) {
    const name = t.tokenType.name;
    const kind: HighlightKind | undefined =
      name === 'AttachPoint' ? 'attach-point'
      : name === 'StringLit' ? 'string'
      : name === 'MapName' ? 'map'
      : name === 'Variable' || name === 'Positional' || name === 'PositionalCount' ? 'variable'
      : name === 'Integer' ? 'number'
      : /^[a-z_]+$/.test(t.image) && name.toLowerCase() === t.image ? 'keyword'
      : name === 'Identifier' && (BUILTIN_VARIABLE_SET.has(t.image) || t.image === 'args' || /^(arg|sarg)\d+$/.test(t.image)) ? 'builtin'
      : name === 'Identifier' && functionSet.has(t.image) ? 'function'
      : undefined;
    if (kind) out.push({ start: t.startOffset, end: t.startOffset + t.image.length, kind });
  }
  return out;
}

/** Builtin variable names (`pid`, `comm`, ...), for completion. */
export function builtinNames(): string[] {
  return [...BUILTIN_VARIABLE_NAMES];
}

export function functionNames(): string[] {
  return [...ALL_FUNCTION_NAMES];
}
