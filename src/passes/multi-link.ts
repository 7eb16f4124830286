/**
 * Whether a wildcarded attach point may become one probe behind a multi link (uprobe_multi):
 * the kernel has the link type, `--no-feature uprobe_multi` did not turn it off, and the block
 * never tells its probes apart. `probe` and `func` are constants per concrete probe here, so a
 * block that reads them keeps one program per match (bpftrace fully expands for `probe` too).
 */
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import type * as ast from '../ast/nodes.js';
import { visit } from '../ast/walk.js';

const PER_PROBE_NAMES: ReadonlySet<string> = new Set(['probe', '__builtin_probe', 'func', '__builtin_func']);

function usesPerProbeNames(node: ast.Node): boolean {
  let found = false;
  visit(node, {
    Identifier(n) {
      if (PER_PROBE_NAMES.has(n.name)) found = true;
    },
    Call(n, children) {
      if (PER_PROBE_NAMES.has(n.callee)) found = true;
      children();
    },
  });
  return found;
}

/** The block (or any macro, which it may call) reads `probe` or `func`. */
export function tellsProbesApart(program: ast.Program, probe: ast.Probe): boolean {
  return usesPerProbeNames(probe) || program.macros.some((m) => usesPerProbeNames(m.body));
}

/** BPF_TRACE_UPROBE_MULTI links: Linux 6.6 with the uprobe PMU, unless `--no-feature uprobe_multi` (TSBPF_NO_FEATURES). */
export function uprobeMultiAvailable(): boolean {
  if ((process.env.TSBPF_NO_FEATURES ?? '').split(',').includes('uprobe_multi')) return false;
  const [major = 0, minor = 0] = release().split('.').map((n) => parseInt(n, 10));
  return (major > 6 || (major === 6 && minor >= 6)) && existsSync('/sys/bus/event_source/devices/uprobe');
}
