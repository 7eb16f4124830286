/**
 * `--export [HOST]:PORT`: where the Prometheus endpoint listens. `:9464` listens on every
 * interface, `127.0.0.1:9464` on one address, `[::1]:9464` on an IPv6 one; port 0 takes any
 * free port (tsbpf prints the one it got). Pure, so the CLI checks it before compiling anything.
 */
export interface ExportAddress {
  /** Undefined: every interface (Node's default, IPv6 and IPv4). */
  readonly host: string | undefined;
  readonly port: number;
}

/** The default port: 9464 is the one OpenTelemetry's Prometheus exporters use. */
export const DEFAULT_EXPORT_PORT = 9464;

/** Parses `[HOST]:PORT` (or a bare `PORT`); throws an Error with a one-line message on anything else. */
export function parseExportAddress(text: string): ExportAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]\s]*):)?(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`invalid address '${text}': expected [HOST]:PORT, e.g. :${DEFAULT_EXPORT_PORT} or 127.0.0.1:${DEFAULT_EXPORT_PORT}`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`invalid address '${text}': port ${port} is out of range (0-65535)`);
  const rawHost = m[1] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { host: host === '' ? undefined : host, port };
}

/** The URL of the metrics page for an address the server is bound to. */
export function metricsUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
}
