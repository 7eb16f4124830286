// Typed loader for tsbpf's native add-ons. The only module that requires a .node file.
//
//   bpf        tsbpf_bpf.node: bpf(2) maps/programs/links, perf_event_open(2), libbpf ring
//              buffer on the Node event loop, mount(2). Loaded on first use.
//   loadLlvm() tsbpf_llvm.node: LLVM IR text -> BPF ELF object. Maps libLLVM-14 (~60 MB RSS),
//              so it is loaded only when called (ideally in a short-lived compile worker).
//   tsbpf_proc.node (native/proc.ts): prctl/getppid, loaded first thing by the compile worker.
//
// Failures from the kernel or libbpf throw a NativeError (see isNativeError): .errno is the
// positive errno (unlike Node's own fs errors, whose .errno is negative), .code its name
// ('ENOENT', and kernel-internal ones such as 'ENOTSUPP' = 524), .op the failing operation
// ('bpf_map_create', 'perf_event_open', ...). Bad argument types throw TypeError/RangeError.
// libbpf's warnings never reach stderr: they land in NativeError.detail
// (TSBPF_LIBBPF_VERBOSE=1 prints all libbpf messages instead).

import { nativeFile, nativeSearchDirs } from './search-dirs.js';

// ---------------------------------------------------------------------------------------------
// Errors

export interface NativeError extends Error {
  /** Positive errno value. */
  errno: number;
  /** Symbolic errno name, e.g. 'EACCES'. */
  code: string;
  /** Failing operation, e.g. 'bpf_prog_load'. */
  op: string;
  /** Verifier log (progLoad failures only). */
  log?: string;
  /** libbpf's own warning(s) for this failure, if it printed any (also appended to .message). */
  detail?: string;
}

export function isNativeError(e: unknown): e is NativeError {
  if (!(e instanceof Error)) return false;
  const r = e as Error & Record<string, unknown>;
  return typeof r['errno'] === 'number' && typeof r['code'] === 'string' && typeof r['op'] === 'string';
}

// ---------------------------------------------------------------------------------------------
// tsbpf_bpf.node

export interface MapCreateOptions {
  /** Inner map template fd for map-in-map types. */
  innerMapFd?: number;
  /** map_extra (bloom filter hash count). */
  mapExtra?: number | bigint;
  numaNode?: number;
}

export interface MapDump {
  /** count * keySize bytes. */
  keys: Buffer;
  /** count * valueSize bytes (per-CPU-expanded for per-CPU maps). */
  values: Buffer;
  count: number;
  /** true if bpf_map_lookup_batch was used, false for the get_next_key + lookup fallback. */
  batched: boolean;
}

export interface ProgLoadOptions {
  expectedAttachType?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
  attachProgFd?: number;
  progFlags?: number;
  kernVersion?: number;
  /** fds for BPF_PSEUDO_MAP_IDX references. */
  fdArray?: number[];
  /** BTF object (btfLoad) the func_info records refer to; needed with BPF-to-BPF subprograms. */
  progBtfFd?: number;
  /** Packed `struct bpf_func_info` records {insn_off u32, type_id u32}, one per subprogram. */
  funcInfo?: Buffer;
  /** Default 8. */
  funcInfoRecSize?: number;
  /** 0 (default): no log on success; on failure the load is retried once at level 1 for `.log`. */
  logLevel?: number;
  /** Log buffer size in bytes (default 4 MiB when logLevel > 0); grown automatically on ENOSPC. */
  logSize?: number;
}

export interface ProgLoadResult {
  fd: number;
  /** Verifier log ('' when logLevel is 0). */
  log: string;
}

export interface PerfEventAttr {
  type: number;
  config: number | bigint;
  samplePeriod?: number | bigint;
  /** Sets attr.freq unless `freq` is given explicitly. */
  sampleFreq?: number;
  freq?: boolean;
  sampleType?: number | bigint;
  wakeupEvents?: number;
  /** Default false. perfEventSetBpf enables the event anyway. */
  disabled?: boolean;
  inherit?: boolean;
  excludeKernel?: boolean;
  excludeUser?: boolean;
  excludeHv?: boolean;
  excludeIdle?: boolean;
  preciseIp?: number;
  /** Breakpoint events. bpAddr shares storage with config1, bpLen with config2. */
  bpAddr?: bigint;
  bpLen?: number;
  bpType?: number;
  config1?: bigint;
  config2?: bigint;
  /** kprobe PMU: function name (stored in config1 as a pointer). */
  kprobeFunc?: string;
  /** uprobe PMU: binary path (stored in config1 as a pointer). */
  uprobePath?: string;
  /** kprobe/uprobe PMU offset (config2). */
  probeOffset?: bigint;
  /** kprobe PMU address (config2). */
  kprobeAddr?: bigint;
}

