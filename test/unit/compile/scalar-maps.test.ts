/**
 * Keyless aggregations in one-entry PERCPU_ARRAYs (src/passes/scalar-maps.ts): the map type the
 * layout chooses, and the code it allows (no insert, so no insert failure to check).
 */
import test from 'ava';
import { compileFrontend, compileScript, MapType, type CompiledMap, type FrontendResult } from '../../../src/compile.js';
import { Helper, HELPER_ERROR_ONE, helperErrorSlot } from '../../../src/contract/index.js';

function maps(text: string): FrontendResult['maps'] {
  const r = compileFrontend({ name: 'test', text });
  if (r.diagnostics.some((d) => d.severity === 'error')) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.maps;
}

function map(all: readonly CompiledMap[], name: string): CompiledMap {
  const m = all.find((x) => x.name === name);
  if (!m) throw new Error(`no map ${name}`);
  return m;
}

test('scalar count, min, max, avg, stats, hist and lhist are one-entry per-CPU arrays with a 4-byte key', (t) => {
  const all = maps('BEGIN { @c = count(); @mn = min(1); @mx = max(2); @a = avg(3); @st = stats(4); @h = hist(3); @l = lhist(3, 0, 10, 1); }');
  for (const name of ['@c', '@mn', '@mx', '@a', '@st', '@h', '@l']) {
    const m = map(all, name);
    t.is(m.bpfType, MapType.PERCPU_ARRAY, name);
    t.is(m.keySize, 4, name);
    t.is(m.maxEntries, 1, name);
  }
});

test('keyed aggregations and scalar maps a probe deletes stay per-CPU hashes', (t) => {
  const all = maps('BEGIN { @k[tid] = count(); @ks[tid] = sum(1); @d = count(); delete(@d); @ds = sum(1); delete(@ds); }');
  for (const name of ['@k', '@ks', '@d', '@ds']) t.is(map(all, name).bpfType, MapType.PERCPU_HASH, name);
  t.is(map(all, '@ks').valueSize, 8);
});

