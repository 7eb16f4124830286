/**
 * The compile worker: a short-lived process that runs the whole compiler (parser, passes,
 * llvm-bindings, LLVM) so the tracing process never loads LLVM, stays small, and survives an
 * LLVM crash. Protocol: one JSON request on stdin ({source, positionals, dump?}), one JSON reply on stdout
 * ({ok: CompiledScript} | {diagnostics} | {internalError}, with `dumps` when stages were asked for).
 */
import { compileScript } from './compile.js';
import type { SourceFile } from './common/span.js';
import type { DumpStage } from './passes/dump-stages.js';

interface Request {
  readonly source: SourceFile;
  readonly positionals: readonly string[];
  readonly unsafe?: boolean;
  readonly warningLevel?: 0 | 1 | 2;
  readonly pid?: number;
  readonly cpid?: number;
  /** `-d STAGE`: the stages to print; the reply's `dumps` carries their text, in order (any reply). */
  readonly dump?: readonly DumpStage[];
  /** `-l` with a program: only list the probes it would attach (reply {list: lines} | {diagnostics}). */
  readonly list?: { readonly verbose?: boolean };
}

const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  void (async () => {
    let reply: object;
    const dumps: { stage: DumpStage; text: string }[] = [];
    try {
      const req = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
      if (req.list) {
        const { listProgramProbes } = await import('./program-listing.js');
        const listed = listProgramProbes(req.source, { verbose: req.list.verbose, pid: req.pid });
        reply = listed.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: listed.diagnostics } : { list: listed.lines };
        process.stdout.write(JSON.stringify(reply));
        return;
      }
      const dump = req.dump?.length ? { stages: req.dump, write: (stage: DumpStage, text: string) => dumps.push({ stage, text }) } : undefined;
      const result = await compileScript(req.source, { positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe, warningLevel: req.warningLevel }, dump);
      reply = 'format' in result ? { ok: result } : { diagnostics: result.diagnostics };
    } catch (e) {
      // A bug in tsbpf, not the user's input: the message for the user, the stack for TSBPF_DEBUG.
      reply = e instanceof Error ? { internalError: e.message, stack: e.stack } : { internalError: String(e) };
    }
    process.stdout.write(JSON.stringify(dumps.length ? { ...reply, dumps } : reply));
  })();
});
