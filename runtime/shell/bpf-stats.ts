/** kernel.bpf_stats_enabled: per-program run counts, which `.probes` shows as hits. */
import { readFileSync, writeFileSync } from 'node:fs';

const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Turn on per-program run counts while the shell runs; the returned function puts the old value back. */
export function enableBpfStats(): () => void {
  let old: string;
  try {
    old = readFileSync(STATS_SYSCTL, 'utf8').trim();
    if (old !== '1') writeFileSync(STATS_SYSCTL, '1');
  } catch {
    return () => {};
  }
  let restored = false;
  return () => {
    if (old === '1' || restored) return;
    restored = true;
    try {
      writeFileSync(STATS_SYSCTL, old);
    } catch {
      // Not ours to insist.
    }
  };
}
