/**
 * Text renderer, byte for byte as bpftrace 0.26 (src/output/text.cpp, src/log.cpp).
 */
import { dumpSource, isMapSource, keyText, valueText, type MapDump, type MapSource, type Value } from './value.js';
import { formatMapSource, isSingleValue, MAP_CHUNK_CHARS, labelText, type Cell, type Histogram, type MapPrintOptions } from './format-map.js';
import { tseriesText } from './tseries.js';
import { flushSink, helperErrorText, repeatedSuffix, totalLostLine, totalRuntimeWarningsLine, type Output, type OutputOptions, type Sink, type SourceLocation } from './output.js';

const BAR_WIDTH = 52;

/** One histogram, one line per bucket (text.cpp `TextEmitter<Value::Histogram>`). */
export function histogramText(hist: Histogram): string {
  const { counts, labels, lowerBound } = hist;
  let max = 0n;
  for (const c of counts) if (c > max) max = c;
  const fmax = Math.fround(Number(max));
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    // bpftrace: int bar_width = (count / static_cast<float>(max_value)) * 52; (float arithmetic)
    let bar = 0;
    if (max > 0n) bar = Math.trunc(Math.fround(Math.fround(Math.fround(Number(counts[i]!)) / fmax) * BAR_WIDTH));
    let header: string;
    if (i === 0) {
      if (!lowerBound) header = '(..., ' + labelText(labels[0]!) + ')';
      else if (labels.length === 0) header = '[' + labelText(lowerBound) + ', ...)';
      else if (isSingleValue(lowerBound, labels[0]!)) header = '[' + labelText(lowerBound) + ']';
      else header = '[' + labelText(lowerBound) + ', ' + labelText(labels[0]!) + ')';
    } else if (i >= labels.length) {
      header = '[' + labelText(labels[i - 1]!) + ', ...)';
    } else if (isSingleValue(labels[i - 1]!, labels[i]!)) {
      header = '[' + labelText(labels[i - 1]!) + ']';
    } else {
      header = '[' + labelText(labels[i - 1]!) + ', ' + labelText(labels[i]!) + ')';
    }
    s += header.padEnd(16) + counts[i]!.toString().padStart(8) + ' |' + '@'.repeat(bar).padEnd(BAR_WIDTH) + '|\n';
  }
  return s;
}

/** The text of a whole `print(@m)` / exit dump (text.cpp `TextOutput::map` and `emit_map`). */
export function mapText(dump: MapDump | MapSource, opts?: MapPrintOptions): string {
  let s = '';
  writeMapText(dump, opts, (chunk) => (s += chunk));
  return s;
}

/** `mapText`, handed to `write` a chunk of entries at a time (MAP_CHUNK_CHARS); `endChunk` after each chunk but the last. */
export function writeMapText(dump: MapDump | MapSource, opts: MapPrintOptions | undefined, write: (s: string) => void, endChunk?: () => void): void {
  const f = formatMapSource(isMapSource(dump) ? dump : dumpSource(dump), opts);
  const name = dump.name;
  if (f.kind === 'single') {
    // Histograms go on separate lines and are followed by a blank line; values go inline.
    if (f.cell.kind === 'hist') write(name + ':\n' + histogramText(f.cell.hist) + '\n');
    else if (f.cell.kind === 'tseries') write(name + ':\n' + tseriesText(f.cell.points, f.cell.signed) + '\n');
    else write(name + ': ' + valueText(f.cell.value) + '\n');
    return;
  }
  let s = '';
  for (let j = 0; j < f.count; j++) {
    const e = f.entry(j);
    s += name + '[' + keyText(e.key) + cellText(e.cell);
    if (s.length >= MAP_CHUNK_CHARS && j + 1 < f.count) {
      write(s);
      s = '';
      endChunk?.();
    }
  }
  write(s);
}

function cellText(c: Cell): string {
  if (c.kind === 'hist') return ']:\n' + histogramText(c.hist) + '\n';
  if (c.kind === 'tseries') return ']:\n' + tseriesText(c.points, c.signed) + '\n';
  return ']: ' + valueText(c.value) + '\n';
}

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

export class TextOutput implements Output {
  private readonly out: Sink;
  private readonly err: Sink;
  private readonly color: boolean;

  constructor(opts: OutputOptions) {
    this.out = opts.out;
    this.err = opts.err;
    this.color = opts.color;
  }

  attachedProbes(n: number): void {
    this.err.write(n === 1 ? 'Attached 1 probe\n' : `Attached ${n} probes\n`);
  }

  printf(text: string): void {
    this.out.write(text);
  }

  warnf(text: string, locations: readonly SourceLocation[]): void {
    this.log('WARNING: ', YELLOW, text, locations);
  }

  errorf(text: string, locations: readonly SourceLocation[]): void {
    this.log('ERROR: ', RED, text, locations);
  }

  helperError(helper: string, retcode: number, loc: SourceLocation): void {
    const begin = this.color ? YELLOW : '';
    const end = this.color ? RESET : '';
    let s = `${begin}${loc.text}: WARNING: ${helperErrorText(helper, retcode)}\nAdditional Info - helper: ${helper}, retcode: ${retcode}${end}\n`;
    for (const line of loc.context ?? []) s += line + '\n';
    this.err.write(s);
  }

  helperErrorRepeated(helper: string, retcode: number, loc: SourceLocation, count: number): void {
    const begin = this.color ? YELLOW : '';
    const end = this.color ? RESET : '';
    this.err.write(`${begin}${loc.text}: WARNING: ${helperErrorText(helper, retcode)}${repeatedSuffix(count)}${end}\n`);
  }

  /** log.cpp `Log::take_input`: one trailing newline of the message is dropped. */
  private log(type: string, color: string, text: string, locations: readonly SourceLocation[]): void {
    const begin = this.color ? color : '';
    const end = this.color ? RESET : '';
    const msg = text.endsWith('\n') ? text.slice(0, -1) : text;
    let s = '';
    locations.forEach((loc, i) => {
      if (i === 0) {
        // The first location is the warnf/errorf call itself: no source context.
        s += begin + loc.text + ': ' + type + msg + end + '\n';
      } else {
        s += begin + loc.text + ': ' + type + 'expanded from' + end + '\n';
        for (const line of loc.context ?? []) s += line + '\n';
      }
    });
    if (locations.length === 0) s += begin + type + msg + end + '\n';
    this.err.write(s);
  }

  value(v: Value): void {
    this.out.write(valueText(v) + '\n');
  }

  time(text: string): void {
    this.out.write(text);
  }

  cat(text: string): void {
    this.out.write(text);
  }

  join(text: string): void {
    this.out.write(text + '\n');
  }

  syscall(text: string): void {
    this.out.write(text + '\n');
  }

  map(dump: MapDump | MapSource, opts?: MapPrintOptions): void {
    writeMapText(dump, opts, (s) => s && this.out.write(s), () => flushSink(this.out));
  }

  lostEvents(n: number | bigint): void {
    this.err.write(`Lost ${n} events\n`);
  }

  totalLostEvents(n: number | bigint): void {
    this.err.write(totalLostLine(n, this.color));
  }

  totalRuntimeWarnings(n: number): void {
    this.err.write(totalRuntimeWarningsLine(n, this.color));
  }

  mapsHeader(): void {
    this.out.write('\n\n');
  }

  flush(): void {
    flushSink(this.out);
    flushSink(this.err);
  }
}
