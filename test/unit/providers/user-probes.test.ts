/** Pure parts of the user-space providers: attach-point splitting, USDT operands, ld.so.cache, ELF symbols. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ElfFile } from '../../../src/kernel/elf.js';
import { parseUsdtArg, registerOffset } from '../../../src/kernel/usdt-args.js';
import { readLdSoCache, findLibrary } from '../../../src/kernel/user-paths.js';
import { splitAttachPoint } from '../../../src/providers/attach-point.js';
import { Diagnostics } from '../../../src/common/diagnostic.js';
import { softwareProvider } from '../../../src/providers/perf-events.js';
import { buildProbeTarget, whyNoProbeTarget } from '../../helpers/probe-target.js';

test('splitAttachPoint keeps quoted colons', (t) => {
  t.deepEqual(splitAttachPoint('uprobe:"/tmp/a:b":f'), ['uprobe', '/tmp/a:b', 'f']);
  t.deepEqual(splitAttachPoint('usdt:/bin/x:prov:name'), ['usdt', '/bin/x', 'prov', 'name']);
});

test('USDT operands: registers of every width, constants, memory', (t) => {
  t.deepEqual(parseUsdtArg('-4@%edi'), { kind: 'reg', size: 4, signed: true, regOffset: 112 });
  t.deepEqual(parseUsdtArg('8@%r10'), { kind: 'reg', size: 8, signed: false, regOffset: 56 });
  t.is(registerOffset('ah'), 81);
  t.is(registerOffset('r9d'), 64);
  t.deepEqual(parseUsdtArg('-4@$-7'), { kind: 'const', size: 4, signed: true, value: '-7' });
  t.deepEqual(parseUsdtArg('4@$0x10'), { kind: 'const', size: 4, signed: false, value: '16' });
  t.deepEqual(parseUsdtArg('8@-16(%rbp)'), { kind: 'mem', size: 8, signed: false, regOffset: 32, disp: '-16' });
  t.deepEqual(parseUsdtArg('-2@8(%rax,%rdx,4)'), { kind: 'mem', size: 2, signed: true, regOffset: 80, disp: '8', indexRegOffset: 96, scale: 4 });
  t.is(typeof parseUsdtArg('8@foo(%rip)'), 'string');
  t.is(typeof parseUsdtArg('3@%eax'), 'string');
});

test('ld.so.cache is read and lib short names resolve to x86-64 libraries', (t) => {
  const entries = readLdSoCache();
  if (entries.length === 0) return void t.pass('no /etc/ld.so.cache here');
  t.true(entries.some((e) => e.name === 'libc.so.6'));
  t.regex(findLibrary('c') ?? '', /\/libc\.so\.6$/);
  t.is(findLibrary('no-such-library-xyz'), undefined);
});

test('software events: aliases, default counts, wildcards', (t) => {
  const diags = new Diagnostics();
  const span = { file: 'x', start: 0, end: 1 } as never;
  t.deepEqual(softwareProvider.expand('software:faults', span, diags).map((p) => p.name), ['software:faults:100']);
  t.deepEqual(softwareProvider.expand('s:cpu:5', span, diags).map((p) => p.name), ['software:cpu:5']);
  t.deepEqual(softwareProvider.expand('software:*-faults', span, diags).map((p) => p.name), [
    'software:alignment-faults:1', 'software:emulation-faults:1', 'software:major-faults:1', 'software:minor-faults:100', 'software:page-faults:100',
  ]);
  t.false(diags.hasErrors);
  softwareProvider.expand('software:nope', span, diags);
  t.deepEqual(diags.items.map((d) => d.code), ['unknown-probe']);
});

test('ELF reader: function symbols, file offsets and USDT notes of a gcc-built binary', (t) => {
  const why = whyNoProbeTarget();
  if (why) return void t.pass(`skipped: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-elf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = buildProbeTarget(dir, 'O2');
  const elf = ElfFile.open(target.path);
  t.teardown(() => elf.close());
  const add = elf.findFunction('tsbpf_add');
  t.truthy(add);
  // nm and readelf agree on the address.
  const nm = spawnSync('nm', [target.path], { encoding: 'utf8' }).stdout;
  const line = nm.split('\n').find((l) => l.endsWith(' tsbpf_add'));
  if (line) t.is(add!.addr, BigInt(`0x${line.split(' ')[0]}`));
  t.not(elf.fileOffset(add!.addr), undefined);
  const notes = elf.usdtNotes();
  t.deepEqual(notes.map((n) => `${n.provider}:${n.name}`).sort(), ['tsbpf:loop', 'tsbpf:point', 'tsbpf:str', 'tsbpf_target:guarded']);
  t.true(notes.every((n) => n.semaphore !== 0n));
  t.is(notes.find((n) => n.name === 'point')!.args, '-8@%rax -4@$-7');
});
