/**
 * Environment variables that change what the compiler produces (runtime/compiler.ts puts them in
 * the compile cache key): the ring buffer size, tseries' test clock, the stack mode, max_strlen, str_trunc_trailer, and
 * PATH (`uprobe:name` finds its binary through it, src/kernel/user-paths.ts).
 */
export const COMPILE_ENV_VARS = ['BPFTRACE_PERF_RB_PAGES', 'BPFTRACE_DUMMY_TS_MAP', 'BPFTRACE_STACK_MODE', 'BPFTRACE_MAX_STRLEN', 'BPFTRACE_STR_TRUNC_TRAILER', 'PATH'] as const;
