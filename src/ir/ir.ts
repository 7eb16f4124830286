import type { Type } from '../types/types.js';
import type { CompiledMap } from '../contract/index.js';

/**
 * tsbpf IR: what one probe program does, with every map operation, helper call and emitted event
 * explicit, and every value typed. Integers are computed as 64-bit; aggregates (strings, tuples,
 * keys, event records) are byte blobs with layouts decided by lowering. The code generator turns
 * each IrProgram into one LLVM function; nothing here knows about LLVM.
 */

export type IrExpr =
  | { readonly op: 'const'; readonly value: bigint }
  /** A value the kernel gives by helper: pid, tid, uid, gid, nsecs, cpu, ... */
  | { readonly op: 'builtin'; readonly name: IrBuiltin }
  /** Load `size` bytes at `offset` from the probe context (tracepoint record, pt_regs). */
  | { readonly op: 'ctxLoad'; readonly offset: number; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean }
  /** The probe context's address as an integer (tracepoint `__data_loc` data lies at an offset from it). */
  | { readonly op: 'ctxAddr' }
  | { readonly op: 'binary'; readonly operator: IrBinaryOp; readonly left: IrExpr; readonly right: IrExpr; readonly signed: boolean }
  | { readonly op: 'unary'; readonly operator: '-' | '~' | '!'; readonly operand: IrExpr }
  /** Short-circuit logic. */
  | { readonly op: 'logical'; readonly operator: '&&' | '||'; readonly left: IrExpr; readonly right: IrExpr }
  | { readonly op: 'ternary'; readonly cond: IrExpr; readonly then: IrExpr; readonly else: IrExpr }
  /** Truncate or extend to `bits` then back to 64 (casts). */
  | { readonly op: 'cast'; readonly operand: IrExpr; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean }
  /** The integer value stored under `key` in `map` (0 when absent). Per-CPU maps read this CPU's slot. */
  | { readonly op: 'mapGet'; readonly map: number; readonly key: IrBlob; readonly err?: number }
  /** Compare two blobs of the same size byte by byte (string ==/!=), up to the first NUL. */
  | { readonly op: 'blobEquals'; readonly left: IrBlob; readonly right: IrBlob; readonly negate: boolean }
  /**
   * strcontains: 1 when the bytes of `needle` (non-empty, no NUL, at most the haystack's size - 1)
   * occur in the string `haystack` before its first NUL, else 0. A bounded loop over the positions.
   */
  | { readonly op: 'strContains'; readonly haystack: IrBlob; readonly needle: string }
  | { readonly op: 'var'; readonly id: number }
  /** The stack address of a variable (`&$x`): an int variable's 8 bytes or a blob variable's bytes. */
  | { readonly op: 'varAddr'; readonly id: number }
  | IrLibExpr
  /** Run `stmts`, then evaluate `value` (`$x++` in an expression, block expressions). */
  | { readonly op: 'seq'; readonly stmts: readonly IrStmt[]; readonly value: IrExpr }
  /** Load `size` bytes at `offset` of a blob as an integer (tuple elements, struct fields). */
  | { readonly op: 'blobLoad'; readonly blob: IrBlob; readonly offset: number; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean }
  /** Read `size` bytes at address `addr` with bpf_probe_read_{kernel,user}; 0 when the read fails. */
  | { readonly op: 'readInt'; readonly addr: IrExpr; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean; readonly space: 'user' | 'kernel'; readonly err?: number };

/**
 * `err` on a helper-calling node: the id of a `helper-error` event (src/contract/events.ts) to send when
 * the helper fails (bpftrace CreateHelperErrorCond: probe reads and map lookups only with `-k`, map
 * updates by default). The record is {u64 id, i64 retcode}; absent = no check, no cost.
 */
export type HelperErrorEvent = number;

