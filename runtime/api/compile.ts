/** `compile()`: a script checked and compiled (through the compile worker and cache), nothing loaded. */
import type { CompiledScript, Diagnostic, SourceFile } from '../../src/contract/index.js';
import { compileFailureText } from '../compile/compile-failure.js';
import { compile as compileRequest } from '../compile/compiler.js';
import { InternalCompilerError } from './errors.js';

/** Parameter values: `$1`, `$2`... (TraceOptions.params) and getopt() values (namedParams). */
export type ParamValue = string | number | bigint | boolean;

export interface CompileOptions {
  /** `$1`, `$2`, ...: the CLI's arguments after the script (`$#` counts them). */
  readonly params?: readonly ParamValue[];
  /** getopt("name", default) values: the CLI's `-- --name=value`. `true` alone is the bare flag (`--name`). */
  readonly namedParams?: Readonly<Record<string, ParamValue>>;
  /** `--unsafe`: allow system(), signal() and the other unsafe functions. */
  readonly unsafe?: boolean;
  /** `-p PID`: user probes (uprobe, usdt) resolve in this process (the trace does not end with it). */
  readonly pid?: number;
  /** `-k`: report failed probe reads and map lookups as `helper-error` events. */
  readonly helperWarnings?: boolean;
  /** `--no-cache`: neither use nor fill the compile cache. */
  readonly noCache?: boolean;
  /** The script's name in diagnostics (default `stdin`, as for `-e`). */
  readonly name?: string;
}

export type CompileResult =
  | {
      readonly ok: true;
      /** The compiled form: plain JSON-serialisable data that `trace()` also accepts. */
      readonly script: CompiledScript;
      /** The compiler's warnings (the CLI prints them before running). */
      readonly warnings: readonly Diagnostic[];
      /** Whether it came from the compile cache. */
      readonly cached: boolean;
    }
  | {
      readonly ok: false;
      /** Each with a `span`: offsets into the script's text. */
      readonly diagnostics: readonly Diagnostic[];
      /** The diagnostics as the CLI prints them: location, message, the source line and carets. */
      readonly message: string;
    };

/** The worker's positional parameters: `$N` values, then the named ones as `--name=value`. */
export function workerParams(opts: CompileOptions): string[] {
  const positionals = (opts.params ?? []).map((p) => {
    const s = String(p);
    // The compiler reads arguments that start with `--` as named parameters (src/passes/named-params.ts).
    if (s.startsWith('--')) throw new TypeError(`params: ${JSON.stringify(s)} starts with '--': give named parameters in namedParams`);
    return s;
  });
  const named = Object.entries(opts.namedParams ?? {}).map(([name, v]) => (v === true ? `--${name}` : `--${name}=${String(v)}`));
  return [...positionals, ...named];
}

/**
 * Compile `script` without loading anything. Diagnostics need no privileges; expanding probes
 * reads tracefs and BTF, which may need root. Throws InternalCompilerError when the compiler
 * itself fails.
 */
export async function compile(script: string, opts: CompileOptions = {}): Promise<CompileResult> {
  const source: SourceFile = { name: opts.name ?? 'stdin', text: script };
  const outcome = await compileRequest({
    source,
    positionals: workerParams(opts),
    unsafe: opts.unsafe,
    pid: opts.pid,
    warningLevel: opts.helperWarnings ? 2 : 1,
    noCache: opts.noCache,
  });
  if (outcome.kind === 'internal-error') throw new InternalCompilerError(compileFailureText(outcome, source).replace(/\n$/, ''));
  if (outcome.kind === 'diagnostics') return { ok: false, diagnostics: outcome.diagnostics, message: compileFailureText(outcome, source).replace(/\n$/, '') };
  return { ok: true, script: outcome.script, warnings: outcome.script.warnings, cached: outcome.cached };
}
