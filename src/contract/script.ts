/**
 * The compiled-script format: what the compile worker hands the runtime (and the compile cache
 * stores) to load, attach and print. Plain data, JSON-serialisable.
 */
import type { Diagnostic } from './diagnostic.js';
import type { EventSpec } from './events.js';
import type { ConcreteProbe } from './probe.js';
import { tupleLayout, type Type } from './types.js';
import { MapType } from './uapi.js';

/** How a script map stores its values; decides the BPF map type and how the runtime prints it. */
export type MapKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist' | 'tseries' | 'int' | 'value';

/** A script map as the runtime needs it to print: plain JSON data. */
export interface CompiledMap {
  readonly id: number;
  readonly name: string;
  readonly bpfType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** An internal ARRAY the runtime fills before any program runs: entry i is strings[i], NUL-padded (name tables). */
  readonly strings?: readonly string[];
  /** Absent for internal maps (ring buffer, loss counter). */
  readonly spec?: {
    readonly kind: MapKind;
    readonly keyTypes: readonly Type[];
    readonly valueType: Type;
    /** lhist min/max/step, as decimal strings (bigint is not JSON). */
    readonly params: readonly string[];
    /** Each key part's name as the script writes it (`comm`, `pid`), where every use agrees (src/passes/map-key-names.ts). */
    readonly keyNames?: readonly string[];
  };
}

/**
 * A keyless aggregation kept in a one-entry PERCPU_ARRAY (src/passes/scalar-maps.ts): its entry
 * always exists, so the runtime reads an all-zero value as "nothing written" (unless zero() kept
 * it) and clears it by zeroing it.
 */
export function isScalarArrayMap(m: CompiledMap): boolean {
  return m.bpfType === MapType.PERCPU_ARRAY && m.spec !== undefined && m.spec.keyTypes.length === 0;
}

/** Where a scalar int array's value (isScalarIntArrayMap) keeps its written flag: after the integer. */
export const SCALAR_SET_FLAG_OFFSET = 8;

/**
 * A keyless map of assigned integers kept in a one-entry ARRAY (src/passes/scalar-maps.ts): its
 * value is {the integer, a u64 written flag at SCALAR_SET_FLAG_OFFSET}; the runtime reads a zero
 * flag as "nothing written" (a hash without its entry), clears by zeroing the value, and zero()
 * keeps the flag of a written value.
 */
export function isScalarIntArrayMap(m: CompiledMap): boolean {
  return m.bpfType === MapType.ARRAY && m.spec !== undefined && m.spec.keyTypes.length === 0 && m.spec.kind === 'int';
}

export interface CompiledProgram {
  readonly name: string;
  readonly probe: ConcreteProbe;
  /** Raw `struct bpf_insn` bytes, base64; map references are `ld_imm64` with src_reg 1 (2: a one-entry array's value address) and imm = map id. */
  readonly insns: string;
  /** Instruction index of each callback subprogram (bpf_loop / bpf_for_each_map_elem); loading needs BTF func_info for them. */
  readonly subprogs?: readonly number[];
  /** The program returns at once once the run's `.stopped` word is set (src/passes/run-state.ts), so its detaching may finish after END. */
  readonly stopGuard?: true;
}

/** Everything the runtime needs to load, attach and print: plain data, cacheable as JSON. */
export interface CompiledScript {
  readonly format: 1;
  readonly maps: readonly CompiledMap[];
  readonly programs: readonly CompiledProgram[];
  readonly events: readonly EventSpec[];
  readonly ringbufMap: number;
  readonly lostMap: number;
  readonly warnings: readonly Diagnostic[];
  /**
   * The names `probe` map keys stand for (PROBE_ID_KEY in src/contract/types.ts): id i is
   * probeNames[i]. A longer compile of the same text (the shell) keeps the earlier ids.
   */
  readonly probeNames?: readonly string[];
  /** The imported files and directories the compile read (`import "..."`): a cached compile is stale when one changes. */
  readonly imports?: readonly ReadFile[];
  /** `config = { print_maps_on_exit = false }`: the maps are not printed when the program ends. */
  readonly printMapsOnExit?: false;
  /** `config = { missing_probes = warn|ignore }`: a probe that fails to attach is skipped (warned about with `warn`). */
  readonly missingProbes?: 'warn' | 'ignore';
  /** `config = { export_max_series = N }`: the most keys of one map `--export` serves (runtime/export/). */
  readonly exportMaxSeries?: number;
  /** `config = { cpp_demangle = false }`: C++ user symbols print as they are in the ELF file. */
  readonly cppDemangle?: false;
  /** `config = { show_debug_info = true }`: user stack frames print their source file:line and inlined calls (runtime/output/rich-values.ts). */
  readonly showDebugInfo?: true;
  /** `config = { license = "..." }`: the license string the programs are loaded with (default GPL). */
  readonly license?: string;
  /** `config = { log_size = N }`: the verifier log buffer's first size in bytes. */
  readonly logSize?: number;
  /** `config = { max_cat_bytes = N }`: how many bytes of a file cat() prints (default 10240). */
  readonly maxCatBytes?: number;
}

/**
 * What a compile read besides the script (`import "..."`): a file with the SHA-256 of its text, or
 * a directory with the SHA-256 of its list of script files. The compile cache stores these and
 * re-checks them on a hit (runtime/compile/compile-cache.ts; the hashes: src/contract/content-hash.ts).
 */
export interface ReadFile {
  readonly path: string;
  readonly sha256: string;
}

/** The key layout of a tseries map: the script's keys then the u64 bucket. */
export function tseriesKeyLayout(keyTypes: readonly Type[]): { size: number; bucketOffset: number; userKeySize: number } {
  if (keyTypes.length === 0) return { size: 8, bucketOffset: 0, userKeySize: 0 };
  const userKey: Type = keyTypes.length === 1 ? keyTypes[0]! : { kind: 'tuple', elems: keyTypes };
  const l = tupleLayout([userKey, { kind: 'int', bits: 64, signed: false }]);
  return { size: l.size, bucketOffset: l.fields[1]!.offset, userKeySize: l.fields[1]!.offset };
}
