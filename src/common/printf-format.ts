/**
 * printf()-style format strings: parsing (for the compiler's argument checks) and formatting
 * (for the runtime), as bpftrace 0.26 does them (src/format_string.cpp).
 *
 * Pure; imports nothing (src/common). Values are given structurally (`FormatValue` has the same
 * shape as runtime/value.ts `Value`, which src/ must not import).
 *
 * bpftrace 0.26 does NOT call C printf: it parses specs with one regex and formats each argument
 * through a C++ iostream. The observable differences from C printf, all reproduced here by the
 * default `bpftrace` dialect:
 *   - flags must appear in the order `-`, `+`, space, `#`, `0`, each at most once; a `%` that does
 *     not match the regex is printed literally (no error);
 *   - the `0` flag sets the fill character and padding stays on the side given by `-`:
 *     `%05d` of -42 is `00-42`, `%-05d` of 42 is `42000`, `%#06x` of 255 is `000xff`;
 *   - precision is ignored for integers and strings (`%.3s` of "abcdef" is `abcdef`);
 *   - the space flag is ignored; `+` only affects signed decimal output (and ints printed by `%s`);
 *   - `%#x`/`%#o` add `0x`/`0` only for non-zero values; `%p` prints `0x...`, or `0` for NULL;
 *   - width `*` and precision `*` are accepted and ignored (they consume no argument);
 *   - for `%s` of a tuple/record/array the width pads only the opening `(` / `{ ` / `[`.
 * Integer conversions cast like C: no length modifier means `int`/`unsigned int` (so `%d` of
 * 0x100000005 is 5 and `%u` of -1 is 4294967295), `hh` char, `h` short, `l ll j z t` 64-bit.
 * The `c` dialect implements ISO C / glibc printf semantics instead, for comparison.
 */

export type FormatValue =
  | { kind: 'int'; value: bigint }
  | { kind: 'str'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'tuple'; elems: FormatValue[] }
  | { kind: 'stack'; frames: string[]; mode?: 'bpftrace' | 'perf' | 'raw' }
  | { kind: 'none' }
  | { kind: 'sym'; text: string; value: bigint }
  | { kind: 'record'; fields: { name: string; value: FormatValue }[] }
  | { kind: 'array'; elems: FormatValue[] }
  | { kind: 'buffer'; bytes: Uint8Array };

export type FormatArg = bigint | number | string | FormatValue;

export interface FormatFlags {
  /** `-` left-align */
  minus: boolean;
  /** `+` show sign */
  plus: boolean;
  /** ` ` space before positive numbers (ignored by bpftrace) */
  space: boolean;
  /** `#` alternate form */
  hash: boolean;
  /** `0` pad with zeros */
  zero: boolean;
}

export interface FormatSpec {
  /** Offset of the `%` in the format string. */
  start: number;
  /** Offset just past the conversion. */
  end: number;
  /** The spec's text, e.g. `%-16s`. */
  text: string;
  flags: FormatFlags;
  /** Field width; 0 when absent or `*`. */
  width: number;
  widthStar: boolean;
  /** Precision; -1 when absent or `*`. */
  precision: number;
  precisionStar: boolean;
  /** Length modifier as written: '', 'hh', 'h', 'l', 'll', 'L', 'j', 'z', 't' (bpftrace accepts any run of `hlLjzt`). */
  length: string;
  /** Conversion: d i o u x X e E f F g G a A c s p n %, or the bpftrace ones r rx rh gr. */
  conversion: string;
}

export interface ParsedFormat {
  /** Argument-consuming specs, in order (argument i formats with specs[i]). */
  specs: FormatSpec[];
  /** Literal text around the specs (`%%` already turned into `%`); `fragments.length === specs.length + 1`. */
  fragments: string[];
  /** `%%` tokens (they consume no argument). */
  percents: FormatSpec[];
  /** Set when a spec uses a conversion bpftrace does not support (`unsupported format specifier: f`). */
  error?: string;
  /** The spec the error is about. */
  errorSpec?: FormatSpec;
}

