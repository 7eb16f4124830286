/**
 * The compile worker dies with its parent, however the parent dies (SIGKILL included): the kernel
 * kills it (PR_SET_PDEATHSIG), and the parent keeps stdin open until the reply, so its end means
 * the parent is gone (src/compile-worker-serve.ts). argv[2] is the parent's pid.
 */
import { loadProc } from '../native/proc.js';

const SIGKILL = 9;

/** Ask the kernel to kill this process when its parent dies; exits at once when it already has. */
export function dieWithParent(): void {
  const expectedParent = Number(process.argv[2]);
  try {
    const proc = loadProc();
    proc.setParentDeathSignal(SIGKILL);
    // The parent may have died before the prctl took effect: then the worker has been re-parented.
    if (expectedParent > 0 && proc.getppid() !== expectedParent) process.exit(1);
  } catch {
    // tsbpf_proc.node is not built: the end of stdin still ends the worker (between compile steps).
  }
}
