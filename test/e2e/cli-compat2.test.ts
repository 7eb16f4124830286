/**
 * More of bpftrace's newest probe forms and environment (docs/compat.md): named probes,
 * BPFTRACE_BTF, run for real.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildProbeTarget, PROBE_TARGET_SOURCE, whyNoProbeTarget } from '../helpers/probe-target.js';
import { describeRun, kernelTest, NOTIFY_VAR, runTsbpf, scratchDir, startTsbpf } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const errLines = (s: string): string[] => lines(s).filter((l) => l !== NOTIFY_VAR);

kernelTest('named probes: NAME=provider:... is what the probe builtin says, for every probe the attach point expands to', async (t) => {
  const target = buildProbeTarget(scratchDir(t), 'O2');
  const p = target.path;
  // As bpftrace, the name belongs to one attach point, not to its block.
  const r = await runTsbpf(['-c', `${p} 1`, '-e',
    `first=BEGIN { printf("%s\\n", probe); }
     all=uprobe:${p}:tsbpf_* { printf("%s %s\\n", probe, __builtin_probe); }
     uprobe:${p}:tsbpf_add, other=uprobe:${p}:tsbpf_mul { printf("2 %s\\n", probe); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('done')), [
    'first', 'all all', `2 uprobe:${p}:tsbpf_add`, 'all all', '2 other', 'all all',
  ]);
}, { needs: whyNoProbeTarget });

/** A raw BTF file holding `struct tsbpf_btf_probe` (gcc -gbtf, then the .BTF section alone), or why not. */
function buildBtfFile(dir: string): string {
  const src = join(dir, 'types.c');
  writeFileSync(src, 'struct tsbpf_btf_probe { int a; long b; char c[3]; };\nstruct tsbpf_btf_probe v;\n');
  const obj = join(dir, 'types.o');
  const btf = join(dir, 'types.btf');
  const cc = spawnSync('gcc', ['-gbtf', '-c', src, '-o', obj], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc -gbtf failed: ${cc.stderr}`);
  const oc = spawnSync('objcopy', [`--dump-section=.BTF=${btf}`, obj], { encoding: 'utf8' });
  if (oc.status !== 0) throw new Error(`objcopy failed: ${oc.stderr}`);
  return btf;
}

function whyNoGccBtf(): string | undefined {
  const r = spawnSync('gcc', ['-gbtf', '-x', 'c', '-c', '-o', '/dev/null', '-'], { input: 'int x;\n' });
  return r.status === 0 ? undefined : 'gcc cannot write BTF (-gbtf)';
}

kernelTest('BPFTRACE_BTF: the kernel types come from that BTF file; one that cannot be read is bpftrace\'s warning', async (t) => {
  const btf = buildBtfFile(scratchDir(t));
  const script = 'BEGIN { printf("%d %d\\n", sizeof(struct tsbpf_btf_probe), offsetof(struct tsbpf_btf_probe, c)); exit(); }';
  const r = await runTsbpf(['-e', script], { env: { BPFTRACE_BTF: btf } });
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['24 16']);
  // The kernel's own BTF does not know the type.
  const plain = await runTsbpf(['-e', script]);
  t.is(plain.code, 1, describeRun(plain));
  t.regex(plain.stderr, /ERROR: unknown type: struct tsbpf_btf_probe/);
  // -lv prints the file's definition.
  const list = await runTsbpf(['-lv', 'struct tsbpf_btf_probe'], { env: { BPFTRACE_BTF: btf } });
  t.is(list.code, 0, describeRun(list));
  t.deepEqual(lines(list.stdout), ['vmlinux: struct tsbpf_btf_probe {', '        int a;', '        long int b;', '        char c[3];', '};']);
  const bad = await runTsbpf(['-e', 'BEGIN { printf("%d\\n", sizeof(struct task_struct) > 0); exit(); }'], { env: { BPFTRACE_BTF: '/nonexistent.btf' } });
  t.is(bad.code, 1, describeRun(bad));
  t.is(errLines(bad.stderr)[0], 'WARNING: BTF: failed to parse BTF from /nonexistent.btf');
  t.regex(bad.stderr, /ERROR: unknown type: struct task_struct/);
}, { needs: whyNoGccBtf });

// ------------------------------------------------------------------ uprobe_multi

/** The kernel's link type of the link running program `progId` (bpftool; 12 is BPF_LINK_TYPE_UPROBE_MULTI). */
function linkTypeOfProgram(progId: number): unknown {
  const r = spawnSync('bpftool', ['link', 'show', '-j'], { encoding: 'utf8' });
  const links = JSON.parse(r.stdout) as { prog_id: number; type: unknown }[];
  return links.find((l) => l.prog_id === progId)?.type;
}

const programIds = (stderr: string): number[] => [...stderr.matchAll(/^Program ID: (\d+)$/gm)].map((m) => Number(m[1]));

kernelTest('wildcarded uprobes: one program behind one uprobe_multi link per attach point; Attached counts every match (bpftrace)', async (t) => {
  const p = buildProbeTarget(scratchDir(t), 'O2').path;
  const script = `uprobe:${p}:tsbpf_* { @calls = count(); } uretprobe:${p}:tsbpf_*l* { @ret = sum(retval); }`;
  const r = await runTsbpf(['-v', '-c', `${p} 2`, '-e', script]);
  t.is(r.code, 0, describeRun(r));
  // tsbpf_add, tsbpf_greet, tsbpf_mul; tsbpf_mul returns i * 2 * 3 for i = 0, 1.
  t.deepEqual(lines(r.stdout).filter((l) => l.startsWith('@')), ['@calls: 6', '@ret: 6']);
  t.deepEqual(lines(r.stderr).filter((l) => l.startsWith('load ')).map((l) => l.slice(0, l.indexOf(': '))), [
    `load uprobe:${p}:tsbpf_*`, `load uretprobe:${p}:tsbpf_*l*`,
  ]);
  t.true(lines(r.stderr).includes('Attached 4 probes'), describeRun(r));

  // The link while it runs.
  const running = startTsbpf(['-v', '-e', `uprobe:${p}:tsbpf_* { @calls = count(); }`]);
  await running.attached;
  const [progId] = programIds(running.stderr);
  t.true(progId !== undefined, running.stderr);
  t.true([12, 'uprobe_multi'].includes(linkTypeOfProgram(progId!) as number), `link type ${String(linkTypeOfProgram(progId!))}`);
  const stopped = await running.stop();
  t.is(stopped.code, 0, describeRun(stopped));
  t.true(lines(stopped.stderr).includes('Attached 3 probes'), describeRun(stopped));
}, { needs: whyNoProbeTarget });

kernelTest('--no-feature uprobe_multi: a program and a perf event per match, the same output and count', async (t) => {
  const p = buildProbeTarget(scratchDir(t), 'O2').path;
  const r = await runTsbpf(['-v', '--no-feature', 'uprobe_multi', '-c', `${p} 2`, '-e', `uprobe:${p}:tsbpf_* { @calls = count(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => l.startsWith('@')), ['@calls: 6']);
  t.deepEqual(lines(r.stderr).filter((l) => l.startsWith('load ')).map((l) => l.slice(0, l.indexOf(': '))), [
    `load uprobe:${p}:tsbpf_add`, `load uprobe:${p}:tsbpf_greet`, `load uprobe:${p}:tsbpf_mul`,
  ]);
  t.true(lines(r.stderr).includes('Attached 3 probes'), describeRun(r));
}, { needs: whyNoProbeTarget });

