/**
 * The compile worker never outlives tsbpf: whether tsbpf is killed (SIGKILL: no handler runs),
 * terminated or interrupted while a large script compiles, no worker is left running.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkersOf, describeRun, eventually, kernelTest, liveProcess, scratchDir, startTsbpf } from '../helpers/tsbpf.js';

/**
 * A script that keeps the compiler busy for many seconds (1,500 probes: ~16 s here), so a worker
 * that merely finished its compile after tsbpf died is not taken for one that died with it.
 */
function largeScript(): string {
  let s = '';
  for (let i = 0; i < 1500; i++) {
    s += `tracepoint:syscalls:sys_enter_openat /pid == ${100000 + i}/ { @a${i}[comm, pid] = count(); @b${i} = hist(pid); printf("%d %s\\n", pid, comm); }\n`;
  }
  return s;
}

for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
  kernelTest(`${signal} to tsbpf mid-compile leaves no compile worker running`, async (t) => {
    const file = join(scratchDir(t), 'large.tbpf');
    writeFileSync(file, largeScript());
    const h = startTsbpf(['--no-cache', file], { t });
    let workers: number[] = [];
    t.true(await eventually(() => (workers = compileWorkersOf(h.pid)).length > 0, 20_000, 5), `no compile worker seen\n${describeRun(h)}`);
    const worker = workers[0]!;
    // A failed run must not leave the busy worker behind.
    t.teardown(() => {
      for (const w of compileWorkersOf(h.pid)) process.kill(w, 'SIGKILL');
    });
    // Mid-compile: the worker has started working (used CPU) and has not replied yet.
    t.true(await eventually(() => (liveProcess(worker)?.cpuTicks ?? 0) > 10, 20_000, 5), 'the worker never got going');
    t.true(h.running, 'tsbpf still compiling when signalled');
    const r = await h.stop(signal);
    // Died of the signal, as an interrupted Unix tool does (no attach, no output).
    t.is(r.signal, signal, describeRun(r));
    t.false(r.stderr.includes('Attached'), describeRun(r));
    const gone = await eventually(() => liveProcess(worker) === undefined && compileWorkersOf(h.pid).length === 0, 10_000);
    t.true(gone, `compile worker ${worker} still running (ppid ${liveProcess(worker)?.ppid}) after tsbpf got ${signal}`);
  });
}
