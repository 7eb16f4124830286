/**
 * End-to-end tests of the walking skeleton: the real CLI, real probes, real events.
 *
 * Every test filters to events it generates itself: a process whose comm is a unique copy of
 * cat (or sh), a unique file path, or the pid of its own workload. Other activity on the
 * machine is expected and ignored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  AS_NOBODY, describeRun, exec, haveSetpriv, kernelHasKprobes, kernelTest, NOTIFY_VAR, openWorkload, python3, REPO_ROOT,
  runTsbpf, scratchDir, startTsbpf, stderrLines, uniqueBinary, uniqueTag, Workload,
} from '../helpers/tsbpf.js';

const STACK_FRAME = /^\s+at .+/m;

/** The lines of a text-mode map dump (everything after the two newlines that end the run). */
function mapLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('@'));
}

/** The column (1-based) of the caret on the first caret line of a rendered diagnostic. */
function caretColumn(stderr: string): number | undefined {
  const line = stderr.split('\n').find((l) => /^\s*\^~*\s*$/.test(l));
  return line === undefined ? undefined : line.indexOf('^') + 1;
}

// ------------------------------------------------------------------------------ counting

kernelTest('counts openat calls of one file from a unique comm exactly (SIGINT)', async (t) => {
  const w = openWorkload(t);
  const runs = 3;
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @[str(args.filename)] = count(); }`], { t });
  await h.attached;
  await w.run(runs);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.true(mapLines(r.stdout).includes(`@[${w.file}]: ${runs}`), describeRun(r));
  t.true(stderrLines(r.stderr).includes('Attached 1 probe'), describeRun(r));
  t.notRegex(r.stderr, STACK_FRAME);
});

kernelTest('action form < @[comm]++ > with a predicate counts per comm (SIGTERM)', async (t) => {
  const w = openWorkload(t);
  const runs = 4;
  // Only openat of the workload's own file: exactly one per run.
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}" && str(args.filename) == "${w.file}"/ < @[comm]++ >`], { t });
  await h.attached;
  await w.run(runs);
  const r = await h.stop('SIGTERM');
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(mapLines(r.stdout), [`@[${w.comm}]: ${runs}`], describeRun(r));
  t.true(stderrLines(r.stderr).includes('Attached 1 probe'), describeRun(r));
});

kernelTest('@[comm] = count() counts every openat of the unique comm, the same as a per-file breakdown', async (t) => {
  // The number of openat calls cat makes (libc, locale files) is not fixed by us, so count it
  // two ways in one run and require the totals to agree.
  const w = openWorkload(t);
  const runs = 2;
  const h = startTsbpf(
    ['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @[comm] = count(); @files[str(args.filename)] = count(); @total = count(); }`],
    { t },
  );
  await h.attached;
  await w.run(runs);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const lines = mapLines(r.stdout);
  const value = (prefix: string): number | undefined => {
    const l = lines.find((x) => x.startsWith(prefix));
    return l === undefined ? undefined : Number(l.slice(prefix.length));
  };
  const total = value('@total: ');
  t.true(total !== undefined && total >= runs, describeRun(r));
  t.is(value(`@[${w.comm}]: `), total, describeRun(r));
  const perFile = lines.filter((l) => l.startsWith('@files[')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  t.is<number | undefined, number | undefined>(perFile, total, describeRun(r));
});

// ------------------------------------------------------------------------------ printf

kernelTest('BEGIN printf and exit(): exact stdout', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("hello %s %d\\n", "world", 42); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'hello world 42\n\n\n');
  t.true(stderrLines(r.stderr).includes('Attached 1 probe'), describeRun(r));
});

