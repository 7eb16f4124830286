/**
 * The raw type records of a BTF blob (`/sys/kernel/btf/vmlinux`): the header, the id -> record
 * offset index and the string table, with readers for the fields every record has. This is the one
 * BTF decoder; btf.ts turns records into language CTypes, btf-funcs.ts into kernel functions and C
 * type names. The index is built on first use, so reading the blob costs only the file read.
 */

const BTF_MAGIC = 0xeb9f;

export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
const K = BTF_KIND;

/** Bytes of the common record header (name_off, info, size/type); kind-specific data follows it. */
export const BTF_RECORD_HEADER = 12;

export class BtfRecords {
  private readonly typeStart: number;
  private readonly typeEnd: number;
  private readonly strStart: number;
  private offsets: Int32Array | undefined;

  constructor(readonly data: Buffer) {
    if (data.readUInt16LE(0) !== BTF_MAGIC) throw new Error('not a BTF blob (bad magic)');
    const hdrLen = data.readUInt32LE(4);
    this.typeStart = hdrLen + data.readUInt32LE(8);
    this.typeEnd = this.typeStart + data.readUInt32LE(12);
    this.strStart = hdrLen + data.readUInt32LE(16);
  }

  /** One past the highest type id (id 0 is `void` and has no record). */
  get idLimit(): number {
    return this.index().length;
  }

  /** Byte offset of a type's record, undefined for id 0 and ids past the end. */
  offsetOf(id: number): number | undefined {
    return id === 0 ? undefined : this.index()[id];
  }

  /** A string from the string section (record and member names). */
  str(off: number): string {
    const start = this.strStart + off;
    return this.data.toString('latin1', start, this.data.indexOf(0, start));
  }

  u32(off: number): number {
    return this.data.readUInt32LE(off);
  }

  kind(id: number): number {
    return (this.info(id) >>> 24) & 0x1f;
  }

  vlen(id: number): number {
    return this.info(id) & 0xffff;
  }

  /** The info word's top bit: bitfield layout for structs, signedness for enums, union for FWD. */
  kindFlag(id: number): boolean {
    return this.info(id) >>> 31 === 1;
  }

  nameOf(id: number): string {
    return this.str(this.u32(this.recordAt(id)));
  }

  /** The record's third word: a size (INT, STRUCT, ENUM...) or a referenced type id (PTR, TYPEDEF, FUNC...). */
  sizeOrType(id: number): number {
    return this.u32(this.recordAt(id) + 8);
  }

  private info(id: number): number {
    return this.u32(this.recordAt(id) + 4);
  }

  private recordAt(id: number): number {
    const p = this.offsetOf(id);
    if (p === undefined) throw new RangeError(`no BTF type record with id ${id}`);
    return p;
  }

  private index(): Int32Array {
    if (this.offsets) return this.offsets;
    const d = this.data;
    const offs: number[] = [0];
    let p = this.typeStart;
    while (p < this.typeEnd) {
      offs.push(p);
      const info = d.readUInt32LE(p + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      p += BTF_RECORD_HEADER;
      switch (kind) {
        case K.INT: case K.VAR: case K.DECL_TAG: p += 4; break;
        case K.ARRAY: p += 12; break;
        case K.STRUCT: case K.UNION: case K.DATASEC: case K.ENUM64: p += 12 * vlen; break;
        case K.ENUM: case K.FUNC_PROTO: p += 8 * vlen; break;
        default: break;
      }
    }
    this.offsets = Int32Array.from(offs);
    return this.offsets;
  }
}
