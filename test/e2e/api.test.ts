/**
 * The programmatic API (runtime/api/, `import { trace, compile } from 'tsbpf'`) driven as a
 * service would drive it, in this test process, against the real kernel: traces running
 * concurrently, their events and map snapshots asserted exactly; compile() diagnostics; typed
 * errors with the CLI's text; cleanup on stop(), abort and process exit.
 *
 * The syscalls the traces watch are made by this process (filtered by its pid) on files and
 * signals only these tests use, so every count is known.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { bpf } from '../../native/index.js';
import { AttachError, compile, DiagnosticError, trace, VerifierError, type MapsSnapshot, type Trace, type TraceEvent } from 'tsbpf';
import { AS_NOBODY, bpfObjectsOf, eventually, haveSetpriv, kernelHasKprobes, kernelTest, REPO_ROOT, runTsbpf, uniqueTag } from '../helpers/tsbpf.js';

// A compile cache private to this test process (the API uses the caller's, as the CLI does).
const cacheHome = mkdtempSync(join(tmpdir(), 'tsbpf-api-cache-'));
process.env['XDG_CACHE_HOME'] = cacheHome;
process.once('exit', () => rmSync(cacheHome, { recursive: true, force: true }));

/** Every event of a trace, until it ends. */
async function collect(t: Trace): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const ev of t.events()) out.push(ev);
  return out;
}