/** An argument of a BPF helper call: an integer, a pointer to a blob built on the stack, a map, the probe context, or (in `callFill`) the blob being filled. */
export type IrCallArg =
  | { readonly kind: 'int'; readonly value: IrExpr }
  | { readonly kind: 'blob'; readonly blob: IrBlob }
  | { readonly kind: 'map'; readonly map: number }
  | { readonly kind: 'ctx' }
  | { readonly kind: 'dst' }
  /** A pointer `offset` bytes into a blob (a variable offset the program bounds; str_concat). */
  | { readonly kind: 'blobAt'; readonly blob: IrBlob; readonly offset: IrExpr };

/** Function-library IR (src/builtins/): generic helper calls and in-kernel reads of per-CPU aggregations. */
export type IrLibExpr =
  /** Call BPF helper `helper` (include/uapi/linux/bpf.h id); its 64-bit result (pointers as integers). */
  | { readonly op: 'call'; readonly helper: number; readonly args: readonly IrCallArg[] }
  /** Call kernel function `name` (a kfunc, by its vmlinux BTF id: src/codegen/link.ts); its 64-bit result. */
  | { readonly op: 'kfunc'; readonly name: string; readonly args: readonly IrCallArg[] }
  /** The address of kernel variable `name` (a ksym: `ld_imm64` with its vmlinux BTF id, src/codegen/link.ts). */
  | { readonly op: 'ksym'; readonly name: string }
  /**
   * Read a per-CPU aggregation under `key` as bpftrace does in a probe: count/sum add every CPU's
   * slot, min/max take the best set slot, avg divides the totals (0 when absent).
   */
  | { readonly op: 'mapAggRead'; readonly map: number; readonly key: IrBlob; readonly agg: 'count' | 'sum' | 'min' | 'max' | 'avg' }
  /** The index of the highest set bit of `value` as an unsigned 64-bit integer (0 for 0 and 1): hist's log2. */
  | { readonly op: 'msb'; readonly value: IrExpr };

/** tseries() aggregation of the values in one interval; `last` is bpftrace's default (none). */
export type TseriesAgg = 'last' | 'avg' | 'max' | 'min' | 'sum';

export type IrBuiltin = 'pid' | 'tid' | 'uid' | 'gid' | 'nsecs' | 'cpu' | 'rand' | 'cgroup' | 'curtask';

export type IrBinaryOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A byte blob of known size built on the stack. */
export type IrBlob =
  | { readonly op: 'zero'; readonly size: number }
  /** An integer stored in `size` bytes (little endian). */
  | { readonly op: 'int'; readonly value: IrExpr; readonly size: 1 | 2 | 4 | 8 }
  | { readonly op: 'string'; readonly value: string; readonly size: number }
  | { readonly op: 'comm'; readonly size: number }
  /** Read a NUL-terminated string from an address. */
  | { readonly op: 'readStr'; readonly addr: IrExpr; readonly size: number; readonly space: 'user' | 'kernel'; readonly err?: number }
  /** Copy `size` bytes from the context at `offset` (arrays inside tracepoint records). */
  | { readonly op: 'ctxBytes'; readonly offset: number; readonly size: number }
  /** Fields placed at offsets of a record of `size` bytes; the gaps are zero. */
  | { readonly op: 'record'; readonly size: number; readonly fields: readonly { offset: number; blob: IrBlob }[] }
  /** The blob stored under `key` in `map` (zeroes when absent). */
  | { readonly op: 'mapGetBlob'; readonly map: number; readonly key: IrBlob; readonly size: number; readonly err?: number }
  | { readonly op: 'varBlob'; readonly id: number; readonly size: number }
  /** `size` zeroed bytes filled by BPF helper `helper`; the `dst` argument is a pointer to them (buf(), get_current_comm-like helpers). */
  | { readonly op: 'callFill'; readonly size: number; readonly helper: number; readonly args: readonly IrCallArg[] }
  /**
   * `size` bytes of a packet at `offset`, read directly (the context's data pointer, bounds-checked
   * against its data_end, both 32-bit context fields at `dataAt`/`endAt`); `fallback` fills them
   * when they are not all in the directly readable part (a short packet, a non-linear skb).
   */
  | { readonly op: 'pktBytes'; readonly size: number; readonly offset: IrExpr; readonly dataAt: number; readonly endAt: number; readonly fallback: IrBlob }
  /** `size` bytes of `blob` from `offset` (tuple elements that are aggregates). */
  | { readonly op: 'slice'; readonly blob: IrBlob; readonly offset: number; readonly size: number }
  /** `cond ? then : else` on blobs of the same size; only the taken side is built. */
  | { readonly op: 'select'; readonly cond: IrExpr; readonly then: IrBlob; readonly else: IrBlob; readonly size: number }
  /** Copy `size` bytes from address `addr` (struct values, arrays); zeroes when the read fails. */
  | { readonly op: 'readBytes'; readonly addr: IrExpr; readonly size: number; readonly space: 'user' | 'kernel'; readonly err?: number }
  /** Run `stmts`, then build `value`. */
  | { readonly op: 'seqBlob'; readonly stmts: readonly IrStmt[]; readonly value: IrBlob };

