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

/** Events one flood must deliver in full: 32 bytes each with the ring's header, 1.6 MB, well inside the default 16 MiB ring buffer. */
const FLOOD = 50_000;

kernelTest('a flood of 50k printf events that fits the default ring buffer is delivered whole, in order, byte for byte', async (t) => {
  const comm = `fl${uniqueTag(8)}`;
  // `@n` counts the events in the kernel: line i carries i (hex), so order and completeness both show.
  const h = startTsbpf(['-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("e %d %x\\n", tid, @n); @n = @n + 1; }`], { t, timeoutMs: 60_000 });
  await h.attached;
  // Stopped while the flood runs: the ring buffer alone must hold every event (no help from the consumer's speed).
  h.signal('SIGSTOP');
  let pid = 0;
  try {
    const w = await exec([python3()!, '-c', `import os\nopen('/proc/self/comm','w').write('${comm}')\nfor _ in range(${FLOOD}): os.getppid()`]);
    t.is(w.code, 0, w.stderr);
    pid = w.pid;
  } finally {
    h.signal('SIGCONT');
  }
  await h.waitForStdout(new RegExp(`^e \\d+ ${(FLOOD - 1).toString(16)}$`, 'm'));
  const r = await h.stop('SIGINT');
  t.is(r.code, 0, describeRun(r));
  t.notRegex(r.stderr, /Lost \d+ events/);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('e '));
  t.is(lines.length, FLOOD);
  const wrong = lines.findIndex((l, i) => l !== `e ${pid} ${i.toString(16)}`);
  t.is(wrong, -1, wrong === -1 ? '' : `line ${wrong}: ${lines[wrong]}`);
}, { needs: () => (python3() ? undefined : 'needs python3 for an exact syscall workload') });

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

kernelTest('join(args.argv) and join(args.argv, sep) on execve, text and JSON', async (t) => {
  if (!python3()) return t.pass('no python3');
  const comm = `jn${uniqueTag(8)}`;
  const prog = `tracepoint:syscalls:sys_enter_execve /comm == "${comm}"/ { join(args.argv); join(args.argv, ","); }`;
  const execIt = `import os\nopen('/proc/self/comm','w').write('${comm}')\nos.execv('/bin/echo', ['/bin/echo', 'A', 'b c'])`;
  for (const format of ['text', 'json'] as const) {
    const h = startTsbpf(['-f', format, '-e', prog], { t });
    await h.attached;
    await exec([python3()!, '-c', execIt]);
    const r = await h.stop('SIGINT');
    t.is(r.code, 0, describeRun(r));
    if (format === 'text') t.is(r.stdout, '/bin/echo A b c\n/bin/echo,A,b c\n\n\n', describeRun(r));
    else t.deepEqual(r.stdout.split('\n').slice(1, 3), ['{"type": "join", "data": "/bin/echo A b c"}', '{"type": "join", "data": "/bin/echo,A,b c"}'], describeRun(r));
  }
});

kernelTest('ppid, pcomm, leader_tid, leader_comm, nsecs clocks (BEGIN runs in tsbpf itself)', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%d %s %d %s %d %s\\n", ppid, pcomm, ppid(curtask), pcomm(), leader_tid == pid, leader_comm); printf("%d %d %d %d\\n", nsecs(monotonic) > 0, nsecs(monotonic) <= nsecs(boot), nsecs(tai) > nsecs(boot), nsecs(sw_tai) > 0); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  // The harness starts tsbpf with node directly: its parent is this test process.
  const parent = await import('node:fs').then((fs) => fs.readFileSync('/proc/self/comm', 'utf8').trim());
  t.is(r.stdout, `${process.pid} ${parent} ${process.pid} ${parent} 1 tsbpf\n1 1 1 1\n\n\n`, describeRun(r));
  const bad = await runTsbpf(['-e', 'BEGIN { print(nsecs(wall)); exit(); }']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /nsecs\(\) takes a clock: monotonic, boot, tai or sw_tai/);
});

