/**
 * A whole BPF map read for printing, cleared and zeroed in batches (BPF_MAP_LOOKUP_BATCH,
 * BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH), with key-by-key fallbacks where the
 * kernel or the map type has no batch operation.
 *
 * A read map is kept as raw bytes in slabs of SLAB entries (no copy of the whole to grow it), and
 * a per-CPU value is folded into one copy as it is read (an aggregation's per-CPU parts summed, a
 * min/max's best part kept): a map of a million keys costs keySize + one value per entry, whatever
 * the number of CPUs. The folded bytes have the layout of one CPU's copy, so they decode as a map
 * of one CPU (runtime/session/decode.ts).
 */
import { bpf, isNativeError } from '../../native/index.js';

const SLAB_BITS = 16;
/** Entries per slab. */
export const SLAB = 1 << SLAB_BITS;
const SLAB_MASK = SLAB - 1;

/** Bytes a batch asks the kernel for at most (keys and expanded values), unless a hash bucket needs more. */
const BATCH_BYTES = 4 << 20;

/**
 * How a per-CPU value becomes one: `sum` adds every 8-byte slot over the CPUs (count, sum, avg,
 * stats, hist, lhist: wrapping like the u64 adds the decoder did), `min`/`max` keep the best value
 * (slot 0, signed) among the CPUs that set one (slot 1 non-zero), `none` keeps every copy.
 */
export type Fold = 'sum' | 'min' | 'max' | 'none';

export interface MapBytes {
  count: number;
  keySize: number;
  /** Bytes per entry's value in `values`: one 8-byte-aligned copy when folded, every CPU's otherwise. */
  valueStride: number;
  /** Slab s holds entries [s * SLAB, (s + 1) * SLAB). */
  keys: Buffer[];
  values: Buffer[];
}

/** Where entry i's key is: `bytes.keys[slabOf(i)]` at `slabOffset(i) * keySize`. */
export function slabOf(i: number): number {
  return i >>> SLAB_BITS;
}

export function slabOffset(i: number): number {
  return i & SLAB_MASK;
}

export interface ReadMapOptions {
  keySize: number;
  /** The map's value size (one CPU's). */
  valueSize: number;
  /** Per-CPU copies in a looked-up value (1 for shared maps). */
  cpus: number;
  fold: Fold;
}

/** Every entry of the map, in kernel iteration order. */
export function readMap(fd: number, o: ReadMapOptions): MapBytes {
  const slot = Math.ceil(o.valueSize / 8) * 8;
  const expanded = o.cpus > 1 ? slot * o.cpus : o.valueSize;
  const folded = o.cpus > 1 && o.fold !== 'none';
  const out = new SlabWriter(o.keySize, folded ? slot : expanded);
  const fold = folded ? (dst: Buffer, dstOff: number, src: Buffer, srcOff: number) => foldValue(dst, dstOff, src, srcOff, slot, o.cpus, o.fold) : undefined;
  const append = (keys: Buffer, values: Buffer, n: number): void => {
    for (let done = 0; done < n; ) {
      const take = Math.min(n - done, out.room());
      out.append(keys, values, expanded, done, take, fold);
      done += take;
    }
  };
  if (!eachBatch(fd, o.keySize, expanded, false, append)) {
    const d = bpf.mapDumpAll(fd, o.keySize, expanded);
    append(d.keys, d.values, d.count);
  }
  return out.finish();
}

/**
 * Delete every entry (BPF_MAP_LOOKUP_AND_DELETE_BATCH, a bucket at a time). Returns false, having
 * deleted nothing, when the map type or the kernel has no such batch operation.
 */
export function deleteAllBatched(fd: number, keySize: number, expandedValueSize: number): boolean {
  return eachBatch(fd, keySize, expandedValueSize, true, () => undefined);
}

/** BPF_EXIST: update only keys that are there. */
const BPF_EXIST = 2;

/**
 * Set every entry's value to zeroes, keeping the keys: the keys read a batch at a time
 * (BPF_MAP_LOOKUP_BATCH) and updated a batch at a time (BPF_MAP_UPDATE_BATCH, or key by key where
 * the kernel has no batch update). Returns false, having changed nothing, when the map cannot be
 * read in batches.
 */
export function zeroAllBatched(fd: number, keySize: number, expandedValueSize: number): boolean {
  let zeroes = Buffer.alloc(0);
  let batchUpdate = true;
  return eachBatch(fd, keySize, expandedValueSize, false, (keys, _values, n) => {
    if (zeroes.length < n * expandedValueSize) zeroes = Buffer.alloc(n * expandedValueSize);
    let from = 0;
    while (batchUpdate && from < n) {
      try {
        const done = bpf.mapUpdateBatch(fd, keys.subarray(from * keySize), zeroes, n - from, BPF_EXIST);
        // Short of the end: the key after the updated ones was deleted meanwhile, and is skipped.
        from += done < n - from ? done + 1 : done;
      } catch (e) {
        if (!isNativeError(e) || !(e.code === 'EINVAL' || e.code === 'ENOTSUPP' || e.code === 'EOPNOTSUPP')) throw e;
        batchUpdate = false;
      }
    }
    for (; from < n; from++) {
      try {
        bpf.mapUpdate(fd, keys.subarray(from * keySize, (from + 1) * keySize), zeroes, BPF_EXIST);
      } catch (e) {
        if (!isNativeError(e) || e.code !== 'ENOENT') throw e;
      }
    }
  });
}