export type IrStmt =
  /** Store `value` under `key` (a regular hash map). */
  | { readonly op: 'mapSet'; readonly map: number; readonly key: IrBlob; readonly value: IrBlob; readonly err?: number }
  /** Add `delta` to the 64-bit value under `key`, creating it at 0 (count, sum, `++`). */
  | { readonly op: 'mapAdd'; readonly map: number; readonly key: IrBlob; readonly delta: IrExpr; readonly err?: number }
  /** Keep the min or max of the 64-bit value under `key`; the first value is taken as is. */
  | { readonly op: 'mapMinMax'; readonly map: number; readonly key: IrBlob; readonly value: IrExpr; readonly which: 'min' | 'max'; readonly err?: number }
  /** avg and stats: value is {count, total} two u64s; add 1 and `value`. */
  | { readonly op: 'mapCountTotal'; readonly map: number; readonly key: IrBlob; readonly value: IrExpr; readonly err?: number }
  /** Increment bucket `bucket` (a u64 slot index) of the array-valued entry under `key` with `slots` u64 slots. */
  | { readonly op: 'mapBucketAdd'; readonly map: number; readonly key: IrBlob; readonly bucket: IrExpr; readonly slots: number; readonly err?: number }
  | { readonly op: 'mapDelete'; readonly map: number; readonly key: IrBlob }
  /**
   * tseries(): the 24-byte cell {value, meta, epoch} under `key` (the script key with the interval's
   * bucket appended). A cell whose epoch differs from `epoch` is reset first (except for `last`);
   * then `last` stores value and meta = `now`, sum/avg add (avg counts in meta), min/max keep the
   * best (meta = 1 once set). The cell's epoch becomes `epoch` (bpftrace codegen_llvm.cpp tseries).
   */
  | { readonly op: 'mapTseries'; readonly map: number; readonly key: IrBlob; readonly value: IrExpr; readonly now: IrExpr; readonly epoch: IrExpr; readonly agg: TseriesAgg; readonly signed: boolean }
  /**
   * Send a record to user space through the ring buffer; count a loss when it is full. A `dropOk`
   * record is one of many identical requests of which the runtime needs only the first (exit()'s):
   * its loss is not counted, and the ring needs room for it once (src/ir/ring-demand.ts).
   */
  | { readonly op: 'emit'; readonly record: IrBlob; readonly dropOk?: true }
  /** Like `emit`, for a record built elsewhere (a per-CPU scratch map value, too large for the stack): `size` bytes at address `ptr`. */
  | { readonly op: 'emitPtr'; readonly ptr: IrExpr; readonly size: number }
  | { readonly op: 'setVar'; readonly id: number; readonly value: IrExpr }
  | { readonly op: 'setVarBlob'; readonly id: number; readonly value: IrBlob }
  | { readonly op: 'if'; readonly cond: IrExpr; readonly then: readonly IrStmt[]; readonly else: readonly IrStmt[] }
  | { readonly op: 'return' }
  /**
   * `while (cond) { body; step }`: `continue` jumps to `step`, `break` leaves the loop. Bounded
   * loops are checked by the verifier (kernel 5.3+).
   */
  | { readonly op: 'loop'; readonly cond: IrExpr; readonly body: readonly IrStmt[]; readonly step: readonly IrStmt[] }
  | { readonly op: 'break' }
  | { readonly op: 'continue' }
  | IrCallbackStmt;