kernelTest('wildcarded uprobes whose block reads probe or func keep one program per match (each says its own name)', async (t) => {
  const p = buildProbeTarget(scratchDir(t), 'O2').path;
  const r = await runTsbpf(['-v', '-c', `${p} 1`, '-e', `uprobe:${p}:tsbpf_* { printf("%s\\n", func); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => l.startsWith('tsbpf_')), ['tsbpf_add', 'tsbpf_mul', 'tsbpf_greet']);
  t.is(lines(r.stderr).filter((l) => l.startsWith('load ')).length, 3, describeRun(r));
}, { needs: whyNoProbeTarget });

kernelTest('BPFTRACE_VMLINUX, BPFTRACE_KERNEL_SOURCE and BPFTRACE_KERNEL_BUILD are accepted; -v says they are not used', async (t) => {
  const env = { BPFTRACE_VMLINUX: '/boot/vmlinux', BPFTRACE_KERNEL_SOURCE: '/usr/src/linux', BPFTRACE_KERNEL_BUILD: '/usr/src/linux' };
  const r = await runTsbpf(['-v', '-e', 'BEGIN { printf("ok\\n"); exit(); }'], { env });
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['ok']);
  t.deepEqual(errLines(r.stderr).slice(0, 3), [
    'BPFTRACE_VMLINUX is not used: tsbpf reads no vmlinux image (kernel symbols come from /proc/kallsyms, types from BTF)',
    'BPFTRACE_KERNEL_SOURCE is not used: tsbpf includes no kernel headers (types come from BTF)',
    'BPFTRACE_KERNEL_BUILD is not used: tsbpf includes no kernel headers (types come from BTF)',
  ]);
  const quiet = await runTsbpf(['-e', 'BEGIN { printf("ok\\n"); exit(); }'], { env });
  t.deepEqual(errLines(quiet.stderr), ['Attached 1 probe']);
});

// ------------------------------------------------------------------ functions refused in one line

kernelTest('dw_ustack and skboutput are refused in one line each, saying why and what to use', async (t) => {
  const refused = async (script: string): Promise<string[]> => {
    const r = await runTsbpf(['-e', script]);
    t.is(r.code, 1, describeRun(r));
    return errLines(r.stderr).filter((l) => l.includes('ERROR'));
  };
  const dw = 'dw_ustack is not implemented in tsbpf (no DWARF .eh_frame unwinder): use ustack, which follows frame pointers (build the program with -fno-omit-frame-pointer)';
  t.deepEqual(await refused('BEGIN { print(dw_ustack); exit(); }'), [`stdin:1:15-24: ERROR: ${dw}`]);
  t.deepEqual(await refused('BEGIN { @[dw_ustack(perf, 3)] = count(); exit(); }'), [`stdin:1:11-29: ERROR: ${dw}`]);
  t.deepEqual(await refused('BEGIN { skboutput("/tmp/x.pcap", 0, 10, 0); exit(); }'), [
    'stdin:1:9-43: ERROR: skboutput() needs an sk_buff the kernel typed (fentry/fexit probes), not available in BEGIN probes',
  ]);
  t.deepEqual(await refused('fentry:ip_output { skboutput("/tmp/x.pcap", args.skb, 100, 0); }'), [
    'stdin:1:20-62: ERROR: skboutput() is not implemented in tsbpf: bpf_skb_output sends packets through a perf event array, which tsbpf does not read (it uses one ring buffer)',
  ]);
});

// ------------------------------------------------------------------ uprobe source locations (DWARF line tables)

/** The probe target built with -g at `opt`, and the line of `sink += tsbpf_mul(...)` in its source. */
function buildWithLines(dir: string, opt: 'O0' | 'O2'): { path: string; line: number } {
  const path = join(dir, `lines${opt}`);
  const cc = spawnSync('gcc', ['-g', `-${opt}`, '-o', path, PROBE_TARGET_SOURCE], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
  const line = readFileSync(PROBE_TARGET_SOURCE, 'utf8').split('\n').findIndex((l) => l.includes('sink += tsbpf_mul(')) + 1;
  return { path, line };
}

/** The addresses llvm-dwarfdump's line table lists for `line` (column, address), to check ours against. */
function dwarfdumpRows(path: string, line: number): { address: number; column: number }[] {
  const r = spawnSync('llvm-dwarfdump', ['--debug-line', path], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^0x[0-9a-f]{16}$/.test(f[0]!) && Number(f[1]) === line)
    .map((f) => ({ address: Number(f[0]), column: Number(f[2]) }));
}

kernelTest('uprobe:BIN@FILE:LINE[:COL] attaches where the line starts (DWARF line table), as bpftrace\'s source locations', async (t) => {
  const dir = scratchDir(t);
  for (const opt of ['O0', 'O2'] as const) {
    const { path, line } = buildWithLines(dir, opt);
    const rows = dwarfdumpRows(path, line);
    t.true(rows.length > 0, `llvm-dwarfdump lists line ${line}`);
    const lowest = Math.min(...rows.map((r) => r.address));
    const r = await runTsbpf(['-c', `${path} 3`, '-e', `uprobe:${path}@probe-target.c:${line} { printf("%s %s\\n", probe, func); @hits = count(); }`]);
    t.is(r.code, 0, describeRun(r));
    const probe = `uprobe:${path}:0x${lowest.toString(16)}`;
    t.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('done')), [`${probe} main`, `${probe} main`, `${probe} main`, '@hits: 3'], opt);
    // A column picks that column's lowest address; a directory prefix of the file matches too.
    const col = rows[rows.length - 1]!.column;
    const atCol = Math.min(...rows.filter((x) => x.column === col).map((x) => x.address));
    const c = await runTsbpf(['-c', `${path} 1`, '-e', `uprobe:${path}@user-probes/probe-target.c:${line}:${col} { printf("%s\\n", probe); }`]);
    t.is(c.code, 0, describeRun(c));
    t.deepEqual(lines(c.stdout).filter((l) => !l.startsWith('done')), [`uprobe:${path}:0x${atCol.toString(16)}`], opt);
  }
}, { needs: () => whyNoProbeTarget() ?? (spawnSync('llvm-dwarfdump', ['--version']).status === 0 ? undefined : 'needs llvm-dwarfdump') });

kernelTest('uprobe source locations: bpftrace\'s errors for no such file, line or debug info, wildcards and uretprobes', async (t) => {
  const dir = scratchDir(t);
  const { path } = buildWithLines(dir, 'O0');
  const plain = buildProbeTarget(dir, 'O0').path;
  const error = async (ap: string): Promise<string | undefined> => {
    const r = await runTsbpf(['-e', `${ap} { }`]);
    t.is(r.code, 1, describeRun(r));
    return errLines(r.stderr).find((l) => l.includes('ERROR'))?.replace(/^stdin:\S+ /, '');
  };
  t.is(await error(`uprobe:${path}@nosuch.c:3`), 'ERROR: No compilation unit matches nosuch.c');
  t.is(await error(`uprobe:${path}@probe-target.c:1`), "ERROR: Unable to map 'probe-target.c:1' to address");
  t.is(await error(`uprobe:${path}@probe-target.c:1:4`), "ERROR: Unable to map 'probe-target.c:1:4' to address");
  t.is(await error(`uprobe:${plain}@probe-target.c:10`), `ERROR: No DWARF debug info found for '${plain}', cannot attach by source code location.`);
  t.is(await error(`uprobe:${dir}/line*@probe-target.c:10`), 'ERROR: Cannot use wildcards with source code location');
  t.is(await error(`uretprobe:${path}@probe-target.c:10`), 'ERROR: Source code location not allowed');
  t.is(await error(`uprobe:${path}@probe-target.c:x`), 'ERROR: Invalid line number: x');
}, { needs: whyNoProbeTarget });

// ------------------------------------------------------------------ --test / --bench with -f json

kernelTest('--test and --bench with -f json: one test_result / benchmark_result record each, as bpftrace\'s JSON output', async (t) => {
  const tests = await runTsbpf(['-f', 'json', '--test', '-e', 'BEGIN { printf("begin\\n"); } test:ok { printf("x\\n"); } test:bad { printf("y %d\\n", 2); exit(1); }']);
  t.is(tests.code, 1, describeRun(tests));
  const records = lines(tests.stdout).map((l) => JSON.parse(l) as { type: string; data: Record<string, { duration: number }> | string });
  t.deepEqual(records.map((r) => r.type), ['printf', 'test_result', 'test_result']);
  for (const r of records.slice(1)) {
    const [entry] = Object.values(r.data as Record<string, { duration: number }>);
    t.true(Number.isInteger(entry!.duration) && entry!.duration > 0, JSON.stringify(r));
  }
  t.deepEqual(lines(tests.stdout.replace(/"duration": \d+/g, '"duration": N')), [
    '{"type": "printf", "data": "begin\\n"}',
    '{"type": "test_result", "data": {"ok": {"duration": N, "passed": true, "output": "x\\n"}}}',
    '{"type": "test_result", "data": {"bad": {"duration": N, "passed": false, "output": "y 2\\n"}}}',
  ]);
  const bench = await runTsbpf(['-f', 'json', '--bench', '-e', 'bench:one { $x = 1; } bench:"two words" { $y = 2; }']);
  t.is(bench.code, 0, describeRun(bench));
  t.deepEqual(lines(bench.stdout.replace(/"average": \d+, "iters": \d+/g, '"average": A, "iters": I')), [
    '{"type": "benchmark_result", "data": {"one": {"average": A, "iters": I}}}',
    '{"type": "benchmark_result", "data": {"two words": {"average": A, "iters": I}}}',
  ]);
});

// ------------------------------------------------------------------ the shell keeps program order on uprobes

kernelTest('the shell: a uprobe entered later on the same point runs after the earlier ones (program order), multi links too', async (t) => {
  const p = buildProbeTarget(scratchDir(t), 'O2').path;
  const sh = await StreamShell.start(t);
  t.regex((await sh.run(`uprobe:${p}:tsbpf_add { printf("first %d\\n", arg0); }`)).out, /\[1\] attached/);
  t.regex((await sh.run(`uprobe:${p}:tsbpf_a* { printf("second %d\\n", arg0); }`)).out, /\[2\] attached/);
  t.regex((await sh.run(`uprobe:${p}:tsbpf_add { printf("third %d\\n", arg0); }`)).out, /\[3\] attached/);
  const r = spawnSync(p, ['2'], { encoding: 'utf8' });
  t.is(r.status, 0);
  await sh.waitFor(() => sh.out.includes('third 1'));
  // The first line of output follows the prompt.
  t.deepEqual(sh.out.split('\n').map((l) => l.replace(/^(tsbpf> )+/, '')).filter((l) => /^(first|second|third) \d$/.test(l)), [
    'first 0', 'second 0', 'third 0', 'first 1', 'second 1', 'third 1',
  ]);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
}, { needs: whyNoProbeTarget, serial: true });
