/**
 * Load options for programs with BPF-to-BPF subprograms (the callbacks of bpf_loop and
 * bpf_for_each_map_elem). The verifier accepts a `ld_imm64 rX, <callback>` (BPF_PSEUDO_FUNC) only
 * when the program has BTF func_info naming every subprogram, each a static function. tsbpf has no
 * debug info to give, so one small BTF object serves every program of the process:
 *
 *   [1] INT long (8 bytes, signed)
 *   [2] FUNC_PROTO long (void)
 *   [3] FUNC prog   -> [2], static
 *   [4] FUNC callback -> [2], static
 *
 * and func_info is {0, 3} followed by {start, 4} per callback.
 */
import { bpf, type ProgLoadOptions } from '../../native/index.js';

const BTF_KIND_INT = 1;
const BTF_KIND_FUNC = 12;
const BTF_KIND_FUNC_PROTO = 13;
const BTF_INT_SIGNED = 1;
const FUNC_MAIN = 3;
const FUNC_CALLBACK = 4;

/** The raw BTF blob (header, type section, string section). */
export function subprogBtf(): Buffer {
  const strings = ['', 'long', 'prog', 'callback'];
  const strOff = new Map<string, number>();
  let off = 0;
  for (const s of strings) {
    strOff.set(s, off);
    off += Buffer.byteLength(s) + 1;
  }
  const strSection = Buffer.from(strings.map((s) => `${s}\0`).join(''), 'latin1');
  const words: number[] = [];
  const type = (name: string, kind: number, vlen: number, sizeOrType: number) => words.push(strOff.get(name)!, ((kind & 0x1f) << 24) | (vlen & 0xffff), sizeOrType);
  type('long', BTF_KIND_INT, 0, 8);
  words.push((BTF_INT_SIGNED << 24) | 64);
  type('', BTF_KIND_FUNC_PROTO, 0, 1);
  type('prog', BTF_KIND_FUNC, 0, 2);
  type('callback', BTF_KIND_FUNC, 0, 2);
  const types = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => types.writeUInt32LE(w >>> 0, i * 4));
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0xeb9f, 0);
  header[2] = 1; // version
  header[3] = 0; // flags
  header.writeUInt32LE(24, 4); // hdr_len
  header.writeUInt32LE(0, 8); // type_off
  header.writeUInt32LE(types.length, 12); // type_len
  header.writeUInt32LE(types.length, 16); // str_off
  header.writeUInt32LE(strSection.length, 20); // str_len
  return Buffer.concat([header, types, strSection]);
}

/** `struct bpf_func_info` records for a program whose callbacks start at `subprogs`. */
export function funcInfo(subprogs: readonly number[]): Buffer {
  const starts = [0, ...subprogs];
  const b = Buffer.alloc(starts.length * 8);
  starts.forEach((start, i) => {
    b.writeUInt32LE(start, i * 8);
    b.writeUInt32LE(i === 0 ? FUNC_MAIN : FUNC_CALLBACK, i * 8 + 4);
  });
  return b;
}

let btfFd: number | undefined;

/** Extra progLoad options for a program with these subprograms (none when it has none). Loads the BTF once per process. */
export function subprogLoadOptions(subprogs: readonly number[] | undefined): Partial<ProgLoadOptions> {
  if (!subprogs || subprogs.length === 0) return {};
  btfFd ??= bpf.btfLoad(subprogBtf());
  return { progBtfFd: btfFd, funcInfo: funcInfo(subprogs), funcInfoRecSize: 8 };
}
