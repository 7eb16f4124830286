/**
 * `npm run fuzz -- --cases N --seed S [--verify-every K] [--timeout MS] [--out DIR]`: runs the
 * grammar-aware fuzzer (test/fuzz/) and prints a summary. Cases run in a child process that a
 * watchdog kills when one case takes longer than the timeout (a hang), then restarts after it.
 * Every K-th case that compiles also goes through the kernel's verifier. Inputs that end in an
 * internal error or a hang are saved to DIR; BPF objects the child still holds are counted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseAt, loadCorpus, type FuzzCase } from '../../test/fuzz/generator.js';
import { ownBpfObjects, runFrontendCase, runVerifyCase, type CaseResult } from '../../test/fuzz/run-case.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Options {
  cases: number;
  seed: number;
  verifyEvery: number;
  timeoutMs: number;
  out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { cases: 5000, seed: 1, verifyEvery: 10, timeoutMs: 20000, out: join(process.cwd(), 'fuzz-out') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--cases': o.cases = Number(v); i++; break;
      case '--seed': o.seed = Number(v); i++; break;
      case '--verify-every': o.verifyEvery = Number(v); i++; break;
      case '--timeout': o.timeoutMs = Number(v); i++; break;
      case '--out': o.out = v ?? o.out; i++; break;
      default: throw new Error(`unknown option ${argv[i]} (--cases N --seed S --verify-every K --timeout MS --out DIR)`);
    }
  }
  if (!Number.isInteger(o.cases) || !Number.isInteger(o.seed) || !(o.verifyEvery >= 0) || !(o.timeoutMs > 0)) throw new Error('bad option value');
  return o;
}

/** Messages between the parent and the child. */
type ToChild = { index: number };
type FromChild = { index: number; frontend: CaseResult; verify?: CaseResult; leftover: number; kind: string };

async function child(o: Options): Promise<void> {
  const corpus = loadCorpus(root);
  process.on('message', (m: ToChild) => {
    void (async () => {
      const c = caseAt(o.seed, m.index, corpus);
      const frontend = runFrontendCase(c);
      let verify: CaseResult | undefined;
      if (o.verifyEvery > 0 && m.index % o.verifyEvery === 0 && frontend.outcome === 'ok') verify = await runVerifyCase(c);
      const held = ownBpfObjects();
      process.send!({ index: m.index, frontend, verify, leftover: held.progs + held.maps, kind: c.kind } satisfies FromChild);
    })();
  });
  process.send!({ ready: true });
}

function save(o: Options, c: FuzzCase, why: string): string {
  mkdirSync(o.out, { recursive: true });
  const file = join(o.out, `seed${c.seed}-case${c.index}.tbpf`);
  writeFileSync(file, c.text);
  writeFileSync(`${file}.txt`, `${c.kind}\n${why}\n`);
  return file;
}

async function parent(o: Options): Promise<number> {
  const corpus = loadCorpus(root);
  const totals = { ok: 0, diagnostic: 0, internal: 0, hang: 0, verified: 0, verifyOk: 0, verifyRefused: 0, verifyInternal: 0 };
  const unlocated = new Map<string, number>();
  let slowest = { ms: 0, index: -1, kind: '' };
  let leftover = 0;
  const saved: string[] = [];
  let next = 0;
  const started = performance.now();

  const runChild = (): Promise<void> => new Promise((resolve) => {
    const args = [...process.argv.slice(2), '--child'];
    const proc: ChildProcess = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let timer: NodeJS.Timeout | undefined;
    let current = -1;
    const send = () => {
      if (next >= o.cases) {
        proc.kill();
        return;
      }
      current = next++;
      timer = setTimeout(() => {
        totals.hang++;
        saved.push(save(o, caseAt(o.seed, current, corpus), `hang: no result after ${o.timeoutMs} ms`));
        proc.kill('SIGKILL');
      }, o.timeoutMs);
      proc.send({ index: current } satisfies ToChild);
    };
    proc.on('message', (m: FromChild | { ready: true }) => {
      if ('ready' in m) return send();
      clearTimeout(timer);
      const r = m.frontend;
      totals[r.outcome]++;
      for (const code of r.unlocated) unlocated.set(code, (unlocated.get(code) ?? 0) + 1);
      if (r.outcome === 'internal') saved.push(save(o, caseAt(o.seed, m.index, corpus), r.detail ?? ''));
      const ms = r.ms + (m.verify?.ms ?? 0);
      if (ms > slowest.ms) slowest = { ms, index: m.index, kind: m.kind };
      if (m.verify) {
        totals.verified++;
        if (m.verify.outcome === 'ok') totals.verifyOk++;
        else if (m.verify.outcome === 'diagnostic') totals.verifyRefused++;
        else {
          totals.verifyInternal++;
          saved.push(save(o, caseAt(o.seed, m.index, corpus), `verify: ${m.verify.detail ?? ''}`));
        }
      }
      leftover = Math.max(leftover, m.leftover);
      if (m.index % 500 === 0) process.stderr.write(`  ${m.index}/${o.cases} cases, ${Math.round((performance.now() - started) / 1000)} s\n`);
      send();
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  while (next < o.cases) await runChild();

  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    `fuzz: seed ${o.seed}, ${o.cases} cases in ${secs} s`,
    `  front end:  ${totals.ok} compiled, ${totals.diagnostic} diagnostics, ${totals.internal} internal errors, ${totals.hang} hangs (> ${o.timeoutMs} ms)`,
    `  verifier:   ${totals.verified} verified: ${totals.verifyOk} loaded, ${totals.verifyRefused} refused with a reason, ${totals.verifyInternal} internal errors`,
    `  kernel:     ${leftover} BPF objects left open after a case`,
    `  unlocated error diagnostics: ${[...unlocated].map(([c, n]) => `${c} x${n}`).join(', ') || 'none'}`,
    `  slowest:    case ${slowest.index} (${slowest.kind}) ${slowest.ms.toFixed(0)} ms`,
    ...saved.map((f) => `  saved: ${f}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return totals.internal + totals.hang + totals.verifyInternal + leftover > 0 ? 1 : 0;
}

const argv = process.argv.slice(2);
const isChild = argv.includes('--child');
const opts = parseArgs(argv.filter((a) => a !== '--child'));
if (isChild) await child(opts);
else process.exitCode = await parent(opts);
