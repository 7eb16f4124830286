/**
 * Counted map-update failures (`.helper-errors`, src/contract/events.ts): the programs add each
 * insert's return code to its site's sum and OR it into its site's OR, and the runtime derives
 * the failures from the two. A full map fails every insert with -E2BIG, so each site's warnings
 * must add up to exactly its failed inserts, with the map-full text and retcode -7, in text and
 * JSON alike. The inserts of 1 (count(), sum(1), `++`) pass the map's constant 1 as their value:
 * the one entry that fits holds exactly 1.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, python3, runTsbpf, scratchDir } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';

const MAP_FULL = "WARNING: Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`";
const CALLS = 3000;

const SITES = ['@a[nsecs] = count()', '@b[nsecs] = sum(1)', '@c[nsecs]++'];
// @n (keyless: no insert) counts the events, whatever else calls getppid in the child.
const PROG = `let @a = percpuhash(1); let @b = percpuhash(1); let @c = hash(1); tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); ${SITES.join('; ')}; }`;

/** Run PROG over a child that calls getppid() CALLS times; its output and the event count. */
async function run(t: ExecutionContext, extra: readonly string[]) {
  const py = join(scratchDir(t), 'getppid.py');
  writeFileSync(py, `import os\nfor _ in range(${CALLS}): os.getppid()\n`);
  const r = await runTsbpf([...extra, '-c', `${python3()!} ${py}`, '-e', PROG]);
  t.is(r.code, 0, describeRun(r));
  return r;
}

/** The `stdin:1:A-B` of a site in PROG. */
function span(site: string): string {
  const at = PROG.indexOf(site);
  return `stdin:1:${at + 1}-${at + 1 + site.length}`;
}

const needs = { needs: () => (python3() ? undefined : 'needs python3') };

kernelTest('a full map: each counted insert site reports exactly its failures (events - 1) as map full, retcode -7, and the one entry holds 1', async (t) => {
  const r = await run(t, []);
  const events = Number(/^@n: (\d+)$/m.exec(r.stdout)?.[1]);
  t.true(events >= CALLS, describeRun(r));
  for (const name of ['@a', '@b', '@c']) t.regex(r.stdout, new RegExp(`^${name}\\[\\d+\\]: 1$`, 'm'), name);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const site of SITES) {
    const full = r.stderr.split(`${span(site)}: ${MAP_FULL}\nAdditional Info - helper: map_update_elem, retcode: -7\n`).length - 1;
    const repeats = [...r.stderr.matchAll(new RegExp(`^${esc(`${span(site)}: ${MAP_FULL}`)} \\(repeated (\\d+) times?\\)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
    t.true(full >= 1, `${site}\n${describeRun(r)}`);
    t.is(full + repeats, events - 1, `${site}\n${describeRun(r)}`);
  }
  t.regex(r.stderr, new RegExp(`^WARNING: Total runtime warning count: ${3 * (events - 1)}$`, 'm'), describeRun(r));
  t.false(r.stderr.includes('several different error codes'), describeRun(r));
}, needs);

kernelTest('a full map (-f json): helper_error objects of map_update_elem, retcode -7, whose counts add up to each site\'s failures', async (t) => {
  const r = await run(t, ['-f', 'json']);
  const events = Number(/"@n": (\d+)/.exec(r.stdout)?.[1]);
  t.true(events >= CALLS, r.stdout.slice(0, 2000));
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('{"type": "helper_error"')).map((l) => JSON.parse(l) as { helper: string; retcode: number; col: number; repeated?: number });
  t.true(errors.every((e) => e.helper === 'map_update_elem' && e.retcode === -7), r.stdout.slice(0, 2000));
  for (const site of SITES) {
    const col = PROG.indexOf(site) + 1;
    t.is(errors.filter((e) => e.col === col).reduce((a, e) => a + (e.repeated ?? 1), 0), events - 1, site);
  }
}, needs);

kernelTest('the shell: a later entry with another counted site replaces .helper-errors (it grows with the events); both entries insert 1 and report exactly their failures', async (t) => {
  const py = join(scratchDir(t), 'getppid-named.py');
  writeFileSync(py, `import os\nopen('/proc/self/comm', 'w').write('tsbpfppid')\nfor _ in range(${CALLS}): os.getppid()\n`);
  const entry = (m: string): string => `let @${m} = percpuhash(1); tracepoint:syscalls:sys_enter_getppid /comm == "tsbpfppid"/ { @${m}[nsecs] = count(); }`;
  const sh = await StreamShell.start(t);
  t.regex((await sh.run(entry('a'))).out, /\[1\] attached/, sh.err);
  t.regex((await sh.run(entry('b'))).out, /\[2\] attached/, sh.err);
  t.is(spawnSync(python3()!, [py]).status, 0);
  for (const m of ['@a', '@b']) t.regex((await sh.run(m)).out, new RegExp(`^${m}\\[\\d+\\]: 1$`, 'm'), sh.err);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
  // Each entry is a line of the session: `<session>:LINE:A-B`.
  const failures = (m: string, line: number): number => {
    const site = `${m}[nsecs] = count()`;
    const col = entry(m.slice(1)).indexOf(site) + 1;
    const text = `:${line}:${col}-${col + site.length}: ${MAP_FULL}`;
    const full = sh.err.split(`${text}\nAdditional Info - helper: map_update_elem, retcode: -7\n`).length - 1;
    const repeats = [...sh.err.matchAll(/^.*$/gm)].map((l) => l[0]).filter((l) => l.includes(`${text} (repeated `)).reduce((a, l) => a + Number(/\(repeated (\d+) times?\)$/.exec(l)![1]), 0);
    return full + repeats;
  };
  t.is(failures('@a', 1), CALLS - 1, sh.err);
  t.is(failures('@b', 2), CALLS - 1, sh.err);
}, { serial: true, ...needs });
