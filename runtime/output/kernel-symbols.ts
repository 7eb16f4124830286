/**
 * The kernel's text symbols (/proc/kallsyms) for ksym() and kstack. The file is ~5 MB and 120K
 * lines, read as bytes in one buffer. Its first part, the kernel's own symbols, is in address
 * order (the kernel's address lookups binary-search that table) and has no tab; the rest, module,
 * BPF, ftrace and kprobe symbols (`name\t[module]`), comes after it in no particular order. So
 * loading keeps, per symbol, only where its line and name start (typed arrays); a core symbol's
 * address is parsed from its hex digits when a lookup first needs it, the few others' are parsed
 * at once, sorted (a numeric sort of packed doubles) and merged in; a name is cut out of the text
 * only when it is printed. No string, bigint or object per symbol: the table is ready in a few
 * milliseconds, and leaves the garbage collector nothing to do.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Where an address is: the symbol at or before it, and how far past its start. */
export interface SymbolHit {
  readonly name: string;
  readonly offset: bigint;
}

const SPACE = 0x20;
const ZERO = 0x30;
/** Bytes a line, to size the arrays first (a symbol's line is ~45 bytes). */
const LINE_GUESS = 24;
/** Indices packed below the low address half in a double: (lo * 2^21 + index) < 2^53 is exact. */
const INDEX_RANGE = 2 ** 21;
/** Hex digit values by character code; -1: not a digit. */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[0x61 + i] = HEX_DIGIT[0x41 + i] = 10 + i;

/** Text symbols sorted by address; `find` gives the nearest one at or before an address. */
export class KernelSymbolTable {
  /**
   * Per symbol, in address order (equal addresses in file order; `find` takes the last of them):
   * where its line starts in `text` (the address's hex digits), where its name starts (after
   * `<address> <type> `; it ends at a tab or the line's end), and its address as two 32-bit
   * halves once `parsed`.
   */
  private constructor(
    /** The file's text (ASCII, decoded as latin1: one byte a character). */
    private readonly text: string,
    private readonly lineAt: Uint32Array,
    private readonly nameAt: Uint32Array,
    private readonly hi: Uint32Array,
    private readonly lo: Uint32Array,
    private readonly parsed: Uint8Array,
  ) {}

  get size(): number {
    return this.lineAt.length;
  }

  /** The symbol at or before `addr` (kernel symbols have no size: each runs up to the next). */
  find(addr: bigint): SymbolHit | undefined {
    if (addr < 0n || addr >= 1n << 64n) return undefined;
    const best = this.lastAtOrBelow(Number(addr >> 32n), Number(addr & 0xffffffffn), 0, this.size);
    if (best < 0) return undefined;
    const start = (BigInt(this.hi[best]!) << 32n) | BigInt(this.lo[best]!);
    return { name: this.nameOf(best), offset: addr - start };
  }

  /** The last of symbols [from, to) whose address is at most (ah, al), or -1 (their addresses parsed on the way). */
  private lastAtOrBelow(ah: number, al: number, from: number, to: number): number {
    let l = from;
    let h = to - 1;
    let best = -1;
    while (l <= h) {
      const mid = (l + h) >> 1;
      if (!this.parsed[mid]) this.parseAddress(mid);
      const mh = this.hi[mid]!;
      if (mh < ah || (mh === ah && this.lo[mid]! <= al)) {
        best = mid;
        l = mid + 1;
      } else h = mid - 1;
    }
    return best;
  }

