/**
 * The compile worker's side of the protocol (src/contract/worker.ts), shared by its two entries:
 * src/compile-worker.ts (node runs the worker's file) and src/compile-worker-snapshot.ts (node
 * starts from the start-up snapshot built of it). Reads one JSON request from stdin, answers one
 * JSON reply on stdout, ended by a newline (on which the parent ends this process: only LLVM's
 * teardown is left), then exits.
 */
import type { CompileReply, DumpStage, ListReply, StageDump, WorkerRequest } from './contract/index.js';

/** What the worker uses of src/compile.ts (imported by each entry in its own way). */
export interface WorkerCompiler {
  readonly compileScript: typeof import('./compile.js').compileScript;
}

function reply(value: CompileReply | ListReply): void {
  process.stdout.write(JSON.stringify(value) + '\n', () => process.exit(0));
}

async function handle(text: string, compiler: Promise<WorkerCompiler>): Promise<void> {
  // `-d STAGE`: the stages' text goes back with any reply, the failures' included.
  const dumps: StageDump[] = [];
  let elf: string | undefined;
  const withDumps = (r: CompileReply): CompileReply => ({ ...r, ...(dumps.length ? { dumps } : {}), ...(elf !== undefined ? { elf } : {}) });
  try {
    const req = JSON.parse(text) as WorkerRequest;
    if (req.list) {
      const { listProgramProbes } = await import('./program-listing.js');
      const listed = listProgramProbes(req.source, { verbose: req.list.verbose, pid: req.pid });
      reply(listed.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: listed.diagnostics } : { list: listed.lines });
      return;
    }
    const { compileScript } = await compiler;
    const write = (stage: DumpStage, text: string): void => void dumps.push({ stage, text });
    const dump = req.dump?.length || req.elf ? { stages: req.dump ?? [], write, ...(req.elf ? { elf: (o: Buffer) => void (elf = o.toString('base64')) } : {}) } : undefined;
    const result = await compileScript(req.source, { positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe, warningLevel: req.warningLevel, growing: req.growing }, dump);
    reply(withDumps('format' in result ? { ok: result } : { diagnostics: result.diagnostics }));
  } catch (e) {
    // A bug in tsbpf, not the user's input: the message for the user, the stack for TSBPF_DEBUG.
    reply(withDumps(e instanceof Error ? { internalError: e.message, stack: e.stack } : { internalError: String(e) }));
  }
}

/** Serve the one request: compile it with `compiler` once it has loaded. */
export function serveOneRequest(compiler: Promise<WorkerCompiler>): void {
  const chunks: Buffer[] = [];
  let started = false;
  process.stdin.on('data', (c: Buffer) => {
    if (started) return;
    chunks.push(c);
    if (!c.includes(10)) return;
    started = true;
    const all = Buffer.concat(chunks).toString('utf8');
    void handle(all.slice(0, all.indexOf('\n')), compiler);
  });
  // The parent closed its end: it died (or gave up on this compile). Nobody waits for the reply.
  process.stdin.on('end', () => process.exit(1));
}
