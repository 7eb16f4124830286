import test from 'ava';
import { readFileSync } from 'node:fs';
import { KernelSymbolTable, kernelSymbols } from '../../../runtime/output/kernel-symbols.js';
import { referenceFind } from '../../helpers/kallsyms-reference.js';

/** A deterministic sample: every symbol's start, one byte before and after, and pseudo-random addresses across the range. */
function sampleAddresses(text: string): bigint[] {
  const out: bigint[] = [0n, 1n, (1n << 64n) - 1n];
  const starts = text
    .split('\n')
    .map((l) => l.slice(0, l.indexOf(' ')))
    .filter((h) => /^[0-9a-f]+$/.test(h))
    .map((h) => BigInt('0x' + h));
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < starts.length; i += 7) out.push(starts[i]!, starts[i]! + 1n, starts[i]! - 1n);
  if (starts.length > 0) {
    const min = starts.reduce((a, b) => (b < a ? b : a));
    const max = starts.reduce((a, b) => (b > a ? b : a));
    const span = max - min + 0x10000n;
    for (let i = 0; i < 20000; i++) out.push(min - 0x100n + ((BigInt(rand()) * BigInt(rand())) % span));
  }
  return out.filter((a) => a >= 0n && a < 1n << 64n);
}

function agree(t: import('ava').ExecutionContext, text: string): number {
  const table = KernelSymbolTable.parse(Buffer.from(text, 'latin1'));
  const ref = referenceFind(text);
  let checked = 0;
  for (const addr of sampleAddresses(text)) {
    const got = table.find(addr);
    const want = ref(addr);
    if (got?.name !== want?.name || got?.offset !== want?.offset) {
      t.deepEqual(got, want, `address 0x${addr.toString(16)}`);
      return checked;
    }
    checked++;
  }
  t.pass();
  return checked;
}

test('the running kernel: the same name and offset as the old table, for a sample of addresses', (t) => {
  let text: string;
  try {
    text = readFileSync('/proc/kallsyms', 'latin1');
  } catch {
    t.pass('no /proc/kallsyms');
    return;
  }
  const checked = agree(t, text);
  t.true(checked > 1000, `${checked} addresses checked`);
  // Read again by the runtime's loader (BPF programs come and go in the file: sizes may differ a little).
  const size = KernelSymbolTable.parse(Buffer.from(text, 'latin1')).size;
  t.true(Math.abs(kernelSymbols().size - size) < 1000, `${kernelSymbols().size} symbols, ${size} in the test's read`);
});

test('the kernel part in address order, then modules and the like in any order: equal addresses, suffixes, other types and zero addresses', (t) => {
  const text = [
    '00000000ffff0000 T low_half',
    'ffffffff81000100 t first',
    'ffffffff81000100 T first_alias',
    'ffffffff81000200 T second',
    'ffffffff81000300 D some_data',
    'ffffffff81000400 r ro_data',
    'ffffffff81000500 w lower_weak',
    'ffffffffc0001000 t mod_func\t[mymod]',
    'ffffffffc0000800 W weak_one\t[other]',
    'ffffffff81000200 t mod_same_as_second\t[mymod]',
    'ffffffff81000050 t mod_below_core\t[mymod]',
    'ffffffff81000300 d mod_data\t[mymod]',
    'ffffffffa0000000 t bpf_prog_1234_x\t[bpf]',
    '0000000000000000 t zero_mod\t[mymod]',
    'garbage line',
    '',
  ].join('\n');
  agree(t, text);
  const table = KernelSymbolTable.parse(Buffer.from(text, 'latin1'));
  t.deepEqual(table.find(0xffffffff81000150n), { name: 'first_alias', offset: 0x50n });
  t.deepEqual(table.find(0xffffffff81000250n), { name: 'mod_same_as_second', offset: 0x50n });
  t.deepEqual(table.find(0xffffffff81000350n), { name: 'mod_same_as_second', offset: 0x150n });
  t.deepEqual(table.find(0xffffffff81000060n), { name: 'mod_below_core', offset: 0x10n });
  t.deepEqual(table.find(0xffffffffc0001004n), { name: 'mod_func', offset: 4n });
  t.deepEqual(table.find(0xffffffffc0000900n), { name: 'weak_one', offset: 0x100n });
  t.deepEqual(table.find(0xffffffffa0000008n), { name: 'bpf_prog_1234_x', offset: 8n });
  t.deepEqual(table.find(0xffffffff9fffffffn), { name: 'lower_weak', offset: 0x1efffaffn });
  t.deepEqual(table.find(0xffff0001n), { name: 'low_half', offset: 1n });
  t.is(table.find(0x10n), undefined);
  t.is(table.size, 10);
});

test('a kallsyms of only kernel symbols, and one of only module symbols', (t) => {
  agree(t, 'ffffffff81000100 T a\nffffffff81000100 T b\nffffffff81000200 t c\n');
  agree(t, 'ffffffffc0000200 t m2\t[m]\nffffffffc0000100 t m1\t[m]\nffffffffc0000100 t m1b\t[n]\n');
  t.deepEqual(KernelSymbolTable.parse(Buffer.from('ffffffffc0000200 t m2\t[m]\nffffffffc0000100 t m1\t[m]\n')).find(0xffffffffc0000150n), { name: 'm1', offset: 0x50n });
});

test('more symbols than the first guess of the arrays (short lines)', (t) => {
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) lines.push(`ffffffff81${(0x100000 + i * 16).toString(16).padStart(6, '0')} T a`);
  for (let i = 0; i < 300; i++) lines.push(`ffffffffc0${(0x100000 - i * 32).toString(16).padStart(6, '0')} t m\t[m]`);
  const text = lines.join('\n') + '\n';
  t.is(KernelSymbolTable.parse(Buffer.from(text)).size, 5300);
  agree(t, text);
});

test('an empty or unreadable kallsyms: no symbols', (t) => {
  const table = KernelSymbolTable.parse(Buffer.alloc(0));
  t.is(table.size, 0);
  t.is(table.find(0xffffffff81000000n), undefined);
  t.is(KernelSymbolTable.parse(Buffer.from('0000000000000000 T a\n0000000000000000 t b\n')).size, 0);
});
