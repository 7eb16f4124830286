/** Output functions and event delivery: lost events with a small ring buffer, string bytes, printf, print of any value. */
import { describeRun, exec, kernelTest, python3, runTsbpf, startTsbpf, uniqueTag, type RunResult } from '../helpers/tsbpf.js';

const GENERATED = 3000;

/** A probe printing a ~250-byte record for each getppid() of `comm`, with a 1-page (per CPU) ring buffer. */
function lossyProgram(comm: string): string {
  const pad = 'x'.repeat(100);
  return `config = { perf_rb_pages = 1 }
tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("ev %s %s\\n", "${pad}", "${pad}"); }`;
}

/**
 * Overflow the ring buffer deterministically: tsbpf is stopped (SIGSTOP) while the workload makes
 * GENERATED events, so it cannot drain the buffer; only what fits is delivered, the rest is lost.
 */
async function overflow(t: import('ava').ExecutionContext, format: 'text' | 'json'): Promise<RunResult> {
  const comm = `lost${uniqueTag(8)}`;
  const h = startTsbpf(['-f', format, '-e', lossyProgram(comm)], { t });
  await h.attached;
  h.signal('SIGSTOP');
  try {
    const w = await exec([python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nfor _ in range(${GENERATED}): os.getppid()`]);
    t.is(w.code, 0, w.stderr);
  } finally {
    h.signal('SIGCONT');
  }
  return h.stop('SIGINT');
}

kernelTest('lost events (text): a full ring buffer counts every loss; Lost N events and the total at exit', async (t) => {
  if (!python3()) return t.pass('no python3');
  const r = await overflow(t, 'text');
  t.is(r.code, 0, describeRun(r));
  const delivered = r.stdout.split('\n').filter((l) => l.startsWith('ev ')).length;
  const lostLines = [...r.stderr.matchAll(/^Lost (\d+) events$/gm)].map((m) => Number(m[1]));
  const lost = lostLines.reduce((a, b) => a + b, 0);
  t.true(delivered > 0, describeRun(r));
  t.true(lost > 0, describeRun(r));
  t.is(delivered + lost, GENERATED, describeRun(r));
  t.regex(r.stderr, new RegExp(`^WARNING: Total lost event count: ${lost}$`, 'm'));
});

kernelTest('lost events (JSON): lost_events records on stdout, the total on stderr', async (t) => {
  if (!python3()) return t.pass('no python3');
  const r = await overflow(t, 'json');
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  let delivered = 0;
  let lost = 0;
  for (const l of lines) {
    const o = JSON.parse(l) as { type: string; count?: number; data: unknown };
    if (o.type === 'printf' && typeof o.data === 'string' && o.data.startsWith('ev ')) delivered++;
    if (o.type === 'lost_events') {
      t.regex(l, /^\{"type": "lost_events", "count": \d+, "data": \{"events": \d+\}\}$/);
      t.is(o.count, (o.data as { events: number }).events);
      lost += o.count!;
    }
  }
  t.true(lost > 0, describeRun(r));
  t.is(delivered + lost, GENERATED, describeRun(r));
  t.regex(r.stderr, new RegExp(`^WARNING: Total lost event count: ${lost}$`, 'm'));
});

kernelTest('no loss reported when nothing is lost', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("a\\n"); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.notRegex(r.stderr, /Lost|lost/);
});

kernelTest('perf_rb_pages is checked', async (t) => {
  const r = await runTsbpf(['-e', 'config = { perf_rb_pages = 0 } BEGIN { exit(); }']);
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /perf_rb_pages needs a number of pages/);
});

kernelTest('string literals: "\\xff" is one byte 0xFF, "é" stays UTF-8, kernel bytes are written back as they are', async (t) => {
  // The harness decodes stdout as UTF-8: read the bytes themselves.
  const bytes = await rawStdout(['-e', 'BEGIN { print("\\xff"); print("é"); printf("%s|%5s|%d\\n", "\\xfe\\101", "é", sizeof("\\xff\\xfe")); @["\\x80"] = 1; exit(); }']);
  t.deepEqual([...bytes], [...Buffer.concat([Buffer.of(0xff, 0x0a), Buffer.from('é\n'), Buffer.of(0xfe), Buffer.from('A|   é|3\n\n\n@['), Buffer.of(0x80), Buffer.from(']: 1\n')])]);
});

/** tsbpf's stdout as bytes. */
async function rawStdout(args: readonly string[]): Promise<Buffer> {
  const { spawn } = await import('node:child_process');
  const { TSBPF_BIN, REPO_ROOT } = await import('../helpers/tsbpf.js');
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [TSBPF_BIN, '--no-cache', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    c.stdout.on('data', (b: Buffer) => chunks.push(b));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks)));
  });
}
