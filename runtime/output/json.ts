/**
 * `-f json` renderer: one JSON object per line, as bpftrace 0.26 (src/output/json.cpp).
 *
 * Spacing is bpftrace's: `{"type": "map", "data": {...}}`, objects spaced (`", "`, `": "`), arrays
 * unspaced (`[1,2]`, histogram buckets joined by `,`).
 */
import { dumpSource, isMapSource, keyText, stackText, type MapDump, type MapSource, type Value } from './value.js';
import { formatMapSource, MAP_CHUNK_CHARS, type Cell, type Histogram, type Label, type MapPrintOptions } from './format-map.js';
import { flushSink, strerror, totalLostLine, totalRuntimeWarningsLine, type Output, type OutputOptions, type Sink, type SourceLocation } from './output.js';
import { tseriesJson } from './tseries.js';

/**
 * JSON string (json.cpp `JsonEmitter<std::string>`): `"` `\` `\n` `\r` `\t` escaped by name, other
 * control characters below 0x20 as `\u00xx`; everything else (including non-ASCII) as is.
 *
 * Deviation: on x86 bpftrace escapes every byte >= 0x80 as `\uffffffXX` (signed char) and leaves
 * its stream in hex mode; we emit valid JSON with the characters unescaped.
 */
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;

export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + s.slice(start) + '"';
}

/**
 * A 64-bit integer as bpftrace writes it: a number when a double represents it exactly, otherwise
 * a string (RFC 8259 interoperability, json.cpp `JsonEmitter<int64_t>`), e.g. 2^53 + 1 → "9007199254740993".
 */
export function jsonInt(v: bigint): string {
  const s = v.toString();
  return BigInt(Number(v)) === v ? s : '"' + s + '"';
}

