import { mapKeyNames } from './passes/map-key-names.js';
import type * as ast from './ast/nodes.js';
import { Diagnostics, type Diagnostic } from './common/diagnostic.js';
import type { SourceFile, Span } from './common/span.js';
import type { IrMap, IrModule, IrProgram } from './ir/ir.js';
import { HELPER_ERROR_MAP, helperErrorValueSize, STOPPED_MAP, isScalarIntArrayMap, MapType, SCALAR_SET_FLAG_OFFSET, tseriesKeyLayout, type CompiledMap, type CompiledScript, type EventSpec } from './contract/index.js';
import { isPerCpuKind, keyLayoutTypes, mapValueSize, ProbeLowerer, type ScriptState } from './passes/lower.js';
import type { MapSpec } from './passes/program-info.js';
import { providerFor } from './providers/registry.js';
import type { ConcreteProbe, ExpandContext } from './providers/provider.js';
import { parse } from './syntax/index.js';
import { DEFAULT_ON_STACK_LIMIT, sizeOf, typeToString, type Type } from './types/types.js';
import { btfEnvWarning, kernelBtfTypes } from './kernel/btf.js';
import { missingProbesMode, probeLimitErrors, readConfig } from './passes/config.js';
import { checkMapDecls, readMapDecls, type DeclaredMap } from './passes/map-decls.js';
import { ScriptEnums } from './passes/enums.js';
import { warnUnreachable } from './passes/unreachable.js';
import { tellsProbesApart, uprobeMultiAvailable } from './passes/multi-link.js';
import { TypeResolver } from './passes/lower-types.js';
import { expandImports, type ImportResult } from './passes/imports.js';
import { checkNamedParams, splitParams } from './passes/named-params.js';
import { checkUnstableTseries, tseriesMaxEntries } from './builtins/tseries.js';
import { possibleCpuCount } from './kernel/cpus.js';
import { definesAsMacros } from './passes/defines.js';
import { checkPipeline, runPasses, type AfterPass, type Pass } from './passes/pass.js';
import { DUMP_STAGES, type DumpStage } from './contract/dump-stages.js';
import { reportedErrors, usesInsertCounters } from './ir/insert-checks.js';
import { ringDemand } from './ir/ring-demand.js';
import type { ScriptConfig } from './passes/config.js';
import { printAst } from './ast/printer.js';
import { printIrModule } from './ir/printer.js';
import { disassemble } from './codegen/bpf-disasm.js';
import type { EmittedPrograms, LlvmModule } from './codegen/emit.js';
import type { ReadFile } from './contract/content-hash.js';
import { resolveScriptTypes, type ResolvedScriptTypes } from './passes/resolve-script-types.js';
import { isDetachedProbe } from './passes/run-state.js';
import { mapUses, mapsUsedBeyondIntValue, mapsUsedOtherwise, scalarArrayKind, SUM_ARRAY_VALUE_SIZE } from './passes/scalar-maps.js';

// The compiled-script format and the uapi ids live in src/contract; re-exported for the compiler's users.
export { COMPILE_ENV_VARS, MapType, type CompiledMap, type CompiledProgram, type CompiledScript } from './contract/index.js';

export const DEFAULT_MAX_MAP_KEYS = 4096;
/**
 * The default event ring buffer: 16 MiB, bpftrace's default (get_buffer_pages: the available memory
 * capped at 16544 KB, rounded to the closest power of two of pages, i.e. 4096 pages wherever 16 MB
 * are free). It is what absorbs a flood while the consumer is short of CPU: at 24 bytes per
 * `printf("%d\n", pid)` record, ~700k events.
 */
export const RINGBUF_BYTES = 16 * 1024 * 1024;

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
 * The event ring buffer's size for a script: `perf_rb_pages` when given; else, when what the
 * script can send is bounded (its attached probes send nothing; BEGIN and END send from no loop:
 * src/ir/ring-demand.ts), the pages that holds, by the same rule; else RINGBUF_BYTES.
 */
