/**
 * iter probes (BPF iterators): the program runs over the kernel's tasks, their files and their
 * memory maps while tsbpf reads the iterator, and the run ends by itself. Each test picks a
 * process it started and compares what the iterator saw with /proc.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { describeRun, eventually, kernelTest, python3, runTsbpf, Workload } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** A `sleep` process, once it has exec'd (its comm and memory map are final). */
async function sleeper(t: ExecutionContext): Promise<number> {
  const w = new Workload(t, ['sleep', '60']);
  const ready = await eventually(() => {
    try {
      return readFileSync(`/proc/${w.pid}/comm`, 'utf8') === 'sleep\n' && readFileSync(`/proc/${w.pid}/maps`, 'utf8').includes('libc');
    } catch {
      return false;
    }
  });
  t.true(ready, 'sleep did not start');
  return w.pid;
}

kernelTest('iter:task visits every task (ctx.task.comm, ctx.task.pid) and the run ends by itself', async (t) => {
  const pid = await sleeper(t);
  const r = await runTsbpf(['-e', `iter:task /ctx.task.pid == ${pid}/ { printf("%s:%d\\n", ctx.task.comm, ctx.task.pid); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), [`sleep:${pid}`]);
});

kernelTest('it:task (alias), ctx->task->pid, and a count over every task', async (t) => {
  const pid = await sleeper(t);
  const r = await runTsbpf(['-e', `it:task { @all = count(); if (ctx->task->pid == ${pid}) { @mine = count(); } }`]);
  t.is(r.code, 0, describeRun(r));
  const out = lines(r.stdout);
  t.deepEqual(out.filter((l) => l.startsWith('@mine')), ['@mine: 1']);
  // Every thread of every process is a task: far more than one.
  t.true(Number(out.find((l) => l.startsWith('@all: '))?.slice(6)) > 10, describeRun(r));
});

kernelTest('iter:task_file gives each open file of each task (ctx.fd), as /proc/PID/fd lists them', async (t) => {
  const pid = await sleeper(t);
  const r = await runTsbpf(['-e', `iter:task_file /ctx.task.pid == ${pid}/ { printf("%s %d\\n", ctx.task.comm, ctx.fd); }`]);
  t.is(r.code, 0, describeRun(r));
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  t.deepEqual(lines(r.stdout), fds.map((fd) => `sleep ${fd}`));
});

kernelTest('iter:task_vma gives each memory map of each task (ctx.vma.vm_start/vm_end), as /proc/PID/maps lists them', async (t) => {
  const pid = await sleeper(t);
  const r = await runTsbpf(['-e', `iter:task_vma /ctx.task.pid == ${pid}/ { printf("%lx-%lx\\n", ctx.vma.vm_start, ctx.vma.vm_end); }`]);
  t.is(r.code, 0, describeRun(r));
  // [vsyscall] is the gate area, not a vma of the process.
  const maps = lines(readFileSync(`/proc/${pid}/maps`, 'utf8'))
    .filter((l) => !l.endsWith('[vsyscall]'))
    .map((l) => l.split(' ')[0]!.split('-').map((h) => BigInt(`0x${h}`).toString(16)).join('-'));
  t.deepEqual(lines(r.stdout), maps);
});

kernelTest("-l 'iter:*' lists the kernel's iterators; -lv shows an iterator's ctx fields", async (t) => {
  const l = await runTsbpf(['-l', 'iter:*']);
  t.is(l.code, 0, describeRun(l));
  for (const name of ['iter:task', 'iter:task_file', 'iter:task_vma']) t.true(lines(l.stdout).includes(name), describeRun(l));
  const v = await runTsbpf(['-lv', 'iter:task_vma']);
  t.is(v.code, 0, describeRun(v));
  t.deepEqual(lines(v.stdout), ['iter:task_vma', '    struct bpf_iter_meta * meta', '    struct task_struct * task', '    struct vm_area_struct * vma']);
});

kernelTest('iter: an unknown iterator is bpftrace\'s error; pinning, and ctx outside iter probes, are refused in one line', async (t) => {
  const unknown = await runTsbpf(['-e', 'iter:nosuch { }']);
  t.is(unknown.code, 1, describeRun(unknown));
  t.is(unknown.stderr.split('\n')[0], 'stdin:1:1-12: ERROR: iter nosuch not available for your kernel version.');
  const pin = await runTsbpf(['-e', 'iter:task:list { }']);
  t.is(pin.code, 1, describeRun(pin));
  t.is(pin.stderr.split('\n')[0], "stdin:1:1-15: ERROR: iter:task:list: pinning an iterator is not supported (tsbpf's printf goes through its ring buffer, so reading the pinned file would print nothing)");
  const ctx = await runTsbpf(['-e', 'BEGIN { print(ctx); }']);
  t.is(ctx.code, 1, describeRun(ctx));
  t.is(ctx.stderr.split('\n')[0], 'stdin:1:15-18: ERROR: ctx is available in iter probes only (here, use args.<field> or argN in BEGIN probes)');
});

kernelTest('path(ctx.file.f_path) in iter:task_file is each open file\'s path (bpf_d_path), as /proc/PID/fd links read', async (t) => {
  const pid = await sleeper(t);
  const r = await runTsbpf(['-e', `iter:task_file /ctx.task.pid == ${pid}/ { printf("%d %s\\n", ctx.fd, path(ctx.file.f_path)); }`]);
  t.is(r.code, 0, describeRun(r));
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  t.deepEqual(lines(r.stdout), fds.map((fd) => `${fd} ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`));
});

kernelTest('path() is refused in one line where bpf_d_path cannot run or its argument is no struct path', async (t) => {
  const cases: [string, string][] = [
    ['tracepoint:syscalls:sys_enter_openat { printf("%s\\n", path(args.filename)); }', 'stdin:1:55-74: ERROR: path() uses bpf_d_path, which the kernel allows only in iter probes and in fentry/fexit probes of some functions, not in tracepoint probes'],
    ['iter:task_file { printf("%s\\n", path(ctx.file)); }', 'stdin:1:38-46: ERROR: path() needs a struct path, got struct file'],
    ['iter:task_file { $f = ctx.file; printf("%s\\n", path($f.f_path)); }', 'stdin:1:53-62: ERROR: path() takes a struct path reached from the probe context, e.g. path(ctx.file.f_path) or path(args.path)'],
  ];
  for (const [script, first] of cases) {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, describeRun(r));
    t.is(r.stderr.split('\n')[0], first);
  }
});

const LISTENER = `
import socket, struct, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
cookie = struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]  # SO_COOKIE
print(s.getsockname()[1], cookie, flush=True)
time.sleep(60)
`;

kernelTest('socket_cookie(ctx.sk_common) in iter:tcp is the socket\'s SO_COOKIE', async (t) => {
  const w = new Workload(t, [python3()!, '-c', LISTENER]);
  await eventually(() => /^\d+ \d+\n/.test(w.stdout));
  const [port, cookie] = w.stdout.trim().split(' ');
  const r = await runTsbpf(['-e', `iter:tcp /ctx.sk_common.skc_num == ${port}/ { printf("%d %d\\n", ctx.sk_common.skc_num, socket_cookie(ctx.sk_common)); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), [`${port} ${cookie}`]);
  const bad = await runTsbpf(['-e', 'tracepoint:syscalls:sys_enter_getppid { print(socket_cookie(args.__syscall_nr)); }']);
  t.is(bad.code, 1, describeRun(bad));
  t.is(bad.stderr.split('\n')[0], 'stdin:1:47-79: ERROR: socket_cookie() needs a socket pointer the kernel typed (iter or fentry/fexit probes), not available in tracepoint probes');
}, { needs: () => (python3() ? undefined : 'needs python3') });
