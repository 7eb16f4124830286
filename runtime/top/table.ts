/**
 * The program table `tsbpf top` draws: its columns, sorting, and the lines for a screen of a given
 * size. Pure (no terminal), so the unit tests render it.
 */
import type { ProgramRow } from './rates.js';
import { xdpModeKeyword } from './netlink-xdp.js';
import type { LinkReading, NetlinkTcReading, NetlinkXdpReading } from './snapshot.js';

export interface Column {
  readonly key: string;
  readonly title: string;
  /** Right-aligned numbers; the last column takes the rest of the line. */
  readonly numeric: boolean;
  readonly width: number;
  readonly text: (r: ProgramRow) => string;
  /** Sort order (descending first for numbers, ascending for text). */
  readonly compare?: (a: ProgramRow, b: ProgramRow) => number;
}

const num = (f: (r: ProgramRow) => number) => (a: ProgramRow, b: ProgramRow) => f(a) - f(b);
const str = (f: (r: ProgramRow) => string) => (a: ProgramRow, b: ProgramRow) => f(a).localeCompare(f(b));

function rate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 100 || v === 0 ? v.toFixed(0) : v.toFixed(1);
}

export const COLUMNS: readonly Column[] = [
  { key: 'id', title: 'ID', numeric: true, width: 6, text: (r) => String(r.id), compare: num((r) => r.id) },
  { key: 'type', title: 'TYPE', numeric: false, width: 14, text: (r) => r.type, compare: str((r) => r.type) },
  { key: 'name', title: 'NAME', numeric: false, width: 16, text: (r) => r.name, compare: str((r) => r.name) },
  { key: 'events', title: 'EVENTS/S', numeric: true, width: 9, text: (r) => rate(r.eventsPerSec), compare: num((r) => r.eventsPerSec) },
  { key: 'ns', title: 'NS/EVENT', numeric: true, width: 9, text: (r) => (r.events ? r.nsPerEvent.toFixed(0) : '-'), compare: num((r) => r.nsPerEvent) },
  { key: 'cpu', title: 'CPU%', numeric: true, width: 6, text: (r) => r.cpuPercent.toFixed(2), compare: num((r) => r.cpuPercent) },
  { key: 'runs', title: 'RUNS', numeric: true, width: 10, text: (r) => String(r.runCnt), compare: num((r) => r.runCnt) },
  { key: 'process', title: 'PROCESS', numeric: false, width: 18, text: (r) => r.owners.join(',') || '-', compare: str((r) => r.owners.join(',')) },
  { key: 'attach', title: 'ATTACH', numeric: false, width: 0, text: (r) => r.attach.join(', ') || '-', compare: str((r) => r.attach.join(',')) },
];

export const SORT_KEYS: readonly string[] = COLUMNS.filter((c) => c.compare).map((c) => c.key);

export interface SortOrder {
  readonly key: string;
  /** Largest (numbers) or last (text) first. */
  readonly descending: boolean;
}

/** The order a column sorts in when first chosen: numbers biggest first, text a to z (ids ascending). */
export function defaultOrder(key: string): SortOrder {
  const c = COLUMNS.find((x) => x.key === key);
  return { key, descending: c !== undefined && c.numeric && key !== 'id' };
}

export function sortRows(rows: readonly ProgramRow[], order: SortOrder): ProgramRow[] {
  const c = COLUMNS.find((x) => x.key === order.key) ?? COLUMNS[0]!;
  const cmp = c.compare!;
  return [...rows].sort((a, b) => (order.descending ? cmp(b, a) : cmp(a, b)) || a.id - b.id);
}

function cell(text: string, width: number, numeric: boolean): string {
  const t = text.length > width ? text.slice(0, Math.max(1, width - 1)) + '…' : text;
  return numeric ? t.padStart(width) : t.padEnd(width);
}

/** The header and row lines, each at most `width` characters. */
export function tableLines(rows: readonly ProgramRow[], order: SortOrder, width: number): { header: string; rows: string[] } {
  const line = (texts: (c: Column) => string): string => {
    let s = '';
    for (const c of COLUMNS) {
      const w = c.width === 0 ? Math.max(6, width - s.length) : c.width;
      s += cell(texts(c), w, c.numeric) + (c.width === 0 ? '' : ' ');
    }
    return s.slice(0, width).trimEnd();
  };
  const header = line((c) => (c.key === order.key ? `${c.title}${order.descending ? '▼' : '▲'}` : c.title));
  return { header, rows: rows.map((r) => line((c) => c.text(r))) };
}

/**
 * A line per stale attachment (no process holds it: a pinned link, an XDP program attached through
 * netlink, a classic tc filter), to tell the user it is there and how to remove it.
 */
export function staleLinkLines(links: readonly LinkReading[], netlinkXdp: readonly NetlinkXdpReading[] = [], netlinkTc: readonly NetlinkTcReading[] = []): string[] {
  return [
    ...links.filter((l) => l.stale).map((l) => `stale link ${l.id}: ${l.type} ${l.attach} (program ${l.progId}), held by no process; remove: tsbpf top --detach ${l.id}`),
    ...netlinkXdp
      .filter((x) => x.stale)
      .map((x) => `stale xdp program ${x.progId} (${x.progName}) on ${x.ifname}, attached through netlink (${xdpModeKeyword(x.mode)}), held by no process; remove: tsbpf top --detach prog:${x.progId}`),
    ...netlinkTc
      .filter((x) => x.stale)
      .map((x) => `stale tc program ${x.progId} (${x.progName}) on ${x.ifname} ${x.direction}, a cls_bpf filter (pref ${x.pref} handle ${x.handle}), held by no process; remove: tsbpf top --detach prog:${x.progId}`),
  ];
}