/** A file name only this test opens, removed in teardown. */
function scratchFile(t: ExecutionContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-api-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

function openClose(path: string, flags: 'r' | 'w'): void {
  closeSync(openSync(path, flags));
}

const int = (v: number | bigint) => ({ kind: 'int' as const, value: BigInt(v) });
const str = (value: string) => ({ kind: 'str' as const, value });

/** Ids of the BPF programs this process holds now. */
function ownPrograms(): Set<number> {
  return new Set(bpfObjectsOf(process.pid).progIds);
}

kernelTest('two traces run concurrently in one process: both event streams and both map snapshots, exactly', async (t) => {
  const file = scratchFile(t, `open-${uniqueTag()}`);
  const opens = `tracepoint:syscalls:sys_enter_openat /pid == $1 && str(args.filename) == "${file}"/ {
    @opens[str(args.filename), args.flags & 3] = count();
    @access = lhist(args.flags & 3, 0, 4, 1);
    @st = stats(args.flags & 3);
    printf("open %s access=%d\\n", str(args.filename), args.flags & 3);
  }`;
  const kills = `tracepoint:syscalls:sys_enter_kill /pid == $1 && args.pid == $1/ {
    @sigs[args.sig] = count();
    @h = hist(args.sig);
    @total = sum(args.sig);
    @mean = avg(args.sig);
    @who[comm] = max(args.sig);
    @stk[kstack] = count();
    printf("kill sig %d\\n", args.sig);
  }`;
  const [a, b] = await Promise.all([trace(opens, { params: [process.pid] }), trace(kills, { params: [process.pid] })]);
  t.is(a.probes, 1);
  t.is(b.probes, 1);
  const eventsA = collect(a);
  const eventsB = collect(b);

  // Interleaved, so each trace sees only its own syscalls while the other runs.
  openClose(file, 'w');
  process.kill(process.pid, 0);
  openClose(file, 'r');
  process.kill(process.pid, 'SIGCONT');
  openClose(file, 'w');
  process.kill(process.pid, 0);
  openClose(file, 'r');
  process.kill(process.pid, 'SIGCONT');
  openClose(file, 'r');
  process.kill(process.pid, 0);

  const comm = readFileSync('/proc/self/comm', 'utf8').trim();
  const expectedA: MapsSnapshot = {
    '@access': {
      name: '@access',
      entries: [{ key: [], value: { kind: 'lhist', min: 0n, max: 4n, step: 1n, buckets: [{ min: 0n, max: 1n, count: 3n }, { min: 1n, max: 2n, count: 2n }] } }],
    },
    '@opens': {
      name: '@opens',
      entries: [
        { key: [str(file), int(1)], value: { kind: 'count', value: 2n } },
        { key: [str(file), int(0)], value: { kind: 'count', value: 3n } },
      ],
    },
    '@st': { name: '@st', entries: [{ key: [], value: { kind: 'stats', count: 5n, average: 0n, total: 2n } }] },
  };
  const liveA = await a.maps();
  t.deepEqual(liveA, expectedA);

  const liveB = await b.maps();
  // The kernel stack: symbolized frames, innermost first, ending in the syscall entry.
  const stacks = liveB['@stk']!.entries;
  t.is(stacks.length, 1);
  const stack = stacks[0]!.key[0]!;
  t.is(stack.kind, 'stack');
  const frames = stack.kind === 'stack' ? stack.frames : [];
  t.true(frames.some((f) => /^entry_SYSCALL_64/.test(f)), frames.join('\n'));
  t.deepEqual(stacks[0]!.value, { kind: 'count', value: 5n });
  const expectedB: MapsSnapshot = {
    '@h': {
      name: '@h',
      entries: [
        {
          key: [],
          value: {
            kind: 'hist',
            buckets: [
              { min: 0n, max: 1n, count: 3n },
              { min: 1n, max: 2n, count: 0n },
              { min: 2n, max: 4n, count: 0n },
              { min: 4n, max: 8n, count: 0n },
              { min: 8n, max: 16n, count: 0n },
              { min: 16n, max: 32n, count: 2n },
            ],
          },
        },
      ],
    },
    '@mean': { name: '@mean', entries: [{ key: [], value: { kind: 'avg', value: 7n } }] },
    '@sigs': {
      name: '@sigs',
      entries: [
        { key: [int(18)], value: { kind: 'count', value: 2n } },
        { key: [int(0)], value: { kind: 'count', value: 3n } },
      ],
    },
    '@stk': liveB['@stk']!,
    '@total': { name: '@total', entries: [{ key: [], value: { kind: 'sum', value: 36n } }] },
    '@who': { name: '@who', entries: [{ key: [str(comm)], value: { kind: 'max', value: 18n } }] },
  };
  t.deepEqual(liveB, expectedB);

  // stop() resolves with the final maps; the event streams end with it.
  t.deepEqual(await a.stop(), expectedA);
  t.deepEqual(await b.stop(), expectedB);
  const openEvent = (access: number): TraceEvent => ({
    kind: 'printf',
    format: 'open %s access=%d\n',
    args: [str(file), int(access)],
    text: `open ${file} access=${access}\n`,
    stream: 'stdout',
  });
  t.deepEqual(await eventsA, [openEvent(1), openEvent(0), openEvent(1), openEvent(0), openEvent(0)]);
  const killEvent = (sig: number): TraceEvent => ({ kind: 'printf', format: 'kill sig %d\n', args: [int(sig)], text: `kill sig ${sig}\n`, stream: 'stdout' });
  t.deepEqual(await eventsB, [killEvent(0), killEvent(18), killEvent(0), killEvent(18), killEvent(0)]);
  t.deepEqual(await a.finished, { exitCode: 0, reason: 'stop', maps: expectedA });
});

kernelTest("the script's exit() ends the events and the trace; print() events carry the map and the CLI's text", async (t) => {
  const script = `BEGIN { @n[1, "one"] = 10; @n[2, "two"] = 5; @s = "text"; print(@n); print((1, "x")); printf("%s-%d\\n", "a", -3); exit(4); printf("not printed\\n"); } END { printf("end\\n"); }`;
  const tr = await trace(script);
  const events = await collect(tr);
  const result = await tr.finished;
  t.is(result.exitCode, 4);
  t.is(result.reason, 'exit');
  const cli = await runTsbpf(['-e', script]);
  // The events' texts are the CLI's stdout up to the exit-time map dump, byte for byte.
  t.is(events.map((e) => e.text).join(''), cli.stdout.slice(0, cli.stdout.indexOf('\n\n\n') + 1));
  t.deepEqual(events.map((e) => e.kind), ['map', 'print', 'printf', 'printf']);
  t.deepEqual(events[0], {
    kind: 'map',
    map: {
      name: '@n',
      entries: [
        { key: [int(2), str('two')], value: { kind: 'int', value: 5n } },
        { key: [int(1), str('one')], value: { kind: 'int', value: 10n } },
      ],
    },
    text: '@n[2, two]: 5\n@n[1, one]: 10\n',
    stream: 'stdout',
  });
  t.deepEqual(events[1], { kind: 'print', value: { kind: 'tuple', elems: [int(1), str('x')] }, text: '(1, x)\n', stream: 'stdout' });
  t.deepEqual(events[2], { kind: 'printf', format: '%s-%d\n', args: [str('a'), int(-3)], text: 'a--3\n', stream: 'stdout' });
  t.deepEqual(events[3], { kind: 'printf', format: 'end\n', args: [], text: 'end\n', stream: 'stdout' });
  t.deepEqual(result.maps['@s'], { name: '@s', entries: [{ key: [], value: { kind: 'value', value: str('text') } }] });
  t.deepEqual(await tr.stop(), result.maps);
});

kernelTest('compile() returns diagnostics with spans; trace() rejects with a DiagnosticError; both with the CLI\'s text', async (t) => {
  const script = 'BEGIN { printf("%d\\n", nosuch); }';
  const r = await compile(script);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.diagnostics, [{ severity: 'error', code: 'unknown-identifier', message: "Unknown identifier: 'nosuch'", span: { start: 23, end: 29 } }]);
  const cli = await runTsbpf(['-e', script]);
  t.is(cli.code, 1);
  t.is(`${r.message}\n`, cli.stderr);
  const e = await t.throwsAsync(trace(script), { instanceOf: DiagnosticError });
  t.is(e?.message, r.message);
  t.deepEqual(e?.diagnostics, r.diagnostics);

  // Filtered to this process (which makes no getppid call here), so other processes' calls cannot count.
  const ok = await compile(`tracepoint:syscalls:sys_enter_getppid /pid == ${process.pid}/ { @ = count(); }`);
  t.true(ok.ok);
  if (ok.ok) {
    t.deepEqual(ok.script.programs.map((p) => p.probe.name), ['tracepoint:syscalls:sys_enter_getppid']);
    // The compiled form runs as is.
    const tr = await trace(ok.script);
    t.is(tr.probes, 1);
    t.deepEqual(await tr.stop(), { '@': { name: '@', entries: [] } });
  }
});

