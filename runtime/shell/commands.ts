/**
 * What the shell's dot commands do (`.probes`, `.detach`, `.maps`, `@name`, `.clear`, `.list`,
 * `.load`, `.save`, ...), over the live session. Parsing them is repl-commands.ts; the REPL that
 * calls them (and `.watch`, `.quit`, which need the prompt) is shell.ts.
 */
import type { ChalkInstance } from 'chalk';
import type { loadInteractive } from '../../src/index.js';
import type { LiveProbe, LiveSession } from '../session/live-session.js';
import { TextOutput, type Output } from '../output/index.js';
import { writePrivateFile, type PrivateWrite } from '../output/private-file.js';
import { mapsFlameGraph } from '../output/flamegraph.js';
import { readScriptText } from '../compile/script-file.js';
import { startProgress, type ProgressStream } from '../compile/progress.js';
import { helpText, listPattern, type ShellCommand } from './repl-commands.js';
import { DEFAULT_EXPORT_PORT, type ExportAddress } from '../export/address.js';
import type { Exporter } from '../export/server.js';

type Providers = Awaited<ReturnType<typeof loadInteractive>>['PROVIDERS'];

/** What the commands need of the shell around them. */
export interface CommandHost {
  readonly live: LiveSession;
  readonly output: Output;
  readonly stdout: NodeJS.WritableStream;
  readonly c: ChalkInstance;
  readonly providers: Providers;
  /** The shell's stderr: a progress line while a big map is read (a terminal only). */
  readonly stderr: ProgressStream;
  /** A function's signature and description (src/builtins/docs.ts through the interactive front end). */
  functionDoc(name: string): { readonly signature: string; readonly doc: string } | undefined;
  say(s: string): void;
  fail(s: string): void;
  /** Ask a question at the prompt; resolves with the answer. */
  ask(question: string): Promise<string>;
  /** Attach an entry's text (`.load`), reporting as a typed entry does. */
  addEntry(text: string, name: string): Promise<boolean>;
  quit(): void;
}

/** A probe as `.probes` and the attach/detach lines name it. */
export function describeProbe(p: LiveProbe): string {
  const what = p.attachPoints.join(', ');
  return p.concrete.length > 1 ? `${what} (${p.concrete.length} probes)` : what;
}

/** Maps that can hold more entries than this get a progress line while they are read. */
const BIG_MAP = 10_000;

export class ShellCommands {
  /** `.export`: the Prometheus endpoint, while it serves. */
  private exporter: Exporter | undefined;
  /** Each probe's run counts at the last `.probes`, for the rates of the next. */
  private readonly probeReadings = new Map<number, { at: bigint; runCnt: number; runTimeNs: number }>();

  constructor(private readonly host: CommandHost) {}

  /** `.export [HOST:PORT]` starts (or moves) the endpoint; `.export off` stops it. */
  private async export(target: ExportAddress | 'off' | undefined): Promise<void> {
    const { live, c } = this.host;
    if (target === 'off') {
      if (!this.exporter) this.host.say(c.dim('not exporting'));
      else this.host.say(`stopped serving ${this.exporter.url}`);
      await this.closeExport();
      return;
    }
    if (target === undefined && this.exporter) {
      this.host.say(`serving the maps at ${this.exporter.url}`);
      return;
    }
    await this.closeExport();
    const { startExporter, ExportListenError } = await import('../export/server.js');
    try {
      this.exporter = await startExporter({
        address: target ?? { host: '127.0.0.1', port: DEFAULT_EXPORT_PORT },
        readMaps: () => live.snapshotMaps(),
        maxSeries: () => live.exportMaxSeries,
        warn: (m) => this.host.fail(`WARNING: ${m}`),
      });
      this.host.say(`serving the maps at ${this.exporter.url}`);
    } catch (e) {
      if (!(e instanceof ExportListenError)) throw e;
      this.host.fail(`ERROR: ${e.message}`);
    }
  }