function ringbufSize(perfRbPages: number | undefined, programs: readonly IrProgram[], probes: readonly { readonly probe: ConcreteProbe }[], unchecked: ReadonlySet<number>): number {
  if (perfRbPages !== undefined) return ringbufBytes(perfRbPages);
  const demand = ringDemand(programs.map((p, i) => ({ body: p.body, runOnce: probes[i]?.probe.attach.kind === 'special' })), unchecked);
  return demand === undefined ? RINGBUF_BYTES : ringbufBytes(Math.max(1, Math.ceil(demand / 4096)));
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
  /** The shell's compiles (WorkerRequest.growing): the event ring keeps its default size. */
  readonly growing?: boolean;
}

export interface FrontendResult {
  readonly ir?: IrModule;
  readonly maps: readonly CompiledMap[];
  readonly probes: readonly { name: string; probe: ConcreteProbe; span?: Span; stopGuard?: true }[];
  readonly events: readonly EventSpec[];
  readonly diagnostics: readonly Diagnostic[];
  readonly program?: ast.Program;
  /** What `import` statements read (src/passes/imports.ts). */
  readonly imports?: readonly ReadFile[];
  /** The names `probe` map keys stand for, by probe id (CompiledScript.probeNames). */
  readonly probeNames?: readonly string[];
}

/** The front end (PIPELINE up to `layout-maps`): text to IR, no LLVM. Stops at the first pass with errors. */
export function compileFrontend(original: SourceFile, opts: CompileOptions = {}, dump?: DumpRequest): FrontendResult {
  const state: CompileState = { original, opts };
  const diags = startDiagnostics();
  runPasses(FRONTEND_PASSES, state, diags, dumper(dump));
  return frontendResult(state, diags);
}

