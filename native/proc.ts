// Loader for tsbpf_proc.node (prctl for the compile worker). Kept apart from native/index.ts, and
// loaded with process.dlopen rather than createRequire, because the worker loads it before
// anything else: this costs ~0.2 ms where importing native/index.ts costs ~2.8 ms and
// tsbpf_bpf.node (libbpf, libelf) ~0.6 ms (measured on this machine kind).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nativeSearchDirs } from './search-dirs.js';

export interface ProcNative {
  /** prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` when the forking thread exits. Throws NativeError-shaped errors. */
  setParentDeathSignal(signal: number): void;
  /** getppid(2), asked now (node's process.ppid is fixed at start-up). */
  getppid(): number;
}

/** Loads tsbpf_proc.node; throws when it is not built. */
export function loadProc(): ProcNative {
  for (const d of nativeSearchDirs()) {
    const path = join(d, 'tsbpf_proc.node');
    if (!existsSync(path)) continue;
    const module = { exports: {} as ProcNative };
    process.dlopen(module, path);
    return module.exports;
  }
  throw new Error('tsbpf: native add-on tsbpf_proc.node not found; run `npm run build:native`');
}