kernelTest('strlen, str_concat, bswap, pton', async (t) => {
  const progs = [
    'BEGIN { $s = comm; printf("%d %d %d %d\\n", strlen("abc"), strlen($s), strlen(""), strlen(comm)); exit(); }',
    'BEGIN { $s = comm; printf("[%s] [%s] [%s] [%s]\\n", str_concat("ab", "cd"), str_concat($s, "-x"), str_concat(comm, comm), str_concat("", $s)); exit(); }',
    'BEGIN { printf("%x %x %lx %x\\n", bswap((uint16)0x1234), bswap((uint32)0x12345678), bswap(0x0102030405060708), bswap((uint8)7)); exit(); }',
    'BEGIN { printf("%s %s %s\\n", ntop(pton("127.0.0.1")), ntop(pton("fe80::1")), ntop(pton("::ffff:1.2.3.4"))); exit(); }',
  ];
  // tsbpf's comm is tsbpf (bin/tsbpf.js sets process.title).
  const want = ['3 5 0 5', '[abcd] [tsbpf-x] [tsbpftsbpf] [tsbpf]', '3412 78563412 807060504030201 7', '127.0.0.1 fe80::1 ::ffff:1.2.3.4'];
  for (let i = 0; i < progs.length; i++) {
    const r = await runTsbpf(['-e', progs[i]!]);
    t.is(r.code, 0, describeRun(r));
    t.is(r.stdout, `${want[i]}\n\n\n`, describeRun(r));
  }
});

kernelTest('cgroup_path: hierarchy:path pairs, cgroup2 first; filtered; JSON value', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { print(cgroup_path(cgroupid("/sys/fs/cgroup/unified"))); printf("path: %s\\n", cgroup_path(cgroup, "unified")); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n');
  t.regex(lines[0]!, /^([a-z_=]*:\/[^,]*,)*[a-z_=]*:\/.*$/, describeRun(r));
  t.regex(lines[1]!, /^path: unified:\/\S*$/, describeRun(r));
  const j = await runTsbpf(['-q', '-f', 'json', '-e', 'BEGIN { print(cgroup_path(cgroup)); exit(); }']);
  t.regex(j.stdout, /^\{"type": "value", "data": "unified:\/.*"\}$/m, describeRun(j));
});

kernelTest('errorf and warnf print the call location on stderr (text) and as JSON records', async (t) => {
  const prog = 'BEGIN { errorf("Something bad with args: %d, %s", 10, "arg2"); }';
  const r = await runTsbpf(['-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, /^stdin:1:9-62: ERROR: Something bad with args: 10, arg2$/m);
  const w = await runTsbpf(['-e', 'BEGIN { $x = 0x12345678abcdef; warnf("%hhx %hx %x %jx\\n", $x, $x, $x, $x);  }']);
  t.regex(w.stderr, /^stdin:1:32-74: WARNING: ef cdef 78abcdef 12345678abcdef$/m, describeRun(w));
  const j = await runTsbpf(['-f', 'json', '-e', prog]);
  t.regex(j.stdout, /^\{"type": "errorf", "msg": "Something bad with args: 10, arg2", "filename": "stdin", "line": 1, "col": 9\}$/m, describeRun(j));
});

kernelTest('printf conversions end to end: %c %p %llx %hhu %-5d %05d %lu %s', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { printf("%c|%p|%llx|%hhu|%-5d|%05d|%lu|%s\\n", 65, 4096, 255, 257, 3, 42, 7, "s"); exit(); }']);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, 'A|0x1000|ff|1|3    |00042|7|s\n\n\n', describeRun(r));
});

kernelTest('print of non-map values: tuples, strings, bools, nested tuples (text and JSON)', async (t) => {
  const prog = 'BEGIN { print((1, "a", (2, "b"))); print("hi"); print(true); print(-5); exit(); }';
  const r = await runTsbpf(['-e', prog]);
  t.is(r.stdout, '(1, a, (2, b))\nhi\ntrue\n-5\n\n\n', describeRun(r));
  const j = await runTsbpf(['-q', '-f', 'json', '-e', prog]);
  t.is(j.stdout, '{"type": "value", "data": [1,"a",[2,"b"]]}\n{"type": "value", "data": "hi"}\n{"type": "value", "data": true}\n{"type": "value", "data": -5}\n', describeRun(j));
});

kernelTest('signal_thread needs --unsafe', async (t) => {
  const r = await runTsbpf(['-e', 'BEGIN { signal_thread("SIGUSR1"); exit(); }']);
  t.is(r.code, 1, describeRun(r));
  t.regex(r.stderr, /signal_thread\(\) is an unsafe function being used in safe mode/);
});
