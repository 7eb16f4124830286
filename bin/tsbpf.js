#!/usr/bin/env node
// Entry point without the start-up snapshot (bin/tsbpf, the installed command, runs this when it
// cannot use the snapshot; tests and scripts run it directly). The compiled CLI lives in dist/
// (built by `npm run setup` / `npm run build`). The bundle of it in dist/bundle/
// (scripts/dev/bundle.ts) loads faster, and is run only when it was made from the dist/ that is
// there now (runtime/compile/bundle-stamp.ts): a bare `npx tsc` leaves an old bundle behind, and
// then the unbundled dist/ runs.
// TSBPF_STARTUP_TRACE (runtime/compile/startup-trace.ts): node's own start-up ends here.
const mark = (stage) => process.env.TSBPF_STARTUP_TRACE && (globalThis[Symbol.for('tsbpf.startupMarks')] ??= []).push([stage, process.uptime() * 1000]);
mark('node');
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle, restoreEnv, runCli } from '../dist/runtime/compile/launch.js';
import { startEarlyWorker } from '../dist/runtime/compile/early-worker.js';

// The process is named tsbpf, as bpftrace's is bpftrace: `comm` in BEGIN/END and `ps` show it.
process.title = 'tsbpf';
restoreEnv();

// A cold compile's worker starts now, while the CLI loads, when the command line makes a compile certain.
await startEarlyWorker(process.argv.slice(2));

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = freshBundle(root, join(root, 'dist'), 'cli.js');
// Which build runs (TSBPF_STARTUP_TRACE shows it).
mark(bundled ? 'run:bundle' : 'run:dist');
const { main } = await import(bundled ? pathToFileURL(bundled).href : '../dist/runtime/cli.js');
runCli(main, process.argv.slice(2));
