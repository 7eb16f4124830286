/**
 * Reading the script file named on the command line. tsbpf runs as root and loads what the script
 * says into the kernel, so a script another user can change (group/other-writable, owned by another
 * non-root user, or in a directory such a user may write to without the sticky bit) gets one warning
 * line: the user chose to run it, as bpftrace would (imported files are refused outright,
 * src/passes/import-safety.ts).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/** Why another user could change the file `real` (resolved) whose status is `st`; undefined when no one else can. */
export function scriptFileRisk(real: string, st: Stats, uid = process.geteuid?.() ?? 0): string | undefined {
  if (st.uid !== 0 && st.uid !== uid) return `it is owned by uid ${st.uid}`;
  if ((st.mode & GROUP_OTHER_WRITE) !== 0) return `it is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  const dir = dirname(real);
  const d = statSync(dir);
  if ((d.mode & GROUP_OTHER_WRITE) !== 0 && (d.mode & STICKY) === 0) return `its directory ${dir} is writable by group or others`;
  return undefined;
}

/** The script's text; `warn` gets one line when someone else could have changed it. Throws the fs error. */
export function readScriptText(path: string, warn: (line: string) => void): string {
  const real = realpathSync(path);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    const risk = st.isFile() ? scriptFileRisk(real, st) : undefined;
    if (risk) warn(`WARNING: ${path} can be changed by another user (${risk}): check it before running it as root`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
