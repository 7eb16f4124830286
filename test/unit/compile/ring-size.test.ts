/**
 * The event ring buffer's size (src/compile.ts ringbufSize, src/ir/ring-demand.ts): 16 MiB where
 * an attached probe may send events (a flood must not be lost), the pages BEGIN and END need where
 * only they send, and `perf_rb_pages` whenever it is given.
 */
import test, { type ExecutionContext } from 'ava';
import { ensureTracefs } from '../../../runtime/session/session.js';
import { compileFrontend, RINGBUF_BYTES, ringbufBytes } from '../../../src/compile.js';
import { renderDiagnostics } from '../../../src/common/render.js';
import { ringDemand } from '../../../src/ir/ring-demand.js';
import { tracefsRoot } from '../../../src/kernel/tracefs.js';
import type { IrStmt } from '../../../src/ir/ir.js';

test.before(() => {
  if (!tracefsRoot() && process.getuid?.() === 0) ensureTracefs(() => {});
});

function ringSize(t: ExecutionContext, text: string): number {
  const r = compileFrontend({ name: 'test', text }, {});
  t.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], renderDiagnostics(r.diagnostics, { name: 'test', text }));
  const ring = r.maps.find((m) => m.name === '.ringbuf');
  t.truthy(ring);
  return ring!.maxEntries;
}

const SMALL = ringbufBytes(1);

test('a probe that only counts gets the smallest ring', (t) => {
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'), SMALL);
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_read { @b = hist(args.count); @s[tid] = sum(1); }'), SMALL);
});

test('BEGIN and END output without loops is bounded by its records', (t) => {
  t.is(ringSize(t, 'BEGIN { printf("Tracing... Hit Ctrl-C to end.\\n"); } tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } END { print(@); clear(@); }'), SMALL);
  // Straight-line records past one page still get a ring that holds them all.
  const big = Array.from({ length: 300 }, (_, i) => `printf("line %d %s\\n", ${i}, "${'x'.repeat(40)}");`).join(' ');
  const size = ringSize(t, `BEGIN { ${big} }`);
  t.true(size > 300 * 16 && size < RINGBUF_BYTES, String(size));
});

test('exit() in an attached probe needs room for one request: the runtime ends at the first, the rest may drop', (t) => {
  t.is(ringSize(t, 'tracepoint:sched:sched_switch { @ = count(); exit(); }'), SMALL);
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:5 { exit(); }'), SMALL);
  t.is(ringSize(t, 'BEGIN { printf("Tracing...\\n"); } tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } interval:s:1 { exit(); } END { clear(@); }'), SMALL);
  // assert() reports its failure through a counted record before it exits.
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { assert(pid > 0, "pid"); }'), RINGBUF_BYTES);
});

test('an exit request is not counted as lost when the ring is full; every other record is', (t) => {
  const emits: { dropOk?: true }[] = [];
  const r = compileFrontend({ name: 'test', text: 'tracepoint:syscalls:sys_enter_openat { printf("%d\\n", pid); exit(); }' }, {});
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(visit);
    if (x === null || typeof x !== 'object') return;
    if ((x as { op?: unknown }).op === 'emit') emits.push(x as { dropOk?: true });
    Object.values(x).forEach(visit);
  };
  visit(r.ir?.programs);
  t.deepEqual(emits.map((e) => e.dropOk === true), [false, true]);
});

test('an attached probe that prints or may report a helper error keeps the default ring', (t) => {
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { printf("%d\\n", pid); }'), RINGBUF_BYTES);
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { printf("%d\\n", pid); exit(); }'), RINGBUF_BYTES);
  // Six checked map updates report a failure through the ring (more than .helper-errors counts).
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { @a[tid] = count(); @b[tid] = count(); @c[tid] = count(); @d[tid] = count(); @e[tid] = count(); @f[tid] = count(); }'), RINGBUF_BYTES);
  t.is(ringSize(t, 'interval:s:1 { print(@x); } tracepoint:syscalls:sys_enter_openat { @x = count(); }'), RINGBUF_BYTES);
});

test('BEGIN or END output inside a loop keeps the default ring', (t) => {
  t.is(ringSize(t, 'BEGIN { $i = 0; while ($i < 100000) { printf("%d\\n", $i); $i++; } exit(); }'), RINGBUF_BYTES);
  t.is(ringSize(t, 'tracepoint:syscalls:sys_enter_openat { @[tid] = 1; } END { for ($kv : @) { printf("%d\\n", $kv.0); } }'), RINGBUF_BYTES);
});

test('perf_rb_pages is always obeyed', (t) => {
  t.is(ringSize(t, 'config = { perf_rb_pages = 512 } tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'), ringbufBytes(512));
  t.is(ringSize(t, 'config = { perf_rb_pages = 64 } tracepoint:syscalls:sys_enter_openat { printf("%d\\n", pid); }'), ringbufBytes(64));
});

test('ringDemand sums record sizes with headers and 8-byte alignment', (t) => {
  const emit = (size: number): IrStmt => ({ op: 'emit', record: { op: 'zero', size } });
  t.is(ringDemand([{ body: [emit(12), emit(16)], runOnce: true }], new Set()), 8 + 16 + 8 + 16);
  t.is(ringDemand([{ body: [emit(8)], runOnce: false }], new Set()), undefined);
  t.is(ringDemand([{ body: [], runOnce: false }], new Set()), 0);
  t.is(ringDemand([{ body: [{ op: 'loop', cond: { op: 'const', value: 1n }, body: [emit(8)], step: [] }], runOnce: true }], new Set()), undefined);
});