// bpftrace's regex (format_string.cpp FormatSpec::regex); alternation order matters: `gr` before
// `g`, `rh`/`rx` before `r`.
const SPEC_RE = /%(-?)(\+?)( ?)(#?)(0?)(\*|\d+)?(?:\.(\*|\d+))?([hlLjzt]*)([diouxXeEfFGaAcspn%]|gr|g|rh|rx|r)/g;

/** Conversions bpftrace's printf accepts, with the argument types each takes. */
export const SUPPORTED_CONVERSIONS: Readonly<Record<string, readonly FormatArgKind[] | 'any'>> = {
  d: ['integer', 'boolean', 'pointer'],
  i: ['integer', 'boolean', 'pointer'],
  u: ['integer', 'boolean', 'pointer'],
  o: ['integer', 'boolean', 'pointer'],
  x: ['integer', 'boolean', 'pointer'],
  X: ['integer', 'boolean', 'pointer'],
  c: ['integer', 'boolean', 'pointer'],
  r: ['buffer'],
  rx: ['buffer'],
  rh: ['buffer'],
  s: 'any',
  p: ['integer', 'boolean', 'pointer'],
  gr: ['integer', 'boolean', 'pointer'],
};

export function parseFormat(fmt: string): ParsedFormat {
  const specs: FormatSpec[] = [];
  const percents: FormatSpec[] = [];
  const fragments: string[] = [];
  let fragment = '';
  let last = 0;
  let error: string | undefined;
  let errorSpec: FormatSpec | undefined;
  SPEC_RE.lastIndex = 0;
  for (let m = SPEC_RE.exec(fmt); m !== null; m = SPEC_RE.exec(fmt)) {
    fragment += fmt.slice(last, m.index);
    last = m.index + m[0].length;
    const w = m[6] ?? '';
    const p = m[7] ?? '';
    const spec: FormatSpec = {
      start: m.index,
      end: last,
      text: m[0],
      flags: { minus: m[1] !== '', plus: m[2] !== '', space: m[3] !== '', hash: m[4] !== '', zero: m[5] !== '' },
      width: w !== '' && w !== '*' ? parseInt(w, 10) : 0,
      widthStar: w === '*',
      precision: p !== '' && p !== '*' ? parseInt(p, 10) : -1,
      precisionStar: p === '*',
      length: m[8] ?? '',
      conversion: m[9]!,
    };
    if (spec.conversion === '%') {
      fragment += '%';
      percents.push(spec);
      continue;
    }
    if (error === undefined && !(spec.conversion in SUPPORTED_CONVERSIONS)) {
      error = 'unsupported format specifier: ' + spec.conversion;
      errorSpec = spec;
    }
    fragments.push(fragment);
    fragment = '';
    specs.push(spec);
  }
  fragments.push(fragment + fmt.slice(last));
  const r: ParsedFormat = { specs, fragments, percents };
  if (error !== undefined) {
    r.error = error;
    r.errorSpec = errorSpec;
  }
  return r;
}

export type FormatArgKind = 'integer' | 'boolean' | 'pointer' | 'buffer' | 'string' | 'none' | 'void' | 'other';

/** What the type checker knows about one printf argument; `name` is its type as bpftrace prints it (e.g. `string[16]`). */
export interface FormatArgType {
  kind: FormatArgKind;
  name: string;
}

/**
 * bpftrace's `FormatString::check`: the error message for these argument types, or undefined.
 * Messages: `not enough arguments for format string (1 supplied, 2 expected)`, `too many arguments
 * for format string (...)`, `unable to print none type for specifier: d`,
 * `unsupported format specifier: f`, `unsupported format specifier for type 'string': d`.
 */
export function checkFormatArgs(fmt: string | ParsedFormat, args: readonly FormatArgType[]): { message: string; spec?: FormatSpec } | undefined {
  const parsed = typeof fmt === 'string' ? parseFormat(fmt) : fmt;
  const { specs } = parsed;
  if (args.length < specs.length) {
    return { message: `not enough arguments for format string (${args.length} supplied, ${specs.length} expected)` };
  }
  if (args.length > specs.length) {
    return { message: `too many arguments for format string (${args.length} supplied, ${specs.length} expected)` };
  }
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const arg = args[i]!;
    if (arg.kind === 'none' || arg.kind === 'void') {
      return { message: 'unable to print none type for specifier: ' + spec.conversion, spec };
    }
    const allowed = SUPPORTED_CONVERSIONS[spec.conversion];
    if (allowed === undefined) return { message: 'unsupported format specifier: ' + spec.conversion, spec };
    if (allowed === 'any') continue;
    if (!allowed.includes(arg.kind)) {
      return { message: `unsupported format specifier for type '${arg.name}': ${spec.conversion}`, spec };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export type PrintfDialect = 'bpftrace' | 'c';

export interface FormatOptions {
  /** `bpftrace` (default): bpftrace 0.26's iostream semantics. `c`: ISO C / glibc printf. */
  dialect?: PrintfDialect;
}

const cache = new Map<string, ParsedFormat>();

function parsedCached(fmt: string): ParsedFormat {
  let p = cache.get(fmt);
  if (!p) {
    if (cache.size > 1024) cache.clear();
    p = parseFormat(fmt);
    cache.set(fmt, p);
  }
  return p;
}

/**
 * Format `args` with `fmt`. bigint/number arguments are integers, JS strings are strings. As in
 * bpftrace, a value a conversion cannot take is written as `!{invalid integer conversion: <text>}`
 * and missing arguments leave their specs (and the text between them) out.
 */
export function formatPrintf(fmt: string | ParsedFormat, args: readonly FormatArg[], opts: FormatOptions = {}): string {
  const parsed = typeof fmt === 'string' ? parsedCached(fmt) : fmt;
  const c = opts.dialect === 'c';
  const n = Math.min(args.length, parsed.specs.length);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += parsed.fragments[i]!;
    const v = toValue(args[i]!);
    s += c ? applyC(parsed.specs[i]!, v) : applyBpftrace(parsed.specs[i]!, v);
  }
  return s + parsed.fragments[parsed.fragments.length - 1]!;
}

function toValue(a: FormatArg): FormatValue {
  if (typeof a === 'bigint') return { kind: 'int', value: a };
  if (typeof a === 'number') return { kind: 'int', value: BigInt(Math.trunc(a)) };
  if (typeof a === 'string') return { kind: 'str', value: a };
  return a;
}

/** The integer a value stands for, as bpftrace's `as_number` takes it, or undefined. */
function toNumber(v: FormatValue): bigint | undefined {
  switch (v.kind) {
    case 'int':
      return v.value;
    case 'bool':
      return v.value ? 1n : 0n;
    case 'sym':
      return BigInt.asUintN(64, v.value);
    default:
      return undefined;
  }
}

/** Integer width from the length modifier; `def` when there is none (or it is not recognised). */
function lengthBits(length: string, def: number): number {
  switch (length) {
    case 'hh':
      return 8;
    case 'h':
      return 16;
    case 'l':
    case 'll':
    case 'j':
    case 'z':
    case 't':
      return 64;
    default:
      return def;
  }
}

/** Field width counts bytes (of the UTF-8 text), as a C++ stream or C printf does. */
function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xdc80 && c <= 0xdcff) continue; // an escaped raw byte (src/common/bytes.ts)
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 1; // 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2;
  }
  return n;
}

