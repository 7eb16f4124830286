/**
 * A grammar-aware fuzzer's case generator: mutations of valid scripts (scripts/tools/*.tbpf and
 * the one-liners in corpus.ts) at the token level (delete, duplicate, swap, replace), random bytes,
 * deep nesting, huge literals and huge programs. Deterministic: case `i` of seed `s` is always the
 * same text, so any case can be reproduced alone (`caseAt`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize } from '../../grammar/lexer.js';
import { ONE_LINERS } from './corpus.js';

/** mulberry32: small, fast, good enough to pick mutations. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  /** The mutations applied, e.g. `delete-token+deep:parens(300)`. */
  readonly kind: string;
  readonly text: string;
}

/** The valid scripts mutations start from: the repository's tools and the one-liners. */
export function loadCorpus(repoRoot: string): string[] {
  const dir = join(repoRoot, 'scripts', 'tools');
  let tools: string[] = [];
  try {
    // A tool whose attach point is a positional parameter (xdpfilter's `xdp:$1`) needs its arguments to compile.
    tools = readdirSync(dir).filter((f) => f.endsWith('.tbpf')).sort().map((f) => readFileSync(join(dir, f), 'utf8')).filter((text) => !/^[a-z]+:\$\d/m.test(text));
  } catch {
    /* no tools directory: one-liners only */
  }
  return [...tools, ...ONE_LINERS];
}

