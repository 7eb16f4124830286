/**
 * What both ways of starting tsbpf do once node runs our code: bin/tsbpf.js (node's own start-up,
 * then the bundle or dist/), and the start-up snapshot bin/tsbpf execs (runtime/snapshot-run.ts).
 *
 * Loaded by bin/tsbpf.js before anything else: node built-ins and bundle-stamp.ts only.
 */
export { freshBundle } from './bundle-stamp.js';

/**
 * NODE_EXTRA_CA_CERTS makes node read and parse the whole certificate file before our first line
 * (~30 ms for Debian's bundle), for TLS that tsbpf never does: bin/tsbpf moves it aside as
 * TSBPF_NODE_EXTRA_CA_CERTS for node's start-up, and it is given back here, so the programs
 * tsbpf starts (-c, system()) see the environment as it was.
 */
export const SAVED_CA_CERTS = 'TSBPF_NODE_EXTRA_CA_CERTS';

export function restoreEnv(): void {
  const saved = process.env[SAVED_CA_CERTS];
  if (saved === undefined) return;
  process.env['NODE_EXTRA_CA_CERTS'] = saved;
  delete process.env[SAVED_CA_CERTS];
}

export type CliMain = (argv: readonly string[]) => Promise<number>;

/** Runs the CLI and exits with its code; an exception that escaped it is one line (its stack with TSBPF_DEBUG). */
export function runCli(main: CliMain, argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Open handles (ring buffer, timers) are closed by then; exit promptly anyway.
      process.stdout.write('', () => process.exit(code));
    },
    (e: unknown) => {
      process.stderr.write(`ERROR: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      if (process.env['TSBPF_DEBUG']) process.stderr.write(`${(e as Error | undefined)?.stack ?? ''}\n`);
      process.exit(1);
    },
  );
}
