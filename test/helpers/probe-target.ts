/**
 * Builds test/fixtures/user-probes/probe-target.c with gcc into a test's scratch directory, under a
 * unique name (so its comm is unique), at -O0 (USDT operands in memory) or -O2 (in registers and
 * constants). Tests that need it skip with the reason when gcc or sys/sdt.h is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, uniqueTag } from './tsbpf.js';

export const PROBE_TARGET_SOURCE = join(REPO_ROOT, 'test', 'fixtures', 'user-probes', 'probe-target.c');

/** Why the probe target cannot be built here, or undefined. */
export function whyNoProbeTarget(): string | undefined {
  if (spawnSync('gcc', ['--version']).status !== 0) return 'needs gcc';
  const sdt = ['/usr/include/sys/sdt.h', '/usr/include/x86_64-linux-gnu/sys/sdt.h'];
  if (!sdt.some((p) => existsSync(p))) return 'needs sys/sdt.h (apt-get install systemtap-sdt-dev)';
  return undefined;
}

export interface ProbeTarget {
  readonly path: string;
  readonly comm: string;
}

export function buildProbeTarget(dir: string, opt: 'O0' | 'O2'): ProbeTarget {
  const comm = `pt${opt}${uniqueTag(8)}`;
  const path = join(dir, comm);
  const r = spawnSync('gcc', [`-${opt}`, '-o', path, PROBE_TARGET_SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return { path, comm };
}
