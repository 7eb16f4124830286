import type { CompiledScript } from '../../src/contract/index.js';

/**
 * A hand-written schema check of a CompiledScript read back from the compile cache
 * (runtime/compile/compile-cache.ts): every field the runtime reads has the shape src/compile.ts gives it,
 * so a damaged entry is a cache miss, never a crash deep in the loader or an output path.
 * `checkCompiledScript` returns what is wrong (for TSBPF_DEBUG), or undefined when the value is a
 * CompiledScript.
 */
export function checkCompiledScript(value: unknown): string | undefined {
  try {
    compiledScript(value, 'script');
    return undefined;
  } catch (e) {
    if (e instanceof ShapeError) return e.message;
    throw e;
  }
}

export function isCompiledScript(value: unknown): value is CompiledScript {
  return checkCompiledScript(value) === undefined;
}

class ShapeError extends Error {}

type Obj = Record<string, unknown>;

function fail(at: string, what: string): never {
  throw new ShapeError(`${at}: ${what}`);
}

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'not an object');
  return v as Obj;
}

function arr(v: unknown, at: string, each: (x: unknown, at: string) => void): void {
  if (!Array.isArray(v)) fail(at, 'not an array');
  v.forEach((x, i) => each(x, `${at}[${i}]`));
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string') fail(at, 'not a string');
  return v;
}

function int(v: unknown, at: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(at, `not an integer in [${min}, ${max}]`);
  return v;
}

function bool(v: unknown, at: string): void {
  if (typeof v !== 'boolean') fail(at, 'not a boolean');
}

function oneOf<T extends string>(v: unknown, at: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(at, `not one of ${allowed.join(', ')}`);
  return v as T;
}

function optional(o: Obj, key: string, at: string, check: (v: unknown, at: string) => unknown): void {
  if (o[key] !== undefined) check(o[key], `${at}.${key}`);
}

const U32 = 0xffffffff;
const MAP_KINDS = ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'tseries', 'int', 'value'] as const;
const RICH_KINDS = ['username', 'ksym', 'usym', 'kstack', 'ustack', 'timestamp', 'inet', 'macaddr', 'buffer', 'kaddr', 'uaddr', 'cgroup_path', 'probe'] as const;

/** A value type (src/types/types.ts Type), depth-limited so a hostile nesting cannot overflow the stack. */
function type(v: unknown, at: string, depth = 0): void {
  if (depth > 64) fail(at, 'type nests too deeply');
  const t = obj(v, at);
  switch (t['kind']) {
    case 'int':
      if (![8, 16, 32, 64].includes(t['bits'] as number)) fail(`${at}.bits`, 'not 8, 16, 32 or 64');
      bool(t['signed'], `${at}.signed`);
      optional(t, 'enum', at, (e, where) => {
        const names = obj(obj(e, where)['names'], `${where}.names`);
        for (const [k, n] of Object.entries(names)) if (!/^-?\d+$/.test(k) || typeof n !== 'string') fail(`${where}.names`, 'not a map of decimal values to names');
      });
      return;
    case 'bool': case 'args': case 'none':
      return;
    case 'str':
      int(t['size'], `${at}.size`, 0, U32);
      return;
    case 'tuple':
      arr(t['elems'], `${at}.elems`, (e, a) => type(e, a, depth + 1));
      optional(t, 'names', at, (n, a) => arr(n, a, str));
      optional(t, 'offsets', at, (n, a) => arr(n, a, (x, b) => int(x, b, 0, U32)));
      optional(t, 'size', at, (n, a) => int(n, a, 0, U32));
      return;
    case 'ptr':
      str(t['to'], `${at}.to`);
      oneOf(t['space'], `${at}.space`, ['user', 'kernel']);
      return;
    case 'rich':
      oneOf(t['of'], `${at}.of`, RICH_KINDS);
      int(t['size'], `${at}.size`, 0, U32);
      optional(t, 'arg', at, str);
      return;
    default:
      fail(`${at}.kind`, 'not a known type');
  }
}

function types(v: unknown, at: string): void {
  arr(v, at, (t, a) => type(t, a));
}

function map(v: unknown, at: string): void {
  const m = obj(v, at);
  int(m['id'], `${at}.id`, 0, U32);
  str(m['name'], `${at}.name`);
  for (const k of ['bpfType', 'keySize', 'valueSize', 'maxEntries']) int(m[k], `${at}.${k}`, 0, U32);
  optional(m, 'spec', at, (s, a) => {
    const spec = obj(s, a);
    oneOf(spec['kind'], `${a}.kind`, MAP_KINDS);
    types(spec['keyTypes'], `${a}.keyTypes`);
    type(spec['valueType'], `${a}.valueType`);
    arr(spec['params'], `${a}.params`, str);
    optional(spec, 'keyNames', a, (n, an) => arr(n, an, str));
  });
}

function contextField(v: unknown, at: string): void {
  const f = obj(v, at);
  str(f['name'], `${at}.name`);
  int(f['offset'], `${at}.offset`, 0, U32);
  int(f['size'], `${at}.size`, 0, U32);
  type(f['type'], `${at}.type`);
}

const ATTACH_KINDS = ['special', 'tracepoint', 'kprobe', 'perf', 'uprobe', 'rawtracepoint', 'fentry', 'watchpoint', 'iter', 'self', 'run', 'xdp', 'tc'] as const;

