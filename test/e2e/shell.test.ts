/**
 * The interactive shell in a real pseudo-terminal (tmux runs bin/tsbpf.js): what needs a terminal,
 * Tab completion, `.watch` redrawn in place and stopped by Ctrl-C, and history recalled with Up.
 * Everything else is driven through streams in shell-stream.test.ts.
 *
 * Serial: one tmux shell at a time (each holds the kernel's run-time statistics on while it runs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { kernelTest } from '../helpers/tsbpf.js';
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

shellTest('history persists: a new shell with the same home recalls the last line with Up', async (t) => {
  const sh = await started(t);
  await sh.run('interval:s:1000 { @loaded = 1; }');
  await sh.run('.detach 1');
  await sh.run('@loaded');
  sh.press('C-d');
  t.is(await sh.exited(), 0);
  t.true(existsSync(join(sh.home, '.tsbpf_history')));
  t.true(sh.history().includes('.detach 1'), sh.history());

  const sh2 = new TmuxShell(t, { home: sh.home });
  await sh2.waitFor('tsbpf> ');
  sh2.press('Up');
  await sh2.waitFor('tsbpf> @loaded');
  sh2.press('C-c');
  sh2.press('C-d');
  t.is(await sh2.exited(), 0);
});

shellTest('input is coloured as it is typed: attach points, maps, strings, keywords, functions, builtins; editing keeps it right', async (t) => {
  const sh = await started(t);
  sh.type('@n = 3; if (pid > 0) { printf("%d\\n", @n * 2); }');
  const esc = '\x1b[';
  const screen = await sh.waitFor(() => sh.colouredScreen().includes(`${esc}32m"%d\\n"`), 10_000).then(() => sh.colouredScreen());
  t.true(screen.includes(`${esc}33m@n`), screen);
  t.regex(screen, /\x1b\[1m\x1b\[34mif|\x1b\[34;1mif|\x1b\[1;34mif/, 'a keyword');
  t.true(screen.includes(`${esc}36mpid`), 'a builtin');
  t.true(screen.includes(`${esc}34mprintf`), 'a function');
  // Backspace over the last characters and type others: the line is redrawn, still coloured.
  sh.press('BSpace', 'BSpace', 'BSpace', 'BSpace');
  await sh.waitFor(/tsbpf> @n = 3; if \(pid > 0\) \{ printf\("%d\\n", @n \* 2$/m);
  sh.type(' + @n); }');
  await sh.waitFor(() => sh.colouredScreen().includes(`+ ${esc}33m@n${esc}39m); }`));
  sh.press('Enter');
  await sh.waitFor(/^9$/m);
  sh.type('tracepoint:syscalls:sys_enter_openat { }');
  await sh.waitFor(() => sh.colouredScreen().includes(`${esc}35mtracepoint:syscalls:sys_enter_openat`));
  sh.press('C-c');
  sh.press('C-d');
  t.is(await sh.exited(), 0);
});
