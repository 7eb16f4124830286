/**
 * Loops that run in BPF-to-BPF callback subprograms on the real kernel: `for ($kv : @map)`
 * (bpf_for_each_map_elem), range `for` with a runtime or large bound (bpf_loop) and `len(@m)`.
 * The callbacks are linked into each program by src/codegen/link.ts and loaded with BTF func_info
 * (runtime/session/subprogs.ts). Hash map iteration order is the kernel's, so bodies accumulate into maps
 * (printed sorted at exit) or sums rather than printing per entry.
 */
import test, { type ExecutionContext } from 'ava';
import { compileFrontend } from '../../src/compile.js';
import { describeRun, kernelTest, openWorkload, runTsbpf, startTsbpf } from '../helpers/tsbpf.js';

/** The script's stdout without its blank lines (the map printing at exit adds some; they are not what these tests are about). */
async function stdoutOf(t: ExecutionContext, script: string, args: readonly string[] = []): Promise<string> {
  const r = await runTsbpf(['--no-cache', '-e', script, ...args]);
  t.is(r.code, 0, describeRun(r));
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => `${l}\n`).join('');
}

async function failure(t: ExecutionContext, script: string): Promise<string> {
  const r = await runTsbpf(['--no-cache', '-e', script]);
  t.not(r.code, 0, describeRun(r));
  return r.stderr;
}

// ------------------------------------------------------------------------------ for over a map

kernelTest('for ($kv : @m): $kv.0 is the key, $kv.1 the value', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m[1] = 10; @m[2] = 20; for ($kv : @m) { @sum += $kv.1; @keys += $kv.0; } printf("%d\\n", @sum); exit(); }');
  t.is(out, '30\n@keys: 3\n@m[1]: 10\n@m[2]: 20\n@sum: 30\n');
});

kernelTest('for over a multi-key map gives ((k1, k2), v)', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { @m[1, "a"] = 10; @m[2, "b"] = 20; for ($kv : @m) { @byname[$kv.0.1] = $kv.0.0 + $kv.1; } clear(@m); exit(); }',
  );
  t.is(out, '@byname[a]: 11\n@byname[b]: 22\n');
});

kernelTest('for over string keys and string values', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m["x"] = "one"; @m["y"] = "two"; for ($kv : @m) { @swapped[$kv.1] = $kv.0; } clear(@m); exit(); }');
  t.is(out, '@swapped[one]: x\n@swapped[two]: y\n');
});

kernelTest('for over per-CPU aggregations reads the total of every CPU (count, sum, max, avg)', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { @c[1] = count(); @c[1] = count(); @c[2] = count(); @s[7] = sum(5); @s[7] = sum(6); @x[0] = max(3); @x[0] = max(9); @a[0] = avg(2); @a[0] = avg(4);' +
      ' for ($kv : @c) { @cs[$kv.0] = $kv.1; } for ($kv : @s) { @ss = $kv.1; } for ($kv : @x) { @xs = $kv.1; } for ($kv : @a) { @as = $kv.1; }' +
      ' clear(@c); clear(@s); clear(@x); clear(@a); exit(); }',
  );
  t.is(out, '@as: 3\n@cs[2]: 1\n@cs[1]: 2\n@ss: 11\n@xs: 9\n');
});

kernelTest('the loop body shares the probe variables (ints and strings), both ways', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { $total = 100; $name = "before"; @m[1] = 1; @m[2] = 2; @m[3] = 3; for ($kv : @m) { $total += $kv.1; $name = "after"; } printf("%d %s\\n", $total, $name); clear(@m); exit(); }',
  );
  t.is(out, '106 after\n');
});

kernelTest('break stops the iteration, continue goes on with the next entry', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { @m[1] = 1; @m[2] = 2; @m[3] = 3; @m[4] = 4; $n = 0; $seen = 0; for ($kv : @m) { $seen++; if ($kv.1 % 2 == 0) { continue; } $n += $kv.1; }' +
      ' $b = 0; for ($kv : @m) { $b++; break; } printf("%d %d %d\\n", $n, $seen, $b); clear(@m); exit(); }',
  );
  t.is(out, '4 4 1\n');
});

kernelTest('return inside a for body leaves the probe; END still runs', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m[1] = 1; @m[2] = 2; for ($kv : @m) { printf("in\\n"); return; } printf("not reached\\n"); } END { printf("end\\n"); clear(@m); }');
  t.is(out, 'in\nend\n');
});

kernelTest('nested loops: a map loop in a bpf_loop range, a map loop in a map loop', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { @m[1] = 1; @m[2] = 2; for ($i : 0..$1) { for ($kv : @m) { @t[$i, $kv.0] = $kv.1 * 10 + $i; } } $p = 0; for ($a : @m) { for ($b : @m) { $p += $a.1 * $b.1; } } printf("%d\\n", $p); clear(@m); exit(); }',
    ['3'],
  );
  t.is(out, '9\n@t[0, 1]: 10\n@t[1, 1]: 11\n@t[2, 1]: 12\n@t[0, 2]: 20\n@t[1, 2]: 21\n@t[2, 2]: 22\n');
});

// ------------------------------------------------------------------------------ range for with bpf_loop

