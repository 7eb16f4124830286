import type * as ast from '../ast/nodes.js';
import type { Diagnostics } from '../common/diagnostic.js';
import { didYouMean } from './suggest.js';

/** The config block's settings that change compilation; the others are accepted and checked by name. */
export interface ScriptConfig {
  readonly maxMapKeys?: number;
  readonly maxStrlen?: number;
  /** `perf_rb_pages`: pages of the event ring buffer (src/compile.ts ringbufBytes). */
  readonly perfRbPages?: number;
  /** `stack_mode`: kstack/ustack's default mode; BPFTRACE_STACK_MODE overrides it. */
  readonly stackMode?: 'bpftrace' | 'perf' | 'raw';
  /** `str_trunc_trailer`: printed after a truncated str() value; BPFTRACE_STR_TRUNC_TRAILER overrides it. */
  readonly strTruncTrailer?: string;
}

/** bpftrace's config variables (docs/language.md "Config Variables"). */
const KNOWN = [
  'cache_user_symbols', 'cpp_demangle', 'lazy_symbolication', 'license', 'log_size', 'max_bpf_progs', 'max_cat_bytes',
  'max_map_keys', 'max_probes', 'max_strlen', 'missing_probes', 'on_stack_limit', 'perf_rb_pages', 'show_debug_info',
  'stack_mode', 'str_trunc_trailer', 'print_maps_on_exit', 'unstable_map_decl', 'unstable_import', 'unstable_macro',
  'unstable_tseries', 'unstable_addr', 'unstable_typeinfo',
];

/** Largest `perf_rb_pages` accepted (1 GiB of 4 KiB pages). */
const MAX_RB_PAGES = 262144;

/** Largest `max_strlen`: large strings live in the per-CPU scratch map, whose entries hold 32 KiB (src/codegen/bpf-builder.ts). */
export const MAX_STRLEN_LIMIT = 16384;

/**
 * Reads `config = { max_map_keys = 2; stack_mode = perf }`. Names may be written as the
 * environment variable (`BPFTRACE_MAX_MAP_KEYS`), upper case, or lower case.
 */
export function readConfig(program: ast.Program, diags: Diagnostics): ScriptConfig {
  const out: { maxMapKeys?: number; maxStrlen?: number; perfRbPages?: number; stackMode?: 'bpftrace' | 'perf' | 'raw'; strTruncTrailer?: string } = {};
  const envTrailer = process.env['BPFTRACE_STR_TRUNC_TRAILER'];
  if (envTrailer !== undefined) out.strTruncTrailer = envTrailer;
  const stackModes = ['bpftrace', 'perf', 'raw'];
  const envMode = process.env['BPFTRACE_STACK_MODE'];
  if (envMode !== undefined && envMode !== '') {
    // Environment variables win over the config block (bpftrace docs/language.md "Config Variables").
    if (stackModes.includes(envMode)) out.stackMode = envMode as 'bpftrace' | 'perf' | 'raw';
    else diags.error('invalid-config', `BPFTRACE_STACK_MODE must be one of: ${stackModes.join(', ')} (got "${envMode}")`);
  }
  const envStrlen = process.env['BPFTRACE_MAX_STRLEN'];
  if (envStrlen !== undefined && envStrlen !== '') {
    // Like the config block's max_strlen; the environment wins.
    const n = /^\d+$/.test(envStrlen.trim()) ? Number(envStrlen.trim()) : NaN;
    if (!Number.isInteger(n) || n <= 0 || n > MAX_STRLEN_LIMIT) diags.error('invalid-config', `BPFTRACE_MAX_STRLEN needs a number from 1 to ${MAX_STRLEN_LIMIT}, got "${envStrlen}"`);
    else out.maxStrlen = n;
  }
  for (const entry of program.config?.entries ?? []) {
    const key = entry.key.toLowerCase().replace(/^bpftrace_/, '');
    if (!KNOWN.includes(key)) {
      const hint = didYouMean(key, KNOWN);
      diags.error('unknown-config', `unknown config variable: ${entry.key}`, entry.span, hint ? [`did you mean ${hint}?`] : undefined);
      continue;
    }
    if (key === 'stack_mode') {
      const v = entry.value;
      const mode = v.kind === 'Identifier' ? v.name : v.kind === 'StringLiteral' ? v.value : '';
      if (!stackModes.includes(mode)) {
        diags.error('invalid-config', `stack_mode must be one of: ${stackModes.join(', ')}`, v.span);
        continue;
      }
      out.stackMode ??= mode as 'bpftrace' | 'perf' | 'raw';
      continue;
    }
    if (key === 'str_trunc_trailer') {
      const v = entry.value;
      if (v.kind !== 'StringLiteral') {
        diags.error('invalid-config', `${entry.key} needs a string`, v.span);
        continue;
      }
      out.strTruncTrailer ??= v.value;
      continue;
    }
    if (key === 'perf_rb_pages') {
      const n = entry.value.kind === 'IntLiteral' ? Number(entry.value.value) : NaN;
      if (!Number.isInteger(n) || n <= 0 || n > MAX_RB_PAGES) {
        diags.error('invalid-config', `${entry.key} needs a number of pages from 1 to ${MAX_RB_PAGES}`, entry.value.span);
        continue;
      }
      out.perfRbPages = n;
      continue;
    }
    if (key === 'max_map_keys' || key === 'max_strlen') {
      const n = entry.value.kind === 'IntLiteral' ? Number(entry.value.value) : NaN;
      if (!Number.isInteger(n) || n <= 0) {
        diags.error('invalid-config', `${entry.key} needs a positive integer`, entry.value.span);
        continue;
      }
      if (key === 'max_strlen' && n > MAX_STRLEN_LIMIT) {
        diags.error('invalid-config', `max_strlen can be at most ${MAX_STRLEN_LIMIT} in tsbpf`, entry.value.span);
        continue;
      }
      if (key === 'max_map_keys') out.maxMapKeys = n;
      else out.maxStrlen ??= n;
    }
  }
  return out;
}