  /** Stops the `.export` endpoint, if it serves (the shell's end does too). */
  async closeExport(): Promise<void> {
    const e = this.exporter;
    this.exporter = undefined;
    await e?.close();
  }

  /** `@name` or `.print @name`: the map now, through the shell's output. */
  printMap(name: string): void {
    const { live, output, c } = this.host;
    const m = live.map(name);
    if (!m) {
      const maps = live.maps();
      this.host.fail(`ERROR: no map named ${name}${maps.length ? ` (maps: ${maps.map((x) => x.name).join(', ')})` : ''}`);
      return;
    }
    // Reading a map that can hold many entries takes a while (and blocks): say so while it does.
    const progress = m.maxEntries > BIG_MAP ? startProgress(this.host.stderr, `reading ${name} (up to ${m.maxEntries} entries)`, 0) : undefined;
    let src;
    try {
      src = live.source(m);
    } finally {
      progress?.done();
    }
    if (src.count === 0) this.host.say(c.dim(`${name} is empty`));
    else output.map(src);
    output.flush();
  }

  /** A map as plain text, for `.watch` frames. */
  renderMap(name: string): string {
    const { live } = this.host;
    const m = live.map(name);
    if (!m) return `no map named ${name}\n`;
    let text = '';
    const out = new TextOutput({ out: { write: (s: string) => (text += s) }, err: { write: (s: string) => (text += s) }, color: false });
    const src = live.source(m);
    if (src.count === 0) return `${name} is empty\n`;
    out.map(src);
    return text;
  }