/**
 * Calls `each` with every batch of entries; false when the first batch call fails for want of
 * batch support (nothing was read then).
 */
function eachBatch(fd: number, keySize: number, valueSize: number, andDelete: boolean, each: (keys: Buffer, values: Buffer, n: number) => void): boolean {
  let count = Math.max(256, Math.min(SLAB, Math.floor(BATCH_BYTES / Math.max(1, keySize + valueSize))));
  const tokenSize = Math.max(keySize, 8);
  let token: Buffer | null = null;
  let next: Buffer = Buffer.alloc(tokenSize);
  let keys: Buffer = Buffer.allocUnsafeSlow(count * keySize);
  let values: Buffer = Buffer.allocUnsafeSlow(count * valueSize);
  for (let first = true; ; first = false) {
    let r: { count: number; done: boolean };
    try {
      r = bpf.mapLookupBatch(fd, token, next, keys, values, count, andDelete);
    } catch (e) {
      if (!isNativeError(e)) throw e;
      if (first && (e.code === 'EINVAL' || e.code === 'ENOTSUPP' || e.code === 'EOPNOTSUPP')) return false;
      if (e.code === 'ENOSPC' && count < 1 << 24) {
        // One hash bucket holds more entries than `count`: ask again for more.
        count *= 2;
        keys = Buffer.allocUnsafeSlow(count * keySize);
        values = Buffer.allocUnsafeSlow(count * valueSize);
        continue;
      }
      throw e;
    }
    if (r.count > 0) each(keys, values, r.count);
    if (r.done) return true;
    const used = next;
    next = token ?? Buffer.alloc(tokenSize);
    token = used;
  }
}

/** Appends entries into slabs of SLAB entries; the last slab is cut to its entries at the end. */
class SlabWriter {
  private readonly keys: Buffer[] = [];
  private readonly values: Buffer[] = [];
  private count = 0;

  constructor(
    private readonly keySize: number,
    private readonly valueStride: number,
  ) {}

  /** Entries the current slab still takes (a new slab is started when it is full). */
  room(): number {
    return SLAB - slabOffset(this.count);
  }

  /** Entries [from, from + n) of a batch (`srcStride` bytes per value), at most room() of them. */
  append(keys: Buffer, values: Buffer, srcStride: number, from: number, n: number, fold?: (dst: Buffer, dstOff: number, src: Buffer, srcOff: number) => void): void {
    const at = slabOffset(this.count);
    if (at === 0) {
      this.keys.push(Buffer.allocUnsafeSlow(SLAB * this.keySize));
      this.values.push(Buffer.allocUnsafeSlow(SLAB * this.valueStride));
    }
    const k = this.keys[this.keys.length - 1]!;
    const v = this.values[this.values.length - 1]!;
    keys.copy(k, at * this.keySize, from * this.keySize, (from + n) * this.keySize);
    if (!fold) values.copy(v, at * this.valueStride, from * srcStride, (from + n) * srcStride);
    else for (let i = 0; i < n; i++) fold(v, (at + i) * this.valueStride, values, (from + i) * srcStride);
    this.count += n;
  }

  finish(): MapBytes {
    const last = slabOffset(this.count);
    if (last !== 0) {
      // The last slab's unused room is given back (copied to a buffer of its size).
      const s = this.keys.length - 1;
      this.keys[s] = Buffer.from(this.keys[s]!.subarray(0, last * this.keySize));
      this.values[s] = Buffer.from(this.values[s]!.subarray(0, last * this.valueStride));
    }
    return { count: this.count, keySize: this.keySize, valueStride: this.valueStride, keys: this.keys, values: this.values };
  }
}

/**
 * One entry's per-CPU copies (`cpus` of `slot` bytes at `src[srcOff]`) folded into `slot` bytes at
 * `dst[dstOff]`, in 32-bit halves (no bigint per value).
 */
function foldValue(dst: Buffer, dstOff: number, src: Buffer, srcOff: number, slot: number, cpus: number, fold: Fold): void {
  if (fold === 'sum') {
    for (let s = 0; s < slot; s += 8) {
      let lo = 0;
      let hi = 0;
      for (let c = 0; c < cpus; c++) {
        const at = srcOff + c * slot + s;
        lo += src.readUInt32LE(at);
        hi += src.readUInt32LE(at + 4);
        if (lo > 0xffffffff) {
          lo -= 0x100000000;
          hi += 1;
        }
      }
      dst.writeUInt32LE(lo, dstOff + s);
      dst.writeUInt32LE(hi >>> 0, dstOff + s + 4);
    }
    return;
  }
  // min/max: slot 0 the value (signed), slot 1 non-zero once the CPU has one.
  let best = -1;
  for (let c = 0; c < cpus; c++) {
    const at = srcOff + c * slot;
    if (src.readUInt32LE(at + 8) === 0 && src.readUInt32LE(at + 12) === 0) continue;
    if (best < 0) {
      best = at;
      continue;
    }
    const hi = src.readInt32LE(at + 4);
    const bestHi = src.readInt32LE(best + 4);
    const less = hi < bestHi || (hi === bestHi && src.readUInt32LE(at) < src.readUInt32LE(best));
    const greater = hi > bestHi || (hi === bestHi && src.readUInt32LE(at) > src.readUInt32LE(best));
    if (fold === 'min' ? less : greater) best = at;
  }
  if (best < 0) dst.fill(0, dstOff, dstOff + slot);
  else src.copy(dst, dstOff, best, best + slot);
}
