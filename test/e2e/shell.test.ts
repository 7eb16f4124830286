/**
 * The interactive shell, driven in a real pseudo-terminal (tmux): probes attach live while the
 * test makes events, `.probes` counts them, `.detach`, completion, errors that leave the session
 * working, Ctrl-C in `.watch`, and a clean kernel after Ctrl-D / `.quit`.
 *
 * Serial: each shell turns kernel.bpf_stats_enabled on and restores it when it ends.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { bpf } from '../../native/index.js';
import { bpfObjectsOf, eventually, kernelHasKprobes, kernelTest, openWorkload, runTsbpf } from '../helpers/tsbpf.js';
import { haveTmux, TmuxShell } from '../helpers/tmux-shell.js';

const serial = { serial: true } as const;

function shellTest(title: string, impl: (t: ExecutionContext) => Promise<void>): void {
  kernelTest(title, impl, { ...serial, needs: () => (haveTmux() ? undefined : 'tmux is not installed') });
}

async function started(t: ExecutionContext): Promise<TmuxShell> {
  const sh = new TmuxShell(t);
  await sh.waitFor('tsbpf> ');
  return sh;
}

shellTest('a probe typed in the shell attaches live; @name prints its map; .probes counts hits; .detach', async (t) => {
  const w = openWorkload(t);
  const sh = await started(t);
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @opens = count(); }`);
  t.regex(sh.screen(), /\[1\] attached tracepoint:syscalls:sys_enter_openat/);

  await w.run(3);
  // cat opens its file (and maybe libraries): at least 3 openat calls from our comm.
  const n = Number(/@opens: (\d+)/.exec(await sh.run('@opens'))?.[1]);
  t.true(n >= 3, sh.screen());

  const row = /^\s*1\s+(\d+)\s+tracepoint:syscalls:sys_enter_openat$/m.exec(await sh.run('.probes'));
  t.truthy(row, sh.screen());
  t.true(Number(row![1]) >= n, 'the hit count includes every run of the program');

  t.regex(await sh.run('.detach 1'), /\[1\] detached tracepoint:syscalls:sys_enter_openat/);
  await w.run(2);
  t.is(Number(/@opens: (\d+)/.exec(await sh.run('@opens'))?.[1]), n, 'no counting after .detach');
  t.regex(await sh.run('.probes'), /no probes attached/);
  sh.press('C-d');
  t.is(await sh.exited(), 0);
});

shellTest('multi-line < > input, then errors (syntax, type, attach) leave the earlier probe working', async (t) => {
  const w = openWorkload(t);
  const sh = await started(t);
  sh.line(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ <`);
  await sh.waitFor(/^\.\.\./m);
  sh.line('@[comm] = count();');
  await sh.run('>');
  t.regex(sh.screen(), /\[1\] attached tracepoint:syscalls:sys_enter_openat/);

  t.regex(await sh.run('tracepoint:syscalls:sys_enter_close { @[comm] = "x"; }'), /ERROR/);
  t.regex(await sh.run('tracepoint:syscalls:sys_enter_close { @[comm] = count( }'), /ERROR/);
  if (!kernelHasKprobes()) t.regex(await sh.run('kprobe:vfs_read { @reads = count(); }'), /ERROR: .*kprobe/);
  t.regex(await sh.run('tracepoint:nosuchcat:nosuchevent { @z = count(); }'), /ERROR/);

  await w.run(2);
  t.regex(await sh.run('@'), new RegExp(`@\\[${w.comm}\\]: [2-9]`));
  const probes = await sh.run('.probes');
  t.regex(probes, /^\s*1\s+\d+\s+tracepoint:syscalls:sys_enter_openat$/m);
  t.notRegex(probes, /^\s*2\s/m, 'failed entries get no id');
  sh.line('.quit');
  t.is(await sh.exited(), 0);
});

shellTest('maps are shared between probes entered separately; .maps, .clear, .zero', async (t) => {
  const w = openWorkload(t);
  const sh = await started(t);
  // Keys of one size: a longer string key would change @calls' layout, which the loaded probe uses (an error).
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @calls["opens"] = count(); }`);
  await sh.run(`tracepoint:syscalls:sys_enter_close /comm == "${w.comm}"/ { @calls["close"] = count(); @last = pid; }`);
  t.regex(sh.screen(), /\[2\] attached tracepoint:syscalls:sys_enter_close/);
  await w.run(1);
  const out = await sh.run('@calls');
  t.regex(out, /@calls\[opens\]: \d+/);
  t.regex(out, /@calls\[close\]: \d+/);
  const maps = await sh.run('.maps');
  t.regex(maps, /@calls\s+count\s+2 entries/);
  t.regex(maps, /@last\s+\S+\s+1 entry/);
  await sh.run('.zero @calls');
  t.regex(await sh.run('@calls'), /@calls\[opens\]: 0/);
  await sh.run('.clear @calls');
  t.regex(await sh.run('@calls'), /@calls is empty/);
  await sh.run('.detach all');
  sh.press('C-d');
  t.is(await sh.exited(), 0);
});

shellTest('Tab completes probe types, tracepoints, builtins, functions, maps, args fields and commands', async (t) => {
  const sh = await started(t);
  sh.type('tracepoint:sysc');
  sh.press('Tab');
  await sh.waitFor('tsbpf> tracepoint:syscalls:');
  sh.type('sys_enter_opena');
  sh.press('Tab');
  await sh.waitFor('tsbpf> tracepoint:syscalls:sys_enter_openat');
  sh.type(' { @files[args.filen');
  sh.press('Tab');
  await sh.waitFor('{ @files[args.filename');
  sh.type('] = cou');
  sh.press('Tab');
  await sh.waitFor('args.filename] = count');
  sh.type('(); printf("%d\\n", pi');
  sh.press('Tab');
  await sh.waitFor('printf("%d\\n", pid');
  sh.press('C-c');
  await sh.waitFor(/\^C\ntsbpf>\s*$/);

  sh.type('.wat');
  sh.press('Tab');
  await sh.waitFor('tsbpf> .watch');
  sh.press('C-c');
  sh.type('interv');
  sh.press('Tab');
  await sh.waitFor('tsbpf> interval:');
  sh.press('C-c');
  t.pass();
  sh.press('C-d');
  t.is(await sh.exited(), 0);
});

shellTest('.watch redraws a map until Ctrl-C, which stops the watch and not the shell', async (t) => {
  const sh = await started(t);
  await sh.run('interval:ms:100 { @ticks = count(); }');
  sh.line('.watch @ticks 0.2');
  const lastValue = (s: string): number => Number(/@ticks: (\d+)\n[^@]*$/.exec(s)?.[1] ?? -1);
  const first = lastValue(await sh.waitFor((s) => /Every 0\.2s: @ticks/.test(s) && lastValue(s) >= 0));
  // The map is redrawn in place with growing values.
  const later = await sh.waitFor((s) => lastValue(s) > first);
  t.is(later.split('Every 0.2s').length - 1, 1, 'one frame on the screen, redrawn in place');
  sh.press('C-c');
  await sh.waitFor(/tsbpf>\s*$/);
  t.regex(await sh.run('.probes'), /interval:ms:100/);
  // Enter stops a watch too.
  sh.line('.watch @ticks');
  await sh.waitFor(/Every 1s: @ticks/);
  const prompts = sh.prompts();
  sh.press('Enter');
  await sh.waitFor((s) => sh.prompts(s) > prompts);
  sh.line('.quit');
  t.is(await sh.exited(), 0);
  // The exit prints the maps, as a script's exit does.
  t.regex(sh.screen(), /@ticks: \d+\n/);
});

shellTest('Ctrl-D detaches everything, prints the maps and leaves nothing loaded', async (t) => {
  const w = openWorkload(t);
  const statsBefore = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
  const sh = await started(t);
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @exitmap[comm] = count(); }`);
  await sh.run('BEGIN { printf("hello from BEGIN\\n"); }');
  t.regex(sh.screen(), /hello from BEGIN/);
  await sh.run('END { printf("bye from END\\n"); }');
  await w.run(1);
  const pid = sh.tsbpfPid();
  t.truthy(pid);
  const held = bpfObjectsOf(pid!);
  t.true(held.progIds.length >= 1 && held.mapIds.length >= 1, JSON.stringify(held));
  t.is(readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim(), '1');
  sh.press('C-d');
  t.is(await sh.exited(), 0);
  const s = sh.screen();
  t.regex(s, /bye from END/);
  t.regex(s, new RegExp(`@exitmap\\[${w.comm}\\]: \\d+`));
  t.true(
    await eventually(() => held.progIds.every((id) => bpf.progInfoById(id) === null) && held.mapIds.every((id) => bpf.mapInfoById(id) === null)),
    'every program and map of the shell is gone',
  );
  t.is(readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim(), statsBefore, 'bpf_stats_enabled is restored');
});

shellTest('.save writes what is attached as a script that runs; .load attaches a file; history persists', async (t) => {
  const w = openWorkload(t);
  const sh = await started(t);
  const saved = join(w.dir, 'saved.tbpf');
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @saved = count(); }`);
  await sh.run('interval:s:1000 { @never = 1; }');
  await sh.run('.detach 2');
  t.regex(await sh.run(`.save ${saved}`), /saved 1 probe/);
  const text = readFileSync(saved, 'utf8');
  t.true(text.startsWith('#!/usr/bin/env tsbpf\n'));
  t.true(text.includes('@saved = count()'));
  t.false(text.includes('@never'), 'detached probes are not saved');

  const file = join(w.dir, 'load.tbpf');
  writeFileSync(file, `#!/usr/bin/env tsbpf\n// a comment\ntracepoint:syscalls:sys_enter_close /comm == "${w.comm}"/ { @loaded = count(); }\n`);
  t.regex(await sh.run(`.load ${file}`), /\[3\] attached tracepoint:syscalls:sys_enter_close/);
  await w.run(1);
  t.regex(await sh.run('@loaded'), /@loaded: [1-9]/);
  sh.press('C-d');
  t.is(await sh.exited(), 0);
  t.true(existsSync(join(sh.home, '.tsbpf_history')));
  t.true(sh.history().includes('.detach 2'), sh.history());

  // The saved script runs as a script.
  const run = await runTsbpf([saved, '--dry-run']);
  t.is(run.code, 0, run.stderr);

  // A new shell with the same home has the history: Up recalls the last line.
  const sh2 = new TmuxShell(t, { home: sh.home });
  await sh2.waitFor('tsbpf> ');
  sh2.press('Up');
  await sh2.waitFor('tsbpf> @loaded');
  sh2.press('C-c');
  sh2.press('C-d');
  t.is(await sh2.exited(), 0);
});

shellTest('a probe calling exit() ends the shell with its maps printed', async (t) => {
  const sh = await started(t);
  await sh.run('interval:ms:50 { @n = count(); }');
  sh.line('interval:ms:300 { exit(); }');
  t.is(await sh.exited(), 0);
  t.regex(sh.screen(), /exit\(\) called/);
  t.regex(sh.screen(), /@n: \d+/);
});

/** The compile worker a tsbpf process is running now, if any. */
function compileWorkerOf(pid: number): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('compile-worker')) return Number(e);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

shellTest('a crash of the compiler is reported and the shell goes on with its probes attached', async (t) => {
  const w = openWorkload(t);
  const sh = new TmuxShell(t, { args: ['--no-cache'] });
  await sh.waitFor('tsbpf> ');
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @before = count(); }`);
  const pid = sh.tsbpfPid()!;
  const prompts = sh.prompts();
  sh.line('tracepoint:syscalls:sys_enter_close { @crash = count(); }');
  let worker: number | undefined;
  await eventually(() => (worker = compileWorkerOf(pid)) !== undefined, 20_000, 2);
  t.truthy(worker, 'caught the compile worker running');
  process.kill(worker!, 'SIGKILL');
  const screen = await sh.waitFor((s) => sh.prompts(s) > prompts);
  t.regex(screen, /ERROR: internal compiler error: .*(crash|SIGKILL)/);
  await w.run(1);
  t.regex(await sh.run('@before'), /@before: [1-9]/);
  const probes = await sh.run('.probes');
  t.regex(probes, /^\s*1\s+\d+\s+tracepoint:syscalls:sys_enter_openat$/m);
  t.notRegex(probes, /sys_enter_close/);
  sh.press('C-d');
  t.is(await sh.exited(), 0);
});
