/**
 * The compiler front end (`compileFrontend`: parse → expand probes → check and lower to IR) on
 * whole programs: the maps it plans, the probes it expands, and the diagnostics (code + span,
 * never message text) it gives for mistakes.
 *
 * Programs with tracepoints read tracepoint formats from tracefs: those tests need it (root on
 * this machine) and are skipped, with the reason, without it. Everything else needs no kernel.
 */
import test, { type ExecutionContext } from 'ava';
import { ensureTracefs } from '../../../runtime/session/session.js';
import { compileFrontend, MapType, type CompiledMap, type FrontendResult } from '../../../src/compile.js';
import { helperErrorSlot, helperErrorValueSize } from '../../../src/contract/index.js';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { tracefsRoot } from '../../../src/kernel/tracefs.js';

function compile(text: string, positionals: string[] = []): FrontendResult {
  return compileFrontend({ name: 'test', text }, { positionals });
}

/** Compiles a program that must be valid: no diagnostics at all, and IR. */
function ok(t: ExecutionContext, text: string, positionals: string[] = []): FrontendResult {
  const r = compile(text, positionals);
  t.deepEqual(r.diagnostics, [], renderDiagnostics(r.diagnostics, { name: 'test', text }));
  t.truthy(r.ir, `no IR for: ${text}`);
  return r;
}

/** Compiles a program that must fail; returns its diagnostics (errors first). */
function errors(t: ExecutionContext, text: string): Diagnostic[] {
  const r = compile(text);
  t.is(r.ir, undefined, `expected no IR for: ${text}`);
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  t.true(errs.length > 0, `expected errors for: ${text}`);
  return errs;
}

/** The offset of the `n`-th (0-based) occurrence of `needle` in `text`. */
function at(text: string, needle: string, n = 0): number {
  let i = -1;
  for (let k = 0; k <= n; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`'${needle}' #${n} not in: ${text}`);
  }
  return i;
}

function map(r: FrontendResult, name: string): CompiledMap {
  const m = r.maps.find((x) => x.name === name);
  if (!m) throw new Error(`no map ${name} in ${r.maps.map((x) => x.name).join(', ')}`);
  return m;
}

/** Tracepoint formats come from tracefs: mount it when we are root and it is missing. */
function whyNoTracefs(): string | undefined {
  if (!tracefsRoot() && process.getuid?.() === 0) ensureTracefs(() => {});
  return tracefsRoot() ? undefined : 'needs tracefs (tracepoint formats); it is readable only by root here';
}

const tpTest = (title: string, impl: (t: ExecutionContext) => void): void => {
  const why = whyNoTracefs();
  if (why) test.skip(`${title} (skipped: ${why})`, impl);
  else test(title, impl);
};

// ------------------------------------------------------------------------------ valid programs

test('@[comm] = count(): one per-CPU count map keyed by a 16-byte comm, plus the internal maps', (t) => {
  const r = ok(t, 'BEGIN { @[comm] = count(); }');
  const m = map(r, '@');
  t.is(m.spec?.kind, 'count');
  t.is(m.bpfType, MapType.PERCPU_HASH);
  t.is(m.keySize, 16);
  t.deepEqual(m.spec?.keyTypes, [{ kind: 'str', size: 16 }]);
  t.is(m.valueSize, 8);
  t.true(m.maxEntries > 1);
  // The internal maps the runtime needs, and the IR's references to them.
  // The insert's failure has a counter slot (its helper-error event id's {sum, OR}, after the constant 1).
  t.deepEqual(r.maps.map((x) => x.name), ['@', '.ringbuf', '.lost', '.zero', '.helper-errors']);
  const errIds = r.events.flatMap((e, i) => (e.kind === 'helper-error' ? [i] : []));
  t.is(errIds.length, 1);
  t.is(map(r, '.helper-errors').valueSize, helperErrorValueSize(r.events.length));
  t.is(helperErrorSlot(errIds[0]!).or + 8 <= helperErrorValueSize(r.events.length), true);
  t.is(r.ir!.maps[r.ir!.helperErrorMap!]!.name, '.helper-errors');
  t.is(map(r, '.ringbuf').bpfType, MapType.RINGBUF);
  t.is(r.ir!.maps[r.ir!.ringbufMap]!.name, '.ringbuf');
  t.is(r.ir!.maps[r.ir!.lostMap]!.name, '.lost');
  t.is(r.ir!.maps[r.ir!.zeroMap]!.name, '.zero');
  // Map ids are indexes into the map list.
  r.maps.forEach((x, i) => t.is(x.id, i));
  t.is(r.ir!.programs.length, 1);
  t.is(r.probes[0]!.probe.attach.kind, 'special');
});

