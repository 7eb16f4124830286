import { listProbes } from '../src/index.js';

/** `tsbpf -l [search]` / `-lv`: one probe per line on stdout, as bpftrace prints them. */
export async function runList(search: string, opts: { verbose: boolean; pid?: number }): Promise<number> {
  const lines = await listProbes(search, { verbose: opts.verbose, pid: opts.pid });
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
