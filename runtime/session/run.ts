/**
 * The steps of a run that every front end takes the same way (runtime/cli.ts, runtime/api/): load
 * the providers a script uses (and the DWARF reader when it has show_debug_info) and create its session; then start it, ending a script that has only
 * BEGIN/END probes after BEGIN, as bpftrace does.
 */
import type { CompiledScript } from '../../src/contract/index.js';
import { loadProviders } from '../../src/index.js';
import { loadDebugInfoReader } from '../output/rich-values.js';
import { Session, type SessionOptions } from './session.js';
import { startupMark } from '../compile/startup-trace.js';

/** A session for `script` whose probe types' attach code is loaded; the caller loads it (`load()`) and disposes it. */
export async function openSession(script: CompiledScript, opts: SessionOptions): Promise<Session> {
  await loadProviders(script.programs);
  if (script.showDebugInfo) await loadDebugInfoReader();
  startupMark('providers-loaded');
  return new Session(script, opts);
}

/** Run BEGIN and attach every probe; returns the number of probes. A BEGIN/END-only script ends now. */
export function beginRun(session: Session): number {
  const count = session.start();
  if (session.script.programs.every((p) => p.probe.attach.kind === 'special')) session.requestExit(0);
  return count;
}