export interface LinkCreateOptions {
  flags?: number;
  targetBtfId?: number;
  /** perf_event.bpf_cookie / tracing.cookie. */
  cookie?: bigint;
  /** BPF_TRACE_UPROBE_MULTI: one link for many offsets in one file (flags 1 = return probes). */
  uprobeMulti?: {
    path: string;
    offsets: bigint[];
    refCtrOffsets?: bigint[];
    flags?: number;
    pid?: number;
  };
  kprobeMulti?: {
    syms?: string[];
    addrs?: bigint[];
    cookies?: bigint[];
    flags?: number;
  };
}

export interface ProgInfo {
  id: number;
  name: string;
  type: number;
  /** Program tag, 16 hex digits. */
  tag: string;
  /** Only counted while kernel.bpf_stats_enabled = 1. */
  runTimeNs: number;
  runCnt: number;
  recursionMisses: number;
  verifiedInsns: number;
  xlatedProgLen: number;
  jitedProgLen: number;
  nrMapIds: number;
}

/** A BPF link's `bpf_link_info`, raw (decoded by runtime/top/link-info.ts). */
export interface LinkInfoRaw {
  /** The bytes of `struct bpf_link_info` the kernel filled: type u32, id u32, prog_id u32, the type's union at 16. */
  info: Buffer;
  /** The tracepoint, function or file the link names (raw_tracepoint, iter, perf_event links), or ''. */
  name: string;
}

/** BPF_TASK_FD_QUERY of a process's fd that carries a program (a perf event, a raw tracepoint). */
export interface TaskFdInfo {
  progId: number;
  /** `enum bpf_task_fd_type`: 0 raw_tracepoint, 1 tracepoint, 2 kprobe, 3 kretprobe, 4 uprobe, 5 uretprobe. */
  fdType: number;
  /** Tracepoint, function or file name. */
  name: string;
  probeOffset: bigint;
  probeAddr: bigint;
}

export interface MapInfo {
  id: number;
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface RingbufOptions {
  /** Records per onRecords call (default 4096). */
  maxRecords?: number;
  /** Bytes per onRecords call, checked after each record (default 8 MiB). */
  maxBytes?: number;
}

export interface RingbufHandle {
  /** Drain the ring now, calling the callback synchronously per batch; returns the record count. */
  consume(): number;
  /** Stop watching and free the consumer. Idempotent. Records still in the ring are dropped. */
  close(): void;
  /** While open the handle keeps the event loop alive (default); unref() lets the loop exit. */
  ref(): void;
  unref(): void;
}

/** Batch form: record i is data.subarray(offsets[i], offsets[i + 1]); offsets has n + 1 entries. */
export type RingbufBatchCallback = (data: Buffer, offsets: Uint32Array) => void;

export interface BpfNative {
  mapCreate(
    type: number,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    flags: number,
    name: string,
    opts?: MapCreateOptions,
  ): number;
  /** Fills `value`; false on ENOENT. */
  mapLookup(fd: number, key: Buffer, value: Buffer): boolean;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number | bigint): void;
  /** false on ENOENT. */
  mapDelete(fd: number, key: Buffer): boolean;
  /** false at the end. `key` null gives the first key. */
  mapGetNextKey(fd: number, key: Buffer | null, nextKey: Buffer): boolean;
  /** valueSize must be per-CPU-expanded for per-CPU maps: round_up(value_size, 8) * possibleCpus(). */
  mapDumpAll(fd: number, keySize: number, valueSize: number): MapDump;
  /**
   * One BPF_MAP_LOOKUP_BATCH (BPF_MAP_LOOKUP_AND_DELETE_BATCH when `andDelete`): up to `count` entries
   * into `keys` / `values` (per-CPU-expanded values), after the `inBatch` token (null: from the start);
   * the next token is left in `outBatch` (both >= max(keySize, 8) bytes). `done`: no entries are left.
   * Throws NativeError: EINVAL/ENOTSUPP (no batch support), ENOSPC with nothing read (count too small
   * for one hash bucket).
   */
  mapLookupBatch(fd: number, inBatch: Buffer | null, outBatch: Buffer, keys: Buffer, values: Buffer, count: number, andDelete?: boolean): { count: number; done: boolean };
  /**
   * One BPF_MAP_UPDATE_BATCH of the first `count` keys and values (per-CPU-expanded) with `flags`;
   * returns how many were updated: fewer than `count` when key number `returned` was gone (ENOENT).
   */
  mapUpdateBatch(fd: number, keys: Buffer, values: Buffer, count: number, flags?: number | bigint): number;
  possibleCpus(): number;
  onlineCpus(): number[];

