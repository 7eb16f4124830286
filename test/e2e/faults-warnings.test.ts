/**
 * A runtime warning that fires at a probe's rate does not flood stderr: the first occurrence at a
 * location is printed in full at once, then at most one line a second with the count of repeats,
 * and the total at exit. JSON output carries the same counts (`"repeated": N`).
 *
 * The flood: a map of 2 keys filled from raw_syscalls:sys_enter of one workload process (a
 * predicate on its pid), which makes some 300,000 syscalls.
 */
import { spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, NOTIFY_VAR, startTsbpf, stderrLines } from '../helpers/tsbpf.js';

const MAP_FULL = "WARNING: Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`";

/** A process that makes `n` fstat syscalls once it reads a line, then exits. */
function syscallWorkload(t: ExecutionContext, n: number) {
  const child = spawn(process.execPath, ['-e', `require('node:fs'); process.stdin.once('data', () => { const fs = require('node:fs'); for (let i = 0; i < ${n}; i++) fs.fstatSync(0); process.exit(0); });`], { stdio: ['pipe', 'ignore', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  return { pid: child.pid!, go: () => child.stdin!.write('go\n'), exited };
}

const script = (pid: number) => `config = { max_map_keys = 2 } tracepoint:raw_syscalls:sys_enter /pid == ${pid}/ { @[nsecs] = count(); }`;

kernelTest('map-full flood (text): bounded stderr, repeats counted per second, a total at exit', async (t) => {
  const w = syscallWorkload(t, 300_000);
  const h = startTsbpf(['-e', script(w.pid)], { t });
  await h.attached;
  const started = Date.now();
  w.go();
  await w.exited;
  const r = await h.stop('SIGINT');
  const elapsedMs = Date.now() - started;
  t.is(r.code, 0, describeRun(r));
  const lines = stderrLines(r.stderr).filter((l) => l !== NOTIFY_VAR && !/^Attached \d+ probes?$/.test(l) && !/^Lost \d+ events$/.test(l) && !/^WARNING: Total lost event count/.test(l));
  const loc = /^stdin:1:\d+-\d+: /;
  const full = lines.filter((l) => loc.test(l) && l.endsWith(MAP_FULL));
  const repeated = lines.map((l) => new RegExp(`^stdin:1:\\d+-\\d+: ${MAP_FULL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(repeated (\\d+) times?\\)$`).exec(l)).filter((m) => m !== null);
  const total = /^WARNING: Total runtime warning count: (\d+)$/.exec(lines[lines.length - 1] ?? '');
  t.true(full.length >= 1, describeRun(r));
  t.true(repeated.length >= 1, describeRun(r));
  t.truthy(total, describeRun(r));
  // Everything counted: full prints plus the repeat counts make the total.
  const sum = full.length + repeated.reduce((a, m) => a + Number(m![1]), 0);
  t.is(sum, Number(total![1]));
  t.true(sum > 1000, `only ${sum} warnings for 300,000 syscalls`);
  // At most one line a second for the location: one full warning (4 lines) per quiet second at
  // most, plus one count line a second, plus the one at exit.
  const seconds = Math.ceil(elapsedMs / 1000) + 1;
  t.true(repeated.length <= seconds, `${repeated.length} repeat lines in ${elapsedMs} ms`);
  t.true(lines.length <= 4 * full.length + repeated.length + 1, describeRun(r));
  t.true(full.length <= seconds, describeRun(r));
});

kernelTest('map-full flood (-f json): helper_error objects carry "repeated" counts that add up to the total', async (t) => {
  const w = syscallWorkload(t, 300_000);
  const h = startTsbpf(['-f', 'json', '-e', script(w.pid)], { t });
  await h.attached;
  w.go();
  await w.exited;
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('{"type": "helper_error"')).map((l) => JSON.parse(l) as { helper: string; retcode: number; repeated?: number });
  t.true(errors.length >= 2, r.stdout.slice(0, 2000));
  t.true(errors.every((e) => e.helper === 'map_update_elem' && e.retcode === -7));
  t.is(errors.filter((e) => e.repeated === undefined).length >= 1, true);
  const sum = errors.reduce((a, e) => a + (e.repeated ?? 1), 0);
  const total = /^WARNING: Total runtime warning count: (\d+)$/m.exec(r.stderr);
  t.truthy(total, describeRun(r));
  t.is(sum, Number(total![1]));
});

kernelTest('a map-full warning counted in the kernel (.helper-errors) is reported while the script runs, not only at exit', async (t) => {
  // A keyed count: its insert failure bumps the site's counter; the runtime reads the counters each second.
  const prog = 'let @a = percpuhash(1); interval:ms:20 { @a[nsecs] = count(); }';
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  await h.waitFor(() => h.stderr.includes(MAP_FULL), 'the map-full warning');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const at = prog.indexOf('@a[nsecs] = count()');
  t.true(r.stderr.includes(`stdin:1:${at + 1}-${at + 1 + '@a[nsecs] = count()'.length}: ${MAP_FULL}\nAdditional Info - helper: map_update_elem, retcode: -7\n${prog}\n`), describeRun(r));
});

kernelTest('three counted insert sites in one program (one counter address for all): each site reports its own map-full warning with its span', async (t) => {
  const prog = 'let @a = percpuhash(1); let @b = percpuhash(1); let @c = hash(1); interval:ms:20 { @a[nsecs] = count(); @b[nsecs] = sum(2); @c[nsecs] = 1; }';
  const sites = ['@a[nsecs] = count()', '@b[nsecs] = sum(2)', '@c[nsecs] = 1'];
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  const reported = (site: string): boolean => {
    const at = prog.indexOf(site);
    return h.stderr.includes(`stdin:1:${at + 1}-${at + 1 + site.length}: ${MAP_FULL}\nAdditional Info - helper: map_update_elem, retcode: -7\n`);
  };
  await h.waitFor(() => sites.every(reported), 'a map-full warning from each site');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  for (const site of sites) t.true(reported(site), `${site}\n${describeRun(r)}`);
});
