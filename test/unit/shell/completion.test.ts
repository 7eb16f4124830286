import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { complete, completePath, type CompletionSource } from '../../../runtime/shell/completion.js';
import { shellTokens } from '../../../src/interactive.js';
import type { ProviderCompletion } from '../../../src/providers/provider.js';

// The kernel's lists, as the real providers' completion reads them (src/providers/*.ts `completion`).
const categories = ['sched', 'syscalls'];
const tracepoints = (c: string): string[] => (c === 'syscalls' ? ['sys_enter_open', 'sys_enter_openat', 'sys_enter_read'] : ['sched_switch']);
const kernelFunctions = ['vfs_read', 'vfs_readv', 'vfs_write'];
const tracepointCompletion: ProviderCompletion = {
  after: (rest) => {
    const colon = rest.indexOf(':');
    if (colon < 0) return categories.map((c) => `${c}:`);
    const category = rest.slice(0, colon);
    return tracepoints(category).map((n) => `${category}:${n}`);
  },
  argFields: (rest) => (rest === 'syscalls:sys_enter_openat' ? ['dfd', 'filename', 'flags', 'mode'] : []),
};
const timerCompletion: ProviderCompletion = { after: (rest) => (rest.includes(':') ? [] : ['s:', 'ms:', 'us:', 'hz:']) };

const fake: CompletionSource = {
  providers: () => [
    { name: 'BEGIN', aliases: [], completion: { bare: true } },
    { name: 'END', aliases: [], completion: { bare: true } },
    { name: 'tracepoint', aliases: ['t'], completion: tracepointCompletion },
    { name: 'kprobe', aliases: ['k'], completion: { after: () => kernelFunctions } },
    { name: 'kretprobe', aliases: ['kr'], completion: { after: () => kernelFunctions } },
    { name: 'interval', aliases: ['i'], completion: timerCompletion },
    { name: 'uprobe', aliases: ['u'] },
  ],
  listProbes: (p) => (p === 'uprobe' ? ['uprobe:/bin/bash:readline', 'uprobe:/bin/bash:main'] : []),
  builtins: () => ['pid', 'tid', 'comm', 'nsecs'],
  functions: () => ['count', 'printf', 'hist'],
  mapNames: () => ['@live', '@lively'],
  probeIds: () => [1, 4],
  tokens: (text) => shellTokens(text),
};

const c = (line: string, pending = ''): [string[], string] => complete(fake, pending, line);

test('probe types, with their aliases', (t) => {
  t.deepEqual(c('tr'), [['tracepoint:'], 'tr']);
  t.deepEqual(c('k'), [['kprobe:', 'k:', 'kretprobe:', 'kr:'], 'k']);
  t.deepEqual(c('BE'), [['BEGIN'], 'BE']);
  t.deepEqual(c(''), [c('')[0], '']);
  t.true(c('')[0].includes('interval:'));
});

test('tracepoint categories and names', (t) => {
  t.deepEqual(c('tracepoint:sy'), [['tracepoint:syscalls:'], 'tracepoint:sy']);
  t.deepEqual(c('t:syscalls:sys_enter_op'), [['t:syscalls:sys_enter_open', 't:syscalls:sys_enter_openat'], 't:syscalls:sys_enter_op']);
});

test('kernel functions, timers and the provider list', (t) => {
  t.deepEqual(c('kprobe:vfs_r'), [['kprobe:vfs_read', 'kprobe:vfs_readv'], 'kprobe:vfs_r']);
  t.deepEqual(c('kr:vfs_w'), [['kr:vfs_write'], 'kr:vfs_w']);
  t.deepEqual(c('i:'), [['i:s:', 'i:ms:', 'i:us:', 'i:hz:'], 'i:']);
  t.deepEqual(c('u:/bin/bash:r'), [['u:/bin/bash:readline'], 'u:/bin/bash:r']);
});

test('a second attach point after a comma', (t) => {
  t.deepEqual(c('t:sched:sched_switch,t:sched:sched_sw'), [['t:sched:sched_switch'], 't:sched:sched_sw']);
});

test('builtins and functions inside a block or a predicate', (t) => {
  t.deepEqual(c('BEGIN { printf("%d", pi'), [['pid'], 'pi']);
  t.deepEqual(c('t:syscalls:sys_enter_read /co'), [['comm', 'continue', 'count'], 'co']);
  t.deepEqual(c('t:syscalls:sys_enter_read < @x = h'), [['hist'], 'h']);
});

test('map names: the session\'s and those typed in this entry', (t) => {
  t.deepEqual(c('BEGIN { @li'), [['@live', '@lively'], '@li']);
  t.deepEqual(c('BEGIN { @mine = 1; @m'), [['@mine'], '@m']);
});

test('args fields of the probe being typed, also across lines and after a closed probe', (t) => {
  t.deepEqual(c('tracepoint:syscalls:sys_enter_openat { @[args.f'), [['args.filename', 'args.flags'], 'args.f']);
  t.deepEqual(c('t:syscalls:sys_enter_openat /args->fl'), [['args->flags'], 'args->fl']);
  t.deepEqual(c('  @[args.fi', 'tracepoint:syscalls:sys_enter_openat {'), [['args.filename'], 'args.fi']);
  t.deepEqual(c('BEGIN { } t:syscalls:sys_enter_openat < $x = args.m'), [['args.mode'], 'args.m']);
  t.deepEqual(c('t:syscalls:sys_enter_read { args.f'), [[], 'args.f']);
});

test('after a complete probe the cursor is at a new probe', (t) => {
  t.deepEqual(c('BEGIN { @x = 1; } tr'), [['tracepoint:'], 'tr']);
});

test('dot commands and their arguments', (t) => {
  t.deepEqual(c('.wa'), [['.watch'], '.wa']);
  t.deepEqual(c('.e'), [['.exit', '.export'], '.e']);
  t.deepEqual(c('.watch @'), [['@live', '@lively'], '@']);
  t.deepEqual(c('.clear @livel'), [['@lively'], '@livel']);
  t.deepEqual(c('.detach '), [['all', '1', '4'], '']);
  t.deepEqual(c('.list t:sys'), [['t:syscalls:'], 't:sys']);
  // Inside a multi-line entry a leading dot is not a command.
  t.deepEqual(c('.', 'BEGIN {')[0], []);
});

test('file names for .load and .save', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-compl-'));
  writeFileSync(join(dir, 'one.tbpf'), '');
  writeFileSync(join(dir, 'other.txt'), '');
  mkdirSync(join(dir, 'sub'));
  t.deepEqual(completePath(`${dir}/o`), [`${dir}/one.tbpf`, `${dir}/other.txt`]);
  t.deepEqual(completePath(`${dir}/s`), [`${dir}/sub/`]);
  t.deepEqual(c(`.load ${dir}/on`), [[`${dir}/one.tbpf`], `${dir}/on`]);
});
