/**
 * uprobe, uretprobe and usdt against our own test program (test/fixtures/user-probes/probe-target.c),
 * plus -c/cpid and -p. Every expected line follows from the program's source.
 */
import { spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { buildProbeTarget, whyNoProbeTarget, type ProbeTarget } from '../helpers/probe-target.js';
import { describeRun, exec, kernelTest, runTsbpf, scratchDir, startTsbpf } from '../helpers/tsbpf.js';

function userTest(title: string, impl: (t: ExecutionContext) => Promise<void>): void {
  kernelTest(title, impl, { needs: whyNoProbeTarget });
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

/** Start tsbpf on `program`, wait until attached, run the target `n` times, stop when `last` was printed. */
async function traceRun(t: ExecutionContext, program: string, target: ProbeTarget, n: number, last: RegExp): Promise<string[]> {
  const h = startTsbpf(['-e', program], { t });
  await h.attached;
  const r = await exec([target.path, String(n)]);
  t.is(r.code, 0, r.stderr);
  await h.waitForStdout(last);
  const res = await h.stop('SIGINT');
  t.is(res.code, 0, describeRun(res));
  return lines(res.stdout);
}

userTest('uprobe and uretprobe: arguments, return values and user strings, in order', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const p = target.path;
  const out = await traceRun(
    t,
    `uprobe:${p}:tsbpf_add { printf("add %d %d\\n", arg0, arg1); }
     uretprobe:${p}:tsbpf_add { printf("ret %d\\n", retval); }
     uprobe:${p}:tsbpf_greet { printf("greet %s %s\\n", str(arg0), probe); }`,
    target,
    3,
    /greet world[^]*greet world[^]*greet world.*\n/,
  );
  const expected: string[] = [];
  for (let i = 0; i < 3; i++) expected.push(`add ${i} 10`, `ret ${i + 10}`, `greet world uprobe:${p}:tsbpf_greet`);
  t.deepEqual(out.slice(0, 9), expected);
});

userTest('uprobe wildcard expands to every matching function', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const h = startTsbpf(['-e', `uprobe:${target.path}:tsbpf_* { @[probe] = count(); }`], { t });
  await h.attached;
  t.regex(h.stderr, /Attached 3 probes/);
  await exec([target.path, '4']);
  const res = await h.stop('SIGINT');
  for (const f of ['tsbpf_add', 'tsbpf_greet', 'tsbpf_mul']) t.true(res.stdout.includes(`@[uprobe:${target.path}:${f}]: 4\n`), describeRun(res));
});

userTest('uprobe on a library short form (libc) resolves and attaches', async (t) => {
  const r = await runTsbpf(['--dry-run', '-e', 'uprobe:libc:malloc { @ = count(); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /Attached 1 probe\n/);
});

userTest('uprobe on a missing function or file is a compile error', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const r1 = await runTsbpf(['-e', `uprobe:${target.path}:no_such_function { exit(); }`]);
  t.is(r1.code, 1);
  t.regex(r1.stderr, /Could not resolve symbol: /);
  const r2 = await runTsbpf(['-e', 'uprobe:/nonexistent/binary:f { exit(); }']);
  t.is(r2.code, 1);
  t.regex(r2.stderr, /does not exist or is not executable/);
  const r3 = await runTsbpf(['-e', `uretprobe:${target.path}:tsbpf_add+1 { exit(); }`]);
  t.is(r3.code, 1);
  t.regex(r3.stderr, /uretprobes can not be attached to a function offset/);
});

for (const opt of ['O0', 'O2'] as const) {
  userTest(`usdt (${opt}): register, memory and constant operands, strings and a semaphore-guarded probe`, async (t) => {
    const target = buildProbeTarget(scratchDir(t), opt);
    const p = target.path;
    const out = await traceRun(
      t,
      `usdt:${p}:tsbpf:loop { printf("loop %d %lld %d\\n", arg0, arg1, arg2); }
       usdt:${p}:tsbpf:point { printf("point %lld %d\\n", arg0, arg1); }
       usdt:${p}:tsbpf:str { printf("str %s\\n", str(arg0)); }
       usdt:${p}:tsbpf_target:guarded { printf("guarded %d\\n", arg0); }`,
      target,
      2,
      /guarded 1\n/,
    );
    t.deepEqual(out, [
      'loop 0 1234567890123 -5', 'point 100 -7', 'str hello', 'guarded 0',
      'loop 1 1234567890124 -6', 'point 101 -7', 'str hello', 'guarded 1',
    ]);
  });
}

userTest('-c runs the command once probes are attached, cpid is its pid, tsbpf exits when it ends', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const r = await runTsbpf(['-c', `${target.path} 2`, '-e',
    `uprobe:${target.path}:tsbpf_add /pid == cpid/ { printf("add %d\\n", arg0); }
     rawtracepoint:sched_process_exec { printf("exec %d\\n", pid == cpid); }`]);
  t.is(r.code, 0, describeRun(r));
  const out = lines(r.stdout);
  t.deepEqual(out.filter((l) => /^(add|exec) /.test(l)), ['exec 1', 'add 0', 'add 1']);
  t.true(out.includes('done 2'), 'the child prints to the same stdout');
});

userTest('-p traces one process (uprobe:func short form, implicit pid filter) and exits when it does', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const child = spawn(target.path, ['2', 'wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  const childExit = new Promise<void>((r) => child.on('exit', () => r()));
  const h = startTsbpf(['-p', String(child.pid), '-e',
    `uprobe:tsbpf_mul { printf("mul %d %d %d\\n", arg0, arg1, arg2); }
     tracepoint:syscalls:sys_enter_exit_group { printf("exit_group %d\\n", pid == ${child.pid}); }`], { t });
  await h.attached;
  // Another run of the same binary must not be seen: the probes are on the -p process only.
  await exec([target.path, '1']);
  child.stdin!.end('go\n');
  await childExit;
  const r = await h.exited;
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => /^(mul|exit_group) /.test(l)), ['mul 0 2 3', 'mul 1 2 3', 'exit_group 1']);
});

kernelTest('-p with a pid that does not exist is an error', async (t) => {
  const r = await runTsbpf(['-p', '4194000', '-e', 'BEGIN { exit(); }']);
  t.is(r.code, 1);
  t.regex(r.stderr, /Failed to attach to pid: Unable to open pidfd \(No such process\)/);
});
