// Where the .node files are found; shared by the loaders (native/index.ts, native/proc.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';


/** Directories searched for the .node files, in order. */
export function nativeSearchDirs(): string[] {
  // Computed at each call, not at load: see `loadAddon` in native/index.ts.
  const here = dirname(fileURLToPath(import.meta.url));
  const dirs: string[] = [];
  const env = process.env['TSBPF_NATIVE_DIR'];
  if (env) dirs.push(env);
  dirs.push(
    join(here, '../../native/build/Release'), // dist/native/*.js
    join(here, 'build/Release'), // native/*.ts run from source
    join(here, '../../native/build/Debug'),
    join(here, 'build/Debug'),
  );
  return dirs;
}
