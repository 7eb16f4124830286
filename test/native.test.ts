// Native add-on tests against the real kernel (run as root). No mocks.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

import { bpf, isNativeError, loadLlvm } from '../native/index.js';

// ---------------------------------------------------------------------------------------------
// Constants (uapi/linux/bpf.h, perf_event.h)

const MAP_HASH = 1;
const MAP_ARRAY = 2;
const MAP_PERCPU_HASH = 5;
const MAP_DEVMAP = 14;
const MAP_RINGBUF = 27;
const PROG_TRACEPOINT = 5;
const PROG_RAW_TRACEPOINT = 17;
const PERF_TYPE_TRACEPOINT = 2;
const FN_map_lookup_elem = 1;
const FN_get_current_pid_tgid = 14;
const FN_ringbuf_output = 130;

// ---------------------------------------------------------------------------------------------
// A tiny BPF assembler: struct bpf_insn {u8 code; u8 dst:4, src:4; s16 off; s32 imm}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R10 = 10;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}
const movImm = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm); // BPF_ALU64|BPF_MOV|BPF_K
const movReg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0); // BPF_ALU64|BPF_MOV|BPF_X
const addImm = (dst: number, imm: number) => insn(0x07, dst, 0, 0, imm); // BPF_ALU64|BPF_ADD|BPF_K
const ldxDw = (dst: number, src: number, off: number) => insn(0x79, dst, src, off, 0); // BPF_LDX|BPF_MEM|BPF_DW
const stxDw = (dst: number, src: number, off: number) => insn(0x7b, dst, src, off, 0); // BPF_STX|BPF_MEM|BPF_DW
const stW = (dst: number, off: number, imm: number) => insn(0x62, dst, 0, off, imm); // BPF_ST|BPF_MEM|BPF_W
const atomicAddDw = (dst: number, src: number, off: number) => insn(0xdb, dst, src, off, 0); // BPF_STX|BPF_ATOMIC|BPF_DW, BPF_ADD
const jeqImm = (dst: number, imm: number, off: number) => insn(0x15, dst, 0, off, imm); // BPF_JMP|BPF_JEQ|BPF_K
const call = (helper: number) => insn(0x85, 0, 0, 0, helper);
const exit = () => insn(0x95, 0, 0, 0, 0);
/** r = map fd (BPF_LD|BPF_IMM|BPF_DW with src = BPF_PSEUDO_MAP_FD): two slots. */
const ldMapFd = (dst: number, fd: number) => Buffer.concat([insn(0x18, dst, 1, 0, fd), insn(0, 0, 0, 0, 0)]);
const prog = (...insns: Buffer[]) => Buffer.concat(insns);

// ---------------------------------------------------------------------------------------------
// Helpers

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};

/** Returns the id of the tracepoint, mounting tracefs when needed; null if unavailable. */
function tracepointId(category: string, name: string): number | null {
  const root = '/sys/kernel/tracing';
  if (!existsSync(`${root}/events`)) bpf.mount('tracefs', root, 'tracefs');
  const p = `${root}/events/${category}/${name}/id`;
  return existsSync(p) ? Number(readFileSync(p, 'utf8').trim()) : null;
}

/** Minimal ELF64 LE section table reader. */
function elfSections(elf: Buffer): Map<string, Buffer> {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const hdr = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      name: elf.readUInt32LE(o),
      offset: Number(elf.readBigUInt64LE(o + 24)),
      size: Number(elf.readBigUInt64LE(o + 32)),
    };
  };
  const strtab = hdr(shstrndx);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < shnum; i++) {
    const h = hdr(i);
    const start = strtab.offset + h.name;
    const name = elf.toString('latin1', start, elf.indexOf(0, start));
    out.set(name, elf.subarray(h.offset, h.offset + h.size));
  }
  return out;
}

const IR_HEADER = `target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"
`;

// ---------------------------------------------------------------------------------------------
// Errors

