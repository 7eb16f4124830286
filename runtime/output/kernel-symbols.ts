/**
 * The kernel's text symbols (/proc/kallsyms) for ksym() and kstack. The file is ~5 MB and 120K
 * lines: it is read as bytes in one buffer and parsed into typed arrays (an address as two 32-bit
 * halves, a name as where it starts in the file's text, cut out only when a frame prints it). The
 * file is in address order but for a few lines at its end (module, BPF and ftrace symbols): those
 * are sorted (a numeric sort of packed doubles) and merged in. No string, bigint or object per
 * symbol: the table is ready in milliseconds, and leaves the garbage collector nothing to do.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Where an address is: the symbol at or before it, and how far past its start. */
export interface SymbolHit {
  readonly name: string;
  readonly offset: bigint;
}

const SPACE = 0x20;
/** Shortest possible line: 1 hex digit, space, type, space, 1-byte name, newline. */
const MIN_LINE = 6;
/** Indices packed below the low address half in a double: (lo * 2^21 + index) < 2^53 is exact. */
const INDEX_RANGE = 2 ** 21;
/** Hex digit values by character code; -1: not a digit. */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[0x61 + i] = HEX_DIGIT[0x41 + i] = 10 + i;

/** Text symbols sorted by address; `find` gives the nearest one at or before an address. */
export class KernelSymbolTable {
  /** Sorted by (hi, lo); equal addresses keep file order, and `find` takes the last of them. */
  private constructor(
    /** The file's text (ASCII, decoded as latin1: one byte a character). */
    private readonly text: string,
    private readonly hi: Uint32Array,
    private readonly lo: Uint32Array,
    /** Where each symbol's name starts in `text`; it ends at a tab (a module's `\t[module]`) or the line's end. */
    private readonly nameAt: Uint32Array,
  ) {}

  /** @internal The sorted arrays (parse). */
  static of(text: string, hi: Uint32Array, lo: Uint32Array, nameAt: Uint32Array): KernelSymbolTable {
    return new KernelSymbolTable(text, hi, lo, nameAt);
  }

  get size(): number {
    return this.hi.length;
  }

  /** The symbol at or before `addr` (kernel symbols have no size: each runs up to the next). */
  find(addr: bigint): SymbolHit | undefined {
    if (addr < 0n || addr >= 1n << 64n) return undefined;
    const ah = Number(addr >> 32n);
    const al = Number(addr & 0xffffffffn);
    const { hi, lo } = this;
    let l = 0;
    let h = hi.length - 1;
    let best = -1;
    while (l <= h) {
      const mid = (l + h) >> 1;
      const mh = hi[mid]!;
      if (mh < ah || (mh === ah && lo[mid]! <= al)) {
        best = mid;
        l = mid + 1;
      } else h = mid - 1;
    }
    if (best < 0) return undefined;
    const start = (BigInt(hi[best]!) << 32n) | BigInt(lo[best]!);
    return { name: this.nameOf(best), offset: addr - start };
  }

  private nameOf(i: number): string {
    const from = this.nameAt[i]!;
    let eol = this.text.indexOf('\n', from);
    if (eol < 0) eol = this.text.length;
    const rest = this.text.slice(from, eol);
    const tab = rest.indexOf('\t');
    const name = tab < 0 ? rest : rest.slice(0, tab);
    // The file's bytes as UTF-8, should a name ever hold more than ASCII.
    return /[^\x00-\x7f]/.test(name) ? Buffer.from(name, 'latin1').toString('utf8') : name;
  }