test('a scalar sum is a one-entry per-CPU array of 16-byte values: the sum, then a word each add sets (a sum of 0 still reads as written)', async (t) => {
  const all = maps('BEGIN { @s = sum(1); }');
  const m = map(all, '@s');
  t.is(m.bpfType, MapType.PERCPU_ARRAY);
  t.is(m.valueSize, 16);
  t.is(m.maxEntries, 1);
  // The add stores 1 at offset 8 of the looked-up value: `*(u64 *)(rX + 8) = rY` (0x7b) after a 1 is loaded; no update helper.
  const r = await compileScript({ name: 'test', text: 'tracepoint:syscalls:sys_enter_getppid { @s = sum(tid); }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = Buffer.from(r.programs[0]!.insns, 'base64');
  t.false(helperCalls(insns).includes(Helper.map_update_elem));
  const stores8 = [...Array(insns.length / 8).keys()].filter((i) => insns[i * 8] === 0x7b && insns.readInt16LE(i * 8 + 2) === 8);
  t.true(stores8.length >= 1);
});

test('a declared map keeps its declared type', (t) => {
  const all = maps('let @c = percpuhash(1); BEGIN { @c = count(); }');
  t.is(map(all, '@c').bpfType, MapType.PERCPU_HASH);
});

/** The BPF helper ids a compiled program calls (`call imm` with src_reg 0). */
function helperCalls(insns: Buffer): number[] {
  const ids: number[] = [];
  for (let off = 0; off + 8 <= insns.length; off += 8) {
    if (insns[off] === 0x85 && (insns[off + 1]! >> 4) === 0) ids.push(insns.readInt32LE(off + 4));
  }
  return ids;
}

test('a scalar count compiles to a lookup and an in-place add: no map update, so no error report', async (t) => {
  const r = await compileScript({ name: 'test', text: 'BEGIN { @ = count(); @h = hist(7); }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = Buffer.from(r.programs[0]!.insns, 'base64');
  const calls = helperCalls(insns);
  t.true(calls.includes(Helper.map_lookup_elem));
  t.false(calls.includes(Helper.map_update_elem));
  // No BPF-to-BPF call (the shared error subprogram) either.
  t.false(r.programs[0]!.subprogs !== undefined && r.programs[0]!.subprogs.length > 0);
});

/** The instructions of a compiled program. */
function programInsns(r: { programs: readonly { insns: string }[] }): Buffer {
  return Buffer.from(r.programs[0]!.insns, 'base64');
}

/** How many `ld_imm64 rX, map_value[id]` (src_reg BPF_PSEUDO_MAP_VALUE = 2) the code has. */
function valueRefs(insns: Buffer, id: number): number {
  let n = 0;
  for (let off = 0; off + 8 <= insns.length; off += 8) if (insns[off] === 0x18 && (insns[off + 1]! >> 4) === 2 && insns.readInt32LE(off + 4) === id) n++;
  return n;
}

/** The atomic instructions (0xdb): their offset and operation (imm: BPF_ADD 0x00, BPF_OR 0x40, | BPF_FETCH 0x01). */
function atomics(insns: Buffer): { off: number; op: number }[] {
  return [...Array(insns.length / 8).keys()].filter((i) => insns[i * 8] === 0xdb).map((i) => ({ off: insns.readInt16LE(i * 8 + 2), op: insns.readInt32LE(i * 8 + 4) & ~1 }));
}

/** The `helper-error` event ids of a compiled script. */
function errIds(r: { events: readonly { kind: string }[] }): number[] {
  return r.events.flatMap((e, i) => (e.kind === 'helper-error' ? [i] : []));
}

test('a keyed count adds in place with one atomic add and inserts 1 from the .helper-errors constant; its failure record is an add and an OR at its slot: no branch, no error subprogram, no record', async (t) => {
  const r = await compileScript({ name: 'test', text: 'BEGIN { @[tid] = count(); }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = programInsns(r);
  const calls = helperCalls(insns);
  t.true(calls.includes(Helper.map_update_elem));
  t.false(calls.includes(Helper.ringbuf_output));
  t.false(r.programs[0]!.subprogs !== undefined && r.programs[0]!.subprogs.length > 0);
  const counters = r.maps.find((m) => m.name === '.helper-errors')!;
  t.is(valueRefs(insns, counters.id), 1);
  const [err] = errIds(r);
  const slot = helperErrorSlot(err!);
  // The hit path's add at the value (offset 0), then the insert's add and OR at its slot.
  t.deepEqual(atomics(insns), [{ off: 0, op: 0x00 }, { off: slot.sum - HELPER_ERROR_ONE, op: 0x00 }, { off: slot.or - HELPER_ERROR_ONE, op: 0x40 }]);
  // No stack store of the inserted 1 (`*(u64 *)(r10 - n) = rX`, 0x7b with dst r10), the key's store aside (a u32 tid, 0x63).
  t.false([...Array(insns.length / 8).keys()].some((i) => insns[i * 8] === 0x7b && (insns[i * 8 + 1]! & 0xf) === 10));
  // The record has no branch: the only conditional jump is the lookup's null test.
  t.is([...Array(insns.length / 8).keys()].filter((i) => (insns[i * 8]! & 0x07) === 0x05 && insns[i * 8] !== 0x05 && insns[i * 8] !== 0x85 && insns[i * 8] !== 0x95).length, 1);
});

test('a keyed count of 24 instructions: as few as bpftrace 0.17 makes without any check (the kernel adds 4 when it inlines the per-CPU lookup)', async (t) => {
  const r = await compileScript({ name: 'test', text: 'tracepoint:syscalls:sys_enter_getppid { @[tid] = sum(1); }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  t.is(programInsns(r).length / 8, 24);
});

test('a sum of another value keeps its insert value on the stack; its hit path is one atomic add too', async (t) => {
  const r = await compileScript({ name: 'test', text: 'BEGIN { @[tid] = sum(pid + 2); }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = programInsns(r);
  const ops = atomics(insns);
  t.is(ops.length, 3);
  t.is(ops[0]!.off, 0);
  t.true([...Array(insns.length / 8).keys()].some((i) => insns[i * 8] === 0x7b && (insns[i * 8 + 1]! & 0xf) === 10));
});

test('two or more counted insert sites share one address load of .helper-errors, each adding and ORing at its own slot', async (t) => {
  const r = await compileScript({ name: 'test', text: 'BEGIN { @a[tid] = count(); @b[pid] = sum(2); @c[1] = 3; }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = programInsns(r);
  const counters = r.maps.find((m) => m.name === '.helper-errors')!;
  t.is(valueRefs(insns, counters.id), 1);
  // Each site's sum and OR (the hit paths' adds at the map values are at offset 0).
  const slots = errIds(r).flatMap((e) => [helperErrorSlot(e).sum, helperErrorSlot(e).or]).sort((a, b) => a - b);
  t.is(slots.length, 6);
  t.deepEqual(atomics(insns).filter((a) => a.off !== 0).map((a) => a.off).sort((a, b) => a - b), slots);
});

test('more than five checked map updates in a program keep the shared error subprogram (smaller then), and no .helper-errors map is made', async (t) => {
  const five = maps(`BEGIN { ${'@a[1] = 1; '.repeat(5)} }`);
  t.truthy(five.find((m) => m.name === '.helper-errors'));
  const text = `BEGIN { ${'@a[1] = 1; '.repeat(6)} }`;
  t.falsy(maps(text).find((m) => m.name === '.helper-errors'));
  const r = await compileScript({ name: 'test', text });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  t.true((r.programs[0]!.subprogs?.length ?? 0) > 0);
});

test('keyless assigned integers are one-entry arrays of {value, written flag}; a delete, a declaration, a key or a non-integer keeps the hash', (t) => {
  const all = maps('BEGIN { @a = 1; @b++; @c += 2; @d = @a * 2; @x = 1; delete(@x); @k[1] = 1; @s = "str"; @h = 1; } let @h = hash(1);');
  for (const name of ['@a', '@b', '@c', '@d']) {
    const m = map(all, name);
    t.is(m.bpfType, MapType.ARRAY, name);
    t.is(m.keySize, 4, name);
    t.is(m.valueSize, 16, name);
    t.is(m.maxEntries, 1, name);
  }
  for (const name of ['@x', '@k', '@s', '@h']) t.is(map(all, name).bpfType, MapType.HASH, name);
});

test('a keyless assigned integer compiles to stores and loads at its value address: no helper call, no error report', async (t) => {
  const r = await compileScript({ name: 'test', text: 'BEGIN { @a = 1; @a += 2; @b = @a; @b++; @c = @b; }' });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  const insns = Buffer.from(r.programs[0]!.insns, 'base64');
  t.deepEqual(helperCalls(insns), []);
  t.falsy(r.maps.find((m) => m.name === '.helper-errors'));
  t.false(r.programs[0]!.subprogs !== undefined && r.programs[0]!.subprogs.length > 0);
});

test('a thousand `@a = 1;` are a few instructions: the stores between reads are folded', async (t) => {
  const r = await compileScript({ name: 'test', text: `BEGIN { ${'@a = 1; '.repeat(1000)}}` });
  if (!('format' in r)) return t.fail(r.diagnostics.map((d) => d.message).join('\n'));
  // One value and one flag store per 64-statement block (ProgramGen.endBlock), not a map update each.
  t.true(Buffer.from(r.programs[0]!.insns, 'base64').length / 8 < 200);
});

test('the helper-error events of scalar int array updates (checked by no code) keep their ids but not their source lines; other sites keep theirs', (t) => {
  const r = compileFrontend({ name: 'test', text: 'BEGIN { @a = 1; @k[1] = 2; }' });
  const errors = r.events.filter((e) => e.kind === 'helper-error');
  t.is(errors.length, 2);
  const [a, k] = errors.map((e) => (e.kind === 'helper-error' ? e.loc : undefined));
  t.deepEqual(a, { filename: 'test', line: 0, col: 0, text: '', context: [] });
  t.is(k?.text, 'test:1:17-26');
});