test('errors carry errno, code and op', (t) => {
  const e = t.throws(() => bpf.close(-1));
  t.true(isNativeError(e));
  if (!isNativeError(e)) return;
  t.is(e.errno, 9);
  t.is(e.code, 'EBADF');
  t.is(e.op, 'close');
  const e2 = t.throws(() => bpf.mapCreate(MAP_HASH, 4, 8, 0, 0, 'bad'));
  t.true(isNativeError(e2) && e2.code === 'EINVAL' && e2.op === 'bpf_map_create');
  t.false(isNativeError(new Error('plain')));
  t.throws(() => bpf.mapLookup(-1, Buffer.alloc(4), Buffer.alloc(8)), { message: /EBADF/ });
  // libbpf's warning comes with the error instead of going to stderr.
  const hash = bpf.mapCreate(MAP_HASH, 4, 4, 1, 0, 'tsbpf_t_err');
  try {
    const e3 = t.throws(() => bpf.ringbufOpen(hash, () => {}));
    t.true(isNativeError(e3) && e3.op === 'ring_buffer__new' && e3.code === 'EINVAL');
    t.regex(isNativeError(e3) ? e3.detail ?? '' : '', /not BPF_MAP_TYPE_RINGBUF/);
  } finally {
    bpf.close(hash);
  }
});

// ---------------------------------------------------------------------------------------------
// Maps

test('hash map: update, lookup, next key, delete', (t) => {
  const fd = bpf.mapCreate(MAP_HASH, 4, 8, 64, 0, 'tsbpf_t_hash');
  try {
    const v = Buffer.alloc(8);
    t.false(bpf.mapLookup(fd, u32(1), v));
    bpf.mapUpdate(fd, u32(1), u64(11n), 0);
    bpf.mapUpdate(fd, u32(2), u64(22n), 0);
    t.true(bpf.mapLookup(fd, u32(1), v));
    t.is(v.readBigUInt64LE(), 11n);
    t.throws(() => bpf.mapUpdate(fd, u32(1), u64(0n), 1 /* BPF_NOEXIST */), { message: /EEXIST/ });

    const keys: number[] = [];
    const next = Buffer.alloc(4);
    let cur: Buffer | null = null;
    while (bpf.mapGetNextKey(fd, cur, next)) {
      keys.push(next.readUInt32LE());
      cur = Buffer.from(next);
    }
    t.deepEqual(keys.sort(), [1, 2]);

    t.true(bpf.mapDelete(fd, u32(1)));
    t.false(bpf.mapDelete(fd, u32(1)));
    t.false(bpf.mapLookup(fd, u32(1), v));
    // Buffers smaller than the map's sizes are refused, not overrun.
    t.throws(() => bpf.mapLookup(fd, u32(2), Buffer.alloc(4)), { instanceOf: RangeError });
    const info = bpf.mapInfoByFd(fd);
    t.like(info, { name: 'tsbpf_t_hash', type: MAP_HASH, keySize: 4, valueSize: 8, maxEntries: 64 });
  } finally {
    bpf.close(fd);
  }
});

test('mapDumpAll: hash map (batched)', (t) => {
  const fd = bpf.mapCreate(MAP_HASH, 4, 8, 10000, 0, 'tsbpf_t_dump');
  try {
    const n = 5000;
    for (let i = 0; i < n; i++) bpf.mapUpdate(fd, u32(i), u64(BigInt(i) * 3n), 0);
    const d = bpf.mapDumpAll(fd, 4, 8);
    t.is(d.count, n);
    t.true(d.batched);
    t.is(d.keys.length, n * 4);
    t.is(d.values.length, n * 8);
    const seen = new Set<number>();
    for (let i = 0; i < d.count; i++) {
      const k = d.keys.readUInt32LE(i * 4);
      t.is(d.values.readBigUInt64LE(i * 8), BigInt(k) * 3n);
      seen.add(k);
    }
    t.is(seen.size, n);
    t.throws(() => bpf.mapDumpAll(fd, 4, 4), { instanceOf: RangeError });
  } finally {
    bpf.close(fd);
  }
});

