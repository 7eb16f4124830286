/**
 * TSBPF_STARTUP_TRACE=1: where a run's start-up time goes. Each stage marks the moment it ends
 * (milliseconds since node started: process.uptime(), not performance.now(), whose first use loads
 * node:perf_hooks, ~1.5 ms that an untraced run never spends), and at exit one line per stage
 * goes to stderr, `tsbpf-startup <stage> <ms since start> <ms since the previous mark>`, which
 * scripts/dev/bench.ts reads over many runs. Off (one property read per mark) otherwise.
 *
 * The marks live on globalThis: bin/tsbpf.js marks before any module of ours is loaded, and
 * the bundle (dist/bundle/) holds its own copy of this module next to dist/'s.
 */
import { writeSync } from 'node:fs';

const KEY = Symbol.for('tsbpf.startupMarks');
const enabled = process.env['TSBPF_STARTUP_TRACE'] !== undefined;

type Marks = [stage: string, ms: number][];

const sinceStart = (): number => process.uptime() * 1000;

const PRINTING = Symbol.for('tsbpf.startupMarksPrinted');

/** The marks so far (bin/tsbpf.js may have made the array); printed at exit, once. */
function marks(): Marks {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const m = (g[KEY] ??= []) as Marks;
  if (!g[PRINTING]) {
    g[PRINTING] = true;
    process.once('exit', () => {
      m.push(['exit', sinceStart()]);
      print(m);
    });
  }
  return m;
}

/** The stage that ends now. */
export function startupMark(stage: string): void {
  if (enabled) marks().push([stage, sinceStart()]);
}

function print(m: Marks): void {
  let prev = 0;
  let text = '';
  for (const [stage, ms] of m) {
    text += `tsbpf-startup ${stage} ${ms.toFixed(2)} ${(ms - prev).toFixed(2)}\n`;
    prev = ms;
  }
  try {
    writeSync(2, text);
  } catch {
    // stderr closed: nothing to report to.
  }
}
