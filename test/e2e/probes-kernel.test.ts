/**
 * Kernel probe types beyond tracepoints: software and rawtracepoint (attached here), and
 * fentry/fexit, hardware and kprobe, which this kernel cannot attach: they are compiled and
 * verified as far as the kernel allows, and fail with a clear message.
 */
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

kernelTest('software: a cpu-clock probe fires (exit() stops after the first event)', async (t) => {
  const r = await runTsbpf(['-e', 'software:cpu-clock:1000000 { printf("tick %s\\n", probe); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n').filter((l) => l.startsWith('tick')).join('\n'), 'tick software:cpu-clock:1000000');
});

kernelTest('software: aliases, default counts, unknown events', async (t) => {
  const r = await runTsbpf(['--dry-run', '-e', 'software:faults { @[probe] = count(); } s:cs:10 { @[probe] = count(); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /Attached 2 probes/);
  const bad = await runTsbpf(['-e', 'software:no-such-event { exit(); }']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /no-such-event is not a software probe/);
});

kernelTest('rawtracepoint: BTF-typed args and argN; exactly one exec of the -c child', async (t) => {
  const why = whyNoProbeTarget();
  if (why) return void t.pass(`skipped: ${why}`);
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const r = await runTsbpf(['-c', `${target.path} 1`, '-e',
    `rawtracepoint:sched_process_exec /pid == cpid/ { printf("exec %s %d %d\\n", comm, args.p->pid == cpid, args.old_pid == cpid); }
     rt:vmlinux:sched_process_exit /pid == cpid/ { printf("%s\\n", probe); }`]);
  t.is(r.code, 0, describeRun(r));
  const ours = r.stdout.split('\n').filter((l) => l.startsWith('exec') || l.startsWith('rawtracepoint'));
  t.deepEqual(ours, [`exec ${target.comm} 1 1`, 'rawtracepoint:vmlinux:sched_process_exit']);
});

kernelTest('rawtracepoint: unknown events are compile errors', async (t) => {
  const r = await runTsbpf(['-e', 'rawtracepoint:no_such_event_xyz { exit(); }']);
  t.is(r.code, 1);
  t.regex(r.stderr, /rawtracepoint not found: no_such_event_xyz/);
});

kernelTest('fentry/fexit: typed args compile; loading is refused here with a clear reason', async (t) => {
  for (const prog of ['fentry:vfs_read { @[comm] = sum(args.count); }', 'fexit:vfs_read { @ = hist(retval); }']) {
    const r = await runTsbpf(['--verify', '-e', prog]);
    if (r.code === 0) {
      t.log(`this kernel loads TRACING programs: ${prog} verified`);
      continue;
    }
    t.regex(r.stderr, /ERROR: cannot load f(entry|exit):vmlinux:vfs_read: the kernel refused to load a TRACING/, describeRun(r));
  }
  const bad = await runTsbpf(['-e', 'fentry:vfs_read { print(args.nosuch); }']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /has no field named nosuch/);
});

kernelTest('hardware: compiles and verifies; attaching explains the missing PMU', async (t) => {
  const v = await runTsbpf(['--verify', '-e', 'hardware:cycles:100000 { @ = count(); }']);
  t.is(v.code, 0, describeRun(v));
  const r = await runTsbpf(['-e', 'hardware:cycles:100000 { @ = count(); }']);
  if (r.code === 0 || !/no hardware performance counters/.test(r.stderr)) {
    t.log('this machine has hardware counters');
    return;
  }
  t.is(r.code, 1);
  t.regex(r.stderr, /HINT: software:cpu-clock/);
});

kernelTest('kprobe/kretprobe: wildcards expand, programs verify', async (t) => {
  const r = await runTsbpf(['--verify', '-e', 'kprobe:vfs_rea* { @[probe] = count(); } kretprobe:vfs_read { @h = hist(retval); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /Verified \d+ programs/);
});
