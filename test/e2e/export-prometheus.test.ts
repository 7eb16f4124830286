/**
 * `--export`: the maps at /metrics while tracing (runtime/export/), read by curl and by a real
 * Prometheus server (Debian's `prometheus` package) that scrapes it on the loopback address. The
 * events are this test process's own reads of /dev/zero (filtered by its pid and the fd), so
 * every value is known exactly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { describeRun, exec, kernelTest, startTsbpf, type TsbpfProcess } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';

/** The read sizes the test makes: 1 -> [1], 2 and 3 -> [2, 4), 100 -> [64, 128), 5000 -> [4K, 8K). */
const SIZES = [1, 2, 3, 100, 100, 5000];

function script(fd: number): string {
  return `tracepoint:syscalls:sys_enter_read /pid == ${process.pid} && args.fd == ${fd}/ {
    @reads = count(); @size = hist(args.count); @small = lhist(args.count, 0, 10, 5); @a = avg(args.count); @last = args.count;
  }`;
}

/** /dev/zero opened by this process: the fd the script filters on. */
function openZero(t: ExecutionContext): number {
  const fd = openSync('/dev/zero', 'r');
  t.teardown(() => closeSync(fd));
  return fd;
}

function readSizes(fd: number): void {
  const buf = Buffer.alloc(8192);
  for (const n of SIZES) readSync(fd, buf, 0, n, null);
}

/** tsbpf with `--export 127.0.0.1:0`, attached, and the URL it serves (the port it got). */
async function startExporting(t: ExecutionContext, fd: number, timeoutMs?: number): Promise<{ h: TsbpfProcess; url: string }> {
  const h = startTsbpf(['--export', '127.0.0.1:0', '-e', script(fd)], { t, timeoutMs });
  await h.attached;
  await h.waitFor(() => /Serving the maps at (\S+)/.test(h.stderr), 'the export URL');
  return { h, url: /Serving the maps at (\S+)/.exec(h.stderr)![1]! };
}

const haveCurl = (): string | undefined => (spawnSync('curl', ['--version']).status === 0 ? undefined : 'curl is not installed');

/** The exact text for the script's maps after SIZES were read (Prometheus 0.0.4 text format). */
const EXPECTED_PROMETHEUS = [
  '# HELP tsbpf_a_count tsbpf map @a: number of values', '# TYPE tsbpf_a_count gauge', 'tsbpf_a_count{map="@a"} 6',
  '# HELP tsbpf_a_sum tsbpf map @a: total of the values', '# TYPE tsbpf_a_sum gauge', 'tsbpf_a_sum{map="@a"} 5206',
  '# HELP tsbpf_a_avg tsbpf map @a: average value', '# TYPE tsbpf_a_avg gauge', 'tsbpf_a_avg{map="@a"} 867',
  '# HELP tsbpf_last tsbpf map @last', '# TYPE tsbpf_last gauge', 'tsbpf_last{map="@last"} 5000',
  '# HELP tsbpf_reads_total tsbpf map @reads', '# TYPE tsbpf_reads_total counter', 'tsbpf_reads_total{map="@reads"} 6',
  '# HELP tsbpf_size tsbpf map @size', '# TYPE tsbpf_size histogram',
  ...[['-1', 0], ['0', 0], ['1', 1], ['3', 3], ['7', 3], ['15', 3], ['31', 3], ['63', 3], ['127', 5], ['255', 5], ['511', 5], ['1023', 5], ['2047', 5], ['4095', 5], ['8191', 6], ['+Inf', 6]].map(
    ([le, n]) => `tsbpf_size_bucket{map="@size",le="${le}"} ${n}`,
  ),
  'tsbpf_size_count{map="@size"} 6',
  '# HELP tsbpf_small tsbpf map @small', '# TYPE tsbpf_small histogram',
  'tsbpf_small_bucket{map="@small",le="-1"} 0', 'tsbpf_small_bucket{map="@small",le="4"} 3', 'tsbpf_small_bucket{map="@small",le="9"} 3',
  'tsbpf_small_bucket{map="@small",le="+Inf"} 6', 'tsbpf_small_count{map="@small"} 6',
  '',
].join('\n');

kernelTest('--export serves every map at /metrics: curl reads the exact values, in both text formats', async (t) => {
  const fd = openZero(t);
  const { h, url } = await startExporting(t, fd);
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  readSizes(fd);
  const plain = await exec(['curl', '-sS', '--fail', url]);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stdout, EXPECTED_PROMETHEUS);
  const om = await exec(['curl', '-sS', '--fail', '-D', '-', '-H', 'Accept: application/openmetrics-text;version=1.0.0', url]);
  t.regex(om.stdout, /content-type: application\/openmetrics-text; version=1\.0\.0; charset=utf-8/i);
  t.true(om.stdout.includes('# TYPE tsbpf_reads counter\ntsbpf_reads_total{map="@reads"} 6\n'), om.stdout);
  t.true(om.stdout.endsWith('tsbpf_small_count{map="@small"} 6\n# EOF\n'), om.stdout);
  const missing = await exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', url.replace(/\/metrics$/, '/nothing')]);
  t.is(missing.stdout, '404');
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.true(r.stdout.includes('@reads: 6\n'), describeRun(r));
  // The endpoint closes with the run.
  const after = await exec(['curl', '-sS', '--fail', url]);
  t.not(after.code, 0);
}, { needs: haveCurl });

