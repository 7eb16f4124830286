/**
 * How big str()'s value is and how many bytes it reads, as bpftrace sizes them (type_resolver.cpp
 * and codegen_llvm.cpp `str`, config.cpp pad_max_strlen):
 * - `str(p)` is a string[max_strlen]; below 1024 it reads one byte more, so a string that fills all
 *   max_strlen bytes has no NUL in the value: it was truncated, and prints with str_trunc_trailer.
 * - `str(p, n)` is a string[n + 1] reading n bytes (n - 1 characters and the NUL), or, for n + 1
 *   above max_strlen, a string[max_strlen] reading min(n, the padded size).
 */
export interface StrSizes {
  /** The value's size (its string type's size). */
  readonly size: number;
  /** Bytes bpf_probe_read_*_str may write (NUL included). */
  readonly read: number;
}

export function strSizes(maxStrlen: number, length: number | undefined): StrSizes {
  const padded = maxStrlen < 1024 ? maxStrlen + 1 : maxStrlen;
  if (length === undefined) return { size: maxStrlen, read: padded };
  const n = Math.max(0, length);
  if (n + 1 <= maxStrlen) return { size: n + 1, read: Math.max(1, n) };
  return { size: maxStrlen, read: Math.min(n, padded) };
}
