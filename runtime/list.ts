import { listProbes } from '../src/index.js';
import { dieOfSigpipe, outputFailureOf } from './output/output-errors.js';

/**
 * `tsbpf -l [search]` / `-lv`: one probe per line on stdout, as bpftrace prints them. A reader that
 * goes away (`tsbpf -l | head -1`) ends tsbpf by SIGPIPE, as it ends bpftrace.
 */
export async function runList(search: string, opts: { verbose: boolean; pid?: number }): Promise<number> {
  const lines = await listProbes(search, { verbose: opts.verbose, pid: opts.pid });
  if (!lines.length) return 0;
  const err = await new Promise<Error | null | undefined>((resolve) => process.stdout.write(lines.join('\n') + '\n', resolve));
  if (!err) return 0;
  const failure = outputFailureOf(err);
  if (failure.kind === 'reader-gone') return dieOfSigpipe();
  process.stderr.write(`ERROR: ${failure.message}\n`);
  return 1;
}
