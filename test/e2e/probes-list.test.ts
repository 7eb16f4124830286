/** `-l` and `-lv`: probe listing of every type, in bpftrace's format. */
import { readFileSync } from 'node:fs';
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

kernelTest('-l tracepoint glob lists matching tracepoints; -lv prints their fields', async (t) => {
  const r = await runTsbpf(['-l', 'tracepoint:syscalls:sys_enter_openat']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'tracepoint:syscalls:sys_enter_openat\n');
  const v = await runTsbpf(['-lv', 't:syscalls:sys_enter_openat']);
  const format = readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_openat/format', 'utf8');
  const fields = format.split('\n\n')[1]!.split('\n').filter((l) => l.startsWith('\tfield:')).map((l) => `    ${l.slice(7, l.indexOf(';'))}`);
  t.is(v.stdout, ['tracepoint:syscalls:sys_enter_openat', ...fields, ''].join('\n'));
  t.true(fields.includes('    const char * filename'));
});

kernelTest('-l with a bare search looks through every kernel probe type', async (t) => {
  const r = await runTsbpf(['-l', '*sched_switch']);
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.trim().split('\n');
  t.true(lines.includes('tracepoint:sched:sched_switch'));
  t.true(lines.includes('rawtracepoint:vmlinux:sched_switch'));
  t.deepEqual([...lines].sort((a, b) => (a.split(':')[0]! < b.split(':')[0]! ? -1 : a.split(':')[0]! > b.split(':')[0]! ? 1 : 0)), lines, 'grouped by probe type in name order');
});

kernelTest('-lv rawtracepoint and fexit print BTF arguments', async (t) => {
  const r = await runTsbpf(['-lv', 'rawtracepoint:sched_switch']);
  t.is(r.stdout, 'rawtracepoint:vmlinux:sched_switch\n    bool preempt\n    struct task_struct * prev\n    struct task_struct * next\n    unsigned int prev_state\n');
  const f = await runTsbpf(['-lv', 'fexit:vfs_read']);
  t.is(f.stdout, 'fexit:vmlinux:vfs_read\n    struct file * file\n    char * buf\n    size_t count\n    loff_t * pos\n    ssize_t retval\n');
});

kernelTest('-l software lists events and aliases', async (t) => {
  const r = await runTsbpf(['-l', 'software:*faults*']);
  t.is(r.stdout, ['alignment-faults', 'emulation-faults', 'faults', 'major-faults', 'minor-faults', 'page-faults'].map((e) => `software:${e}:`).join('\n') + '\n');
});

kernelTest('-l uprobe and usdt list the functions and probes of a binary', async (t) => {
  const why = whyNoProbeTarget();
  if (why) return void t.pass(`skipped: ${why}`);
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const u = await runTsbpf(['-l', `uprobe:${target.path}:tsbpf_*`]);
  t.is(u.stdout, ['tsbpf_add', 'tsbpf_greet', 'tsbpf_mul'].map((f) => `uprobe:${target.path}:${f}`).join('\n') + '\n');
  const all = await runTsbpf(['-l', `uprobe:${target.path}:*`]);
  t.true(all.stdout.split('\n').includes(`uprobe:${target.path}:main`));
  const d = await runTsbpf(['-l', `usdt:${target.path}:*`]);
  t.is(d.stdout, ['tsbpf:loop', 'tsbpf:point', 'tsbpf:str', 'tsbpf_target:guarded'].map((p) => `usdt:${target.path}:${p}`).join('\n') + '\n');
});