/** Deeply nested constructs: a statement text nesting `n` levels. */
const DEEP: Record<string, (n: number) => string> = {
  parens: (n) => `$fz = ${'('.repeat(n)}1${')'.repeat(n)};`,
  tuples: (n) => `$fz = ${'('.repeat(n)}1${',2)'.repeat(n)};`,
  not: (n) => `$fz = ${'!'.repeat(n)}1;`,
  neg: (n) => `$fz = ${'- '.repeat(n)}1;`,
  tilde: (n) => `$fz = ${'~'.repeat(n)}1;`,
  deref: (n) => `$fz = ${'*'.repeat(n)}0;`,
  casts: (n) => `$fz = ${'(uint32)'.repeat(n)}1;`,
  ifs: (n) => `${'if (pid) { '.repeat(n)}$fz = 1;${' }'.repeat(n)}`,
  elseifs: (n) => `if (pid == 0) { $fz = 0; }${Array.from({ length: n }, (_, i) => ` else if (pid == ${i + 1}) { $fz = ${i}; }`).join('')}`,
  blocks: (n) => `${'{ '.repeat(n)}$fz = 1;${' }'.repeat(n)}`,
  whiles: (n) => `$fz = 0; ${'while ($fz < 1) { '.repeat(n)}$fz++;${' }'.repeat(n)}`,
  ternary: (n) => `$fz = ${'pid ? 1 : '.repeat(n)}2;`,
  calls: (n) => `$fz = ${'bswap('.repeat(n)}(uint32)1${')'.repeat(n)};`,
  fields: (n) => `$fz = curtask${'.parent'.repeat(n)}.pid;`,
  derefFields: (n) => `$fz = ${'(*'.repeat(n)}curtask${').real_parent'.repeat(n)};`,
  addrDeref: (n) => `$fz = ${'*&'.repeat(n)}$x;`,
  index: (n) => `@fz${'[1]'.repeat(Math.min(n, 50))} = 1;`,
  plus: (n) => `$fz = ${Array(n).fill('1').join(' + ')};`,
  and: (n) => `$fz = ${Array(n).fill('pid').join(' && ')};`,
  mixed: (n) => `$fz = ${Array(n).fill('pid').map((x, i) => (i % 2 ? `(${x}` : x)).join(' * ')}${')'.repeat(Math.floor(n / 2))};`,
  strcat: (n) => `$fz = ${Array(n).fill('"ab"').join(' + ')};`,
  blockexpr: (n) => `$fz = ${'{ '.repeat(n)}1${' }'.repeat(n)};`,
};
const DEPTHS = [5, 30, 100, 200, 250, 256, 257, 300, 401, 600, 2000, 10000];

/** Statements with big things in them. */
const HUGE: Record<string, (n: number, rng: Prng) => string> = {
  repeatedString: (n) => `$fz = "${'a'.repeat(n)}"; printf("%s\\n", $fz);`,
  mapString: (n) => `@fz = "${'z'.repeat(n)}";`,
  zeroString: (n) => `$fz = "${'\\0'.repeat(Math.min(n, 3000))}";`,
  mixedString: (n, rng) => `printf("${Array.from({ length: n }, () => 'abcdefgh%\\n\\t'[rng.int(12)]).join('').replace(/%+$/, '').replace(/\\+$/, '')}\\n");`,
  formatArgs: (n) => `printf("${'%d '.repeat(Math.min(n, 200))}\\n"${', pid'.repeat(Math.min(n, 200))});`,
  bigInt: (n) => `$fz = ${'9'.repeat(Math.min(n, 400))};`,
  hexInt: (n) => `$fz = 0x${'f'.repeat(Math.min(n, 200))};`,
  longName: (n) => `$${'v'.repeat(Math.min(n, 5000))} = 1; @${'m'.repeat(Math.min(n, 5000))} = 1;`,
  manyStatements: (n) => Array.from({ length: Math.min(n, 3000) }, (_, i) => `$v${i % 50} = ${i};`).join(' '),
  manyMaps: (n) => Array.from({ length: Math.min(n, 300) }, (_, i) => `@m${i} = count();`).join(' '),
  manyKeys: (n) => `@fz[${Array.from({ length: Math.min(n, 100) }, (_, i) => `${i}`).join(', ')}] = 1;`,
  bigTuple: (n) => `$fz = (${Array.from({ length: Math.min(n, 300) }, (_, i) => `${i}`).join(', ')});`,
  lhistSteps: () => `@fz = lhist(pid, 0, 1000000000, 1);`,
  bigStr: (n) => `$fz = str(0, ${n});`,
};
const SIZES = [64, 200, 1000, 1023, 1024, 1025, 1100, 2000, 5000, 20000];

const RANDOM_TOKENS = [
  '{', '}', '(', ')', '[', ']', '<', '>', '/', ';', ',', ':', '?', '.', '->', '..', '=', '+=', '++', '--', '!', '~', '-', '*', '&',
  '$x', '@m', '@', '$1', '$#', 'pid', 'comm', 'args', 'retval', 'nsecs', 'curtask', 'kstack', 'ustack', 'probe', 'func',
  'if', 'else', 'while', 'for', 'unroll', 'return', 'break', 'continue', 'let', 'macro', 'config', 'import', 'sizeof', 'offsetof', 'typeof',
  '"s"', '""', '"%d %s"', '0', '1', '-1', '0xffffffffffffffff', '18446744073709551616', '1e3', '5s', '0b101',
  'BEGIN', 'END', 'kprobe:do_nanosleep', 'tracepoint:syscalls:sys_enter_openat', 'interval:s:1', 'profile:hz:99', 'uprobe:/bin/sh:main',
  'count()', 'hist($x)', 'lhist($x, 0, 10, 1)', 'printf("%d", 1)', 'print(@m)', 'str(0)', 'exit()', 'delete(@m[1])', 'clear(@m)',
  'struct task_struct', '(uint8)', '(struct task_struct *)', 'int8[4]', 'string', 'bool', 'true', 'false', '#define X 1', '#include <x.h>',
];

type Mutator = (text: string, rng: Prng) => { text: string; kind: string };

interface Tok {
  readonly start: number;
  readonly end: number;
}

function tokensOf(text: string): Tok[] {
  return tokenize(text).tokens.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length }));
}

/** Offsets just after a `{` (where a statement may go); the text's end if there is none. */
function statementSlots(text: string): number[] {
  const toks = tokenize(text).tokens;
  const slots = toks.filter((t) => t.image === '{').map((t) => t.startOffset + 1);
  return slots.length > 0 ? slots : [text.length];
}

function insertAt(text: string, at: number, what: string): string {
  return text.slice(0, at) + what + text.slice(at);
}

