/**
 * Environment variables that change what the compiler produces (runtime/compile/compiler.ts puts them in
 * the compile cache key): the ring buffer size, tseries' test clock, the stack mode, max_strlen,
 * max_map_keys, missing_probes, print_maps_on_exit, str_trunc_trailer, cpp_demangle, show_debug_info, license, log_size,
 * max_cat_bytes, max_probes, max_bpf_progs, on_stack_limit, --traceable-functions, TSBPF_PKT_HELPERS, and
 * PATH (`uprobe:name` finds its binary through it, src/kernel/user-paths.ts).
 */
export const COMPILE_ENV_VARS = [
  'BPFTRACE_PERF_RB_PAGES', 'BPFTRACE_DUMMY_TS_MAP', 'BPFTRACE_STACK_MODE', 'BPFTRACE_MAX_STRLEN', 'PATH',
  // The other config variables whose BPFTRACE_* form changes the compiled script (src/passes/config.ts).
  'BPFTRACE_MAX_MAP_KEYS', 'BPFTRACE_MISSING_PROBES', 'BPFTRACE_PRINT_MAPS_ON_EXIT', 'BPFTRACE_STR_TRUNC_TRAILER',
  'BPFTRACE_EXPORT_MAX_SERIES',
  'BPFTRACE_CPP_DEMANGLE', 'BPFTRACE_SHOW_DEBUG_INFO', 'BPFTRACE_LICENSE', 'BPFTRACE_LOG_SIZE', 'BPFTRACE_MAX_CAT_BYTES', 'BPFTRACE_MAX_PROBES', 'BPFTRACE_MAX_BPF_PROGS',
  'BPFTRACE_ON_STACK_LIMIT',
  // --traceable-functions FILE: the kernel functions kprobe wildcards match (src/providers/kprobe.ts).
  'TSBPF_TRACEABLE_FUNCTIONS',
  // TSBPF_PKT_HELPERS=1: packet probes read headers with bpf_xdp/skb_load_bytes, not direct packet access (src/builtins/packet.ts; for measuring).
  'TSBPF_PKT_HELPERS',
  // The kernel types come from this BTF file instead of /sys/kernel/btf/vmlinux (src/kernel/btf.ts).
  'BPFTRACE_BTF',
  // --no-feature uprobe_multi: wildcarded uprobes attach one perf event per match (src/passes/multi-link.ts).
  'TSBPF_NO_FEATURES',
] as const;