test('aggregation kinds, scalar and keyed maps', (t) => {
  const r = ok(t, 'BEGIN { @c = count(); @s = sum(5); @mn = min(1); @mx = max(2); @a = avg(3); @st = stats(4); @h = hist(3); @l = lhist(3, 0, 10, 1); @i[1] = 5; @v = "str"; }');
  const kinds = Object.fromEntries(r.maps.filter((m) => m.spec).map((m) => [m.name, m.spec!.kind]));
  t.deepEqual(kinds, { '@c': 'count', '@s': 'sum', '@mn': 'min', '@mx': 'max', '@a': 'avg', '@st': 'stats', '@h': 'hist', '@l': 'lhist', '@i': 'int', '@v': 'value' });
  // Aggregations are per-CPU; plain values are not. Keyless ones whose written value is never all
  // zeroes are one-entry arrays (src/passes/scalar-maps.ts); so is sum, with a written word after it.
  for (const name of ['@c', '@s', '@mn', '@mx', '@a', '@st', '@h', '@l']) t.is(map(r, name).bpfType, MapType.PERCPU_ARRAY, name);
  t.is(map(r, '@s').valueSize, 16);
  for (const name of ['@i', '@v']) t.is(map(r, name).bpfType, MapType.HASH, name);
  // Scalar maps hold one entry; keyed maps many.
  for (const name of ['@c', '@s', '@h', '@v']) {
    t.is(map(r, name).maxEntries, 1, name);
    t.deepEqual(map(r, name).spec?.keyTypes, [], name);
  }
  t.true(map(r, '@i').maxEntries > 1);
  // Integer keys keep their own size, as in bpftrace 0.26 (the literal 1 is one byte).
  t.is(map(r, '@i').keySize, 1);
  // avg/stats keep a count and a total; hist buckets are u64 slots.
  t.is(map(r, '@a').valueSize, 16);
  t.is(map(r, '@st').valueSize, 16);
  t.is(map(r, '@h').valueSize % 8, 0);
  t.deepEqual(map(r, '@l').spec?.params, ['0', '10', '1']);
  t.deepEqual(map(r, '@v').spec?.valueType, { kind: 'str', size: 4 });
});

test('multi-key maps: the key types in order', (t) => {
  const r = ok(t, 'BEGIN { @x[1, "a"] = 5; @y[comm, pid] = count(); }');
  t.deepEqual(map(r, '@x').spec?.keyTypes.map((k) => k.kind), ['int', 'str']);
  t.deepEqual(map(r, '@y').spec?.keyTypes.map((k) => k.kind), ['str', 'int']);
  // Packed as bpftrace's tuples: comm at 0, the uint32 pid at 16.
  t.is(map(r, '@y').keySize, 16 + 4);
});

test('a map read in a probe before another probe assigns it still type-checks', (t) => {
  const r = ok(t, 'END { printf("%d\\n", @x); } BEGIN { @x = 1; }');
  t.is(map(r, '@x').spec?.kind, 'int');
});

test('kprobe in the action form < ... > compiles like the block form', (t) => {
  const action = ok(t, 'kprobe:tcp_set_state < @[comm]++ >');
  const block = ok(t, 'kprobe:tcp_set_state { @[comm]++ }');
  t.deepEqual(action.maps, block.maps);
  t.deepEqual(action.ir, block.ir);
  t.is(action.probes[0]!.probe.attach.kind, 'kprobe');
  t.is(map(action, '@').keySize, 16);
});

test('positional parameters: $1 as an integer, str($2) as a string', (t) => {
  const r = ok(t, 'BEGIN { @x = $1; @y = str($2); }', ['5', 'abc']);
  t.is(map(r, '@x').spec?.valueType.kind, 'int');
  t.is(map(r, '@y').spec?.valueType.kind, 'str');
});

