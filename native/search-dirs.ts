// Where the .node files (and native/binding.gyp's executables) are found; shared by the loaders
// (native/index.ts, native/proc.ts).
import { existsSync } from 'node:fs';
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

/** The path of a file of the native build (an addon such as 'tsbpf_llvm.node', an executable such as 'tsbpf-release') in the first search directory that has it; undefined when it is not built. */
export function nativeFile(file: string): string | undefined {
  for (const d of nativeSearchDirs()) {
    const p = join(d, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}
