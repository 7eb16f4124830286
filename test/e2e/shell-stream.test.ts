/**
 * The interactive shell driven through streams (runtime/shell/shell.ts `Shell.start` on
 * PassThrough streams, in this process): probes typed in attach live to the real kernel while the
 * test makes events; `.probes` counts them, `.detach`, `.maps`, `@name`, `.clear`, `.zero`,
 * `.help`, `.save`/`.load` (and `.save` refusing links, asking before overwriting: it writes as
 * root); errors leave the session working; Ctrl-D (end of input) detaches and
 * leaves nothing loaded. What needs a real terminal (Tab, `.watch` redrawn in place, history
 * recalled with Up) stays in shell.test.ts under tmux.
 *
 * Serial: each shell turns kernel.bpf_stats_enabled on and restores it when it ends.
 */
import { readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { bpf } from '../../native/index.js';
import { bpfObjectsOf, eventually, kernelHasKprobes, kernelTest, openWorkload, runTsbpf, scratchDir } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';
import { makeHostVethPair, sendUdp, whyNoNetns } from '../helpers/netns.js';
import { spawnSync } from 'node:child_process';

function shellTest(title: string, impl: (t: ExecutionContext) => Promise<void>): void {
  kernelTest(title, impl, { serial: true });
}

shellTest('a probe typed in the shell attaches live; @name prints its map; .probes counts hits; .detach', async (t) => {
  const w = openWorkload(t);
  const sh = await StreamShell.start(t);
  t.regex((await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @opens = count(); }`)).out, /\[1\] attached tracepoint:syscalls:sys_enter_openat/);

  await w.run(3);
  // cat opens its file (and maybe libraries): at least 3 openat calls from our comm.
  const n = Number(/@opens: (\d+)/.exec((await sh.run('@opens')).out)?.[1]);
  t.true(n >= 3, sh.out);

  const row = /^\s*1\s+(\d+)\s+(\d+(?:\.\d)?)\s+(\d+|-)\s+tracepoint:syscalls:sys_enter_openat$/m.exec((await sh.run('.probes')).out);
  t.truthy(row, sh.out);
  t.true(Number(row![1]) >= n, 'the hit count includes every run of the program');
  t.true(Number(row![2]) > 0, 'events per second since the attach');
  t.regex(row![3]!, /^\d+$/, 'ns per event of the runs since the attach');
  const header = /\bID\s+HITS\s+EVENTS\/S\s+NS\/EVENT\s+PROBE$/m;
  t.regex(sh.out, header);
  await w.run(2);
  const again = /^\s*1\s+(\d+)\s+(\d+(?:\.\d)?)\s+(\d+|-)\s+tracepoint:syscalls:sys_enter_openat$/m.exec((await sh.run('.probes')).out);
  t.true(Number(again![1]) >= Number(row![1]) + 2 && Number(again![2]) > 0, 'the rates cover the runs since the last .probes');
  const n2 = Number(/@opens: (\d+)/.exec((await sh.run('@opens')).out)?.[1]);

  t.regex((await sh.run('.detach 1')).out, /\[1\] detached tracepoint:syscalls:sys_enter_openat/);
  await w.run(2);
  t.is(Number(/@opens: (\d+)/.exec((await sh.run('@opens')).out)?.[1]), n2, 'no counting after .detach');
  t.regex((await sh.run('.probes')).out, /no probes attached/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('multi-line < > input, then errors (syntax, type, attach) leave the earlier probe working', async (t) => {
  const w = openWorkload(t);
  const sh = await StreamShell.start(t);
  sh.line(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ <`);
  await sh.waitFor(() => sh.out.includes('... '));
  sh.line('@[comm] = count();');
  t.regex((await sh.run('>')).out, /\[1\] attached tracepoint:syscalls:sys_enter_openat/);

  t.regex((await sh.run('tracepoint:syscalls:sys_enter_close { @[comm] = "x"; }')).err, /ERROR/);
  t.regex((await sh.run('tracepoint:syscalls:sys_enter_close { @[comm] = count( }')).err, /ERROR/);
  if (!kernelHasKprobes()) t.regex((await sh.run('kprobe:vfs_read { @reads = count(); }')).err, /ERROR: .*kprobe/);
  t.regex((await sh.run('tracepoint:nosuchcat:nosuchevent { @z = count(); }')).err, /ERROR/);
  t.regex((await sh.run('.detach 7')).err, /ERROR: no attached probe 7/);
  t.regex((await sh.run('.clear @nosuchmap')).err, /ERROR: no map named @nosuchmap/);
  t.regex((await sh.run('.watch')).err, /ERROR/);

  await w.run(2);
  t.regex((await sh.run('@')).out, new RegExp(`@\\[${w.comm}\\]: [2-9]`));
  const probes = (await sh.run('.probes')).out;
  t.regex(probes, /^\s*1\s+\d+\s+[\d.]+\s+(\d+|-)\s+tracepoint:syscalls:sys_enter_openat$/m);
  t.notRegex(probes, /^\s*2\s/m, 'failed entries get no id');
  sh.line('.quit');
  t.is(await sh.exited(), 0);
});

shellTest('maps are shared between probes entered separately; .maps, .clear, .zero', async (t) => {
  const w = openWorkload(t);
  const sh = await StreamShell.start(t);
  // Keys of one size: a longer string key would change @calls' layout, which the loaded probe uses (an error).
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @calls["opens"] = count(); }`);
  t.regex((await sh.run(`tracepoint:syscalls:sys_enter_close /comm == "${w.comm}"/ { @calls["close"] = count(); @last = pid; }`)).out, /\[2\] attached tracepoint:syscalls:sys_enter_close/);
  await w.run(1);
  const out = (await sh.run('@calls')).out;
  t.regex(out, /@calls\[opens\]: \d+/);
  t.regex(out, /@calls\[close\]: \d+/);
  const maps = (await sh.run('.maps')).out;
  t.regex(maps, /@calls\s+count\s+2 entries/);
  t.regex(maps, /@last\s+\S+\s+1 entry/);
  await sh.run('.zero @calls');
  t.regex((await sh.run('@calls')).out, /@calls\[opens\]: 0/);
  await sh.run('.clear @calls');
  t.regex((await sh.run('@calls')).out, /@calls is empty/);
  t.regex((await sh.run('.detach all')).out, /\[1\] detached .*\n.*\[2\] detached/);
  t.regex((await sh.run('.maps')).out, /@calls\s+count\s+0 entries/, 'maps stay after .detach');
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('.help lists every command; an unknown command is an error and the shell goes on', async (t) => {
  const sh = await StreamShell.start(t);
  const help = (await sh.run('.help')).out;
  for (const cmd of ['.probes', '.detach', '.maps', '.print', '.clear', '.zero', '.watch', '.list', '.load', '.save', '.quit']) t.true(help.includes(cmd), `${cmd} in .help:\n${help}`);
  t.is(await said(sh, '.help hist'), 'hist(int64 n[, int k]) -> hist_t\n  A power-of-two histogram of n; k (0-5) splits each power of two into 2^k buckets.\n');
  t.regex(await said(sh, '.help print'), /^print\(@map\[, int top\[, int div\]\]\)\nprint\(value\)\n  Prints a map/);
  t.is((await sh.run('.help nosuchfn')).err, 'ERROR: no function named nosuchfn (Tab after a few letters completes function names)\n');
  const unknown = await sh.run('.nosuchcommand');
  t.regex(unknown.out + unknown.err, /Invalid REPL keyword|nosuchcommand/);
  t.regex((await sh.run('.probes')).out, /no probes attached/);
  t.regex((await sh.run('.maps')).out, /no maps/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('Ctrl-D detaches everything, prints the maps and leaves nothing loaded', async (t) => {
  const w = openWorkload(t);
  const statsBefore = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
  const before = bpfObjectsOf(process.pid);
  const sh = await StreamShell.start(t);
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @exitmap[comm] = count(); }`);
  await sh.run('BEGIN { printf("hello from BEGIN\\n"); }');
  await sh.waitFor(() => sh.out.includes('hello from BEGIN'));
  await sh.run('END { printf("bye from END\\n"); }');
  await w.run(1);
  const now = bpfObjectsOf(process.pid);
  const held = { progIds: now.progIds.filter((id) => !before.progIds.includes(id)), mapIds: now.mapIds.filter((id) => !before.mapIds.includes(id)) };
  t.true(held.progIds.length >= 1 && held.mapIds.length >= 1, JSON.stringify(held));
  t.is(statsFds(), 1, 'the shell holds a BPF_ENABLE_STATS fd (run counts on) while it runs');
  t.is(readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim(), statsBefore, 'the sysctl is left alone');
  sh.ctrlD();
  t.is(await sh.exited(), 0);
  t.regex(sh.out, /bye from END/);
  t.regex(sh.out, new RegExp(`@exitmap\\[${w.comm}\\]: \\d+`));
  t.true(
    await eventually(() => held.progIds.every((id) => bpf.progInfoById(id) === null) && held.mapIds.every((id) => bpf.mapInfoById(id) === null)),
    'every program and map of the shell is gone',
  );
  t.is(readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim(), statsBefore, 'bpf_stats_enabled is restored');
  t.is(statsFds(), 0, 'the stats fd is closed');
});

