/**
 * native/src/release.c (tsbpf-release), the child runtime/session/detach.ts hands probes to: it
 * holds the descriptors until its stdin ends, then closes descriptors 3..COUNT+2 (from parallel
 * threads) and exits 0. Pipes stand in for the probes' perf events here (the kernel tests:
 * test/e2e/exit-path.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { nativeFile } from '../../../native/index.js';
import { releaseChildCommand } from '../../../runtime/session/detach.js';
import { REPO_ROOT } from '../../helpers/tsbpf.js';

const HELPER = join(REPO_ROOT, 'native/build/Release/tsbpf-release');

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': stderr's last data may come after the exit event.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Until `pid` runs tsbpf-release and blocks in read(2) on its stdin (/proc/PID/syscall: "0 0x0 ..."). */
async function blockedOnStdin(pid: number): Promise<boolean> {
  for (let i = 0; i < 1000; i++) {
    try {
      if (readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith('0 0x0 ')) return true;
    } catch {
      // Not there yet, or gone.
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

test('detach.ts hands off to the built tsbpf-release, with the number of descriptors', (t) => {
  t.is(nativeFile('tsbpf-release'), HELPER);
  t.deepEqual(releaseChildCommand(360), { file: HELPER, args: ['360'] });
});

test('it holds every descriptor until its stdin ends, then closes 3..COUNT+2 and exits 0', async (t) => {
  const count = 40;
  const child = spawn(HELPER, [String(count)], { stdio: ['pipe', 'ignore', 'pipe', ...Array<'pipe'>(count).fill('pipe')] });
  const exited = exitOf(child);
  const ends = child.stdio.slice(3).map(
    (s) => new Promise<void>((resolve) => {
      s!.on('close', () => resolve());
      (s as NodeJS.ReadableStream).resume();
    }),
  );
  t.true(await blockedOnStdin(child.pid!), 'blocked reading its stdin');
  const held = readdirSync(`/proc/${child.pid}/fd`).map(Number).filter((fd) => fd >= 3 && fd < 3 + count).sort((a, b) => a - b);
  t.deepEqual(held, Array.from({ length: count }, (_, i) => 3 + i), 'nothing closed before stdin ends');
  child.stdin!.end();
  t.deepEqual(await exited, { code: 0, stderr: '' });
  await Promise.all(ends);
});

test('a bad COUNT is a usage error (exit 2), and nothing is waited for', async (t) => {
  for (const args of [[], ['x'], ['-1'], ['3', '4'], ['']]) {
    const r = await exitOf(spawn(HELPER, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    t.is(r.code, 2, `args ${JSON.stringify(args)}`);
    t.regex(r.stderr, /^usage: tsbpf-release COUNT/, `args ${JSON.stringify(args)}`);
  }
});
