/** `tsbpf top`'s pure parts: link info decoding, rates from two readings, sorting and the table lines. */
import test from 'ava';
import { describeLink } from '../../../runtime/top/link-info.js';
import { programRows } from '../../../runtime/top/rates.js';
import type { Snapshot } from '../../../runtime/top/snapshot.js';
import { defaultOrder, sortRows, staleLinkLines, tableLines } from '../../../runtime/top/table.js';

function linkInfo(type: number, id: number, progId: number, fill: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(id, 4);
  b.writeUInt32LE(progId, 8);
  fill(b);
  return b;
}

const names = (i: number): string | undefined => (i === 7 ? 'veth0' : undefined);

test('link info: xdp, tcx, perf_event kinds, raw tracepoint, unknown devices', (t) => {
  t.deepEqual(describeLink({ info: linkInfo(6, 3, 40, (b) => b.writeUInt32LE(7, 16)), name: '' }, names), { id: 3, progId: 40, type: 'xdp', attach: 'xdp:veth0', ifindex: 7 });
  t.is(describeLink({ info: linkInfo(6, 3, 40, (b) => b.writeUInt32LE(9, 16)), name: '' }, names).attach, 'xdp:ifindex 9');
  t.is(describeLink({ info: linkInfo(6, 3, 40, () => {}), name: '' }, names).attach, 'xdp:(detached)');
  const tcx = linkInfo(11, 4, 41, (b) => {
    b.writeUInt32LE(7, 16);
    b.writeUInt32LE(47, 20);
  });
  t.is(describeLink({ info: tcx, name: '' }, names).attach, 'tc:veth0:egress');
  const uprobe = linkInfo(7, 5, 42, (b) => {
    b.writeUInt32LE(1, 16);
    b.writeUInt32LE(0x1234, 36);
  });
  t.is(describeLink({ info: uprobe, name: '/bin/bash' }, names).attach, 'uprobe:/bin/bash+0x1234');
  t.is(describeLink({ info: linkInfo(7, 6, 43, (b) => b.writeUInt32LE(5, 16)), name: 'sched_switch' }, names).attach, 'tracepoint:sched_switch');
  t.is(describeLink({ info: linkInfo(1, 8, 44, () => {}), name: 'sys_enter' }, names).attach, 'rawtracepoint:sys_enter');
  t.is(describeLink({ info: linkInfo(99, 9, 45, () => {}), name: '' }, names).type, 'link_type 99');
});

const reading = (timeNs: bigint, progs: [number, string, number, number][]): Snapshot => ({
  timeNs,
  links: [],
  netlinkXdp: [],
  netlinkTc: [],
  programs: progs.map(([id, name, runCnt, runTimeNs]) => ({ id, type: 'tracepoint', name, tag: '', runCnt, runTimeNs, attach: [], owners: [] })),
});

test('rates: events/s, ns per event and CPU % over the interval; a new program starts from zero', (t) => {
  const before = reading(1_000_000_000n, [[1, 'a', 100, 10_000]]);
  const after = reading(3_000_000_000n, [[1, 'a', 300, 50_000], [2, 'b', 10, 20_000_000]]);
  const [a, b] = programRows(before, after);
  t.like(a!, { id: 1, events: 200, eventsPerSec: 100, nsPerEvent: 200, runCnt: 300 });
  t.is(a!.cpuPercent, (40_000 * 100) / 2e9);
  t.like(b!, { id: 2, events: 10, eventsPerSec: 5, nsPerEvent: 2_000_000, cpuPercent: 1 });
});

test('sorting and the table: the sort column is marked, the last column takes the rest of the line', (t) => {
  const rows = programRows(reading(0n, []), reading(1_000_000_000n, [[1, 'busy', 1000, 1_000_000], [2, 'idle', 0, 0], [3, 'mid', 10, 5_000]]));
  t.deepEqual(sortRows(rows, defaultOrder('cpu')).map((r) => r.id), [1, 3, 2]);
  t.deepEqual(sortRows(rows, defaultOrder('name')).map((r) => r.name), ['busy', 'idle', 'mid']);
  t.deepEqual(sortRows(rows, { key: 'id', descending: true }).map((r) => r.id), [3, 2, 1]);
  const { header, rows: lines } = tableLines(sortRows(rows, defaultOrder('events')), defaultOrder('events'), 120);
  t.is(header, '    ID TYPE           NAME             EVENTS/S▼  NS/EVENT   CPU%       RUNS PROCESS            ATTACH');
  t.is(lines[0], '     1 tracepoint     busy                  1000      1000   0.10       1000 -                  -');
  t.is(lines[2], '     2 tracepoint     idle                     0         -   0.00          0 -                  -');
  t.true(tableLines(rows, defaultOrder('id'), 30).rows.every((l) => l.length <= 30));
});

test('stale links get a line saying how to remove them', (t) => {
  t.deepEqual(
    staleLinkLines([
      { id: 5, progId: 9, type: 'xdp', attach: 'xdp:veth0', ifindex: 7, owners: [], stale: true },
      { id: 6, progId: 10, type: 'tcx', attach: 'tc:veth0:ingress', ifindex: 7, owners: [{ pid: 1, comm: 'x', otherNetns: false }], stale: false },
    ]),
    ['stale link 5: xdp xdp:veth0 (program 9), held by no process; remove: tsbpf top --detach 5'],
  );
  t.deepEqual(staleLinkLines([], [{ ifname: 'veth1', ifindex: 4, progId: 77, mode: 2, progName: 'drop_all', owners: [], stale: true }]), [
    'stale xdp program 77 (drop_all) on veth1, attached through netlink (xdpgeneric), held by no process; remove: tsbpf top --detach prog:77',
  ]);
  t.deepEqual(staleLinkLines([], [], [{ ifname: 'veth1', direction: 'ingress', progId: 78, pref: 49152, handle: '0x1', progName: 'ingress_0', owners: [], stale: true }]), [
    'stale tc program 78 (ingress_0) on veth1 ingress, a cls_bpf filter (pref 49152 handle 0x1), held by no process; remove: tsbpf top --detach prog:78',
  ]);
});
