/**
 * profile with -p (sampled only while that process runs, as bpftrace's AttachedProfileProbe opens
 * its perf events for the pid) and interval with -p (not limited: bpftrace ignores the pid), and
 * the `func` builtin in uprobes attached by address and offset (the function holding the address,
 * as bpftrace's usym of the instruction pointer names it).
 */
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, kernelTest, runTsbpf, scratchDir, uniqueBinary, Workload } from '../helpers/tsbpf.js';
import { ElfFile } from '../../src/kernel/elf.js';

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

kernelTest('profile with -p samples only that process; interval still fires', async (t) => {
  const sh = uniqueBinary(scratchDir(t), '/bin/sh', 'spin');
  const w = new Workload(t, [sh.path, '-c', 'echo ready; while :; do :; done']);
  await w.waitForLine('ready');
  const r = await runTsbpf(['-p', String(w.pid), '-e', 'profile:hz:997 { @[pid, comm] = count(); } interval:ms:600 { exit(); }']);
  t.is(r.code, 0, describeRun(r));
  const out = lines(r.stdout);
  t.is(out.length, 1, describeRun(r));
  t.regex(out[0]!, new RegExp(`^@\\[${w.pid}, ${sh.comm}\\]: [1-9]\\d*$`), describeRun(r));
});

kernelTest('func in uprobes on an address or an offset names the function that holds it', async (t) => {
  const why = whyNoProbeTarget();
  if (why) return void t.pass(`skipped: ${why}`);
  const target = buildProbeTarget(scratchDir(t), 'O0');
  const add = ElfFile.open(target.path).findFunction('tsbpf_add')!;
  const program = [
    `uprobe:${target.path}:0x${add.addr.toString(16)} { printf("addr %s\\n", func); }`,
    `uprobe:${target.path}:0x${(add.addr + 4n).toString(16)} { printf("inside %s\\n", func); }`,
    `uprobe:${target.path}:tsbpf_mul+4 { printf("offset %s\\n", func); }`,
    `uretprobe:${target.path}:tsbpf_greet { printf("ret %s\\n", func); }`,
  ].join('\n');
  const r = await runTsbpf(['-c', `${target.path} 1`, '-e', program]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('done')).sort(), ['addr tsbpf_add', 'inside tsbpf_add', 'offset tsbpf_mul', 'ret tsbpf_greet'], describeRun(r));
});
