/**
 * bpftrace's named probes: `NAME=provider:...`. The name sits before an `=` in the first
 * `:`-separated part (`myname=tracepoint:a:b`, `n=BEGIN`); the `probe` builtin then says NAME
 * (bpftrace's AttachPoint::name, "reserved for internal use and future features").
 */
export function splitProbeName(image: string): { raw: string; userName?: string } {
  const colon = image.indexOf(':');
  const front = colon < 0 ? image : image.slice(0, colon);
  const eq = front.indexOf('=');
  // `x=` alone (nothing after the `=`) is not a name, as bpftrace's check.
  if (eq <= 0 || eq === front.length - 1) return { raw: image };
  return { raw: image.slice(eq + 1), userName: image.slice(0, eq) };
}
