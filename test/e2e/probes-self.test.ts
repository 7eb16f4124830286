/**
 * self probes (`self:signal:SIGUSR1`): run in tsbpf's own context each time it receives the signal.
 */
import { describeRun, kernelTest, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

kernelTest('self:signal:SIGUSR1 runs its body once per SIGUSR1, in tsbpf\'s context, until the run ends', async (t) => {
  const h = startTsbpf(['-e', 'self:signal:SIGUSR1 { printf("usr1 %s %d %s\\n", comm, @n, probe); @n++; }'], { t });
  await h.attached;
  h.signal('SIGUSR1');
  await h.waitForStdout(/usr1 tsbpf 0 /);
  h.signal('SIGUSR1');
  await h.waitForStdout(/usr1 tsbpf 1 /);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['usr1 tsbpf 0 self:signal:SIGUSR1', 'usr1 tsbpf 1 self:signal:SIGUSR1', '@n: 2']);
});

kernelTest('self probes: -l lists self:signal:SIGUSR1; other triggers and signals are bpftrace\'s errors', async (t) => {
  const l = await runTsbpf(['-l', 'self:*']);
  t.is(l.code, 0, describeRun(l));
  t.deepEqual(lines(l.stdout), ['self:signal:SIGUSR1']);
  const cases: [string, string][] = [
    ['self:signal:SIGUSR2 {}', 'stdin:1:1-20: ERROR: SIGUSR2 is not a supported signal'],
    ['self:timer:SIGUSR1 {}', 'stdin:1:1-19: ERROR: timer is not a supported trigger'],
    ['self:signal {}', 'stdin:1:1-12: ERROR: self probe type requires 2 arguments, found 1'],
  ];
  for (const [script, first] of cases) {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, describeRun(r));
    t.is(r.stderr.split('\n')[0], first);
  }
});
