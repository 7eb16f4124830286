import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { didYouMean } from './suggest.js';

/** `missing_probes`: what a probe that does not exist does (bpftrace docs/language.md). */
export type MissingProbes = 'error' | 'warn' | 'ignore';

/** The config block's settings that change compilation; the others are accepted and checked by name. */
export interface ScriptConfig {
  readonly maxMapKeys?: number;
  readonly maxStrlen?: number;
  /** `perf_rb_pages`: pages of the event ring buffer (src/compile.ts ringbufBytes). */
  readonly perfRbPages?: number;
  /** `stack_mode`: kstack/ustack's default mode; BPFTRACE_STACK_MODE overrides it. */
  readonly stackMode?: 'bpftrace' | 'perf' | 'raw';
  /** `print_maps_on_exit = false`: maps are not printed when the program ends. */
  readonly printMapsOnExit?: boolean;
  /** `missing_probes` (checked by missingProbesMode before the probes expand). */
  readonly missingProbes?: MissingProbes;
  /** `str_trunc_trailer`: printed after a truncated str() value (default `..`). */
  readonly strTruncTrailer?: string;
  /** `export_max_series` (tsbpf): the most keys of one map `--export` serves (runtime/export/). */
  readonly exportMaxSeries?: number;
  /** `cpp_demangle = false`: C++ user symbols print mangled (the runtime's symbolizer; default on). */
  readonly cppDemangle?: boolean;
  /** `show_debug_info = true`: user stack frames with their source file:line and inlined calls (the runtime's symbolizer; default off). */
  readonly showDebugInfo?: boolean;
  /** `license`: the license the programs are loaded with (bpftrace's GPL-compatible ones only; default GPL). */
  readonly license?: string;
  /** `log_size`: the verifier log buffer's first size in bytes (default 1000000; grown when too small). */
  readonly logSize?: number;
  /** `max_cat_bytes`: how much of a file cat() prints (default 10240). */
  readonly maxCatBytes?: number;
  /** `max_probes`, `max_bpf_progs`: the most probes, and programs, a script may have (default 1024 each). */
  readonly maxProbes?: number;
  readonly maxBpfProgs?: number;
  /**
   * `on_stack_limit`: blobs (strings, tuples, map keys and values, event records, blob variables)
   * larger than this many bytes live in the per-CPU scratch map, the others on the BPF stack
   * (default DEFAULT_ON_STACK_LIMIT, src/types/types.ts). It reaches code generation as IrModule.onStackLimit.
   */
  readonly onStackLimit?: number;
}

/** The licenses bpftrace accepts (src/config.cpp BPF_LICENSE_STR, in its order). */
const LICENSES = ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'];

/** bpftrace's default for max_probes and max_bpf_progs. */
const DEFAULT_PROBE_LIMIT = 1024;

/**
 * max_bpf_progs and max_probes against the script's programs (tsbpf compiles one program per
 * probe, so both count them), with bpftrace's messages. False when one is exceeded.
 */
export function probeLimitErrors(config: ScriptConfig, programs: number, diags: Diagnostics): boolean {
  const maxProgs = config.maxBpfProgs ?? DEFAULT_PROBE_LIMIT;
  const maxProbes = config.maxProbes ?? DEFAULT_PROBE_LIMIT;
  if (programs > maxProgs) {
    diags.error('too-many-programs', `Your program is trying to generate more than ${programs} BPF programs, which exceeds the current limit of ${maxProgs}`, undefined, ['You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.']);
  } else if (programs > maxProbes) {
    diags.error('too-many-probes', `Can't attach to ${programs} probes because it exceeds the current limit of ${maxProbes} probes.`, undefined, ['You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, but BE CAREFUL since a high number of probes attached can cause your system to crash.']);
  } else return true;
  return false;
}

/** bpftrace's config variables (src/config.cpp CONFIG_KEY_MAP; older unstable_* names kept). */
export const CONFIG_VARIABLES = [
  'cache_user_symbols', 'cpp_demangle', 'lazy_symbolication', 'license', 'log_size', 'max_bpf_progs', 'max_cat_bytes',
  'max_map_keys', 'max_probes', 'max_strlen', 'missing_probes', 'on_stack_limit', 'perf_rb_pages', 'show_debug_info',
  'stack_mode', 'str_trunc_trailer', 'print_maps_on_exit', 'use_blazesym', 'unstable_map_decl', 'unstable_import',
  'unstable_macro', 'unstable_tseries', 'unstable_addr', 'unstable_typeinfo', 'unstable_dw_ustack',
  // tsbpf's own: the Prometheus export's cardinality bound (runtime/export/openmetrics.ts).
  'export_max_series',
] as const;
const KNOWN: readonly string[] = CONFIG_VARIABLES;

