import type * as ast from './ast/nodes.js';
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile, Span } from './common/span.js';
import type { IrMap, IrModule, IrProgram } from './ir/ir.js';
import type { EventSpec } from './passes/events.js';
import { isPerCpuKind, keyLayoutTypes, mapValueSize, ProbeLowerer, type ScriptState } from './passes/lower.js';
import type { MapKind, MapSpec } from './passes/program-info.js';
import { providerFor } from './providers/registry.js';
import type { ConcreteProbe, ExpandContext } from './providers/provider.js';
import { parse } from './syntax/index.js';
import { sizeOf, type Type } from './types/types.js';
import { kernelBtfTypes } from './kernel/btf.js';
import { readConfig } from './passes/config.js';
import { checkMapDecls, readMapDecls, type DeclaredMap } from './passes/map-decls.js';
import { TypeResolver } from './passes/lower-types.js';
import { expandImports, type ImportResult } from './passes/imports.js';
import { checkNamedParams, splitParams } from './passes/named-params.js';
import { checkUnstableTseries, tseriesKeyLayout, tseriesMaxEntries } from './builtins/tseries.js';
import { possibleCpuCount } from './kernel/cpus.js';
import { definesAsMacros } from './passes/defines.js';
import { resolveScriptTypes } from './passes/resolve-script-types.js';

/** BPF map types used by the compiler. */
export const MapType = { HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, RINGBUF: 27 } as const;

export const DEFAULT_MAX_MAP_KEYS = 4096;
export const RINGBUF_BYTES = 4 * 1024 * 1024;

/**
 * The event ring buffer's size: RINGBUF_BYTES, or `config = { perf_rb_pages = N }` pages as
 * bpftrace's get_buffer_pages: at least one page per CPU, rounded up to a power of two (the
 * kernel requires one).
 */
export function ringbufBytes(perfRbPages: number | undefined, cpus = possibleCpuCount()): number {
  if (perfRbPages === undefined) return RINGBUF_BYTES;
  let pages = 1;
  while (pages < Math.max(perfRbPages, cpus)) pages *= 2;
  return pages * 4096;
}

/**
 * Environment variables that change what the compiler produces (runtime/compiler.ts puts them in
 * the compile cache key): the ring buffer size and tseries' test clock.
 */
export const COMPILE_ENV_VARS = ['BPFTRACE_PERF_RB_PAGES', 'BPFTRACE_DUMMY_TS_MAP', 'BPFTRACE_STACK_MODE', 'BPFTRACE_MAX_STRLEN'] as const;

/** `BPFTRACE_PERF_RB_PAGES=N`: pages of the event ring buffer (1 to 262144), or undefined when unset. */
export function perfRbPagesFromEnv(diags: Diagnostics, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['BPFTRACE_PERF_RB_PAGES'];
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n <= 0 || n > 262144) {
    diags.error('invalid-config', `BPFTRACE_PERF_RB_PAGES needs a number of pages from 1 to 262144, got "${raw}"`);
    return undefined;
  }
  return n;
}

/** A script map as the runtime needs it to print: plain JSON data. */
export interface CompiledMap {
  readonly id: number;
  readonly name: string;
  readonly bpfType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Absent for internal maps (ring buffer, loss counter). */
  readonly spec?: {
    readonly kind: MapKind;
    readonly keyTypes: readonly Type[];
    readonly valueType: Type;
    /** lhist min/max/step, as decimal strings (bigint is not JSON). */
    readonly params: readonly string[];
  };
}

export interface CompiledProgram {
  readonly name: string;
  readonly probe: ConcreteProbe;
  /** Raw `struct bpf_insn` bytes, base64; map references are `ld_imm64` with src_reg 1 (2: a one-entry array's value address) and imm = map id. */
  readonly insns: string;
  /** Instruction index of each callback subprogram (bpf_loop / bpf_for_each_map_elem); loading needs BTF func_info for them. */
  readonly subprogs?: readonly number[];
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
}

export interface CompileOptions {
  readonly positionals?: readonly string[];
  /** `-p PID` / the `-c` child: user probes resolve in and attach to this process. */
  readonly pid?: number;
  /** The `-c` child's pid (`cpid`). */
  readonly cpid?: number;
  /** `--unsafe`: allow system() and signal(). */
  readonly unsafe?: boolean;
  /** 0 `--no-warnings`, 1 default, 2 `-k`: which helper failures the code reports (src/passes/lower.ts helperErr). */
  readonly warningLevel?: 0 | 1 | 2;
}