for (const access of ['args.filename', 'args->filename']) {
  kernelTest(`execve streaming with ${access}: one formatted line per exec`, async (t) => {
    const dir = scratchDir(t);
    const sh = uniqueBinary(dir, '/bin/sh');
    const target = uniqueBinary(dir, '/bin/true', 'tgt');
    const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_execve /comm == "${sh.comm}"/ { printf("%-6d %-16s %s\\n", pid, comm, str(${access})); }`], { t });
    await h.attached;
    // `exec` keeps the shell's pid: the execve caller is the process we spawned.
    const x = await exec([sh.path, '-c', `exec ${target.path}`]);
    t.is(x.code, 0);
    const expected = `${String(x.pid).padEnd(6)} ${sh.comm.padEnd(16)} ${target.path}`;
    await h.waitFor(() => h.stdout.split('\n').includes(expected), `the line ${JSON.stringify(expected)}`);
    const r = await h.stop('SIGINT');
    t.is(r.code, 0, describeRun(r));
    t.deepEqual(
      r.stdout.split('\n').filter((l) => l.trim() !== ''),
      [expected],
      describeRun(r),
    );
  });
}

const GETPPID_BURST = `
import ctypes, os, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)  # PR_SET_NAME: our comm from here on
for _ in range(int(sys.argv[2])):
    os.getppid()
`;

const needsPython3 = (): string | undefined => (python3() ? undefined : 'needs python3 for an exact syscall workload');

kernelTest('every printf event emitted before SIGINT is printed (none silently dropped)', async (t) => {
  const py = python3()!;
  const comm = `tsb${uniqueTag(8)}`;
  const n = 20000;
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("e %d\\n", tid); }`], { t });
  await h.attached;
  const w = await exec([py, '-c', GETPPID_BURST, comm, String(n)]);
  t.is(w.code, 0, w.stderr);
  // All n events are in the ring buffer (or counted as lost) by now; SIGINT must not discard them.
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('e '));
  const lost = /Lost (\d+) events/.exec(r.stderr);
  t.is(lines.length + Number(lost?.[1] ?? 0), n, `printed ${lines.length} of ${n}; stderr: ${r.stderr}`);
  t.true(lines.every((l) => l === `e ${w.pid}`));
}, { needs: needsPython3 });

// ------------------------------------------------------------------------------ positional, predicate, interval

const READ_WORKLOAD = `
import os, signal, sys
k, size = int(sys.argv[1]), int(sys.argv[2])
fd = os.open('/dev/zero', os.O_RDONLY)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
sys.stdout.write('ready\\n'); sys.stdout.flush()
signal.sigwait([signal.SIGUSR1])
for _ in range(k):
    os.read(fd, size)
sys.stdout.write('done\\n'); sys.stdout.flush()
signal.sigwait([signal.SIGUSR1])
`;

kernelTest('positional $1 in a predicate, count() and sum(args.ret), interval exit', async (t) => {
  const py = python3()!;
  const [k, size] = [7, 4096];
  // The workload blocks in sigwait (no syscalls) until told to do exactly k reads of `size` bytes.
  const w = new Workload(t, [py, '-c', READ_WORKLOAD, String(k), String(size)]);
  await w.waitForLine('ready');
  const h = startTsbpf(['-e', 'tracepoint:syscalls:sys_exit_read /pid == $1/ { @calls = count(); @bytes = sum(args.ret); } interval:s:1 { exit(); }', String(w.pid)], { t });
  await h.attached;
  w.signal('SIGUSR1');
  await w.waitForLine('done');
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(mapLines(r.stdout), [`@bytes: ${k * size}`, `@calls: ${k}`], describeRun(r));
  t.true(stderrLines(r.stderr).includes('Attached 2 probes'), describeRun(r));
}, { needs: needsPython3 });

// ------------------------------------------------------------------------------ builtins and maps

kernelTest('uid, pid, tid, cpu, nsecs from a tracepoint; exit() inside the tracepoint', async (t) => {
  const w = openWorkload(t);
  const asNobody = haveSetpriv();
  const wantUid = asNobody ? 65534 : 0;
  const h = startTsbpf(
    ['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}" && str(args.filename) == "${w.file}"/ { printf("%d %d %d %d %llu\\n", uid, pid, tid, cpu, nsecs); exit(); }`],
    { t },
  );
  await h.attached;
  const before = process.hrtime.bigint();
  const [pid] = await w.run(1, asNobody ? AS_NOBODY : []);
  const after = process.hrtime.bigint();
  const r = await h.exited; // exit() in the probe ends the run by itself
  t.is(r.code, 0, describeRun(r));
  const line = r.stdout.split('\n')[0]!;
  const m = /^(\d+) (\d+) (\d+) (\d+) (\d+)$/.exec(line);
  if (!m) return t.fail(describeRun(r));
  const [uid, gotPid, tid, cpu, nsecs] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), BigInt(m[5]!)];
  t.is(uid, wantUid);
  t.is(gotPid, pid);
  t.is(tid, pid, 'cat is single-threaded: tid == pid');
  t.true(cpu >= 0 && cpu < cpus().length, `cpu ${cpu}`);
  // nsecs is CLOCK_MONOTONIC, as is process.hrtime: the event lies between the two readings.
  t.true(nsecs >= before && nsecs <= after, `nsecs ${nsecs} not within [${before}, ${after}]`);
  t.is(r.stdout, `${line}\n\n\n`, describeRun(r));
});