test('mapDumpAll: per-CPU hash map', (t) => {
  const ncpu = bpf.possibleCpus();
  t.true(ncpu >= 1);
  t.true(bpf.onlineCpus().length >= 1);
  const fd = bpf.mapCreate(MAP_PERCPU_HASH, 8, 8, 128, 0, 'tsbpf_t_pcpu');
  try {
    const vsz = 8 * ncpu; // round_up(8, 8) * possible CPUs
    for (let k = 0; k < 10; k++) {
      const v = Buffer.alloc(vsz);
      for (let c = 0; c < ncpu; c++) v.writeBigUInt64LE(BigInt(k * 100 + c), c * 8);
      bpf.mapUpdate(fd, u64(BigInt(k)), v, 0);
    }
    t.throws(() => bpf.mapUpdate(fd, u64(0n), Buffer.alloc(8 * ncpu - 1), 0), { instanceOf: RangeError });
    const d = bpf.mapDumpAll(fd, 8, vsz);
    t.is(d.count, 10);
    for (let i = 0; i < d.count; i++) {
      const k = Number(d.keys.readBigUInt64LE(i * 8));
      for (let c = 0; c < ncpu; c++) t.is(d.values.readBigUInt64LE(i * vsz + c * 8), BigInt(k * 100 + c));
    }
  } finally {
    bpf.close(fd);
  }
});

test('mapDumpAll: falls back to get_next_key + lookup for maps without batch ops (devmap)', (t) => {
  // DEVMAP has no map_lookup_batch: key = index, value = ifindex (1 = lo); empty slots are ENOENT.
  const fd = bpf.mapCreate(MAP_DEVMAP, 4, 4, 8, 0, 'tsbpf_t_devmap');
  try {
    bpf.mapUpdate(fd, u32(2), u32(1), 0);
    bpf.mapUpdate(fd, u32(5), u32(1), 0);
    const d = bpf.mapDumpAll(fd, 4, 4);
    t.false(d.batched);
    t.is(d.count, 2);
    t.deepEqual([d.keys.readUInt32LE(0), d.keys.readUInt32LE(4)], [2, 5]);
    t.deepEqual([d.values.readUInt32LE(0), d.values.readUInt32LE(4)], [1, 1]);
  } finally {
    bpf.close(fd);
  }
});

// ---------------------------------------------------------------------------------------------
// Programs

test('progLoad + progTestRun: r0 = 42; exit', (t) => {
  const { fd, log } = bpf.progLoad(PROG_RAW_TRACEPOINT, prog(movImm(R0, 42), exit()), 'GPL', 'tsbpf_t_42');
  try {
    t.is(log, '');
    t.is(bpf.progTestRun(fd, null), 42);
  } finally {
    bpf.close(fd);
  }
});

test('progTestRun passes the raw tracepoint args array as ctx', (t) => {
  const { fd } = bpf.progLoad(PROG_RAW_TRACEPOINT, prog(ldxDw(R0, R1, 8), exit()), 'GPL', 'tsbpf_t_arg');
  try {
    const ctx = Buffer.concat([u64(5n), u64(1234n)]);
    t.is(bpf.progTestRun(fd, ctx), 1234);
  } finally {
    bpf.close(fd);
  }
});

test('progLoad with logLevel returns the verifier log, growing a too-small buffer', (t) => {
  const body = [movImm(R0, 0)];
  for (let i = 0; i < 300; i++) body.push(addImm(R0, 1));
  const { fd, log } = bpf.progLoad(PROG_RAW_TRACEPOINT, prog(...body, exit()), 'GPL', 'tsbpf_t_log', {
    logLevel: 2,
    logSize: 256, // the kernel says ENOSPC; progLoad retries with a bigger buffer
  });
  try {
    t.is(bpf.progTestRun(fd, null), 300);
  } finally {
    bpf.close(fd);
  }
  t.true(log.length > 256);
  t.regex(log, /processed 302 insns/);
});