kernelTest('compile() reports diagnostics without root', async (t) => {
  const code = `import { compile } from 'tsbpf';
    const r = await compile('BEGIN { @x = count(1, 2); }', { noCache: true });
    process.stdout.write(JSON.stringify(r));`;
  const child = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '--input-type=module', '-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(status, 0, err);
  const r = JSON.parse(out) as { ok: boolean; diagnostics: { code: string; span: { start: number; end: number } }[]; message: string };
  t.false(r.ok);
  t.deepEqual(r.diagnostics.map((d) => [d.code, d.span]), [['wrong-argument-count', { start: 13, end: 24 }]]);
  t.regex(r.message, /^stdin:1:14-25: ERROR: /);
}, { needs: () => (haveSetpriv() ? undefined : 'needs setpriv') });

kernelTest('an attach failure rejects with an AttachError carrying the CLI\'s text, and leaves nothing loaded', async (t) => {
  const script = 'kprobe:tcp_set_state { @x = count(); }';
  const before = ownPrograms();
  const e = await t.throwsAsync(trace(script), { instanceOf: AttachError });
  const cli = await runTsbpf(['-e', script]);
  t.is(`${e?.message}\n`, cli.stderr);
  t.is(e?.probe, 'kprobe:tcp_set_state');
  t.deepEqual(ownPrograms(), before);
}, { serial: true, needs: () => (kernelHasKprobes() ? 'this kernel has kprobes, so kprobe:tcp_set_state attaches' : undefined) });

