/**
 * What each function of the language does, in one table: the signature and a short description.
 * `LIBRARY_FUNCTIONS` records get theirs from here as their `doc` (src/builtins/functions.ts), and
 * the functions lowering handles itself (aggregations, printf, print, ...) are looked up here too;
 * the shell's `.help FUNCTION` prints it. A unit test checks every callable name has an entry.
 */

export interface FunctionDoc {
  /** Call forms, one per line: `hist(int64 n[, int k]) -> hist_t`. */
  readonly signature: string;
  /** What it does, in a sentence or three. */
  readonly doc: string;
}

const d = (signature: string, doc: string): FunctionDoc => ({ signature, doc });

export const FUNCTION_DOCS: Readonly<Record<string, FunctionDoc>> = {
  // Aggregations (values of a map assignment: @m[k] = count()).
  count: d('count() -> count_t', 'Counts the times it is called: `@[comm] = count();`.'),
  sum: d('sum(int64 n) -> sum_t', 'Adds up n.'),
  min: d('min(int64 n) -> min_t', 'The smallest n seen.'),
  max: d('max(int64 n) -> max_t', 'The largest n seen.'),
  avg: d('avg(int64 n) -> avg_t', 'The average of n (integer division of the sum by the count).'),
  stats: d('stats(int64 n) -> stats_t', 'Count, average and total of n, printed together.'),
  hist: d('hist(int64 n[, int k]) -> hist_t', 'A power-of-two histogram of n; k (0-5) splits each power of two into 2^k buckets.'),
  lhist: d('lhist(int64 n, int64 min, int64 max, int64 step) -> lhist_t', 'A linear histogram of n from min to max in buckets of step.'),
  tseries: d('tseries(int64 n, duration interval, int64 num_intervals[, string agg]) -> tseries_t', 'A time series of n over the last num_intervals intervals; agg is "avg", "max", "min" or "sum".'),

  // Statements handled by lowering.
  printf: d('printf(string fmt, ...)', 'Prints the arguments formatted as C printf does (%d %u %x %s %c %p %r ...).'),
  print: d('print(@map[, int top[, int div]])\nprint(value)', 'Prints a map (its top entries, values divided by div) or any value.'),
  clear: d('clear(@map)', 'Removes every entry of a map.'),
  zero: d('zero(@map)', 'Sets every value of a map to zero, keeping the keys.'),
  delete: d('delete(@map[key])\ndelete(@map, key)', 'Removes one entry of a map.'),
  exit: d('exit([int code])', 'Ends the run (END probes run, maps are printed); the process exits with code.'),
  time: d('time([string fmt])', 'Prints the current time formatted by strftime (default "%H:%M:%S\\n").'),
  redirect: d('redirect(string ifname)', 'In xdp and tc probes (--unsafe): sends the packet out of the named interface (bpf_redirect to its egress).'),
  str: d('str(char *s[, int n]) -> string', 'Reads a NUL-terminated string from a kernel or user address (at most n bytes).'),

  // Maps.
  has_key: d('has_key(@map, key) -> bool', 'Whether the map has an entry for key.'),
  len: d('len(@map) -> int64', 'The number of entries of a map.'),

  // Process, task and system.
  pid: d('pid([curr_ns | init]) -> uint32', 'The process id (thread group id) of the current task, in bpftrace\'s or the initial pid namespace.'),
  tid: d('tid([curr_ns | init]) -> uint32', 'The thread id of the current task.'),
  ppid: d('ppid([struct task_struct *task]) -> uint32', 'The parent process id of the current (or given) task.'),
  pcomm: d('pcomm([struct task_struct *task]) -> string', 'The command name of the parent of the current (or given) task.'),
  leader_tid: d('leader_tid([struct task_struct *task]) -> uint32', 'The thread id of the thread group leader.'),
  leader_comm: d('leader_comm([struct task_struct *task]) -> string', 'The command name of the thread group leader.'),
  comm: d('comm -> string', 'The command name of the current task (16 bytes).'),
  uid: d('uid -> uint32', 'The user id of the current task.'),
  gid: d('gid -> uint32', 'The group id of the current task.'),
  username: d('username -> string', 'The name of the current task\'s user (looked up when printed).'),
  cpu: d('cpu -> uint32', 'The CPU the probe runs on.'),
  ncpus: d('ncpus -> uint64', 'The number of CPUs (possible CPUs) of the machine.'),
  numaid: d('numaid -> uint32', 'The NUMA node of the CPU the probe runs on.'),
  curtask: d('curtask -> struct task_struct *', 'The current task\'s task_struct.'),
  cgroup: d('cgroup -> uint64', 'The cgroup v2 id of the current task.'),
  cgroupid: d('cgroupid(string path) -> uint64', 'The id of the cgroup at path (read when the script is compiled).'),
  cgroup_path: d('cgroup_path(int cgroupid[, string filter]) -> cgroup_path_t', 'The path of a cgroup by id, resolved in user space when printed.'),
  cpid: d('cpid -> uint32', 'The pid of the command started with -c.'),
  has_cpid: d('has_cpid -> bool', 'Whether a -c command was given (so cpid means something).'),
  rand: d('rand -> uint32', 'A pseudo-random number.'),
  nsecs: d('nsecs([monotonic | boot | tai | sw_tai]) -> uint64', 'A timestamp in nanoseconds from the given clock (default monotonic).'),
  elapsed: d('elapsed -> uint64', 'Nanoseconds since the run started.'),
  jiffies: d('jiffies -> uint64', 'The kernel\'s jiffies counter.'),
  func: d('func -> string', 'The name of the traced function (kprobe, uprobe, fentry).'),
  probe: d('probe -> string', 'The full name of the probe that fired ("tracepoint:syscalls:sys_enter_openat").'),
  retval: d('retval -> int64', 'The return value of the traced function (kretprobe, uretprobe, fexit).'),
  probetype: d('probetype -> string', 'The probe\'s type: "tracepoint", "kprobe", ...'),
  usermode: d('usermode -> uint8', '1 if the probe fired while the CPU ran user code, 0 in the kernel.'),

  // Stacks, symbols and addresses.
  kstack: d('kstack([mode][, int limit]) -> kstack_t', 'The kernel stack trace (mode bpftrace, perf or raw; at most limit frames).'),
  ustack: d('ustack([mode][, int limit]) -> ustack_t', 'The user stack trace of the current thread.'),
  ksym: d('ksym(uint64 addr) -> ksym_t', 'The kernel symbol an address is in (resolved when printed).'),
  usym: d('usym(uint64 addr) -> usym_t', 'The user symbol an address is in, for the current process.'),
  kaddr: d('kaddr(string symbol) -> uint64', 'The address of a kernel symbol.'),
  uaddr: d('uaddr(string symbol) -> T *', 'The address of a symbol in the probed binary (uprobes, usdt).'),
  reg: d('reg(string name) -> uint64', 'The value of a CPU register at the probe ("ip", "sp", "di", ...).'),
  kptr: d('kptr(T *p) -> T *', 'Marks a pointer as a kernel address.'),
  uptr: d('uptr(T *p) -> T *', 'Marks a pointer as a user address.'),

  // Strings and bytes.
  strncmp: d('strncmp(string a, string b, int n) -> int64', 'Compares the first n bytes of two strings: 0 when equal.'),
  strcontains: d('strcontains(string haystack, string needle) -> bool', 'Whether needle occurs in haystack.'),
  strstr: d('strstr(string haystack, string needle) -> int64', 'The index of needle in haystack, or -1.'),
  strlen: d('strlen(string s) -> uint64', 'The length of a string.'),
  strcap: d('strcap(string s) -> uint64', 'The capacity (byte size) of a string value.'),
  str_concat: d('str_concat(string a, string b) -> string', 'The two strings joined.'),
  memcmp: d('memcmp(a, b, int n) -> int64', 'Compares n bytes of two values: 0 when equal.'),
  buf: d('buf(void *data[, int length]) -> buffer', 'Bytes read from an address, printed as hex escapes (%r).'),
  ntop: d('ntop([int af, ]addr) -> inet_t', 'An IPv4 or IPv6 address as text.'),
  pton: d('pton(string addr) -> uint8[4] or uint8[16]', 'An IPv4 or IPv6 address literal as bytes.'),
  macaddr: d('macaddr(uint8 bytes[6]) -> macaddr_t', 'A MAC address as text.'),
  strftime: d('strftime(string fmt, uint64 nsecs) -> timestamp', 'A timestamp formatted as strftime does (%f: microseconds).'),
  bswap: d('bswap(int n) -> int', 'n with its bytes in reverse order.'),
  strerror: d('strerror(int errno) -> string', 'The name of an errno value ("EPERM").'),
  signal_name: d('signal_name(int sig) -> string', 'The name of a signal number ("SIGINT").'),
  syscall_name: d('syscall_name(int nr) -> string', 'The name of a system call number ("read").'),
  default_str_length: d('default_str_length() -> uint64', 'The size of a string read without a length (config max_strlen).'),
  join: d('join(char *argv[][, string sep])', 'Prints the strings of a NULL-terminated array joined by sep (default a space).'),

  // Output and actions.
  errorf: d('errorf(string fmt, ...)', 'Prints an error with the script location, formatted as printf.'),
  warnf: d('warnf(string fmt, ...)', 'Prints a warning with the script location, formatted as printf.'),
  debugf: d('debugf(string fmt, ...)', 'Writes to the kernel\'s trace pipe (bpf_trace_printk).'),
  cat: d('cat(string path_fmt, ...)', 'Prints the contents of a file (the path formatted as printf).'),
  system: d('system(string cmd_fmt, ...)', 'Runs a shell command (needs --unsafe).'),
  signal: d('signal(int sig | string name)', 'Sends a signal to the current process (needs --unsafe).'),
  signal_thread: d('signal_thread(int sig | string name)', 'Sends a signal to the current thread (needs --unsafe).'),
  override: d('override(int rc)', 'Makes the probed kernel function return rc (kprobes on functions that allow error injection; --unsafe).'),
  write_user: d('write_user(void *dst, value)', 'Writes a value to user memory of the current process (--unsafe).'),
  unwatch: d('unwatch(uint64 addr)', 'Removes a watchpoint set on addr.'),

  // Types and checks.
  is_array: d('is_array(expr) -> bool', 'Whether the expression is an array (known at compile time).'),
  is_integer: d('is_integer(expr) -> bool', 'Whether the expression is an integer.'),
  is_unsigned_integer: d('is_unsigned_integer(expr) -> bool', 'Whether the expression is an unsigned integer.'),
  is_ptr: d('is_ptr(expr) -> bool', 'Whether the expression is a pointer.'),
  is_str: d('is_str(expr) -> bool', 'Whether the expression is a string.'),
  is_literal: d('is_literal(expr) -> bool', 'Whether the expression is a literal.'),
  is_err: d('is_err(int64 value) -> bool', 'Whether a returned pointer is an error (IS_ERR_VALUE).'),
  fail: d('fail(string fmt, ...)', 'A compile error with this message (in macros and checks).'),
  static_assert: d('static_assert(bool cond, string msg)', 'A compile error with msg when cond is false.'),
  assert: d('assert(bool cond, string msg)', 'Ends the run with an error message when cond is false at run time.'),
  assert_str: d('assert_str(expr)', 'A compile error when the expression is not a string.'),
  find: d('find(@map[key], $value) -> bool', 'Looks up key; when found, stores the value in $value.'),
  __builtin_safe_mode: d('__builtin_safe_mode -> bool', 'True unless --unsafe was given (for the standard library\'s macros).'),
  kfunc_allowed: d('kfunc_allowed(string name) -> bool', 'Whether this probe may call the kernel function (kfunc) name.'),
  container_of: d('container_of(T *ptr, type, member) -> type *', 'The struct of the given type that contains ptr as its member.'),
  path: d('path(struct path *p[, int size]) -> string', 'The full path of a struct path (bpf_d_path; only in the probes the kernel allows).'),
  socket_cookie: d('socket_cookie(struct sock *sk) -> uint64', 'The socket\'s cookie, a number unique to it while the system runs.'),
  dw_ustack: d('dw_ustack([StackMode mode, ][int limit]) -> ustack_t', 'bpftrace\'s DWARF-unwound user stack: not implemented in tsbpf (use ustack, which follows frame pointers).'),
  skboutput: d('skboutput(string path, struct sk_buff *skb, uint64 length, uint64 offset) -> uint32', 'bpftrace writes the packet to a PCAP file: not implemented in tsbpf (no perf event array output).'),
  percpu_kaddr: d('percpu_kaddr(string var[, int cpu]) -> void *', 'The address of a per-CPU kernel variable on this (or the given) CPU.'),
  kfunc_exist: d('kfunc_exist(string name) -> bool', 'Whether the kernel has this kfunc.'),
};
