/**
 * Detaching many probes at once. Closing a perf event that runs a BPF program costs the kernel a
 * tasks-trace RCU grace period (perf_event_detach_bpf_prog waits for one under a global mutex):
 * 40-80 ms per event, one after another, so the 360 `tracepoint:syscalls:sys_enter_*` probes took
 * 28 s to detach (bpftrace 0.17 too), and in parallel threads no faster. So the attachments are
 * closed here for a short budget, and whatever is left is handed to a short-lived child process
 * that inherits the descriptors: our close then only drops a reference, and the kernel's slow
 * release runs in the child's exit, while this process prints its maps and ends.
 */
import { createRequire } from 'node:module';
import { bpf } from '../../native/index.js';

/** How long detaching may hold up the end of a run before the rest is handed off. */
const DETACH_BUDGET_MS = 100;

export function closeAttachments(fds: readonly number[], budgetMs = DETACH_BUDGET_MS): void {
  const start = performance.now();
  let i = 0;
  for (; i < fds.length && performance.now() - start < budgetMs; i++) closeQuietly(fds[i]!);
  if (i < fds.length) handOff(fds.slice(i));
}

function closeQuietly(fd: number): void {
  try {
    bpf.close(fd);
  } catch {
    // Already closed.
  }
}

/**
 * The child (`sh -c 'read _'`) holds copies of `fds` until we close its stdin, which is after our
 * own copies are closed, so the last reference, and the slow release, is always the child's.
 */
function handOff(fds: readonly number[]): void {
  let child;
  try {
    // node:child_process on first use only (start-up time).
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    child = spawn('/bin/sh', ['-c', 'read _'], { stdio: ['pipe', 'ignore', 'ignore', ...fds], detached: true });
  } catch {
    child = undefined;
  }
  if (!child?.pid || !child.stdin) {
    // No child (out of processes or descriptors): close them here, however long it takes.
    for (const fd of fds) closeQuietly(fd);
    return;
  }
  for (const fd of fds) closeQuietly(fd);
  child.on('error', () => undefined);
  child.stdin.end();
  child.unref();
}
