/**
 * Splits an attach point's text on `:` outside double quotes and removes the quotes:
 * `uprobe:"/tmp/a:b":f` → [`uprobe`, `/tmp/a:b`, `f`].
 */
export function splitAttachPoint(raw: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Parses `123`, `0x1f` as a non-negative integer; undefined otherwise. */
export function parseUint(s: string): bigint | undefined {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(s)) return undefined;
  return BigInt(s);
}
