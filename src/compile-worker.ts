/**
 * The compile worker: a short-lived process that runs the whole compiler (parser, passes,
 * llvm-bindings, LLVM) so the tracing process never loads LLVM, stays small, and survives an
 * LLVM crash. Protocol (src/contract/worker.ts): one JSON request on stdin ending in a newline,
 * one JSON reply on stdout. argv[2] is the parent's pid.
 *
 * The worker dies with its parent, however the parent dies (SIGKILL included): the kernel kills
 * it (PR_SET_PDEATHSIG), and the parent keeps stdin open until the reply, so its end means the
 * parent is gone. Nothing is imported statically but the prctl loader: ESM links every static
 * import before running any code, and the compiler's module graph takes tens of ms to load.
 */
import { loadProc } from '../native/proc.js';
import type { CompileReply, DumpStage, ListReply, StageDump, WorkerRequest } from './contract/index.js';

const SIGKILL = 9;
const expectedParent = Number(process.argv[2]);
try {
  const proc = loadProc();
  proc.setParentDeathSignal(SIGKILL);
  // The parent may have died before the prctl took effect: then the worker has been re-parented.
  if (expectedParent > 0 && proc.getppid() !== expectedParent) process.exit(1);
} catch {
  // tsbpf_proc.node is not built: the end of stdin still ends the worker (between compile steps).
}

// Loaded while the request arrives.
const compiler = import('./compile.js');
compiler.catch(() => undefined);

function reply(value: CompileReply | ListReply): void {
  process.stdout.write(JSON.stringify(value), () => process.exit(0));
}

async function handle(text: string): Promise<void> {
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
    const result = await compileScript(req.source, { positionals: req.positionals, pid: req.pid, cpid: req.cpid, unsafe: req.unsafe, warningLevel: req.warningLevel }, dump);
    reply(withDumps('format' in result ? { ok: result } : { diagnostics: result.diagnostics }));
  } catch (e) {
    // A bug in tsbpf, not the user's input: the message for the user, the stack for TSBPF_DEBUG.
    reply(withDumps(e instanceof Error ? { internalError: e.message, stack: e.stack } : { internalError: String(e) }));
  }
}

const chunks: Buffer[] = [];
let started = false;
process.stdin.on('data', (c: Buffer) => {
  if (started) return;
  chunks.push(c);
  if (!c.includes(10)) return;
  started = true;
  const all = Buffer.concat(chunks).toString('utf8');
  void handle(all.slice(0, all.indexOf('\n')));
});
// The parent closed its end: it died (or gave up on this compile). Nobody waits for the reply.
process.stdin.on('end', () => process.exit(1));
