/**
 * Which files `import` may read: tsbpf runs as root and loads what it imports into the kernel, so
 * an imported file must not be one another user can change. After resolving symlinks (realpath),
 * the file must be a regular file owned by root or the invoking user and writable by nobody else,
 * and every directory from it up to `/` must be owned by root or the invoking user and, when group
 * or others may write to it, sticky (as /tmp is: then only the owner of an entry may replace it,
 * and the entry's owner was checked). bpftrace itself only refuses world-writable directories.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

const STICKY = 0o1000;
const GROUP_OTHER_WRITE = 0o022;

function euid(): number {
  return process.geteuid?.() ?? 0;
}

function trustedOwner(st: Stats, uid: number): boolean {
  return st.uid === 0 || st.uid === uid;
}

function ownerText(st: Stats): string {
  return `uid ${st.uid}`;
}

/** Why the directory `dir` (already resolved) or one above it cannot hold importable files; undefined if it can. */
export function unsafeDirectory(dir: string, uid = euid()): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d);
    if (!trustedOwner(st, uid)) return `directory ${d} is owned by another user (${ownerText(st)})`;
    if ((st.mode & GROUP_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) {
      return `directory ${d} is writable by ${(st.mode & 0o002) !== 0 ? 'everyone' : 'its group'}`;
    }
    if (dirname(d) === d) return undefined;
  }
}

/** Why the regular file's status `st` makes it unsafe to import; undefined if safe. */
function unsafeFile(path: string, st: Stats, uid: number): string | undefined {
  if (!st.isFile()) return `${path} is not a regular file`;
  if (!trustedOwner(st, uid)) return `${path} is owned by another user (${ownerText(st)})`;
  if ((st.mode & GROUP_OTHER_WRITE) !== 0) return `${path} is writable by ${(st.mode & 0o002) !== 0 ? 'everyone' : 'its group'}`;
  return undefined;
}

/**
 * Reads the (resolved) file `real` if it is safe to import: opened without following a symlink
 * swapped in since it was resolved, and checked on the open descriptor.
 */
export function readImportable(real: string, uid = euid()): { text: string } | { refused: string } {
  const dirWhy = unsafeDirectory(dirname(real), uid);
  if (dirWhy) return { refused: dirWhy };
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { refused: `cannot open ${real}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  try {
    const why = unsafeFile(real, fstatSync(fd), uid);
    if (why) return { refused: why };
    return { text: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}
