#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm run setup` / `npm run build`). The
// bundle of it in dist/bundle/ (scripts/dev/bundle.ts) loads faster, and is run only when it was
// made from the dist/ that is there now (runtime/compile/bundle-stamp.ts): a bare `npx tsc` leaves an old
// bundle behind, and then the unbundled dist/ runs.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from '../dist/runtime/compile/bundle-stamp.js';
import { startEarlyWorker } from '../dist/runtime/compile/early-worker.js';

// The process is named tsbpf, as bpftrace's is bpftrace: `comm` in BEGIN/END and `ps` show it.
process.title = 'tsbpf';

// A cold compile's worker starts now, while the CLI loads, when the command line makes a compile certain.
await startEarlyWorker(process.argv.slice(2));

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = freshBundle(root, join(root, 'dist'), 'cli.js');
const { main } = await import(bundled ? pathToFileURL(bundled).href : '../dist/runtime/cli.js');

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
