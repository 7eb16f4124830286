/**
 * The `--export` HTTP endpoint: `GET /metrics` reads every map (through the reader the caller
 * gives, which decodes them as print() does) and answers them in the exposition format the
 * scraper asks for (runtime/export/openmetrics.ts). The reads are synchronous, so each scrape sees
 * the maps as they were at one moment between two ring-buffer batches.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MapDump } from '../output/value.js';
import { metricsUrl, type ExportAddress } from './address.js';
import { CONTENT_TYPES, DEFAULT_MAX_SERIES, negotiateFormat, renderExposition } from './openmetrics.js';

export interface ExporterOptions {
  readonly address: ExportAddress;
  /** Every map as it is now. */
  readonly readMaps: () => MapDump[];
  /** `config = { export_max_series = N }` of the running script, if it set one. */
  readonly maxSeries: () => number | undefined;
  /** A one-line warning (printed once per map and cause). */
  readonly warn: (message: string) => void;
}

export interface Exporter {
  /** `http://HOST:PORT/metrics`, with the port the server got. */
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown when the address cannot be listened on; the message is one line. */
export class ExportListenError extends Error {}

export async function startExporter(opts: ExporterOptions): Promise<Exporter> {
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string): void => {
    if (warned.has(key)) return;
    warned.add(key);
    opts.warn(message);
  };
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('tsbpf: the maps are at /metrics\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: the maps are at /metrics\n');
      return;
    }
    const format = negotiateFormat(req.headers.accept);
    const maxSeries = opts.maxSeries() ?? DEFAULT_MAX_SERIES;
    let body: string;
    try {
      body = renderExposition(opts.readMaps(), {
        format,
        maxSeries,
        onTruncated: (map, keys, kept) =>
          warnOnce(`truncated ${map}`, `--export: ${map} has ${keys} keys; exporting the ${kept} largest (config export_max_series = ${maxSeries})`),
        onNameClash: (map, other) => warnOnce(`clash ${map}`, `--export: ${map} is not exported: its metric names would repeat those of ${other}`),
      });
    } catch (e) {
      // A map that cannot be read now (the run is ending): this scrape fails, the next one may not.
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`cannot read the maps: ${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format] }).end(req.method === 'HEAD' ? undefined : body);
  };
  const server = createServer(serve);
  // A scraper's keep-alive connection must not keep the process alive after the run.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${opts.address.host ?? ''}:${opts.address.port}`;
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? 'no such local address' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new ExportListenError(`--export ${where}: cannot listen: ${why}`));
    });
    server.listen({ host: opts.address.host, port: opts.address.port }, resolve);
  });
  server.on('error', (e) => opts.warn(`--export: ${e.message}`));
  const bound = server.address() as AddressInfo;
  const host = opts.address.host ?? (bound.family === 'IPv6' ? '::' : '0.0.0.0');
  return {
    url: metricsUrl(host, bound.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