test('progLoad of an invalid program throws with the verifier log', (t) => {
  const e = t.throws(() => bpf.progLoad(PROG_RAW_TRACEPOINT, prog(movReg(R0, R5), exit()), 'GPL', 'tsbpf_t_bad'));
  t.true(isNativeError(e));
  if (!isNativeError(e)) return;
  t.is(e.op, 'bpf_prog_load');
  t.is(e.code, 'EACCES');
  t.is(typeof e.log, 'string');
  t.regex(e.log ?? '', /R5 !read_ok/);
});

test('progGetNextId / progInfoById find a loaded program, which is gone after close', (t) => {
  const name = `tsbpf_t_id${process.pid % 1000}`;
  const { fd } = bpf.progLoad(PROG_RAW_TRACEPOINT, prog(movImm(R0, 1), exit()), 'GPL', name);
  const byFd = bpf.progInfoByFd(fd);
  let found: number | null = null;
  for (let id = bpf.progGetNextId(0); id !== 0; id = bpf.progGetNextId(id)) {
    const info = bpf.progInfoById(id);
    if (info && info.name === name) {
      found = id;
      t.is(info.type, PROG_RAW_TRACEPOINT);
      t.regex(info.tag, /^[0-9a-f]{16}$/);
    }
  }
  t.is(found, byFd.id);
  bpf.close(fd);
  t.is(bpf.progInfoById(byFd.id), null);

  const mfd = bpf.mapCreate(MAP_ARRAY, 4, 4, 1, 0, 'tsbpf_t_mid');
  const mid = bpf.mapInfoByFd(mfd).id;
  let mfound = false;
  for (let id = bpf.mapGetNextId(0); id !== 0; id = bpf.mapGetNextId(id)) if (id === mid) mfound = true;
  t.true(mfound);
  t.like(bpf.mapInfoById(mid), { name: 'tsbpf_t_mid', type: MAP_ARRAY });
  bpf.close(mfd);
  t.is(bpf.mapInfoById(mid), null);
});

// ---------------------------------------------------------------------------------------------
// Tracepoint + perf event + ring buffer

