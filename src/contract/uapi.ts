/**
 * Kernel uapi numbers tsbpf uses (include/uapi/linux/bpf.h): the one table of them. The compiler
 * (builtins, codegen, providers) emits them; the runtime reads map types back from a compiled script.
 */

/** BPF helper ids (`__BPF_FUNC_MAPPER`). */
export const Helper = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  skb_load_bytes: 26,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_comm: 16,
  get_stackid: 27,
  get_current_task: 35,
  probe_write_user: 36,
  get_numa_node_id: 42,
  get_socket_cookie: 46,
  override_return: 58,
  get_stack: 67,
  get_current_cgroup_id: 80,
  send_signal: 109,
  skb_output: 111,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  send_signal_thread: 117,
  jiffies64: 118,
  get_ns_current_pid_tgid: 120,
  ktime_get_boot_ns: 125,
  d_path: 147,
  per_cpu_ptr: 153,
  this_cpu_ptr: 154,
  ringbuf_output: 130,
  redirect: 23,
  xdp_get_buff_len: 188,
  xdp_load_bytes: 189,
  for_each_map_elem: 164,
  get_func_ip: 173,
  loop: 181,
  map_lookup_percpu_elem: 195,
  ktime_get_tai_ns: 208,
} as const;

/** BPF map types (`enum bpf_map_type`). */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  RINGBUF: 27,
} as const;

/** BPF map types whose values are per CPU (the runtime reads one slot per CPU). */
export function isPerCpuMapType(bpfType: number): boolean {
  return bpfType === MapType.PERCPU_HASH || bpfType === MapType.PERCPU_ARRAY || bpfType === MapType.LRU_PERCPU_HASH;
}

/** BPF program types (`enum bpf_prog_type`). */
export const ProgType = {
  KPROBE: 2,
  SCHED_CLS: 3,
  TRACEPOINT: 5,
  XDP: 6,
  PERF_EVENT: 7,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
} as const;

/** `enum bpf_prog_type` names (bpftool's spelling), indexed by the value: `tsbpf top` shows them. */
export const PROG_TYPE_NAMES: readonly string[] = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb',
  'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint',
  'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport', 'flow_dissector', 'cgroup_sysctl',
  'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];

/** `enum bpf_attach_type` names, indexed by the value. */
export const ATTACH_TYPE_NAMES: readonly string[] = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_sock_ops', 'sk_skb_stream_parser',
  'sk_skb_stream_verdict', 'cgroup_device', 'sk_msg_verdict', 'cgroup_inet4_bind', 'cgroup_inet6_bind',
  'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind',
  'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'lirc_mode2', 'flow_dissector', 'cgroup_sysctl', 'cgroup_udp4_recvmsg',
  'cgroup_udp6_recvmsg', 'cgroup_getsockopt', 'cgroup_setsockopt', 'trace_raw_tp', 'fentry', 'fexit', 'fmod_ret',
  'lsm_mac', 'trace_iter', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname', 'xdp_devmap', 'cgroup_inet_sock_release', 'xdp_cpumap', 'sk_lookup', 'xdp',
  'sk_skb_verdict', 'sk_reuseport_select', 'sk_reuseport_select_or_migrate', 'perf_event', 'trace_kprobe_multi',
  'lsm_cgroup', 'struct_ops', 'netfilter', 'tcx_ingress', 'tcx_egress', 'trace_uprobe_multi', 'cgroup_unix_connect',
  'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg', 'cgroup_unix_getpeername', 'cgroup_unix_getsockname', 'netkit_primary',
  'netkit_peer', 'trace_kprobe_session', 'trace_uprobe_session',
];

/** `enum bpf_link_type` values (the kinds `tsbpf top` decodes), and every name indexed by the value. */
export const LinkType = {
  RAW_TRACEPOINT: 1, TRACING: 2, CGROUP: 3, ITER: 4, NETNS: 5, XDP: 6, PERF_EVENT: 7, KPROBE_MULTI: 8,
  STRUCT_OPS: 9, NETFILTER: 10, TCX: 11, UPROBE_MULTI: 12, NETKIT: 13, SOCKMAP: 14,
} as const;
export const LINK_TYPE_NAMES: readonly string[] = [
  'unspec', 'raw_tracepoint', 'tracing', 'cgroup', 'iter', 'netns', 'xdp', 'perf_event', 'kprobe_multi', 'struct_ops',
  'netfilter', 'tcx', 'uprobe_multi', 'netkit', 'sockmap',
];

/** `bpf_link_info.perf_event.type` (`enum bpf_perf_event_type`). */
export const PerfEventLinkKind = { UPROBE: 1, URETPROBE: 2, KPROBE: 3, KRETPROBE: 4, TRACEPOINT: 5, EVENT: 6 } as const;

/** `enum bpf_task_fd_type` (BPF_TASK_FD_QUERY). */
export const TaskFdType = { RAW_TRACEPOINT: 0, TRACEPOINT: 1, KPROBE: 2, KRETPROBE: 3, UPROBE: 4, URETPROBE: 5 } as const;

/** BPF attach types (`enum bpf_attach_type`) used by providers. */
export const AttachType = {
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  TRACE_ITER: 28,
  XDP: 37,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
  TRACE_UPROBE_MULTI: 48,
} as const;

/** XDP program verdicts (`enum xdp_action`). */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

/**
 * tc verdicts (include/uapi/linux/pkt_cls.h): UNSPEC (-1) is tcx's TCX_NEXT, "as if this program
 * were not there" (the next program decides, or the packet goes on).
 */
export const TcAction = { UNSPEC: -1, OK: 0, SHOT: 2 } as const;

/** `bpf_link_create` flags for BPF_XDP (include/uapi/linux/if_link.h XDP_FLAGS_*). */
export const XdpFlags = { SKB_MODE: 2, DRV_MODE: 4 } as const;
