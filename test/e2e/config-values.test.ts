/**
 * Config variables that change what a run does (docs/compat.md "Config variables"): cpp_demangle,
 * license, max_probes, max_bpf_progs, max_cat_bytes, log_size; in the config block and as
 * BPFTRACE_* environment variables; and C++ symbols (cpp_demangle, uprobe `cpp:` names).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

const CPP = `
#include <cstdio>
namespace ns { struct K { __attribute__((noinline)) int go(int x) { return x + 1; } }; }
__attribute__((noinline)) int plain(int x, const char *s) { ns::K k; return k.go(x) + (s ? 1 : 0); }
int main() { printf("%d\\n", plain(1, "a")); return 0; }
`;

function whyNoCpp(): string | undefined {
  if (spawnSync('g++', ['--version']).status !== 0) return 'needs g++';
  if (spawnSync('objdump', ['--version']).status !== 0) return 'needs objdump';
  return undefined;
}

/** The return address into `caller` after its call to `callee`, as an offset from caller's start. */
function returnOffset(bin: string, caller: string, callee: string): number {
  const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' }).stdout;
  const fn = new RegExp(`^([0-9a-f]+) <${caller}>:\\n([\\s\\S]*?)\\n\\n`, 'm').exec(dis)!;
  const insns = fn[2]!.split('\n').map((l) => /^\s*([0-9a-f]+):\s+(.*)$/.exec(l)).filter((m) => m !== null);
  const call = insns.findIndex((m) => m[2]!.includes(`<${callee}>`));
  return parseInt(insns[call + 1]![1]!, 16) - parseInt(fn[1]!, 16);
}

