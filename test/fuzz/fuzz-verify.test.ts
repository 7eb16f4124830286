/**
 * A fixed-seed sample of the fuzzer (generator.ts) that compiles, through code generation and the
 * kernel's verifier (maps created, programs loaded, nothing attached): no internal error, and no
 * BPF object left open afterwards.
 * `npm run fuzz -- --cases N --seed S` runs more (scripts/dev/fuzz.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTracefs } from '../../runtime/session/session.js';
import { kernelTest } from '../helpers/tsbpf.js';
import { caseAt, loadCorpus, type FuzzCase } from './generator.js';
import { ownBpfObjects, runFrontendCase, runVerifyCase, type CaseResult } from './run-case.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = loadCorpus(root);
const SEED = 20261204;
/** The verify sample starts after fuzz-frontend.test.ts's cases. */
const FIRST_CASE = 2000;
const VERIFY_CASES = 300;

ensureTracefs(() => undefined);

function describe(c: FuzzCase, r: CaseResult): string {
  return `case ${c.index} (${c.kind}): ${r.detail ?? ''}\n--- input (first 400 characters) ---\n${c.text.slice(0, 400)}`;
}

/** Batches of cases, one test each (AVA's timeout counts from the last finished test). */
const BATCH = 100;

/** The next `count` cases from `from` that compile (and are not huge), each through the verifier. */
async function verifyBatch(from: number, count: number): Promise<{ next: number; loaded: number; internal: string[] }> {
  const internal: string[] = [];
  let verified = 0;
  let loaded = 0;
  let i = from;
  for (; verified < count; i++) {
    const c = caseAt(SEED, i, corpus);
    // Programs multiplied many times over (hundreds of maps or probes) are left to `npm run fuzz`.
    if (/many-probes\((10|50|200)\)|manyMaps|manyStatements/.test(c.kind)) continue;
    if (runFrontendCase(c).outcome !== 'ok') continue;
    const r = await runVerifyCase(c);
    verified++;
    if (r.outcome === 'ok') loaded++;
    if (r.outcome === 'internal') internal.push(describe(c, r));
  }
  return { next: i, loaded, internal };
}

let next = FIRST_CASE;
for (let batch = 0; batch < VERIFY_CASES / BATCH; batch++) {
  kernelTest(`mutated scripts that compile, ${batch * BATCH + 1}-${(batch + 1) * BATCH} of ${VERIFY_CASES}: through the verifier, nothing left open`, async (t) => {
    const before = ownBpfObjects();
    const r = await verifyBatch(next, BATCH);
    next = r.next;
    t.deepEqual(r.internal, []);
    t.true(r.loaded > BATCH / 2, `${r.loaded} of ${BATCH} loaded`);
    t.deepEqual(ownBpfObjects(), before, 'every map and program was closed');
  }, { serial: true });
}
