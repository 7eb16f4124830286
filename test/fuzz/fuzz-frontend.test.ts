/**
 * A fixed-seed sample of the fuzzer (generator.ts) through the front end (parse, passes, lowering
 * to IR): every mutated script ends in success or a diagnostic, never an internal error.
 * fuzz-verify.test.ts takes some of those that compile through the kernel's verifier.
 * `npm run fuzz -- --cases N --seed S` runs more (scripts/dev/fuzz.ts).
 */
import test from 'ava';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTracefs } from '../../runtime/session/session.js';
import { caseAt, loadCorpus, type FuzzCase } from './generator.js';
import { runFrontendCase, type CaseResult } from './run-case.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = loadCorpus(root);
const SEED = 20261204;
const FRONTEND_CASES = 2000;

ensureTracefs(() => undefined);

function describe(c: FuzzCase, r: CaseResult): string {
  return `case ${c.index} (${c.kind}): ${r.detail ?? ''}\n--- input (first 400 characters) ---\n${c.text.slice(0, 400)}`;
}

test.serial('the corpus is valid: every script compiles unchanged', (t) => {
  t.true(corpus.length > 50, 'tools and one-liners are found');
  for (const text of corpus) {
    const r = runFrontendCase({ seed: 0, index: 0, kind: 'unchanged', text });
    t.is(r.outcome, 'ok', `${text.slice(0, 200)}: ${r.codes.join(', ')}`);
  }
});

/** Batches of cases, one test each (AVA's timeout counts from the last finished test). */
const BATCH = 500;

for (let from = 0; from < FRONTEND_CASES; from += BATCH) {
  test.serial(`mutated scripts ${from}-${from + BATCH - 1} of ${FRONTEND_CASES}: each compiles or gets a diagnostic, none an internal error`, (t) => {
    const counts = { ok: 0, diagnostic: 0, internal: 0 };
    const internal: string[] = [];
    for (let i = from; i < from + BATCH; i++) {
      const c = caseAt(SEED, i, corpus);
      const r = runFrontendCase(c);
      counts[r.outcome]++;
      if (r.outcome === 'internal') internal.push(describe(c, r));
    }
    t.deepEqual(internal, []);
    // The sample exercises both ends: some mutations still compile, most are diagnosed.
    t.true(counts.ok > BATCH / 20, JSON.stringify(counts));
    t.true(counts.diagnostic > BATCH / 2, JSON.stringify(counts));
  });
}