function repeatPad(ch: string, n: number): string {
  return n > 0 ? ch.repeat(n) : '';
}

// ---- bpftrace (iostream) semantics ----------------------------------------------------------

function streamPad(body: string, spec: FormatSpec): string {
  const w = spec.width;
  if (w <= 0) return body;
  const pad = w - byteLength(body);
  if (pad <= 0) return body;
  const fill = repeatPad(spec.flags.zero ? '0' : ' ', pad);
  return spec.flags.minus ? body + fill : fill + body;
}

function conversionError(what: string, v: FormatValue): string {
  return `!{${what}: ${textOf(v, false)}}`;
}

/** Conversions that print an integer; any other value prints `!{invalid integer conversion: ...}`. */
const INTEGER_CONVERSIONS: ReadonlySet<string> = new Set(['d', 'i', 'u', 'o', 'x', 'X', 'c', 'p']);
/** Floating conversions: rejected by the type check; bpftrace prints an int argument as a C++ double. */
const FLOAT_CONVERSIONS: ReadonlySet<string> = new Set(['e', 'E', 'f', 'F', 'g', 'G', 'a', 'A']);

/** An integer argument cast as C casts it: `int` / `unsigned int` unless a length modifier says otherwise. */
function castInteger(spec: FormatSpec, n: bigint, signed: boolean): bigint {
  const bits = lengthBits(spec.length, 32);
  return signed ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n);
}

function applyBpftrace(spec: FormatSpec, v: FormatValue): string {
  const conv = spec.conversion;
  if (INTEGER_CONVERSIONS.has(conv) || FLOAT_CONVERSIONS.has(conv)) {
    const n = toNumber(v);
    return n === undefined ? conversionError('invalid integer conversion', v) : streamNumber(spec, n);
  }
  switch (conv) {
    case 'r':
    case 'rx':
    case 'rh':
      if (v.kind === 'buffer') return streamPad(bufferText(v.bytes, conv === 'r', conv !== 'rh'), spec);
      return stringSpec(spec, v);
    case 'gr': {
      if (v.kind !== 'int' && v.kind !== 'sym') return conversionError('invalid GFP flags conversion', v);
      return streamPad(gfpFlagsText(BigInt.asUintN(64, v.value)), spec);
    }
    default:
      return stringSpec(spec, v);
  }
}

