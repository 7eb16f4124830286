/**
 * bpftrace's newer stdlib functions (issue 12): name tables (strerror, signal_name, syscall_name),
 * string search (strstr, strcap, memcmp), probe context (probetype, usermode, pid/tid namespaces,
 * cpid()), assert, str() truncation and its trailer. Expected lines follow from bpftrace's
 * docs/stdlib.md, its tests/runtime files and the workload's own syscalls.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { buildProbeTarget, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, exec, kernelTest, openWorkload, python3, runTsbpf, scratchDir, startTsbpf, tracefsAvailable, TSBPF_BIN, uniqueTag, whyNoKernel } from '../helpers/tsbpf.js';

/**
 * Why this kernel's verifier refuses `script` (run with --verify --unsafe at registration), or
 * undefined when it loads: for helpers a kernel config or lockdown takes away.
 */
function verifierRefuses(script: string): string | undefined {
  if (whyNoKernel()) return undefined;
  const r = spawnSync(process.execPath, [TSBPF_BIN, '--verify', '--unsafe', '--no-cache', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const why = /rejected the program for [^:]+: (.*)/.exec(r.stderr);
  return r.status === 0 ? undefined : `the verifier refuses it here: ${why?.[1] ?? r.stderr.trim().split('\n')[0]}`;
}

const needPython = (): string | undefined => (python3() ? undefined : 'no python3');

async function begin(t: ExecutionContext, body: string, args: readonly string[] = []): Promise<string> {
  const r = await runTsbpf([...args, '-e', `BEGIN { ${body} exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout.replace(/\n\n\n$/, '\n');
}

kernelTest('strerror, signal_name, syscall_name: kernel-side name tables, unknown numbers, comparisons and map keys', async (t) => {
  const out = await begin(
    t,
    `printf("%s|%s|%s|%s\\n", strerror(1), strerror(-11), strerror(0), strerror(4000));
     printf("%s|%s|%s|%s\\n", signal_name(2), signal_name(34), signal_name(-1), signal_name(65));
     printf("%s|%s|%s|%s\\n", syscall_name(0), syscall_name(59), syscall_name(231), syscall_name(100000));
     printf("%d %d\\n", syscall_name(1) == "write", strerror(2) == "EPERM");
     @[signal_name(9)] = count();`,
  );
  t.is(
    out,
    [
      'Operation not permitted|Try again (operation would block)|Success|Unknown error',
      // glibc strsignal(3) texts; 65 is past SIGRTMAX.
      `Interrupt|Real-time signal 0|N/A|N/A`,
      `read|execve|exit_group|Unknown syscall`,
      '1 0',
      '',
      '',
      '@[Killed]: 1',
      '',
    ].join('\n'),
  );
});

kernelTest('syscall_name(args.id) as syscount.bt uses it: a workload\'s getppid calls counted by name', async (t) => {
  const comm = `sys${uniqueTag(8)}`;
  const h = startTsbpf(['-e', `tracepoint:raw_syscalls:sys_enter /comm == "${comm}"/ { @syscall[syscall_name(args.id)] = count(); }`], { t });
  await h.attached;
  const r = await exec([python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nfor i in range(5): os.getppid()`]);
  t.is(r.code, 0, r.stderr);
  const res = await h.stop('SIGINT');
  t.is(res.code, 0, describeRun(res));
  t.true(res.stdout.includes('@syscall[getppid]: 5\n'), res.stdout);
  t.false(res.stdout.includes('Unknown syscall'), res.stdout);
}, { needs: needPython });

kernelTest('strstr, strcap, memcmp, default_str_length (BEGIN)', async (t) => {
  const out = await begin(
    t,
    `printf("%d %d %d %d %d %d\\n", strstr("hello", "ll"), strstr("hello", "x"), strstr("hello", ""), strstr("hello", "hello"), strstr("hello", "lo"), strstr("hi", "hello"));
     $s = "abcabc"; printf("%d %d %d\\n", strstr($s, "ca"), strstr($s, "abc"), strstr(comm, "tsbpf-none"));
     printf("%d %d %d %d\\n", strcap("hello"), strcap($s), default_str_length, default_str_length());
     $a = "abc"; $b = "abd"; printf("%d %d %d %d\\n", memcmp($a, $b, 3), memcmp($a, $b, 2), memcmp($b, $a, 3), memcmp("\\xff", "a", 1));`,
  );
  // memcmp compares signed chars: 0xff is -1.
  t.is(out, `2 -1 0 0 3 -1\n2 0 -1\n6 7 1024 1024\n-1 0 1 ${-1 - 97}\n`);
});

kernelTest('strstr on a string read from the kernel; default_str_length follows max_strlen', async (t) => {
  const w = openWorkload(t);
  const name = w.file.slice(w.file.lastIndexOf('/') + 1);
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { $p = str(args.filename); if (strstr($p, "${name}") >= 0) { printf("%d %d %d\\n", strstr($p, "${name}"), strstr($p, "/"), strstr($p, "no-such-part")); } }`], { t });
  await h.attached;
  await w.run(1);
  await h.waitForStdout(/\n/);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], `${w.file.length - name.length} 0 -1`);
  const small = await runTsbpf(['-e', 'config = { max_strlen = 40 } BEGIN { printf("%d\\n", default_str_length); exit(); }']);
  t.is(small.stdout, '40\n\n\n', describeRun(small));
});

kernelTest('probetype and usermode in special, tracepoint and interval probes; pid/tid in the initial and own namespace', async (t) => {
  const comm = `ctx${uniqueTag(8)}`;
  const prog = `BEGIN { printf("%s %d\\n", probetype, usermode); }
    tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("%s %d %d %d %d\\n", probetype(), usermode(), pid(init) == pid, tid(curr_ns) == tid, pid()); }`;
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  const r = await exec([python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nos.getppid()`]);
  await h.waitForStdout(/tracepoint/);
  const res = await h.stop('SIGINT');
  t.is(res.code, 0, describeRun(res));
  // The test runs in the initial PID namespace, where both namespaces give the same ids.
  t.is(res.stdout, `special 1\ntracepoint 0 1 1 ${r.pid}\n\n\n`);
  const iv = await runTsbpf(['-e', 'interval:ms:10 { printf("%s\\n", probetype); exit(); }']);
  t.is(iv.stdout, 'interval\n\n\n', describeRun(iv));
}, { needs: needPython });

