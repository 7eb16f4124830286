/**
 * config `show_debug_info` / BPFTRACE_SHOW_DEBUG_INFO (docs/compat.md "Config variables"): ustack
 * frames of a binary built with -g carry `@file:line`, and calls inlined at a frame's address
 * their own `[inlined] name@file:line` frames, innermost first, as bpftrace built with blazesym
 * prints them. The expected frames come from binutils' `addr2line -f -i` for the same addresses
 * (the raw stack of the same event) and the function symbols from `nm`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

// probe_me's caller is inner, inlined into outer, inlined into work: the return address into work
// lies in code of both inlined calls (each calls sink after the call, so it is theirs).
const SOURCE = `__attribute__((noinline)) void sink(int *p) { asm volatile("" : : "r"(p) : "memory"); }
__attribute__((noinline)) int probe_me(int x) { int v = x; sink(&v); return v + 1; }
static inline __attribute__((always_inline)) int inner(int x) {
  int r = probe_me(x);
  sink(&r);
  return r * 2;
}
static inline __attribute__((always_inline)) int outer(int x) {
  int r = inner(x + 1);
  sink(&r);
  return r + 3;
}
__attribute__((noinline)) int work(int x) {
  return outer(x) - 1;
}
int main(int argc, char **argv) { (void)argv; return work(argc) == 1000; }
`;

function whyNoTools(): string | undefined {
  for (const tool of ['gcc', 'addr2line', 'nm']) if (spawnSync(tool, ['--version']).status !== 0) return `needs ${tool}`;
  return undefined;
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** `name+offset` of a code address of a non-PIE binary, from its function symbols (`nm`). */
function symbolOf(bin: string, addr: bigint): string {
  let best: { addr: bigint; name: string } | undefined;
  for (const l of lines(spawnSync('nm', [bin], { encoding: 'utf8' }).stdout)) {
    const m = /^([0-9a-f]+) [tT] (\S+)$/.exec(l);
    if (!m) continue;
    const a = BigInt('0x' + m[1]);
    if (a <= addr && (!best || a > best.addr)) best = { addr: a, name: m[2]! };
  }
  return `${best!.name}+${addr - best!.addr}`;
}

/** addr2line's frames of an address, innermost first: name and `file:line`. */
function addr2line(bin: string, addr: bigint): { name: string; where: string }[] {
  const out = lines(spawnSync('addr2line', ['-f', '-i', '-e', bin, '0x' + addr.toString(16)], { encoding: 'utf8' }).stdout);
  const frames: { name: string; where: string }[] = [];
  for (let i = 0; i + 1 < out.length; i += 2) frames.push({ name: out[i]!, where: out[i + 1]!.replace(/ \(discriminator \d+\)$/, '') });
  return frames;
}

/** The frames bpftrace (blazesym) prints for the addresses, per addr2line: inlined calls, then the function with its line. */
function expectedFrames(bin: string, addrs: readonly bigint[]): string[] {
  return addrs.flatMap((a) => {
    const frames = addr2line(bin, a);
    const inlined = frames.slice(0, -1).map((f) => `[inlined] ${f.name}@${f.where}`);
    return [...inlined, `${symbolOf(bin, a)}@${frames[frames.length - 1]!.where}`];
  });
}

const probe = (bin: string): string => `uprobe:${bin}:probe_me { printf("raw%s", ustack(raw, 3)); printf("sym%s", ustack(3)); printf("perf%s", ustack(perf, 3)); }`;

/** A run's raw addresses, its frames (indentation dropped) and its perf-mode lines. */
function parse(stdout: string): { addrs: bigint[]; frames: string[]; perf: string[] } {
  const [, raw = '', sym = '', perf = ''] = /^raw([\s\S]*)sym([\s\S]*)perf([\s\S]*)$/.exec(stdout) ?? [];
  return { addrs: lines(raw).map((l) => BigInt('0x' + l)), frames: lines(sym).map((l) => l.trim()), perf: lines(perf).filter((l) => l.startsWith('\t')) };
}

kernelTest('show_debug_info: ustack frames carry @file:line and [inlined] frames, as addr2line -f -i finds them (gcc -g at -O0 and -O2, DWARF 5 and 4)', async (t) => {
  const dir = scratchDir(t);
  const src = join(dir, 'inl.c');
  writeFileSync(src, SOURCE);
  for (const flags of [['-O0', '-g'], ['-O2', '-g'], ['-O2', '-gdwarf-4']]) {
    const bin = join(dir, `inl${flags.join('')}`);
    const cc = spawnSync('gcc', [...flags, '-fno-omit-frame-pointer', '-no-pie', '-o', bin, src], { encoding: 'utf8' });
    t.is(cc.status, 0, cc.stderr);
    const r = await runTsbpf(['-c', bin, '-e', `config = { show_debug_info = 1 } ${probe(bin)}`]);
    t.is(r.code, 0, describeRun(r));
    const { addrs, frames, perf } = parse(r.stdout);
    t.is(addrs.length, 3, r.stdout);
    const expected = expectedFrames(bin, addrs);
    t.deepEqual(frames, expected, flags.join(' '));
    // What the program is: both inlined calls show at work's frame, each at its call site.
    t.deepEqual(frames.map((f) => f.replace(/^\[inlined\] /, '').replace(/[+@].*$/, '')), ['probe_me', 'inner', 'outer', 'work', 'main'], flags.join(' '));
    t.regex(frames[1]!, /^\[inlined\] inner@\/.*\/inl\.c:\d+$/);
    // perf mode: the inlined calls as `name (inlined)` at the address, no lines.
    const hex = addrs.map((a) => a.toString(16));
    t.deepEqual(perf, [
      `\t${hex[0]} ${symbolOf(bin, addrs[0]!)} (${bin})`,
      `\t${hex[1]} inner (inlined)`,
      `\t${hex[1]} outer (inlined)`,
      `\t${hex[1]} ${symbolOf(bin, addrs[1]!)} (${bin})`,
      `\t${hex[2]} ${symbolOf(bin, addrs[2]!)} (${bin})`,
    ], flags.join(' '));
  }
}, { needs: whyNoTools });