/** An integer or floating conversion of the integer `n0`, through a C++ stream. */
function streamNumber(spec: FormatSpec, n0: bigint): string {
  const conv = spec.conversion;
  switch (conv) {
    case 'd':
    case 'i': {
      const n = castInteger(spec, n0, true);
      const body = n < 0n ? n.toString() : (spec.flags.plus ? '+' : '') + n.toString();
      return streamPad(body, spec);
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      const n = castInteger(spec, n0, false);
      let body: string;
      if (conv === 'u') body = n.toString();
      else if (conv === 'o') body = (spec.flags.hash && n !== 0n ? '0' : '') + n.toString(8);
      else if (conv === 'x') body = (spec.flags.hash && n !== 0n ? '0x' : '') + n.toString(16);
      else body = (spec.flags.hash && n !== 0n ? '0X' : '') + n.toString(16).toUpperCase();
      return streamPad(body, spec);
    }
    case 'c':
      return streamPad(String.fromCharCode(Number(BigInt.asUintN(8, n0))), spec);
    case 'p': {
      const n = BigInt.asUintN(64, n0);
      return streamPad(n === 0n ? '0' : '0x' + n.toString(16), spec);
    }
    default:
      return streamPad(streamDouble(Number(n0), spec), spec);
  }
}

/** `%s`: the value's text; the width applies to the first piece the text emitter writes. */
function stringSpec(spec: FormatSpec, v: FormatValue): string {
  const showpos = spec.flags.plus;
  switch (v.kind) {
    case 'tuple':
    case 'array':
    case 'record': {
      const whole = textOf(v, showpos);
      const head = v.kind === 'tuple' ? '(' : v.kind === 'array' ? '[' : v.fields.length === 0 ? '{}' : '{ ';
      return streamPad(head, spec) + whole.slice(head.length);
    }
    default:
      return streamPad(textOf(v, showpos), spec);
  }
}

/** A C++ stream's default/fixed/scientific double output (only reachable for rejected specs). */
function streamDouble(x: number, spec: FormatSpec): string {
  const c = spec.conversion;
  const p = spec.precision;
  let s: string;
  if (p >= 0 && (c === 'f' || c === 'F')) s = x.toFixed(p);
  else if (p >= 0 && (c === 'e' || c === 'E')) s = cExponent(x.toExponential(p));
  else s = gFormat(x, p >= 0 ? p : 6);
  if (spec.flags.plus && x >= 0) s = '+' + s;
  return s;
}

/** JS `1.5e+6` → C `1.5e+06`. */
function cExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `%g` with `p` significant digits. */
function gFormat(x: number, p: number): string {
  if (x === 0) return '0';
  const P = p === 0 ? 1 : p;
  const exp = Number(x.toExponential(P - 1).split('e')[1]);
  let s: string;
  if (exp < -4 || exp >= P) {
    s = x.toExponential(P - 1);
    s = s.replace(/\.?0+e/, 'e');
    return cExponent(s);
  }
  s = x.toFixed(Math.max(0, P - 1 - exp));
  if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  return s;
}

// ---- C / glibc semantics --------------------------------------------------------------------

function cPad(prefix: string, digits: string, spec: FormatSpec, zeroAllowed: boolean): string {
  const w = spec.width;
  const len = byteLength(prefix) + byteLength(digits);
  if (w <= len) return prefix + digits;
  if (spec.flags.minus) return prefix + digits + repeatPad(' ', w - len);
  if (spec.flags.zero && zeroAllowed) return prefix + repeatPad('0', w - len) + digits;
  return repeatPad(' ', w - len) + prefix + digits;
}

function cDigits(n: bigint, base: number, upper: boolean, precision: number): string {
  if (precision === 0 && n === 0n) return '';
  let d = n.toString(base);
  if (upper) d = d.toUpperCase();
  if (precision > d.length) d = repeatPad('0', precision - d.length) + d;
  return d;
}

