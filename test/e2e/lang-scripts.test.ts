/**
 * The .tbpf corpus (scripts/tools/): each script runs unchanged from its file, filtered to a
 * unique comm passed as $1, while the test generates the events it should see.
 */
import { join } from 'node:path';
import { describeRun, exec, kernelTest, openWorkload, REPO_ROOT, scratchDir, startTsbpf, uniqueBinary } from '../helpers/tsbpf.js';

const TOOLS = join(REPO_ROOT, 'scripts', 'tools');

function lines(s: string): string[] {
  return s.split('\n');
}

kernelTest('execsnoop.tbpf shows an exec from a unique comm', async (t) => {
  const dir = scratchDir(t);
  const sh = uniqueBinary(dir, '/bin/sh');
  const tru = uniqueBinary(dir, '/bin/true', 'tru');
  const h = startTsbpf(['--no-cache', join(TOOLS, 'execsnoop.tbpf'), sh.comm], { t });
  await h.attached;
  const r = await exec([sh.path, '-c', `${tru.path}; ${tru.path}`]);
  t.is(r.code, 0);
  const out = await h.stop('SIGINT');
  const header = `${'PID'.padEnd(6)} ${'COMM'.padEnd(16)} FILENAME`;
  t.is(lines(out.stdout)[0], header, describeRun(out));
  const mine = lines(out.stdout).filter((l) => l.includes(tru.path));
  t.is(mine.length, 2, describeRun(out));
  for (const l of mine) t.regex(l, new RegExp(`^\\d+ +${sh.comm} +${tru.path}$`));
});

kernelTest('opensnoop.tbpf shows fd and errno of opens from a unique comm', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(['--no-cache', join(TOOLS, 'opensnoop.tbpf'), w.comm], { t });
  await h.attached;
  const [pid] = await w.run(1);
  const missing = join(w.dir, 'does-not-exist');
  const r = await exec([w.cat.path, missing]);
  t.is(r.code, 1);
  const out = await h.stop('SIGINT');
  const row = (p: number, fd: number, err: number, path: string): string => `${String(p).padEnd(6)} ${w.comm.padEnd(16)} ${String(fd).padStart(4)} ${String(err).padStart(3)} ${path}`;
  t.true(lines(out.stdout).includes(row(pid!, 3, 0, w.file)), describeRun(out));
  t.true(lines(out.stdout).includes(row(r.pid, -1, 2, missing)), describeRun(out));
});

kernelTest('syscount.tbpf counts the syscalls of a unique comm', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(['--no-cache', join(TOOLS, 'syscount.tbpf'), w.comm], { t });
  await h.attached;
  await w.run(2);
  const out = await h.stop('SIGINT');
  const procs = lines(out.stdout).filter((l) => l.startsWith('@process['));
  t.is(procs.length, 1, describeRun(out));
  t.regex(procs[0]!, new RegExp(`^@process\\[${w.comm}\\]: \\d+$`));
  // openat (257 on x86-64) is among the counted syscalls.
  if (process.arch === 'x64') t.true(lines(out.stdout).some((l) => /^@syscall\[257\]: \d+$/.test(l)), describeRun(out));
});

kernelTest('rwsize.tbpf sums the bytes a unique comm writes', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(['--no-cache', join(TOOLS, 'rwsize.tbpf'), w.comm], { t });
  await h.attached;
  await w.run(3);
  const out = await h.stop('SIGINT');
  // cat writes the 6-byte file once per run, and nothing else.
  t.true(lines(out.stdout).includes(`@write_total[${w.comm}]: 18`), describeRun(out));
  t.true(lines(out.stdout).some((l) => l.startsWith(`@requested[${w.comm}, write]: `)), describeRun(out));
  t.true(lines(out.stdout).includes(`@read_bytes[${w.comm}]:`), describeRun(out));
});

kernelTest('killsnoop.tbpf shows kill() from a unique comm with its result', async (t) => {
  const dir = scratchDir(t);
  const sh = uniqueBinary(dir, '/bin/sh');
  const h = startTsbpf(['--no-cache', join(TOOLS, 'killsnoop.tbpf'), sh.comm], { t });
  await h.attached;
  const r = await exec([sh.path, '-c', 'kill -0 $$; kill -0 999999999 2>/dev/null; exit 0']);
  t.is(r.code, 0);
  const out = await h.stop('SIGINT');
  const row = (sig: number, tpid: number, res: number): string => `${String(r.pid).padEnd(6)} ${sh.comm.padEnd(16)} ${String(sig).padStart(4)} ${String(tpid).padEnd(6)} ${res}`;
  t.true(lines(out.stdout).includes(row(0, r.pid, 0)), describeRun(out));
  t.true(lines(out.stdout).includes(row(0, 999999999, -3)), describeRun(out));
});

kernelTest('runqlat.tbpf measures run-queue latency of a unique comm', async (t) => {
  const dir = scratchDir(t);
  const sleep = uniqueBinary(dir, '/bin/sleep', 'slp');
  const h = startTsbpf(['--no-cache', join(TOOLS, 'runqlat.tbpf'), sleep.comm], { t });
  await h.attached;
  for (let i = 0; i < 3; i++) await exec([sleep.path, '0.01']);
  const out = await h.stop('SIGINT');
  t.true(lines(out.stdout).some((l) => new RegExp(`^@switches\\[${sleep.comm}\\]: [1-9]\\d*$`).test(l)), describeRun(out));
  t.true(lines(out.stdout).includes('@usecs:'), describeRun(out));
});