kernelTest('cpp_demangle (default on) prints C++ user symbols demangled, as bpftrace; cpp_demangle = false prints them mangled', async (t) => {
  const dir = scratchDir(t);
  writeFileSync(join(dir, 'k.cc'), CPP);
  const bin = join(dir, 'k');
  const cc = spawnSync('g++', ['-O0', '-fno-omit-frame-pointer', '-no-pie', '-o', bin, join(dir, 'k.cc')], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  const off = returnOffset(bin, '_Z5plainiPKc', '_ZN2ns1K2goEi');
  const probe = `uprobe:${bin}:_ZN2ns1K2goEi { print(ustack(2)); print(usym(reg("ip"))); }`;
  const on = await runTsbpf(['-c', bin, '-e', probe]);
  t.is(on.code, 0, describeRun(on));
  t.deepEqual(lines(on.stdout).filter((l) => l !== '3'), ['        ns::K::go(int)+0', `        plain(int, char const*)+${off}`, 'ns::K::go(int)']);
  const off2 = await runTsbpf(['-c', bin, '-e', `config = { cpp_demangle = false } ${probe}`]);
  t.is(off2.code, 0, describeRun(off2));
  t.deepEqual(lines(off2.stdout).filter((l) => l !== '3'), ['        _ZN2ns1K2goEi+0', `        _Z5plainiPKc+${off}`, '_ZN2ns1K2goEi']);
  const env = await runTsbpf(['-c', bin, '-e', probe], { env: { BPFTRACE_CPP_DEMANGLE: '0' } });
  t.deepEqual(lines(env.stdout).filter((l) => l !== '3'), lines(off2.stdout).filter((l) => l !== '3'));
}, { needs: whyNoCpp });

kernelTest('max_probes and max_bpf_progs refuse a script with more probes, with bpftrace\'s messages', async (t) => {
  const probes = await runTsbpf(['-e', 'config = { max_probes = 2 } tracepoint:syscalls:sys_enter_getpid, tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_gettid { }']);
  t.is(probes.code, 1, describeRun(probes));
  t.deepEqual(lines(probes.stderr), [
    "ERROR: Can't attach to 3 probes because it exceeds the current limit of 2 probes.",
    'HINT: You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, but BE CAREFUL since a high number of probes attached can cause your system to crash.',
  ]);
  const progs = await runTsbpf(['-e', 'BEGIN { exit(); } END { }'], { env: { BPFTRACE_MAX_BPF_PROGS: '1' } });
  t.is(progs.code, 1, describeRun(progs));
  t.deepEqual(lines(progs.stderr), [
    'ERROR: Your program is trying to generate more than 2 BPF programs, which exceeds the current limit of 1',
    'HINT: You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.',
  ]);
  const within = await runTsbpf(['-e', 'config = { max_probes = 2 } BEGIN { printf("ok\\n"); exit(); } END { }']);
  t.is(within.code, 0, describeRun(within));
  t.is(lines(within.stdout)[0], 'ok');
});

kernelTest('max_cat_bytes limits what cat() prints of a file', async (t) => {
  const file = join(scratchDir(t), 'ten');
  writeFileSync(file, 'abcdefghij');
  const r = await runTsbpf(['-e', `config = { max_cat_bytes = 4 } BEGIN { cat("${file}"); printf("|\\n"); exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  t.is(lines(r.stdout)[0], 'abcd|');
  const whole = await runTsbpf(['-e', `BEGIN { cat("${file}"); printf("|\\n"); exit(); }`]);
  t.is(lines(whole.stdout)[0], 'abcdefghij|');
});

kernelTest('license: the programs load with a GPL-compatible license bpftrace accepts; others are refused with its message', async (t) => {
  const ok = await runTsbpf(['-e', 'config = { license = "Dual BSD/GPL" } tracepoint:syscalls:sys_enter_getppid { } BEGIN { printf("loaded\\n"); exit(); }']);
  t.is(ok.code, 0, describeRun(ok));
  t.is(lines(ok.stdout)[0], 'loaded');
  const bad = await runTsbpf(['-e', 'config = { license = "MIT" } BEGIN { exit(); }']);
  t.is(bad.code, 1, describeRun(bad));
  t.is(bad.stderr.split('\n')[0], 'stdin:1:22-27: ERROR: Invalid value for license. Found: MIT. Valid values: GPL, GPL v2, GPL and additional rights, Dual BSD/GPL, Dual MIT/GPL, Dual MPL/GPL.');
});

kernelTest('log_size is the verifier log buffer\'s first size: -d verifier still prints a whole log from a small one', async (t) => {
  const r = await runTsbpf(['-d', 'verifier', '-e', 'config = { log_size = 128 } BEGIN { printf("ran\\n"); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /^BPF verifier log for BEGIN:\n-{38}\n/m);
  t.regex(r.stderr, /^processed \d+ insns \(limit 1000000\)/m);
  const bad = await runTsbpf(['-e', 'BEGIN { exit(); }'], { env: { BPFTRACE_LOG_SIZE: 'big' } });
  t.is(bad.code, 1, describeRun(bad));
  t.is(bad.stderr.split('\n')[0], 'ERROR: BPFTRACE_LOG_SIZE needs a positive integer, got "big"');
});

kernelTest('config is a record of the config values (config.max_strlen, print(config)), the environment\'s included', async (t) => {
  const r = await runTsbpf(['-e', 'config = { max_strlen = 64; stack_mode = perf } BEGIN { printf("%d %s %d %d\\n", config.max_strlen, config.stack_mode, config.max_map_keys, config.cpp_demangle); exit(); }'], { env: { BPFTRACE_MAX_MAP_KEYS: '99' } });
  t.is(r.code, 0, describeRun(r));
  t.is(lines(r.stdout)[0], '64 perf 99 1');
  const all = await runTsbpf(['-e', 'BEGIN { print(config); exit(); }']);
  t.is(all.code, 0, describeRun(all));
  t.is(lines(all.stdout)[0], '{ .cpp_demangle = true, .lazy_symbolication = true, .print_maps_on_exit = true, .use_blazesym = false, .show_debug_info = false, .log_size = 1000000, .max_bpf_progs = 1024, .max_cat_bytes = 10240, .max_map_keys = 4096, .max_probes = 1024, .max_strlen = 1024, .on_stack_limit = 32, .perf_rb_pages = 0, .str_trunc_trailer = .., .missing_probes = error, .stack_mode = bpftrace, .license = GPL }');
});

kernelTest('uprobe cpp: names attach by demangled C++ name (globs too, quoted with ::) and list as such', async (t) => {
  const dir = scratchDir(t);
  writeFileSync(join(dir, 'k.cc'), CPP);
  const bin = join(dir, 'k');
  const cc = spawnSync('g++', ['-O0', '-fno-omit-frame-pointer', '-no-pie', '-o', bin, join(dir, 'k.cc')], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  const r = await runTsbpf(['-c', bin, '-e', `uprobe:${bin}:cpp:"ns::K::go" { printf("%s %d\\n", probe, arg1); } uprobe:${bin}:cpp:pl* { printf("%s %d\\n", probe, arg0); }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout).filter((l) => l !== '3'), [`uprobe:${bin}:cpp:plain 1`, `uprobe:${bin}:cpp:ns::K::go 1`]);
  const l = await runTsbpf(['-l', `uprobe:${bin}:cpp:"ns::*"`]);
  t.deepEqual(lines(l.stdout), [`uprobe:${bin}:cpp:ns::K::go`]);
}, { needs: whyNoCpp });