kernelTest('keyed and scalar maps print at exit, sorted by name then ascending value', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { @k["b"] = 1; @k["a"] = 2; @k["c"] = 0; @n[7] = 3; @n[-2] = 1; @s = 5; @c = count(); @c = count(); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n@c: 2\n@k[c]: 0\n@k[b]: 1\n@k[a]: 2\n@n[-2]: 1\n@n[7]: 3\n@s: 5\n', describeRun(r));
});

kernelTest('keyed maps filled from a tracepoint: @m[comm, pid] and @pids[pid]', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(
    ['-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}" && str(args.filename) == "${w.file}"/ { @m[comm, pid] = count(); @pids[pid] = sum(1); }`],
    { t },
  );
  await h.attached;
  const pids = await w.run(2);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const lines = mapLines(r.stdout);
  t.deepEqual(lines.filter((l) => l.startsWith('@m[')).sort(), pids.map((p) => `@m[${w.comm}, ${p}]: 1`).sort(), describeRun(r));
  t.deepEqual(lines.filter((l) => l.startsWith('@pids[')).sort(), pids.map((p) => `@pids[${p}]: 1`).sort(), describeRun(r));
});

kernelTest('END runs at exit and its printf is printed before the map dump', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { @s = 5; exit(); } END { printf("end %d\\n", 7); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'end 7\n\n\n@s: 5\n', describeRun(r));
});

kernelTest('END runs after SIGINT', async (t) => {
  const h = startTsbpf(['-e', 'interval:ms:50 { @ticks++; } END { printf("end\\n"); }'], { t });
  await h.attached;
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /^end\n\n\n/, describeRun(r));
});

kernelTest('interval:ms:N fires repeatedly; exit() from it ends the run', async (t) => {
  const r = await runTsbpf(['-e', 'interval:ms:50 { @i++; printf("tick %d\\n", @i); if (@i == 3) { exit(); } }']);
  t.is(r.code, 0, describeRun(r));
  // Events after exit() are not handled; the kernel may still have counted one more tick.
  t.true(r.stdout.startsWith('tick 1\ntick 2\ntick 3\n\n\n@i: '), describeRun(r));
  const i = Number(/^@i: (\d+)$/m.exec(r.stdout)?.[1]);
  t.true(i >= 3, describeRun(r));
});

kernelTest('exit(code) sets the exit status', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { exit(3); }']);
  t.is(r.code, 3, describeRun(r));
});

// ------------------------------------------------------------------------------ kprobes (absent here)

kernelTest('kprobe action form: --verify loads and verifies without attaching', async (t) => {
  const r = await runTsbpf(['--verify', '-e', 'kprobe:tcp_set_state < @[comm]++ >']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '');
  t.notRegex(r.stderr, /ERROR/);
});

kernelTest('kprobe attach: a clear error and a tracepoint hint where kprobes are missing', async (t) => {
  if (kernelHasKprobes()) {
    // This kernel has kprobes: the probe must attach instead.
    const h = startTsbpf(['-e', 'kprobe:tcp_set_state < @[comm]++ >'], { t });
    await h.attached;
    const r = await h.stop('SIGINT');
    t.is(r.code, 0, describeRun(r));
    return;
  }
  const r = await runTsbpf(['-e', 'kprobe:tcp_set_state < @[comm]++ >']);
  t.is(r.code, 1, describeRun(r));
  const lines = stderrLines(r.stderr);
  const errors = lines.filter((l) => l.startsWith('ERROR:'));
  t.is(errors.length, 1, describeRun(r));
  t.regex(errors[0] ?? '', /kprobe:tcp_set_state/);
  t.regex(errors[0] ?? '', /kprobe support/);
  const hints = lines.filter((l) => l.startsWith('HINT:'));
  t.is(hints.length, 1, describeRun(r));
  t.regex(hints[0] ?? '', /tracepoint:sock:inet_sock_set_state/);
  t.notRegex(r.stderr, STACK_FRAME);
  t.is(r.stdout, '');
  t.false(lines.includes(NOTIFY_VAR), 'nothing was attached: no notification');
});

