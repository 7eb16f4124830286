/** Builtins and functions: BEGIN-only scripts for pure functions, workloads for process builtins and stacks. */
import { describeRun, exec, haveSetpriv, kernelTest, python3, runTsbpf, startTsbpf, uniqueTag, AS_NOBODY } from '../helpers/tsbpf.js';

kernelTest('string functions, ntop, macaddr, buf, strftime, ksym/kaddr, cgroupid (BEGIN)', async (t) => {
  const prog = `BEGIN {
    printf("%d %d %d %d\\n", strncmp("hello", "help", 3), strncmp("hello", "help", 4), strcontains("hello world", "o w"), strcontains("hello", "xyz"));
    printf("[%s] [%s] [%s]\\n", ntop(0x0100007f), ntop(2, 0x0101a8c0), macaddr("\\x00\\x1b\\x21\\x3a\\x4b\\x7f"));
    printf("%r|%rx|%rh\\n", buf("ab\\x01", 3), buf("AB", 2), buf("AB", 2));
    printf("%s %s\\n", ksym(kaddr("vfs_read")), strftime("%Y", nsecs));
    print(cgroupid("/sys/fs/cgroup"));
    exit();
  }`;
  const r = await runTsbpf(['-e', prog]);
  t.is(r.code, 0, describeRun(r));
  const year = new Date().getFullYear();
  t.is(r.stdout, `0 1 1 0\n[127.0.0.1] [192.168.1.1] [00:1B:21:3A:4B:7F]\nab\\x01|\\x41\\x42|41 42\nvfs_read ${year}\n1\n\n\n`, describeRun(r));
});

kernelTest('has_key, delete with one key, a tuple key and the deprecated form; empty maps skipped at exit', async (t) => {
  const prog = `BEGIN { @a[1] = 1; @a[2] = 2; @m[1, "x"] = 5;
    printf("%d %d\\n", has_key(@a, 1), has_key(@a, 3)); delete(@a, 1); printf("%d\\n", has_key(@a, 1));
    printf("%d %d\\n", delete(@a, 2), delete(@a, 2)); delete(@m, (1, "x")); @m[2, "y"] = 6; delete(@m[2, "y"]); @n[3] = 1; exit(); }`;
  const r = await runTsbpf(['-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '1 0\n0\n1 0\n\n\n@n[3]: 1\n', describeRun(r));
});

kernelTest('unsafe functions need --unsafe; system() and cat() output', async (t) => {
  const denied = await runTsbpf(['-e', 'BEGIN { system("echo %d", 42); exit(); }']);
  t.is(denied.code, 1, describeRun(denied));
  t.regex(denied.stderr, /system\(\) is an unsafe function being used in safe mode/);
  const ok = await runTsbpf(['--unsafe', '-e', 'BEGIN { system("echo %d", 42); cat("/proc/sys/kernel/ostype"); exit(); }']);
  t.is(ok.code, 0, describeRun(ok));
  t.is(ok.stdout, '42\n\nLinux\n\n\n', describeRun(ok));
});

kernelTest('username, elapsed, probe as another user; func is refused in tracepoints', async (t) => {
  if (!python3() || !haveSetpriv()) return t.pass('needs python3 and setpriv');
  const comm = `usr${uniqueTag(8)}`;
  const prog = `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("%s %d %s\\n", username, elapsed > 0 && elapsed < 600000000000, probe); @[username] = count(); }`;
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  await exec([...AS_NOBODY, python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nos.getppid()`]);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'nobody 1 tracepoint:syscalls:sys_enter_getppid\n\n\n@[nobody]: 1\n', describeRun(r));
  const f = await runTsbpf(['-e', 'tracepoint:syscalls:sys_enter_getppid { printf("%s\\n", func); }']);
  t.is(f.code, 1, describeRun(f));
  t.regex(f.stderr, /The func builtin can not be used with 'tracepoint' probes/);
});

kernelTest('kstack and ustack: symbolized, modes and depth; user stacks stay symbolized after the process exits', async (t) => {
  if (!python3()) return t.pass('no python3');
  const comm = `stk${uniqueTag(8)}`;
  const prog = `tracepoint:syscalls:sys_enter_getpid /comm == "${comm}"/ { @k[kstack(3)] = count(); @u[ustack(2)] = count(); @p[ustack(perf, 1)] = count(); @r[kstack(raw, 1)] = count(); }`;
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  // The process exits long before the maps are printed.
  await exec([python3()!, '-c', `import os, time\nopen('/proc/self/comm','w').write('${comm}')\nos.getpid()\ntime.sleep(0.3)`]);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n');
  const block = (name: string) => lines.slice(lines.indexOf(`${name}[`) + 1, lines.findIndex((l, i) => i > lines.indexOf(`${name}[`) && l.startsWith(']: ')));
  const k = block('@k');
  t.is(k.length, 3, describeRun(r));
  for (const f of k) t.regex(f, /^ {8}[A-Za-z_][\w.]*\+\d+$/);
  const u = block('@u');
  t.regex(u[0] ?? '', /^ {8}(__)?getpid\+\d+$/, describeRun(r));
  t.regex(block('@p')[0] ?? '', /^\t[0-9a-f]+ (__)?getpid\+\d+ \(\/.*libc[^)]*\)$/, describeRun(r));
  t.regex(block('@r')[0] ?? '', /^[0-9a-f]{16}$/, describeRun(r));
});