const openatTpId = tracepointId('syscalls', 'sys_enter_openat');
const noOpenatTp = openatTpId === null ? ' (skipped: tracepoint syscalls:sys_enter_openat is not available: CONFIG_FTRACE_SYSCALLS)' : '';
(noOpenatTp ? test.skip : test)(`tracepoint program counts sys_enter_openat and streams records through the ring buffer${noOpenatTp}`, async (t) => {
  const tpId = openatTpId!;
  const rb = bpf.mapCreate(MAP_RINGBUF, 0, 0, 1 << 18, 0, 'tsbpf_t_rb');
  const counter = bpf.mapCreate(MAP_ARRAY, 4, 8, 1, 0, 'tsbpf_t_cnt');
  const fds: number[] = [rb, counter];
  try {
    const code = prog(
      call(FN_get_current_pid_tgid),
      stxDw(R10, R0, -8),
      ldMapFd(R1, rb),
      movReg(R2, R10),
      addImm(R2, -8),
      movImm(R3, 8),
      movImm(R4, 0),
      call(FN_ringbuf_output),
      stW(R10, -12, 0),
      ldMapFd(R1, counter),
      movReg(R2, R10),
      addImm(R2, -12),
      call(FN_map_lookup_elem),
      jeqImm(R0, 0, 2),
      movImm(R1, 1),
      atomicAddDw(R0, R1, 0),
      movImm(R0, 0),
      exit(),
    );
    const { fd: progFd } = bpf.progLoad(PROG_TRACEPOINT, code, 'GPL', 'tsbpf_t_tp');
    fds.push(progFd);
    // A tracepoint's BPF programs hang off the tracepoint itself and run for every task on
    // every CPU: one perf event (pid -1, cpu 0) attaches it once, as libbpf does.
    const perfFd = bpf.perfEventOpen({ type: PERF_TYPE_TRACEPOINT, config: tpId }, -1, 0, -1, 0);
    fds.push(perfFd);
    bpf.perfEventSetBpf(perfFd, progFd);

    const tgid = BigInt(process.pid);
    const ours = (recs: Buffer[]) => recs.filter((r) => r.length === 8 && r.readBigUInt64LE() >> 32n === tgid).length;

    // 1) event-driven delivery on the Node loop
    let batches = 0;
    let seen = 0;
    let wake: (() => void) | undefined;
    let syncMode = false;
    let syncSeen = 0;
    const handle = bpf.ringbufOpen(rb, (records) => {
      if (syncMode) {
        syncSeen += ours(records);
        return;
      }
      batches++;
      seen += ours(records);
      if (seen >= 20 && wake) wake();
    });
    try {
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      for (let i = 0; i < 20; i++) closeSync(openSync('/dev/null', 'r'));
      const timeout = setTimeout(() => wake?.(), 5000);
      await arrived;
      clearTimeout(timeout);
      t.true(seen >= 20, `records from this process: ${seen}`);
      t.true(batches >= 1);

      // 2) synchronous drain with consume()
      syncMode = true;
      for (let i = 0; i < 7; i++) closeSync(openSync('/dev/null', 'r'));
      const n = handle.consume();
      t.true(n >= 7, `consume() returned ${n}`);
      t.true(syncSeen >= 7);
    } finally {
      handle.close();
      handle.close(); // idempotent
    }
    t.is(handle.consume(), 0);

    const v = Buffer.alloc(8);
    t.true(bpf.mapLookup(counter, u32(0), v));
    t.true(v.readBigUInt64LE() >= 27n);
  } finally {
    for (const fd of fds.reverse()) bpf.close(fd);
  }
});

// Runs a child Node process that imports native/index.js; returns its status and output.
function runChild(body: string, timeoutMs: number) {
  const url = new URL('../native/index.js', import.meta.url).href;
  const src = `import { bpf } from ${JSON.stringify(url)};\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', src], { timeout: timeoutMs, encoding: 'utf8' });
}

test('ring buffer handle keeps the loop alive while open, and not after close or unref', (t) => {
  const open = `const rb = bpf.mapCreate(27, 0, 0, 4096, 0, 'tsbpf_t_rbc');
const h = bpf.ringbufOpen(rb, () => {});`;
  const closed = runChild(`${open}\nh.close(); bpf.close(rb); console.log('done');`, 10000);
  t.is(closed.status, 0, closed.stderr);
  t.is(closed.stdout.trim(), 'done');
  const unrefd = runChild(`${open}\nh.unref(); console.log('done');`, 10000);
  t.is(unrefd.status, 0, unrefd.stderr);
  const noLlvm = runChild(
    `bpf.possibleCpus();\nconst maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');\nconsole.log(/libLLVM/.test(maps) ? 'llvm' : 'no-llvm');`,
    10000,
  );
  t.is(noLlvm.stdout.trim(), 'no-llvm', 'importing native/index.js must not map libLLVM');
  const kept = runChild(`${open}\nconsole.log('open');`, 1500);
  t.is(kept.signal, 'SIGTERM', 'an open ring buffer must keep the process running');
  t.is(kept.stdout.trim(), 'open');
});

/** Raw tracepoint program that writes ctx[0] (u64) to the ring buffer: a producer driven by progTestRun. */
function ringbufProducer(rbFd: number, name: string): number {
  const code = prog(
    ldxDw(R3, R1, 0),
    stxDw(R10, R3, -8),
    ldMapFd(R1, rbFd),
    movReg(R2, R10),
    addImm(R2, -8),
    movImm(R3, 8),
    movImm(R4, 0),
    call(FN_ringbuf_output),
    movImm(R0, 0),
    exit(),
  );
  return bpf.progLoad(PROG_RAW_TRACEPOINT, code, 'GPL', name).fd;
}

