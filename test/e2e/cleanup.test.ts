/**
 * tsbpf leaves nothing in the kernel: after it exits (signal, or an error half-way through
 * attaching), none of the programs and maps it created exists any more.
 *
 * While tsbpf runs, its objects are found exactly through /proc/PID/fdinfo (prog_id / map_id of
 * the fds it holds) and checked against the names it gives them (programs after their probe,
 * maps after their script name plus `.ringbuf`, `.lost`, `.zero`). After the exit the kernel
 * frees them asynchronously, so the test polls (bounded) until they are gone.
 */
import { bpf } from '../../native/index.js';
import { compileFrontend } from '../../src/compile.js';
import {
  bpfObjectsOf, bpfObjectsOfAllProcesses, describeRun, eventually, exec, kernelHasKprobes, kernelTest, python3, runTsbpf, startTsbpf, uniqueTag,
} from '../helpers/tsbpf.js';

/** The largest prog and map ids now (ids are handed out in increasing order). */
function maxIds(): { prog: number; map: number } {
  let prog = 0;
  for (let id = bpf.progGetNextId(0); id !== 0; id = bpf.progGetNextId(id)) prog = id;
  let map = 0;
  for (let id = bpf.mapGetNextId(0); id !== 0; id = bpf.mapGetNextId(id)) map = id;
  return { prog, map };
}

/** Every live program / map with an id above `after`, by name. */
function objectsSince(after: { prog: number; map: number }): { progs: Map<number, string>; maps: Map<number, string> } {
  const progs = new Map<number, string>();
  for (let id = bpf.progGetNextId(after.prog); id !== 0; id = bpf.progGetNextId(id)) {
    const info = bpf.progInfoById(id);
    if (info) progs.set(id, info.name);
  }
  const maps = new Map<number, string>();
  for (let id = bpf.mapGetNextId(after.map); id !== 0; id = bpf.mapGetNextId(id)) {
    const info = bpf.mapInfoById(id);
    if (info) maps.set(id, info.name);
  }
  return { progs, maps };
}