const MUTATORS: Record<string, Mutator> = {
  'delete-token': (text, rng) => {
    const toks = tokensOf(text);
    if (toks.length === 0) return { text, kind: 'delete-token' };
    let out = text;
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) {
      const t = tokensOf(out);
      if (t.length === 0) break;
      const k = rng.pick(t);
      out = out.slice(0, k.start) + out.slice(k.end);
    }
    return { text: out, kind: `delete-token(${n})` };
  },
  'duplicate-token': (text, rng) => {
    const toks = tokensOf(text);
    if (toks.length === 0) return { text, kind: 'duplicate-token' };
    const k = rng.pick(toks);
    const times = rng.chance(0.2) ? 2 + rng.int(50) : 1;
    return { text: insertAt(text, k.end, ` ${text.slice(k.start, k.end)}`.repeat(times)), kind: `duplicate-token(${times})` };
  },
  'swap-tokens': (text, rng) => {
    const toks = tokensOf(text);
    if (toks.length < 2) return { text, kind: 'swap-tokens' };
    const i = rng.int(toks.length - 1);
    const j = rng.chance(0.6) ? i + 1 : rng.int(toks.length);
    const [a, b] = [toks[Math.min(i, j)]!, toks[Math.max(i, j)]!];
    if (a === b) return { text, kind: 'swap-tokens' };
    const out = text.slice(0, a.start) + text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end) + text.slice(b.end);
    return { text: out, kind: 'swap-tokens' };
  },
  'replace-token': (text, rng) => {
    const toks = tokensOf(text);
    if (toks.length === 0) return { text, kind: 'replace-token' };
    const k = rng.pick(toks);
    return { text: text.slice(0, k.start) + rng.pick(RANDOM_TOKENS) + text.slice(k.end), kind: 'replace-token' };
  },
  'insert-token': (text, rng) => {
    const toks = tokensOf(text);
    const at = toks.length ? rng.pick(toks).end : 0;
    return { text: insertAt(text, at, ` ${rng.pick(RANDOM_TOKENS)} `), kind: 'insert-token' };
  },
  'random-bytes': (text, rng) => {
    const n = 1 + rng.int(8);
    let out = text;
    for (let i = 0; i < n; i++) {
      const code = rng.chance(0.7) ? 32 + rng.int(95) : rng.chance(0.5) ? rng.int(32) : 128 + rng.int(0x3000);
      out = insertAt(out, rng.int(out.length + 1), String.fromCharCode(code));
    }
    return { text: out, kind: `random-bytes(${n})` };
  },
  truncate: (text, rng) => ({ text: text.slice(0, rng.int(text.length + 1)), kind: 'truncate' }),
  deep: (text, rng) => {
    const name = rng.pick(Object.keys(DEEP));
    const n = rng.pick(DEPTHS);
    return { text: insertAt(text, rng.pick(statementSlots(text)), ` ${DEEP[name]!(n)} `), kind: `deep:${name}(${n})` };
  },
  huge: (text, rng) => {
    const name = rng.pick(Object.keys(HUGE));
    const n = rng.pick(SIZES);
    return { text: insertAt(text, rng.pick(statementSlots(text)), ` ${HUGE[name]!(n, rng)} `), kind: `huge:${name}(${n})` };
  },
  'many-probes': (text, rng) => {
    const n = rng.pick([2, 10, 50, 200]);
    const body = text.replace(/^config\s*=\s*\{[^}]*\}/m, '');
    return { text: text + `\n${body}`.repeat(n - 1), kind: `many-probes(${n})` };
  },
};

/** The mutation mix: mostly single token-level changes, some structural ones, a few stacked. */
const WEIGHTED: readonly string[] = [
  'delete-token', 'delete-token', 'delete-token', 'duplicate-token', 'duplicate-token', 'swap-tokens', 'swap-tokens',
  'replace-token', 'replace-token', 'replace-token', 'insert-token', 'insert-token', 'random-bytes', 'random-bytes',
  'truncate', 'deep', 'deep', 'deep', 'huge', 'huge', 'huge', 'many-probes',
];

/** Case `index` of `seed`, independent of every other case. */
export function caseAt(seed: number, index: number, corpus: readonly string[]): FuzzCase {
  const rng = new Prng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  let text = rng.pick(corpus);
  const kinds: string[] = [];
  // Every 50th case is the valid script itself: the corpus must keep compiling.
  const steps = index % 50 === 0 ? 0 : rng.chance(0.25) ? 2 + rng.int(2) : 1;
  for (let i = 0; i < steps; i++) {
    const name = rng.pick(WEIGHTED);
    // Stacking many-probes on other growth would make giant inputs: once is enough.
    if (name === 'many-probes' && kinds.some((k) => k.startsWith('many-probes') || k.startsWith('huge') || k.startsWith('deep'))) continue;
    const m = MUTATORS[name]!(text, rng);
    text = m.text;
    kinds.push(m.kind);
  }
  return { seed, index, kind: kinds.join('+') || 'unchanged', text };
}
