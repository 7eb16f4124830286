/**
 * watchpoint:ADDR:LEN:MODE (hardware breakpoints, perf_event_open PERF_TYPE_BREAKPOINT) against our
 * own test program (test/fixtures/watchpoint/watch-target.c): it writes the global tsbpf_watched N
 * times per SIGUSR1, and the tests find that variable's address from the ELF symbol table and
 * /proc/PID/maps, as a user would with nm and the maps file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ElfFile } from '../../src/kernel/elf.js';
import { describeRun, kernelTest, REPO_ROOT, runTsbpf, scratchDir, startTsbpf, uniqueTag, Workload } from '../helpers/tsbpf.js';

const SOURCE = join(REPO_ROOT, 'test', 'fixtures', 'watchpoint', 'watch-target.c');

/** Why watchpoints cannot be tested here, or undefined. */
function whyNoWatchpoints(): string | undefined {
  if (process.arch !== 'x64') return 'the tests use x86-64 watchpoint modes';
  if (!existsSync('/sys/bus/event_source/devices/breakpoint')) return 'this kernel has no breakpoint PMU (/sys/bus/event_source/devices/breakpoint): CONFIG_HAVE_HW_BREAKPOINT is not set';
  if (spawnSync('gcc', ['--version']).status !== 0) return 'needs gcc';
  return undefined;
}

function watchTest(title: string, impl: (t: ExecutionContext) => Promise<void>): void {
  kernelTest(title, impl, { needs: whyNoWatchpoints });
}

interface Target {
  readonly path: string;
  readonly comm: string;
}