// ------------------------------------------------------------------------------ flags

kernelTest('--dry-run attaches, prints the banner and exits 0', async (t) => {
  const r = await runTsbpf(['--dry-run', '-e', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.true(stderrLines(r.stderr).includes('Attached 2 probes'), describeRun(r));
  t.is(r.stdout, '');
});

kernelTest('the notify variable: its name printed exactly once, after every probe is attached', async (t) => {
  const h = startTsbpf(['-e', 'BEGIN { @b = 1; } tracepoint:syscalls:sys_enter_openat { @o = count(); } interval:ms:200 { @t = 1; }'], { t });
  await h.attached;
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const lines = stderrLines(r.stderr);
  t.is(lines.filter((l) => l === NOTIFY_VAR).length, 1, describeRun(r));
  t.true(lines.includes('Attached 3 probes'), describeRun(r));
  t.false(r.stdout.includes(NOTIFY_VAR));
});

kernelTest('-q keeps the banner quiet', async (t) => {
  const r = await runTsbpf(['-q', '-e', 'BEGIN { printf("x\\n"); exit(); }'], { env: { [NOTIFY_VAR]: undefined } });
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'x\n\n\n');
  t.false(r.stderr.includes('Attached'), describeRun(r));
});

kernelTest('-f json: attached_probes, printf and map lines, each one JSON object', async (t) => {
  const r = await runTsbpf(['-f', 'json', '-e', 'BEGIN { printf("hi %d\\n", 5); @m["k"] = 3; @s = sum(4); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const events = lines.map((l) => JSON.parse(l) as { type: string; data: unknown });
  t.deepEqual(events.map((e) => e.type), ['attached_probes', 'printf', 'map', 'map'], describeRun(r));
  t.deepEqual(events[0]!.data, { probes: 1 });
  t.is(events[1]!.data, 'hi 5\n');
  t.deepEqual(events[2]!.data, { '@m': { k: 3 } });
  t.deepEqual(events[3]!.data, { '@s': 4 });
});

kernelTest('-f json: a tracepoint map with a string key', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(['-f', 'json', '-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}" && str(args.filename) == "${w.file}"/ { @[comm] = count(); }`], { t });
  await h.attached;
  await w.run(2);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const events = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; data: unknown });
  t.deepEqual(events.filter((e) => e.type === 'map'), [{ type: 'map', data: { '@': { [w.comm]: 2 } } }], describeRun(r));
});

kernelTest('-o FILE: program output goes to the file, not stdout', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'out.txt');
  const r = await runTsbpf(['-o', file, '-e', 'BEGIN { printf("to file %d\\n", 7); @a = count(); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '');
  t.is(readFileSync(file, 'utf8'), 'to file 7\n\n\n@a: 1\n');
  t.true(stderrLines(r.stderr).includes('Attached 1 probe'), describeRun(r));
});

kernelTest('a script file with positional parameters', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'hello.tbpf');
  writeFileSync(file, 'BEGIN {\n  printf("%s %d\\n", str($1), $2);\n  exit();\n}\n');
  const r = await runTsbpf([file, 'abc', '42']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'abc 42\n\n\n');
});

kernelTest('a program on stdin (-)', async (t) => {
  const r = await runTsbpf(['-'], { input: 'BEGIN { printf("from stdin\\n"); exit(); }' });
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'from stdin\n\n\n');
});

