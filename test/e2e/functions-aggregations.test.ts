/**
 * Aggregations with a generated workload: a python process with a unique comm reads known sizes
 * from fd 77 (/dev/zero), so `args.count` of those reads is an exact, known input set.
 */
import { describeRun, kernelTest, python3, runTsbpf, startTsbpf, uniqueTag } from '../helpers/tsbpf.js';
import { exec } from '../helpers/tsbpf.js';

const SIZES = [0, 1, 2, 3, 5, 100, 1500, 7, 7, 20];
const FD = 77;

async function readWorkload(comm: string): Promise<void> {
  const py = python3()!;
  const code = [
    'import os',
    `open('/proc/self/comm', 'w').write('${comm}')`,
    `fd = os.open('/dev/zero', os.O_RDONLY); os.dup2(fd, ${FD})`,
    `for n in ${JSON.stringify(SIZES)}: os.read(${FD}, n)`,
  ].join('\n');
  const r = await exec([py, '-c', code]);
  if (r.code !== 0) throw new Error(`workload failed: ${r.stderr}`);
}

const bar = (n: number) => '|' + '@'.repeat(n).padEnd(52) + '|';
const row = (label: string, count: number, width: number) => label.padEnd(16) + String(count).padStart(8) + ' ' + bar(width);

kernelTest('hist, lhist, stats, avg, min, max, sum, count of a known input set, and in-kernel reads', async (t) => {
  if (!python3()) return t.pass('no python3');
  const comm = `agg${uniqueTag(8)}`;
  const pred = `/comm == "${comm}" && args.fd == ${FD}/`;
  const prog = `tracepoint:syscalls:sys_enter_read ${pred} {
    @h = hist(args.count); @l = lhist(args.count, 0, 100, 10); @b = hist(args.count, 1);
    @st = stats(args.count); @a = avg(args.count); @mn = min(args.count); @mx = max(args.count);
    @s = sum(args.count); @c = count(); @k[args.count] = count();
    if (@c == ${SIZES.length}) { printf("in-kernel c=%d s=%d mn=%d mx=%d a=%d\\n", @c, @s, @mn, @mx, @a); }
  }
  END { print(@k, 1); print(@s, 0, 10); clear(@k); }`;
  const h = startTsbpf(['-e', prog], { t });
  await h.attached;
  await readWorkload(comm);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const out = r.stdout;
  t.true(out.startsWith('in-kernel c=10 s=1645 mn=0 mx=1500 a=164\n'), describeRun(r));
  // print(@k, 1): the top entry; print(@s, 0, 10): 1645 / 10.
  t.true(out.includes('@k[7]: 2\n@s: 164\n'), describeRun(r));
  const hist = [
    '@h:',
    row('[0]', 1, 17), row('[1]', 1, 17), row('[2, 4)', 2, 34), row('[4, 8)', 3, 52), row('[8, 16)', 0, 0),
    row('[16, 32)', 1, 17), row('[32, 64)', 0, 0), row('[64, 128)', 1, 17), row('[128, 256)', 0, 0),
    row('[256, 512)', 0, 0), row('[512, 1K)', 0, 0), row('[1K, 2K)', 1, 17), '',
  ].join('\n');
  t.true(out.includes(hist), describeRun(r));
  const lhist = [
    '@l:',
    row('[0, 10)', 7, 52), row('[10, 20)', 0, 0), row('[20, 30)', 1, 7),
    ...[30, 40, 50, 60, 70, 80, 90].map((lo) => row(`[${lo}, ${lo + 10})`, 0, 0)),
    row('[100, ...)', 2, 14), '',
  ].join('\n');
  t.true(out.includes(lhist), describeRun(r));
  // hist(v, 1): two sub-buckets per power of two.
  t.true(out.includes([row('[4, 6)', 1, 26), row('[6, 8)', 2, 52)].join('\n')), describeRun(r));
  t.true(out.includes('[96, 128)'.padEnd(16) + '       1'), describeRun(r));
  for (const line of ['@a: 164', '@c: 10', '@mn: 0', '@mx: 1500', '@s: 1645', '@st: { .count = 10, .average = 164, .total = 1645 }']) {
    t.true(out.split('\n').includes(line), `${line}\n${describeRun(r)}`);
  }
  // clear(@k) in END left it empty: empty maps are not printed at exit.
  t.false(out.slice(out.indexOf('\n\n')).includes('@k['), describeRun(r));
});