/** The address of `name+offset` in a binary, from its function symbols (`nm`). */
function addressOf(bin: string, symbol: string): bigint {
  const [, name, offset] = /^(.*)\+(\d+)$/.exec(symbol)!;
  const l = lines(spawnSync('nm', [bin], { encoding: 'utf8' }).stdout).find((x) => x.endsWith(` ${name}`) && /^[0-9a-f]+ [tT] /.test(x))!;
  return BigInt('0x' + l.split(' ')[0]) + BigInt(offset!);
}

kernelTest('show_debug_info in a PIE executable: a frame\'s line is looked up at its address in the binary (the load bias taken off)', async (t) => {
  const dir = scratchDir(t);
  const src = join(dir, 'pie.c');
  // The process lives on a second, so its mappings are there when the stack is symbolized.
  writeFileSync(src, SOURCE.replace('int main(int argc, char **argv) { (void)argv; return work(argc) == 1000; }', '#include <unistd.h>\nint main(int argc, char **argv) { (void)argv; int r = work(argc); sleep(1); return r == 1000; }'));
  const bin = join(dir, 'pie');
  const cc = spawnSync('gcc', ['-O2', '-g', '-fno-omit-frame-pointer', '-pie', '-fPIE', '-o', bin, src], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  const r = await runTsbpf(['-c', bin, '-e', `config = { show_debug_info = 1 } ${probe(bin)}`]);
  t.is(r.code, 0, describeRun(r));
  const { addrs, frames } = parse(r.stdout);
  t.is(addrs.length, 3, r.stdout);
  t.true(addrs.every((a) => a > 0x10000000n), 'loaded at a bias');
  // Each address's function frame names it as name+offset: that is its address in the file.
  const functionFrames = frames.filter((f) => !f.startsWith('[inlined]'));
  t.is(functionFrames.length, 3, frames.join('\n'));
  const fileAddrs = functionFrames.map((f) => addressOf(bin, f.replace(/@.*$/, '')));
  const expected = fileAddrs.flatMap((a, i) => {
    const fs = addr2line(bin, a);
    return [...fs.slice(0, -1).map((f) => `[inlined] ${f.name}@${f.where}`), `${functionFrames[i]!.replace(/@.*$/, '')}@${fs[fs.length - 1]!.where}`];
  });
  t.deepEqual(frames, expected);
  t.deepEqual(frames.map((f) => f.replace(/^\[inlined\] /, '').replace(/[+@].*$/, '')), ['probe_me', 'inner', 'outer', 'work', 'main']);
}, { needs: whyNoTools });

kernelTest('show_debug_info is off by default (as in bpftrace without blazesym); BPFTRACE_SHOW_DEBUG_INFO=1 turns it on; a binary without -g prints as without it', async (t) => {
  const dir = scratchDir(t);
  const src = join(dir, 'inl.c');
  writeFileSync(src, SOURCE);
  const bin = join(dir, 'inl');
  const cc = spawnSync('gcc', ['-O2', '-g', '-fno-omit-frame-pointer', '-no-pie', '-o', bin, src], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);

  const off = await runTsbpf(['-c', bin, '-e', `${probe(bin)} END { printf("config.show_debug_info=%d\\n", config.show_debug_info); }`]);
  t.is(off.code, 0, describeRun(off));
  t.is(lines(off.stdout).pop(), 'config.show_debug_info=0');
  const plain = parse(off.stdout);
  t.deepEqual(plain.frames, plain.addrs.map((a) => symbolOf(bin, a)));

  const env = await runTsbpf(['-c', bin, '-e', `${probe(bin)} END { printf("config.show_debug_info=%d\\n", config.show_debug_info); }`], { env: { BPFTRACE_SHOW_DEBUG_INFO: '1' } });
  t.is(env.code, 0, describeRun(env));
  t.is(lines(env.stdout).pop(), 'config.show_debug_info=1');
  const on = parse(env.stdout);
  t.deepEqual(on.frames, expectedFrames(bin, on.addrs));

  const bad = await runTsbpf(['-e', 'config = { show_debug_info = 2 } BEGIN { exit(); }']);
  t.is(bad.code, 1, describeRun(bad));
  t.regex(bad.stderr, /show_debug_info: Invalid bool value: valid values are true, false, 1 or 0\./);

  const stripped = join(dir, 'inl-nodebug');
  t.is(spawnSync('gcc', ['-O2', '-fno-omit-frame-pointer', '-no-pie', '-o', stripped, src]).status, 0);
  const nodebug = await runTsbpf(['-c', stripped, '-e', `config = { show_debug_info = true } ${probe(stripped)}`]);
  t.is(nodebug.code, 0, describeRun(nodebug));
  const nd = parse(nodebug.stdout);
  t.deepEqual(nd.frames, nd.addrs.map((a) => symbolOf(stripped, a)));
}, { needs: whyNoTools });
