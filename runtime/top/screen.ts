/**
 * The full-screen view of `tsbpf top` on a terminal: the alternate screen, redrawn every interval
 * from a fresh reading; keys change the sort; q, Esc or Ctrl-C quit and give the terminal back as
 * it was.
 */
import { emitKeypressEvents } from 'node:readline';
import { programRows, type ProgramRow } from './rates.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import { COLUMNS, defaultOrder, SORT_KEYS, sortRows, staleLinkLines, tableLines, type SortOrder } from './table.js';

export interface ScreenIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const INVERSE = (s: string): string => `\x1b[7m${s}\x1b[0m`;
const BOLD = (s: string): string => `\x1b[1m${s}\x1b[0m`;

interface Key {
  readonly name?: string;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
  readonly sequence?: string;
}

/** Runs until the user quits; resolves with the exit status. */
export function runScreen(io: ScreenIo, intervalMs: number, statsNote: string, initial: SortOrder): Promise<number> {
  const { stdin, stdout } = io;
  let order = initial;
  let before: Snapshot = takeSnapshot();
  let rows: ProgramRow[] = [];
  let stale: string[] = staleLinkLines(before.links, before.netlinkXdp, before.netlinkTc);
  let sampled = false;

  const draw = (): void => {
    const width = stdout.columns || 80;
    const height = stdout.rows || 24;
    const sortTitle = COLUMNS.find((c) => c.key === order.key)?.title ?? order.key;
    const title = `tsbpf top  ${rows.length} programs  every ${intervalMs / 1000}s  stats: ${statsNote}  sort: ${sortTitle}${order.descending ? '▼' : '▲'}`;
    const help = 'q quit  s/→ next sort  S/← previous  r reverse  1-9 sort by column';
    const t = tableLines(sortRows(rows, order), order, width);
    const room = Math.max(0, height - 4 - stale.length);
    const lines = [BOLD(title.slice(0, width)), help.slice(0, width), INVERSE(t.header.padEnd(width).slice(0, width))];
    if (!sampled) lines.push('reading the programs’ run-time statistics...');
    lines.push(...t.rows.slice(0, room), ...stale.map((s) => s.slice(0, width)));
    stdout.write(HOME + lines.map((l) => l + CLEAR_LINE).join('\n') + CLEAR_BELOW);
  };

  let fail: ((e: unknown) => void) | undefined;
  const tick = (): void => {
    let now: Snapshot;
    try {
      now = takeSnapshot();
    } catch (e) {
      fail?.(e);
      return;
    }
    rows = programRows(before, now);
    stale = staleLinkLines(now.links, now.netlinkXdp, now.netlinkTc);
    before = now;
    sampled = true;
    draw();
  };

  return new Promise<number>((resolve) => {
    let done = false;
    const timer = setInterval(tick, intervalMs);
    const wasRaw = stdin.isRaw;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      stdin.off('keypress', onKey);
      stdout.off('resize', draw);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onTerm);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      stdout.write(LEAVE);
      resolve(code);
    };
    const onTerm = (): void => finish(0);
    // A reading that fails (it should not: vanished objects are skipped) ends the view cleanly.
    fail = (e: unknown): void => {
      finish(1);
      stdout.write(`ERROR: ${(e as Error).message}\n`);
    };
    const sortBy = (key: string): void => {
      order = order.key === key ? { key, descending: !order.descending } : defaultOrder(key);
    };
    const onKey = (str: string | undefined, key: Key | undefined): void => {
      const name = key?.name;
      if (name === 'q' || name === 'escape' || (key?.ctrl && (name === 'c' || name === 'd'))) return finish(0);
      const at = SORT_KEYS.indexOf(order.key);
      if (name === 'right' || (name === 's' && !key?.shift)) order = defaultOrder(SORT_KEYS[(at + 1) % SORT_KEYS.length]!);
      else if (name === 'left' || (name === 's' && key?.shift)) order = defaultOrder(SORT_KEYS[(at + SORT_KEYS.length - 1) % SORT_KEYS.length]!);
      else if (name === 'r') order = { ...order, descending: !order.descending };
      else if (str && /^[1-9]$/.test(str) && SORT_KEYS[Number(str) - 1]) sortBy(SORT_KEYS[Number(str) - 1]!);
      else return;
      draw();
    };
    emitKeypressEvents(stdin);
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('keypress', onKey);
    stdin.resume();
    stdout.on('resize', draw);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onTerm);
    stdout.write(ENTER);
    draw();
  });
}