/**
 * Statements whose body runs in a callback subprogram (src/codegen/callbacks.ts). The body shares
 * every variable of the program (they live in one frame on the probe's stack, passed to the callback
 * as its context). `break` stops the iteration, `continue` goes on with the next one, and `return`
 * leaves the probe once the helper is back.
 */
export type IrCallbackStmt =
  /**
   * `for ($kv : @map)` with bpf_for_each_map_elem: for each entry, copy its key (keySize bytes) to
   * blob variable `keyVar` and its value (valueSize bytes; this CPU's slot on a per-CPU map) to blob
   * variable `valueVar`, then run `body`.
   */
  | { readonly op: 'forEachMap'; readonly map: number; readonly keyVar?: number; readonly keySize: number; readonly valueVar?: number; readonly valueSize: number; readonly body: readonly IrStmt[]; readonly err?: number }
  /** `bpf_loop`: run `body` `count` times (none when count <= 0), with int variable `indexVar` = 0, 1, ... */
  | { readonly op: 'callbackLoop'; readonly count: IrExpr; readonly indexVar?: number; readonly body: readonly IrStmt[]; readonly err?: number };

/** How a map is created in the kernel: the creation fields of the compiled script's map (src/contract/script.ts). */
export type IrMap = Pick<CompiledMap, 'id' | 'name' | 'bpfType' | 'keySize' | 'valueSize' | 'maxEntries'> & {
  /**
   * A one-entry ARRAY whose first word is an integer, read and written at its value's address (a
   * `ld_imm64` of the value, no lookup): a keyless assigned integer, {value, written flag}
   * (src/passes/scalar-maps.ts), and the run's `.stopped` word (src/passes/run-state.ts).
   */
  readonly intArray?: true;
};

export interface IrVar {
  readonly id: number;
  /** Blob variables hold strings/tuples; int variables hold a 64-bit value. */
  readonly size: number | undefined;
}

export interface IrProgram {
  /** LLVM function name and ELF section. */
  readonly name: string;
  readonly section: string;
  readonly vars: readonly IrVar[];
  readonly body: readonly IrStmt[];
  /**
   * A packet program's return value (its verdict): int variable `var`, which the body sets first;
   * `fallback` where the program ends before that (a failed scratch lookup). Absent: returns 0.
   */
  readonly verdict?: { readonly var: number; readonly fallback: bigint };
}

export interface IrModule {
  readonly maps: readonly IrMap[];
  readonly programs: readonly IrProgram[];
  /** Map ids the code generator uses for events and their loss counter. */
  readonly ringbufMap: number;
  readonly lostMap: number;
  /** A one-entry array whose value is all zeroes, to create map values too large for the stack. */
  readonly zeroMap: number;
  /**
   * A one-entry ARRAY of failure counters for map-update sites: slot `err` (a `helper-error` event
   * id) is {u64 count, i64 last return code} at byte err * 16, bumped through the value's address
   * (src/codegen/module.ts insertFailed) and read by the runtime each second. Absent: no such site.
   */
  readonly helperErrorMap?: number;
  /**
   * A PERCPU_ARRAY holding blobs too large for the BPF stack (src/codegen/module.ts buildModule);
   * its value size and entry count are known only after code generation. Absent: all on the stack.
   */
  readonly scratchMap?: number;
  /**
   * The script's `on_stack_limit` (src/passes/config.ts): a blob of more bytes (a string, tuple, map
   * key or value, event record, blob variable) is in `scratchMap`, the others on the BPF stack. The
   * one value the code generator decides placement by (lowering builds blobs, never places them).
   */
  readonly onStackLimit: number;
}

export type { Type };