/** Old names bpftrace reports as renamed (src/config.cpp RENAMED). */
const RENAMED: Readonly<Record<string, string>> = { strlen: 'max_strlen', no_cpp_demangle: 'cpp_demangle', cat_bytes_max: 'max_cat_bytes', map_keys_max: 'max_map_keys' };
/** Settable only as environment variables (src/config.cpp ENV_ONLY). */
const ENV_ONLY = ['btf', 'kernel_build', 'kernel_source', 'vmlinux'];

/** The environment variable of a config variable: `max_map_keys` -> `BPFTRACE_MAX_MAP_KEYS`. */
export function configEnvName(key: string): string {
  return `BPFTRACE_${key.toUpperCase()}`;
}

/** Largest `perf_rb_pages` accepted (1 GiB of 4 KiB pages). */
const MAX_RB_PAGES = 262144;

/** Largest `max_strlen`: large strings live in the per-CPU scratch map, whose entries hold 32 KiB (src/codegen/bpf-builder.ts). */
export const MAX_STRLEN_LIMIT = 16384;

/** One setting, from the config block (with its span) or from the environment. */
interface Setting {
  readonly key: string;
  /** As written: `max_map_keys`, `BPFTRACE_MAX_MAP_KEYS`. */
  readonly name: string;
  readonly text: string;
  readonly span?: ast.ConfigEntry['span'];
}

function valueText(v: ast.Expr): string {
  if (v.kind === 'IntLiteral') return String(v.value);
  if (v.kind === 'Identifier') return v.name;
  if (v.kind === 'StringLiteral') return v.value;
  if (v.kind === 'BoolLiteral') return v.value ? 'true' : 'false';
  return '';
}

/** Every config setting: the environment's `BPFTRACE_*` first (they win, as in bpftrace), then the block's. */
function settings(program: ast.Program, diags: Diagnostics | undefined): Setting[] {
  const out: Setting[] = [];
  for (const key of KNOWN) {
    const text = process.env[configEnvName(key)];
    // A string setting is taken as written, empty included (BPFTRACE_STR_TRUNC_TRAILER='' turns the trailer off).
    if (key === 'str_trunc_trailer' && text !== undefined) out.push({ key, name: configEnvName(key), text });
    else if (text !== undefined && text !== '') out.push({ key, name: configEnvName(key), text: text.trim() });
  }
  for (const entry of program.config?.entries ?? []) {
    const key = entry.key.toLowerCase().replace(/^bpftrace_/, '');
    if (!KNOWN.includes(key)) {
      if (!diags) continue;
      if (RENAMED[key]) diags.error('unknown-config', `${entry.key}: key has been renamed to '${RENAMED[key]}'`, entry.span);
      else if (ENV_ONLY.includes(key)) diags.error('unknown-config', `${entry.key}: can only be set as an environment variable`, entry.span);
      else {
        const hint = didYouMean(key, KNOWN);
        diags.error('unknown-config', `${entry.key}: not a known configuration option`, entry.span, hint ? [`did you mean ${hint}?`] : undefined);
      }
      continue;
    }
    out.push({ key, name: entry.key, text: valueText(entry.value), span: entry.value.span });
  }
  return out;
}

const MISSING_PROBES: readonly MissingProbes[] = ['error', 'warn', 'ignore'];

/** `missing_probes` (environment first), read before the probes expand; a bad value is reported here. */
export function missingProbesMode(program: ast.Program, diags: Diagnostics): MissingProbes {
  const s = settings(program, undefined).find((x) => x.key === 'missing_probes');
  if (!s) return 'error';
  if ((MISSING_PROBES as readonly string[]).includes(s.text)) return s.text as MissingProbes;
  diags.error('invalid-config', `${s.name}: Invalid value for missing_probes: valid values are ignore, warn, and error.`, s.span);
  return 'error';
}

