#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm run setup` / `npm run build`).
import { main } from '../dist/runtime/cli.js';

// The process is named tsbpf, as bpftrace's is bpftrace: `comm` in BEGIN/END and `ps` show it.
process.title = 'tsbpf';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (ring buffer, timers) are closed by then; exit promptly anyway.
    process.stdout.write('', () => process.exit(code));
  },
  (e) => {
    process.stderr.write(`ERROR: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.TSBPF_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    process.exit(1);
  },
);
