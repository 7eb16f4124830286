/**
 * Two network namespaces joined by a veth pair, made by the test and deleted in its teardown (even
 * on failure): traffic only between them. UDP is sent and counted with node's dgram sockets run
 * inside a namespace (`ip netns exec`); `ping` is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { exec, uniqueTag } from './tsbpf.js';

export interface VethPair {
  /** The receiving side: its namespace, interface and address. */
  readonly nsA: string;
  readonly ifA: string;
  readonly addrA: string;
  /** The sending side, with two source addresses. */
  readonly nsB: string;
  readonly ifB: string;
  readonly addrB: readonly [string, string];
}

/** Why veth pairs in namespaces cannot be made here, or undefined. */
export function whyNoNetns(): string | undefined {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : '`ip netns` is not available';
}

function ip(args: readonly string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

export function makeVethPair(t: ExecutionContext): VethPair {
  const tag = uniqueTag(6);
  const net = `10.${100 + (parseInt(tag.slice(0, 2), 16) % 100)}.${parseInt(tag.slice(2, 4), 16)}`;
  const pair: VethPair = { nsA: `tsbpf-a-${tag}`, ifA: `tva${tag}`, addrA: `${net}.1`, nsB: `tsbpf-b-${tag}`, ifB: `tvb${tag}`, addrB: [`${net}.2`, `${net}.3`] };
  t.teardown(() => {
    for (const ns of [pair.nsA, pair.nsB]) spawnSync('ip', ['netns', 'del', ns]);
  });
  ip(['netns', 'add', pair.nsA]);
  ip(['netns', 'add', pair.nsB]);
  ip(['link', 'add', pair.ifA, 'netns', pair.nsA, 'type', 'veth', 'peer', 'name', pair.ifB, 'netns', pair.nsB]);
  ip(['-n', pair.nsA, 'addr', 'add', `${pair.addrA}/24`, 'dev', pair.ifA]);
  for (const a of pair.addrB) ip(['-n', pair.nsB, 'addr', 'add', `${a}/24`, 'dev', pair.ifB]);
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB], [pair.nsA, 'lo'], [pair.nsB, 'lo']] as const) ip(['-n', ns, 'link', 'set', dev, 'up']);
  return pair;
}

const SENDER = `
const dgram = require('dgram');
const [dst, port, plan] = process.argv.slice(1);
const send = (s, payload) => new Promise((r, j) => s.send(Buffer.from(payload), Number(port), dst, (e) => (e ? j(e) : r())));
const bound = (src) => new Promise((r) => { const s = dgram.createSocket('udp4'); s.bind({ address: src }, () => r(s)); });
(async () => {
  const steps = JSON.parse(plan);
  for (const { src, n, payload } of steps) {
    const s = await bound(src);
    for (let i = 0; i < n; i++) await send(s, payload);
    s.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });`;

/** One source address's datagrams: `n` of them with this payload ('x' by default). */
export interface UdpBurst {
  readonly src: string;
  readonly n: number;
  readonly payload?: string;
}

/** Send UDP datagrams to dst:port from namespace `ns`, burst after burst, from one process. */
export async function sendUdp(ns: string, dst: string, port: number, bursts: readonly UdpBurst[]): Promise<void> {
  const plan = JSON.stringify(bursts.map((b) => ({ ...b, payload: b.payload ?? 'x' })));
  const r = await exec(['ip', 'netns', 'exec', ns, process.execPath, '-e', SENDER, dst, String(port), plan]);
  if (r.code !== 0) throw new Error(`sending UDP in ${ns} failed: ${r.stderr}`);
}

const RECEIVER = `
const dgram = require('dgram');
const [port, expectFrom, expectN] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const counts = {};
let sawEnd = false;
const done = () => { console.log(JSON.stringify(counts)); s.close(); };
process.on('SIGTERM', done);
s.on('message', (m, r) => {
  if (m.toString() === 'end') sawEnd = true;
  else counts[r.address] = (counts[r.address] || 0) + 1;
  if (sawEnd && (counts[expectFrom] || 0) >= Number(expectN)) done();
});
s.bind(Number(port), () => console.log('ready'));`;

export interface UdpCounter {
  /** Resolves once the socket is bound. */
  readonly ready: Promise<void>;
  /** Datagrams received per source address (the `end` marker not counted). */
  readonly counts: Promise<Record<string, number>>;
}

/**
 * Count the UDP datagrams arriving at `port` in namespace `ns` until a datagram saying `end` and
 * `expectN` from `expectFrom` have arrived (so none still in flight is missed); after `deadlineMs`
 * (a bound that turns a hang into a failure) it reports what it has.
 */
export function countUdp(t: ExecutionContext, ns: string, port: number, expectFrom: string, expectN: number, deadlineMs = 15_000): UdpCounter {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RECEIVER, String(port), expectFrom, String(expectN)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes('ready')) resolve();
      else waiters.push(check);
    };
    check();
    void exited.then(() => (out.includes('ready') ? resolve() : reject(new Error(`UDP receiver failed: ${err}`))));
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), deadlineMs);
  const counts = exited.then(() => {
    clearTimeout(timer);
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`UDP receiver printed no counts: ${out} ${err}`);
    return JSON.parse(line) as Record<string, number>;
  });
  counts.catch(() => {});
  return { ready, counts };
}

/** The interface's `ip link show` line(s) in namespace `ns` (shows `xdp`/`prog/xdp` while a program is attached). */
export async function linkShow(ns: string, dev: string): Promise<string> {
  return (await exec(['ip', '-n', ns, 'link', 'show', dev])).stdout;
}

/** A veth pair whose receiving end is in this process's namespace (for the in-process shell), the sender in a namespace of the test's. */
export interface HostVethPair {
  /** The end in our namespace: no IPv4 address, so nothing it receives goes further (see makeHostVethPair). */
  readonly ifA: string;
  /** The address the sender sends to (no interface has it). */
  readonly addrA: string;
  readonly nsB: string;
  readonly ifB: string;
  readonly addrB: string;
}

/**
 * For probes that must attach in this process's network namespace (the shell runs in the test
 * process): one end stays here without an IPv4 address, and the sender's neighbour
 * entry for the destination is a MAC no interface has, so each packet is seen by the hooks of the
 * receiving end (xdp, tc) and then dropped as addressed to another host: traffic never leaves the
 * pair. Deleting the sender's namespace deletes both ends.
 */
export function makeHostVethPair(t: ExecutionContext): HostVethPair {
  const tag = uniqueTag(6);
  const net = `10.${100 + (parseInt(tag.slice(0, 2), 16) % 100)}.${parseInt(tag.slice(2, 4), 16)}`;
  const pair: HostVethPair = { ifA: `tha${tag}`, addrA: `${net}.1`, nsB: `tsbpf-h-${tag}`, ifB: `thb${tag}`, addrB: `${net}.2` };
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', pair.nsB]);
    spawnSync('ip', ['link', 'del', pair.ifA]);
  });
  ip(['netns', 'add', pair.nsB]);
  ip(['link', 'add', pair.ifA, 'type', 'veth', 'peer', 'name', pair.ifB, 'netns', pair.nsB]);
  ip(['-n', pair.nsB, 'addr', 'add', `${pair.addrB}/24`, 'dev', pair.ifB]);
  ip(['-n', pair.nsB, 'neigh', 'add', pair.addrA, 'lladdr', '02:00:5e:10:00:01', 'dev', pair.ifB, 'nud', 'permanent']);
  ip(['link', 'set', pair.ifA, 'up']);
  ip(['-n', pair.nsB, 'link', 'set', pair.ifB, 'up']);
  return pair;
}
