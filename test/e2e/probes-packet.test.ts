/**
 * xdp: and tc: probes (issue 15) on a veth pair between two network namespaces the test makes:
 * pkt.* header views, exact per-source counts, verdicts that really drop packets, and nothing
 * left attached after exit (the dropping program is gone: the same packets arrive again).
 */
import type { ExecutionContext } from 'ava';
import { countUdp, linkShow, makeVethPair, sendUdp, whyNoNetns, type VethPair } from '../helpers/netns.js';
import { join } from 'node:path';
import { describeRun, exec, kernelTest, REPO_ROOT, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

const PORT = 7777;

/** tsbpf inside the receiving namespace (the interface is only visible there). */
function inNs(pair: VethPair): { wrap: readonly string[] } {
  return { wrap: ['ip', 'netns', 'exec', pair.nsA] };
}

/** `@name[key]: value` lines of the map printout. */
function mapLines(stdout: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(new RegExp(`^@${name}\\[(.*)\\]: (\\d+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
  return out;
}

/** N datagrams from the first source, M from the second, then the `end` marker from the first; returns what arrived. */
async function traffic(t: ExecutionContext, pair: VethPair, n: number, m: number): Promise<Record<string, number>> {
  const [b0, b1] = pair.addrB;
  const rx = countUdp(t, pair.nsA, PORT, b0, n);
  await rx.ready;
  await sendUdp(pair.nsB, pair.addrA, PORT, [{ src: b0, n }, { src: b1, n: m }, { src: b0, n: 1, payload: 'end' }]);
  return rx.counts;
}

const opts = { serial: true, needs: whyNoNetns };

kernelTest('xdp: drop drops exactly the packets from the chosen source, counts are exact, and the program is gone after exit', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  const script = `xdp:${pair.ifA} /pkt.udp.dport == ${PORT}/ { @src[ntop(pkt.ip.saddr)] = count(); @len[pkt.len, pkt.ip.len, pkt.udp.len] = count(); if (pkt.ip.saddr == pton("${b1}")) { drop } }`;
  const h = startTsbpf(['--unsafe', '-e', script], { t, ...inNs(pair) });
  await h.attached;
  t.regex(await linkShow(pair.nsA, pair.ifA), /xdp/, 'an XDP program is attached while tsbpf runs');
  const arrived = await traffic(t, pair, 20, 13);
  t.deepEqual(arrived, { [b0]: 20 }, 'every packet from the first source arrived, none from the second');
  const r = await h.stop('SIGINT');
  t.deepEqual(mapLines(r.stdout, 'src'), { [b0]: 21, [b1]: 13 }, describeRun(r));
  // 1-byte payloads: 14 + 20 + 8 + 1 bytes on the wire, IP length 29, UDP length 9 (host byte order); `end` has 3.
  t.deepEqual(mapLines(r.stdout, 'len'), { '43, 29, 9': 33, '45, 31, 11': 1 }, describeRun(r));
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/, 'no XDP program after exit');
  t.deepEqual(await traffic(t, pair, 5, 7), { [b0]: 5, [b1]: 7 }, 'after exit nothing drops packets');
}, opts);

kernelTest('xdp:IFACE:generic attaches in generic (skb) mode and observes without --unsafe', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  // pkt.data[pkt.len - 1]: a computed offset (read with the helper), the last payload byte.
  const h = startTsbpf(['-e', `xdp:${pair.ifA}:generic /pkt.udp/ { @[pkt.ip.saddr, pkt.udp.dport, pkt.tcp, pkt.data[42]] = count(); @last[pkt.data[pkt.len - 1], pkt.data[pkt.len]] = count(); }`], { t, ...inNs(pair) });
  await h.attached;
  t.regex(await linkShow(pair.nsA, pair.ifA), /xdpgeneric/);
  t.deepEqual(await traffic(t, pair, 4, 6), { [b0]: 4, [b1]: 6 }, 'an observation-only program drops nothing');
  const r = await h.stop('SIGINT');
  const bytes = (a: string): string => `[${a.split('.').join(',')}]`;
  // pkt.data[42]: the first payload byte ('x' = 120; the end marker's 'e' = 101).
  t.deepEqual(mapLines(r.stdout, ''), { [`${bytes(b0)}, ${PORT}, false, 120`]: 4, [`${bytes(b0)}, ${PORT}, false, 101`]: 1, [`${bytes(b1)}, ${PORT}, false, 120`]: 6 }, describeRun(r));
  // 'x' = 120 (10 packets) and the end marker's last 'd' = 100; one past the end reads 0.
  t.deepEqual(mapLines(r.stdout, 'last'), { '120, 0': 10, '100, 0': 1 }, describeRun(r));
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/);
}, opts);

kernelTest('tc: ingress and egress both fire; shot drops on ingress; the links are gone after exit', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  const back = 9999;
  const script = [
    `tc:${pair.ifA}:ingress /pkt.udp.dport == ${PORT}/ { @in[ntop(pkt.ip.saddr)] = count(); if (pkt.ip.saddr == pton("${b1}")) { shot } }`,
    `tc:${pair.ifA}:egress /pkt.udp.dport == ${back}/ { @out[ntop(pkt.ip.daddr), pkt.udp.sport > 0] = count(); }`,
  ].join('\n');
  const h = startTsbpf(['--unsafe', '-e', script], { t, ...inNs(pair) });
  await h.attached;
  t.deepEqual(await traffic(t, pair, 9, 4), { [b0]: 9 });
  await sendUdp(pair.nsA, b1, back, [{ src: pair.addrA, n: 6 }]);
  const r = await h.stop('SIGINT');
  t.deepEqual(mapLines(r.stdout, 'in'), { [b0]: 10, [b1]: 4 }, describeRun(r));
  t.deepEqual(mapLines(r.stdout, 'out'), { [`${b1}, true`]: 6 }, describeRun(r));
  t.deepEqual(await traffic(t, pair, 3, 5), { [b0]: 3, [b1]: 5 }, 'after exit nothing drops packets');
}, opts);

kernelTest('packet probes: verdicts that change the path need --unsafe; task builtins, foreign verdicts and pkt outside packet probes are compile errors', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['xdp:lo { drop }', [], /drop changes what happens to packets on the network path: run with --unsafe/],
    ['tc:lo:ingress { shot }', [], /shot changes what happens to packets.*--unsafe/],
    ['tc:lo:ingress { drop }', ['--unsafe'], /drop is not a tc verdict: tc probes use ok, shot/],
    ['xdp:lo { @[comm] = count(); }', [], /comm is not available in xdp probes/],
    ['tc:lo:egress { @[pid] = count(); }', [], /pid is not available in tc probes/],
    ['BEGIN { @ = pkt.len; exit(); }', [], /pkt is only available in xdp and tc probes/],
    ['BEGIN { redirect("lo"); exit(); }', ['--unsafe'], /redirect\(\) is only available as a statement in xdp and tc probes \(this is BEGIN\)/],
    ['xdp:lo { @ = pkt.ip.nosuch; }', [], /pkt.ip has no field named nosuch/],
    ['xdp:nosuchif0 { }', [], /no network interface named nosuchif0/],
    ['tc:lo:sideways { }', [], /expected tc:INTERFACE:ingress or tc:INTERFACE:egress/],
  ];
  for (const [script, flags, re] of cases) {
    const r = await runTsbpf([...flags, '-e', script]);
    t.not(r.code, 0, script);
    t.regex(r.stderr, re, `${script}\n${describeRun(r)}`);
  }
});

// Headers are read by direct packet access; TSBPF_PKT_HELPERS=1 reads them with the load-bytes helpers (the fallback path) instead.
for (const helpers of [false, true]) kernelTest(`pkt.ip6, pkt.tcp flags and pkt.icmp (v4 and v6) read the headers of real packets${helpers ? ' (TSBPF_PKT_HELPERS=1)' : ''}`, async (t) => {
  const pair = makeVethPair(t);
  for (const [ns, dev, a] of [[pair.nsA, pair.ifA, 'fd00:7e57::1'], [pair.nsB, pair.ifB, 'fd00:7e57::2']] as const) {
    t.is((await exec(['ip', '-n', ns, '-6', 'addr', 'add', `${a}/64`, 'dev', dev, 'nodad'])).code, 0);
  }
  const script = [
    `tc:${pair.ifA}:ingress /pkt.ip6 && pkt.udp/ { printf("udp6 %s %d %d\\n", ntop(pkt.ip6.saddr), pkt.udp.dport, pkt.ip6.nexthdr); }`,
    `tc:${pair.ifA}:ingress /pkt.tcp && pkt.tcp.dport == 6666/ { printf("syn %d ack %d rst %d\\n", pkt.tcp.syn, pkt.tcp.ack, pkt.tcp.rst); }`,
    `tc:${pair.ifA}:egress /pkt.tcp && pkt.tcp.sport == 6666/ { printf("reply rst %d syn %d\\n", pkt.tcp.rst, pkt.tcp.syn); }`,
    `xdp:${pair.ifA} /pkt.icmp/ { printf("icmp type %d code %d v6 %d\\n", pkt.icmp.type, pkt.icmp.code, pkt.ip6); }`,
  ].join('\n');
  const h = startTsbpf(['-e', script], { t, ...inNs(pair), env: helpers ? { TSBPF_PKT_HELPERS: '1' } : {} });
  await h.attached;
  // UDP to closed ports on B: B answers with ICMP (v4 type 3 code 3, v6 type 1 code 4), which arrive on A's interface.
  const probe = `const dg = require('dgram');
const a = dg.createSocket('udp6'); a.send('hi', 5555, 'fd00:7e57::2', () => a.close());
const b = dg.createSocket('udp4'); b.send('hi', 5555, '${pair.addrB[0]}', () => b.close());`;
  t.is((await exec(['ip', 'netns', 'exec', pair.nsA, process.execPath, '-e', probe])).code, 0);
  // UDP over IPv6 and a TCP SYN to a closed port on A (A answers RST).
  const fromB = `const u = require('dgram').createSocket('udp6'); u.send('hi', 5556, 'fd00:7e57::1', () => u.close());
require('net').connect(6666, '${pair.addrA}').on('error', () => {});`;
  t.is((await exec(['ip', 'netns', 'exec', pair.nsB, process.execPath, '-e', fromB])).code, 0);
  for (const line of ['icmp type 3 code 3 v6 0', 'icmp type 1 code 4 v6 1', 'udp6 fd00:7e57::2 5556 17', 'syn 1 ack 0 rst 0', 'reply rst 1 syn 0']) {
    const re = new RegExp(`^${line}$`, 'm');
    await h.waitForStdout(re);
    t.regex(h.stdout, re);
  }
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
}, opts);

kernelTest('scripts/tools/xdpfilter.tbpf IFACE ADDR ($1 in the attach point) drops that address and counts per source', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  const h = startTsbpf(['--unsafe', join(REPO_ROOT, 'scripts', 'tools', 'xdpfilter.tbpf'), pair.ifA, b1], { t, ...inNs(pair) });
  await h.attached;
  t.deepEqual(await traffic(t, pair, 6, 8), { [b0]: 6 });
  const r = await h.stop('SIGINT');
  t.regex(r.stdout, new RegExp(`^Dropping IPv4 packets from ${b1} on ${pair.ifA}`, 'm'), describeRun(r));
  t.deepEqual(mapLines(r.stdout, 'dropped'), { [b1]: 8 }, describeRun(r));
  t.deepEqual(mapLines(r.stdout, 'packets'), { [`${b0}, 17`]: 7, [`${b1}, 17`]: 8 }, describeRun(r));
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/);
}, opts);

kernelTest('a killed tsbpf (SIGKILL) leaves no XDP program behind: the link dies with its last fd', async (t) => {
  const pair = makeVethPair(t);
  const h = startTsbpf(['-e', `xdp:${pair.ifA} { @ = count(); }`], { t, ...inNs(pair) });
  await h.attached;
  t.regex(await linkShow(pair.nsA, pair.ifA), /xdp/);
  const r = await h.stop('SIGKILL');
  t.is(r.signal, 'SIGKILL');
  // The kernel releases the link when the process's files are closed, which is done before the exit is reported.
  t.notRegex(await linkShow(pair.nsA, pair.ifA), /xdp/);
}, opts);

/** `tc -j filter show` of one hook in namespace `ns`: the cls_bpf filters' program ids. */
async function clsBpfProgs(ns: string, dev: string, direction: 'ingress' | 'egress'): Promise<number[]> {
  const r = await exec(['tc', '-n', ns, '-j', 'filter', 'show', 'dev', dev, direction]);
  const filters = (r.stdout.trim() ? JSON.parse(r.stdout) : []) as { kind?: string; options?: { prog?: { id?: number } } }[];
  return filters.flatMap((f) => (f.kind === 'bpf' && f.options?.prog?.id ? [f.options.prog.id] : []));
}

async function qdiscs(ns: string, dev: string): Promise<string> {
  return (await exec(['tc', '-n', ns, 'qdisc', 'show', 'dev', dev])).stdout;
}

const CLASSIC = { TSBPF_TC_ATTACH: 'classic' };

kernelTest('tc: TSBPF_TC_ATTACH=classic attaches cls_bpf filters on a clsact qdisc: both directions fire, shot drops, filters and qdisc are gone after exit', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  const back = 9998;
  const script = [
    `tc:${pair.ifA}:ingress /pkt.udp.dport == ${PORT}/ { @in[ntop(pkt.ip.saddr)] = count(); if (pkt.ip.saddr == pton("${b1}")) { shot } }`,
    `tc:${pair.ifA}:egress /pkt.udp.dport == ${back}/ { @out[ntop(pkt.ip.daddr)] = count(); }`,
  ].join('\n');
  const h = startTsbpf(['--unsafe', '-e', script], { t, env: CLASSIC, ...inNs(pair) });
  await h.attached;
  t.is((await clsBpfProgs(pair.nsA, pair.ifA, 'ingress')).length, 1, 'one cls_bpf filter on ingress');
  t.is((await clsBpfProgs(pair.nsA, pair.ifA, 'egress')).length, 1, 'one cls_bpf filter on egress');
  t.regex(await qdiscs(pair.nsA, pair.ifA), /clsact/);
  t.deepEqual(await traffic(t, pair, 7, 5), { [b0]: 7 });
  await sendUdp(pair.nsA, b1, back, [{ src: pair.addrA, n: 3 }]);
  const r = await h.stop('SIGINT');
  t.deepEqual(mapLines(r.stdout, 'in'), { [b0]: 8, [b1]: 5 }, describeRun(r));
  t.deepEqual(mapLines(r.stdout, 'out'), { [b1]: 3 }, describeRun(r));
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'ingress'), [], 'no filter after exit');
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'egress'), []);
  t.notRegex(await qdiscs(pair.nsA, pair.ifA), /clsact/, 'the clsact qdisc tsbpf made is gone too');
  t.deepEqual(await traffic(t, pair, 3, 4), { [b0]: 3, [b1]: 4 }, 'after exit nothing drops packets');
}, opts);

kernelTest('tc classic: a clsact qdisc that was there stays; an error exit and exit() remove the filter', async (t) => {
  const pair = makeVethPair(t);
  t.is((await exec(['tc', '-n', pair.nsA, 'qdisc', 'add', 'dev', pair.ifA, 'clsact'])).code, 0);
  // exit() after attaching, and a run that fails after the tc probes attached (the second xdp probe on one interface is refused).
  const ok = await runTsbpf(['-e', `tc:${pair.ifA}:ingress { @ = count(); } interval:ms:200 { exit(); }`], { env: CLASSIC, ...inNs(pair) });
  t.is(ok.code, 0, describeRun(ok));
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'ingress'), []);
  t.regex(await qdiscs(pair.nsA, pair.ifA), /clsact/, 'a qdisc tsbpf did not make is left alone');
  const bad = await runTsbpf(['-e', `tc:${pair.ifA}:egress { @ = count(); } tc:${pair.ifA}:ingress { @x = count(); } xdp:${pair.ifA} { @y = count(); } xdp:${pair.ifA} { @z = count(); }`], { env: CLASSIC, ...inNs(pair) });
  t.not(bad.code, 0, describeRun(bad));
  t.regex(bad.stderr, /already has an XDP program/, describeRun(bad));
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'ingress'), [], describeRun(bad));
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'egress'), []);
}, opts);

kernelTest('tc classic: a SIGKILLed tsbpf leaves its cls_bpf filter, which tsbpf top reports as stale and --detach prog:ID removes', async (t) => {
  const pair = makeVethPair(t);
  const [b0, b1] = pair.addrB;
  const h = startTsbpf(['--unsafe', '-e', `tc:${pair.ifA}:ingress /pkt.ip.saddr == pton("${b1}")/ { shot }`], { t, env: CLASSIC, ...inNs(pair) });
  await h.attached;
  const [progId] = await clsBpfProgs(pair.nsA, pair.ifA, 'ingress');
  t.truthy(progId);
  t.is((await h.stop('SIGKILL')).signal, 'SIGKILL');
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'ingress'), [progId!], 'the kernel keeps a classic filter after its process');
  t.deepEqual(await traffic(t, pair, 2, 3), { [b0]: 2 }, 'and it still drops');
  const top = await runTsbpf(['top', '-f', 'json', '-i', '0.2'], inNs(pair));
  t.is(top.code, 0, describeRun(top));
  const sample = JSON.parse(top.stdout) as { netlinkTc: { ifname: string; direction: string; progId: number; stale: boolean }[] };
  t.deepEqual(sample.netlinkTc.filter((x) => x.progId === progId).map((x) => [x.ifname, x.direction, x.stale]), [[pair.ifA, 'ingress', true]]);
  const text = await runTsbpf(['top', '-i', '0.2'], inNs(pair));
  t.regex(text.stdout, new RegExp(`^stale tc program ${progId} \\(\\w+\\) on ${pair.ifA} ingress, a cls_bpf filter .*remove: tsbpf top --detach prog:${progId}$`, 'm'), describeRun(text));
  const det = await runTsbpf(['top', '--detach', `prog:${progId}`], inNs(pair));
  t.is(det.code, 0, describeRun(det));
  t.regex(det.stdout, new RegExp(`removed tc program ${progId} .* from ${pair.ifA} ingress`));
  t.deepEqual(await clsBpfProgs(pair.nsA, pair.ifA, 'ingress'), []);
  t.deepEqual(await traffic(t, pair, 2, 3), { [b0]: 2, [b1]: 3 });
}, opts);

/** A second veth pair with both ends in the receiving namespace: what redirect() sends out of the first end arrives at the second. */
async function loopPair(t: ExecutionContext, pair: VethPair): Promise<{ out: string; back: string }> {
  const tag = pair.ifA.slice(3);
  const ends = { out: `tvc${tag}`, back: `tvd${tag}` };
  for (const argv of [
    ['ip', '-n', pair.nsA, 'link', 'add', ends.out, 'type', 'veth', 'peer', 'name', ends.back],
    ['ip', '-n', pair.nsA, 'link', 'set', ends.out, 'up'],
    ['ip', '-n', pair.nsA, 'link', 'set', ends.back, 'up'],
  ]) t.is((await exec(argv)).code, 0, argv.join(' '));
  return ends;
}

// Native XDP redirects into a veth only when the target's peer runs an XDP program (the kernel's rule:
// its NAPI is on), so that case counts with xdp there; generic XDP and tc transmit normally.
const REDIRECTS = [
  { from: (i: string) => `xdp:${i}`, to: (i: string) => `xdp:${i}`, title: 'xdp' },
  { from: (i: string) => `xdp:${i}:generic`, to: (i: string) => `tc:${i}:ingress`, title: 'xdp:IFACE:generic' },
  { from: (i: string) => `tc:${i}:ingress`, to: (i: string) => `tc:${i}:ingress`, title: 'tc' },
];
for (const { from, to, title } of REDIRECTS) {
  kernelTest(`${title}: redirect(ifname) sends the packets out of another interface, where a second probe counts them; it needs --unsafe`, async (t) => {
    const pair = makeVethPair(t);
    const [b0, b1] = pair.addrB;
    const ends = await loopPair(t, pair);
    const script = [
      `${from(pair.ifA)} /pkt.udp.dport == ${PORT} && pkt.ip.saddr == pton("${b1}")/ { @sent = count(); redirect("${ends.out}") }`,
      `${to(ends.back)} /pkt.udp.dport == ${PORT}/ { @arrived[ntop(pkt.ip.saddr), pkt.ifindex] = count(); }`,
    ].join('\n');
    const refused = await runTsbpf(['-e', script], inNs(pair));
    t.regex(refused.stderr, /redirect changes what happens to packets on the network path: run with --unsafe/, describeRun(refused));
    const h = startTsbpf(['--unsafe', '-e', script], { t, ...inNs(pair) });
    await h.attached;
    t.deepEqual(await traffic(t, pair, 5, 6), { [b0]: 5 }, 'the redirected packets never reach the socket');
    const backIndex = (await exec(['ip', 'netns', 'exec', pair.nsA, 'cat', `/sys/class/net/${ends.back}/ifindex`])).stdout.trim();
    const r = await h.stop('SIGINT');
    t.regex(r.stdout, /^@sent: 6$/m, describeRun(r));
    t.deepEqual(mapLines(r.stdout, 'arrived'), { [`${b1}, ${backIndex}`]: 6 }, describeRun(r));
  }, opts);
}

kernelTest('redirect(ifname): an unknown interface and a wrong argument are compile errors', async (t) => {
  for (const [script, re] of [
    ['xdp:lo { redirect("nosuchif9") }', /redirect: no network interface named nosuchif9/],
    ['tc:lo:egress { redirect(1) }', /redirect's interface name/],
    ['xdp:lo { redirect() }', /redirect takes one argument/],
  ] as const) {
    const r = await runTsbpf(['--unsafe', '-e', script]);
    t.not(r.code, 0, script);
    t.regex(r.stderr, re, `${script}\n${describeRun(r)}`);
  }
});

kernelTest('scripts/tools/tcptop-pkt.tbpf IFACE: TCP payload bytes per flow, received and sent, exactly', async (t) => {
  const pair = makeVethPair(t);
  const [b0] = pair.addrB;
  const h = startTsbpf([join(REPO_ROOT, 'scripts', 'tools', 'tcptop-pkt.tbpf'), pair.ifA], { t, ...inNs(pair) });
  await h.attached;
  // A server in A reads 10000 bytes, answers 3000 and closes; the client in B connects from port 40123.
  const server = `const s = require('net').createServer((c) => { let n = 0; c.on('data', (d) => { n += d.length; if (n >= 10000) c.end(Buffer.alloc(3000, 'y')); }); c.on('close', () => s.close()); });
s.listen(7070, '${pair.addrA}', () => console.log('ready'));`;
  const srv = exec(['ip', 'netns', 'exec', pair.nsA, process.execPath, '-e', server]);
  const client = `const c = require('net').connect({ port: 7070, host: '${pair.addrA}', localAddress: '${b0}', localPort: 40123 }, () => c.write(Buffer.alloc(10000, 'x')));
let n = 0; c.on('data', (d) => (n += d.length)); c.on('close', () => { console.log(n); });
c.on('error', (e) => { console.error(e.message); process.exit(1); });`;
  let got: { code: number | null; stdout: string } = { code: 1, stdout: '' };
  for (let i = 0; i < 50; i++) {
    got = await exec(['ip', 'netns', 'exec', pair.nsB, process.execPath, '-e', client]);
    if (got.code === 0) break; // The server may not listen yet.
  }
  t.is(got.stdout.trim(), '3000');
  t.is((await srv).code, 0);
  const r = await h.stop('SIGINT');
  t.regex(r.stdout, new RegExp(`^Tracing TCP payload bytes per flow on ${pair.ifA}`, 'm'));
  // Sum each flow over every interval's printout (each interval clears the maps).
  const total = (name: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const m of r.stdout.matchAll(new RegExp(`^@${name}\\[(.*)\\]: (\\d+)$`, 'gm'))) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v > 0));
  };
  t.deepEqual(total('rx_bytes'), { [`${b0}, 40123, ${pair.addrA}, 7070`]: 10000 }, describeRun(r));
  t.deepEqual(total('tx_bytes'), { [`${pair.addrA}, 7070, ${b0}, 40123`]: 3000 }, describeRun(r));
}, opts);
