/**
 * Constructs bpftrace's published tools rely on, checked with exact output shapes (docs/tools-status.md).
 */
import { describeRun, kernelTest, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

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
