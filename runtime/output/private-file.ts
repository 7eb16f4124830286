/**
 * Files the shell writes for its user (`.save`): tsbpf runs as root, and /tmp symlink and
 * hard-link tricks are live on this kind of machine (protected_symlinks = 0). A new file is created
 * with O_EXCL|O_NOFOLLOW and mode 0600; an existing file is overwritten only when asked, never
 * through a symbolic link, and only when it is a regular file with no other hard link.
 */
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, writeSync } from 'node:fs';

export type PrivateWrite =
  | { readonly kind: 'written' }
  /** The file exists and `overwrite` was not given: ask the user. */
  | { readonly kind: 'exists' }
  | { readonly kind: 'refused'; readonly message: string };

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

export function writePrivateFile(path: string, text: string, overwrite: boolean): PrivateWrite {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging the shell.
    fd = openSync(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | (overwrite ? 0 : O_EXCL), 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || (code === 'EEXIST' && isSymlink(path))) return { kind: 'refused', message: `${path} is a symbolic link; not following it` };
    if (code === 'EEXIST') return { kind: 'exists' };
    return { kind: 'refused', message: `cannot write ${path}: ${code ?? (e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'refused', message: `${path} is not a regular file` };
    if (st.nlink > 1) return { kind: 'refused', message: `${path} has other hard links; not writing through them` };
    ftruncateSync(fd, 0);
    const data = Buffer.from(text, 'utf8');
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    return { kind: 'written' };
  } catch (e) {
    return { kind: 'refused', message: `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