export interface FrontendResult {
  readonly ir?: IrModule;
  readonly maps: readonly CompiledMap[];
  readonly probes: readonly { name: string; probe: ConcreteProbe; span?: Span }[];
  readonly events: readonly EventSpec[];
  readonly diagnostics: readonly Diagnostic[];
  readonly program?: ast.Program;
}

/**
 * The pass pipeline, in order: parse → expand attach points (providers) → resolve every map's and
 * variable's type over all probes (src/passes/resolve-types.ts) → check and lower every concrete
 * probe to IR with those types. Stops at the first stage with errors.
 */
export function compileFrontend(original: SourceFile, opts: CompileOptions = {}): FrontendResult {
  // `import "x.bt";`: imported scripts are appended to the text before parsing (src/passes/imports.ts).
  const imported = expandImports(original);
  if (imported.diagnostics.some((d) => d.severity === 'error')) return { maps: [], probes: [], events: [], diagnostics: imported.diagnostics.map((d) => importedPlace(d, imported)) };
  const r = compileExpanded(imported.source, opts, imported.files[0]?.start);
  if (imported.files.length === 0) return r;
  return { ...r, diagnostics: r.diagnostics.map((d) => importedPlace(d, imported)) };
}

/** A diagnostic inside an imported file: its file, line and column in the message (spans index the main text only). */
function importedPlace(d: Diagnostic, imp: ImportResult): Diagnostic {
  const at = d.span?.start;
  const file = at === undefined ? undefined : [...imp.files].reverse().find((f) => f.start <= at);
  if (!file || at === undefined) return d;
  const before = imp.source.text.slice(file.start, at);
  const line = before.split('\n').length;
  const col = at - file.start - before.lastIndexOf('\n');
  return { ...d, span: undefined, message: `${file.name}:${line}:${col}: ${d.message}` };
}