kernelTest('range for with a bound from $1 (bpf_loop)', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $s = 0; for ($i : 0..$1) { $s += $i; } printf("%d\\n", $s); exit(); }', ['10']);
  t.is(out, '45\n');
});

kernelTest('range for over 0..100000: only bpf_loop gets it past the verifier', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { $s = 0; $n = 0; for ($i : 0..100000) { $s += $i; $n++; } printf("%lld %d\\n", $s, $n); exit(); }');
  t.is(out, '4999950000 100000\n');
});

kernelTest('range for with bpf_loop: continue, break, an empty range, a negative start', async (t) => {
  const out = await stdoutOf(
    t,
    'BEGIN { $s = 0; for ($i : 3..$1) { if ($i == 5) { continue; } if ($i == 8) { break; } $s += $i; } $e = 0; for ($i : $1..2) { $e++; } $m = 0; for ($i : -3..$2) { $m += $i; } printf("%d %d %d\\n", $s, $e, $m); exit(); }',
    ['100', '1'],
  );
  t.is(out, '20 0 -6\n');
});

kernelTest('return inside a bpf_loop range leaves the probe', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { for ($i : 0..$1) { if ($i == 2) { printf("at %d\\n", $i); return; } } printf("not reached\\n"); } END { printf("end\\n"); }', ['1000']);
  t.is(out, 'at 2\nend\n');
});

kernelTest('a loop body on a tracepoint reads args and comm (the context reaches the callback)', async (t) => {
  const w = openWorkload(t);
  const h = startTsbpf(
    ['--no-cache', '-e', `tracepoint:syscalls:sys_enter_openat /comm == "${w.comm}"/ { @files[str(args.filename)] = 1; for ($kv : @files) { @seen[comm, $kv.0] = count(); } for ($i : 0..$1) { @hits[str(args.filename)] = count(); } }`, '3'],
    { t },
  );
  await h.attached;
  await w.run(2);
  const out = await h.stop('SIGINT');
  t.true(out.stdout.includes(`@hits[${w.file}]: 6\n`), describeRun(out));
  // Every later event of the comm walks @files again, so the count depends on the open order; it is at least 1.
  t.true(out.stdout.includes(`@seen[${w.comm}, ${w.file}]: `), describeRun(out));
});

// ------------------------------------------------------------------------------ len

kernelTest('len(@m) counts entries, also of per-CPU maps', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m[1] = 1; @m[2] = 2; @m[7] = 2; @c["x"] = count(); printf("%d %d\\n", len(@m), len(@c)); delete(@m, 2); printf("%d\\n", len(@m)); clear(@m); clear(@c); exit(); }');
  t.is(out, '3 1\n2\n');
});

kernelTest('for and len in two probes of one script', async (t) => {
  const out = await stdoutOf(t, 'BEGIN { @m[1] = 5; @m[2] = 6; } END { $s = 0; for ($kv : @m) { $s += $kv.1; } printf("%d %d\\n", len(@m), $s); clear(@m); }');
  t.is(out, '2 11\n');
});

// ------------------------------------------------------------------------------ errors

kernelTest('for over a hist map, a scalar map, or a map with a key is an error', async (t) => {
  t.regex(await failure(t, 'BEGIN { @h[1] = hist(5); for ($kv : @h) { } exit(); }'), /cannot iterate over @h/);
  t.regex(await failure(t, 'BEGIN { @s = 1; for ($kv : @s) { } exit(); }'), /map with keys/);
  t.regex(await failure(t, 'BEGIN { @m[1] = 1; for ($kv : @m[1]) { } exit(); }'), /whole @map/);
});

// ------------------------------------------------------------------------------ IR (no kernel)

test('range for: a small constant range stays a plain loop; runtime and large bounds use bpf_loop', (t) => {
  const ops = (text: string, positionals: string[] = []): string => {
    const r = compileFrontend({ name: 'test', text }, { positionals });
    t.deepEqual(r.diagnostics, []);
    return JSON.stringify(r.ir?.programs[0]?.body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  };
  t.notRegex(ops('BEGIN { for ($i : 0..10) { @x += $i; } }'), /callbackLoop/);
  t.regex(ops('BEGIN { for ($i : 0..100000) { @x += $i; } }'), /callbackLoop/);
  t.regex(ops('BEGIN { $n = 5; for ($i : 0..$n) { @x += $i; } }'), /callbackLoop/);
  t.regex(ops('BEGIN { @m[1] = 1; for ($kv : @m) { @x += $kv.1; } }'), /forEachMap/);
});

kernelTest('two bpf_loop ranges in one probe, each with map updates: the shared helper-error subprogram is linked into both callbacks', async (t) => {
  // The callbacks call tsbpf_helper_error without a relocation (same section): the linker re-points those calls.
  const out = await stdoutOf(t, 'BEGIN { for ($j : ((uint64)0)..((uint64)3)) { @p[$j] = $j + 10; } for ($k : ((uint64)0)..((uint64)2)) { @q[$k] = @p[$k] * 2; } '
    + 'printf("%d %d %d\\n", @p[2], @q[0], @q[1]); clear(@p); clear(@q); exit(); }');
  t.is(out, '12 20 22\n');
});
