/**
 * `npm run build` and scripts/dev/setup.sh: write the man page, man/tsbpf.8, from the flag table
 * (runtime/man-page.ts over runtime/cli-flags.ts). package.json's "man" names it, so a global
 * install puts it where `man tsbpf` finds it; setup links it into /usr/local/share/man.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../runtime/cli.js';
import { manPage } from '../../runtime/man-page.js';

// This file runs from dist/scripts/dev/.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const out = join(root, 'man', 'tsbpf.8');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, manPage(VERSION));
