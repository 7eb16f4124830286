/**
 * scripts/tools/tcpstates.tbpf: TCP state changes from tracepoint:sock:inet_sock_set_state,
 * filtered with a named parameter (`-- --port=N`), while the test makes a TCP connection on
 * 127.0.0.1 to a port of its own.
 */
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { bpf } from '../../native/index.js';
import { describeRun, kernelTest, REPO_ROOT, startTsbpf, whyNoKernel } from '../helpers/tsbpf.js';

const TOOL = join(REPO_ROOT, 'scripts', 'tools', 'tcpstates.tbpf');
const TP = '/sys/kernel/tracing/events/sock/inet_sock_set_state';

/** Why the tracepoint cannot be traced here (tracefs is mounted first, as tsbpf would). */
function whyNoTracepoint(): string | undefined {
  if (whyNoKernel() !== undefined) return undefined; // kernelTest skips it with that reason
  if (!existsSync('/sys/kernel/tracing/events')) bpf.mount('tracefs', '/sys/kernel/tracing', 'tracefs');
  return existsSync(TP) ? undefined : `${TP} does not exist`;
}

function tcpRoundTrip(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => c.end()).listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      const c = connect(port, '127.0.0.1');
      c.on('error', reject);
      c.resume();
      c.on('close', () => server.close(() => resolve(port)));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

kernelTest('tcpstates.tbpf shows the state changes of a connection on 127.0.0.1, filtered by --port', async (t) => {
  const port = await freePort();
  const h = startTsbpf(['--no-cache', TOOL, '--', `--port=${port}`], { t });
  await h.attached;
  await new Promise<void>((resolve, reject) => {
    const server = createServer((c) => c.end()).listen(port, '127.0.0.1', () => {
      const c = connect(port, '127.0.0.1');
      c.on('error', reject);
      c.resume();
      c.on('close', () => server.close(() => resolve()));
    });
  });
  const other = await tcpRoundTrip(); // another port: filtered out
  const out = await h.stop('SIGINT');
  const lines = out.stdout.split('\n');
  t.is(lines[0], 'PID    COMM             LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS', describeRun(out));
  const rows = lines.slice(1).filter((l) => /^\d+ /.test(l));
  const change = (l: string): string => l.replace(/^\d+ +\S+ +/, '').replace(/ +\d+$/, '').replace(/\s+/g, ' ');
  const seen = rows.map(change);
  t.true(seen.includes(`127.0.0.1 ${port} 0.0.0.0 0 CLOSE -> LISTEN`), describeRun(out));
  t.true(seen.includes(`127.0.0.1 0 127.0.0.1 ${port} CLOSE -> SYN_SENT`), describeRun(out));
  t.true(seen.some((s) => new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port} SYN_SENT -> ESTABLISHED$`).test(s)), describeRun(out));
  t.true(seen.some((s) => new RegExp(`^127\\.0\\.0\\.1 ${port} 127\\.0\\.0\\.1 \\d+ SYN_RECV -> ESTABLISHED$`).test(s)), describeRun(out));
  t.true(seen.includes(`127.0.0.1 ${port} 0.0.0.0 0 LISTEN -> CLOSE`), describeRun(out));
  t.false(rows.some((l) => l.includes(` ${other} `)), describeRun(out));
  t.is(out.stderr.includes('WARNING'), false, describeRun(out));
}, { needs: whyNoTracepoint });