test('ring buffer: maxRecords bounds each batch; consume() drains everything in order', async (t) => {
  const rb = bpf.mapCreate(MAP_RINGBUF, 0, 0, 1 << 16, 0, 'tsbpf_t_rbb');
  const producer = ringbufProducer(rb, 'tsbpf_t_rbp');
  try {
    const produce = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) bpf.progTestRun(producer, u64(BigInt(i)));
    };
    const batches: number[][] = [];
    let wake: (() => void) | undefined;
    const h = bpf.ringbufOpen(
      rb,
      (records) => {
        batches.push(records.map((r) => Number(r.readBigUInt64LE())));
        if (batches.flat().length >= 20) wake?.();
      },
      { maxRecords: 3 },
    );
    try {
      produce(0, 10);
      t.is(h.consume(), 10); // synchronous: before the loop gets a chance to poll
      t.deepEqual(batches.map((b) => b.length), [3, 3, 3, 1]);
      t.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      t.is(h.consume(), 0);

      // Loop-driven: a full batch leaves the rest for the next loop turn.
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      const timer = setTimeout(() => wake?.(), 5000);
      produce(10, 10);
      await arrived;
      clearTimeout(timer);
      t.deepEqual(batches.flat(), Array.from({ length: 20 }, (_, i) => i));
      t.true(batches.slice(4).every((b) => b.length <= 3));
    } finally {
      h.close();
    }

    // The batch form: one Buffer plus n + 1 offsets.
    const seen: number[] = [];
    const hb = bpf.ringbufOpenBatch(rb, (data, offsets) => {
      for (let i = 0; i + 1 < offsets.length; i++) seen.push(Number(data.readBigUInt64LE(offsets[i])));
      t.is(offsets[offsets.length - 1], data.length);
    });
    try {
      produce(100, 5);
      t.is(hb.consume(), 5);
      t.deepEqual(seen, [100, 101, 102, 103, 104]);
    } finally {
      hb.close();
    }
  } finally {
    bpf.close(producer);
    bpf.close(rb);
  }
});

test('ring buffer: an exception thrown by onRecords on the loop is an uncaught exception', (t) => {
  const r = runChild(
    `const rb = bpf.mapCreate(27, 0, 0, 4096, 0, 'tsbpf_t_rbx');
const insns = Buffer.from(${JSON.stringify([...prog(
      stW(R10, -8, 7),
      ldMapFd(R1, 0), // imm (byte 12) patched below with the map fd
      movReg(R2, R10),
      addImm(R2, -8),
      movImm(R3, 4),
      movImm(R4, 0),
      call(FN_ringbuf_output),
      movImm(R0, 0),
      exit(),
    )])});
insns.writeInt32LE(rb, 12);
const { fd } = bpf.progLoad(17, insns, 'GPL', 'tsbpf_t_rbx');
process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); process.exit(0); });
bpf.ringbufOpen(rb, () => { throw new Error('boom'); });
bpf.progTestRun(fd, null);`,
    10000,
  );
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'uncaught: boom');
});

// ---------------------------------------------------------------------------------------------
// LLVM: IR text -> BPF object

