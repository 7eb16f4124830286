/**
 * `tsbpf top` (issue 14 part 4, issue 15 item 3): every BPF program on the machine with its kernel
 * run-time statistics. A tsbpf script runs in the background while the test generates its events;
 * `top -f json` must list its programs with their attach points and the runs the test caused;
 * the statistics setting is as before after top exits; xdp links show their interface and owner,
 * and a stale (pinned, owner gone) link is marked and removed by `--detach`. The full-screen view
 * runs in tmux: it shows the table, s changes the sort, q quits and gives the screen back.
 */
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeVethPair, linkShow, sendUdp, whyNoNetns, type VethPair } from '../helpers/netns.js';
import { haveTmux, TmuxShell } from '../helpers/tmux-shell.js';
import { describeRun, exec, kernelTest, REPO_ROOT, runTsbpf, startTsbpf, type RunResult } from '../helpers/tsbpf.js';

interface TopProgram {
  id: number;
  type: string;
  name: string;
  attach: string[];
  owners: string[];
  events: number;
  runCnt: number;
  eventsPerSec: number;
  nsPerEvent: number;
  cpuPercent: number;
}
interface TopLink {
  id: number;
  progId: number;
  type: string;
  attach: string;
  ifindex?: number;
  stale: boolean;
  owners: { pid: number; comm: string }[];
}
interface TopSample {
  intervalNs: number;
  stats: string;
  programs: TopProgram[];
  links: TopLink[];
}

const STATS = '/proc/sys/kernel/bpf_stats_enabled';

function parseSample(r: RunResult): TopSample {
  if (r.code !== 0) throw new Error(`tsbpf top failed: ${describeRun(r)}`);
  return JSON.parse(r.stdout) as TopSample;
}

/** Run `work` over and over until `top` ends, so its events fall inside top's interval. */
async function whileRunning(top: Promise<RunResult>, work: () => Promise<void>): Promise<RunResult> {
  let done = false;
  const finished = top.then((r) => {
    done = true;
    return r;
  });
  while (!done) await Promise.race([work(), finished]);
  return finished;
}

