/** Process and system builtins: username, elapsed, func, cgroupid, ncpus, numaid, jiffies, usermode-free helpers. */
import { readFileSync, statSync } from 'node:fs';
import type { IrExpr } from '../ir/ir.js';
import { u32, u64 } from '../types/types.js';
import { argCount, c64, stringValue, type LibFunction, type LibValue, type LibVar, type LowerContext } from './library.js';

const MAP_LOOKUP_ELEM = 1;
const KTIME_GET_NS = 5;
const GET_CURRENT_UID_GID = 15;
const GET_NUMA_NODE_ID = 42;
const JIFFIES64 = 118;

/** One-entry array holding the run's start time (CLOCK_MONOTONIC ns), written by the runtime before BEGIN. */
export const START_TIME_MAP = '.start';

function username(cx: LowerContext): LibValue {
  void cx;
  const uid: IrExpr = { op: 'binary', operator: '&', left: { op: 'call', helper: GET_CURRENT_UID_GID, args: [] }, right: c64(0xffffffff), signed: false };
  return { type: { kind: 'rich', of: 'username', size: 8 }, blob: { op: 'int', value: uid, size: 8 } };
}

/** `elapsed`: ns since tsbpf started: bpf_ktime_get_ns() - the start time the runtime stored. */
function elapsed(cx: LowerContext): LibValue {
  const map = cx.internalMap(START_TIME_MAP, { bpfType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const start: IrExpr = { op: 'mapGet', map, key: { op: 'int', value: c64(0), size: 4 } };
  return { type: u64, int: { op: 'binary', operator: '-', left: { op: 'call', helper: KTIME_GET_NS, args: [] }, right: start, signed: false } };
}

/** `func`: the traced function; every probe is concrete after expansion, so its name is known. */
function func(cx: LowerContext, span: import('../common/span.js').Span): LibValue {
  const p = cx.probe;
  const kinds: Record<string, true> = { kprobe: true, kretprobe: true, uprobe: true, uretprobe: true, fentry: true, fexit: true, kfunc: true, kretfunc: true, rawtracepoint: true };
  if (!kinds[p.provider]) {
    cx.diags.error('no-such-builtin', `func is not available in ${p.provider} probes`, span);
    return cx.fail();
  }
  const parts = p.name.split(':');
  let name = parts[parts.length - 1]!;
  const plus = name.indexOf('+');
  if (plus > 0) name = name.slice(0, plus);
  return stringValue(name);
}

function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 1;
  }
}

const cgroupid: LibFunction = {
  name: 'cgroupid',
  expr(call, cx) {
    if (!argCount(call, cx, 1, 1)) return cx.fail();
    const path = cx.constString(call.args[0]!, 'a cgroup path');
    if (path === undefined) return cx.fail();
    try {
      // cgroup v2 ids are the kernfs inode numbers of the cgroup directories.
      return { type: u64, int: c64(statSync(path, { bigint: true }).ino) };
    } catch (e) {
      cx.diags.error('invalid-argument', `cgroupid: cannot stat ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, call.args[0]!.span);
      return cx.fail();
    }
  },
};

const noArgs = (name: string, f: (cx: LowerContext) => LibValue): LibFunction => ({
  name,
  expr: (call, cx) => (argCount(call, cx, 0, 0) ? f(cx) : cx.fail()),
});

const ncpus = (): LibValue => ({ type: u64, int: c64(possibleCpus()) });
const numaid = (): LibValue => ({ type: u32, int: { op: 'call', helper: GET_NUMA_NODE_ID, args: [] } });
const jiffies = (): LibValue => ({ type: u64, int: { op: 'call', helper: JIFFIES64, args: [] } });

export const PROCESS_FUNCTIONS: readonly LibFunction[] = [
  noArgs('username', username),
  noArgs('elapsed', elapsed),
  noArgs('ncpus', ncpus),
  noArgs('numaid', numaid),
  noArgs('jiffies', jiffies),
  { name: 'func', expr: (call, cx) => (argCount(call, cx, 0, 0) ? func(cx, call.span) : cx.fail()) },
  cgroupid,
];

export const PROCESS_VARS: readonly LibVar[] = [
  { name: 'username', lower: (_n, cx) => username(cx) },
  { name: 'elapsed', lower: (_n, cx) => elapsed(cx) },
  { name: 'func', lower: (n, cx) => func(cx, n.span) },
  { name: 'ncpus', lower: () => ncpus() },
  { name: 'numaid', lower: () => numaid() },
  { name: 'jiffies', lower: () => jiffies() },
];