test('emitBpfObject produces an ELF object with the requested section', (t) => {
  const llvm = loadLlvm();
  const ir = `${IR_HEADER}
define i64 @fn(i8* %ctx) {
entry:
  ret i64 0
}
`;
  const obj = llvm.emitBpfObject(ir, { sections: { fn: 'tp/foo' } });
  t.deepEqual([...obj.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  const sections = elfSections(obj);
  const text = sections.get('tp/foo');
  t.truthy(text, `sections: ${[...sections.keys()].join(', ')}`);
  t.is(text?.length, 16); // r0 = 0; exit
  const asm = llvm.emitBpfObject(ir, { sections: { fn: 'tp/foo' }, output: 'assembly' }).toString();
  t.regex(asm, /r0 = 0\s+exit/);
});

test('emitBpfObject output loads and runs: map referenced through llvm.bpf.pseudo', (t) => {
  const llvm = loadLlvm();
  const map = bpf.mapCreate(MAP_ARRAY, 4, 8, 1, 0, 'tsbpf_t_llvm');
  try {
    const ir = `${IR_HEADER}
declare i64 @llvm.bpf.pseudo(i64, i64)

define i64 @count(i8* %ctx) {
entry:
  %key = alloca i32, align 4
  store i32 0, i32* %key, align 4
  %mapfd = call i64 @llvm.bpf.pseudo(i64 1, i64 ${map})
  %map = inttoptr i64 %mapfd to i8*
  %lookup = inttoptr i64 1 to i8* (i8*, i8*)*
  %keyp = bitcast i32* %key to i8*
  %v = call i8* %lookup(i8* %map, i8* %keyp)
  %isnull = icmp eq i8* %v, null
  br i1 %isnull, label %out, label %inc
inc:
  %vp = bitcast i8* %v to i64*
  %old = load i64, i64* %vp, align 8
  %new = add i64 %old, 1
  store i64 %new, i64* %vp, align 8
  br label %out
out:
  ret i64 7
}
`;
    const obj = llvm.emitBpfObject(ir, { sections: { count: 'raw_tracepoint/test' } });
    const insns = elfSections(obj).get('raw_tracepoint/test');
    t.truthy(insns);
    if (!insns) return;
    const { fd } = bpf.progLoad(PROG_RAW_TRACEPOINT, Buffer.from(insns), 'GPL', 'tsbpf_t_llvm');
    try {
      for (let i = 0; i < 3; i++) t.is(bpf.progTestRun(fd, null), 7);
    } finally {
      bpf.close(fd);
    }
    const v = Buffer.alloc(8);
    t.true(bpf.mapLookup(map, u32(0), v));
    t.is(v.readBigUInt64LE(), 3n);
  } finally {
    bpf.close(map);
  }
});

test('emitBpfObject reports LLVM failures as exceptions', (t) => {
  const llvm = loadLlvm();
  t.throws(() => llvm.emitBpfObject('this is not IR', { sections: {} }), { message: /cannot parse IR.*expected/s });
  const ok = `${IR_HEADER}define i64 @f() {\nentry:\n  ret i64 0\n}\n`;
  t.throws(() => llvm.emitBpfObject(ok, { sections: { g: 'x' } }), { message: /no function named 'g'/ });
  // The BPF backend would abort the process on these; they must be exceptions instead.
  const dyn = `${IR_HEADER}define i64 @dyn(i64 %n) {
entry:
  %p = alloca i8, i64 %n
  store volatile i8 0, i8* %p
  ret i64 0
}
`;
  t.throws(() => llvm.emitBpfObject(dyn, { sections: { dyn: 'x' } }), { message: /dynamic stack allocation/ });
  const sdiv = `${IR_HEADER}define i64 @s(i64 %n) {\nentry:\n  %q = sdiv i64 100, %n\n  ret i64 %q\n}\n`;
  t.throws(() => llvm.emitBpfObject(sdiv, { sections: { s: 'x' } }), { message: /signed division/ });
  const big = `${IR_HEADER}define i64 @big(i64 %n) {
entry:
  %p = alloca [1024 x i8]
  %q = getelementptr [1024 x i8], [1024 x i8]* %p, i64 0, i64 %n
  store volatile i8 0, i8* %q
  ret i64 0
}
`;
  t.throws(() => llvm.emitBpfObject(big, { sections: { big: 'x' } }), { message: /stack limit of 512 bytes/ });
  // optLevel 0 skips the optimiser; output 'ir' returns the optimised module text.
  t.true(llvm.emitBpfObject(ok, { sections: { f: 'x' }, optLevel: 0 }).length > 0);
  t.regex(llvm.emitBpfObject(ok, { sections: { f: 'sec1' }, output: 'ir' }).toString(), /section "sec1"/);
});