function build(t: ExecutionContext, pie: boolean): Target {
  const comm = `wt${uniqueTag(10)}`;
  const path = join(scratchDir(t), comm);
  const r = spawnSync('gcc', ['-O0', ...(pie ? ['-fPIE', '-pie'] : ['-no-pie']), '-o', path, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return { path, comm };
}

/** The run-time address of a global of `path` in process `pid`: its symbol's vaddr moved by the load bias from /proc/PID/maps. */
function globalAddress(pid: number, path: string, symbol: string): bigint {
  const elf = ElfFile.open(path);
  const sym = elf.findObject(symbol);
  if (!sym) throw new Error(`${symbol} not in ${path}`);
  if (elf.type === 2 /* ET_EXEC */) return sym.addr;
  // ET_DYN: the mapping of file offset 0 is where vaddr 0 (the first PT_LOAD) was placed.
  const line = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .find((l) => l.endsWith(path) && l.split(/\s+/)[2] === '00000000');
  if (!line) throw new Error(`${path} is not mapped in ${pid}`);
  return BigInt(`0x${line.split('-')[0]}`) + sym.addr;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

watchTest('watchpoint with -p: every write of the variable, from that process, named as bpftrace names it', async (t) => {
  const target = build(t, true);
  const w = new Workload(t, [target.path, '3']);
  await w.waitForLine('ready');
  const addr = globalAddress(w.pid, target.path, 'tsbpf_watched');
  const h = startTsbpf(['-p', String(w.pid), '-e', `watchpoint:0x${addr.toString(16)}:8:w { printf("%s %s %d\\n", probe, comm, pid); @writes = count(); }`], { t });
  await h.attached;
  w.signal('SIGUSR1');
  await w.waitForLine('wrote 3');
  await h.waitFor(() => lines(h.stdout).length >= 3, 'three hits');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const hit = `watchpoint:/proc/${w.pid}/exe:${addr}:8:w ${target.comm} ${w.pid}`;
  t.deepEqual(lines(r.stdout), [hit, hit, hit, '@writes: 3'], describeRun(r));
  t.true(r.stderr.includes('Attached 1 probe'), describeRun(r));
});

watchTest('watchpoint rw fires on reads too; a second variable next to it is not watched', async (t) => {
  const target = build(t, true);
  const w = new Workload(t, [target.path, '2']);
  await w.waitForLine('ready');
  const addr = globalAddress(w.pid, target.path, 'tsbpf_watched');
  // `wr` is accepted and sorted to `rw`, as bpftrace does; the loop reads and writes the variable per iteration.
  const h = startTsbpf(['-p', String(w.pid), '-e', `w:0x${addr.toString(16)}:8:wr { @[probe] = count(); }`], { t });
  await h.attached;
  w.signal('SIGUSR1');
  await w.waitForLine('wrote 2');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  // Each `x = x + 1` at -O0 is one load and one store: 2 iterations, 4 accesses.
  t.deepEqual(lines(r.stdout), [`@[watchpoint:/proc/${w.pid}/exe:${addr}:8:rw]: 4`], describeRun(r));
});

watchTest('watchpoint without -p watches the address in every task (a non-PIE variable at a fixed address)', async (t) => {
  const target = build(t, false);
  const addr = ElfFile.open(target.path).findObject('tsbpf_watched')!.addr;
  // Started first: exec itself writes the page holding the variable (clearing .bss), from the new comm.
  const w = new Workload(t, [target.path, '5']);
  await w.waitForLine('ready');
  const h = startTsbpf(['-e', `watchpoint:${addr}:8:w /comm == "${target.comm}"/ { @[comm, probe] = count(); }`], { t });
  await h.attached;
  w.signal('SIGUSR1');
  await w.waitForLine('wrote 5');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), [`@[${target.comm}, watchpoint:${addr}:8:w]: 5`], describeRun(r));
});

kernelTest('watchpoint attach points are checked as bpftrace checks them', async (t) => {
  const cases: [string, string][] = [
    ['watchpoint:0x1000:8 {}', 'watchpoint probe type requires 3 arguments, found 2'],
    ['watchpoint:0:8:w {}', 'watchpoint must be attached to a non-zero address'],
    ['watchpoint:0x1000:3:w {}', 'watchpoint length must be one of (1,2,4,8)'],
    ['watchpoint:0x1000:8:q {}', 'watchpoint mode must be combination of (r,w,x)'],
    ['watchpoint:0x1000:8:ww {}', 'watchpoint modes may not be duplicated'],
    ['watchpoint:0x1000:8:r {}', 'invalid watchpoint mode: r'],
    ['watchpoint:zz:8:w {}', 'Invalid function/address argument: invalid integer: zz'],
  ];
  for (const [program, message] of cases) {
    const r = await runTsbpf(['-e', program]);
    t.is(r.code, 1, describeRun(r));
    t.true(r.stderr.includes(`ERROR: ${message}`), `${program}\n${describeRun(r)}`);
  }
  const r = await runTsbpf(['-e', 'watchpoint:0x1000:8:r {}']);
  t.true(r.stderr.includes('HINT: supported modes: rw,w,x'), describeRun(r));
});

watchTest('watchpoint programs verify as PERF_EVENT programs (--verify)', async (t) => {
  const r = await runTsbpf(['--verify', '-e', 'watchpoint:0x10000000:4:w { @[comm] = count(); } watchpoint:0x10000000:1:x { printf("%d\\n", pid); }']);
  t.is(r.code, 0, describeRun(r));
  t.true(r.stderr.includes('Verified 2 programs'), describeRun(r));
});

watchTest('unwatch(addr) detaches the watchpoints on that address', async (t) => {
  const target = build(t, true);
  const w = new Workload(t, [target.path, '3']);
  await w.waitForLine('ready');
  const addr = `0x${globalAddress(w.pid, target.path, 'tsbpf_watched').toString(16)}`;
  const h = startTsbpf(['-p', String(w.pid), '-e', `watchpoint:${addr}:8:w { @n = count(); if (@n == 1) { unwatch(${addr}); printf("unwatched\\n"); } }`], { t });
  await h.attached;
  w.signal('SIGUSR1');
  await w.waitForLine('wrote 3');
  // Events arrive in order: once "unwatched" is printed, the detach has been done.
  await h.waitForStdout(/^unwatched$/m);
  w.signal('SIGUSR1');
  await w.waitForLine('burst 2');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  // The first burst's writes that raced the detach count (1 to 3); the second burst's (3 more) never do.
  t.regex(r.stdout, /^unwatched\n\n\n@n: [123]\n$/, describeRun(r));
});
