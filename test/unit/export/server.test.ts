/**
 * The `--export` endpoint (runtime/export/server.ts) over a map reader the test gives: no kernel,
 * a real HTTP server on the loopback address.
 */
import test from 'ava';
import { createServer } from 'node:net';
import { ExportListenError, startExporter } from '../../../runtime/export/server.js';
import { V, type MapDump } from '../../../runtime/output/value.js';

test('GET /metrics renders what the reader returns on each request; other paths and methods are refused', async (t) => {
  let n = 0n;
  const warnings: string[] = [];
  const read = (): MapDump[] => [
    { name: '@n', entries: [{ key: [], value: { kind: 'int', value: ++n, agg: 'count' } }] },
    { name: '@k', entries: [1, 2, 3].map((i) => ({ key: [V.int(i)], value: { kind: 'int' as const, value: BigInt(i) } })) },
  ];
  const ex = await startExporter({ address: { host: '127.0.0.1', port: 0 }, readMaps: read, maxSeries: () => 2, warn: (m) => warnings.push(m) });
  t.teardown(() => ex.close());
  t.regex(ex.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const first = await fetch(ex.url);
  t.is(first.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  t.true((await first.text()).includes('tsbpf_n_total{map="@n"} 1\n'));
  const second = await fetch(ex.url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  t.is(second.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  const body = await second.text();
  t.true(body.includes('tsbpf_n_total{map="@n"} 2\n'), body);
  t.true(body.endsWith('# EOF\n'), body);
  // The cut is warned about once, however many scrapes make it.
  t.deepEqual(warnings, ['--export: @k has 3 keys; exporting the 2 largest (config export_max_series = 2)']);
  t.is((await fetch(ex.url.replace('/metrics', '/other'))).status, 404);
  t.is((await fetch(ex.url, { method: 'POST', body: 'x' })).status, 405);
  t.is((await fetch(ex.url.replace('/metrics', '/'))).status, 200);
});

test('a reader that throws answers 503 for that scrape; a taken port is an ExportListenError', async (t) => {
  const ex = await startExporter({ address: { host: '127.0.0.1', port: 0 }, readMaps: () => { throw new Error('EBADF'); }, maxSeries: () => undefined, warn: () => undefined });
  t.teardown(() => ex.close());
  const res = await fetch(ex.url);
  t.is(res.status, 503);
  t.is(await res.text(), 'cannot read the maps: EBADF\n');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const err = await t.throwsAsync(startExporter({ address: { host: '127.0.0.1', port }, readMaps: () => [], maxSeries: () => undefined, warn: () => undefined }));
  t.true(err instanceof ExportListenError);
  t.is(err!.message, `--export 127.0.0.1:${port}: cannot listen: address already in use`);
});
