/**
 * Functions that call kernel functions (kfuncs, by BTF id): comm(pid) through bpf_task_from_pid /
 * bpf_task_release, and kfunc_allowed() (a load probe of the probe's program type).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, eventually, kernelTest, python3, runTsbpf, scratchDir, Workload } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** A pid no process has now. */
function freePid(): number {
  for (let p = 4_000_000; ; p--) if (!existsSync(`/proc/${p}`)) return p;
}

kernelTest('comm(pid) is the name of the task with that pid (iter:task), "N/A" for none', async (t) => {
  const w = new Workload(t, ['sleep', '60']);
  t.true(await eventually(() => existsSync(`/proc/${w.pid}/comm`) && readFileSync(`/proc/${w.pid}/comm`, 'utf8') === 'sleep\n'));
  const none = freePid();
  const r = await runTsbpf(['-e', `iter:task /ctx.task.pid == ${w.pid}/ { printf("%s|%s|%s|%s\\n", comm(${w.pid}), comm(ctx.task.pid), comm(2), comm(${none})); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), [`sleep|sleep|${readFileSync('/proc/2/comm', 'utf8').trim()}|N/A`]);
});

kernelTest('comm(pid) in a tracepoint is the traced task\'s comm; kfunc_allowed() says where kfuncs may be called', async (t) => {
  const script = join(scratchDir(t), 'getppid.py');
  writeFileSync(script, 'import os\nos.getppid()\n');
  const r = await runTsbpf(['-c', `${python3()!} ${script}`, '-e',
    'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("%s|%s|%d|%d\\n", comm(pid), comm, kfunc_allowed("bpf_task_from_pid"), kfunc_allowed("bpf_no_such_kfunc")); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['python3|python3|1|0']);
  const begin = await runTsbpf(['-e', 'BEGIN { printf("%d\\n", kfunc_allowed("bpf_task_from_pid")); exit(); }']);
  t.is(lines(begin.stdout)[0], '0');
  const refused = await runTsbpf(['-e', 'BEGIN { print(comm(1)); }']);
  t.is(refused.code, 1, describeRun(refused));
  t.is(refused.stderr.split('\n')[0], 'stdin:1:15-22: ERROR: Syntax comm(PID) is not supported in this probe type yet. Type: special');
}, { needs: () => (python3() ? undefined : 'needs python3') });

/** /proc/kallsyms lists variables (CONFIG_KALLSYMS_ALL): ksyms such as percpu_kaddr's resolve. */
function kallsymsHasVariables(): boolean {
  try {
    return /^[0-9a-f]+ [dD] cpu_number$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
}

kernelTest('percpu_kaddr("cpu_number") is this CPU\'s copy (its value is cpu); with a cpu argument, that CPU\'s', async (t) => {
  const r = await runTsbpf(['-e', 'interval:ms:50 { $p = (int32 *)percpu_kaddr("cpu_number"); $q = (int32 *)percpu_kaddr("cpu_number", 0); printf("%d %d\\n", *$p == cpu, *$q); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['1 0']);
}, { needs: () => (kallsymsHasVariables() ? undefined : 'this kernel publishes no variable addresses (CONFIG_KALLSYMS_ALL unset): ksyms cannot resolve') });

kernelTest('percpu_kaddr: an unknown variable, or one the kernel gives no address, is one clear error', async (t) => {
  const unknown = await runTsbpf(['-e', 'interval:ms:50 { print(percpu_kaddr("no_such_var")); exit(); }']);
  t.is(unknown.code, 1, describeRun(unknown));
  t.is(unknown.stderr.split('\n')[0], 'stdin:1:37-50: ERROR: percpu_kaddr(): the kernel has no variable no_such_var in its BTF');
  if (kallsymsHasVariables()) return;
  const noAddress = await runTsbpf(['-e', 'interval:ms:50 { print(percpu_kaddr("cpu_number")); exit(); }']);
  t.is(noAddress.code, 1, describeRun(noAddress));
  t.is(noAddress.stderr.split('\n')[0], 'stdin:1:37-49: ERROR: percpu_kaddr(): the kernel does not publish the address of cpu_number (/proc/kallsyms lists no variables without CONFIG_KALLSYMS_ALL), so the verifier cannot resolve it');
});
