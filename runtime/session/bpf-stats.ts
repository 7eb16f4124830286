/**
 * The kernel's per-program run-time statistics (run_cnt, run_time_ns in bpf_prog_info), which the
 * shell's `.probes` and `tsbpf top` show. They cost a little on every program run, so they are on
 * only while we look.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { bpf } from '../../native/index.js';

const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** How the statistics were turned on. */
export type StatsMode = 'fd' | 'sysctl' | 'already-on' | 'unavailable';

export interface BpfStats {
  readonly mode: StatsMode;
  /** Turn the statistics back off (as they were before); idempotent. */
  restore(): void;
}

/**
 * Turn on per-program run counts. BPF_ENABLE_STATS first: the kernel counts while its fd is open
 * and stops by itself when the fd closes, so even a SIGKILLed tsbpf leaves the setting as it was.
 * Kernels without it (before 5.8) get kernel.bpf_stats_enabled written and put back on restore().
 */
export function startBpfStats(): BpfStats {
  try {
    const fd = bpf.enableStats();
    let open = true;
    return {
      mode: 'fd',
      restore: () => {
        if (!open) return;
        open = false;
        try {
          bpf.close(fd);
        } catch {
          // Already closed with the process's fds.
        }
      },
    };
  } catch {
    // Fall back to the sysctl.
  }
  let old: string;
  try {
    old = readFileSync(STATS_SYSCTL, 'utf8').trim();
    if (old === '1') return { mode: 'already-on', restore: () => {} };
    writeFileSync(STATS_SYSCTL, '1');
  } catch {
    return { mode: 'unavailable', restore: () => {} };
  }
  let restored = false;
  return {
    mode: 'sysctl',
    restore: () => {
      if (restored) return;
      restored = true;
      try {
        writeFileSync(STATS_SYSCTL, old);
      } catch {
        // Not ours to insist.
      }
    },
  };
}

/** Turn on per-program run counts while the shell runs; the returned function puts the old setting back. */
export function enableBpfStats(): () => void {
  const stats = startBpfStats();
  return () => stats.restore();
}