kernelTest('a program the verifier refuses rejects trace() with a VerifierError, and leaves nothing loaded', async (t) => {
  const compiled = await compile('tracepoint:syscalls:sys_enter_getppid { @ = count(); }');
  if (!compiled.ok) return t.fail(compiled.message);
  // A compiled form whose program exits without setting r0 (BPF_EXIT alone): the verifier refuses it.
  const exitOnly = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]).toString('base64');
  const broken = { ...compiled.script, programs: compiled.script.programs.map(({ subprogs: _callbacks, ...p }) => ({ ...p, insns: exitOnly })) };
  const before = ownPrograms();
  const e = await t.throwsAsync(trace(broken), { instanceOf: VerifierError });
  t.is(e?.probe, 'tracepoint:syscalls:sys_enter_getppid');
  t.regex(e?.message ?? '', /^ERROR: the kernel's verifier rejected the program for tracepoint:syscalls:sys_enter_getppid: R0 !read_ok \(EACCES\)$/m);
  t.deepEqual(ownPrograms(), before);
}, { serial: true });

kernelTest('stop() detaches and unloads: none of the trace\'s programs is left in the kernel', async (t) => {
  const before = ownPrograms();
  const tr = await trace('tracepoint:syscalls:sys_enter_getppid { @ = count(); } tracepoint:syscalls:sys_enter_getpid { @ = count(); }');
  const ours = [...ownPrograms()].filter((id) => !before.has(id));
  t.is(ours.length, 2);
  t.true(ours.every((id) => bpf.progInfoById(id) !== null));
  await tr.stop();
  t.deepEqual(ownPrograms(), before);
  t.true(await eventually(() => ours.every((id) => bpf.progInfoById(id) === null)), `left: ${ours.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
}, { serial: true });

kernelTest('an AbortSignal stops a running trace, and rejects a trace() still starting', async (t) => {
  const before = ownPrograms();
  const controller = new AbortController();
  const tr = await trace('tracepoint:syscalls:sys_enter_getppid { @ = count(); } END { printf("end\\n"); }', { signal: controller.signal });
  t.is(ownPrograms().size, before.size + 2);
  const events = collect(tr);
  controller.abort();
  const result = await tr.finished;
  t.is(result.reason, 'abort');
  t.deepEqual((await events).map((e) => e.text), ['end\n']);
  t.deepEqual(ownPrograms(), before);

  const early = new AbortController();
  const starting = trace('tracepoint:syscalls:sys_enter_getppid { @ = count(); }', { signal: early.signal });
  early.abort();
  // Rejected with the signal's reason, as fetch() is: a DOMException named AbortError.
  const reason = await starting.then(() => undefined, (e: unknown) => e);
  t.is((reason as DOMException | undefined)?.name, 'AbortError');
  t.deepEqual(ownPrograms(), before);
}, { serial: true });

kernelTest('a process that exits with traces running leaves nothing loaded', async (t) => {
  const code = `import { trace } from 'tsbpf';
    import { readdirSync, readFileSync } from 'node:fs';
    await trace('tracepoint:syscalls:sys_enter_getppid { @a = count(); }');
    await trace('tracepoint:syscalls:sys_enter_getpid { @b = count(); }');
    const ids = readdirSync('/proc/self/fdinfo').map((fd) => { try { return /^prog_id:\\s+(\\d+)$/m.exec(readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))?.[1]; } catch { return undefined; } }).filter(Boolean);
    process.stdout.write(JSON.stringify(ids.map(Number)));
    process.exit(0);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(status, 0, err);
  const ids = JSON.parse(out) as number[];
  t.is(ids.length, 2, out);
  t.true(await eventually(() => ids.every((id) => bpf.progInfoById(id) === null)), `left: ${ids.filter((id) => bpf.progInfoById(id) !== null).join(', ')}`);
});
