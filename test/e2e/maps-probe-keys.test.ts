/**
 * `probe` as a map key is stored as a u64 probe id (src/contract/types.ts PROBE_ID_KEY, as
 * bpftrace keys it) and printed as the probe's name by every reader: text, `-f json`, print(),
 * a for-loop's key, the API's maps(), the Prometheus export, the shell's map views. Each probe of
 * a wildcard counts under its own name; a map also keyed by strings elsewhere keeps the string
 * layout. Workload: python3 with its comm set, making exact syscalls (7 getppid, 3 getuid).
 */
import { spawnSync } from 'node:child_process';
import { trace } from 'tsbpf';
import { describeRun, exec, kernelTest, python3, runTsbpf, startTsbpf, uniqueTag } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';

const GETUID = 'tracepoint:syscalls:sys_enter_getuid';
const GETPPID = 'tracepoint:syscalls:sys_enter_getppid';

function commTag(): string {
  return `tsbpk${uniqueTag(8)}`.slice(0, 15);
}

/** 7 getppid and 3 getuid calls by a python3 whose comm is `comm`. */
async function syscalls(comm: string): Promise<void> {
  const py = python3()!;
  const r = await exec([py, '-c', `import os\nopen('/proc/self/comm', 'w').write('${comm}')\nfor _ in range(7): os.getppid()\nfor _ in range(3): os.getuid()`]);
  if (r.code !== 0) throw new Error(`python3 failed: ${r.stderr}`);
}

const needsPython = (): string | undefined => (python3() ? undefined : 'python3 is not installed');

kernelTest('text: a wildcard counts each probe under its own name; multi-keys, print(), a for-loop key and sum() print names too', async (t) => {
  const comm = commTag();
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_get* /comm == "${comm}"/ { @[probe] = count(); @k[probe, comm] = count(); @s[probe] = sum(2); }
    END { print(@k); for ($kv : @) { printf("loop %s %d\\n", $kv.0, $kv.1); } clear(@k); }`], { t });
  await h.attached;
  await syscalls(comm);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  // The loop visits the entries in the kernel's order: sorted here.
  const lines = r.stdout.split('\n');
  const first = lines.findIndex((l) => l.startsWith('loop '));
  lines.splice(first, 2, ...lines.slice(first, first + 2).sort());
  t.is(lines.join('\n'), [
    `@k[${GETUID}, ${comm}]: 3`,
    `@k[${GETPPID}, ${comm}]: 7`,
    `loop ${GETPPID} 7`,
    `loop ${GETUID} 3`,
    '',
    '',
    `@[${GETUID}]: 3`,
    `@[${GETPPID}]: 7`,
    `@s[${GETUID}]: 6`,
    `@s[${GETPPID}]: 14`,
    '',
  ].join('\n'), describeRun(r));
}, { needs: needsPython });

kernelTest('-f json: probe keys are the names, in maps and print()', async (t) => {
  const comm = commTag();
  const h = startTsbpf(['-f', 'json', '-e', `tracepoint:syscalls:sys_enter_get* /comm == "${comm}"/ { @[probe] = count(); @k[probe, 1] = count(); }
    END { print(@); }`], { t });
  await h.attached;
  await syscalls(comm);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const maps = r.stdout.split('\n').filter((l) => l.startsWith('{"type": "map"'));
  const one = `{"type": "map", "data": {"@": {"${GETUID}": 3, "${GETPPID}": 7}}}`;
  t.deepEqual(maps, [
    one,
    one,
    `{"type": "map", "data": {"@k": {"${GETUID},1": 3, "${GETPPID},1": 7}}}`,
  ], describeRun(r));
}, { needs: needsPython });

kernelTest('a map keyed by probe in one probe and by a string in another keeps the string layout: both kinds of key print', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { @["x"] = 1; @[probe] = 2; exit(); } END { @[probe] = 3; }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n@[x]: 1\n@[BEGIN]: 2\n@[END]: 3\n', describeRun(r));
});

kernelTest('the API\'s maps() and the Prometheus export name the probe keys', async (t) => {
  const comm = commTag();
  const tr = await trace(`tracepoint:syscalls:sys_enter_get* /comm == "${comm}"/ { @[probe] = count(); }`);
  try {
    await syscalls(comm);
    const maps = await tr.maps();
    t.deepEqual(maps['@']!.entries.map((e) => [e.key, e.value]), [
      [[{ kind: 'str', value: GETUID }], { kind: 'count', value: 3n }],
      [[{ kind: 'str', value: GETPPID }], { kind: 'count', value: 7n }],
    ]);
  } finally {
    await tr.stop();
  }
  if (spawnSync('curl', ['--version']).status !== 0) return;
  const comm2 = commTag();
  const h = startTsbpf(['--export', '127.0.0.1:0', '-e', `tracepoint:syscalls:sys_enter_get* /comm == "${comm2}"/ { @calls[probe] = count(); }`], { t });
  await h.attached;
  await h.waitFor(() => /Serving the maps at (\S+)/.test(h.stderr), 'the export URL');
  const url = /Serving the maps at (\S+)/.exec(h.stderr)![1]!;
  await syscalls(comm2);
  const got = await exec(['curl', '-sS', '--fail', url]);
  t.is(got.code, 0, got.stderr);
  // The series come in the kernel's order of the keys: sorted here.
  const series = got.stdout.split('\n').filter((l) => l.startsWith('tsbpf_calls_total{')).sort();
  t.deepEqual(series, [
    `tsbpf_calls_total{map="@calls",probe="${GETPPID}"} 7`,
    `tsbpf_calls_total{map="@calls",probe="${GETUID}"} 3`,
  ], got.stdout);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
}, { needs: needsPython });

kernelTest('the shell: probes typed later get their own probe ids; the map shows every name', async (t) => {
  const comm = commTag();
  const sh = await StreamShell.start(t);
  t.regex((await sh.run(`${GETPPID} /comm == "${comm}"/ { @[probe] = count(); }`)).out, /\[1\] attached/);
  t.regex((await sh.run(`${GETUID} /comm == "${comm}"/ { @[probe] = count(); }`)).out, /\[2\] attached/);
  await syscalls(comm);
  const out = (await sh.run('@')).out;
  t.true(out.includes(`@[${GETUID}]: 3\n@[${GETPPID}]: 7\n`), sh.out);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
}, { needs: needsPython, serial: true });