  /** Throws NativeError with .log on failure. */
  progLoad(progType: number, insns: Buffer, license: string, name: string, opts?: ProgLoadOptions): ProgLoadResult;
  /** BPF_BTF_LOAD of a raw BTF blob (header, types, strings); returns its fd. Throws NativeError with .log. */
  btfLoad(data: Buffer): number;
  /** BPF_PROG_TEST_RUN; for raw tracepoint programs ctxIn is the u64 args array. Returns r0. */
  progTestRun(progFd: number, ctxIn: Buffer | null): number;
  /** BPF_PROG_TEST_RUN `repeat` times on packet `dataIn`: r0 and the kernel's average run time in ns. */
  progTestRunTimed(progFd: number, dataIn: Buffer, repeat: number): { retval: number; duration: number };

  perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** PERF_EVENT_IOC_SET_BPF, then PERF_EVENT_IOC_ENABLE. */
  perfEventSetBpf(perfFd: number, progFd: number): void;
  /** PERF_EVENT_IOC_ENABLE (true) or PERF_EVENT_IOC_DISABLE (false). */
  perfEventEnable(perfFd: number, enable: boolean): void;
  rawTracepointOpen(name: string, progFd: number): number;
  linkCreate(progFd: number, targetFd: number, attachType: number, opts?: LinkCreateOptions): number;
  /**
   * Classic tc (no tcx): a direct-action cls_bpf filter on the interface's clsact qdisc (created
   * when missing: createdQdisc), through netlink; the kernel picks its handle and priority. It
   * outlives the process: remove it with tcClassicDetach.
   */
  tcClassicAttach(ifindex: number, direction: 'ingress' | 'egress', progFd: number): { handle: number; priority: number; createdQdisc: boolean };
  tcClassicDetach(ifindex: number, direction: 'ingress' | 'egress', handle: number, priority: number): void;
  /** Delete the interface's clsact qdisc (with every filter still on it). */
  tcClassicQdiscDelete(ifindex: number): void;
  /** BPF_ITER_CREATE on an iterator link: an fd whose read() runs the program over the kernel objects. */
  iterCreate(linkFd: number): number;
  /** The C++ name an Itanium-ABI symbol (`_Z...`) stands for (abi::__cxa_demangle); null when it is not one. */
  demangle(name: string): string | null;
  /** HMAC-SHA256 of `data` under `key` (32 bytes), by node's own OpenSSL: what node:crypto's createHmac gives, without loading node:crypto. */
  hmacSha256(key: Buffer, data: Buffer): Buffer;
  /** Whether `mac` is the HMAC-SHA256 of `data` under `key`, compared in constant time (OpenSSL's CRYPTO_memcmp). */
  hmacSha256Verify(key: Buffer, data: Buffer, mac: Buffer): boolean;

  close(fd: number): void;
  mount(source: string, target: string, fstype: string, flags?: number, data?: string): void;

  /** 0 at the end. */
  progGetNextId(startId: number): number;
  mapGetNextId(startId: number): number;
  linkGetNextId(startId: number): number;
  /** null if no such program. */
  progInfoById(id: number): ProgInfo | null;
  mapInfoById(id: number): MapInfo | null;
  progInfoByFd(fd: number): ProgInfo;
  mapInfoByFd(fd: number): MapInfo;
  /** null if no such link. */
  linkInfoById(id: number): LinkInfoRaw | null;
  linkInfoByFd(fd: number): LinkInfoRaw;
  /** null when the fd carries no BPF program (or the process or fd is gone). */
  taskFdQuery(pid: number, fd: number): TaskFdInfo | null;
  /**
   * BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run_cnt and run_time_ns are counted while the returned fd
   * is open; the kernel stops when the last such fd closes, even if the process is killed.
   */
  enableStats(): number;
  /** BPF_LINK_DETACH of the link with this id, whoever holds it; false if there is no such link. */
  linkDetachById(id: number): boolean;
  /** BPF_OBJ_PIN: pin a map, program or link fd at a path in a bpf file system. */
  objPin(fd: number, path: string): void;
  /** BPF_OBJ_GET: an fd for a pinned object. */
  objGet(path: string): number;

  /**
   * Event-driven ring buffer consumer on the Node loop (never blocks it): onRecords gets each
   * wakeup's batch of records, copied out of the ring. Exceptions thrown by onRecords become
   * uncaught exceptions when delivered from the loop, and propagate out of consume().
   */
  ringbufOpen(mapFd: number, onRecords: (records: Buffer[]) => void, opts?: RingbufOptions): RingbufHandle;
  /** Same, without materialising one Buffer per record. */
  ringbufOpenBatch(mapFd: number, onBatch: RingbufBatchCallback, opts?: RingbufOptions): RingbufHandle;
}