kernelTest('usermode reads the saved CS register in a uprobe: 1 in user mode', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const h = startTsbpf(['-e', `uprobe:${target.path}:tsbpf_add { printf("%s %d\\n", probetype, usermode); }`], { t });
  await h.attached;
  await exec([target.path, '1']);
  await h.waitForStdout(/uprobe/);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], 'uprobe 1');
}, { needs: whyNoProbeTarget });

kernelTest('cpid() and has_cpid() with -c', async (t) => {
  const r = await runTsbpf(['-c', '/bin/true', '-e', 'BEGIN { printf("%d %d %d\\n", cpid() == cpid, cpid() > 0, has_cpid()); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], '1 1 1');
});

kernelTest('assert: exits with 1 and errorf\'s located message when false; nothing when true', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { assert(1 == 1, "fine"); printf("before\\n"); assert(pid == 0, "pid is not zero"); printf("after\\n"); }']);
  t.is(r.code, 1, describeRun(r));
  t.is(r.stdout.split('\n')[0], 'before');
  t.false(r.stdout.includes('after'));
  t.regex(r.stderr, /^stdin:1:\d+-\d+: ERROR: assert failed: pid is not zero$/m);
});

kernelTest('is_* predicates, is_err, static_assert, and fail in a branch a constant condition skips', async (t) => {
  const preds = 'is_str("a"), is_str(1), is_integer(1), is_unsigned_integer((uint8)1), is_unsigned_integer(-1), is_literal(1), is_literal(pid), is_ptr(curtask)';
  const prog = `BEGIN { printf("%d %d %d %d %d %d %d %d\\n", ${preds}); printf("%d %d %d\\n", is_err(-4095), is_err(-4096), is_err(0));
    static_assert(is_integer(1), "not reached"); if ($1 < 2) { fail("Expected > 1. Got %d", $1); } exit(); }`;
  const r = await runTsbpf(['-e', prog, '5']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '1 0 1 1 0 1 0 1\n1 0 0\n\n\n');
  const failed = await runTsbpf(['-e', prog, '1']);
  t.is(failed.code, 1, describeRun(failed));
  t.regex(failed.stderr, /^stdin:2:\d+-\d+: ERROR: Expected > 1\. Got 1$/m);
});

kernelTest('str(): str(p, n) keeps n-1 characters; a truncated str(p) prints str_trunc_trailer', async (t) => {
  const w = openWorkload(t);
  const prog = `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { printf("P: %s|%s|%s\\n", str(args.filename), str(args.filename, 5), str(args.filename, 3)); }`;
  // The workload (cat) opens libraries first; its own file is the one under the scratch directory.
  const run = async (env: NodeJS.ProcessEnv): Promise<string[]> => {
    const h = startTsbpf(['-e', prog], { t, env });
    await h.attached;
    await w.run(1);
    const r = await h.stop('SIGINT');
    t.is(r.code, 0, describeRun(r));
    return r.stdout.split('\n');
  };
  const f = w.file;
  t.true(f.startsWith('/tmp/'));
  const full = await run({});
  t.true(full.includes(`P: ${f}|${f.slice(0, 4)}|${f.slice(0, 2)}`), full.join('\n'));
  // tests/runtime/call str_truncated and str_truncated_custom: 5 characters fill string[5].
  const five = await run({ BPFTRACE_MAX_STRLEN: '5' });
  t.true(five.includes('P: /tmp/..|/tmp|/t'), five.join('\n'));
  const custom = await run({ BPFTRACE_MAX_STRLEN: '5', BPFTRACE_STR_TRUNC_TRAILER: '_xxx' });
  t.true(custom.includes('P: /tmp/_xxx|/tmp|/t'), custom.join('\n'));
  const none = await run({ BPFTRACE_MAX_STRLEN: '5', BPFTRACE_STR_TRUNC_TRAILER: '' });
  t.true(none.includes('P: /tmp/|/tmp|/t'), none.join('\n'));
});

kernelTest('strcontains() is a bool: print shows true/false, printf %d shows 1/0', async (t) => {
  const out = await begin(t, 'print(strcontains("hello-test-world", "test")); print(strcontains("abc", "x")); printf("%d %d\\n", strcontains("abc", "b"), strcontains("abc", "x"));');
  t.is(out, 'true\nfalse\n1 0\n');
});

kernelTest('printf through the kernel: bpftrace 0.26 flags, widths, precision only for floats, literal unknown conversions', async (t) => {
  const out = await begin(
    t,
    `$big = 4294967301; $neg = -1;
     printf("[%d|%ld|%u|%lu|%x|%lx|%X]\\n", $big, $big, $neg, $neg, $neg, $neg, 255);
     printf("[%05d|%-05d|%+d|%+u|% d|%#x|%#o|%#x]\\n", -42, -42, 5, 5, 5, 255, 8, 0);
     printf("[%c|%3c|%p|%p|%hhu|%hhd|%hu|%hd]\\n", 65, 66, 4096, 0, 300, 255, 70000, 40000);
     printf("[%5s|%-5s|%.3s|%08s|%*d|%.2d]\\n", "ab", "ab", "abcdef", "ab", 7, 3);
     printf("%q %k 100% %\\n");`,
  );
  t.is(
    out,
    '[5|4294967301|4294967295|18446744073709551615|ffffffff|ffffffffffffffff|FF]\n' +
      '[00-42|-4200|+5|5|5|0xff|010|0]\n' +
      '[A|  B|0x1000|0|44|-1|4464|-25536]\n' +
      '[   ab|ab   |abcdef|000000ab|7|3]\n' +
      // `% %` is one `%%`-like spec with the space flag (bpftrace's regex): it prints `%`.
      '%q %k 100%\n',
  );
  // An unknown conversion is text, so an argument for it is one too many (format_string.cpp check()).
  const extra = await runTsbpf(['-e', 'BEGIN { printf("%q\\n", 1); exit(); }']);
  t.is(extra.code, 1, describeRun(extra));
  t.regex(extra.stderr, /too many arguments for format string \(1 supplied, 0 expected\)/);
  const float = await runTsbpf(['-e', 'BEGIN { printf("%5.2f\\n", 1); exit(); }']);
  t.is(float.code, 1, describeRun(float));
  t.regex(float.stderr, /unsupported format specifier: f/);
});

kernelTest('find, kptr/uptr, kfunc_exist and the __builtin_* names (BEGIN)', async (t) => {
  const out = await begin(
    t,
    `@map[2] = (1, "hello"); $val = (0, "none");
     if (find(@map, 2, $val)) { print($val); }
     $x = (0, "none"); printf("%d\\n", find(@map, 3, $x)); print($x);
     @k[1, "a"] = 7; let $n; printf("%d %d\\n", find(@k, (1, "a"), $n), $n);
     printf("%d %d %d\\n", kfunc_exist("bpf_task_acquire"), kfunc_exist("no_such_kfunc_tsbpf"), kptr(curtask) == curtask);
     printf("%s %s %d %d %d %d\\n", __builtin_probetype, __builtin_probe, __builtin_cpid, __builtin_safe_mode, __builtin_is_literal(1), __builtin_ncpus > 0);
     clear(@map); clear(@k);`,
  );
  t.is(out, '(1, hello)\n0\n(0, none)\n1 7\n1 0 1\nspecial BEGIN 0 1 1 1\n');
  const scalar = await runTsbpf(['-e', 'BEGIN { @s = 1; $v = 0; find(@s, 1, $v); exit(); }']);
  t.is(scalar.code, 1, describeRun(scalar));
  t.regex(scalar.stderr, /find expects a map with explicit keys/);
});

const OVERRIDE = 'kprobe:__x64_sys_getuid /comm == "id"/ { override(2 << 21); }';

kernelTest('override(): kprobes only and --unsafe only; the program verifies', async (t) => {
  const ok = await runTsbpf(['--verify', '--unsafe', '-e', OVERRIDE]);
  t.is(ok.code, 0, describeRun(ok));
  t.regex(ok.stderr, /Verified 1 program/);
}, { needs: () => verifierRefuses(OVERRIDE) });

kernelTest('override() and write_user() are refused without --unsafe and outside their probe types', async (t) => {
  const safe = await runTsbpf(['--verify', '-e', OVERRIDE]);
  t.is(safe.code, 1, describeRun(safe));
  t.regex(safe.stderr, /override\(\) is an unsafe function being used in safe mode/);
  const tp = await runTsbpf(['--verify', '--unsafe', '-e', 'tracepoint:syscalls:sys_enter_getuid { override(2); }']);
  t.is(tp.code, 1, describeRun(tp));
  t.regex(tp.stderr, /override\(\) can only be used inside kprobes/);
  const wu = await runTsbpf(['--verify', '-e', 'tracepoint:syscalls:sys_enter_write { write_user(args.buf, "HELLO", 5); }']);
  t.is(wu.code, 1, describeRun(wu));
  t.regex(wu.stderr, /write_user\(\) is an unsafe function being used in safe mode/);
  const long = await runTsbpf(['--verify', '--unsafe', '-e', 'tracepoint:syscalls:sys_enter_write { write_user(args.buf, "HELLO", 7); }']);
  t.is(long.code, 1, describeRun(long));
  t.regex(long.stderr, /write_user\(\) length must be between 1 and the size of its source \(6 bytes\), got 7/);
});

const WRITE_USER = 'tracepoint:syscalls:sys_enter_write { write_user(args.buf, "HELLO", 5); }';

kernelTest('write_user(): a process reads back the bytes the probe wrote over its write() buffer', async (t) => {
  const comm = `wu${uniqueTag(8)}`;
  const h = startTsbpf(['--unsafe', '-e', `tracepoint:syscalls:sys_enter_write /comm == "${comm}"/ { printf("%d\\n", write_user(args.buf, "HELLO", 5)); exit(); }`], { t });
  await h.attached;
  const r = await exec([python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nr, w = os.pipe()\nos.write(w, b'hello')\nprint(os.read(r, 5).decode())`]);
  t.is(r.stdout, 'HELLO\n', r.stderr);
  const res = await h.stop('SIGINT');
  t.is(res.stdout.split('\n')[0], '1', describeRun(res));
}, { needs: () => needPython() ?? verifierRefuses(WRITE_USER) });

kernelTest('debugf(): bpf_trace_printk into the kernel trace buffer; only d, u, x, p and s', async (t) => {
  const tag = `dbg${uniqueTag(10)}`;
  const r = await runTsbpf(['-e', `BEGIN { debugf("${tag} %d %s %x\\n", 42, "str", 255); debugf("${tag} %u\\n", 7); exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n');
  const trace = readFileSync('/sys/kernel/tracing/trace', 'utf8');
  t.regex(trace, new RegExp(`bpf_trace_printk: ${tag} 42 str ff$`, 'm'));
  t.regex(trace, new RegExp(`bpf_trace_printk: ${tag} 7$`, 'm'));
  const bad = await runTsbpf(['-e', 'BEGIN { debugf("%c\\n", 65); exit(); }']);
  t.is(bad.code, 1, describeRun(bad));
  t.regex(bad.stderr, /Invalid format specifier for `debugf`: c/);
}, { needs: () => (tracefsAvailable() ? undefined : 'tracefs is not mounted') });

kernelTest('small builtins as values in a process probe: gid, jiffies, numaid, ncpus, rand, cgroup, cpu, is_array, signal', async (t) => {
  const comm = `sml${uniqueTag(8)}`;
  const prog = `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ {
    printf("%d %d %d %d %d %d %d %d %d\\n", gid, jiffies > 0, numaid, ncpus == ncpus(), rand != rand, cgroup == cgroup(), cpu < ncpus, is_array(pton("1.2.3.4")), is_array(comm));
    signal("SIGUSR1"); }`;
  const h = startTsbpf(['--unsafe', '-e', prog], { t });
  await h.attached;
  // The workload sleeps in a signal handler-free wait: SIGUSR1's default action ends it.
  const r = await exec([python3()!, '-c', `import os, time\nopen('/proc/self/comm','w').write('${comm}')\nos.getppid()\ntime.sleep(5)\nprint("not killed")`]);
  await h.waitForStdout(/\n/);
  const res = await h.stop('SIGINT');
  t.is(res.code, 0, describeRun(res));
  t.is(r.signal, 'SIGUSR1', r.stdout);
  t.is(res.stdout.split('\n')[0], `${process.getgid!()} 1 0 1 1 1 1 1 0`);
}, { needs: needPython });

kernelTest('strstr with a needle known only at run time: a string variable, empty, longer than the haystack, comm', async (t) => {
  const r = await runTsbpf(['-e', `BEGIN { $h = "hello world"; $n = "wor"; $e = ""; printf("%d %d %d\\n", strstr($h, $n), strstr($h, $e), strstr("abcabc", $n)); }
    BEGIN { $h = "hello world"; $x = "xyz"; $l = "hello world!"; printf("%d %d %d\\n", strstr($h, $x), strstr($h, $l), strstr($h, $h)); }
    BEGIN { $c = comm; $p = str_concat("ab-", comm); printf("%d %d\\n", strstr($p, $c), strstr(comm, $c)); exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '6 0 -1\n-1 -1 0\n3 0\n\n\n');
});
