/**
 * Folded stacks: the text flame-graph tools read (flamegraph.pl, inferno, speedscope), one line per
 * distinct stack, `frame;frame;frame count`, frames root first.
 *
 * A map is folded when one of its keys is a stack (`@[kstack, ustack, comm] = count()`). Its key is
 * read as bpftrace prints it (each stack leaf first, keys in order) and reversed, as
 * stackcollapse-bpftrace.pl does: `@[kstack, ustack, comm]` folds to `comm;ustack root..leaf;kstack
 * root..leaf`. Unlike that script, a frame's `+offset` is dropped, so the samples of one function
 * add up to one box instead of one box per instruction (perf's collapse does the same).
 */
import { valueText, type MapDump, type MapEntry, type Value } from './value.js';

export interface FoldedStack {
  /** Root first. */
  readonly frames: readonly string[];
  readonly count: bigint;
}

/** Does this map have a stack among its keys (a tuple key's elements included)? */
export function isStackMap(dump: MapDump): boolean {
  return dump.entries.some((e) => e.key.some(hasStack));
}

function hasStack(v: Value): boolean {
  return v.kind === 'stack' || (v.kind === 'tuple' && v.elems.some(hasStack));
}

/**
 * A stack frame's name without its address or offset: `vfs_read+142` → `vfs_read`, perf mode's
 * `\t7f01a2 main+22 (/bin/prog)` → `main`, `0x7f01a2` stays; with show_debug_info the source line
 * stays (`main+22@/src/a.c:7` → `main@/src/a.c:7`, `[inlined] f@/src/a.c:3` as it is). `;` would
 * split the frame, so it becomes `:`; a frame is never empty.
 */
export function frameName(frame: string): string {
  let s = frame.trim();
  const perf = /^[0-9a-f]+ (.+)$/.exec(s);
  if (perf) s = perf[1]!.replace(/ \((?:[^()]*)\)$/, '');
  if (s === '') return '[unknown]';
  s = s.replace(/\+(?:0x[0-9a-f]+|\d+)(?=@[^@]*$|$)/, '');
  return s.replace(/;/g, ':').replace(/[\r\n]/g, ' ');
}

/** One key's frames in the order bpftrace prints them (stacks leaf first). */
function printedFrames(v: Value, out: string[]): void {
  if (v.kind === 'stack') {
    for (const f of v.frames) out.push(frameName(f));
  } else if (v.kind === 'tuple') {
    for (const e of v.elems) printedFrames(e, out);
  } else {
    out.push(valueText(v).replace(/;/g, ':').replace(/[\r\n]+/g, ' ') || '""');
  }
}

/** The sample count of an entry: an int's value (count, sum, plain), stats' count; undefined for histograms and the like. */
function sampleCount(e: MapEntry): bigint | undefined {
  const v = e.value;
  if (v.kind === 'int') return v.value;
  if (v.kind === 'stats') return v.count;
  return undefined;
}

/**
 * A stack map's distinct stacks with their summed counts (entries whose stacks differ only in
 * offsets merge), in the order of their folded text. `prefix`: frames put below every stack (the
 * map's name when several maps go into one graph).
 */
export function foldMap(dump: MapDump, prefix: readonly string[] = []): FoldedStack[] {
  const sums = new Map<string, bigint>();
  for (const e of dump.entries) {
    const count = sampleCount(e);
    if (count === undefined || count <= 0n) continue;
    const printed: string[] = [];
    for (const k of e.key) printedFrames(k, printed);
    const line = [...prefix, ...printed.reverse()].join(';');
    sums.set(line, (sums.get(line) ?? 0n) + count);
  }
  return [...sums.keys()].sort().map((line) => ({ frames: line === '' ? [] : line.split(';'), count: sums.get(line)! }));
}

/**
 * Every stack map of a run folded together: one map's stacks as they are, several maps' under a
 * first frame naming the map.
 */
export function foldMaps(dumps: readonly MapDump[]): FoldedStack[] {
  const stackMaps = dumps.filter(isStackMap);
  if (stackMaps.length === 1) return foldMap(stackMaps[0]!);
  return stackMaps.flatMap((d) => foldMap(d, [d.name]));
}

/** The folded text: `frames count` lines (no stack: the count alone is not a valid line, so `[empty]`). */
export function foldedText(stacks: readonly FoldedStack[]): string {
  let s = '';
  for (const st of stacks) s += (st.frames.length ? st.frames.join(';') : '[empty]') + ' ' + st.count.toString() + '\n';
  return s;
}
