/**
 * Runs one fuzz case and classifies the result: `ok` (compiled; verified when asked), `diagnostic`
 * (the user is told what is wrong) or `internal` (an exception escaped, or a diagnostic that says
 * internal error). Both the ava test and `npm run fuzz` use these.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Diagnostic } from '../../src/common/diagnostic.js';
import { compileFrontend, compileScript } from '../../src/compile.js';
import type { FuzzCase } from './generator.js';

export type Outcome = 'ok' | 'diagnostic' | 'internal';

export interface CaseResult {
  readonly outcome: Outcome;
  /** Error diagnostic codes (or the thrown error's name). */
  readonly codes: readonly string[];
  /** Error codes reported without a place in the source. */
  readonly unlocated: readonly string[];
  /** The message of an internal error. */
  readonly detail?: string;
  readonly ms: number;
}

const INTERNAL = /internal (compiler )?error|Maximum call stack|is not a function|Cannot read propert/;

function classify(diags: readonly Diagnostic[], start: number): CaseResult {
  const errors = diags.filter((d) => d.severity === 'error');
  const bad = errors.find((d) => d.code === 'internal-error' || /internal (compiler )?error|Maximum call stack/.test(d.message));
  return {
    outcome: bad ? 'internal' : errors.length > 0 ? 'diagnostic' : 'ok',
    codes: errors.map((d) => d.code),
    unlocated: errors.filter((d) => !d.span).map((d) => d.code),
    ...(bad ? { detail: `${bad.code}: ${bad.message}` } : {}),
    ms: performance.now() - start,
  };
}

function thrown(e: unknown, start: number): CaseResult {
  const detail = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  return { outcome: 'internal', codes: [e instanceof Error ? e.name : 'throw'], unlocated: [], detail, ms: performance.now() - start };
}

/** The front end only: parse, passes, lowering to IR (no LLVM, no kernel). */
export function runFrontendCase(c: FuzzCase): CaseResult {
  const start = performance.now();
  try {
    return classify(compileFrontend({ name: 'fuzz.tbpf', text: c.text }).diagnostics, start);
  } catch (e) {
    return thrown(e, start);
  }
}

/**
 * The whole compile, then every program through the kernel's verifier (maps created, programs
 * loaded, nothing attached, everything closed again). A verifier refusal is reported to the user
 * with its reason, so it counts as a diagnostic unless its message says internal error.
 */
export async function runVerifyCase(c: FuzzCase): Promise<CaseResult> {
  const start = performance.now();
  let compiled: Awaited<ReturnType<typeof compileScript>>;
  try {
    compiled = await compileScript({ name: 'fuzz.tbpf', text: c.text });
  } catch (e) {
    return thrown(e, start);
  }
  if (!('programs' in compiled)) return classify(compiled.diagnostics, start);
  const { Session, RuntimeError } = await import('../../runtime/session/session.js');
  const { TextOutput } = await import('../../runtime/output/text.js');
  const quiet = { write: () => true };
  const session = new Session(compiled, { output: new TextOutput({ out: quiet, err: quiet, color: false }) });
  try {
    session.load();
    return { outcome: 'ok', codes: [], unlocated: [], ms: performance.now() - start };
  } catch (e) {
    if (e instanceof RuntimeError && !INTERNAL.test(e.message)) return { outcome: 'diagnostic', codes: ['verifier'], unlocated: [], ms: performance.now() - start };
    return thrown(e, start);
  } finally {
    session.dispose();
  }
}

/** BPF programs and maps this process holds open (through /proc/self/fdinfo). */
export function ownBpfObjects(): { progs: number; maps: number } {
  let progs = 0;
  let maps = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    if (/^prog_id:/m.test(info)) progs++;
    if (/^map_id:/m.test(info)) maps++;
  }
  return { progs, maps };
}
