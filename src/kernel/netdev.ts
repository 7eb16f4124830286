import { readdirSync, readFileSync } from 'node:fs';

/** Network interfaces of this network namespace, from sysfs (the names `xdp:` and `tc:` probes attach to). */
export function netInterfaces(): string[] {
  try {
    return readdirSync('/sys/class/net').sort();
  } catch {
    return [];
  }
}

/** An interface's index (`/sys/class/net/NAME/ifindex`); undefined when there is no such interface. */
export function ifindexOf(name: string): number | undefined {
  if (!/^[^/\0]{1,15}$/.test(name) || name === '.' || name === '..') return undefined;
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}
