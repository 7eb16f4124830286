/**
 * Precomputed LL(k) lookahead. Building the parser spends about half its time computing lookahead
 * paths from the grammar; those paths only change when the grammar does, so they are computed once
 * (by `recordLookahead`, written to generated/lookahead.ts by a test) and loaded from there. The table
 * carries a fingerprint of the grammar's source and tokens: on a mismatch, or for a decision missing
 * from it, Chevrotain's own computation is used, so a stale table costs time, never correctness.
 */
import {
  LLkLookaheadStrategy, getLookaheadPaths, tokenMatcher, type IOrAlt, type IToken, type OptionalProductionType, type Rule,
  type TokenType,
} from './chevrotain.js';

/** Decision key (`rule/ProductionType/occurrence`) → lookahead paths as token names. */
export interface LookaheadTable {
  readonly fingerprint: string;
  readonly paths: Readonly<Record<string, readonly (readonly (readonly string[])[])[]>>;
}

type Paths = TokenType[][][];
interface Lookahead {
  LA(i: number): IToken;
}

function key(rule: string, prodType: string, occurrence: number): string {
  return `${rule}/${prodType}/${occurrence}`;
}

/** FNV-1a over the grammar's source and its tokens' names and categories. */
export function grammarFingerprint(parserSource: string, tokens: readonly TokenType[], maxLookahead: number): string {
  const text = [
    parserSource,
    String(maxLookahead),
    ...tokens.map((t) => `${t.name}<${(t.CATEGORIES ?? []).map((c) => c.name).join(',')}`),
  ].join('\n');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function matches(la: Lookahead, path: readonly TokenType[]): boolean {
  for (let i = 0; i < path.length; i++) if (!tokenMatcher(la.LA(i + 1), path[i]!)) return false;
  return true;
}

/** Whether LA(1..) matches one of `paths`; a table lookup when they are all one token long. */
function pathsMatcher(paths: TokenType[][]): (la: Lookahead) => boolean {
  if (paths.every((p) => p.length === 1)) {
    const accept: boolean[] = [];
    for (const [t] of paths) for (const idx of [t!.tokenTypeIdx!, ...(t!.categoryMatches ?? [])]) accept[idx] = true;
    return (la) => accept[la.LA(1).tokenTypeIdx] === true;
  }
  if (paths.some((p) => p.length === 0)) return () => true;
  // Only the paths whose first token is LA(1) can match: indexed by it (a statement's decision has
  // hundreds of paths, tried one by one for every statement before).
  const byFirst: TokenType[][][] = [];
  for (const p of paths) {
    for (const idx of new Set([p[0]!.tokenTypeIdx!, ...(p[0]!.categoryMatches ?? [])])) (byFirst[idx] ??= []).push(p);
  }
  return (la) => {
    const candidates = byFirst[la.LA(1).tokenTypeIdx];
    if (!candidates) return false;
    for (const p of candidates) if (matches(la, p)) return true;
    return false;
  };
}

/** Alternative chooser (same semantics as Chevrotain's: first alternative whose gate and a path match). */
function alternationFunc(alts: Paths, hasPredicates: boolean): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
  const singleToken = !hasPredicates && alts.every((a) => a.every((p) => p.length === 1));
  if (singleToken) {
    const choice: (number | undefined)[] = [];
    alts.forEach((alt, i) => {
      for (const [t] of alt) {
        for (const idx of [t!.tokenTypeIdx!, ...(t!.categoryMatches ?? [])]) choice[idx] ??= i;
      }
    });
    return function (this: Lookahead) {
      return choice[this.LA(1).tokenTypeIdx];
    };
  }
  const matchers = alts.map(pathsMatcher);
  return function (this: Lookahead, orAlts?: IOrAlt<unknown>[]) {
    for (let i = 0; i < matchers.length; i++) {
      if (!matchers[i]!(this)) continue;
      const gate = hasPredicates ? orAlts?.[i]?.GATE : undefined;
      if (gate && gate.call(this) === false) continue;
      return i;
    }
    return undefined;
  };
}

function optionalFunc(inside: TokenType[][]): () => boolean {
  const matcher = pathsMatcher(inside);
  return function (this: Lookahead) {
    return matcher(this);
  };
}

/** The arguments Chevrotain passes to a lookahead strategy's builders. */
type AlternationOptions = Parameters<InstanceType<typeof LLkLookaheadStrategy>['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<InstanceType<typeof LLkLookaheadStrategy>['buildLookaheadForOptional']>[0];

/** Lookahead from a precomputed table, falling back to Chevrotain's computation. */
export class TableLookaheadStrategy extends LLkLookaheadStrategy {
  private readonly byName: Map<string, TokenType>;

  constructor(
    maxLookahead: number,
    private readonly table: LookaheadTable | undefined,
    tokens: readonly TokenType[],
  ) {
    super({ maxLookahead });
    this.byName = new Map(tokens.map((t) => [t.name, t]));
  }

  private lookup(k: string): Paths | undefined {
    const names = this.table?.paths[k];
    if (!names) return undefined;
    const out: Paths = [];
    for (const alt of names) {
      const paths: TokenType[][] = [];
      for (const path of alt) {
        const types: TokenType[] = [];
        for (const n of path) {
          const t = this.byName.get(n);
          if (!t) return undefined;
          types.push(t);
        }
        paths.push(types);
      }
      out.push(paths);
    }
    return out;
  }

  override buildLookaheadForAlternation(options: AlternationOptions): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const paths = this.lookup(key(options.rule.name, 'Alternation', options.prodOccurrence));
    return paths ? alternationFunc(paths, options.hasPredicates) : super.buildLookaheadForAlternation(options);
  }

  override buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    const paths = this.lookup(key(options.rule.name, options.prodType, options.prodOccurrence));
    return paths ? optionalFunc(paths[0]!) : super.buildLookaheadForOptional(options);
  }
}

/** Computes lookahead like Chevrotain does and records every decision's paths (to generate the table). */
export class RecordingLookaheadStrategy extends LLkLookaheadStrategy {
  readonly paths: Record<string, string[][][]> = {};

  private record(rule: Rule, prodType: OptionalProductionType | 'Alternation', occurrence: number, maxLookahead: number): void {
    const seqs = getLookaheadPaths({ occurrence, rule, prodType, maxLookahead });
    // For optional productions only the paths inside matter (Chevrotain uses the first sequence).
    const kept = prodType === 'Alternation' ? seqs : seqs.slice(0, 1);
    this.paths[key(rule.name, prodType, occurrence)] = kept.map((alt) => alt.map((p) => p.map((t) => t.name)));
  }

  override buildLookaheadForAlternation(options: AlternationOptions): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    this.record(options.rule, 'Alternation', options.prodOccurrence, options.maxLookahead);
    return super.buildLookaheadForAlternation(options);
  }

  override buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    this.record(options.rule, options.prodType, options.prodOccurrence, options.maxLookahead);
    return super.buildLookaheadForOptional(options);
  }
}