kernelTest('top -f json lists a running script\'s programs with their attach point, owner and the runs the test caused; the stats setting is restored', async (t) => {
  const before = readFileSync(STATS, 'utf8');
  const h = startTsbpf(['-e', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'], { t });
  await h.attached;
  const r = await whileRunning(runTsbpf(['top', '-f', 'json', '-i', '1']), async () => {
    readFileSync(join(REPO_ROOT, 'package.json'));
    await new Promise((res) => setTimeout(res, 5));
  });
  const s = parseSample(r);
  t.is(readFileSync(STATS, 'utf8'), before, 'kernel.bpf_stats_enabled is as it was');
  t.is(s.stats, 'fd');
  t.true(s.intervalNs > 0);
  const mine = s.programs.filter((p) => p.owners.includes(`tsbpf[${h.pid}]`));
  t.is(mine.length, 1, describeRun(r));
  const p = mine[0]!;
  t.is(p.type, 'tracepoint');
  t.deepEqual(p.attach, ['tracepoint:syscalls:sys_enter_openat']);
  t.true(p.events > 0 && p.runCnt >= p.events, `runs counted: ${JSON.stringify(p)}`);
  t.true(p.eventsPerSec > 0 && p.nsPerEvent > 0 && p.cpuPercent > 0, JSON.stringify(p));
  await h.stop('SIGINT');
});

kernelTest('top -f text prints the table; bad options are one-line errors', async (t) => {
  const r = await runTsbpf(['top', '-i', '0.2', '--sort', 'id']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout.split('\n')[0]!, /^\s+ID▲ TYPE\s+NAME\s+EVENTS\/S\s+NS\/EVENT\s+CPU%\s+RUNS\s+PROCESS\s+ATTACH$/);
  const bad = await runTsbpf(['top', '--sort', 'colour']);
  t.is(bad.code, 1);
  t.is(bad.stderr.split('\n')[0], 'ERROR: unknown sort key colour: expected one of id, type, name, events, ns, cpu, runs, process, attach');
  const noLink = await runTsbpf(['top', '--detach', '4000000000']);
  t.is(noLink.code, 1);
  t.is(noLink.stderr, 'ERROR: no BPF link with id 4000000000 (tsbpf top -f json lists them)\n');
});

/** tsbpf and top inside the receiving namespace, where the interface has its name. */
const inNs = (pair: VethPair): readonly string[] => ['ip', 'netns', 'exec', pair.nsA];
const netOpts = { serial: true, needs: whyNoNetns };

kernelTest('xdp and tc probes appear in top with their link ids, interface and owner; --detach refuses a link a live process holds', async (t) => {
  const pair = makeVethPair(t);
  const h = startTsbpf(['-e', `xdp:${pair.ifA} { @ = count(); } tc:${pair.ifA}:ingress { @tc = count(); }`], { t, wrap: inNs(pair) });
  await h.attached;
  const r = await whileRunning(runTsbpf(['top', '-f', 'json'], { wrap: inNs(pair) }), () => sendUdp(pair.nsB, pair.addrA, 7777, [{ src: pair.addrB[0], n: 5 }]));
  const s = parseSample(r);
  const link = s.links.find((l) => l.type === 'xdp' && l.owners.some((o) => o.pid === h.pid));
  t.truthy(link, describeRun(r));
  const tcx = s.links.find((l) => l.type === 'tcx' && l.owners.some((o) => o.pid === h.pid));
  t.like(tcx!, { attach: `tc:${pair.ifA}:ingress`, stale: false });
  const tcProg = s.programs.find((p) => p.id === tcx!.progId)!;
  t.like(tcProg, { type: 'sched_cls' });
  t.true(tcProg.events > 0, JSON.stringify(tcProg));
  t.like(link!, { type: 'xdp', attach: `xdp:${pair.ifA}`, stale: false });
  const prog = s.programs.find((p) => p.id === link!.progId)!;
  t.like(prog, { type: 'xdp' });
  t.deepEqual(prog.attach, [`xdp:${pair.ifA}`]);
  t.true(prog.events > 0, JSON.stringify(prog));
  const refused = await runTsbpf(['top', '--detach', String(link!.id)], { wrap: inNs(pair) });
  t.is(refused.code, 1);
  t.is(refused.stderr, `ERROR: link ${link!.id} (xdp:${pair.ifA}) is held by tsbpf[${h.pid}]: end that process to remove it\n`);
  await h.stop('SIGINT');
}, netOpts);

/** A process that attaches an XDP_PASS program to the interface with a link, pins the link and exits. */
const PIN_AND_EXIT = `
const { readFileSync } = require('fs');
const [nativeDir, dev, pin] = process.argv.slice(1);
const bpf = require(nativeDir + '/tsbpf_bpf.node');
const insns = Buffer.alloc(16);
insns.writeUInt8(0xb7, 0); insns.writeInt32LE(2, 4); // r0 = XDP_PASS
insns.writeUInt8(0x95, 8); // exit
const { fd } = bpf.progLoad(6, insns, 'GPL', 'tsbpf_stale');
const link = bpf.linkCreate(fd, Number(readFileSync('/sys/class/net/' + dev + '/ifindex', 'utf8')), 37, { flags: 2 });
bpf.objPin(link, pin);`;

function bpffs(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bpffs-'));
  const m = spawnSync('mount', ['-t', 'bpf', 'bpf', dir], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount bpf: ${m.stderr}`);
  t.teardown(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

kernelTest('a pinned xdp link whose process is gone is marked stale and --detach removes it and its pin', async (t) => {
  const pair = makeVethPair(t);
  const pin = join(bpffs(t), 'stale_xdp');
  const made = await exec([...inNs(pair), process.execPath, '-e', PIN_AND_EXIT, join(REPO_ROOT, 'native', 'build', 'Release'), pair.ifA, pin]);
  t.is(made.code, 0, made.stderr);
  t.regex(await linkShow(pair.nsA, pair.ifA), /xdpgeneric/, 'attached after its process exited');
  const s = parseSample(await runTsbpf(['top', '-f', 'json', '-i', '0.2'], { wrap: inNs(pair) }));
  const ifindex = Number(spawnSync('ip', ['netns', 'exec', pair.nsA, 'cat', `/sys/class/net/${pair.ifA}/ifindex`], { encoding: 'utf8' }).stdout);
  // No process says which namespace the index belongs to: the index is all top can show.
  const link = s.links.find((l) => l.progId === s.programs.find((p) => p.name === 'tsbpf_stale')?.id);
  t.like(link!, { type: 'xdp', attach: `xdp:ifindex ${ifindex}`, ifindex, stale: true, owners: [] });
  const text = await runTsbpf(['top', '-i', '0.2'], { wrap: inNs(pair) });
  t.true(
    text.stdout.includes(`stale link ${link!.id}: xdp xdp:ifindex ${ifindex} (program ${link!.progId}), held by no process; remove: tsbpf top --detach ${link!.id}`),
    describeRun(text),
  );
  const d = await runTsbpf(['top', '--detach', String(link!.id)]);
  t.is(d.code, 0, describeRun(d));
  t.is(d.stdout, `detached link ${link!.id}: xdp xdp:ifindex ${ifindex} (program ${link!.progId})\nremoved pin ${pin}\n`);
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/, 'nothing attached any more');
  const after = parseSample(await runTsbpf(['top', '-f', 'json', '-i', '0.2']));
  t.false(after.links.some((l) => l.id === link!.id), 'the link is gone');
}, netOpts);

/** A process that loads an XDP_PASS program, pins it and exits; `ip` then attaches the pin through netlink. */
const PIN_PROG = `
const [nativeDir, pin] = process.argv.slice(1);
const bpf = require(nativeDir + '/tsbpf_bpf.node');
const insns = Buffer.alloc(16);
insns.writeUInt8(0xb7, 0); insns.writeInt32LE(2, 4);
insns.writeUInt8(0x95, 8);
bpf.objPin(bpf.progLoad(6, insns, 'GPL', 'tsbpf_netlink').fd, pin);`;

kernelTest('an xdp program attached through netlink by a process that is gone is marked stale and --detach prog:ID removes it', async (t) => {
  const pair = makeVethPair(t);
  const pin = join(bpffs(t), 'netlink_xdp');
  const made = await exec([process.execPath, '-e', PIN_PROG, join(REPO_ROOT, 'native', 'build', 'Release'), pin]);
  t.is(made.code, 0, made.stderr);
  const ip = await exec(['ip', '-n', pair.nsA, 'link', 'set', 'dev', pair.ifA, 'xdpgeneric', 'pinned', pin]);
  t.is(ip.code, 0, ip.stderr);
  rmSync(pin);
  const s = parseSample(await runTsbpf(['top', '-f', 'json', '-i', '0.2'], { wrap: inNs(pair) }));
  const prog = s.programs.find((p) => p.name === 'tsbpf_netlink')!;
  t.deepEqual(prog.attach, [`xdp:${pair.ifA} (netlink)`]);
  t.deepEqual(s.links.filter((l) => l.progId === prog.id), [], 'no link');
  const text = await runTsbpf(['top', '-i', '0.2'], { wrap: inNs(pair) });
  t.true(
    text.stdout.includes(`stale xdp program ${prog.id} (tsbpf_netlink) on ${pair.ifA}, attached through netlink (xdpgeneric), held by no process; remove: tsbpf top --detach prog:${prog.id}`),
    describeRun(text),
  );
  const d = await runTsbpf(['top', '--detach', `prog:${prog.id}`], { wrap: inNs(pair) });
  t.is(d.code, 0, describeRun(d));
  t.is(d.stdout, `removed xdp program ${prog.id} (tsbpf_netlink) from ${pair.ifA}\n`);
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/, 'nothing attached any more');
}, netOpts);

kernelTest('the full-screen view shows the table, s and 1 change the sort, q and Ctrl-C quit and restore the screen', async (t) => {
  const bg = startTsbpf(['-e', 'tracepoint:syscalls:sys_enter_openat { @ = count(); }'], { t });
  await bg.attached;
  const sh = new TmuxShell(t, { args: ['top', '-i', '0.5'] });
  let screen = await sh.waitFor((s) => s.includes(`tsbpf[${bg.pid}]`));
  t.regex(screen, /^tsbpf top {2}\d+ programs {2}every 0\.5s {2}stats: on \(BPF_ENABLE_STATS\) {2}sort: CPU%▼/m);
  t.regex(screen, /ID TYPE\s+NAME\s+EVENTS\/S\s+NS\/EVENT\s+CPU%▼/);
  t.regex(screen, new RegExp(`tracepoint\\s+sys_enter__0 .* tsbpf\\[${bg.pid}\\]\\s+tracepoint:syscalls:sys_enter_openat`));
  sh.type('s');
  screen = await sh.waitFor('sort: RUNS▼');
  sh.type('1');
  screen = await sh.waitFor('sort: ID▲');
  sh.type('q');
  t.is(await sh.exited(), 0);
  t.notRegex(sh.screen(), /EVENTS\/S/, 'the alternate screen is gone');
  const again = new TmuxShell(t, { args: ['top'] });
  await again.waitFor('EVENTS/S');
  again.press('C-c');
  t.is(await again.exited(), 0, 'Ctrl-C quits too');
  t.notRegex(again.screen(), /EVENTS\/S/);
  await bg.stop('SIGINT');
}, { needs: () => (haveTmux() ? undefined : 'needs tmux') });