/** This process's BPF_ENABLE_STATS fds (the stream shell runs in the test process). */
function statsFds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf-stats';
    } catch {
      return false;
    }
  }).length;
}

shellTest('.save writes what is attached as a script that runs; .load attaches a file', async (t) => {
  const w = openWorkload(t);
  const sh = await StreamShell.start(t);
  const saved = join(w.dir, 'saved.tbpf');
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @saved = count(); }`);
  await sh.run('interval:s:1000 { @never = 1; }');
  await sh.run('.detach 2');
  t.regex((await sh.run(`.save ${saved}`)).out, /saved 1 probe/);
  const text = readFileSync(saved, 'utf8');
  t.true(text.startsWith('#!/usr/bin/env tsbpf\n'));
  t.true(text.includes('@saved = count()'));
  t.false(text.includes('@never'), 'detached probes are not saved');

  const file = join(w.dir, 'load.tbpf');
  writeFileSync(file, `#!/usr/bin/env tsbpf\n// a comment\ntracepoint:syscalls:sys_enter_close /comm == "${w.comm}"/ { @loaded = count(); }\n`);
  t.regex((await sh.run(`.load ${file}`)).out, /\[3\] attached tracepoint:syscalls:sys_enter_close/);
  t.regex((await sh.run(`.load ${join(w.dir, 'missing.tbpf')}`)).err, /ERROR: cannot read .*missing\.tbpf: ENOENT/);
  await w.run(1);
  t.regex((await sh.run('@loaded')).out, /@loaded: [1-9]/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);

  // The saved script runs as a script.
  const run = await runTsbpf([saved, '--dry-run']);
  t.is(run.code, 0, run.stderr);
});

