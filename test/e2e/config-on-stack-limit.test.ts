/**
 * `on_stack_limit` (docs/compat.md "Config variables"): a blob (string, tuple, map key or value,
 * event record, blob variable) larger than the limit lives in the per-CPU scratch map, the others
 * on the 512-byte BPF stack (src/codegen/module.ts buildModule; bpftrace's createAllocation). The
 * same scripts print the same under 0 (every blob in the scratch map), bpftrace's default 32 and
 * 256 (every blob these scripts build on the stack), while the kernel's verifier reports a
 * different stack depth for each and the compiled script has a scratch map or not. A script whose
 * blobs no longer fit the stack under a large limit is an error naming on_stack_limit (bpftrace
 * fails to load such a program too: no fallback).
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScript } from '../../src/compile.js';
import { describeRun, kernelTest, openWorkload, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

interface Limit {
  readonly name: string;
  /** Entries for the config block. */
  readonly config: string;
  readonly env: NodeJS.ProcessEnv;
}

/** 0 and 256 set both ways bpftrace allows: the config block and the environment variable. */
const LIMITS: readonly Limit[] = [
  { name: 'on_stack_limit = 0', config: 'on_stack_limit = 0; ', env: {} },
  { name: 'the default', config: '', env: {} },
  { name: 'BPFTRACE_ON_STACK_LIMIT=256', config: '', env: { BPFTRACE_ON_STACK_LIMIT: '256' } },
];

/** Strings (str(), literals, comm), tuples, map keys holding them, printf and print of them: 48-byte strings, over the default limit. */
const STRINGS = `
tracepoint:syscalls:sys_enter_openat /comm == str($1)/ {
  $p = str(args.filename);
  if (strcontains($p, "/f-")) {
    $t = (7, $p, comm);
    @k[$p, comm] = count();
    @tup = $t;
    printf("%s|%d|%s|%s\\n", $p, $t.0, $t.1, $t.2);
    if ($p == str(args.filename)) { printf("equal\\n"); }
    if ($p != "x") { printf("not x\\n"); }
    @s[$t, "tag"] = count();
    print(($p, 5));
    printf("at %d\\n", strstr($p, "/f-"));
  }
}`;

/** A struct read whole into a variable, and a bpf_loop callback sharing a string variable with the probe. */
const STRUCTS = `
tracepoint:syscalls:sys_enter_openat /comm == str($1)/ {
  $p = str(args.filename);
  if (strcontains($p, "/f-")) {
    $c = *curtask->real_cred;
    printf("uid %d euid %d size %d\\n", $c.uid.val, $c.euid.val, sizeof($c));
    for ($i : 0..3) { @n[$p] = count(); }
  }
}`;

function script(limit: Limit, body: string): string {
  return `config = { ${limit.config}max_strlen = 48 }${body}`;
}

/** Run `body` under `limit` while the workload opens its file once; stdout after SIGINT. */
async function traceOpen(t: ExecutionContext, limit: Limit, body: string): Promise<{ out: string; file: string; comm: string }> {
  const w = openWorkload(t);
  t.true(w.file.length < 48, w.file);
  const h = startTsbpf(['--no-cache', '-e', script(limit, body), w.comm], { t, env: limit.env });
  await h.attached;
  await w.run(1);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  return { out: r.stdout, file: w.file, comm: w.comm };
}

for (const limit of LIMITS) {
  kernelTest(`${limit.name}: strings, str(), printf, print, tuples and string map keys print as bpftrace's`, async (t) => {
    const { out, file, comm } = await traceOpen(t, limit, STRINGS);
    t.is(out, [
      `${file}|7|${file}|${comm}`,
      'equal',
      'not x',
      `(${file}, 5)`,
      `at ${file.lastIndexOf('/f-')}`,
      '',
      '',
      `@k[${file}, ${comm}]: 1`,
      `@s[(7, ${file}, ${comm}), tag]: 1`,
      `@tup: (7, ${file}, ${comm})`,
      '',
    ].join('\n'));
  });

  kernelTest(`${limit.name}: a struct read into a variable and a loop callback over a string variable`, async (t) => {
    const { out, file } = await traceOpen(t, limit, STRUCTS);
    const uid = process.getuid!();
    t.regex(out, new RegExp(`^uid ${uid} euid ${process.geteuid!()} size (\\d+)\\n`));
    // struct cred is larger than the default limit and smaller than 256: its placement differs between the limits.
    const size = Number(/size (\d+)/.exec(out)![1]);
    t.true(size > 32 && size <= 256, out);
    t.is(out.slice(out.indexOf('\n') + 1), ['', '', `@n[${file}]: 3`, ''].join('\n'));
  });
}

// ------------------------------------------------------------------------------ placement

/** The stack depth the verifier reports for the (one) program of `text`: `stack depth N` of `-d verifier`. */
async function verifiedStackDepth(t: ExecutionContext, text: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const r = await runTsbpf(['--no-cache', '--verify', '-d', 'verifier', '-e', text, 'tsbnone'], { env });
  t.is(r.code, 0, describeRun(r));
  const m = /^stack depth (\d+)/m.exec(r.stderr);
  t.truthy(m, describeRun(r));
  return Number(m![1]);
}

/** Strings, a tuple, a map key and an event record in one small program (a short verifier log). */
// `$c = comm` is a 16-byte blob variable the default keeps on the stack (the count's insert value,
// once such a stack slot too, is read from `.helper-errors` now).
const PLACED = 'BEGIN { $s = str("a string of more than thirty-two bytes"); $c = comm; $t = (7, $s, comm); @k[$s, comm] = count(); printf("%s %s %s\\n", $s, $t.1, $c); }';