/**
 * Reads `config = { max_map_keys = 2; stack_mode = perf }` and every variable's `BPFTRACE_*`
 * environment variable (which wins). Names may be written as the environment variable
 * (`BPFTRACE_MAX_MAP_KEYS`), upper case, or lower case.
 */
export function readConfig(program: ast.Program, diags: Diagnostics): ScriptConfig {
  const out: { -readonly [K in keyof ScriptConfig]: ScriptConfig[K] } = {};
  const stackModes = ['bpftrace', 'perf', 'raw'];
  const seen = new Set<string>();
  for (const s of settings(program, diags)) {
    if (seen.has(s.key)) continue;
    seen.add(s.key);
    const int = /^\d+$/.test(s.text) ? Number(s.text) : NaN;
    switch (s.key) {
      case 'stack_mode':
        if (!stackModes.includes(s.text)) diags.error('invalid-config', `${s.name}: stack_mode must be one of: ${stackModes.join(', ')} (got "${s.text}")`, s.span);
        else out.stackMode = s.text as 'bpftrace' | 'perf' | 'raw';
        break;
      case 'perf_rb_pages':
        if (!Number.isInteger(int) || int <= 0 || int > MAX_RB_PAGES) diags.error('invalid-config', `${s.name} needs a number of pages from 1 to ${MAX_RB_PAGES}, got "${s.text}"`, s.span);
        else out.perfRbPages = int;
        break;
      case 'max_map_keys':
        if (!Number.isInteger(int) || int <= 0) diags.error('invalid-config', `${s.name} needs a positive integer, got "${s.text}"`, s.span);
        else out.maxMapKeys = int;
        break;
      case 'export_max_series':
        if (!Number.isInteger(int) || int <= 0) diags.error('invalid-config', `${s.name} needs a positive integer, got "${s.text}"`, s.span);
        else out.exportMaxSeries = int;
        break;
      case 'max_strlen':
        if (!Number.isInteger(int) || int <= 0 || int > MAX_STRLEN_LIMIT) diags.error('invalid-config', `${s.name} needs a number from 1 to ${MAX_STRLEN_LIMIT} in tsbpf, got "${s.text}"`, s.span);
        else out.maxStrlen = int;
        break;
      case 'on_stack_limit':
        // bpftrace takes any unsigned integer: 0 puts every blob in the scratch map, 512 and more none.
        if (!Number.isSafeInteger(int)) diags.error('invalid-config', `${s.name} needs a number of bytes (0 or more), got "${s.text}"`, s.span);
        else out.onStackLimit = int;
        break;
      case 'missing_probes':
        // Checked (and reported) before the probes expand: missingProbesMode.
        if ((MISSING_PROBES as readonly string[]).includes(s.text)) out.missingProbes = s.text as MissingProbes;
        break;
      case 'str_trunc_trailer':
        out.strTruncTrailer = s.text;
        break;
      case 'cpp_demangle':
      case 'show_debug_info':
        if (!['true', 'false', '1', '0'].includes(s.text)) diags.error('invalid-config', `${s.name}: Invalid bool value: valid values are true, false, 1 or 0.`, s.span);
        else out[s.key === 'cpp_demangle' ? 'cppDemangle' : 'showDebugInfo'] = s.text === 'true' || s.text === '1';
        break;
      case 'license':
        if (!LICENSES.includes(s.text)) diags.error('invalid-config', `Invalid value for license. Found: ${s.text}. Valid values: ${LICENSES.join(', ')}.`, s.span);
        else out.license = s.text;
        break;
      case 'log_size':
      case 'max_cat_bytes':
      case 'max_probes':
      case 'max_bpf_progs': {
        if (!Number.isInteger(int) || int <= 0) {
          diags.error('invalid-config', `${s.name} needs a positive integer, got "${s.text}"`, s.span);
          break;
        }
        const field = ({ log_size: 'logSize', max_cat_bytes: 'maxCatBytes', max_probes: 'maxProbes', max_bpf_progs: 'maxBpfProgs' } as const)[s.key];
        out[field] = int;
        break;
      }
      case 'print_maps_on_exit':
        // bpftrace's bool parser: true, false, 1 or 0.
        if (!['true', 'false', '1', '0'].includes(s.text)) diags.error('invalid-config', `${s.name}: Invalid bool value: valid values are true, false, 1 or 0.`, s.span);
        else out.printMapsOnExit = s.text === 'true' || s.text === '1';
        break;
    }
  }
  return out;
}