shellTest('a probe calling exit() ends the shell with its maps printed', async (t) => {
  const sh = await StreamShell.start(t);
  await sh.run('interval:ms:50 { @n = count(); }');
  sh.line('interval:ms:300 { exit(); }');
  t.is(await sh.exited(), 0);
  t.regex(sh.err, /exit\(\) called/);
  t.regex(sh.out, /@n: \d+/);
});

/** The compile worker a process is running now, if any. */
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
  const sh = await StreamShell.start(t, { noCache: true });
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @before = count(); }`);
  const reply = sh.run('tracepoint:syscalls:sys_enter_close { @crash = count(); }');
  let worker: number | undefined;
  await eventually(() => (worker = compileWorkerOf(process.pid)) !== undefined, 20_000, 2);
  t.truthy(worker, 'caught the compile worker running');
  process.kill(worker!, 'SIGKILL');
  t.regex((await reply).err, /ERROR: internal compiler error: .*(crash|SIGKILL)/);
  await w.run(1);
  t.regex((await sh.run('@before')).out, /@before: [1-9]/);
  const probes = (await sh.run('.probes')).out;
  t.regex(probes, /^\s*1\s+\d+\s+[\d.]+\s+(\d+|-)\s+tracepoint:syscalls:sys_enter_openat$/m);
  t.notRegex(probes, /sys_enter_close/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('.save: refuses a symbolic link, asks before overwriting, .save! forces, new files are private', async (t) => {
  const dir = scratchDir(t);
  const sh = await StreamShell.start(t);
  await sh.run('interval:s:1000 { @saved = 1; }');

  // A symbolic link (here to a file the attacker wants clobbered) is refused; the target is untouched.
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const link = join(dir, 'link.tbpf');
  symlinkSync(victim, link);
  t.regex((await sh.run(`.save ${link}`)).err, /ERROR: .*link\.tbpf is a symbolic link; not following it/);
  t.regex((await sh.run(`.save! ${link}`)).err, /ERROR: .*link\.tbpf is a symbolic link; not following it/);
  t.is(readFileSync(victim, 'utf8'), 'precious\n');

  // A new file: written, private.
  const file = join(dir, 'out.tbpf');
  t.regex((await sh.run(`.save ${file}`)).out, /saved 1 probe/);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.true(readFileSync(file, 'utf8').includes('@saved = 1'));

  // It exists now: .save asks; "n" keeps it.
  writeFileSync(file, 'keep me\n');
  sh.line(`.save ${file}`);
  await sh.waitFor(() => /out\.tbpf exists; overwrite it\? \[y\/N\] $/.test(sh.out));
  t.regex((await sh.run('n')).out, /not saved/);
  t.is(readFileSync(file, 'utf8'), 'keep me\n');
  // "y" overwrites.
  sh.line(`.save ${file}`);
  await sh.waitFor(() => (sh.out.match(/overwrite it\? \[y\/N\]/g) ?? []).length === 2);
  t.regex((await sh.run('y')).out, /saved 1 probe/);
  t.true(readFileSync(file, 'utf8').includes('@saved = 1'));
  // .save! does not ask.
  writeFileSync(file, 'again\n');
  t.regex((await sh.run(`.save! ${file}`)).out, /saved 1 probe/);
  t.true(readFileSync(file, 'utf8').includes('@saved = 1'));
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

/** What a line printed on stdout, without the next prompt. */
async function said(sh: StreamShell, line: string): Promise<string> {
  return (await sh.run(line)).out.replace(/tsbpf> $/, '');
}

shellTest('statements typed alone run once against the live maps; an expression alone prints its value', async (t) => {
  const w = openWorkload(t);
  const sh = await StreamShell.start(t);
  await sh.run(`tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @n = count(); @by[comm] = count(); @x = 20; }`);
  await w.run(1);
  const n = Number(/@n: (\d+)/.exec(await said(sh, '@n'))?.[1]);
  t.true(n >= 1, sh.out);
  t.is(await said(sh, 'printf("n=%d\\n", @n)'), `n=${n}\n`);
  t.is(await said(sh, '@x * 2'), '40\n');
  t.is(await said(sh, '$a = @x + 1; $a * 3'), '63\n', 'several statements; the last expression is printed');
  t.is(await said(sh, 'print(@by)'), `@by[${w.comm}]: ${n}\n`);
  t.is(await said(sh, '"text"'), 'text\n');
  t.is(await said(sh, 'pid'), `${process.pid}\n`, 'a builtin alone is its value (the shell runs in this process)');
  t.is(await said(sh, 'clear(@by)'), '');
  t.regex(await said(sh, '@by'), /@by is empty/);
  t.is(await said(sh, '@x = 5'), '', 'an assignment prints nothing');
  t.regex(await said(sh, '@x'), /@x: 5/);
  // Multi-line: an open block waits for its end.
  sh.line('if (@x > 1) {');
  t.is(await said(sh, '  printf("big\\n"); }'), 'big\n');
  // Errors point into the statement as typed.
  const bad = await sh.run('@nosuch * 2');
  t.regex(bad.err, /@nosuch/);
  t.regex(bad.err, /^@nosuch \* 2$/m, bad.err);
  t.regex((await sh.run('@x *')).err, /syntax error/);
  const probes = await said(sh, '.probes');
  t.regex(probes, /^\s*1\s.*sys_enter_openat$/m);
  t.notRegex(probes, /^\s*2\s/m, 'statements are no probes');
  t.notRegex(sh.out, /attached BEGIN/);
  // Probes entered after statements attach as before.
  t.regex(await said(sh, `tracepoint:syscalls:sys_enter_close /comm == "${w.comm}"/ { @c = count(); }`), /\[2\] attached tracepoint:syscalls:sys_enter_close/);
  await w.run(1);
  t.regex(await said(sh, '@c + 0'), /^[1-9]\d*\n$/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('statements typed before any probe start the session', async (t) => {
  const sh = await StreamShell.start(t);
  t.is(await said(sh, '1 + 2'), '3\n');
  t.is(await said(sh, '@m[1] = 7; print(@m)'), '@m[1]: 7\n');
  t.is(await said(sh, '@m[1] * 6'), '42\n');
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

shellTest('a big map gets a progress line on a terminal stderr while it is read, erased before the map prints', async (t) => {
  const sh = await StreamShell.start(t, { ttyStderr: true });
  await sh.run('config = { max_map_keys = 20000 } BEGIN { @big[1] = 2; @small = 1; }');
  const big = await sh.run('@big');
  t.is(big.out.replace(/tsbpf> $/, ''), '@big[1]: 2\n');
  t.regex(big.err, /^\r\x1b\[Kreading @big \(up to 20000 entries\)\.\.\. \d+\.\ds\r\x1b\[K$/);
  t.is((await sh.run('@small')).err, '', 'a map of the default size reads too fast to need one');
  sh.ctrlD();
  t.is(await sh.exited(), 0);
});

kernelTest('an xdp probe typed in the shell attaches live, counts the packets sent, and .detach removes it from the interface; a classic tc filter too', async (t) => {
  const pair = makeHostVethPair(t);
  const xdpOn = (): boolean => /\bxdp/.test(spawnSync('ip', ['link', 'show', pair.ifA], { encoding: 'utf8' }).stdout);
  const sh = await StreamShell.start(t);
  t.regex((await sh.run(`xdp:${pair.ifA} /pkt.udp.dport == 7777/ { @pkts = count(); @len = sum(pkt.len); }`)).out, new RegExp(`\\[1\\] attached xdp:${pair.ifA}`), sh.err);
  t.true(xdpOn(), 'an XDP program is on the interface');
  await sendUdp(pair.nsB, pair.addrA, 7777, [{ src: pair.addrB, n: 9 }]);
  const pkts = async (): Promise<number> => Number(/@pkts: (\d+)/.exec((await sh.run('@pkts')).out)?.[1] ?? 0);
  // The packets are in flight until the receiving end's softirq has run them through the program.
  let n = 0;
  for (let i = 0; i < 100 && n < 9; i++) n = await pkts();
  t.is(n, 9, sh.out);
  // 14 + 20 + 8 + 1 bytes each.
  t.regex((await sh.run('@len')).out, /^@len: 387$/m);
  t.regex((await sh.run('.detach 1')).out, new RegExp(`\\[1\\] detached xdp:${pair.ifA}`));
  t.false(xdpOn(), 'no XDP program left on the interface');
  await sendUdp(pair.nsB, pair.addrA, 7777, [{ src: pair.addrB, n: 4 }]);
  t.is(await pkts(), 9, 'no counting after .detach');

  // A classic tc filter (TSBPF_TC_ATTACH is read at attach): .detach removes it and the qdisc it made.
  const clsBpf = (): string => spawnSync('tc', ['filter', 'show', 'dev', pair.ifA, 'ingress'], { encoding: 'utf8' }).stdout;
  process.env['TSBPF_TC_ATTACH'] = 'classic';
  t.teardown(() => delete process.env['TSBPF_TC_ATTACH']);
  t.regex((await sh.run(`tc:${pair.ifA}:ingress { @tc = count(); }`)).out, new RegExp(`\\[2\\] attached tc:${pair.ifA}:ingress`), sh.err);
  t.regex(clsBpf(), /bpf .*direct-action/);
  t.regex((await sh.run('.detach 2')).out, new RegExp(`\\[2\\] detached tc:${pair.ifA}:ingress`));
  t.is(clsBpf(), '', 'no filter left');
  t.notRegex(spawnSync('tc', ['qdisc', 'show', 'dev', pair.ifA], { encoding: 'utf8' }).stdout, /clsact/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
}, { serial: true, needs: whyNoNetns });
