// Loader for tsbpf_proc.node (prctl and a background dlopen for the compile worker). Kept apart from native/index.ts, and
// loaded with process.dlopen rather than createRequire, because the worker loads it before
// anything else: this costs ~0.2 ms where importing native/index.ts costs ~2.8 ms and
// tsbpf_bpf.node (libbpf, libelf) ~0.6 ms (measured on this machine kind).
import { nativeFile } from './search-dirs.js';

export interface ProcNative {
  /** prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` when the forking thread exits. Throws NativeError-shaped errors. */
  setParentDeathSignal(signal: number): void;
  /** getppid(2), asked now (node's process.ppid is fixed at start-up). */
  getppid(): number;
  /**
   * dlopen(2) each path, in order, on a detached thread, and keep them loaded; returns at once.
   * Only node-API addons that register through `napi_register_module_v1` (node-addon-api's
   * NODE_API_MODULE), which node still initialises when it loads them. Failures are not reported.
   */
  preloadLibraries(paths: readonly string[]): void;
}

let loaded: ProcNative | undefined;

/** Loads tsbpf_proc.node (once); throws when it is not built. */
export function loadProc(): ProcNative {
  if (loaded) return loaded;
  const path = nativeFile('tsbpf_proc.node');
  if (path === undefined) throw new Error('tsbpf: native add-on tsbpf_proc.node not found; run `npm run build:native`');
  const module = { exports: {} as ProcNative };
  process.dlopen(module, path);
  return (loaded = module.exports);
}
