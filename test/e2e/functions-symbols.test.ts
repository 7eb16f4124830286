/**
 * uaddr() (PIE and non-PIE binaries), reg() (also in profile/interval probes), usym of reg("ip"), kaddr, and the default stack mode
 * (`config = { stack_mode = perf }`, BPFTRACE_STACK_MODE), on a small C program built here.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

const SOURCE = `#include <unistd.h>
volatile unsigned int g_u32 = 0xdeadbeef;
volatile unsigned long g_u64 = 123456789012345UL;
volatile unsigned char g_u8 = 200;
char g_str[16] = "hello uaddr";
__attribute__((noinline)) void tick(int i) { g_u32 += i; __asm__ volatile(""); }
int main(void) { for (int i = 0; i < 3; i++) { tick(0); usleep(50000); } return 0; }
`;

const needsGcc = (): string | undefined => (spawnSync('gcc', ['--version']).status === 0 ? undefined : 'needs gcc');

function build(t: ExecutionContext, pie: boolean): string {
  const dir = scratchDir(t);
  const src = join(dir, 'g.c');
  writeFileSync(src, SOURCE);
  const out = join(dir, pie ? 'tsb_pie' : 'tsb_nopie');
  const r = spawnSync('gcc', ['-O1', ...(pie ? ['-fPIE', '-pie'] : ['-no-pie']), '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return out;
}

for (const pie of [true, false]) {
  kernelTest(`uaddr() reads globals of a ${pie ? 'PIE' : 'non-PIE'} binary, typed by the symbol's size`, async (t) => {
    const bin = build(t, pie);
    const prog = `uprobe:${bin}:tick { printf("%x %lu %d %s %d\\n", *uaddr("g_u32"), *uaddr("g_u64"), *uaddr("g_u8"), str(uaddr("g_str")), sizeof(*uaddr("g_u8"))); exit(); }`;
    const r = await runTsbpf(['-e', prog, '-c', bin]);
    t.is(r.code, 0, describeRun(r));
    t.is(r.stdout, 'deadbeef 123456789012345 200 hello uaddr 1\n\n\n');
  }, { needs: needsGcc });
}

kernelTest('uaddr(): errors name the place (unknown symbol, wrong probe type, PIE in a uretprobe)', async (t) => {
  const bin = build(t, true);
  const unknown = await runTsbpf(['-e', `uprobe:${bin}:tick { printf("%d\\n", *uaddr("nope")); }`]);
  t.not(unknown.code, 0);
  t.true(unknown.stderr.includes(`ERROR: Could not resolve symbol: ${bin}:nope`), unknown.stderr);
  const begin = await runTsbpf(['-e', 'BEGIN { printf("%d\\n", *uaddr("g_u32")); }']);
  t.true(begin.stderr.includes('ERROR: uaddr() can only be used in uprobe, uretprobe and usdt probes'), begin.stderr);
  const ret = await runTsbpf(['-e', `uretprobe:${bin}:tick { printf("%d\\n", *uaddr("g_u32")); }`]);
  t.true(ret.stderr.includes('is position independent'), ret.stderr);
}, { needs: needsGcc });

kernelTest('reg("ip") / reg("pc") name the probed function through usym; a bad register is refused', async (t) => {
  const bin = build(t, true);
  const r = await runTsbpf(['-e', `uprobe:${bin}:tick { printf("%s %s %d\\n", usym(reg("ip")), usym(reg("pc")), reg("sp") != 0); exit(); }`, '-c', bin]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout.split('\n')[0], 'tick tick 1');
  const bad = await runTsbpf(['-e', `uprobe:${bin}:tick { printf("%d\\n", reg("xyz")); }`]);
  t.true(bad.stderr.includes(`ERROR: 'xyz' is not a valid register on this architecture`), bad.stderr);
}, { needs: needsGcc });

const SPIN_SOURCE = `__attribute__((noinline)) void spin(void) { for (;;) __asm__ volatile(""); }
int main(void) { spin(); return 0; }
`;

kernelTest('reg() in perf-event probes (profile, interval) reads the sampled registers; other probe types are refused as bpftrace', async (t) => {
  const dir = scratchDir(t);
  writeFileSync(join(dir, 'spin.c'), SPIN_SOURCE);
  const bin = join(dir, 'tsb_spin');
  const cc = spawnSync('gcc', ['-O1', '-o', bin, join(dir, 'spin.c')], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  // The child spins in user space: a sample taken there has its ip inside spin(). Not one of its
  // first samples: those can land in the dynamic loader while the child starts (elapsed: ns since
  // tsbpf started; the child starts once every probe is attached and reaches spin() in a few ms).
  const r = await runTsbpf(['-e', 'profile:hz:997 /pid == cpid && usermode && elapsed > 300000000/ { printf("%s\\n", usym(reg("ip"))); exit(); }', '-c', bin]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'spin\n\n\n', describeRun(r));
  const iv = await runTsbpf(['-e', 'interval:ms:10 { printf("%d\\n", reg("sp") != 0); exit(); }']);
  t.is(iv.stdout, '1\n\n\n', describeRun(iv));
  const tp = await runTsbpf(['-e', 't:syscalls:sys_enter_read { @ = reg("ip"); }']);
  t.is(tp.code, 1);
  t.true(tp.stderr.startsWith('stdin:1:33-42: ERROR: reg can not be used with "tracepoint" probes\n'), tp.stderr);
}, { needs: needsGcc });

kernelTest('stack_mode config and BPFTRACE_STACK_MODE set the default ustack mode (env wins)', async (t) => {
  const bin = build(t, true);
  const prog = `config = { stack_mode = perf } uprobe:${bin}:tick { printf("%s", ustack(1)); exit(); }`;
  const perf = await runTsbpf(['-e', prog, '-c', bin]);
  t.is(perf.code, 0, describeRun(perf));
  // perf mode: tab, hex address, symbol+offset, (module) as bpftrace's ustack_stack_mode_env_perf test.
  t.regex(perf.stdout, new RegExp(`^\\n?\\t[0-9a-f]+ tick\\+0 \\(${bin.replace(/[/.]/g, '\\$&')}\\)\\n`));
  const raw = await runTsbpf(['-e', prog, '-c', bin], { env: { BPFTRACE_STACK_MODE: 'raw' } });
  t.is(raw.code, 0, describeRun(raw));
  t.regex(raw.stdout, /^\n?[0-9a-f]+\n/);
  const bad = await runTsbpf(['-e', 'config = { stack_mode = fancy } BEGIN { exit(); }']);
  t.true(bad.stderr.includes('stack_mode must be one of: bpftrace, perf, raw'), bad.stderr);
}, { needs: needsGcc });

kernelTest('kaddr() of a kernel symbol is its /proc/kallsyms address; an unknown one is an error', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%lx\\n", kaddr("_stext")); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  const line = spawnSync('grep', ['-m1', ' _stext$', '/proc/kallsyms'], { encoding: 'utf8' }).stdout.split(' ')[0];
  t.is(r.stdout.split('\n')[0], BigInt('0x' + line).toString(16));
  const bad = await runTsbpf(['-e', 'BEGIN { printf("%lx\\n", kaddr("no_such_symbol_xyz")); exit(); }']);
  t.not(bad.code, 0);
  t.true(bad.stderr.includes('ERROR: Failed to resolve kernel symbol: no_such_symbol_xyz'), bad.stderr);
});
