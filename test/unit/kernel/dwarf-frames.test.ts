/**
 * src/kernel/dwarf-info.ts, src/kernel/dwarf-lines.ts and src/kernel/dwarf-frames.ts on DWARF 5
 * and DWARF 4 sections assembled here byte by byte: a function `work` at 0x1000-0x1040 into which
 * `outer` is inlined (two address ranges, through DW_AT_ranges), with `inner` inlined into outer
 * inside a lexical block. The frames of an address are what `addr2line -f -i` would list
 * (e2e/config-show-debug-info checks real gcc output against addr2line itself).
 */
import test from 'ava';
import { DebugFrames } from '../../../src/kernel/dwarf-frames.js';
import { functionName, parseDebugInfo, TAG } from '../../../src/kernel/dwarf-info.js';
import { parseLineTables, rowAt } from '../../../src/kernel/dwarf-lines.js';

/** A little-endian byte assembler. */
class Bytes {
  private readonly b: number[] = [];
  get length(): number {
    return this.b.length;
  }
  u8(...v: number[]): this {
    this.b.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, v >> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v).u32(0);
  }
  uleb(v: number): this {
    do {
      const byte = v & 0x7f;
      v >>>= 7;
      this.b.push(v ? byte | 0x80 : byte);
    } while (v);
    return this;
  }
  sleb(v: number): this {
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) return this.u8(byte);
      this.u8(byte | 0x80);
    }
  }
  str(s: string): this {
    return this.u8(...Buffer.from(s), 0);
  }
  bytes(o: Bytes): this {
    return this.u8(...o.b);
  }
  buf(): Buffer {
    return Buffer.from(this.b);
  }
}

/** A unit: its 32-bit length, then the body. */
const unit = (body: Bytes): Buffer => new Bytes().u32(body.length).bytes(body).buf();

// DW_FORM_*, DW_AT_*, DW_TAG_* used below.
const F = { addr: 0x01, data1: 0x0b, data4: 0x06, data8: 0x07, string: 0x08, strp: 0x0e, udata: 0x0f, ref4: 0x13, secOffset: 0x17, strx1: 0x25 };
const A = { name: 0x03, stmtList: 0x10, lowPc: 0x11, highPc: 0x12, compDir: 0x1b, inline: 0x20, abstractOrigin: 0x31, ranges: 0x55, callFile: 0x58, callLine: 0x59, strOffsetsBase: 0x72 };

function abbrevs(nameForm: number, compDirForm: number): Buffer {
  const a = new Bytes();
  const decl = (code: number, tag: number, children: boolean, attrs: [number, number][]): void => {
    a.uleb(code).uleb(tag).u8(children ? 1 : 0);
    for (const [at, form] of attrs) a.uleb(at).uleb(form);
    a.u8(0, 0);
  };
  decl(1, TAG.compileUnit, true, [[A.name, F.string], [A.compDir, compDirForm], [A.lowPc, F.addr], [A.highPc, F.data8], [A.stmtList, F.secOffset], [A.strOffsetsBase, F.secOffset]]);
  decl(2, TAG.subprogram, false, [[A.name, F.string], [A.inline, F.data1]]);
  decl(3, TAG.subprogram, true, [[A.name, nameForm], [A.lowPc, F.addr], [A.highPc, F.data4]]);
  decl(4, TAG.inlinedSubroutine, true, [[A.abstractOrigin, F.ref4], [A.ranges, F.secOffset], [A.callFile, F.data1], [A.callLine, F.data1]]);
  decl(5, TAG.lexicalBlock, true, [[A.lowPc, F.addr], [A.highPc, F.data4]]);
  decl(6, TAG.inlinedSubroutine, false, [[A.abstractOrigin, F.ref4], [A.lowPc, F.addr], [A.highPc, F.data4], [A.callFile, F.data1], [A.callLine, F.udata]]);
  a.u8(0);
  return a.buf();
}

/**
 * The unit's entries. `version` 5 or 4; `files` the call_file numbers of a.c and a.h (0 and 1 in
 * DWARF 5, 1 and 2 before); `name` writes work's name (a string or a strx1 index).
 */
