import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where tracefs is mounted; the runtime mounts it at the first path when it is missing. */
export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'] as const;

export function tracefsRoot(): string | undefined {
  return TRACEFS_PATHS.find((p) => existsSync(join(p, 'events')));
}

/** One field of a tracepoint's `format` file. */
export interface TracepointField {
  readonly name: string;
  /** The C declaration's type text, e.g. `const char *`, `__u8[4]`, `long`. */
  readonly cType: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
  /** Array length for `__u8 saddr[4]`. */
  readonly arrayLength: number | undefined;
  /**
   * `__data_loc char[] filename`: the field is a u32 whose low 16 bits are the data's offset from
   * the start of the record (and the high 16 its length); the data follows the fixed fields.
   */
  readonly dataLoc: boolean;
}

export interface TracepointFormat {
  readonly category: string;
  readonly name: string;
  readonly id: number;
  /** Fields after the common_* header, in order. */
  readonly fields: readonly TracepointField[];
}

const FIELD_RE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

export function parseTracepointFormat(category: string, name: string, text: string): TracepointFormat {
  let id = -1;
  const fields: TracepointField[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    const m = FIELD_RE.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    const dm = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(\d*)\])?$/.exec(decl);
    if (!dm) continue;
    const fieldName = dm[2]!;
    if (fieldName.startsWith('common_')) continue;
    fields.push({
      name: fieldName,
      cType: dm[1]!.trim().replace(/^__data_loc\s+/, ''),
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] === '1',
      arrayLength: dm[3] !== undefined ? Number(dm[3] || 0) : undefined,
      dataLoc: /^__data_loc\b/.test(dm[1]!.trim()),
    });
  }
  return { category, name, id, fields };
}

const formatCache = new Map<string, TracepointFormat | undefined>();

export function readTracepointFormat(category: string, name: string): TracepointFormat | undefined {
  const key = `${category}:${name}`;
  if (formatCache.has(key)) return formatCache.get(key);
  const root = tracefsRoot();
  let result: TracepointFormat | undefined;
  if (root) {
    try {
      const text = readFileSync(join(root, 'events', category, name, 'format'), 'utf8');
      result = parseTracepointFormat(category, name, text);
    } catch {
      result = undefined;
    }
  }
  formatCache.set(key, result);
  return result;
}

/**
 * All `category:name` tracepoints a program can attach to: tracefs's `available_events`, as
 * bpftrace reads it (the events directory also holds ftrace's own events, ftrace:function and
 * the like, which have no id to attach by). The directory walk is the fallback where that file
 * cannot be read.
 */
export function listTracepoints(): { category: string; name: string }[] {
  const root = tracefsRoot();
  if (!root) return [];
  let available: string;
  try {
    available = readFileSync(join(root, 'available_events'), 'utf8');
  } catch {
    return listEventDirectories(root);
  }
  const out: { category: string; name: string }[] = [];
  for (const line of available.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push({ category: line.slice(0, colon), name: line.slice(colon + 1) });
  }
  return out;
}

function listEventDirectories(root: string): { category: string; name: string }[] {
  const out: { category: string; name: string }[] = [];
  const events = join(root, 'events');
  for (const category of readdirSync(events, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const ev of readdirSync(join(events, category.name), { withFileTypes: true })) {
      if (ev.isDirectory()) out.push({ category: category.name, name: ev.name });
    }
  }
  return out;
}

/** Does the kernel expose a way to create kprobes (perf PMU or tracefs kprobe_events)? */
export function kernelHasKprobes(): boolean {
  if (existsSync('/sys/bus/event_source/devices/kprobe/type')) return true;
  const root = tracefsRoot();
  return root !== undefined && existsSync(join(root, 'kprobe_events'));
}

/**
 * The declarations of a tracepoint's own fields as its format file spells them (`const char * filename`,
 * `__data_loc char[] name`), for `-lv`: bpftrace prints the text between `field:` and `;` of each
 * field after the common_* block.
 */
export function tracepointFieldDecls(category: string, name: string): string[] {
  const root = tracefsRoot();
  if (!root) return [];
  let text: string;
  try {
    text = readFileSync(join(root, 'events', category, name, 'format'), 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const blank = lines.findIndex((l) => l.trim() === '' );
  return lines
    .slice(blank < 0 ? lines.length : blank + 1)
    .filter((l) => l.startsWith('\tfield:'))
    .map((l) => l.slice(l.indexOf(':') + 1, l.indexOf(';')));
}