kernelTest('a compile-cache hit behaves exactly like the first (compiling) run, and so does --no-cache', async (t) => {
  // Unique text, so the first run cannot hit an entry another test made.
  const script = `BEGIN { printf("%s %d %llu\\n", "c${uniqueTag(6)}", -5, 18446744073709551615); @m["k", 2] = 3; @h = hist(1000); @x = sum(-4); exit(); }`;
  const first = await runTsbpf(['-e', script]);
  const second = await runTsbpf(['-e', script]);
  const uncached = await runTsbpf(['--no-cache', '-e', script]);
  t.is(first.code, 0, describeRun(first));
  t.is(second.code, 0, describeRun(second));
  t.is(uncached.code, 0, describeRun(uncached));
  t.is(second.stdout, first.stdout);
  t.is(uncached.stdout, first.stdout);
  t.regex(first.stdout, /^c[0-9a-f]{6} -5 18446744073709551615\n/, describeRun(first));
  t.true(mapLines(first.stdout).includes('@m[k, 2]: 3'), describeRun(first));
  t.true(mapLines(first.stdout).includes('@x: -4'), describeRun(first));
});

// ------------------------------------------------------------------------------ bad input

kernelTest('syntax error: exit 1, stdin:LINE:COL, the source line and a caret, no stack', async (t) => {
  const src = 'BEGIN { @x = 1 +; }';
  const r = await runTsbpf(['-e', src]);
  t.is(r.code, 1, describeRun(r));
  const col = src.indexOf(';') + 1;
  t.regex(r.stderr, new RegExp(`^stdin:1:${col}(-\\d+)?: ERROR: `, 'm'));
  t.true(stderrLines(r.stderr).includes(src), describeRun(r));
  t.is(caretColumn(r.stderr), col, describeRun(r));
  t.notRegex(r.stderr, STACK_FRAME);
  t.is(r.stdout, '');
});

kernelTest('unknown tracepoint: one clear ERROR line, exit 1', async (t) => {
  const r = await runTsbpf(['-e', 'tracepoint:syscalls:sys_enter_nope_nope { @ = count(); }']);
  t.is(r.code, 1, describeRun(r));
  const errors = stderrLines(r.stderr).filter((l) => l.includes('ERROR'));
  t.is(errors.length, 1, describeRun(r));
  t.regex(errors[0] ?? '', /^stdin:1:1(-\d+)?: ERROR: .*sys_enter_nope_nope/);
  t.notRegex(r.stderr, STACK_FRAME);
});

kernelTest('map type misuse: error with a caret under the second assignment, exit 1', async (t) => {
  const src = 'BEGIN { @x = count(); @x = "a"; }';
  const r = await runTsbpf(['-e', src]);
  t.is(r.code, 1, describeRun(r));
  const col = src.indexOf('@x = "a"') + 1;
  t.regex(r.stderr, new RegExp(`^stdin:1:${col}(-\\d+)?: ERROR: `, 'm'), describeRun(r));
  t.is(caretColumn(r.stderr), col, describeRun(r));
  t.notRegex(r.stderr, STACK_FRAME);
});

kernelTest('a script file with an error: the file path in file:line:col', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'bad.tbpf');
  writeFileSync(file, 'BEGIN {\n  @x = count();\n  @x = "a";\n}\n');
  const r = await runTsbpf([file]);
  t.is(r.code, 1, describeRun(r));
  t.true(r.stderr.startsWith(`${file}:3:3`), describeRun(r));
  t.true(stderrLines(r.stderr).includes('  @x = "a";'), describeRun(r));
  t.is(caretColumn(r.stderr), 3, describeRun(r));
});

kernelTest('a missing script file: one ERROR line, exit 1', async (t) => {
  const r = await runTsbpf([join(REPO_ROOT, 'no-such-script.tbpf')]);
  t.is(r.code, 1, describeRun(r));
  t.regex(stderrLines(r.stderr)[0] ?? '', /^ERROR: .*no-such-script\.tbpf/);
  t.notRegex(r.stderr, STACK_FRAME);
});

kernelTest('not root: ERROR naming root, exit 1', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { exit(); }'], { wrap: AS_NOBODY, cwd: '/' });
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /^ERROR: .*root/m, describeRun(r));
  t.notRegex(r.stderr, STACK_FRAME);
  t.is(r.stdout, '');
}, { needs: () => (haveSetpriv() ? undefined : 'setpriv cannot switch to uid 65534 here') });
