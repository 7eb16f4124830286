/**
 * printf()-style format strings as bpftrace 0.26 parses them (src/format_string.cpp): one regex
 * finds the specs. The syntax belongs to the contract because format strings travel in the
 * compiled script: the compiler checks them against argument types (src/builtins/printf-check.ts)
 * and the runtime formats with them (runtime/output/printf.ts).
 */

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
