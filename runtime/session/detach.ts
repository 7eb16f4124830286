/**
 * Detaching many probes at once. Closing a perf event that runs a BPF program costs the kernel RCU
 * grace periods (perf_event_detach_bpf_prog, the tracepoint's unregister): ~75 ms per event on
 * kernel 6.18, so the 360 `tracepoint:syscalls:sys_enter_*` probes took 27 s to detach one after
 * another (bpftrace 0.17 too). Closes from parallel threads overlap in part: 24 tracepoint events
 * took 1770 ms closed serially, 915-980 ms from 4 or 24 threads (~38 ms a descriptor stays
 * serialized). So the attachments are closed here for a short budget, and whatever is left is
 * handed to a short-lived child process that inherits the descriptors: our close then only drops a
 * reference, and the kernel's slow release runs in the child (native/src/release.c closes them
 * from up to 32 threads; without that build, `sh`'s exit closes them one by one), while this
 * process runs END and prints its maps. The promise closeAttachments returns settles when that
 * child has exited, i.e. when the kernel has released every probe: the CLI waits for it before it
 * ends (nothing is left attached after tsbpf exits), unless a second Ctrl-C leaves the rest of the
 * release to the child (runtime/cli.ts).
 *
 * At the end of a run (Session.finish) nothing is closed on the JavaScript thread: the close(2)
 * calls, which block for the grace periods without using the CPU, run on libuv's threadpool
 * (`closeInThreads`), while the session prepares the printing (the kernel symbol table); more
 * than a few guarded attachments go to the child at once (`releaseAttachments`).
 */
import { close } from 'node:fs';
import { createRequire } from 'node:module';
import { bpf, nativeFile } from '../../native/index.js';

/** How long detaching may hold up the end of a run before the rest is handed off. */
const DETACH_BUDGET_MS = 100;

/** Closes `fds`; resolves with how many were handed off, once the kernel has released them all. */
export function closeAttachments(fds: readonly number[], budgetMs = DETACH_BUDGET_MS): Promise<number> {
  // hrtime, not performance.now(): the first use of `performance` loads node:perf_hooks (~1.5 ms at every exit).
  const elapsedMs = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
  const start = process.hrtime.bigint();
  let i = 0;
  for (; i < fds.length && elapsedMs(start) < budgetMs; i++) closeQuietly(fds[i]!);
  if (i === fds.length) return Promise.resolve(0);
  const rest = fds.slice(i);
  return handOff(rest).then(() => rest.length);
}

/**
 * At most this many attachments are closed in libuv's threadpool (its 4 threads) at the end of a
 * run; more go to the hand-off child. A process cannot end while a thread of it is in close(2),
 * so a second Ctrl-C would wait for these: a few grace periods at most.
 */
const THREADPOOL_CLOSES = 4;

/**
 * Closes `fds` off the JavaScript thread (node's fs.close runs close(2) on libuv's threadpool,
 * for any descriptor); resolves when every close has returned, i.e. the kernel has released them.
 */
export function closeInThreads(fds: readonly number[]): Promise<void> {
  return Promise.all(fds.map((fd) => new Promise<void>((resolve) => close(fd, () => resolve())))).then(() => undefined);
}

/**
 * Releases guarded attachments (their programs return at once: `.stopped` is set) without holding
 * up the end of the run: a few are closed in the threadpool, more handed to the child at once.
 * Resolves as closeAttachments does, when the kernel has released them all.
 */
export function releaseAttachments(fds: readonly number[]): Promise<number> {
  if (fds.length <= THREADPOOL_CLOSES) return closeInThreads(fds).then(() => 0);
  return handOff(fds).then(() => fds.length);
}

function closeQuietly(fd: number): void {
  try {
    bpf.close(fd);
  } catch {
    // Already closed.
  }
}

/** The program the hand-off child runs for `count` descriptors, passed as its fds 3 .. count+2. */
export function releaseChildCommand(count: number): { file: string; args: string[] } {
  const helper = nativeFile('tsbpf-release');
  return helper ? { file: helper, args: [String(count)] } : { file: '/bin/sh', args: ['-c', 'read _'] };
}

/**
 * The child (`tsbpf-release`, else `sh -c 'read _'`) holds copies of `fds` until we close its
 * stdin, which is after our own copies are closed, so the last reference, and the slow release, is
 * always the child's: tsbpf-release then closes them from parallel threads, sh in its exit. It is
 * in its own process group (a second Ctrl-C at the terminal does not reach it); the returned
 * promise settles when it has exited, which is after the kernel's release of every descriptor
 * (an exiting task closes its files, and waits for their release, before it becomes a zombie).
 */
function handOff(fds: readonly number[]): Promise<void> {
  let child;
  try {
    // node:child_process on first use only (start-up time).
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const { file, args } = releaseChildCommand(fds.length);
    child = spawn(file, args, { stdio: ['pipe', 'ignore', 'ignore', ...fds], detached: true });
  } catch {
    child = undefined;
  }
  if (!child?.pid || !child.stdin) {
    // No child (out of processes or descriptors): close them here, however long it takes.
    for (const fd of fds) closeQuietly(fd);
    return Promise.resolve();
  }
  for (const fd of fds) closeQuietly(fd);
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', () => resolve());
  });
  child.stdin.end();
  // Not unref'd: node stays up until the kernel has released them (a process that must end
  // sooner, as the CLI on a second Ctrl-C, exits explicitly and leaves the child to finish).
  return exited;
}