function info(version: number, files: [number, number], compDir: (b: Bytes) => void, name: (b: Bytes) => void): Buffer {
  const header = version === 5 ? new Bytes().u16(5).u8(1, 8).u32(0) : new Bytes().u16(4).u32(0).u8(8);
  const hdr = 4 + header.length; // entries start here, relative to the unit
  const e = new Bytes();
  e.uleb(1).str('a.c');
  compDir(e);
  e.u64(0x1000).u64(0x40).u32(0).u32(8);
  const inner = hdr + e.length;
  e.uleb(2).str('inner').u8(3);
  const outer = hdr + e.length;
  e.uleb(2).str('outer').u8(3);
  e.uleb(3);
  name(e);
  e.u64(0x1000).u32(0x40);
  e.uleb(4).u32(outer).u32(version === 5 ? 12 : 0).u8(files[0], 12); // outer, called at a.c:12
  e.uleb(5).u64(0x1008).u32(0x10);
  e.uleb(6).u32(inner).u64(0x1010).u32(4).u8(files[1]).uleb(6); // inner, called at a.h:6
  e.u8(0, 0, 0, 0); // end of lexical block, outer, work, unit
  return unit(header.bytes(e));
}

/** The line program: 0x1000 a.c:10, 0x1010 a.h:5, 0x1020 a.c:6 then a.c:7 (both at 0x1020: the last counts), end at 0x1040. */
function program(ac: number, ah: number): Bytes {
  return new Bytes()
    .u8(0, 9, 2).u64(0x1000) // set_address
    .u8(4).uleb(ac).u8(3).sleb(9).u8(1) // a.c:10
    .u8(4).uleb(ah).u8(2).uleb(0x10).u8(3).sleb(-5).u8(1) // a.h:5
    .u8(4).uleb(ac).u8(2).uleb(0x10).u8(3).sleb(1).u8(1) // a.c:6
    .u8(3).sleb(1).u8(1) // a.c:7, same address
    .u8(2).uleb(0x20).u8(0, 1, 1); // end_sequence at 0x1040
}

const OPCODE_LENGTHS = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];

function lineTable5(): Buffer {
  const h = new Bytes().u8(1, 1, 1, 0xfb, 14, 13, ...OPCODE_LENGTHS);
  h.u8(1).uleb(1).uleb(F.string).uleb(1).str('/src'); // directories: path as a string
  h.u8(2).uleb(1).uleb(F.string).uleb(2).uleb(F.udata).uleb(2).str('a.c').uleb(0).str('a.h').uleb(0);
  return unit(new Bytes().u16(5).u8(8, 0).u32(h.length).bytes(h).bytes(program(0, 1)));
}

function lineTable4(): Buffer {
  const h = new Bytes().u8(1, 1, 1, 0xfb, 14, 13, ...OPCODE_LENGTHS);
  h.str('inc').u8(0); // include directories
  h.str('a.c').uleb(0).uleb(0).uleb(0).str('a.h').uleb(1).uleb(0).uleb(0).u8(0);
  return unit(new Bytes().u16(4).u32(h.length).bytes(h).bytes(program(1, 2)));
}

/** outer's two ranges, relative to the unit's base 0x1000: 0x1008-0x1018 and 0x1020-0x1028. */
const rnglists = new Bytes().u32(8 + 3 + 10 + 1).u16(5).u8(8, 0).u32(0).u8(4).uleb(8).uleb(0x18).u8(7).u64(0x1020).uleb(8).u8(0).buf();
const ranges4 = new Bytes().u64(8).u64(0x18).u64(0x20).u64(0x28).u64(0).u64(0).buf();

const str = new Bytes().str('').str('/src').str('work').buf(); // "/src" at 1, "work" at 6
const strOffsets = new Bytes().u32(8).u16(5).u16(0).u32(6).buf(); // index 0 -> "work"