/** A value as bpftrace's JSON emitter writes it. */
export function jsonValue(v: Value): string {
  switch (v.kind) {
    case 'int':
      return jsonInt(v.value);
    case 'str':
      return jsonString(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'none':
      return 'null';
    case 'sym':
      // Symbolic values (pointers, enums) are written as their (unsigned) number.
      return jsonInt(BigInt.asUintN(64, v.value));
    case 'stack':
      return jsonString(stackText(v.frames, v.mode));
    case 'buffer': {
      // std::vector<char> of (signed) chars, each a number.
      let s = '[';
      for (let i = 0; i < v.bytes.length; i++) s += (i ? ',' : '') + ((v.bytes[i]! << 24) >> 24);
      return s + ']';
    }
    case 'tuple':
    case 'array': {
      let s = '[';
      for (let i = 0; i < v.elems.length; i++) s += (i ? ',' : '') + jsonValue(v.elems[i]!);
      return s + ']';
    }
    case 'record': {
      let s = '{';
      for (let i = 0; i < v.fields.length; i++) {
        s += (i ? ', ' : '') + jsonString(v.fields[i]!.name) + ': ' + jsonValue(v.fields[i]!.value);
      }
      return s + '}';
    }
  }
}

/**
 * A map key as a JSON object key: the text form with tuple parentheses dropped and every space
 * removed (json.cpp), so `@[1, "a b"]` becomes `"1,ab"`.
 */
export function jsonKey(key: readonly Value[]): string {
  const s = keyText(key);
  return jsonString(s.includes(' ') ? s.replace(/ /g, '') : s);
}

function labelNumber(l: Label): string {
  return l.kind === 'int' ? jsonInt(l.value) : jsonInt(BigInt.asUintN(64, l.value));
}

/** json.cpp `one_less`: the closed upper bound of a bucket. */
function oneLess(l: Label): string {
  if (l.kind === 'int') return jsonInt(l.value - 1n);
  const n = BigInt.asUintN(64, l.value);
  return jsonInt(n === 0n ? -1n : BigInt.asIntN(64, n - 1n));
}

/** `[{"min": 2, "max": 3, "count": 1},{"min": 4, "max": 7, "count": 0}]` */
export function jsonHistogram(h: Histogram): string {
  let s = '[';
  for (let i = 0; i < h.counts.length; i++) {
    if (i) s += ',';
    s += '{';
    if (i === 0 && h.lowerBound) s += '"min": ' + labelNumber(h.lowerBound) + ', ';
    else if (i > 0) s += '"min": ' + labelNumber(h.labels[i - 1]!) + ', ';
    if (i < h.labels.length) s += '"max": ' + oneLess(h.labels[i]!) + ', ';
    s += '"count": ' + h.counts[i]!.toString() + '}';
  }
  return s + ']';
}

function jsonCell(c: Cell): string {
  if (c.kind === 'tseries') return tseriesJson(c.points);
  return c.kind === 'hist' ? jsonHistogram(c.hist) : jsonValue(c.value);
}

/** The JSON line for print(@m) / the exit dump, or '' when bpftrace prints nothing (empty map). */
export function mapJson(dump: MapDump | MapSource, opts?: MapPrintOptions): string {
  let s = '';
  writeMapJson(dump, opts, (chunk) => (s += chunk));
  return s;
}

/** `mapJson`, handed to `write` a chunk of entries at a time (MAP_CHUNK_CHARS); `endChunk` after each chunk but the last. */
export function writeMapJson(dump: MapDump | MapSource, opts: MapPrintOptions | undefined, write: (s: string) => void, endChunk?: () => void): void {
  const f = formatMapSource(isMapSource(dump) ? dump : dumpSource(dump), opts);
  const head = (type: string) => '{"type": "' + type + '", "data": {' + jsonString(dump.name) + ': ';
  if (f.kind === 'single') {
    const type = f.stats ? 'stats' : f.cell.kind === 'tseries' ? 'tseries' : f.cell.kind === 'hist' ? 'hist' : 'map';
    write(head(type) + jsonCell(f.cell) + '}}\n');
    return;
  }
  // An empty map prints nothing, except an empty avg/stats map, which bpftrace wraps in
  // `Stats` and so still writes as `{}`.
  if (f.count === 0) {
    if (f.stats) write(head('stats') + '{}}}\n');
    return;
  }
  let s = '';
  for (let j = 0; j < f.count; j++) {
    const e = f.entry(j);
    if (j === 0) {
      const k = e.cell.kind;
      s = head(f.stats ? 'stats' : k === 'tseries' ? 'tseries' : k === 'hist' ? 'hist' : 'map') + '{';
    } else {
      s += ', ';
    }
    s += jsonKey(e.key) + ': ' + jsonCell(e.cell);
    if (s.length >= MAP_CHUNK_CHARS && j + 1 < f.count) {
      write(s);
      s = '';
      endChunk?.();
    }
  }
  write(s + '}}}\n');
}

/** A `helper_error` object without its closing brace (bpftrace json.cpp's fields, in its order). */
function helperErrorJson(helper: string, retcode: number, loc: SourceLocation): string {
  return '{"type": "helper_error", "msg": ' + jsonString(strerror(-retcode)) + ', "helper": ' + jsonString(helper) + ', "retcode": ' + retcode +
    ', "filename": ' + jsonString(loc.filename) + ', "line": ' + loc.line + ', "col": ' + loc.col;
}

export class JsonOutput implements Output {
  private readonly out: Sink;
  private readonly err: Sink;
  private readonly color: boolean;

  constructor(opts: OutputOptions) {
    this.out = opts.out;
    this.err = opts.err;
    this.color = opts.color;
  }

  private emit(type: string, data: string): void {
    this.out.write('{"type": "' + type + '", "data": ' + data + '}\n');
  }

  attachedProbes(n: number): void {
    this.out.write(`{"type": "attached_probes", "count": ${n}, "data": {"probes": ${n}}}\n`);
  }

  printf(text: string): void {
    this.emit('printf', jsonString(text));
  }

  warnf(text: string, locations: readonly SourceLocation[]): void {
    this.severity('warnf', text, locations);
  }

  errorf(text: string, locations: readonly SourceLocation[]): void {
    this.severity('errorf', text, locations);
  }

  helperError(helper: string, retcode: number, loc: SourceLocation): void {
    this.out.write(helperErrorJson(helper, retcode, loc) + '}\n');
  }

  helperErrorRepeated(helper: string, retcode: number, loc: SourceLocation, count: number): void {
    this.out.write(helperErrorJson(helper, retcode, loc) + ', "repeated": ' + count + '}\n');
  }

  /** JSON prints only the top-level location. */
  private severity(type: string, text: string, locations: readonly SourceLocation[]): void {
    const loc = locations[0];
    let s = '{"type": "' + type + '", "msg": ' + jsonString(text);
    if (loc) {
      s += ', "filename": ' + jsonString(loc.filename) + ', "line": ' + loc.line + ', "col": ' + loc.col;
    }
    this.out.write(s + '}\n');
  }

  value(v: Value): void {
    this.emit('value', jsonValue(v));
  }

  time(text: string): void {
    this.emit('time', jsonString(text));
  }

  cat(text: string): void {
    this.emit('cat', jsonString(text));
  }

  join(text: string): void {
    this.emit('join', jsonString(text));
  }

  syscall(text: string): void {
    this.emit('syscall', jsonString(text));
  }

  map(dump: MapDump | MapSource, opts?: MapPrintOptions): void {
    writeMapJson(dump, opts, (s) => s && this.out.write(s), () => flushSink(this.out));
  }

  lostEvents(n: number | bigint): void {
    this.out.write(`{"type": "lost_events", "count": ${n}, "data": {"events": ${n}}}\n`);
  }

  totalLostEvents(n: number | bigint): void {
    this.err.write(totalLostLine(n, this.color));
  }

  totalRuntimeWarnings(n: number): void {
    this.err.write(totalRuntimeWarningsLine(n, this.color));
  }

  mapsHeader(): void {
    // Nothing emitted (json.cpp `JsonOutput::end`).
  }

  flush(): void {
    flushSink(this.out);
    flushSink(this.err);
  }
}
