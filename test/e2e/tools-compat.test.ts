/**
 * Constructs bpftrace's published tools rely on, checked with exact output shapes (docs/tools-status.md).
 */
import { describeRun, exec, kernelTest, python3, runTsbpf, scratchDir, startTsbpf, uniqueBinary, uniqueTag } from '../helpers/tsbpf.js';

// Eight rarely firing tracepoints, then a 997 Hz profile probe: detaching closes them in this order,
// ~40-80 ms each here, so the profile probe's perf events are among those handed to the detach child
// (runtime/session/detach.ts) and would still fire while END runs and the maps are printed.
const MANY_PROBES = [
  'tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_getpgid, tracepoint:syscalls:sys_enter_getsid,',
  'tracepoint:syscalls:sys_enter_setpgid, tracepoint:syscalls:sys_enter_getpriority, tracepoint:syscalls:sys_enter_sethostname,',
  'tracepoint:syscalls:sys_enter_acct, tracepoint:syscalls:sys_enter_swapoff { @[cpu] = count(); }',
  'profile:hz:997 { @[cpu] = count(); }',
].join('\n');

kernelTest('END runs after every probe is detached: a map END clears is printed empty at exit (runqlat\'s @qtime)', async (t) => {
  // END's system() (run by tsbpf, which waits for it) holds the window between the clear and the print open.
  const h = startTsbpf(['--unsafe', '-e', `${MANY_PROBES}\nEND { clear(@); system("sleep 0.2"); }`], { t });
  await h.attached;
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  // system()'s empty output is one line, as bpftrace's TextOutput::syscall; then the maps' blank lines and no map.
  t.is(r.stdout, '\n\n\n', describeRun(r));
});

kernelTest('after exit() too, no probe refills a map END cleared', async (t) => {
  const r = await runTsbpf(['--unsafe', '-e', `${MANY_PROBES}\ninterval:ms:200 { exit(); }\nEND { clear(@); system("sleep 0.2"); printf("end\\n"); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\nend\n\n\n', describeRun(r));
});

/** Microseconds since local midnight of a CLOCK_REALTIME time in ns (as strftime's %H:%M:%S.%f shows it). */
function localMicrosOfDay(ns: bigint): number {
  const d = new Date(Number(ns / 1_000_000n));
  return ((d.getHours() * 60 + d.getMinutes()) * 60 + d.getSeconds()) * 1e6 + Number((ns / 1000n) % 1_000_000n);
}

function parseMicrosOfDay(hms: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)\.(\d{6})$/.exec(hms);
  if (!m) return NaN;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6 + Number(m[4]);
}

kernelTest('strftime("%H:%M:%S.%f", nsecs) is the wall-clock time of the event to the microsecond (killsnoop/execsnoop TIME)', async (t) => {
  const comm = `clk${uniqueTag(8)}`;
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("%s\\n", strftime("%H:%M:%S.%f", nsecs)); }`], { t });
  await h.attached;
  // The workload reads the wall clock just before and just after each getppid(): the event is between.
  const py = [
    'import os, time',
    `open("/proc/self/comm", "w").write("${comm}")`,
    'for i in range(5):',
    '    a = time.time_ns(); os.getppid(); b = time.time_ns(); print(a, b, flush=True); time.sleep(0.01)',
  ].join('\n');
  const w = await exec([python3()!, '-c', py]);
  t.is(w.code, 0, w.stderr);
  await h.waitForStdout(/^(?:.*\n){5}/);
  const r = await h.stop();
  t.is(r.code, 0, describeRun(r));
  const events = r.stdout.split('\n').filter((l) => /^\d\d:/.test(l)).map(parseMicrosOfDay);
  const windows = w.stdout.trim().split('\n').map((l) => l.split(' ').map((x) => localMicrosOfDay(BigInt(x))));
  t.is(events.length, 5, describeRun(r));
  for (let i = 0; i < 5; i++) {
    const [before, after] = windows[i]!;
    // The offset is measured to a fraction of a microsecond when tsbpf is not preempted while it
    // calibrates; 100 µs of slack for a machine this loaded (a start-time based offset was 500-700 µs off).
    t.true(events[i]! >= before! - 100 && events[i]! <= after! + 100, `event ${events[i]} µs not within [${before}, ${after}] (${events[i]! - before!} µs after the read before)`);
  }
}, { needs: () => (python3() ? undefined : 'needs python3') });

kernelTest('*x of an integer reads a uint64 at that address (loads.bt: *kaddr("avenrun"), *($a + 8))', async (t) => {
  const sleep = uniqueBinary(scratchDir(t), '/bin/sleep');
  // clock_nanosleep's request is {tv_sec, tv_nsec} in user memory: sleep 1.25 asks for 1 s and 250000000 ns.
  const prog = `tracepoint:syscalls:sys_enter_clock_nanosleep /comm == "${sleep.comm}"/ { $p = (uint64)args.rqtp; printf("%d %d\\n", *$p, *($p + 8)); exit(); }`;
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  const w = await exec([sleep.path, '1.25']);
  t.is(w.code, 0, w.stderr);
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], '1 250000000', describeRun(r));
  const bad = await runTsbpf(['--dry-run', '-e', 'BEGIN { $s = "ab"; $b = *$s; }']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /ERROR: cannot dereference string\[3\]/);
});
