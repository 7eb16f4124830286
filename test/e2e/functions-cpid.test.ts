/** cpid without -c: 0 with bpftrace's run-time warning each time it is read (base.bt); has_cpid avoids it. */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

kernelTest('cpid without -c is 0 and warns where it is read; has_cpid guards it silently', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%d %d\\n", cpid, has_cpid ? cpid() : 7); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], '0 7');
  t.deepEqual(r.stderr.split('\n').filter((l) => l.includes('WARNING')), ['stdin:1:27-31: WARNING: No child command (`-c`); cpid is zero']);
});
