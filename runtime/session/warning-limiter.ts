/**
 * Runtime warnings (a full map, another failed helper, a division by zero) come from probes and
 * repeat at the probe's rate: a full map under a syscall probe fails millions of times. Each
 * source location reports its first occurrence at once (as bpftrace does), then at most once a
 * second, as one line with the number of occurrences since (`... (repeated 12345 times)`); the
 * session prints the total at exit.
 */

/** How a warning site reports: in full (its first occurrence), or as one line with a count. */
export interface WarningReport {
  full(): void;
  repeated(count: number): void;
}

interface Site {
  readonly report: WarningReport;
  /** When the site last printed (ms, monotonic). */
  lastShown: number;
  /** Occurrences since then, not printed yet. */
  pending: number;
  timer: NodeJS.Timeout | undefined;
}

export class WarningLimiter {
  private readonly sites = new Map<string, Site>();
  private occurrences = 0;
  private anyRepeated = false;

  constructor(
    private readonly intervalMs = 1000,
    // Milliseconds, from hrtime: the first use of `performance` loads node:perf_hooks (~1.5 ms).
    private readonly now: () => number = () => Number(process.hrtime.bigint()) / 1e6,
  ) {}

  /** One occurrence of the warning at `key` (its source location and kind). */
  occur(key: string, report: WarningReport): void {
    this.occurrences++;
    const t = this.now();
    const site = this.sites.get(key);
    if (!site) {
      this.sites.set(key, { report, lastShown: t, pending: 0, timer: undefined });
      report.full();
      return;
    }
    // Quiet for a whole interval: printed in full again.
    if (site.pending === 0 && t - site.lastShown >= this.intervalMs) {
      site.lastShown = t;
      site.report.full();
      return;
    }
    site.pending++;
    this.anyRepeated = true;
    if (!site.timer) {
      site.timer = setTimeout(() => this.emit(site), Math.max(0, site.lastShown + this.intervalMs - t));
      site.timer.unref();
    }
  }

  private emit(site: Site): void {
    if (site.timer) clearTimeout(site.timer);
    site.timer = undefined;
    if (site.pending === 0) return;
    const n = site.pending;
    site.pending = 0;
    site.lastShown = this.now();
    site.report.repeated(n);
  }

  /** Prints every pending count now (at exit). */
  flush(): void {
    for (const site of this.sites.values()) this.emit(site);
  }

  /** All occurrences so far, when some location repeated (else undefined: nothing to sum up). */
  total(): number | undefined {
    return this.anyRepeated ? this.occurrences : undefined;
  }

  dispose(): void {
    for (const site of this.sites.values()) if (site.timer) clearTimeout(site.timer);
  }
}
