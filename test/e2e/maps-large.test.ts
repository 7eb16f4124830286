/**
 * A map far bigger than one print chunk (runtime/output/format-map.ts MAP_CHUNK_CHARS) and one batch read:
 * every key printed once with its exact value, in bpftrace's order (ascending by value; by key for
 * maps of other values), in text and in JSON, at exit and through print(); cleared and zeroed in
 * batches; per-CPU parts folded into one value as they are read (runtime/session/map-read.ts).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describeRun, kernelTest, python3, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

const N = 100_000;
const SCRIPT = `config = { max_map_keys = ${N + 10} }
BEGIN { for ($i : 0..${N}) { $k = (uint64)$i; @c[$k * 7919 % ${N}] = count(); @s[$k] = sum($k % 997); @v[$k] = $k * 3; @u[$k % 3000] = count(); } exit(); }
END { print(@u, 5); }`;

/** `@name[key]: value` lines of one map, in printed order. */
function entries(stdout: string, name: string): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  const re = new RegExp(`^${name}\\[(\\d+)\\]: (\\d+)$`, 'gm');
  for (const m of stdout.matchAll(re)) out.push([BigInt(m[1]!), BigInt(m[2]!)]);
  return out;
}

function ascending(values: readonly bigint[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i - 1]! > values[i]!) return false;
  return true;
}

kernelTest(`a map of ${N} keys prints every entry exactly, sorted as bpftrace sorts, in text and JSON`, async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', SCRIPT], { timeoutMs: 60_000 });
  t.is(r.code, 0, describeRun(r));
  const c = entries(r.stdout, '@c');
  t.is(c.length, N);
  t.is(new Set(c.map(([k]) => k)).size, N);
  t.true(c.every(([, v]) => v === 1n));
  const s = entries(r.stdout, '@s');
  t.is(s.length, N);
  t.true(s.every(([k, v]) => v === k % 997n), 'each sum is its key mod 997');
  t.true(ascending(s.map(([, v]) => v)), '@s ascending by value');
  const v = entries(r.stdout, '@v');
  t.is(v.length, N);
  t.true(v.every(([k, x], i) => x === k * 3n && k === BigInt(i)), '@v (plain values) ascending by value, so by key');
  // print(@u, 5) in END: the top 5 of 3000 keys; then the whole map at exit.
  const u = entries(r.stdout, '@u');
  t.is(u.length, 5 + 3000);
  t.true(u.slice(0, 5).every(([k, x]) => x === (k < BigInt(N % 3000) ? 34n : 33n)));
  t.true(ascending(u.slice(5).map(([, x]) => x)));

  const j = await runTsbpf(['--no-cache', '-f', 'json', '-e', SCRIPT], { timeoutMs: 60_000 });
  t.is(j.code, 0, describeRun(j));
  // Entries in printed order (JSON.parse would reorder integer-like keys).
  const maps = new Map<string, [string, number][]>();
  for (const line of j.stdout.split('\n')) {
    if (!line.startsWith('{"type": "map"')) continue;
    JSON.parse(line);
    const name = /"data": \{"(@\w+)"/.exec(line)![1]!;
    if (!maps.has(name)) maps.set(name, [...line.matchAll(/"(\d+)": (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  }
  const js = maps.get('@s')!;
  t.is(js.length, N);
  t.true(js.every(([k, x]) => x === Number(k) % 997));
  t.true(ascending(js.map(([, x]) => BigInt(x))));
  t.is(maps.get('@c')!.length, N);
  t.is(maps.get('@u')!.length, 5);
});

kernelTest(`clear() of a map of ${N} keys (several batches) empties it; zero() keeps every key at 0`, async (t) => {
  const script = `config = { max_map_keys = ${N + 10} }
BEGIN { for ($i : 0..${N}) { $k = (uint64)$i; @gone[$k] = count(); @z[$k] = sum($k + 1); @kept[$k % 10] = count(); } exit(); }
END { clear(@gone); zero(@z); }`;
  const r = await runTsbpf(['--no-cache', '-e', script], { timeoutMs: 60_000 });
  t.is(r.code, 0, describeRun(r));
  t.false(r.stdout.includes('@gone['), 'the cleared map prints nothing');
  const z = entries(r.stdout, '@z');
  t.is(z.length, N);
  t.true(z.every(([, v]) => v === 0n));
  t.is(entries(r.stdout, '@kept').length, 10);
});

kernelTest(
  'per-CPU parts are folded into one value: count, sum, min, max (signed, a CPU without a value skipped), avg, stats, hist',
  async (t) => {
    // The child calls getppid() 100 times on CPU 0, then 100 times on CPU 1.
    const py = join(scratchDir(t), 'two-cpus.py');
    writeFileSync(py, 'import os\nfor c in (0, 1):\n    os.sched_setaffinity(0, {c})\n    for _ in range(100): os.getppid()\n');
    const script = `tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
  @c[1] = count(); @s[1] = sum(cpu + 1); @mn[1] = min(cpu + 5); @mx[1] = max(cpu + 5);
  @nmin[1] = min(-3 - (int64)cpu); @nmax[1] = max(-3 - (int64)cpu); if (cpu == 1) { @one[1] = max(-11); }
  @a[1] = avg(cpu * 10); @st[1] = stats(cpu * 10); @h[1] = hist(cpu + 1);
}`;
    const r = await runTsbpf(['-c', `${python3()!} ${py}`, '-e', script]);
    t.is(r.code, 0, describeRun(r));
    const line = (name: string): string | undefined => new RegExp(`^${name}\\[1\\]: (.*)$`, 'm').exec(r.stdout)?.[1];
    t.is(line('@c'), '200');
    t.is(line('@s'), '300');
    t.is(line('@mn'), '5');
    t.is(line('@mx'), '6');
    t.is(line('@nmin'), '-4');
    t.is(line('@nmax'), '-3');
    t.is(line('@one'), '-11');
    t.is(line('@a'), '5');
    t.is(line('@st'), '{ .count = 200, .average = 5, .total = 1000 }');
    t.regex(r.stdout, /^@h\[1\]:\n\[1\] +100 \|@+\|\n\[2, 4\) +100 \|@+\|\n/m);
  },
  { needs: () => (availableParallelism() < 2 ? 'needs 2 CPUs' : python3() ? undefined : 'needs python3') },
);