/** A compile's diagnostics, starting with bpftrace's warning for a `BPFTRACE_BTF` file it cannot read. */
function startDiagnostics(): Diagnostics {
  const diags = new Diagnostics();
  const btf = btfEnvWarning();
  if (btf) diags.warning('bad-btf-file', btf);
  return diags;
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

/**
 * What the passes read and fill, field by field (each pass names its fields in PIPELINE). Inputs:
 * `original`, `opts`; `backend` (the code generator, loaded by compileScript) for the full run.
 */
export interface CompileState {
  readonly original: SourceFile;
  readonly opts: CompileOptions;
  backend?: typeof import('./codegen/emit.js');
  /** Set by a pass to end the pipeline early without an error. */
  stop?: boolean;
  imported?: ImportResult;
  program?: ast.Program;
  expanded?: { node: ast.Probe; probe: ConcreteProbe }[];
  config?: ScriptConfig;
  mapDecls?: ReadonlyMap<string, DeclaredMap>;
  newScript?: () => ScriptState;
  resolved?: ResolvedScriptTypes;
  script?: ScriptState;
  programs?: IrProgram[];
  probes?: FrontendResult['probes'];
  /** The type lowering gave each expression, per program (`-d types`). */
  exprTypes?: Map<string, Map<ast.Expr, Type>>;
  maps?: CompiledMap[];
  ir?: IrModule;
  llvm?: LlvmModule;
  emitted?: EmittedPrograms;
}

type CompilePass = Pass<CompileState>;

/**
 * The compiler, pass by pass, in order (bpftrace's AllParsePasses + AllCompilePasses). The front
 * end (compileFrontend) runs up to `layout-maps`; the compile worker (compileScript) runs all.
 * `-d STAGE` prints after the pass DUMP_AFTER names. Macros have no pass of their own: a macro
 * call is expanded where lowering meets it (src/passes/macros.ts), so its body is typed per call.
 */
export const PIPELINE: readonly CompilePass[] = [
  {
    // Before parsing: `import "x.bt";` splices the imported text in (src/passes/imports.ts).
    name: 'imports', reads: ['original'], writes: ['imported'],
    run(s, diags) {
      s.imported = expandImports(s.original);
      diags.items.push(...s.imported.diagnostics);
    },
  },
  {
    name: 'parse', reads: ['imported'], writes: ['program'],
    run(s, diags) {
      const parsed = parse(s.imported!.source);
      diags.items.push(...parsed.diagnostics);
      if (!parsed.program) return;
      // Imported probes come first: they stand where their import statement is, before the script's probes.
      const importStart = s.imported!.files[0]?.start;
      s.program = importStart === undefined ? parsed.program : {
        ...parsed.program,
        probes: [...parsed.program.probes.filter((p) => p.span.start >= importStart), ...parsed.program.probes.filter((p) => p.span.start < importStart)],
      };
    },
  },
  {
    name: 'expand-probes', reads: ['program'], writes: ['expanded'],
    run(s, diags) {
      s.expanded = expandProbes(s.program!, diags, { pid: s.opts.pid }, splitParams(s.opts.positionals ?? []).positionals);
      if (!diags.hasErrors && s.expanded.length === 0) diags.error('no-probes', 'the program has no probes');
    },
  },
  // script-setup, resolve-types and lower go on after errors: one run reports a bad config entry
  // and the probes' type errors together; `check` stops.
  {
    // Everything the lowering rounds share: config, declared maps, type names, macros, parameters.
    name: 'script-setup', stopOnError: false, reads: ['program', 'imported'], writes: ['config', 'mapDecls', 'newScript'],
    run(s, diags) {
      const program = s.program!;
      const opts = s.opts;
      const config = (s.config = readConfig(program, diags));
      s.mapDecls = readMapDecls(program, diags);
      const types = new TypeResolver(program.structs, () => kernelBtfTypes(), new ScriptEnums(program.enums, diags));
      // Script macros win over object-like #defines of the same name.
      const macros = new Map([...definesAsMacros(program.preprocessor), ...program.macros].map((m) => [m.name, m] as const));
      const params = splitParams(opts.positionals ?? []);
      const source = s.imported!.source;
      s.newScript = (): ScriptState => ({
        target: { pid: opts.pid, cpid: opts.cpid },
        maps: new Map<string, MapSpec>(), events: [], positionals: params.positionals, namedParams: new Map(), givenParams: params.named, mapIds: new Map(), probeIds: new Map(), types, macros, maxStrlen: config.maxStrlen, strTruncTrailer: config.strTruncTrailer, config,
        unsafe: opts.unsafe === true, warningLevel: opts.warningLevel ?? 1, internalMaps: new Map(), source, stackMode: config.stackMode, varTypes: new Map(),
      });
    },
  },
  {
    // Must precede `lower`: every map's and scratch variable's type, resolved over all probes to a
    // fixed point (src/passes/resolve-types.ts) by typing the AST (src/passes/type-of.ts), so a map
    // read in one probe before another assigns it type-checks and every use is converted to one
    // layout. Its diagnostics are discarded (`lower` reports them, in order).
    name: 'resolve-types', stopOnError: false, reads: ['expanded', 'newScript', 'imported'], writes: ['resolved'],
    run(s) {
      s.resolved = resolveScriptTypes(s.expanded!, s.newScript!, s.imported!.source);
    },
  },
  {
    // Every concrete probe to an IR program, once, checked against the resolved types.
    name: 'lower', stopOnError: false, reads: ['expanded', 'newScript', 'resolved'], writes: ['script', 'programs', 'probes', 'exprTypes'],
    run(s, diags) {
      const resolved = s.resolved!;
      const script: ScriptState = (s.script = { ...s.newScript!(), maps: resolved.table.maps, table: resolved.table, varTypes: resolved.varTypes, detachedProbes: s.expanded!.filter(({ probe }) => isDetachedProbe(probe)).length });
      const programs: IrProgram[] = (s.programs = []);
      const probes: { name: string; probe: ConcreteProbe; span?: Span; stopGuard?: true }[] = (s.probes = []);
      const exprTypes = (s.exprTypes = new Map());
      s.expanded!.forEach(({ node, probe }, i) => {
        const name = `${progNamePrefix(probe)}_${i}`;
        const types = new Map<ast.Expr, Type>();
        exprTypes.set(name, types);
        const lowerer = new ProbeLowerer(script, probe, diags, types, resolved.exprTypes[i]);
        programs.push(lowerer.lower(node, name, `.text.${name}`));
        const aps = node.attachPoints;
        // A packet probe carries the interfaces its redirect() calls resolved (its provider checks them).
        const compiled = lowerer.packetView?.compiledProbe(probe) ?? probe;
        probes.push({ name, probe: compiled, span: aps.length ? { start: aps[0]!.span.start, end: aps[aps.length - 1]!.span.end } : node.span, ...(lowerer.stopGuarded ? { stopGuard: true as const } : {}) });
      });
    },
  },
  {
    name: 'check', reads: ['program', 'script', 'mapDecls'], writes: [],
    run(s, diags) {
      const script = s.script!;
      checkMapDecls(s.mapDecls!, script.maps, (spec) => isPerCpuKind(spec.kind), diags);
      if (!diags.hasErrors) checkNamedParams(script.namedParams!, script.givenParams!, diags);
      checkUnstableTseries(s.program!, script.maps, diags);
      warnUnreachable(s.program!, diags);
      dedupe(diags);
    },
  },
  {
    name: 'layout-maps', reads: ['program', 'script', 'config', 'mapDecls', 'programs', 'probes'], writes: ['maps', 'ir'],
    run(s, diags) {
      // BPFTRACE_PERF_RB_PAGES overrides the config block (src/passes/config.ts), as bpftrace's environment variables do.
      if (diags.hasErrors) return;
      // Too many probes: no layout (compileScript then reports the front end's diagnostics, these included).
      if (!probeLimitErrors(s.config!, s.programs!.length, diags)) return;
      const uses = mapUses(s.programs!);
      const maps = buildMaps(s.script!, s.config!.maxMapKeys, s.mapDecls!, { aggregated: mapsUsedOtherwise(uses), intValue: mapsUsedBeyondIntValue(uses) }, mapKeyNames(s.program!));
      // A scalar int array's stores and loads cannot fail: their sites check nothing.
      const unchecked = new Set(maps.filter(isScalarIntArrayMap).map((m) => m.id));
      const ringbufMap = maps.length;
      const lostMap = ringbufMap + 1;
      const zeroMap = ringbufMap + 2;
      // Blobs too large for the BPF stack (src/codegen/module.ts): added and sized by compileScript after
      // code generation, and only when a program uses it (it is the last map: no other id moves).
      const events = s.script!.events;
      // The sites of scalar int array updates were given a helper-error event each while lowering
      // (before their layout was known) and check nothing: their events keep their ids (slots of
      // `.helper-errors`) but not their rendered source lines, which made the compiled script of a
      // probe of 4000 `@a = 1;` 3 MB.
      if (unchecked.size) stubUnreportedErrors(events, s.programs!, unchecked);
      // Map-update failures are counted per site (IrModule.helperErrorMap), when a site is checked.
      const helperErrorMap = events.some((e) => e.kind === 'helper-error') && s.programs!.some((p) => usesInsertCounters(p.body, unchecked)) ? ringbufMap + 3 : undefined;
      const scratchMap = ringbufMap + (helperErrorMap === undefined ? 3 : 4);
      const zeroSize = Math.max(8, ...maps.map((m) => m.valueSize));
      const internal: CompiledMap[] = [
        { id: ringbufMap, name: '.ringbuf', bpfType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: s.opts.growing ? ringbufBytes(s.config!.perfRbPages) : ringbufSize(s.config!.perfRbPages, s.programs!, s.probes!, unchecked) },
        // One shared counter, bumped with an atomic add through its value's address (no lookup).
        { id: lostMap, name: '.lost', bpfType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
        { id: zeroMap, name: '.zero', bpfType: MapType.ARRAY, keySize: 4, valueSize: zeroSize, maxEntries: 1 },
      ];
      if (helperErrorMap !== undefined) internal.push({ id: helperErrorMap, name: HELPER_ERROR_MAP, bpfType: MapType.ARRAY, keySize: 4, valueSize: helperErrorValueSize(events.length), maxEntries: 1 });
      const all = (s.maps = [...maps, ...internal]);
      s.ir = { maps: all.map(toIrMap), programs: s.programs!, ringbufMap, lostMap, zeroMap, scratchMap, onStackLimit: s.config!.onStackLimit ?? DEFAULT_ON_STACK_LIMIT, ...(helperErrorMap === undefined ? {} : { helperErrorMap }) };
    },
  },
  {
    // Code generation (compile worker only: loads llvm-bindings).
    name: 'codegen', reads: ['ir', 'backend'], writes: ['llvm'],
    run(s, diags) {
      // A value too large for the scratch area is the script's doing (ScratchTooLargeError).
      s.llvm = asDiagnostics(() => s.backend!.generateLlvm(s.ir!), s.probes!, diags, s.ir!.onStackLimit);
    },
  },
  {
    name: 'emit', reads: ['llvm', 'backend', 'probes', 'ir'], writes: ['emitted'],
    run(s, diags) {
      s.emitted = asDiagnostics(() => s.backend!.emitObject(s.llvm!), s.probes!, diags, s.ir!.onStackLimit);
    },
  },
];

/** Runs a code generation step; a failure that is the script's doing (codegenDiagnostics) becomes diagnostics, any other is rethrown. */
function asDiagnostics<T>(step: () => T, probes: FrontendResult['probes'], diags: Diagnostics, onStackLimit: number): T | undefined {
  try {
    return step();
  } catch (e) {
    const found = codegenDiagnostics(e, probes, onStackLimit);
    if (!found) throw e;
    diags.items.push(...found);
    return undefined;
  }
}

/** The last front-end pass: compileFrontend stops here (no LLVM). */
const FRONTEND_END = 'layout-maps';
const FRONTEND_PASSES = PIPELINE.slice(0, PIPELINE.findIndex((p) => p.name === FRONTEND_END) + 1);

/** Where each stage is printed from: after this pass. */
export const DUMP_AFTER: Readonly<Record<DumpStage, string>> = {
  ast: 'parse', types: 'lower', ir: 'layout-maps', codegen: 'codegen', 'codegen-opt': 'codegen', bpf: 'emit',
};

/** `-d STAGE`: which stages to print, and where the text goes. */
export interface DumpRequest {
  readonly stages: readonly DumpStage[];
  write(stage: DumpStage, text: string): void;
  /** `--emit-elf`: the BPF ELF object, once the emit pass made it. */
  elf?(object: Buffer): void;
}

/** The printer of each stage, over the state after its pass. */
const DUMP_PRINTERS: Readonly<Record<DumpStage, (s: CompileState) => string>> = {
  ast: (s) => printAst(s.program!),
  types: (s) => {
    // One typed AST per probe block, with the types lowering gave its first concrete probe.
    const seen = new Set<ast.Probe>();
    const out: string[] = [];
    s.expanded!.forEach(({ node, probe }, i) => {
      if (seen.has(node)) return;
      seen.add(node);
      const name = s.probes![i]!.name;
      const types = s.exprTypes!.get(name)!;
      // Operands typed but never lowered (sizeof(e), typeof(e)) have the type pass's type.
      const typed = s.resolved!.exprTypes[i]!;
      out.push(`// ${probe.name} (program ${name})`, printAst(node, (n) => { const t = typed.get(n as ast.Expr) ?? types.get(n as ast.Expr); return t && typeToString(t); }));
    });
    return out.join('\n');
  },
  ir: (s) => printIrModule(s.ir!),
  codegen: (s) => s.llvm!.text,
  'codegen-opt': (s) => s.backend!.optimizedLlvm(s.llvm!),
  bpf: (s) => [...s.emitted!.programs].map(([name, insns]) => [`${name}:`, ...disassemble(insns)].join('\n')).join('\n\n') + '\n',
};

function dumper(dump: DumpRequest | undefined): AfterPass<CompileState> | undefined {
  if (!dump || (dump.stages.length === 0 && !dump.elf)) return undefined;
  return (pass, state) => {
    if (pass.name === 'emit' && state.emitted) dump.elf?.(state.emitted.elf);
    for (const stage of DUMP_STAGES) {
      if (DUMP_AFTER[stage] === pass.name && dump.stages.includes(stage)) dump.write(stage, DUMP_PRINTERS[stage](state));
    }
  };
}

const problems = checkPipeline(PIPELINE, ['original', 'opts', 'backend']);
if (problems.length) throw new Error(`tsbpf: the compiler pipeline is out of order: ${problems.join('; ')}`);

function frontendResult(s: CompileState, diags: Diagnostics): FrontendResult {
  const failed = diags.hasErrors;
  const r: FrontendResult = {
    ...(failed || !s.ir ? {} : { ir: s.ir }),
    maps: failed || !s.maps ? [] : s.maps,
    probes: s.probes ?? [],
    events: s.script?.events ?? [],
    diagnostics: diags.items,
    ...(s.program ? { program: s.program } : {}),
    ...(s.imported?.read.length ? { imports: s.imported.read } : {}),
    ...(s.script?.probeIds.size ? { probeNames: [...s.script.probeIds.keys()] } : {}),
  };
  const imported = s.imported;
  if (!imported || imported.files.length === 0) return r;
  return { ...r, diagnostics: r.diagnostics.map((d) => importedPlace(d, imported)) };
}

/** The whole compile, front end and code generation: runs in the compile worker. */
export async function compileScript(source: SourceFile, opts: CompileOptions = {}, dump?: DumpRequest): Promise<CompiledScript | { diagnostics: readonly Diagnostic[] }> {
  const state: CompileState = { original: source, opts, backend: await import('./codegen/emit.js') };
  const diags = startDiagnostics();
  runPasses(PIPELINE, state, diags, dumper(dump));
  const front = frontendResult(state, diags);
  if (!state.emitted || !state.ir) {
    // A code generation failure keeps the front end's warnings.
    if (state.ir && diags.hasErrors) return { diagnostics: front.diagnostics.filter((d) => d.severity === 'warning' || d.code === 'bpf-stack-limit') };
    return { diagnostics: front.diagnostics };
  }
  const emitted = state.emitted;
  const { valueSize, entries } = emitted.scratch;
  const scratch: CompiledMap[] = entries > 0 && state.ir.scratchMap !== undefined
    ? [{ id: state.ir.scratchMap, name: '.scratch', bpfType: MapType.PERCPU_ARRAY, keySize: 4, valueSize, maxEntries: entries }]
    : [];
  return {
    format: 1,
    maps: [...front.maps, ...scratch],
    programs: front.probes.map(({ name, probe, stopGuard }) => {
      const subprogs = emitted.subprogs.get(name);
      return { name, probe, insns: emitted.programs.get(name)!.toString('base64'), ...(subprogs ? { subprogs } : {}), ...(stopGuard ? { stopGuard } : {}) };
    }),
    events: front.events,
    ringbufMap: state.ir.ringbufMap,
    lostMap: state.ir.lostMap,
    warnings: front.diagnostics.filter((d) => d.severity === 'warning'),
    ...(front.probeNames ? { probeNames: front.probeNames } : {}),
    ...(front.imports?.length ? { imports: front.imports } : {}),
    ...(state.config?.printMapsOnExit === false ? { printMapsOnExit: false as const } : {}),
    ...(state.config?.missingProbes && state.config.missingProbes !== 'error' ? { missingProbes: state.config.missingProbes } : {}),
    ...(state.config?.exportMaxSeries !== undefined ? { exportMaxSeries: state.config.exportMaxSeries } : {}),
    ...(state.config?.cppDemangle === false ? { cppDemangle: false as const } : {}),
    ...(state.config?.showDebugInfo ? { showDebugInfo: true as const } : {}),
    ...(state.config?.license ? { license: state.config.license } : {}),
    ...(state.config?.logSize ? { logSize: state.config.logSize } : {}),
    ...(state.config?.maxCatBytes ? { maxCatBytes: state.config.maxCatBytes } : {}),
  };
}

/**
 * Code generation failures that are the script's doing, as diagnostics at the probe: LLVM's BPF
 * backend refuses functions whose stack frame exceeds 512 bytes ("Looks like the BPF stack limit
 * of 512 bytes is exceeded"). Anything else is a tsbpf bug and stays an internal error.
 */
function codegenDiagnostics(e: unknown, probes: FrontendResult['probes'], onStackLimit: number): Diagnostic[] | undefined {
  const message = e instanceof Error ? e.message : String(e);
  // src/codegen/bpf-builder.ts ScratchTooLargeError (not imported: code generation loads only for a full compile).
  if (e instanceof Error && e.name === 'ScratchTooLargeError') return [{ severity: 'error', code: 'bpf-stack-limit', message: `${message}: use shorter strings (str(x, N), config max_strlen)` }];
  if (!/BPF stack limit of 512 bytes is exceeded/.test(message)) return undefined;
  const names = new Set([...message.matchAll(/in function (\S+) /g)].map((m) => m[1]!));
  const hit = probes.filter((p) => names.has(p.name));
  // As bpftrace's load error, the way out that keeps the values: a lower on_stack_limit moves them to the scratch map.
  const lower = onStackLimit > 0 ? `a lower config on_stack_limit (values up to ${onStackLimit} bytes are on the stack now; 0 puts every one in the per-CPU scratch map), ` : '';
  const hint = `the probe keeps more than 512 bytes of values on the BPF stack: use ${lower}shorter strings (str(x, N), config max_strlen), fewer string or tuple variables, or split the work between probes`;
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

/** Diagnostics of an attach point that names something absent: skipped under `missing_probes = warn|ignore`. */
const MISSING_PROBE_CODES = new Set(['unknown-probe', 'bad-probe-target']);

function expandProbes(program: ast.Program, diags: Diagnostics, ctx: ExpandContext, positionals: readonly string[]): { node: ast.Probe; probe: ConcreteProbe }[] {
  const out: { node: ast.Probe; probe: ConcreteProbe }[] = [];
  const missing = missingProbesMode(program, diags);
  const multiLinks = uprobeMultiAvailable();
  for (const node of program.probes) {
    for (const written of node.attachPoints) {
      // `tracepoint:syscalls:$1`: positional parameters anywhere in an attach point (bpftrace 0.24).
      let unset: string | undefined;
      const raw = written.raw.replace(/\$(\d+)/g, (m, n: string) => positionals[Number(n) - 1] ?? ((unset ??= m), m));
      if (unset !== undefined) {
        diags.error('invalid-attach-point', `positional parameter ${unset} in ${written.raw} is not set`, written.span);
        continue;
      }
      const ap = raw === written.raw ? written : { ...written, raw };
      const provider = providerFor(ap.raw);
      if (!provider) {
        const head = ap.raw.split(':', 1)[0];
        diags.error('unknown-probe-type', `unknown probe type: ${head}`, ap.span);
        continue;
      }
      const local = new Diagnostics();
      const expanded = provider.expand(ap.raw, ap.span, local, ctx);
      const probes = (provider.mergeForMultiLink && multiLinks && !tellsProbesApart(program, node) && provider.mergeForMultiLink(expanded, ap.raw)) || expanded;
      for (const d of local.items) {
        if (missing !== 'error' && d.severity === 'error' && MISSING_PROBE_CODES.has(d.code)) {
          // bpftrace's missing_probes: `warn` says so and goes on, `ignore` goes on silently.
          if (missing === 'warn') diags.warning(d.code, d.message, d.span, d.hints);
          continue;
        }
        diags.report(d);
      }
      for (const probe of probes) out.push({ node, probe: written.userName === undefined ? probe : { ...probe, userName: written.userName } });
    }
  }
  return out;
}

function buildMaps(
  script: ScriptState,
  maxMapKeysSet: number | undefined,
  decls: ReadonlyMap<string, DeclaredMap>,
  usedOtherwise: { readonly aggregated: ReadonlySet<number>; readonly intValue: ReadonlySet<number> },
  keyNames: ReadonlyMap<string, readonly string[]>,
): CompiledMap[] {
  const maxMapKeys = maxMapKeysSet ?? DEFAULT_MAX_MAP_KEYS;
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
    // A keyless aggregation: one PERCPU_ARRAY entry, no insert to check (src/passes/scalar-maps.ts).
    if (!declared && spec.keyTypes.length === 0 && scalarArrayKind(spec.kind) && !usedOtherwise.aggregated.has(id)) {
      maps[id] = {
        id, name, bpfType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: spec.kind === 'sum' ? SUM_ARRAY_VALUE_SIZE : mapValueSize(spec), maxEntries: 1,
        spec: compiledSpec(name, spec, keyNames),
      };
      continue;
    }
    // A keyless assigned integer: one ARRAY entry {value, written flag}, loads and stores at its address.
    if (!declared && spec.keyTypes.length === 0 && spec.kind === 'int' && !usedOtherwise.intValue.has(id)) {
      maps[id] = {
        id, name, bpfType: MapType.ARRAY, keySize: 4, valueSize: SCALAR_SET_FLAG_OFFSET + 8, maxEntries: 1,
        spec: compiledSpec(name, spec, keyNames),
      };
      continue;
    }
    maps[id] = {
      id,
      name,
      bpfType: declared?.bpfType ?? (isPerCpuKind(spec.kind) ? MapType.PERCPU_HASH : MapType.HASH),
      // tseries keys carry the interval's bucket after the script's keys (src/builtins/tseries.ts).
      keySize: spec.kind === 'tseries' ? tseriesKeyLayout(spec.keyTypes).size : Math.max(1, sizeOf(keyLayoutTypes(spec.keyTypes))),
      valueSize: mapValueSize(spec),
      maxEntries: declared?.maxEntries ?? (spec.kind === 'tseries' ? tseriesMaxEntries(spec, maxMapKeys) : spec.keyTypes.length === 0 ? 1 : maxMapKeys),
      spec: compiledSpec(name, spec, keyNames),
    };
  }
  return maps;
}

/** Each `helper-error` event no code reports (reportedErrors) without its source lines. */
function stubUnreportedErrors(events: EventSpec[], programs: readonly IrProgram[], unchecked: ReadonlySet<number>): void {
  const reported = new Set<number>();
  for (const p of programs) for (const id of reportedErrors(p.body, unchecked)) reported.add(id);
  events.forEach((e, id) => {
    if (e.kind === 'helper-error' && !reported.has(id)) events[id] = { ...e, loc: { filename: e.loc.filename, line: 0, col: 0, text: '', context: [] } };
  });
}

/** A map's spec as the runtime reads it; key part names only where they fit the key's parts. */
function compiledSpec(name: string, spec: MapSpec, keyNames: ReadonlyMap<string, readonly string[]>): NonNullable<CompiledMap['spec']> {
  const names = keyNames.get(name);
  const parts = spec.keyTypes.length === 1 && spec.keyTypes[0]!.kind === 'tuple' ? spec.keyTypes[0]!.elems.length : spec.keyTypes.length;
  return {
    kind: spec.kind, keyTypes: spec.keyTypes, valueType: spec.valueType, params: spec.params.map(String),
    ...(names && names.length === parts ? { keyNames: names } : {}),
  };
}

function toIrMap(m: CompiledMap): IrMap {
  return { id: m.id, name: m.name, bpfType: m.bpfType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, ...(isScalarIntArrayMap(m) || m.name === STOPPED_MAP ? { intArray: true as const } : {}) };
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