kernelTest('the verifier sees the placement change: 0 keeps blobs off the stack, 256 keeps them all on it', async (t) => {
  const depth = async (limit: string): Promise<number> => verifiedStackDepth(t, `config = { ${limit}max_strlen = 48 } ${PLACED}`);
  const [none, dflt, all] = [await depth('on_stack_limit = 0; '), await depth(''), await depth('on_stack_limit = 256; ')];
  // Under 0 only scalars are on the stack (the scratch map's key, LLVM's spills); the default adds
  // the blobs of 32 bytes or less (`$c`, a comm); 256 adds the 48-byte strings, the tuple, the key and the record.
  t.true(none < dflt && dflt < all, `${none} ${dflt} ${all}`);
  t.true(all - none >= 48 + 72, `${none} ${all}`);
});

/** The `.scratch` map's value size, or 0 without one. */
async function scratchBytes(text: string): Promise<number> {
  const r = await compileScript({ name: 'test.bt', text });
  if (!('format' in r)) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.maps.find((m) => m.name === '.scratch')?.valueSize ?? 0;
}

test('the scratch map holds what the limit sends there: all blobs under 0, none of 48-byte strings under 256', async (t) => {
  const small = 'BEGIN { @[comm, 1] = count(); printf("%s %d\\n", comm, 2); }';
  // comm (16 bytes), the key (24) and the record (32) are within the default limit: no scratch map.
  t.is(await scratchBytes(small), 0);
  t.true((await scratchBytes(`config = { on_stack_limit = 0 } ${small}`)) >= 32);
  t.true((await scratchBytes(script(LIMITS[1]!, STRINGS))) >= 48);
  t.is(await scratchBytes(script({ ...LIMITS[2]!, config: 'on_stack_limit = 256; ' }, STRINGS)), 0);
});

// ------------------------------------------------------------------------------ limits and errors

kernelTest('a large limit that puts more than 512 bytes on the stack is an error at the probe naming on_stack_limit', async (t) => {
  // bpftrace's default max_strlen: a 1024-byte string, in the scratch map under the default limit.
  const body = 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filename)); }';
  const ok = await runTsbpf(['--no-cache', '--verify', '-e', body]);
  t.is(ok.code, 0, describeRun(ok));
  const r = await runTsbpf(['--no-cache', '--verify', '-e', `config = { on_stack_limit = 4096 } ${body}`]);
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /^stdin:1:36-72: ERROR: probe tracepoint:syscalls:sys_enter_openat needs more than the 512 bytes of BPF stack\n/);
  t.regex(r.stderr, /\nHINT: .*a lower config on_stack_limit \(values up to 4096 bytes are on the stack now; 0 puts every one in the per-CPU scratch map\)/);
  t.notRegex(r.stderr, /internal compiler error|    at /);
});

kernelTest('on_stack_limit = 0 loads what overflows the stack under the default (bpftrace\'s advice for a stack error)', async (t) => {
  // Twenty live 32-byte strings: on the stack under the default (test/e2e/lang-semantics.test.ts).
  const vars = Array.from({ length: 20 }, (_, i) => `$v${i} = str(args.filename, 31);`).join(' ');
  const body = `tracepoint:syscalls:sys_enter_openat { ${vars} ${Array.from({ length: 20 }, (_, i) => `@m${i}[$v${i}]++;`).join(' ')} }`;
  const over = await runTsbpf(['--no-cache', '--verify', '-e', body]);
  t.is(over.code, 1, describeRun(over));
  t.regex(over.stderr, /needs more than the 512 bytes of BPF stack/);
  const r = await runTsbpf(['--no-cache', '--verify', '-e', `config = { on_stack_limit = 0 } ${body}`]);
  t.is(r.code, 0, describeRun(r));
});

kernelTest('config.on_stack_limit is the value in force; the environment wins over the config block; a bad value is an error', async (t) => {
  const text = 'config = { on_stack_limit = 0 } BEGIN { print(config.on_stack_limit); exit(); }';
  const fromConfig = await runTsbpf(['--no-cache', '-e', text]);
  t.is(fromConfig.stdout, '0\n\n\n', describeRun(fromConfig));
  const fromEnv = await runTsbpf(['--no-cache', '-e', text], { env: { BPFTRACE_ON_STACK_LIMIT: '256' } });
  t.is(fromEnv.stdout, '256\n\n\n', describeRun(fromEnv));
  const bad = await runTsbpf(['--no-cache', '-e', 'config = { on_stack_limit = lots } BEGIN { exit(); }']);
  t.is(bad.code, 1, describeRun(bad));
  t.regex(bad.stderr, /on_stack_limit needs a number of bytes \(0 or more\), got "lots"/);
  const badEnv = await runTsbpf(['--no-cache', '-e', 'BEGIN { exit(); }'], { env: { BPFTRACE_ON_STACK_LIMIT: '-1' } });
  t.is(badEnv.code, 1, describeRun(badEnv));
  t.regex(badEnv.stderr, /BPFTRACE_ON_STACK_LIMIT needs a number of bytes/);
});

kernelTest('BPFTRACE_ON_STACK_LIMIT is part of the compile cache key', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tsbpf-cache-test-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const text = 'BEGIN { print(config.on_stack_limit); exit(); }';
  for (const value of ['0', '256', '0']) {
    const r = await runTsbpf(['-e', text], { env: { XDG_CACHE_HOME: home, BPFTRACE_ON_STACK_LIMIT: value } });
    t.is(r.stdout, `${value}\n\n\n`, describeRun(r));
  }
});
