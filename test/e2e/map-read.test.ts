/**
 * runtime/session/map-read.ts against real kernel maps: a map of more entries than one batch and
 * one slab read whole, per-CPU values folded (sum; min/max over the CPUs that set one), cleared
 * with BPF_MAP_LOOKUP_AND_DELETE_BATCH and zeroed with BPF_MAP_UPDATE_BATCH; the fallbacks for
 * maps without those batch operations.
 */
import { bpf } from '../../native/index.js';
import { deleteAllBatched, readMap, SLAB, slabOf, slabOffset, zeroAllBatched } from '../../runtime/session/map-read.js';
import { kernelTest } from '../helpers/tsbpf.js';

const MAP_HASH = 1;
const MAP_ARRAY = 2;
const MAP_PERCPU_HASH = 5;
const MAP_DEVMAP = 14;

/** More than one slab (and, with 16-byte values or more, one batch). */
const N = SLAB + 4464;

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
}

/** Fills a per-CPU hash map: key k, CPU c gets `value(k, c)` (slot 0) and `set(k, c)` (slot 1, when the value has 16 bytes). */
function perCpuMap(valueSize: 8 | 16, value: (k: number, c: number) => bigint, set?: (k: number, c: number) => boolean): { fd: number; cpus: number } {
  const cpus = bpf.possibleCpus();
  const fd = bpf.mapCreate(MAP_PERCPU_HASH, 8, valueSize, N, 0, 'tsbpf_t_read');
  const v = Buffer.alloc(valueSize * cpus);
  for (let k = 0; k < N; k++) {
    for (let c = 0; c < cpus; c++) {
      v.writeBigInt64LE(value(k, c), c * valueSize);
      if (valueSize === 16) v.writeBigUInt64LE(set!(k, c) ? 1n : 0n, c * valueSize + 8);
    }
    bpf.mapUpdate(fd, u64(BigInt(k)), v, 0);
  }
  return { fd, cpus };
}

/** Entry i's key and value (slot 0) of a read map. */
function entry(bytes: ReturnType<typeof readMap>, i: number): { key: number; value: bigint; set: bigint } {
  const keys = bytes.keys[slabOf(i)]!;
  const values = bytes.values[slabOf(i)]!;
  const at = slabOffset(i) * bytes.valueStride;
  return {
    key: Number(keys.readBigUInt64LE(slabOffset(i) * 8)),
    value: values.readBigInt64LE(at),
    set: bytes.valueStride >= 16 ? values.readBigUInt64LE(at + 8) : 1n,
  };
}

kernelTest(`readMap: ${N} per-CPU entries (two slabs) with their parts summed, each key once`, (t) => {
  const { fd, cpus } = perCpuMap(8, (k, c) => BigInt(k) * 1000n + BigInt(c) - 7n);
  try {
    const bytes = readMap(fd, { keySize: 8, valueSize: 8, cpus, fold: 'sum' });
    t.is(bytes.count, N);
    t.is(bytes.keys.length, 2);
    t.is(bytes.valueStride, 8);
    const seen = new Set<number>();
    for (let i = 0; i < N; i++) {
      const e = entry(bytes, i);
      let sum = 0n;
      for (let c = 0; c < cpus; c++) sum += BigInt(e.key) * 1000n + BigInt(c) - 7n;
      if (e.value !== sum) return t.fail(`key ${e.key}: ${e.value} != ${sum}`);
      seen.add(e.key);
    }
    t.is(seen.size, N);
    // Unfolded: every CPU's copy, as the kernel gives it.
    const raw = readMap(fd, { keySize: 8, valueSize: 8, cpus, fold: 'none' });
    t.is(raw.valueStride, 8 * cpus);
    t.is(raw.count, N);
  } finally {
    bpf.close(fd);
  }
});

kernelTest('readMap: min and max keep the best signed value among the CPUs that set one', (t) => {
  const value = (k: number, c: number): bigint => (c % 2 === 0 ? 1n : -1n) * BigInt(k) - BigInt(c);
  const set = (k: number, c: number): boolean => c !== 1 || k % 3 !== 0;
  const { fd, cpus } = perCpuMap(16, value, set);
  try {
    for (const fold of ['min', 'max'] as const) {
      const bytes = readMap(fd, { keySize: 8, valueSize: 16, cpus, fold });
      t.is(bytes.count, N);
      let wrong = 0;
      for (let i = 0; i < N; i++) {
        const e = entry(bytes, i);
        let best: bigint | undefined;
        for (let c = 0; c < cpus; c++) {
          if (!set(e.key, c)) continue;
          const v = value(e.key, c);
          if (best === undefined || (fold === 'min' ? v < best : v > best)) best = v;
        }
        if (e.value !== (best ?? 0n) || e.set !== (best === undefined ? 0n : 1n)) wrong++;
      }
      t.is(wrong, 0, fold);
    }
  } finally {
    bpf.close(fd);
  }
});

kernelTest(`deleteAllBatched empties a hash map of ${N} keys; an array map has no such batch (false)`, (t) => {
  const fd = bpf.mapCreate(MAP_HASH, 8, 8, N, 0, 'tsbpf_t_clear');
  const array = bpf.mapCreate(MAP_ARRAY, 4, 8, 4, 0, 'tsbpf_t_clear_a');
  try {
    for (let k = 0; k < N; k++) bpf.mapUpdate(fd, u64(BigInt(k)), u64(1n), 0);
    t.true(deleteAllBatched(fd, 8, 8));
    t.false(bpf.mapGetNextKey(fd, null, Buffer.alloc(8)));
    t.false(deleteAllBatched(array, 4, 8));
  } finally {
    bpf.close(fd);
    bpf.close(array);
  }
});

kernelTest(`zeroAllBatched keeps the ${N} keys of a per-CPU map and zeroes every copy`, (t) => {
  const { fd, cpus } = perCpuMap(8, (k, c) => BigInt(k + c + 1));
  try {
    t.true(zeroAllBatched(fd, 8, 8 * cpus));
    const raw = readMap(fd, { keySize: 8, valueSize: 8, cpus, fold: 'none' });
    t.is(raw.count, N);
    t.true(raw.values.every((slab) => slab.every((b) => b === 0)));
  } finally {
    bpf.close(fd);
  }
});

kernelTest('readMap falls back to key-by-key reads for a map without batch lookups (devmap)', (t) => {
  const fd = bpf.mapCreate(MAP_DEVMAP, 4, 4, 8, 0, 'tsbpf_t_read_dev');
  try {
    bpf.mapUpdate(fd, Buffer.from([2, 0, 0, 0]), Buffer.from([1, 0, 0, 0]), 0);
    bpf.mapUpdate(fd, Buffer.from([5, 0, 0, 0]), Buffer.from([1, 0, 0, 0]), 0);
    const bytes = readMap(fd, { keySize: 4, valueSize: 4, cpus: 1, fold: 'none' });
    t.is(bytes.count, 2);
    t.deepEqual([bytes.keys[0]!.readUInt32LE(0), bytes.keys[0]!.readUInt32LE(4)], [2, 5]);
  } finally {
    bpf.close(fd);
  }
});