const INTERNAL_MAPS = ['.ringbuf', '.lost', '.zero'];
/** The per-site counters of failed map inserts, made when a program checks its inserts that way (src/ir/insert-checks.ts). */
const HELPER_ERRORS_MAP = '.helper_errors';

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  kernelTest(`${sig}: every program and map tsbpf created is gone after it exits`, async (t) => {
    const tag = uniqueTag(8);
    const mapName = `@c${tag}`; // kernel name m_c<tag>: 11 characters, unique to this test
    const before = maxIds();
    const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_openat /comm == "tsbcl${tag}"/ { ${mapName} = count(); } interval:ms:100 { @t${tag} = 1; }`], { t });
    await h.attached;

    // Its objects, exactly: what the tsbpf process holds open.
    const held = bpfObjectsOf(h.pid);
    const progs = held.progIds.map((id) => ({ id, info: bpf.progInfoById(id) }));
    const maps = held.mapIds.map((id) => ({ id, info: bpf.mapInfoById(id) }));
    t.is(progs.length, 2, describeRun(h));
    t.true(progs.every((p) => p.info !== null && p.id > before.prog), 'programs created during this test');
    t.true(progs.some((p) => p.info?.name === 'sys_enter__0'), `program names: ${progs.map((p) => p.info?.name).join(', ')}`);
    const mapNames = maps.map((m) => m.info?.name ?? '?').sort();
    // Two attached probes: each checks the run's `.stopped` word first (src/passes/run-state.ts).
    t.deepEqual(mapNames, [`m_c${tag}`, `m_t${tag}`, ...INTERNAL_MAPS, HELPER_ERRORS_MAP, '.stopped'].sort());
    t.true(maps.every((m) => m.id > before.map), 'maps created during this test');

    // The same objects, seen the way the brief describes: new ids with the expected names.
    const since = objectsSince(before);
    for (const m of maps) t.is(since.maps.get(m.id), m.info?.name);
    for (const p of progs) t.is(since.progs.get(p.id), p.info?.name);

    const r = await h.stop(sig);
    t.is(r.code, 0, describeRun(r));
    const gone = await eventually(() => progs.every((p) => bpf.progInfoById(p.id) === null) && maps.every((m) => bpf.mapInfoById(m.id) === null));
    const left = [
      ...progs.filter((p) => bpf.progInfoById(p.id) !== null).map((p) => `prog ${p.id} ${p.info?.name}`),
      ...maps.filter((m) => bpf.mapInfoById(m.id) !== null).map((m) => `map ${m.id} ${m.info?.name}`),
    ];
    t.true(gone, `left in the kernel: ${left.join(', ')}`);
  });
}

kernelTest('an attach error half-way (tracepoint attached, kprobe fails): nothing is left', async (t) => {
  const tag = uniqueTag(8);
  const mapName = `m_e${tag}`;
  // The tracepoint comes first, so it is attached when the kprobe fails.
  const script = `tracepoint:syscalls:sys_enter_openat /comm == "tsbce${tag}"/ { @e${tag} = count(); } kprobe:tcp_set_state { @e${tag} = count(); }`;
  // Kernel program names: the compiler's program names, cut to the kernel's 15 characters.
  const progNames = compileFrontend({ name: 'stdin', text: script }).probes.map((p) => p.name.slice(0, 15));
  t.is(progNames.length, 2);
  const before = maxIds();
  const r = await runTsbpf(['-e', script]);
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /^ERROR: .*kprobe:tcp_set_state/m, describeRun(r));

  // Its map has a name no other process uses: no map of that name may exist, at any id.
  const noMap = await eventually(() => {
    for (let id = bpf.mapGetNextId(0); id !== 0; id = bpf.mapGetNextId(id)) if (bpf.mapInfoById(id)?.name === mapName) return false;
    return true;
  });
  t.true(noMap, `map ${mapName} left in the kernel`);

  // Programs and internal maps created since the start with tsbpf's names must be held by a
  // live process (another test's tsbpf) to be excused.
  const ours = (names: Map<number, string>, wanted: string[]): number[] => [...names].filter(([, n]) => wanted.includes(n)).map(([id]) => id);
  const leaked = (): string[] => {
    const since = objectsSince(before);
    const live = bpfObjectsOfAllProcesses();
    const progs = ours(since.progs, progNames).filter((id) => !live.progIds.includes(id));
    const maps = ours(since.maps, [mapName, ...INTERNAL_MAPS, HELPER_ERRORS_MAP]).filter((id) => !live.mapIds.includes(id));
    return [...progs.map((id) => `prog ${id} ${since.progs.get(id)}`), ...maps.map((id) => `map ${id} ${since.maps.get(id)}`)];
  };
  const clean = await eventually(() => leaked().length === 0);
  t.true(clean, `left in the kernel: ${leaked().join(', ')}`);
}, { needs: () => (kernelHasKprobes() ? 'this kernel has kprobes, so kprobe:tcp_set_state does not fail to attach' : undefined) });

kernelTest('a verifier-only run (--verify) leaves nothing either', async (t) => {
  const tag = uniqueTag(8);
  const mapName = `m_v${tag}`;
  const r = await runTsbpf(['--verify', '-e', `kprobe:tcp_set_state { @v${tag} = count(); }`]);
  t.is(r.code, 0, describeRun(r));
  const noMap = await eventually(() => {
    for (let id = bpf.mapGetNextId(0); id !== 0; id = bpf.mapGetNextId(id)) if (bpf.mapInfoById(id)?.name === mapName) return false;
    return true;
  });
  t.true(noMap, `map ${mapName} left in the kernel`);
});

kernelTest('SIGINT with 30 syscall probes: the maps are printed exactly, and every program is gone once the kernel has detached them', async (t) => {
  const tag = uniqueTag(8);
  const comm = `tsbmd${tag}`.slice(0, 15);
  // Thirty probes: detaching them takes the kernel longer than tsbpf waits (runtime/session/detach.ts).
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_get* /comm == "${comm}"/ { @[probe] = count(); }`], { t });
  await h.attached;
  const progs = bpfObjectsOf(h.pid).progIds;
  t.is(progs.length, 30, describeRun(h));
  const py = python3();
  if (!py) return t.pass('no python3');
  await exec([py, '-c', `import os\nopen('/proc/self/comm', 'w').write('${comm}')\nfor _ in range(7): os.getppid()\nfor _ in range(3): os.getuid()`]);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /\n@\[tracepoint:syscalls:sys_enter_getuid\]: 3\n@\[tracepoint:syscalls:sys_enter_getppid\]: 7\n$/, describeRun(r));
  const gone = await eventually(() => progs.every((id) => bpf.progInfoById(id) === null), 30_000, 100);
  t.true(gone, `programs left: ${progs.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
});
