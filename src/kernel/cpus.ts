import { readFileSync } from 'node:fs';

/** Number of possible CPUs (sizes per-CPU values and `ncpus`), from sysfs; 1 if unreadable. */
export function possibleCpuCount(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 1;
  }
}