  async run(cmd: ShellCommand): Promise<void> {
    const { live, c } = this.host;
    const say = (s: string): void => this.host.say(s);
    const fail = (s: string): void => this.host.fail(s);
    switch (cmd.kind) {
      case 'help': {
        if (cmd.topic === undefined) {
          say(helpText());
          return;
        }
        const doc = this.host.functionDoc(cmd.topic);
        if (!doc) {
          fail(`ERROR: no function named ${cmd.topic} (Tab after a few letters completes function names)`);
          return;
        }
        for (const line of doc.signature.split('\n')) say(c.bold(line));
        say(`  ${doc.doc}`);
        return;
      }
      case 'quit':
        this.host.quit();
        return;
      case 'probes': {
        const probes = live.attached();
        if (probes.length === 0) {
          say(c.dim('no probes attached'));
          return;
        }
        const now = process.hrtime.bigint();
        const rows = probes.map((p) => {
          const r = live.runStats(p);
          // Rates over the time since the last `.probes` (since the attach the first time).
          const prev = this.probeReadings.get(p.id) ?? { at: p.attachedAt, runCnt: 0, runTimeNs: 0 };
          this.probeReadings.set(p.id, { at: now, ...r });
          const events = r.runCnt - prev.runCnt;
          const secs = Number(now - prev.at) / 1e9;
          const perSec = secs > 0 ? events / secs : 0;
          return [
            String(p.id),
            String(r.runCnt),
            perSec >= 100 || perSec === 0 ? perSec.toFixed(0) : perSec.toFixed(1),
            events > 0 ? ((r.runTimeNs - prev.runTimeNs) / events).toFixed(0) : '-',
            describeProbe(p),
          ] as const;
        });
        const titles = ['ID', 'HITS', 'EVENTS/S', 'NS/EVENT'] as const;
        const widths = titles.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (cells: readonly string[]): string => cells.slice(0, 4).map((x, i) => x.padStart(widths[i]!)).join('  ') + `  ${cells[4]}`;
        say(c.bold(line([...titles, 'PROBE'])));
        for (const r of rows) say(line(r));
        return;
      }
      case 'detach': {
        const gone = live.detach(cmd.target);
        if (gone.length === 0) fail(cmd.target === 'all' ? 'no probes attached' : `ERROR: no attached probe ${cmd.target} (see .probes)`);
        for (const p of gone) say(`${c.yellow(`[${p.id}]`)} detached ${describeProbe(p)}`);
        return;
      }
      case 'maps': {
        const maps = live.maps();
        if (maps.length === 0) {
          say(c.dim('no maps'));
          return;
        }
        const rows = maps.map((m) => {
          const n = live.source(m).count;
          return [m.name, m.spec!.kind, `${n} ${n === 1 ? 'entry' : 'entries'}`] as const;
        });
        const w0 = Math.max(...rows.map((r) => r[0].length));
        const w1 = Math.max(...rows.map((r) => r[1].length));
        for (const [n, k, s] of rows) say(`${n.padEnd(w0)}  ${k.padEnd(w1)}  ${s}`);
        return;
      }
      case 'print':
        this.printMap(cmd.map);
        return;
      case 'clear':
      case 'zero': {
        const m = live.map(cmd.map);
        if (!m) {
          fail(`ERROR: no map named ${cmd.map}`);
          return;
        }
        if (cmd.kind === 'clear') live.clear(m);
        else live.zero(m);
        return;
      }
      case 'watch':
        return; // handled by the shell (it keeps the prompt away)
      case 'list':
        this.listProbes(cmd.pattern);
        return;
      case 'export':
        await this.export(cmd.target);
        return;
      case 'load': {
        let text: string;
        try {
          // A file another user could change is loaded with one warning, as `tsbpf FILE` does.
          text = readScriptText(cmd.file, (line) => fail(line));
        } catch (e) {
          fail(`ERROR: cannot read ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          return;
        }
        // A shebang is only skipped on a script's first line; here the text is appended to the session's.
        if (text.startsWith('#!')) text = text.replace(/^#![^\n]*/, '');
        await this.host.addEntry(text, cmd.file);
        return;
      }
      case 'save': {
        const result = await this.writeAsking(cmd.file, live.saveText(), cmd.force === true, `not saved (.save! ${cmd.file} overwrites without asking)`);
        const n = live.attached().length;
        if (result.kind === 'refused') fail(`ERROR: ${result.message}`);
        else if (result.kind === 'written') say(`saved ${n} probe${n === 1 ? '' : 's'} to ${cmd.file}`);
        return;
      }
      case 'flamegraph': {
        const graph = mapsFlameGraph(live.maps().map((m) => live.dump(m)));
        if (graph.maps.length === 0) {
          fail('ERROR: no map is keyed by a stack (e.g. @[ustack] = count()): nothing to draw');
          return;
        }
        const result = await this.writeAsking(cmd.file, graph.svg, false, 'not written');
        if (result.kind === 'refused') fail(`ERROR: ${result.message}`);
        else if (result.kind === 'written') say(`flame graph of ${graph.maps.join(', ')} (${graph.samples} sample${graph.samples === 1n ? '' : 's'}) written to ${cmd.file}`);
        return;
      }
    }
  }

  /** Write a file for the user; an existing one only after they say yes (or with `force`). */
  private async writeAsking(file: string, text: string, force: boolean, declined: string): Promise<PrivateWrite> {
    const result = writePrivateFile(file, text, force);
    if (result.kind !== 'exists') return result;
    const answer = await this.host.ask(`${file} exists; overwrite it? [y/N] `);
    if (/^\s*y(es)?\s*$/i.test(answer)) return writePrivateFile(file, text, true);
    this.host.say(declined);
    return result;
  }

  /** `.list [pattern]`: every probe of every provider, as `tsbpf -l`. */
  private listProbes(pattern: string | undefined): void {
    const { providers, c } = this.host;
    const re = pattern ? listPattern(pattern, providers) : undefined;
    const lines: string[] = [];
    for (const p of providers) {
      let names: string[];
      try {
        names = p.list();
      } catch {
        continue;
      }
      for (const n of names) if (!re || re.test(n)) lines.push(n);
    }
    if (lines.length === 0) this.host.say(c.dim(pattern ? `no probes match ${pattern}` : 'no probes'));
    else this.host.stdout.write(lines.join('\n') + '\n');
  }
}
