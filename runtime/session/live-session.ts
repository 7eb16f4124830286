/**
 * The shell's growing script. Everything entered in one shell session is one script: the session
 * keeps the text of every entry that attached, compiles each new entry appended to it (so map
 * types and ids line up with what is loaded; the compiler stays unaware of the shell), and then
 * loads and attaches only the new programs against the existing maps (`Session.extend`).
 *
 * Detached probes stay in the accumulated text (unloaded): removing them would renumber the
 * events of later probes whose programs are already loaded.
 */
import { bpf } from '../../native/index.js';
import type { CompiledMap, CompiledProgram, CompiledScript, Diagnostic, SourceFile } from '../../src/contract/index.js';
import { loadProviders, renderDiagnostic, type EntryAnalysis, type StatementsAnalysis } from '../../src/index.js';
import { compile, keepWorkerWarm, stopWorkerWarm } from '../compile/compiler.js';
import type { ProgressStream } from '../compile/progress.js';
import type { Output } from '../output/output.js';
import { loadDebugInfoReader } from '../output/rich-values.js';
import { compareMapNames } from '../output/format-map.js';
import { runtimeErrorText, Session } from './session.js';
import type { MapDump, MapSource } from '../output/value.js';

export interface LiveProbe {
  readonly id: number;
  /** The probe block as typed. */
  readonly text: string;
  readonly attachPoints: readonly string[];
  /** Names of its compiled programs (one per concrete probe). */
  readonly programs: readonly string[];
  /** Concrete probe names (wildcards expanded). */
  readonly concrete: readonly string[];
  attached: boolean;
  /** process.hrtime.bigint() when it was attached (its programs' run counts start there). */
  readonly attachedAt: bigint;
}

/** A probe's programs' kernel run-time statistics, summed (counted while the stats are on). */
export interface ProbeRunStats {
  readonly runCnt: number;
  readonly runTimeNs: number;
}

export type AddResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'attached'; readonly probes: readonly LiveProbe[]; readonly warnings: string }
  | { readonly kind: 'declared' }
  /** Statements typed alone ran once (their output is printed). */
  | { readonly kind: 'ran'; readonly warnings: string }
  | { readonly kind: 'error'; readonly message: string };

export interface LiveSessionOptions {
  readonly output: Output;
  readonly positionals?: readonly string[];
  readonly noCache?: boolean;
  /** A probe called exit(). */
  readonly onExit?: (code: number) => void;
  /** The front end's entry analysis (src/interactive.ts), injected so this module stays light. */
  readonly analyze: (source: SourceFile) => EntryAnalysis;
  /** Where a slow compile shows its progress line (a terminal only). */
  readonly progress?: ProgressStream;
  /** The same for statements typed alone (src/shell-statements.ts); without it they are syntax errors. */
  readonly analyzeStatements?: (source: SourceFile) => StatementsAnalysis;
}

export class LiveSession {
  /** Committed entries, in order: the session's script is their concatenation. */
  private readonly entries: string[] = [];
  private readonly declarations: string[] = [];
  private session: Session | undefined;
  private nextId = 1;
  readonly probes: LiveProbe[] = [];
  private finished = false;

  constructor(private readonly opts: LiveSessionOptions) {
    // Each entry is a compile: one worker is started ahead of it (runtime/compile/compiler.ts).
    keepWorkerWarm();
  }

  /** The text of everything entered so far (attached or not). */
  get scriptText(): string {
    return this.entries.join('\n');
  }

  /** Entries are added one at a time (a `.load` typed while a probe compiles waits for it). */
  private queue: Promise<unknown> = Promise.resolve();