// Shape of the raw add-on (ringbufOpen there is the batch form).
type RawBpf = Omit<BpfNative, 'ringbufOpen' | 'ringbufOpenBatch'> & {
  ringbufOpen(mapFd: number, onBatch: RingbufBatchCallback, opts?: RingbufOptions): RingbufHandle;
};

// ---------------------------------------------------------------------------------------------
// tsbpf_llvm.node

export interface EmitOptions {
  /** function name -> ELF section name (LLVMSetSection). */
  sections: Record<string, string>;
  /** BPF CPU: 'v1' | 'v2' | 'v3' | 'probe' ... Default 'v3'. */
  cpu?: string;
  /** 0 skips the optimiser; otherwise default<On>. Default 2. */
  optLevel?: number;
  /** 'object' (default): ELF bytes; 'assembly': BPF asm text; 'ir': optimised IR text. */
  output?: 'object' | 'assembly' | 'ir';
}

export interface LlvmNative {
  /** Throws Error('emitBpfObject: ...') with LLVM's message on any failure. */
  emitBpfObject(irText: string, opts: EmitOptions): Buffer;
}

// ---------------------------------------------------------------------------------------------
// Loading

export { nativeFile, nativeSearchDirs };

/**
 * The add-ons this process has loaded, by path, shared by every copy of this module (the bundle's
 * and dist/'s: the interactive front end loads the latter), as require()'s cache shared them.
 */
const LOADED = Symbol.for('tsbpf.nativeAddons');

/**
 * Loads an add-on with process.dlopen, not require(): the CommonJS loader's resolution (realpath,
 * stats, its module cache) cost ~0.9 ms of every start, before the library's own ~0.5 ms. The
 * search directories are found at the call, not at load: the compile worker's start-up snapshot
 * (src/compile-worker-snapshot.ts) holds this module loaded, and its location is known only then.
 */
function loadAddon(file: string): unknown {
  const g = globalThis as unknown as Record<symbol, Map<string, unknown> | undefined>;
  const loaded = (g[LOADED] ??= new Map<string, unknown>());
  const p = nativeFile(file);
  if (p === undefined) throw new Error(`tsbpf: native add-on ${file} not found (looked in ${nativeSearchDirs().join(', ')}); run \`npm run build:native\``);
  const known = loaded.get(p);
  if (known !== undefined) return known;
  const module = { exports: {} as unknown };
  process.dlopen(module, p);
  loaded.set(p, module.exports);
  return module.exports;
}

let bpfCache: BpfNative | undefined;
let llvmCache: LlvmNative | undefined;

export function loadBpf(): BpfNative {
  if (bpfCache) return bpfCache;
  const raw = loadAddon('tsbpf_bpf.node') as RawBpf;
  const ringbufOpenBatch = (mapFd: number, onBatch: RingbufBatchCallback, opts?: RingbufOptions): RingbufHandle =>
    raw.ringbufOpen(mapFd, onBatch, opts);
  const ringbufOpen = (
    mapFd: number,
    onRecords: (records: Buffer[]) => void,
    opts?: RingbufOptions,
  ): RingbufHandle =>
    raw.ringbufOpen(
      mapFd,
      (data, offsets) => {
        const n = offsets.length - 1;
        const records = new Array<Buffer>(n);
        for (let i = 0; i < n; i++) records[i] = data.subarray(offsets[i], offsets[i + 1]);
        onRecords(records);
      },
      opts,
    );
  bpfCache = { ...raw, ringbufOpen, ringbufOpenBatch };
  return bpfCache;
}

/** Loads libLLVM-14 into this process on first call. */
export function loadLlvm(): LlvmNative {
  llvmCache ??= loadAddon('tsbpf_llvm.node') as LlvmNative;
  return llvmCache;
}

/** tsbpf_bpf.node, loaded on first property access. */
export const bpf: BpfNative = new Proxy({} as BpfNative, {
  get(_target, prop) {
    return Reflect.get(loadBpf(), prop);
  },
  has(_target, prop) {
    return Reflect.has(loadBpf(), prop);
  },
  ownKeys() {
    return Reflect.ownKeys(loadBpf());
  },
  getOwnPropertyDescriptor(_target, prop) {
    const d = Reflect.getOwnPropertyDescriptor(loadBpf(), prop);
    if (d) d.configurable = true;
    return d;
  },
});
