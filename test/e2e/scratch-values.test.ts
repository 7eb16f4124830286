/**
 * Values too large for the 512-byte BPF stack live in the per-CPU scratch map (src/codegen/module.ts
 * buildModule): strings of bpftrace's default max_strlen (1024), tuple keys holding them, event
 * records with several of them. These programs overflowed the stack when strings were built there.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileScript, type CompiledScript } from '../../src/compile.js';
import { describeRun, exec, kernelTest, runTsbpf, scratchDir, startTsbpf, uniqueBinary } from '../helpers/tsbpf.js';

/** A file whose path is about `length` bytes long (directories of 200 characters), opened by a uniquely named cat. */
function longPathWorkload(t: ExecutionContext, length: number): { comm: string; file: string; run: () => Promise<void> } {
  const dir = scratchDir(t);
  const cat = uniqueBinary(dir, '/bin/cat');
  let path = dir;
  while (path.length + 201 < length - 20) {
    path = join(path, 'd'.repeat(200));
    mkdirSync(path);
  }
  const file = join(path, `f${'x'.repeat(Math.max(1, length - path.length - 2))}`);
  writeFileSync(file, 'tsbpf\n');
  return {
    comm: cat.comm,
    file,
    async run() {
      const r = await exec([cat.path, file]);
      if (r.code !== 0) throw new Error(`cat failed: ${r.stderr}`);
    },
  };
}

/** Run `script` (it sees the workload's comm as $1), run the workload once, stop, return stdout. */
async function traceOpen(t: ExecutionContext, script: string, w: { comm: string; run: () => Promise<void> }, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const h = startTsbpf(['--no-cache', '-e', script, w.comm], { t, env });
  await h.attached;
  await w.run();
  const out = await h.stop('SIGINT');
  t.is(out.code, 0, describeRun(out));
  return out.stdout;
}

const OPEN = 'tracepoint:syscalls:sys_enter_openat /comm == str($1)/';

kernelTest('str(args.filename) of a path longer than 64 bytes prints in full', async (t) => {
  const w = longPathWorkload(t, 300);
  t.true(w.file.length > 250);
  const out = await traceOpen(t, `${OPEN} { printf("<%s>\\n", str(args.filename)); }`, w);
  t.true(out.includes(`<${w.file}>\n`), out);
});

kernelTest('printf of three 1024-byte strings (a 3 KiB event record)', async (t) => {
  const w = longPathWorkload(t, 900);
  const out = await traceOpen(t, `${OPEN} { $p = str(args.filename); printf("%s|%s|%s|%d\\n", $p, str(args.filename), $p, 7); }`, w);
  t.true(out.includes(`${w.file}|${w.file}|${w.file}|7\n`), out.slice(0, 400));
});

kernelTest('a tuple key with two long strings', async (t) => {
  const w = longPathWorkload(t, 600);
  const out = await traceOpen(t, `${OPEN} { @[str(args.filename), comm, str(args.filename)] = count(); }`, w);
  t.true(out.includes(`@[${w.file}, ${w.comm}, ${w.file}]: 1\n`), out.slice(0, 400));
});

kernelTest('several str() calls, string variables and comparisons in one probe', async (t) => {
  const w = longPathWorkload(t, 400);
  const out = await traceOpen(
    t,
    `${OPEN} { $a = str(args.filename); $b = str(args.filename); $c = str(args.filename, 10); if ($a == $b && $c != $a && $a != "x") { printf("same %s %s\\n", $b, $c); } @last = $a; }`,
    w,
  );
  // str(p, 10) keeps 9 characters and the NUL (bpftrace: tests/runtime/call "explicit string truncation").
  t.true(out.includes(`same ${w.file} ${w.file.slice(0, 9)}\n`), out.slice(0, 400));
  t.true(out.includes(`@last: ${w.file}\n`), out.slice(0, 400));
});

