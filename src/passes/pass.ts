import type { Diagnostics } from '../common/diagnostic.js';

/**
 * A named compiler pass over a shared state record `S` (bpftrace's Pass / PassManager): it says
 * which fields of the state it needs (`reads`) and which it fills (`writes`), so the order of a
 * pipeline can be checked (`checkPipeline`) and a stage printed after any pass (`-d STAGE`).
 */
export interface Pass<S> {
  readonly name: string;
  readonly reads: readonly (keyof S & string)[];
  readonly writes: readonly (keyof S & string)[];
  /** Report problems to `diags`; the runner stops after the first pass that leaves an error. */
  run(state: S, diags: Diagnostics): void;
  /** false: run the next pass even after an error here, so one run reports the errors of both (the next pass must cope). */
  readonly stopOnError?: false;
}

/** Called after each pass that ran without errors: the stage dumps. */
export type AfterPass<S> = (pass: Pass<S>, state: S) => void;

/**
 * Run `passes` in order on `state`; stops after the first pass that leaves an error (unless it
 * says `stopOnError: false`), or sets
 * `stop`, which a pass uses to end the pipeline early without an error). Returns the name of the
 * last pass that ran.
 */
export function runPasses<S extends { stop?: boolean }>(passes: readonly Pass<S>[], state: S, diags: Diagnostics, after?: AfterPass<S>): string | undefined {
  let last: string | undefined;
  for (const pass of passes) {
    pass.run(state, diags);
    last = pass.name;
    if (state.stop || (diags.hasErrors && pass.stopOnError !== false)) break;
    if (!diags.hasErrors) after?.(pass, state);
  }
  return last;
}

/**
 * Every pass's inputs exist when it runs (given initially or written by an earlier pass) and no
 * two passes write the same field; names are unique. Returns the problems (empty: a sound order).
 */
export function checkPipeline<S>(passes: readonly Pass<S>[], initial: readonly (keyof S & string)[]): string[] {
  const problems: string[] = [];
  const have = new Map<string, string>(initial.map((k) => [k, '(input)']));
  const names = new Set<string>();
  for (const p of passes) {
    if (names.has(p.name)) problems.push(`pass ${p.name} appears twice`);
    names.add(p.name);
    for (const r of p.reads) if (!have.has(r)) problems.push(`pass ${p.name} reads ${r} before any pass writes it`);
    for (const w of p.writes) {
      const by = have.get(w);
      if (by) problems.push(`pass ${p.name} writes ${w}, already written by ${by}`);
      have.set(w, p.name);
    }
  }
  return problems;
}
