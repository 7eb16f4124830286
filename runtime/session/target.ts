import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

/**
 * The process a run targets: `-p PID` (watched until it exits) and `-c CMD` (started here, held
 * before it runs CMD until every probe is attached, so nothing it does is missed; `cpid` is its
 * pid). Node cannot fork, so the child is a shell that waits for one line on fd 3 and then
 * `exec`s CMD: the pid stays the same.
 */

/** Does a process exist? */
export function pidExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Calls `onExit` once the process is gone (polls /proc: it is not our child). Returns a stop function. */
export function watchPid(pid: number, onExit: () => void): () => void {
  const timer = setInterval(() => {
    if (!pidExists(pid)) {
      clearInterval(timer);
      onExit();
    }
  }, 100);
  return () => clearInterval(timer);
}

/**
 * bpftrace's check before it forks the -c child: the command must name one executable (itself, or
 * found on $PATH when it has no slash); its messages. Returns the path.
 */
export function commandPath(word: string): string {
  const candidates = word.includes('/') ? [word] : (process.env['PATH'] ?? '').split(':').filter(Boolean).map((d) => join(d, word));
  const found = candidates.filter((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  if (found.length === 0) throw new Error(`Failed to fork child: Path '${word}' does not exist or is not executable (No such file or directory)`);
  const unique = new Set(found.map((p) => realpathSync(p)));
  if (unique.size > 1) throw new Error(`Failed to fork child: Path '${word}' must refer to a unique binary but matched ${found.length} binaries`);
  return found[0]!;
}

export class HeldChild {
  private readonly child: ChildProcess;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly waiters: ((code: number) => void)[] = [];
  readonly pid: number;

  /** `cmd` is split on whitespace as bpftrace splits it; the shell finds argv[0] through PATH. */
  constructor(cmd: string) {
    const words = cmd.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) throw new Error('Failed to fork child: Empty command (No such file or directory)');
    commandPath(words[0]!);
    this.child = spawn('/bin/sh', ['-c', 'read -r _ <&3 || exit 127; exec "$@" 3<&-', 'sh', ...words], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`cannot start ${words[0]}`);
    this.pid = this.child.pid;
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const w of this.waiters.splice(0)) w(code ?? 128);
    });
  }

  /** Lets the child run CMD. */
  release(): void {
    const gate = this.child.stdio[3] as Writable | null;
    gate?.end('go\n');
  }

  /** Resolves once the child has exited. */
  onExit(cb: (code: number) => void): void {
    if (this.exited) cb(this.exited.code ?? 128);
    else this.waiters.push(cb);
  }

  get hasExited(): boolean {
    return this.exited !== undefined;
  }

  /** Ends a child that will never be released (compile or attach failed): it exits without running CMD. */
  abandon(): void {
    if (this.exited) return;
    const gate = this.child.stdio[3] as Writable | null;
    gate?.destroy();
  }

  /** Stop the child when tsbpf exits first (Ctrl-C, exit()), as bpftrace does. */
  terminate(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }
}