kernelTest('a large string variable shared with a bpf_loop callback', async (t) => {
  const w = longPathWorkload(t, 300);
  // `0..$2` with a run-time bound: the body is a bpf_loop callback, which looks the scratch entry up itself.
  const h = startTsbpf(['--no-cache', '-e', `${OPEN} { $s = str(args.filename); for ($i : 0..$2) { @n[$s] = count(); } $s = "changed"; printf("%s\\n", $s); }`, w.comm, '3'], { t });
  await h.attached;
  await w.run();
  const r = await h.stop('SIGINT');
  t.true(r.stdout.includes(`@n[${w.file}]: 3\n`), describeRun(r));
  t.true(r.stdout.includes('changed\n'), describeRun(r));
});

kernelTest('max_strlen: the config block, and BPFTRACE_MAX_STRLEN winning over it', async (t) => {
  const w = longPathWorkload(t, 100);
  const fromConfig = await traceOpen(t, `config = { max_strlen = 16 } ${OPEN} { printf("<%s>\\n", str(args.filename)); }`, w);
  // bpftrace: str() of a longer string keeps max_strlen characters and prints str_trunc_trailer (`..`).
  t.true(fromConfig.includes(`<${w.file.slice(0, 16)}..>\n`), fromConfig);
  const fromEnv = await traceOpen(t, `config = { max_strlen = 16 } ${OPEN} { printf("<%s>\\n", str(args.filename)); }`, w, { BPFTRACE_MAX_STRLEN: '9' });
  t.true(fromEnv.includes(`<${w.file.slice(0, 9)}..>\n`), fromEnv);
});

kernelTest('a bad BPFTRACE_MAX_STRLEN is an error', async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { exit(); }'], { env: { BPFTRACE_MAX_STRLEN: 'lots' } });
  t.not(r.code, 0);
  t.regex(r.stderr, /BPFTRACE_MAX_STRLEN/);
});

// ------------------------------------------------------------------------------ code generation

async function compiled(text: string): Promise<CompiledScript> {
  const r = await compileScript({ name: 'test.bt', text });
  if (!('format' in r)) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

function scratchOf(s: CompiledScript): { valueSize: number; maxEntries: number; last: boolean } | undefined {
  const m = s.maps.find((x) => x.name === '.scratch');
  return m && { valueSize: m.valueSize, maxEntries: m.maxEntries, last: m.id === s.maps.length - 1 };
}

test('small keys stay on the stack: @[comm] = count() creates no scratch map', async (t) => {
  t.is(scratchOf(await compiled('tracepoint:syscalls:sys_enter_openat { @a[comm] = count(); @b[pid, comm] = count(); @c[comm] = str(args.filename, 15); }')), undefined);
});

test('the scratch map is sized by the largest program, not the sum', async (t) => {
  const one = scratchOf(await compiled('BEGIN { printf("%s %s %s\\n", str(0), str(0), str(0)); }'))!;
  t.true(one.valueSize >= 3 * 1024 && one.valueSize <= 32768 && one.maxEntries === 1 && one.last, JSON.stringify(one));
  const two = scratchOf(await compiled('BEGIN { printf("%s %s %s\\n", str(0), str(0), str(0)); } END { printf("%s %s %s\\n", str(0), str(0), str(0)); }'));
  t.deepEqual(two, one);
});

test('a program needing more than 32 KiB of scratch goes on in further entries; one value over 32 KiB is an error', async (t) => {
  const vars = Array.from({ length: 12 }, (_, i) => `$v${i} = str(${i});`).join(' ');
  const s = scratchOf(await compiled(`config = { max_strlen = 4096 } BEGIN { ${vars} }`))!;
  t.true(s.maxEntries >= 2 && s.valueSize <= 32768, JSON.stringify(s));
  const args = Array.from({ length: 12 }, () => 'str(0)');
  const r = await compileScript({ name: 'test.bt', text: `config = { max_strlen = 4096 } BEGIN { printf("${args.map(() => '%s').join(' ')}\\n", ${args.join(', ')}); }` });
  t.false('format' in r);
  if (!('format' in r)) t.regex(r.diagnostics.map((d) => d.message).join('\n'), /scratch area/);
});