  /**
   * The table of a kallsyms text: text symbols (t, T, w, W) with a non-zero address (an
   * unprivileged reader sees only zeros), named without a module's `\t[module]` suffix.
   */
  static parse(bytes: Buffer): KernelSymbolTable {
    // latin1: a byte a character, so offsets in the text are offsets in the file; the string's
    // indexOf and charCodeAt run well before the optimizing compiler gets to this one-shot loop.
    const text = bytes.toString('latin1');
    const len = text.length;
    const cap = Math.ceil(len / MIN_LINE) + 1;
    const hiAt = new Uint32Array(cap);
    const loAt = new Uint32Array(cap);
    const nameAt = new Uint32Array(cap);
    let n = 0;
    /** How many symbols from the first are in ascending order (all but a few at the end, in practice). */
    let sortedPrefix = -1;
    let prevHi = 0;
    let prevLo = 0;
    for (let pos = 0; pos < len; ) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = len;
      const line = pos;
      pos = eol + 1;
      // The address: hex digits up to the first space (16 of them on a 64-bit kernel).
      const sp = text.charCodeAt(line + 16) === SPACE ? line + 16 : text.indexOf(' ', line);
      if (sp <= line || sp + 3 > eol || text.charCodeAt(sp + 2) !== SPACE) continue;
      const type = text.charCodeAt(sp + 1);
      if (type !== 0x74 && type !== 0x54 && type !== 0x77 && type !== 0x57) continue; // t T w W
      let h = 0;
      let l = 0;
      let i = line;
      for (; i < sp; i++) {
        const d = HEX_DIGIT[text.charCodeAt(i)] ?? -1;
        if (d < 0) break;
        h = ((h << 4) | (l >>> 28)) >>> 0;
        l = ((l << 4) | d) >>> 0;
      }
      if (i < sp || (h === 0 && l === 0)) continue;
      hiAt[n] = h;
      loAt[n] = l;
      nameAt[n] = sp + 3;
      if (sortedPrefix < 0 && (h < prevHi || (h === prevHi && l < prevLo))) sortedPrefix = n;
      prevHi = h;
      prevLo = l;
      n++;
    }
    if (sortedPrefix < 0) return new KernelSymbolTable(text, hiAt.slice(0, n), loAt.slice(0, n), nameAt.slice(0, n));
    return merged(text, hiAt.subarray(0, n), loAt.subarray(0, n), nameAt.subarray(0, n), sortedPrefix);
  }
}

/**
 * The table of symbols whose first `prefix` are in address order already: the rest are sorted
 * and merged in, ties in file order (on equal addresses the earlier line comes first).
 */
function merged(text: string, hi: Uint32Array, lo: Uint32Array, nameAt: Uint32Array, prefix: number): KernelSymbolTable {
  const n = hi.length;
  const tail = tailOrder(hi, lo, prefix);
  const outHi = new Uint32Array(n);
  const outLo = new Uint32Array(n);
  const outName = new Uint32Array(n);
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    let i: number;
    if (b === tail.length) i = a++;
    else if (a === prefix) i = tail[b++]!;
    else {
      const j = tail[b]!;
      if (hi[j]! < hi[a]! || (hi[j] === hi[a] && lo[j]! < lo[a]!)) {
        i = j;
        b++;
      } else i = a++;
    }
    outHi[k] = hi[i]!;
    outLo[k] = lo[i]!;
    outName[k] = nameAt[i]!;
  }
  return KernelSymbolTable.of(text, outHi, outLo, outName);
}

/** The indices from `from` on, sorted by address, ties in index order. */
function tailOrder(hi: Uint32Array, lo: Uint32Array, from: number): Uint32Array {
  const n = hi.length;
  const order = new Uint32Array(n - from);
  if (n >= INDEX_RANGE) {
    for (let i = from; i < n; i++) order[i - from] = i;
    return order.sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || a - b);
  }
  const highs = [...new Set(hi.subarray(from))].sort((a, b) => a - b);
  let at = 0;
  for (const high of highs) {
    let count = 0;
    for (let i = from; i < n; i++) if (hi[i] === high) count++;
    const packed = new Float64Array(count);
    let k = 0;
    for (let i = from; i < n; i++) if (hi[i] === high) packed[k++] = lo[i]! * INDEX_RANGE + i;
    packed.sort();
    for (let j = 0; j < count; j++) order[at++] = packed[j]! % INDEX_RANGE;
  }
  return order;
}

/** Reads a /proc file (its size is 0 to stat) into one buffer, growing it as needed. */
function readProcFile(path: string, guess: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(guess);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const got = readSync(fd, buf, len, buf.length - len, null);
      if (got === 0) return buf.subarray(0, len);
      len += got;
    }
  } finally {
    closeSync(fd);
  }
}

let kernelTable: KernelSymbolTable | undefined;

/** The running kernel's table, read at the first use (empty when /proc/kallsyms cannot be read: addresses print as hex). */
export function kernelSymbols(): KernelSymbolTable {
  if (kernelTable) return kernelTable;
  let text: Buffer;
  try {
    text = readProcFile('/proc/kallsyms', 8 << 20);
  } catch {
    text = Buffer.alloc(0);
  }
  kernelTable = KernelSymbolTable.parse(text);
  return kernelTable;
}