function probe(v: unknown, at: string): void {
  const p = obj(v, at);
  str(p['provider'], `${at}.provider`);
  str(p['name'], `${at}.name`);
  int(p['progType'], `${at}.progType`, 0, U32);
  const attach = obj(p['attach'], `${at}.attach`);
  oneOf(attach['kind'], `${at}.attach.kind`, ATTACH_KINDS);
  if (p['args'] !== undefined) arr(p['args'], `${at}.args`, contextField);
  arr(p['registers'], `${at}.registers`, contextField);
  optional(p, 'load', at, obj);
  optional(p, 'files', at, (f, a) => arr(f, a, str));
  optional(p, 'usdtArgs', at, (u, a) => arr(u, a, obj));
  optional(p, 'func', at, str);
  optional(p, 'skipIfNull', at, (o, a) => arr(o, a, (x, b) => int(x, b, 0, U32)));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function program(v: unknown, at: string): void {
  const p = obj(v, at);
  str(p['name'], `${at}.name`);
  probe(p['probe'], `${at}.probe`);
  const insns = str(p['insns'], `${at}.insns`);
  // Whole 8-byte `struct bpf_insn`s, at least one.
  if (!BASE64.test(insns) || insns.length % 4 !== 0 || Buffer.byteLength(insns, 'base64') % 8 !== 0 || insns.length === 0) fail(`${at}.insns`, 'not base64 BPF instructions');
  optional(p, 'subprogs', at, (s, a) => arr(s, a, (x, b) => int(x, b, 0, U32)));
  optional(p, 'stopGuard', at, (s, a) => { if (s !== true) fail(a, 'not true'); });
}

const EVENT_KINDS = ['printf', 'exit', 'print-map', 'print-value', 'clear', 'zero', 'time', 'cat', 'system', 'user-pid', 'unwatch', 'errorf', 'warnf', 'join', 'runtime-warning', 'helper-error'] as const;

function event(v: unknown, at: string): void {
  const e = obj(v, at);
  const kind = oneOf(e['kind'], `${at}.kind`, EVENT_KINDS);
  types(e['args'], `${at}.args`);
  switch (kind) {
    case 'printf': case 'time': case 'cat': case 'system':
      str(e['format'], `${at}.format`);
      return;
    case 'print-map':
      str(e['map'], `${at}.map`);
      int(e['top'], `${at}.top`);
      int(e['div'], `${at}.div`);
      return;
    case 'clear': case 'zero':
      str(e['map'], `${at}.map`);
      return;
    case 'errorf': case 'warnf':
      str(e['format'], `${at}.format`);
      location(e['loc'], `${at}.loc`);
      return;
    case 'join':
      str(e['sep'], `${at}.sep`);
      return;
    case 'runtime-warning':
      str(e['text'], `${at}.text`);
      return;
    case 'helper-error': {
      str(e['helper'], `${at}.helper`);
      location(e['loc'], `${at}.loc`);
      arr(obj(e['loc'], `${at}.loc`)['context'], `${at}.loc.context`, str);
      return;
    }
    default:
      return;
  }
}

function location(v: unknown, at: string): void {
  const l = obj(v, at);
  str(l['filename'], `${at}.filename`);
  int(l['line'], `${at}.line`);
  int(l['col'], `${at}.col`);
  str(l['text'], `${at}.text`);
}

function diagnostic(v: unknown, at: string): void {
  const d = obj(v, at);
  oneOf(d['severity'], `${at}.severity`, ['error', 'warning']);
  str(d['code'], `${at}.code`);
  str(d['message'], `${at}.message`);
  optional(d, 'span', at, (s, a) => {
    const span = obj(s, a);
    int(span['start'], `${a}.start`);
    int(span['end'], `${a}.end`);
  });
  optional(d, 'hints', at, (h, a) => arr(h, a, str));
}

function compiledScript(v: unknown, at: string): void {
  const s = obj(v, at);
  if (s['format'] !== 1) fail(`${at}.format`, 'not 1');
  arr(s['maps'], `${at}.maps`, map);
  arr(s['programs'], `${at}.programs`, program);
  if ((s['programs'] as unknown[]).length === 0) fail(`${at}.programs`, 'empty');
  arr(s['events'], `${at}.events`, event);
  arr(s['warnings'], `${at}.warnings`, diagnostic);
  optional(s, 'probeNames', at, (names, a) => arr(names, a, str));
  // Map ids are unique (the loader keeps maps by id), and the ring buffer and loss counter are maps.
  const ids = new Set<unknown>();
  (s['maps'] as Obj[]).forEach((m, i) => {
    if (ids.has(m['id'])) fail(`${at}.maps[${i}].id`, 'used twice');
    ids.add(m['id']);
  });
  if (!ids.has(s['ringbufMap'])) fail(`${at}.ringbufMap`, 'not a map id');
  if (!ids.has(s['lostMap'])) fail(`${at}.lostMap`, 'not a map id');
  optional(s, 'imports', at, (imports, a) => arr(imports, a, (f, b) => {
    const file = obj(f, b);
    str(file['path'], `${b}.path`);
    if (!/^[0-9a-f]{64}$/.test(str(file['sha256'], `${b}.sha256`))) fail(`${b}.sha256`, 'not a SHA-256');
  }));
  optional(s, 'printMapsOnExit', at, (v, a) => {
    if (v !== false) fail(a, 'not false');
  });
  optional(s, 'missingProbes', at, (v, a) => {
    if (v !== 'warn' && v !== 'ignore') fail(a, 'not warn or ignore');
  });
  optional(s, 'exportMaxSeries', at, (v, a) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(a, 'not a positive integer');
  });
  optional(s, 'cppDemangle', at, (v, a) => {
    if (v !== false) fail(a, 'not false');
  });
  optional(s, 'showDebugInfo', at, (v, a) => {
    if (v !== true) fail(a, 'not true');
  });
  optional(s, 'license', at, str);
  optional(s, 'logSize', at, (v, a) => int(v, a, 1, U32));
  optional(s, 'maxCatBytes', at, (v, a) => int(v, a, 1));
}
