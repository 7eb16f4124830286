/**
 * Environment variables that change what the compiler produces (runtime/compile/compiler.ts puts them in
 * the compile cache key): the ring buffer size, tseries' test clock, the stack mode, max_strlen,
 * max_map_keys, missing_probes, print_maps_on_exit, str_trunc_trailer, --traceable-functions, and
 * PATH (`uprobe:name` finds its binary through it, src/kernel/user-paths.ts).
 */
export const COMPILE_ENV_VARS = [
  'BPFTRACE_PERF_RB_PAGES', 'BPFTRACE_DUMMY_TS_MAP', 'BPFTRACE_STACK_MODE', 'BPFTRACE_MAX_STRLEN', 'PATH',
  // The other config variables whose BPFTRACE_* form changes the compiled script (src/passes/config.ts).
  'BPFTRACE_MAX_MAP_KEYS', 'BPFTRACE_MISSING_PROBES', 'BPFTRACE_PRINT_MAPS_ON_EXIT', 'BPFTRACE_STR_TRUNC_TRAILER',
  'BPFTRACE_EXPORT_MAX_SERIES',
  // --traceable-functions FILE: the kernel functions kprobe wildcards match (src/providers/kprobe.ts).
  'TSBPF_TRACEABLE_FUNCTIONS',
] as const;
