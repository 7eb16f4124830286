/** src/kernel/dwarf-lines.ts: path matching and line lookup as bpftrace's Dwarf::line_to_addr (the parser itself is checked against llvm-dwarfdump in e2e/cli-compat2). */
import test from 'ava';
import { lineAddress, pathEndsWith, type LineTable } from '../../../src/kernel/dwarf-lines.js';

test('pathEndsWith compares whole path components from the end', (t) => {
  t.true(pathEndsWith('/src/app/main.c', 'main.c'));
  t.true(pathEndsWith('/src/app/main.c', 'app/main.c'));
  t.true(pathEndsWith('/src/app/main.c', './app/main.c'));
  t.true(pathEndsWith('/src/app/main.c', '/src/app/main.c'));
  t.false(pathEndsWith('/src/app/main.c', 'ain.c'));
  t.false(pathEndsWith('/src/app/main.c', 'lib/main.c'));
  t.false(pathEndsWith('main.c', 'app/main.c'));
  t.false(pathEndsWith('/src/main.c', ''));
});

const row = (address: number, file: string, line: number, column: number) => ({ address: BigInt(address), file, line, column });
const TABLES: LineTable[] = [
  { offset: 0, files: ['/p/a.c', '/usr/include/x.h'], rows: [row(0x30, '/p/a.c', 10, 5), row(0x20, '/p/a.c', 10, 3), row(0x10, '/usr/include/x.h', 10, 3), row(0x40, '/p/a.c', 11, 1)], sequences: [] },
  { offset: 0x80, files: ['/p/b.c', '/usr/include/x.h'], rows: [row(0x100, '/p/b.c', 10, 1)], sequences: [] },
];

test('lineAddress: the lowest address of the line in the first unit naming the file; columns narrow it', (t) => {
  t.is(lineAddress(TABLES, 'a.c', 10, 0), 0x20n);
  t.is(lineAddress(TABLES, 'a.c', 10, 5), 0x30n);
  t.is(lineAddress(TABLES, 'p/b.c', 10, 0), 0x100n);
  // A header's lines count only for the header, in the first unit that names it.
  t.is(lineAddress(TABLES, 'x.h', 10, 0), 0x10n);
});

test('lineAddress: bpftrace\'s errors', (t) => {
  t.is(lineAddress(TABLES, 'c.c', 1, 0), 'No compilation unit matches c.c');
  t.is(lineAddress(TABLES, 'a.c', 12, 0), "Unable to map 'a.c:12' to address");
  t.is(lineAddress(TABLES, 'a.c', 10, 9), "Unable to map 'a.c:10:9' to address");
  const twice: LineTable[] = [{ offset: 0, files: ['/p/a.c'], rows: [], sequences: [] }, { offset: 0x40, files: ['/q/a.c'], rows: [], sequences: [] }];
  t.is(lineAddress(twice, 'a.c', 1, 0), 'Ambiguous source path, matches multiple files: /p/a.c, /q/a.c');
});

test('lineAddress: one file spelled two ways (./ components) is one file, not an ambiguity', (t) => {
  const row2 = (address: number, file: string, line: number) => ({ address: BigInt(address), file, line, column: 0 });
  const tables: LineTable[] = [{ offset: 0, files: ['/p/./a.c', '/p/a.c'], rows: [row2(0x20, '/p/a.c', 3), row2(0x10, '/p/./a.c', 3)], sequences: [] }];
  t.is(lineAddress(tables, 'a.c', 3, 0), 0x10n);
});
