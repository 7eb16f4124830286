/**
 * Failures of the program's output, each ending in one line and the exit a Unix user expects:
 * - the reader of stdout (or stderr) went away (EPIPE, `tsbpf ... | head -1`): tracing ends
 *   quietly and tsbpf dies of SIGPIPE after detaching, as bpftrace and coreutils do (the shell
 *   shows 141; nothing is printed);
 * - `-o FILE` cannot be opened: `ERROR: Failed to open output file: "FILE": reason` (bpftrace's
 *   wording), exit 1, checked before anything is compiled or attached;
 * - a later write error (a full disk): `ERROR: Failed to write output: reason`, exit 1.
 */
import { constants, openSync } from 'node:fs';

/** Why output stopped. */
export type OutputFailure = { readonly kind: 'reader-gone' } | { readonly kind: 'write-error'; readonly message: string };

/** glibc's strerror() for the errors an output open or write can give; the code otherwise. */
const REASONS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
  EIO: 'Input/output error',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ETXTBSY: 'Text file busy',
};

export function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && REASONS[code]) return REASONS[code]!;
  return code ?? (e instanceof Error ? e.message : String(e));
}

export function outputFailureOf(e: unknown): OutputFailure {
  if ((e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return { kind: 'reader-gone' };
  return { kind: 'write-error', message: `Failed to write output: ${errnoReason(e)}` };
}

export class OutputFileError extends Error {}

/**
 * Opens (creates or truncates) `-o FILE` for writing, as bpftrace does at start-up. A new file is
 * private to its owner (traces hold other users' data). Throws OutputFileError with the line to print.
 */
export function openOutputFile(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  } catch (e) {
    throw new OutputFileError(`Failed to open output file: "${path}": ${errnoReason(e)}`);
  }
}

/**
 * Ends the process by SIGPIPE, the exit of a Unix tool whose reader went away. Node ignores
 * SIGPIPE; a listener added and removed leaves the default action (libuv restores SIG_DFL).
 * Returns 141 (128 + SIGPIPE) should the signal not end the process.
 */
export function dieOfSigpipe(): number {
  const ignore = (): void => undefined;
  process.on('SIGPIPE', ignore);
  process.off('SIGPIPE', ignore);
  process.kill(process.pid, 'SIGPIPE');
  return 141;
}

/**
 * Routes stdout/stderr errors to the handler `set` installs (a run's: stop tracing, detach, then
 * exit). Without one (`-l`, `-h`, before a run starts) tsbpf dies of SIGPIPE at once on EPIPE and
 * exits 1 after one `ERROR:` line on any other error.
 */
export function watchStdio(): { set(onFailure: ((f: OutputFailure) => void) | undefined): void } {
  let handler: ((f: OutputFailure) => void) | undefined;
  const onError = (e: unknown): void => {
    const f = outputFailureOf(e);
    if (handler) return handler(f);
    if (f.kind === 'reader-gone') dieOfSigpipe();
    else {
      process.stderr.write(`ERROR: ${f.message}\n`);
      process.exit(1);
    }
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
  return { set: (h) => (handler = h) };
}
