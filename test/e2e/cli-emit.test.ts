/**
 * bpftrace's developer and troubleshooting flags: --emit-elf, --emit-llvm, --verify-llvm-ir, and
 * the ones tsbpf refuses in one line (--mode, --fmt, --dwarf-pid, --aot).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bpfObjectsOf, describeRun, kernelTest, runTsbpf, scratchDir, startTsbpf } from '../helpers/tsbpf.js';

const EM_BPF = 247;

kernelTest('--emit-elf FILE writes the BPF ELF object (a section per program) and loads nothing', async (t) => {
  const file = join(scratchDir(t), 'prog.o');
  const r = await runTsbpf(['--emit-elf', file, '-e', 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); } BEGIN { printf("not run\\n"); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '');
  t.false(r.stderr.includes('Attached'), describeRun(r));
  const elf = readFileSync(file);
  t.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  t.is(elf.readUInt16LE(18), EM_BPF);
  const text = elf.toString('latin1');
  t.true(text.includes('.text.sys_enter__0') && text.includes('.text.BEGIN_1'), describeRun(r));
  const bad = await runTsbpf(['--emit-elf', join(scratchDir(t), 'no', 'such', 'dir.o'), '-e', 'BEGIN { }']);
  t.is(bad.code, 1, describeRun(bad));
  t.regex(bad.stderr, /^ERROR: cannot write .*dir\.o: ENOENT$/m);
});

kernelTest('--emit-llvm FILE writes FILE.original.ll and FILE.optimized.ll and runs; --verify-llvm-ir is accepted', async (t) => {
  const base = join(scratchDir(t), 'prog');
  const r = await runTsbpf(['--emit-llvm', base, '--verify-llvm-ir', '-e', 'BEGIN { printf("ran\\n"); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], 'ran');
  for (const f of [`${base}.original.ll`, `${base}.optimized.ll`]) {
    t.true(existsSync(f), f);
    const ir = readFileSync(f, 'utf8');
    t.true(ir.startsWith("; ModuleID = 'tsbpf'") && /^define .*@BEGIN_0\(/m.test(ir), f);
  }
});

kernelTest('--mode, --fmt, --dwarf-pid and --aot are refused in one line each', async (t) => {
  const cases: [string[], string][] = [
    [['--mode', 'test'], 'ERROR: --mode is not supported: use --test or --bench (tsbpf has no codegen or format modes)'],
    [['--fmt', 'x.bt'], 'ERROR: --fmt is not supported: tsbpf has no script formatter'],
    [['--dwarf-pid', '1'], 'ERROR: --dwarf-pid is not supported: tsbpf has no DWARF unwinder (dw_ustack)'],
    [['--aot', 'out'], 'ERROR: --aot is not supported: tsbpf compiles ahead of time into its compile cache instead'],
  ];
  for (const [flags, line] of cases) {
    const r = await runTsbpf([...flags, '-e', 'BEGIN { }']);
    t.is(r.code, 1, describeRun(r));
    t.deepEqual(r.stderr.split('\n').filter((l) => l !== ''), [line]);
  }
});

kernelTest('-v prints each program\'s and map\'s kernel id (the objects tsbpf holds); -d verifier prints each whole verifier log', async (t) => {
  const h = startTsbpf(['-v', '-e', 'tracepoint:syscalls:sys_enter_getppid { @n = count(); } interval:s:60 { exit(); }'], { t });
  await h.attached;
  const progIds = [...h.stderr.matchAll(/^Program ID: (\d+)$/gm)].map((m) => Number(m[1]));
  const maps = [...h.stderr.matchAll(/^Map ID: (\d+) \((.*)\)$/gm)].map((m) => ({ id: Number(m[1]), name: m[2]! }));
  const held = bpfObjectsOf(h.pid);
  const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
  t.is(progIds.length, 2, h.stderr);
  t.deepEqual(sorted(progIds), sorted(held.progIds));
  t.deepEqual(sorted(maps.map((m) => m.id)), sorted(held.mapIds));
  t.true(['@n', '.ringbuf'].every((n) => maps.some((m) => m.name === n)), h.stderr);
  t.regex(h.stderr, /^load tracepoint:syscalls:sys_enter_getppid: \d+ instructions: processed \d+ insns .*\nProgram ID: \d+$/m);
  const r = await h.stop();
  t.is(r.code, 0, describeRun(r));

  const d = await runTsbpf(['-d', 'verifier', '-e', 'BEGIN { printf("ran\\n"); exit(); }']);
  t.is(d.code, 0, describeRun(d));
  t.is(d.stdout.split('\n')[0], 'ran');
  t.regex(d.stderr, /^BPF verifier log for BEGIN:\n-{38}\n/m);
  // Every instruction as verified (log level 2), then the statistics.
  t.regex(d.stderr, /^\s+0: .*\(b7\) r\d = 0$/m);
  t.regex(d.stderr, /^processed \d+ insns \(limit 1000000\)/m);
});