const frames5 = (): DebugFrames => {
  const tables = parseLineTables(lineTable5(), {});
  const dinfo = parseDebugInfo({ info: info(5, [0, 1], (b) => b.u32(1), (b) => b.u8(0)), abbrev: abbrevs(F.strx1, F.strp), str, strOffsets, rnglists });
  return new DebugFrames(tables, dinfo);
};

const text = (d: DebugFrames, a: number): string[] => d.frames(BigInt(a)).map((f) => `${f.name ?? '??'}@${f.location ? `${f.location.file}:${f.location.line}` : '??'}`);

test('DWARF 5: inlined calls (ranges through .debug_rnglists, a lexical block between) as addr2line -f -i lists them', (t) => {
  const d = frames5();
  t.deepEqual(text(d, 0x1004), ['work@/src/a.c:10']);
  t.deepEqual(text(d, 0x1008), ['outer@/src/a.c:10', 'work@/src/a.c:12']);
  t.deepEqual(text(d, 0x1012), ['inner@/src/a.h:5', 'outer@/src/a.h:6', 'work@/src/a.c:12']);
  t.deepEqual(text(d, 0x1024), ['outer@/src/a.c:7', 'work@/src/a.c:12']);
  t.deepEqual(text(d, 0x1030), ['work@/src/a.c:7']);
  t.deepEqual(text(d, 0x1040), []);
  t.deepEqual(text(d, 0xfff), []);
});

test('DWARF 4: 1-based file numbers, .debug_ranges, files relative to the compilation directory', (t) => {
  const tables = parseLineTables(lineTable4(), {});
  t.deepEqual(tables[0]!.files, ['', 'a.c', 'inc/a.h']);
  const dinfo = parseDebugInfo({ info: info(4, [1, 2], (b) => b.str('/src'), (b) => b.str('work')), abbrev: abbrevs(F.string, F.string), ranges: ranges4 });
  const d = new DebugFrames(tables, dinfo);
  t.deepEqual(text(d, 0x1012), ['inner@/src/inc/a.h:5', 'outer@/src/inc/a.h:6', 'work@/src/a.c:12']);
  t.deepEqual(text(d, 0x1026), ['outer@/src/a.c:7', 'work@/src/a.c:12']);
  t.deepEqual(text(d, 0x1000), ['work@/src/a.c:10']);
});

test('line tables: sequences end where end_sequence says; of rows at one address the last counts', (t) => {
  const [table] = parseLineTables(lineTable5(), {});
  t.deepEqual(table!.files, ['/src/a.c', '/src/a.h']);
  t.deepEqual(table!.sequences, [{ start: 0, end: 4, endAddress: 0x1040n }]);
  t.is(rowAt(table!, 0x101fn)?.line, 5);
  t.is(rowAt(table!, 0x1020n)?.line, 7);
  t.is(rowAt(table!, 0x103fn)?.line, 7);
  t.is(rowAt(table!, 0x1040n), undefined);
});

test('function names follow abstract origins; DW_FORM_strx resolves through the unit\'s str_offsets_base', (t) => {
  const dinfo = parseDebugInfo({ info: info(5, [0, 1], (b) => b.u32(1), (b) => b.u8(0)), abbrev: abbrevs(F.strx1, F.strp), str, strOffsets, rnglists });
  const [cu] = dinfo.units;
  t.is(cu!.compDir, '/src');
  t.deepEqual(cu!.ranges, [[0x1000n, 0x1040n]]);
  const work = cu!.scopes.find((s) => s.ranges.length > 0)!;
  t.is(functionName(dinfo, work.offset), 'work');
  const outer = work.children[0]!;
  t.deepEqual(outer.ranges, [[0x1008n, 0x1018n], [0x1020n, 0x1028n]]);
  t.is(functionName(dinfo, outer.offset), 'outer');
  t.is(functionName(dinfo, outer.children[0]!.children[0]!.offset), 'inner');
});

test('a binary with line tables but no .debug_info: the address\'s line, no names', (t) => {
  const d = new DebugFrames(parseLineTables(lineTable5(), {}), undefined);
  t.deepEqual(text(d, 0x1012), ['??@/src/a.h:5']);
  t.deepEqual(text(d, 0x2000), []);
});