kernelTest('--export on a taken port fails before anything is loaded', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const h = startTsbpf(['--export', `127.0.0.1:${port}`, '-e', 'tracepoint:syscalls:sys_enter_read { @ = count(); }'], { t });
  const r = await h.exited;
  t.is(r.code, 1, describeRun(r));
  t.is(r.stderr, `ERROR: --export 127.0.0.1:${port}: cannot listen: address already in use\n`);
});

kernelTest('config export_max_series: the largest keys are served, with one warning', async (t) => {
  const fd = openZero(t);
  const prog = `config = { export_max_series = 2 }
  tracepoint:syscalls:sys_enter_read /pid == ${process.pid} && args.fd == ${fd}/ { @k[args.count] = count(); }`;
  const h = startTsbpf(['--export', '127.0.0.1:0', '-e', prog], { t });
  await h.attached;
  await h.waitFor(() => /Serving the maps at (\S+)/.test(h.stderr), 'the export URL');
  const url = /Serving the maps at (\S+)/.exec(h.stderr)![1]!;
  // Keys 1, 2, 3, 100, 5000 counted 1, 1, 1, 2, 1 times: 100 is the largest, then one of the ties.
  // The label is the key as the script writes it: @k[args.count] -> count="...".
  readSizes(fd);
  const series = async (): Promise<string[]> => (await (await fetch(url)).text()).split('\n').filter((l) => l.startsWith('tsbpf_k_total'));
  const first = await series();
  t.is(first.length, 2, first.join('\n'));
  t.true(first.includes('tsbpf_k_total{map="@k",count="100"} 2'), first.join('\n'));
  t.is((await series()).length, 2);
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('WARNING:'));
  t.deepEqual(warnings, ['WARNING: --export: @k has 5 keys; exporting the 2 largest (config export_max_series = 2)']);
});

kernelTest('the shell: .export serves the maps of the probes typed in, .export off stops', async (t) => {
  const fd = openZero(t);
  const sh = await StreamShell.start(t);
  const started = await sh.run('.export 127.0.0.1:0');
  const url = /serving the maps at (\S+)/.exec(started.out)?.[1];
  t.truthy(url, started.out + started.err);
  t.regex((await sh.run(`tracepoint:syscalls:sys_enter_read /pid == ${process.pid} && args.fd == ${fd}/ { @reads = count(); }`)).out, /\[1\] attached/);
  readSizes(fd);
  const body = await (await fetch(url!)).text();
  t.true(body.includes('tsbpf_reads_total{map="@reads"} 6\n'), body);
  const reply = async (line: string): Promise<string> => (await sh.run(line)).out.replace(/tsbpf> $/, '');
  t.is(await reply('.export'), `serving the maps at ${url}\n`);
  t.is(await reply('.export off'), `stopped serving ${url}\n`);
  await t.throwsAsync(fetch(url!));
  sh.ctrlD();
  t.is(await sh.exited(), 0);
}, { serial: true });

// ------------------------------------------------------------------------- a real Prometheus

const havePrometheus = (): string | undefined =>
  spawnSync('prometheus', ['--version']).error === undefined ? undefined : 'the prometheus binary is missing (Debian package prometheus)';

async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A Prometheus of this test's own: temp config and storage, loopback only, scraping `target` every second. */
async function startPrometheus(t: ExecutionContext, target: string): Promise<{ api: string; log: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-prometheus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: tsbpf', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'));
  const port = await freeLoopbackPort();
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  });
  return { api: `http://127.0.0.1:${port}/api/v1/query`, log: () => log };
}

/** Asks Prometheus for an instant query until it returns `want` (or the deadline, an upper bound only, passes). */
async function queryUntil(api: string, query: string, want: string, deadlineMs: number): Promise<string | undefined> {
  const end = Date.now() + deadlineMs;
  let last: string | undefined;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${api}?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { status: string; data?: { result?: { value: [number, string] }[] } };
      last = body.data?.result?.[0]?.value[1];
      if (last === want) return last;
    } catch {
      // Prometheus is still starting.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

kernelTest('Prometheus scrapes --export and answers queries with the exact values the script counted', async (t) => {
  const fd = openZero(t);
  const { h, url } = await startExporting(t, fd, 90_000);
  readSizes(fd);
  const prom = await startPrometheus(t, new URL(url).host);
  const deadline = 60_000;
  t.is(await queryUntil(prom.api, 'up{job="tsbpf"}', '1', deadline), '1', prom.log());
  t.is(await queryUntil(prom.api, 'tsbpf_reads_total{map="@reads"}', '6', deadline), '6', prom.log());
  t.is(await queryUntil(prom.api, 'tsbpf_size_bucket{map="@size",le="127"}', '5', deadline), '5', prom.log());
  t.is(await queryUntil(prom.api, 'tsbpf_size_count', '6', deadline), '6', prom.log());
  t.is(await queryUntil(prom.api, 'tsbpf_small_bucket{le="4"}', '3', deadline), '3', prom.log());
  t.is(await queryUntil(prom.api, 'tsbpf_a_avg', '867', deadline), '867', prom.log());
  // Prometheus' own reading of the buckets: of 1, 2, 3, 100, 100, 5000 the third is 3, the top of
  // bucket (1, 3] (le="3": the buckets' bounds are inclusive), where histogram_quantile ends exactly.
  t.is(await queryUntil(prom.api, 'histogram_quantile(0.5, tsbpf_size_bucket)', '3', deadline), '3', prom.log());
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
}, { needs: havePrometheus, serial: true });