test('interval probes: one perf program, no script maps', (t) => {
  const r = ok(t, 'interval:ms:100 { exit(); }');
  t.is(r.probes.length, 1);
  t.is(r.probes[0]!.probe.attach.kind, 'perf');
  t.deepEqual(r.maps.filter((m) => m.spec), []);
  t.deepEqual(r.events.map((e) => e.kind), ['exit']);
});

test('printf events: one event spec per printf call, with its format', (t) => {
  const r = ok(t, 'BEGIN { printf("a %d\\n", 1); printf("b %s\\n", comm); }');
  t.deepEqual(r.events.map((e) => [e.kind, e.kind === 'printf' ? e.format : '']), [['printf', 'a %d\n'], ['printf', 'b %s\n']]);
});

tpTest('tracepoint args: args.x and args->x, keyed by an int field and by str(pointer)', (t) => {
  const r = ok(t, 'tracepoint:syscalls:sys_enter_openat { @[args.flags] = count(); @f[str(args->filename)] = count(); }');
  t.is(r.probes.length, 1);
  const p = r.probes[0]!.probe;
  t.is(p.name, 'tracepoint:syscalls:sys_enter_openat');
  t.deepEqual(p.attach, { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' });
  t.true(p.args?.some((a) => a.name === 'filename'));
  t.deepEqual(map(r, '@').spec?.keyTypes.map((k) => k.kind), ['int']);
  t.is(map(r, '@').keySize, 8);
  t.deepEqual(map(r, '@f').spec?.keyTypes.map((k) => k.kind), ['str']);
  t.is(map(r, '@f').keySize, (map(r, '@f').spec?.keyTypes[0] as { size: number }).size);
});

tpTest('args.field and args->field give the same IR', (t) => {
  const dot = ok(t, 'tracepoint:syscalls:sys_enter_openat { @[str(args.filename)] = count(); }');
  const arrow = ok(t, 'tracepoint:syscalls:sys_enter_openat { @[str(args->filename)] = count(); }');
  t.deepEqual(dot.ir, arrow.ir);
});

// ------------------------------------------------------------------------------ diagnostics

tpTest('unknown tracepoint field: unknown-field at the field name, with a did-you-mean hint', (t) => {
  for (const access of ['args.filenam', 'args->filenam']) {
    const text = `tracepoint:syscalls:sys_enter_openat { @[str(${access})] = count(); }`;
    const d = errors(t, text)[0]!;
    t.is(d.code, 'unknown-field', text);
    t.is(d.span?.start, at(text, 'filenam'), text);
    t.true(d.hints?.some((h) => h.includes('args.filename')), `hints: ${JSON.stringify(d.hints)}`);
  }
});

tpTest('unknown tracepoint field with no close match: the hint lists the fields', (t) => {
  const text = 'tracepoint:syscalls:sys_enter_openat { @x = args.zzz; }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'unknown-field');
  t.is(d.span?.start, at(text, 'zzz'));
  t.true(d.hints?.some((h) => h.includes('filename') && h.includes('flags')), `hints: ${JSON.stringify(d.hints)}`);
});

tpTest('unknown tracepoint: unknown-probe at the attach point', (t) => {
  const text = 'tracepoint:syscalls:sys_enter_nope_nope { }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'unknown-probe');
  t.is(d.span?.start, 0);
});

test('undefined map read: undefined-map at the map, suggesting a similar name', (t) => {
  const text = 'BEGIN { @calls = 1; printf("%d\\n", @call); }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'undefined-map');
  t.is(d.span?.start, at(text, '@call)'));
  t.true(d.hints?.some((h) => h.includes('@calls')), `hints: ${JSON.stringify(d.hints)}`);
});

test('undefined map read with no similar name', (t) => {
  const text = 'BEGIN { printf("%d\\n", @nope); }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'undefined-map');
  t.is(d.span?.start, at(text, '@nope'));
});

test('map type mismatch: count() then a string', (t) => {
  const text = 'BEGIN { @x = count(); @x = "a"; }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'map-type-mismatch');
  t.is(d.span?.start, at(text, '@x = "a"'));
});

test('map type mismatch: one aggregation then another (in another probe)', (t) => {
  const text = 'BEGIN { @x = sum(1); } END { @x = count(); }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'map-type-mismatch');
  const stmt = at(text, '@x = count()');
  t.true(d.span !== undefined && d.span.start >= stmt && d.span.start < stmt + '@x = count()'.length, `span ${JSON.stringify(d.span)}`);
});

test('map key mismatch: int key then string key', (t) => {
  const text = 'BEGIN { @x[1] = 1; @x["a"] = 1; }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'map-key-mismatch');
  t.is(d.span?.start, at(text, '@x["a"]'));
});

for (const [text, needle] of [
  ['BEGIN { $x = count(); }', 'count()'],
  ['BEGIN { count(); }', 'count()'],
  ['BEGIN { @x = 1 + sum(2); }', 'sum(2)'],
  ['BEGIN { printf("%d\\n", hist(1)); }', 'hist(1)'],
] as const) {
  test(`aggregation outside a map: ${text}`, (t) => {
    const d = errors(t, text)[0]!;
    t.is(d.code, 'aggregation-outside-map');
    t.is(d.span?.start, at(text, needle));
  });
}

for (const text of [
  'BEGIN { printf("%d %d\\n", 1); }', // too few arguments
  'BEGIN { printf("%d\\n", 1, 2); }', // too many
  'BEGIN { printf("%d\\n", "a"); }', // a string for %d
  'BEGIN { printf("%q\\n", 1); }', // no such conversion
] as const) {
  test(`wrong printf arguments: invalid-format for ${text}`, (t) => {
    const d = errors(t, text)[0]!;
    t.is(d.code, 'invalid-format');
    // On the printf call or inside it (the format string).
    const call = at(text, 'printf');
    t.true(d.span !== undefined && d.span.start >= call && d.span.start < text.lastIndexOf(')'), `span ${JSON.stringify(d.span)}`);
  });
}

test('unknown probe type: unknown-probe-type at the attach point', (t) => {
  const text = 'BEGIN { } kprobez:foo { }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'unknown-probe-type');
  t.is(d.span?.start, at(text, 'kprobez'));
});

test('syntax errors stop before expansion', (t) => {
  const text = 'BEGIN { @x = 1 +; }';
  const d = errors(t, text)[0]!;
  t.is(d.code, 'syntax-error');
  t.is(d.span?.start, at(text, ';'));
});

test('an empty program: no-probes', (t) => {
  const d = errors(t, '')[0]!;
  t.is(d.code, 'no-probes');
});

// One mistake, one error: no follow-on errors about the erroneous expression's (missing) type.
const oneErrorCases: [string, string][] = [
  ['tracepoint:syscalls:sys_enter_openat { @[str(args.filenam)] = count(); }', 'unknown-field'],
  ['BEGIN { @calls = 1; @x = @call; }', 'undefined-map'],
];
for (const [text, code] of oneErrorCases) {
  const impl = (t: ExecutionContext): void => {
    t.deepEqual(errors(t, text).map((d) => d.code), [code]);
  };
  const title = `one mistake, one error: ${code} alone for ${text}`;
  if (code === 'unknown-field' && whyNoTracefs()) test.skip(`${title} (skipped: ${whyNoTracefs()})`, impl);
  else test(title, impl);
}

test('every error has a stable kebab-case code and, with a span, lies inside the text', (t) => {
  const texts = [
    'BEGIN { @x = count(); @x = "a"; }',
    'BEGIN { printf("%d\\n", @nope); }',
    'BEGIN { $x = count(); }',
    'BEGIN { printf("%d %d\\n", 1); }',
    'BEGIN { @x = 1 +; }',
  ];
  for (const text of texts) {
    for (const d of compile(text).diagnostics) {
      t.regex(d.code, /^[a-z]+(-[a-z]+)*$/);
      if (d.span) t.true(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length, `${d.code} ${JSON.stringify(d.span)} in ${text}`);
    }
  }
});

test('on_stack_limit reaches code generation as the IR module\'s onStackLimit (default 32, bpftrace\'s)', (t) => {
  t.is(ok(t, 'BEGIN { @x = 1; }').ir!.onStackLimit, 32);
  t.is(ok(t, 'config = { on_stack_limit = 0 } BEGIN { @x = 1; }').ir!.onStackLimit, 0);
  t.is(ok(t, 'config = { BPFTRACE_ON_STACK_LIMIT = 256 } BEGIN { @x = 1; }').ir!.onStackLimit, 256);
});