  private parseAddress(i: number): void {
    const [h, l] = hexAddress(this.text, this.lineAt[i]!, this.nameAt[i]! - 3);
    this.hi[i] = h;
    this.lo[i] = l;
    this.parsed[i] = 1;
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
    // Lines are ~45 bytes (at least 21 on a 64-bit kernel); the arrays grow should that not do.
    let lineAt: Uint32Array = new Uint32Array(Math.ceil(len / LINE_GUESS) + 16);
    let nameAt: Uint32Array = new Uint32Array(lineAt.length);
    let n = 0;
    // The lines from the first with a tab on (modules' and the like) are not in address order.
    const firstTab = text.indexOf('\t');
    let core = -1;
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
      if (text.charCodeAt(line) === ZERO && isZero(text, line, sp)) continue;
      if (core < 0 && firstTab >= 0 && eol > firstTab) core = n;
      if (n === lineAt.length) {
        lineAt = grown(lineAt);
        nameAt = grown(nameAt);
      }
      lineAt[n] = line;
      nameAt[n] = sp + 3;
      n++;
    }
    if (core < 0) core = n;
    return KernelSymbolTable.merged(text, lineAt.subarray(0, n), nameAt.subarray(0, n), core);
  }

  /** The table of symbols whose first `core` are in address order: the others are parsed, sorted and merged in (on equal addresses the earlier line first). */
  private static merged(text: string, lineAt: Uint32Array, nameAt: Uint32Array, core: number): KernelSymbolTable {
    const n = lineAt.length;
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const parsed = new Uint8Array(n);
    if (core === n) return new KernelSymbolTable(text, lineAt.slice(), nameAt.slice(), hi, lo, parsed);
    // The core part alone, whose addresses are parsed as the merge's searches need them.
    const coreTable = new KernelSymbolTable(text, lineAt.subarray(0, core), nameAt.subarray(0, core), hi.subarray(0, core), lo.subarray(0, core), parsed.subarray(0, core));
    for (let i = core; i < n; i++) {
      const [h, l] = hexAddress(text, lineAt[i]!, nameAt[i]! - 3);
      hi[i] = h;
      lo[i] = l;
    }
    const tail = addressOrder(hi, lo, core);
    const outLine = new Uint32Array(n);
    const outName = new Uint32Array(n);
    const outHi = new Uint32Array(n);
    const outLo = new Uint32Array(n);
    const outParsed = new Uint8Array(n);
    let a = 0;
    let k = 0;
    const copyCore = (to: number): void => {
      outLine.set(lineAt.subarray(a, to), k);
      outName.set(nameAt.subarray(a, to), k);
      outHi.set(hi.subarray(a, to), k);
      outLo.set(lo.subarray(a, to), k);
      outParsed.set(parsed.subarray(a, to), k);
      k += to - a;
      a = to;
    };
    for (const j of tail) {
      // Every core symbol at or below it comes first.
      copyCore(Math.max(a, coreTable.lastAtOrBelow(hi[j]!, lo[j]!, a, core) + 1));
      outLine[k] = lineAt[j]!;
      outName[k] = nameAt[j]!;
      outHi[k] = hi[j]!;
      outLo[k] = lo[j]!;
      outParsed[k] = 1;
      k++;
    }
    copyCore(core);
    return new KernelSymbolTable(text, outLine, outName, outHi, outLo, outParsed);
  }
}

function grown(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Whether text[from, to) is all zeros. */
function isZero(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) !== ZERO) return false;
  return true;
}

/** The hex number text[from, to) as two 32-bit halves (the kernel writes well-formed ones; anything else counts as 0). */
function hexAddress(text: string, from: number, to: number): [hi: number, lo: number] {
  let h = 0;
  let l = 0;
  for (let i = from; i < to; i++) {
    const d = HEX_DIGIT[text.charCodeAt(i)] ?? -1;
    if (d < 0) return [0, 0];
    h = ((h << 4) | (l >>> 28)) >>> 0;
    l = ((l << 4) | d) >>> 0;
  }
  return [h, l];
}

/**
 * Indices from `from` on sorted by address (hi, lo), ties in index order: per distinct high half
 * (one on x86-64, 0xffffffff), a numeric sort of lo * 2^21 + index, exact in a double.
 */
function addressOrder(hi: Uint32Array, lo: Uint32Array, from: number): Uint32Array {
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