  /** Compile `text` in the context of the session and attach its probes. Never throws for user errors. */
  add(text: string, name = 'shell'): Promise<AddResult> {
    const next = this.queue.then(() => this.addNow(text, name));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async addNow(text: string, name: string): Promise<AddResult> {
    if (this.finished) return { kind: 'error', message: 'ERROR: the session has ended\n' };
    const source: SourceFile = { name, text };
    const analysis = this.opts.analyze(source);
    if (!analysis.probes) {
      // No probe: statements to run once against the session's maps (`print(@x)`, `@n * 2`)?
      const st = this.opts.analyzeStatements?.(source);
      if (st?.probe && st.typedOffset && (!analysis.incomplete || st.bareValue)) return this.runOnce(source, st.probe, st.typedOffset);
      if (analysis.incomplete || st?.incomplete) return { kind: 'incomplete' };
      // Report the reading that got further: `@n * ` is a bad statement, `kprobe:x { ` a bad probe.
      const ds = st && firstErrorAt(st.diagnostics) > firstErrorAt(analysis.diagnostics) ? st.diagnostics : analysis.diagnostics;
      return { kind: 'error', message: renderAll(ds, source, undefined, () => undefined) };
    }
    const entryProbes = analysis.probes;
    const prefix = this.entries.length > 0 ? this.scriptText + '\n' : '';
    const union: SourceFile = { name: '<session>', text: prefix + text };

    if (entryProbes.length === 0 && !this.session) {
      // Declarations only, nothing loaded yet: keep them for the probes to come.
      if (!analysis.hasDeclarations) return { kind: 'error', message: 'ERROR: nothing to attach\n' };
      this.commit(text, analysis);
      return { kind: 'declared' };
    }

    const loaded = await this.compileAndLoad(source, union, after(prefix.length));
    if (loaded.kind === 'error') return loaded;
    const { script, added } = loaded;
    const warnings = renderAll(script.warnings, source, union, after(prefix.length));
    const probes = this.commit(text, analysis, added);
    return { kind: 'attached', probes, warnings };
  }

  /**
   * Compile the session's text with an entry appended (`union`), check that the earlier probes
   * compiled to the same programs, and load and attach the new ones into the session. `settle`
   * runs after loading, whether it worked or not (a one-shot entry unloads its programs there).
   */
  private async compileAndLoad(
    source: SourceFile,
    union: SourceFile,
    inEntry: (pos: number) => number | undefined,
    settle?: (added: readonly CompiledProgram[]) => void,
  ): Promise<{ kind: 'loaded'; script: CompiledScript; added: readonly CompiledProgram[] } | { kind: 'error'; message: string }> {
    const outcome = await compile({ source: union, positionals: this.opts.positionals ?? [], growing: true, noCache: this.opts.noCache, progress: this.opts.progress ?? { write: () => true } });
    if (outcome.kind === 'diagnostics') return { kind: 'error', message: renderAll(outcome.diagnostics, source, union, inEntry) };
    if (outcome.kind === 'internal-error') return { kind: 'error', message: `ERROR: internal compiler error: ${outcome.message}\n` };
    await loadProviders(outcome.script.programs);
    if (outcome.script.showDebugInfo) await loadDebugInfoReader();
    // The shell may have ended while the compiler ran: load nothing then.
    if (this.finished) return { kind: 'error', message: 'ERROR: the session has ended\n' };
    const script = outcome.script;
    const before = this.session?.script.programs ?? [];
    for (let i = 0; i < before.length; i++) {
      if (script.programs[i]?.probe.name !== before[i]!.probe.name) {
        return { kind: 'error', message: 'ERROR: the earlier probes of this session no longer compile to the same programs (did the kernel\'s tracepoints change?)\n' };
      }
    }
    const added = script.programs.slice(before.length);
    try {
      if (!this.session) this.startSession(script);
      else this.session.extend(script, added);
    } catch (e) {
      return { kind: 'error', message: runtimeErrorText(e) };
    } finally {
      settle?.(added);
    }
    return { kind: 'loaded', script, added };
  }

  /**
   * Statements typed alone: `probe` (a BEGIN probe holding them) is compiled after the session's
   * text, loaded against its maps, run once and unloaded. Its text stays in the session's script,
   * as a detached probe's does, so the events of later entries keep their numbers.
   */
  private async runOnce(source: SourceFile, probe: string, typedOffset: (pos: number) => number): Promise<AddResult> {
    const prefix = this.entries.length > 0 ? this.scriptText + '\n' : '';
    const union: SourceFile = { name: '<session>', text: prefix + probe };
    const inEntry = (pos: number): number | undefined => (pos >= prefix.length ? typedOffset(pos - prefix.length) : undefined);
    const loaded = await this.compileAndLoad(source, union, inEntry, (added) => this.session?.unloadPrograms(added.map((p) => p.name)));
    if (loaded.kind === 'error') return loaded;
    this.entries.push(probe);
    return { kind: 'ran', warnings: renderAll(loaded.script.warnings, source, union, inEntry) };
  }

  private startSession(script: CompiledScript): void {
    const session = new Session(script, { output: this.opts.output });
    try {
      session.load();
      session.start();
    } catch (e) {
      session.dispose();
      throw e;
    }
    this.session = session;
    void session.waitForExit().then((code) => {
      if (this.session === session && !this.finished) this.opts.onExit?.(code);
    });
  }

  private commit(text: string, analysis: EntryAnalysis, added: readonly CompiledProgram[] = []): LiveProbe[] {
    this.entries.push(text);
    this.declarations.push(...(analysis.declarations ?? []));
    const out: LiveProbe[] = [];
    const entryProbes = analysis.probes ?? [];
    const total = entryProbes.reduce((n, p) => n + p.expansions, 0);
    let at = 0;
    entryProbes.forEach((p, i) => {
      // The compiler expands probes in order; if our count disagrees, the last probe takes the rest.
      const n = total === added.length ? p.expansions : i === entryProbes.length - 1 ? added.length - at : Math.min(p.expansions, added.length - at);
      const mine = added.slice(at, at + n);
      at += n;
      const probe: LiveProbe = {
        id: this.nextId++,
        text: p.text,
        attachPoints: p.attachPoints,
        programs: mine.map((m) => m.name),
        concrete: mine.map((m) => m.probe.name),
        attached: true,
        attachedAt: process.hrtime.bigint(),
      };
      this.probes.push(probe);
      out.push(probe);
    });
    return out;
  }

  /** Attached probes. */
  attached(): LiveProbe[] {
    return this.probes.filter((p) => p.attached);
  }

  /** How many times the probe's programs ran and how long they took (needs the kernel's run-time stats on). */
  runStats(probe: LiveProbe): ProbeRunStats {
    let runCnt = 0;
    let runTimeNs = 0;
    if (!this.session) return { runCnt, runTimeNs };
    const names = new Set(probe.programs);
    for (const p of this.session.loadedPrograms()) {
      if (!names.has(p.name)) continue;
      try {
        const info = bpf.progInfoByFd(p.fd);
        runCnt += info.runCnt;
        runTimeNs += info.runTimeNs;
      } catch {
        // Unloaded meanwhile.
      }
    }
    return { runCnt, runTimeNs };
  }

  /** How many times the probe's programs ran. */
  hits(probe: LiveProbe): number {
    return this.runStats(probe).runCnt;
  }

  /** Detach and unload a probe (by id) or every probe; returns the probes detached. */
  detach(target: number | 'all'): LiveProbe[] {
    const which = this.probes.filter((p) => p.attached && (target === 'all' || p.id === target));
    if (this.session) this.session.unloadPrograms(which.flatMap((p) => p.programs));
    for (const p of which) p.attached = false;
    return which;
  }

  /** The script's maps (internal ones excluded), by name. */
  maps(): CompiledMap[] {
    return (this.session?.script.maps ?? []).filter((m) => m.spec !== undefined).sort(compareMapNames);
  }

  map(name: string): CompiledMap | undefined {
    return this.maps().find((m) => m.name === name);
  }

  /** Every map as it is now (runtime/session/session.ts `snapshotMaps`); none before the first probe. */
  snapshotMaps(): MapDump[] {
    return this.session?.snapshotMaps() ?? [];
  }

  /** `config = { export_max_series = N }` of the script so far. */
  get exportMaxSeries(): number | undefined {
    return this.session?.script.exportMaxSeries;
  }

  dump(m: CompiledMap): MapDump {
    return this.session!.dumpMap(m);
  }

  /** The map read but not decoded (printed a chunk at a time: a big map is never all objects). */
  source(m: CompiledMap): MapSource {
    return this.session!.mapSource(m);
  }

  clear(m: CompiledMap): void {
    this.session!.clearMap(m);
  }

  zero(m: CompiledMap): void {
    this.session!.zeroMap(m);
  }

  /** What is attached now, as a script. */
  saveText(): string {
    const parts = ['#!/usr/bin/env tsbpf', ...this.declarations, ...this.attached().map((p) => p.text)];
    return parts.join('\n\n') + '\n';
  }

  /** End of the shell: detach everything, run END, print the maps as a script's exit does, unload. */
  async finish(printMaps = true): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    stopWorkerWarm();
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    try {
      await s.finish(printMaps);
    } finally {
      s.dispose();
    }
  }
}

/** Where in the entry a position of the compiled text is: `offset` on is the entry, before it the session's text. */
const after =
  (offset: number) =>
  (pos: number): number | undefined =>
    pos >= offset ? pos - offset : undefined;

/** The start of the first error (Infinity without one with a place). */
function firstErrorAt(ds: readonly Diagnostic[]): number {
  return Math.min(...ds.filter((d) => d.severity === 'error' && d.span).map((d) => d.span!.start), Infinity);
}

/**
 * Diagnostics of a compile of `union` (the session's text, then the entry): those in the entry
 * (`inEntry` gives their place in the entry as typed) are shown against the entry, the rest
 * against the whole session text.
 */
function renderAll(ds: readonly Diagnostic[], entry: SourceFile, union: SourceFile | undefined, inEntry: (pos: number) => number | undefined): string {
  return ds
    .map((d) => {
      if (!d.span || !union) return renderDiagnostic(d, entry);
      const start = inEntry(d.span.start);
      if (start !== undefined) return renderDiagnostic({ ...d, span: { start, end: Math.max(start, inEntry(d.span.end) ?? start) } }, entry);
      return renderDiagnostic(d, union);
    })
    .map((s) => s + '\n')
    .join('');
}
