/**
 * `tsbpf top`: every BPF program on the machine with its run rate and cost, from the kernel's
 * run-time statistics, which are on only while top runs (runtime/session/bpf-stats.ts).
 *
 *   tsbpf top                 full-screen live table on a terminal (a one-sample table otherwise)
 *   tsbpf top -f json         one sample (two readings an interval apart) as JSON, then exit
 *   tsbpf top -i SECONDS      the interval (default 1)
 *   tsbpf top --sort KEY      id, type, name, events, ns, cpu (default), runs, process, attach
 *   tsbpf top --detach ID     remove a stale link (no process holds it) by its id
 *   tsbpf top --detach prog:ID   remove an XDP program attached through netlink or a classic tc filter (no process holds it)
 */
import { startBpfStats, type StatsMode } from '../session/bpf-stats.js';
import { detachNetlinkProgram, detachStaleLink } from './detach.js';
import { programRows } from './rates.js';
import { runScreen } from './screen.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import { defaultOrder, SORT_KEYS, sortRows, staleLinkLines, tableLines, type SortOrder } from './table.js';

export const TOP_USAGE = `USAGE: tsbpf top [-f text|json] [-i SECONDS] [--sort KEY] | tsbpf top --detach LINK_ID|prog:PROG_ID

Every BPF program loaded on the machine: events/s, average ns per event and CPU % from the
kernel's run-time statistics (turned on only while top runs), with the attach points the kernel
reports. On a terminal a live table (q quits; s, S or arrows change the sort column, 1-9 pick one,
r reverses it); otherwise, or with -f json, one sample over the interval.

    -f FORMAT      text (default) or json (one sample, then exit)
    -i SECONDS     sampling interval (default 1)
    --sort KEY     ${SORT_KEYS.join(', ')} (default cpu)
    --detach ID    detach the stale link ID (held by no process, e.g. pinned) and remove its pins
    --detach prog:ID
                   remove the XDP program ID from the device it is attached to through netlink,
                   or the classic tc (cls_bpf) filter running it
    -h, --help     this text
`;

interface TopOptions {
  format: 'text' | 'json';
  intervalMs: number;
  order: SortOrder;
  detach?: { readonly link: number } | { readonly prog: number };
  help?: boolean;
}

class TopUsageError extends Error {}

function parseTopArgs(args: readonly string[]): TopOptions {
  const o: TopOptions = { format: 'text', intervalMs: 1000, order: defaultOrder('cpu') };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new TopUsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-f': {
        const f = value();
        if (f !== 'text' && f !== 'json') throw new TopUsageError(`unknown format ${f}: expected text or json`);
        o.format = f;
        break;
      }
      case '-i':
      case '--interval': {
        const v = value();
        const s = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || s < 0.1 || s > 3600) throw new TopUsageError(`bad interval ${v}: expected seconds between 0.1 and 3600`);
        o.intervalMs = Math.round(s * 1000);
        break;
      }
      case '--sort': {
        const k = value();
        if (!SORT_KEYS.includes(k)) throw new TopUsageError(`unknown sort key ${k}: expected one of ${SORT_KEYS.join(', ')}`);
        o.order = defaultOrder(k);
        break;
      }
      case '--detach': {
        const v = value();
        const m = /^(prog:)?(\d+)$/.exec(v);
        if (!m) throw new TopUsageError(`not a link id (or prog:ID for an XDP program or tc filter attached through netlink): ${v}`);
        o.detach = m[1] ? { prog: Number(m[2]) } : { link: Number(m[2]) };
        break;
      }
      default:
        throw new TopUsageError(`unknown top option ${a}`);
    }
  }
  return o;
}

const STATS_NOTES: Record<StatsMode, string> = {
  fd: 'on (BPF_ENABLE_STATS)',
  sysctl: 'on (kernel.bpf_stats_enabled, restored at exit)',
  'already-on': 'on (kernel.bpf_stats_enabled was already 1)',
  unavailable: 'unavailable (counts stay 0)',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One sample: two readings `intervalMs` apart. */
async function sample(intervalMs: number): Promise<{ before: Snapshot; after: Snapshot }> {
  const before = takeSnapshot();
  await sleep(intervalMs);
  return { before, after: takeSnapshot() };
}

export async function runTop(args: readonly string[]): Promise<number> {
  const { stdout, stderr, stdin } = process;
  let o: TopOptions;
  try {
    o = parseTopArgs(args);
  } catch (e) {
    if (!(e instanceof TopUsageError)) throw e;
    stderr.write(`ERROR: ${e.message}\n${TOP_USAGE.split('\n')[0]}\n`);
    return 1;
  }
  if (o.help) {
    stdout.write(TOP_USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    stderr.write('ERROR: tsbpf top needs root (it reads every BPF program and turns on their statistics).\n');
    return 1;
  }
  if (o.detach !== undefined) {
    try {
      const lines = 'link' in o.detach ? detachStaleLink(o.detach.link) : detachNetlinkProgram(o.detach.prog);
      for (const line of lines) stdout.write(`${line}\n`);
      return 0;
    } catch (e) {
      stderr.write(`ERROR: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const stats = startBpfStats();
  try {
    if (o.format === 'text' && stdin.isTTY && stdout.isTTY) return await runScreen({ stdin, stdout }, o.intervalMs, STATS_NOTES[stats.mode], o.order);
    const { before, after } = await sample(o.intervalMs);
    const rows = sortRows(programRows(before, after), o.order);
    if (o.format === 'json') {
      const owners = (os: readonly { pid: number; comm: string }[]): { pid: number; comm: string }[] => os.map((x) => ({ pid: x.pid, comm: x.comm }));
      const links = after.links.map((l) => ({ ...l, owners: owners(l.owners) }));
      const netlinkXdp = after.netlinkXdp.map((x) => ({ ...x, owners: owners(x.owners) }));
      const netlinkTc = after.netlinkTc.map((x) => ({ ...x, owners: owners(x.owners) }));
      stdout.write(`${JSON.stringify({ intervalNs: Number(after.timeNs - before.timeNs), stats: stats.mode, programs: rows, links, netlinkXdp, netlinkTc })}\n`);
    } else {
      const t = tableLines(rows, o.order, stdout.columns || 160);
      stdout.write([t.header, ...t.rows, ...staleLinkLines(after.links, after.netlinkXdp, after.netlinkTc)].map((l) => `${l}\n`).join(''));
    }
    return 0;
  } finally {
    stats.restore();
  }
}