kernelTest('-f json: aggregations field by field', async (t) => {
  if (!python3()) return t.pass('no python3');
  const comm = `agj${uniqueTag(8)}`;
  const prog = `tracepoint:syscalls:sys_enter_read /comm == "${comm}" && args.fd == ${FD}/ { @st = stats(args.count); @h = hist(args.count); @c[comm] = count(); }`;
  const h = startTsbpf(['-f', 'json', '-e', prog], { t });
  await h.attached;
  await readWorkload(comm);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  t.deepEqual(events.find((e) => e.type === 'stats')?.data, { '@st': { count: 10, average: 164, total: 1645 } });
  t.deepEqual(events.find((e) => e.type === 'map')?.data, { '@c': { [comm]: 10 } });
  const hist = events.find((e) => e.type === 'hist')?.data['@h'] as { min?: number; max?: number; count: number }[];
  t.deepEqual(hist[0], { min: 0, max: 0, count: 1 });
  t.deepEqual(hist[3], { min: 4, max: 7, count: 3 });
  t.deepEqual(hist[hist.length - 1], { min: 1024, max: 2047, count: 1 });
});

kernelTest('lhist and hist of a divided value pass the verifier (the bucket bound survives LLVM) and count it', async (t) => {
  // LLVM turns `/ 1000` into a multiply the verifier cannot bound; the slot check must stay (bpftrace's ssllatency.bt does this).
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { @v = 4242000; $x = @v / 1000; @h = lhist($x, 0, 10000, 2000); @g = hist($x / 2); delete(@v); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stdout, /@h:\n\[4000, 6000\)\s+1 \|@+\|/);
  t.regex(r.stdout, /@g:\n\[2K, 4K\)\s+1 \|@+\|/);
});

kernelTest('a scalar sum (a one-entry per-CPU array with a written word): a sum of zero prints, an unwritten or cleared one does not, a negative total prints', async (t) => {
  // @z adds up to 0 (written: printed); @n is never written (not printed); @c is cleared (not printed at exit);
  // @neg sums below zero; @kept keeps printing after zero().
  const prog = 'BEGIN { @z = sum(5); @z = sum(-5); if (0) { @n = sum(1); } @c = sum(3); @neg = sum(-7); @kept = sum(2); print(@c); clear(@c); zero(@kept); printf("in-kernel z=%d neg=%d\\n", @z, @neg); exit(); }';
  const r = await runTsbpf(['-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '@c: 3\nin-kernel z=0 neg=-7\n\n\n@kept: 0\n@neg: -7\n@z: 0\n', describeRun(r));
});

kernelTest('hist buckets at every power-of-two boundary of 64-bit values read at run time (the log2 binary search)', async (t) => {
  const values: bigint[] = [-3n, 0n, (1n << 63n) - 1n];
  for (let k = 0n; k <= 62n; k++) {
    values.push(1n << k);
    if (k >= 1n) values.push((1n << k) - 1n);
    if (k >= 2n) values.push((1n << k) + 1n);
  }
  // Each value from a map read, so the bucket is computed by the program, not folded by the compiler.
  const body = values.map((v, i) => `@v[${i}] = ${v}; @h = hist(@v[${i}]);`).join(' ');
  const r = await runTsbpf(['-f', 'json', '-e', `BEGIN { ${body} clear(@v); exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"type": "hist"'));
  t.truthy(line, describeRun(r));
  const buckets = (JSON.parse(line!) as { data: { '@h': { count: number }[] } }).data['@h'].map((b) => b.count);
  // bucket 0: negative; 1: zero; 2 + floor(log2 v) otherwise.
  const expected = new Array<number>(buckets.length).fill(0);
  for (const v of values) expected[v < 0n ? 0 : v === 0n ? 1 : 2 + v.toString(2).length - 1]! += 1;
  t.deepEqual(buckets, expected);
});
