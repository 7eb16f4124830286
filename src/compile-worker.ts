/**
 * The compile worker: a short-lived process that runs the whole compiler (parser, passes,
 * llvm-bindings, LLVM) so the tracing process never loads LLVM, stays small, and survives an
 * LLVM crash. Protocol (src/contract/worker.ts): one JSON request on stdin, one JSON reply on stdout.
 */
import { compileScript } from './compile.js';
import type { CompileReply, ListReply, WorkerRequest } from './contract/index.js';

const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  void (async () => {
    let reply: CompileReply | ListReply;
    try {
      const req = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerRequest;
      if (req.list) {
        const { listProgramProbes } = await import('./program-listing.js');
        const listed = listProgramProbes(req.source, { verbose: req.list.verbose, pid: req.pid });
        reply = listed.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: listed.diagnostics } : { list: listed.lines };
        process.stdout.write(JSON.stringify(reply));
        return;
      }
      const result = await compileScript(req.source, { positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe, warningLevel: req.warningLevel });
      reply = 'format' in result ? { ok: result } : { diagnostics: result.diagnostics };
    } catch (e) {
      // A bug in tsbpf, not the user's input: the message for the user, the stack for TSBPF_DEBUG.
      reply = e instanceof Error ? { internalError: e.message, stack: e.stack } : { internalError: String(e) };
    }
    process.stdout.write(JSON.stringify(reply));
  })();
});
