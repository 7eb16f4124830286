/**
 * String operations on bpftrace's default 1024-byte strings as bounded loops (src/codegen/module.ts
 * strContains, stringsEqualLoop): strcontains and ==/!= between two non-literal strings used to be
 * unrolled per byte (thousands of instructions, seconds to compile). These run them on real paths
 * of about 1 KiB and check the loops keep the semantics: stop at the first NUL, bpftrace's rules for
 * an empty needle, strings cut at max_strlen.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { compileScript } from '../../src/compile.js';
import { describeRun, exec, kernelTest, scratchDir, startTsbpf, uniqueBinary } from '../helpers/tsbpf.js';

const PATTERN = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A directory under `dir` whose path is `length` bytes long, made of 190-byte names with varied characters. */
function longDir(dir: string, length: number): string {
  let path = dir;
  for (let k = 0; path.length < length; k++) {
    const room = length - path.length - 1;
    // Never leave less than 2 bytes for the last name.
    const n = room <= 190 ? room : Math.min(190, room - 2);
    const rot = (k * 7) % PATTERN.length;
    const name = `s${k}-${(PATTERN.slice(rot) + PATTERN.repeat(6)).slice(0, Math.max(0, n - 3))}`.slice(0, n);
    path = join(path, name);
  }
  mkdirSync(path, { recursive: true });
  return path;
}

/** Run `script` (comm of the workload as $1), run the workload, stop, return stdout. */
async function trace(t: ExecutionContext, script: string, comm: string, run: () => Promise<void>): Promise<string> {
  const h = startTsbpf(['--no-cache', '-e', script, comm], { t });
  await h.attached;
  await run();
  const out = await h.stop('SIGINT');
  t.is(out.code, 0, describeRun(out));
  return out.stdout;
}

/** The non-empty lines of the output (maps printed at exit end it with blank lines). */
function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '');
}

async function cat(path: string, files: readonly string[]): Promise<void> {
  const r = await exec([path, ...files]);
  if (r.code !== 0) throw new Error(`cat failed: ${r.stderr}`);
}

kernelTest('strcontains on a 1015-byte path: hits and misses at the start, middle and end', async (t) => {
  const dir = scratchDir(t);
  const bin = uniqueBinary(dir, '/bin/cat');
  const file = join(longDir(dir, 990), `f${'x'.repeat(1015 - 990 - 2)}`);
  t.is(file.length, 1015);
  writeFileSync(file, 'tsbpf\n');
  const mark = basename(dir);
  const needles = [
    file.slice(0, 12), file.slice(0, 11) + '#', // start
    file.slice(500, 516), file.slice(500, 515) + '#', // middle
    file.slice(-12), file.slice(-11) + '#', // end
    file.slice(-6) + 'q', // goes on past the NUL
    file, file + 'x', // the whole path, one byte more
    '', // empty needle: found
  ];
  const calls = needles.map((n) => `strcontains($p, "${n}")`);
  // str(ptr, 100) keeps 99 characters: a needle beyond them is not found, its last 10 are.
  const s1 = file.indexOf('/s1-');
  t.true(s1 > 100);
  calls.push(`strcontains(str(args.filename, 100), "${file.slice(s1, s1 + 10)}")`, `strcontains(str(args.filename, 100), "${file.slice(89, 99)}")`);
  const script = `tracepoint:syscalls:sys_enter_openat /comm == str($1)/ { $p = str(args.filename); if (strcontains($p, "${mark}")) { printf("${calls.map(() => '%d').join(' ')}\\n", ${calls.join(', ')}); } }`;
  const out = await trace(t, script, bin.comm, () => cat(bin.path, [file]));
  t.deepEqual(lines(out), ['1 0 1 0 1 0 0 1 0 1 0 1']);
});

kernelTest('== and != of two 1024-byte non-literal strings that differ only near the end', async (t) => {
  const dir = scratchDir(t);
  const bin = uniqueBinary(dir, '/bin/cat');
  const prefix = longDir(dir, 985);
  const a = join(prefix, `${'f'.repeat(28)}A`);
  const b = join(prefix, `${'f'.repeat(28)}B`);
  // Longer than max_strlen - 1: both are cut to the same 1023 characters.
  const l1 = join(prefix, `${'g'.repeat(42)}1`);
  const l2 = join(prefix, `${'g'.repeat(42)}2`);
  t.is(a.length, 1015);
  t.is(l1.length, 1029);
  for (const f of [a, b, l1, l2]) writeFileSync(f, 'x\n');
  const mark = basename(dir);
  const script = `tracepoint:syscalls:sys_enter_openat /comm == str($1)/ { $p = str(args.filename); $q = str(args.filename);
    if (strcontains($p, "${mark}")) { printf("%d %d %d %d\\n", $p == @last, $p != @last, $p == $q, $p != $q); @last = $p; } } END { clear(@last); }`;
  const out = await trace(t, script, bin.comm, () => cat(bin.path, [a, b, a, a, l1, l2]));
  t.deepEqual(lines(out), ['0 1 1 0', '0 1 1 0', '0 1 1 0', '1 0 1 0', '0 1 1 0', '1 0 1 0']);
});

kernelTest('strcontains, == and strncmp on 1024-byte strings compile to loops, not unrolled code', async (t) => {
  const text = `tracepoint:syscalls:sys_enter_openat { $a = str(args.filename); $b = str(args.filename);
    @[strcontains($a, "foo"), $a == $b, $a != $b, strncmp($a, $b, 1000)] = count(); }`;
  const started = performance.now();
  const r = await compileScript({ name: 'loops.bt', text });
  const ms = performance.now() - started;
  if (!('programs' in r)) return t.fail(JSON.stringify(r.diagnostics));
  const insns = Buffer.from(r.programs[0]!.insns, 'base64').length / 8;
  // Unrolled, this was about 20000 instructions and several seconds of LLVM.
  t.true(insns < 2500, `${insns} instructions`);
  t.log(`${insns} instructions, compiled in ${ms.toFixed(0)} ms`);
});