function compileExpanded(source: SourceFile, opts: CompileOptions, importStart?: number): FrontendResult {
  const parsed = parse(source);
  if (!parsed.program) return { maps: [], probes: [], events: [], diagnostics: parsed.diagnostics };
  // Imported probes come first: they stand where their import statement is, before the script's probes.
  const program = importStart === undefined ? parsed.program : {
    ...parsed.program,
    probes: [...parsed.program.probes.filter((p) => p.span.start >= importStart), ...parsed.program.probes.filter((p) => p.span.start < importStart)],
  };
  const diags = new Diagnostics();
  diags.items.push(...parsed.diagnostics);

  const expanded = expandProbes(program, diags, { pid: opts.pid });
  if (diags.hasErrors) return { maps: [], probes: [], events: [], diagnostics: diags.items, program };
  if (expanded.length === 0) {
    diags.error('no-probes', 'the program has no probes');
    return { maps: [], probes: [], events: [], diagnostics: diags.items, program };
  }

  const config = readConfig(program, diags);
  const mapDecls = readMapDecls(program, diags);
  const types = new TypeResolver(program.structs, () => kernelBtfTypes());
  // Script macros win over object-like #defines of the same name.
  const macros = new Map([...definesAsMacros(program.preprocessor), ...program.macros].map((m) => [m.name, m] as const));
  const params = splitParams(opts.positionals ?? []);
  const state = (): ScriptState => ({
    target: { pid: opts.pid, cpid: opts.cpid },
    maps: new Map<string, MapSpec>(), events: [], positionals: params.positionals, namedParams: new Map(), givenParams: params.named, mapIds: new Map(), types, macros, maxStrlen: config.maxStrlen,
    unsafe: opts.unsafe === true, warningLevel: opts.warningLevel ?? 1, internalMaps: new Map(), source, stackMode: config.stackMode, varTypes: new Map(),
  });
  // Every map's and variable's type, resolved over all probes to a fixed point (src/passes/resolve-types.ts).
  const resolved = resolveScriptTypes(expanded, state, source);
  const script: ScriptState = { ...state(), maps: resolved.table.maps, table: resolved.table, varTypes: resolved.varTypes };
  const programs: IrProgram[] = [];
  const probes: { name: string; probe: ConcreteProbe; span?: Span }[] = [];
  expanded.forEach(({ node, probe }, i) => {
    const name = `${progNamePrefix(probe)}_${i}`;
    programs.push(new ProbeLowerer(script, probe, diags).lower(node, name, `.text.${name}`));
    const aps = node.attachPoints;
    probes.push({ name, probe, span: aps.length ? { start: aps[0]!.span.start, end: aps[aps.length - 1]!.span.end } : node.span });
  });
  checkMapDecls(mapDecls, script.maps, (spec) => isPerCpuKind(spec.kind), diags);
  if (!diags.hasErrors) checkNamedParams(script.namedParams!, params.named, diags);
  checkUnstableTseries(program, script.maps, diags);
  dedupe(diags);
  if (diags.hasErrors) return { maps: [], probes, events: script.events, diagnostics: diags.items, program };

  // BPFTRACE_PERF_RB_PAGES overrides the config block, as bpftrace's environment variables do.
  const envRbPages = perfRbPagesFromEnv(diags);
  if (diags.hasErrors) return { maps: [], probes, events: script.events, diagnostics: diags.items, program };
  const maps = buildMaps(script, config.maxMapKeys, mapDecls);
  const ringbufMap = maps.length;
  const lostMap = ringbufMap + 1;
  const zeroMap = ringbufMap + 2;
  // Blobs too large for the BPF stack (src/codegen/module.ts): added and sized by compileScript after
  // code generation, and only when a program uses it (it is the last map: no other id moves).
  const scratchMap = ringbufMap + 3;
  const zeroSize = Math.max(8, ...maps.map((m) => m.valueSize));
  const internal: CompiledMap[] = [
    { id: ringbufMap, name: '.ringbuf', bpfType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: ringbufBytes(envRbPages ?? config.perfRbPages) },
    { id: lostMap, name: '.lost', bpfType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
    { id: zeroMap, name: '.zero', bpfType: MapType.ARRAY, keySize: 4, valueSize: zeroSize, maxEntries: 1 },
  ];
  const all = [...maps, ...internal];
  const ir: IrModule = { maps: all.map(toIrMap), programs, ringbufMap, lostMap, zeroMap, scratchMap };
  return { ir, maps: all, probes, events: script.events, diagnostics: diags.items, program };
}

/** The whole compile, front end and code generation: runs in the compile worker. */
export async function compileScript(source: SourceFile, opts: CompileOptions = {}): Promise<CompiledScript | { diagnostics: readonly Diagnostic[] }> {
  const front = compileFrontend(source, opts);
  if (!front.ir) return { diagnostics: front.diagnostics };
  const { emitPrograms } = await import('./codegen/emit.js');
  let emitted: ReturnType<typeof emitPrograms>;
  try {
    emitted = emitPrograms(front.ir);
  } catch (e) {
    const diags = codegenDiagnostics(e, front.probes);
    if (diags) return { diagnostics: [...front.diagnostics.filter((d) => d.severity === 'warning'), ...diags] };
    throw e;
  }
  const { valueSize, entries } = emitted.scratch;
  const scratch: CompiledMap[] = entries > 0 && front.ir.scratchMap !== undefined
    ? [{ id: front.ir.scratchMap, name: '.scratch', bpfType: MapType.PERCPU_ARRAY, keySize: 4, valueSize, maxEntries: entries }]
    : [];
  return {
    format: 1,
    maps: [...front.maps, ...scratch],
    programs: front.probes.map(({ name, probe }) => {
      const subprogs = emitted.subprogs.get(name);
      return { name, probe, insns: emitted.programs.get(name)!.toString('base64'), ...(subprogs ? { subprogs } : {}) };
    }),
    events: front.events,
    ringbufMap: front.ir.ringbufMap,
    lostMap: front.ir.lostMap,
    warnings: front.diagnostics.filter((d) => d.severity === 'warning'),
  };
}

/**
 * Code generation failures that are the script's doing, as diagnostics at the probe: LLVM's BPF
 * backend refuses functions whose stack frame exceeds 512 bytes ("Looks like the BPF stack limit
 * of 512 bytes is exceeded"). Anything else is a tsbpf bug and stays an internal error.
 */
function codegenDiagnostics(e: unknown, probes: FrontendResult['probes']): Diagnostic[] | undefined {
  const message = e instanceof Error ? e.message : String(e);
  // src/codegen/bpf-builder.ts ScratchTooLargeError (not imported: that module loads LLVM).
  if (e instanceof Error && e.name === 'ScratchTooLargeError') return [{ severity: 'error', code: 'bpf-stack-limit', message: `${message}: use shorter strings (str(x, N), config max_strlen)` }];
  if (!/BPF stack limit of 512 bytes is exceeded/.test(message)) return undefined;
  const names = new Set([...message.matchAll(/in function (\S+) /g)].map((m) => m[1]!));
  const hit = probes.filter((p) => names.has(p.name));
  const hint = 'the probe keeps more than 512 bytes of values on the BPF stack: use shorter strings (str(x, N), config max_strlen), fewer string or tuple variables, or split the work between probes';
  const one = (p: FrontendResult['probes'][number] | undefined): Diagnostic => ({
    severity: 'error', code: 'bpf-stack-limit',
    message: `${p ? `probe ${p.probe.name}` : 'a probe'} needs more than the 512 bytes of BPF stack`,
    span: p?.span, hints: [hint],
  });
  if (hit.length === 0) return [one(undefined)];
  // One diagnostic per probe block (several concrete probes of one block share its text).
  const seen = new Set<string>();
  return hit.filter((p) => {
    const k = `${p.span?.start}:${p.span?.end}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  }).map(one);
}

function expandProbes(program: ast.Program, diags: Diagnostics, ctx: ExpandContext): { node: ast.Probe; probe: ConcreteProbe }[] {
  const out: { node: ast.Probe; probe: ConcreteProbe }[] = [];
  for (const node of program.probes) {
    for (const ap of node.attachPoints) {
      const provider = providerFor(ap.raw);
      if (!provider) {
        const head = ap.raw.split(':', 1)[0];
        diags.error('unknown-probe-type', `unknown probe type: ${head}`, ap.span);
        continue;
      }
      for (const probe of provider.expand(ap.raw, ap.span, diags, ctx)) out.push({ node, probe });
    }
  }
  return out;
}

function buildMaps(script: ScriptState, maxMapKeys = DEFAULT_MAX_MAP_KEYS, decls: ReadonlyMap<string, DeclaredMap> = new Map()): CompiledMap[] {
  const maps: CompiledMap[] = [];
  // Ids were handed out in first-use order; keep them.
  const byId = [...script.mapIds.entries()].sort((a, b) => a[1] - b[1]);
  for (const [name, id] of byId) {
    const internal = script.internalMaps?.get(name);
    if (internal && !script.maps.has(name)) {
      maps[id] = { id, name, ...internal };
      continue;
    }
    const spec = script.maps.get(name)!;
    // `let @m = lruhash(N);` decides the map's type and size (checked against its values by checkMapDecls).
    const declared = decls.get(name);
    maps[id] = {
      id,
      name,
      bpfType: declared?.bpfType ?? (isPerCpuKind(spec.kind) ? MapType.PERCPU_HASH : MapType.HASH),
      // tseries keys carry the interval's bucket after the script's keys (src/builtins/tseries.ts).
      keySize: spec.kind === 'tseries' ? tseriesKeyLayout(spec.keyTypes).size : Math.max(1, sizeOf(keyLayoutTypes(spec.keyTypes))),
      valueSize: mapValueSize(spec),
      maxEntries: declared?.maxEntries ?? (spec.kind === 'tseries' ? tseriesMaxEntries(spec, maxMapKeys) : spec.keyTypes.length === 0 ? 1 : maxMapKeys),
      spec: { kind: spec.kind, keyTypes: spec.keyTypes, valueType: spec.valueType, params: spec.params.map(String) },
    };
  }
  return maps;
}

function toIrMap(m: CompiledMap): IrMap {
  return { id: m.id, name: m.name, bpfType: m.bpfType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries };
}

/** BPF object names are at most 15 characters: a short, readable prefix. */
function progNamePrefix(p: ConcreteProbe): string {
  const last = p.name.split(':').pop() ?? p.provider;
  return last.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 10) || 'probe';
}

function dedupe(diags: Diagnostics): void {
  const seen = new Set<string>();
  const kept = diags.items.filter((d) => {
    const key = `${d.code}:${d.span?.start}:${d.span?.end}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  diags.items.length = 0;
  diags.items.push(...kept);
}