function applyC(spec: FormatSpec, v: FormatValue): string {
  const conv = spec.conversion;
  if (INTEGER_CONVERSIONS.has(conv)) {
    const n = toNumber(v);
    return n === undefined ? conversionError('invalid integer conversion', v) : cInteger(spec, n);
  }
  let s =
    v.kind === 'buffer' && (conv === 'r' || conv === 'rx' || conv === 'rh')
      ? bufferText(v.bytes, conv === 'r', conv !== 'rh')
      : conv === 'gr' && (v.kind === 'int' || v.kind === 'sym')
        ? gfpFlagsText(BigInt.asUintN(64, v.value))
        : textOf(v, false);
  if (spec.precision >= 0 && (conv === 's' || conv === 'r' || conv === 'rx' || conv === 'rh')) s = truncateBytes(s, spec.precision);
  return cPad('', s, spec, false);
}

/** An integer conversion of the integer `n0` with glibc's printf semantics. */
function cInteger(spec: FormatSpec, n0: bigint): string {
  const conv = spec.conversion;
  const f = spec.flags;
  const prec = spec.precision;
  const zeroOk = prec < 0;
  switch (conv) {
    case 'd':
    case 'i': {
      const n = castInteger(spec, n0, true);
      const sign = n < 0n ? '-' : f.plus ? '+' : f.space ? ' ' : '';
      return cPad(sign, cDigits(n < 0n ? -n : n, 10, false, prec), spec, zeroOk);
    }
    case 'c':
      return cPad('', String.fromCharCode(Number(BigInt.asUintN(8, n0))), spec, false);
    case 'p': {
      const n = BigInt.asUintN(64, n0);
      if (n === 0n) return cPad('', '(nil)', spec, false);
      const sign = f.plus ? '+' : f.space ? ' ' : '';
      return cPad(sign + '0x', cDigits(n, 16, false, prec), spec, zeroOk);
    }
    default: {
      // u o x X
      const n = castInteger(spec, n0, false);
      const base = conv === 'u' ? 10 : conv === 'o' ? 8 : 16;
      let digits = cDigits(n, base, conv === 'X', prec);
      let prefix = '';
      if (f.hash && conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
      if (f.hash && n !== 0n && conv === 'x') prefix = '0x';
      if (f.hash && n !== 0n && conv === 'X') prefix = '0X';
      return cPad(prefix, digits, spec, zeroOk);
    }
  }
}

function truncateBytes(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  let n = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
    if (n + w > max) break;
    n += w;
    if (w === 4) i++;
  }
  return s.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Text of values (mirror of runtime/value.ts `valueText`, which src/ cannot import; a unit test
// checks that the two agree)

const STACK_PAD = '        ';

function textOf(v: FormatValue, showpos: boolean): string {
  switch (v.kind) {
    case 'int':
      return showpos && v.value >= 0n ? '+' + v.value.toString() : v.value.toString();
    case 'str':
      return v.value;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'none':
      return 'null';
    case 'sym':
      return v.text;
    case 'stack': {
      let s = '\n';
      const pad = (v.mode ?? 'bpftrace') === 'bpftrace' ? STACK_PAD : '';
      for (const fr of v.frames) s += pad + fr + '\n';
      return s;
    }
    case 'buffer':
      return bufferText(v.bytes, true, true);
    case 'tuple':
      return '(' + v.elems.map((e) => textOf(e, showpos)).join(', ') + ')';
    case 'array':
      return '[' + v.elems.map((e) => textOf(e, showpos)).join(',') + ']';
    case 'record':
      if (v.fields.length === 0) return '{}';
      return '{ ' + v.fields.map((fl) => '.' + fl.name + ' = ' + textOf(fl.value, showpos)).join(', ') + ' }';
  }
}

/** `%s` text of a value exactly as bpftrace's text output prints it. */
export function formatValueText(v: FormatValue): string {
  return textOf(v, false);
}

/** util::hex_format_buffer */
function bufferText(bytes: Uint8Array, keepAscii: boolean, escapeHex: boolean): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (keepAscii && b >= 32 && b <= 126) s += String.fromCharCode(b);
    else if (escapeHex) s += '\\x' + b.toString(16).padStart(2, '0');
    else s += b.toString(16).padStart(2, '0') + (i === bytes.length - 1 ? '' : ' ');
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// %gr: GFP flags (bpftrace src/util/gfp_flags.{h,cpp}, following the kernel's mmflags.h order)

const B = (n: number): bigint => 1n << BigInt(n);
const __GFP_DMA = B(0);
const __GFP_HIGHMEM = B(1);
const __GFP_DMA32 = B(2);
const __GFP_MOVABLE = B(3);
const __GFP_HIGH = B(5);
const __GFP_IO = B(6);
const __GFP_FS = B(7);
const __GFP_ZERO = B(8);
const __GFP_DIRECT_RECLAIM = B(10);
const __GFP_KSWAPD_RECLAIM = B(11);
const __GFP_WRITE = B(12);
const __GFP_NOWARN = B(13);
const __GFP_RETRY_MAYFAIL = B(14);
const __GFP_NOFAIL = B(15);
const __GFP_NORETRY = B(16);
const __GFP_MEMALLOC = B(17);
const __GFP_COMP = B(18);
const __GFP_NOMEMALLOC = B(19);
const __GFP_HARDWALL = B(20);
const __GFP_THISNODE = B(21);
const __GFP_ACCOUNT = B(22);
const __GFP_ZEROTAGS = B(23);
const __GFP_SKIP_ZERO = B(24);
const __GFP_SKIP_KASAN = B(25);
const __GFP_NO_OBJ_EXT = B(26);
const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;
const GFP_NOIO = __GFP_RECLAIM;
const GFP_NOFS = GFP_NOIO | __GFP_IO;
const GFP_USER = GFP_NOFS | __GFP_FS | __GFP_HARDWALL;
const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN;
const GFP_TRANSHUGE_LIGHT = (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

const GFP_NAMES: readonly [bigint, string][] = [
  [GFP_TRANSHUGE, 'GFP_TRANSHUGE'],
  [GFP_TRANSHUGE_LIGHT, 'GFP_TRANSHUGE_LIGHT'],
  [GFP_HIGHUSER_MOVABLE, 'GFP_HIGHUSER_MOVABLE'],
  [GFP_HIGHUSER, 'GFP_HIGHUSER'],
  [GFP_USER, 'GFP_USER'],
  [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
  [GFP_KERNEL, 'GFP_KERNEL'],
  [GFP_NOFS, 'GFP_NOFS'],
  [GFP_ATOMIC, 'GFP_ATOMIC'],
  [GFP_NOIO, 'GFP_NOIO'],
  [GFP_NOWAIT, 'GFP_NOWAIT'],
  [__GFP_DMA, 'GFP_DMA'],
  [__GFP_HIGHMEM, '__GFP_HIGHMEM'],
  [__GFP_DMA32, 'GFP_DMA32'],
  [__GFP_HIGH, '__GFP_HIGH'],
  [__GFP_IO, '__GFP_IO'],
  [__GFP_FS, '__GFP_FS'],
  [__GFP_ZERO, '__GFP_ZERO'],
  [__GFP_DIRECT_RECLAIM, '__GFP_DIRECT_RECLAIM'],
  [__GFP_KSWAPD_RECLAIM, '__GFP_KSWAPD_RECLAIM'],
  [__GFP_WRITE, '__GFP_WRITE'],
  [__GFP_NOWARN, '__GFP_NOWARN'],
  [__GFP_RETRY_MAYFAIL, '__GFP_RETRY_MAYFAIL'],
  [__GFP_NOFAIL, '__GFP_NOFAIL'],
  [__GFP_NORETRY, '__GFP_NORETRY'],
  [__GFP_MEMALLOC, '__GFP_MEMALLOC'],
  [__GFP_COMP, '__GFP_COMP'],
  [__GFP_NOMEMALLOC, '__GFP_NOMEMALLOC'],
  [__GFP_HARDWALL, '__GFP_HARDWALL'],
  [__GFP_THISNODE, '__GFP_THISNODE'],
  [__GFP_ACCOUNT, '__GFP_ACCOUNT'],
  [__GFP_ZEROTAGS, '__GFP_ZEROTAGS'],
  [__GFP_SKIP_ZERO, '__GFP_SKIP_ZERO'],
  [__GFP_SKIP_KASAN, '__GFP_SKIP_KASAN'],
  [__GFP_NO_OBJ_EXT, '__GFP_NO_OBJ_EXT'],
];

/** `%gr`: `GFP_KERNEL|__GFP_ZERO`, leftover bits as `0x..`, 0 as `0`. */
export function gfpFlagsText(flags: bigint): string {
  if (flags === 0n) return '0';
  let remaining = flags;
  const parts: string[] = [];
  for (const [mask, name] of GFP_NAMES) {
    if ((remaining & mask) === mask) {
      parts.push(name);
      remaining &= ~mask;
    }
  }
  if (remaining !== 0n) parts.push('0x' + remaining.toString(16));
  return parts.join('|');
}
