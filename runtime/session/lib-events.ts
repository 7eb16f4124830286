/** Events of the function library (src/builtins/): cat(), system(), and pids whose mappings to snapshot. */
import { createRequire } from 'node:module';
import { closeSync, openSync, readSync } from 'node:fs';
import type { EventSpec } from '../../src/contract/index.js';
import { formatPrintf, type FormatArg } from '../output/printf.js';
import type { Output } from '../output/output.js';
import type { RichValues } from '../output/rich-values.js';
import type { Value } from '../output/value.js';
import { repeatedSuffix } from '../output/output.js';
import type { WarningLimiter } from './warning-limiter.js';

/** bpftrace's default `max_cat_bytes`. */
const MAX_CAT_BYTES = 10240;

let runtimeWarnings = true;

/** `--no-warnings`: drop runtime warnings (division by zero, ...). */
export function setRuntimeWarnings(on: boolean): void {
  runtimeWarnings = on;
}

/**
 * Handles a library event; returns false when `spec` is not one. Runtime warnings go through
 * `warnings`: the first at a location is printed in full, repeats are counted (warning-limiter.ts).
 * `stderr` takes the text the CLI writes to its stderr outside the Output (runtime warnings, a
 * failed cat() or system()): the API (runtime/api/) turns it into events instead.
 */
export function handleLibraryEvent(spec: EventSpec, args: readonly Value[], output: Output, rich: RichValues, stderr: (text: string) => void, warnings: WarningLimiter, maxCatBytes = MAX_CAT_BYTES): boolean {
  const err = (msg: string): void => stderr(`ERROR: ${msg}\n`);
  switch (spec.kind) {
    case 'runtime-warning': {
      // bpftrace prints these (division by zero) on stderr, the location, the source line and carets.
      if (!runtimeWarnings) return true;
      const text = spec.text;
      warnings.occur(`w ${text}`, {
        full: () => stderr(text + '\n'),
        repeated: (n) => stderr(text.split('\n', 1)[0] + repeatedSuffix(n) + '\n'),
      });
      return true;
    }
    case 'helper-error': {
      // bpftrace's HELPER_ERROR runtime error; --no-warnings compiles no checks (warning level 0).
      if (!runtimeWarnings) return true;
      const ret = args[0];
      const retcode = ret?.kind === 'int' ? Number(ret.value) : 0;
      const loc = spec.loc;
      warnings.occur(`h ${spec.helper} ${retcode} ${loc.text}`, {
        full: () => output.helperError(spec.helper, retcode, { ...loc, context: [...loc.context] }),
        repeated: (n) => output.helperErrorRepeated(spec.helper, retcode, { ...loc, context: [...loc.context] }, n),
      });
      return true;
    }
    case 'errorf':
    case 'warnf': {
      const text = formatPrintf(spec.format, args as FormatArg[]);
      const loc = { filename: spec.loc.filename, line: spec.loc.line, col: spec.loc.col, text: spec.loc.text };
      if (spec.kind === 'errorf') output.errorf(text, [loc]);
      else output.warnf(text, [loc]);
      return true;
    }
    case 'join': {
      // bpftrace async_action.cpp join: the strings up to the first empty one, joined by the separator.
      const parts: string[] = [];
      for (const a of args) {
        if (a.kind !== 'str' || a.value === '') break;
        parts.push(a.value);
      }
      output.join(parts.join(spec.sep));
      return true;
    }
    case 'user-pid': {
      const v = args[0];
      if (v?.kind === 'int') rich.notePid(Number(v.value));
      return true;
    }
    case 'cat': {
      const file = formatPrintf(spec.format, args as FormatArg[]);
      let fd: number | undefined;
      try {
        fd = openSync(file, 'r');
        const buf = Buffer.alloc(maxCatBytes);
        let n = 0;
        for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
        output.cat(buf.toString('utf8', 0, n));
      } catch {
        err(`failed to open file '${file}'`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      return true;
    }
    case 'system': {
      const cmd = formatPrintf(spec.format, args as FormatArg[]);
      // node:child_process on first use only (~1.5 ms of start-up otherwise).
      const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
      const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.error) err(`system(): ${r.error.message}`);
      else if (r.status !== 0) err(`system(): command exited with code ${r.status ?? r.signal}`);
      else output.syscall(r.stdout + r.stderr);
      return true;
    }
    default:
      return false;
  }
}
