/**
 * The compile worker's protocol (src/compile-worker-serve.ts serves it, runtime/compile/compiler.ts asks it):
 * one JSON request on stdin, one JSON reply on stdout, ended by a newline.
 */
import type { Diagnostic, SourceFile } from './diagnostic.js';
import type { DumpStage } from './dump-stages.js';
import type { CompiledScript } from './script.js';

export interface WorkerRequest {
  readonly source: SourceFile;
  readonly positionals: readonly string[];
  /** `--unsafe`: allow system() and signal(). */
  readonly unsafe?: boolean;
  /** 0 `--no-warnings`, 1 default, 2 `-k`: which helper failures the code reports. */
  readonly warningLevel?: 0 | 1 | 2;
  /** `-p PID` / the `-c` child: user probes resolve in this process. */
  readonly pid?: number;
  /** `-c`: the child's pid (`cpid`). */
  readonly cpid?: number;
  /**
   * The interactive shell: later compiles grow this session, whose event ring is created once, so
   * the ring keeps its default size instead of the size this text alone needs (src/compile.ts).
   */
  readonly growing?: boolean;
  /** `-d STAGE`: the stages to print; the reply's `dumps` carries their text, in order (any reply). */
  readonly dump?: readonly DumpStage[];
  /** `--emit-elf`: send the BPF ELF object back (CompileReply `elf`). */
  readonly elf?: boolean;
  /** `-l` with a program: only list the probes it would attach (reply ListReply). */
  readonly list?: { readonly verbose?: boolean };
}

/** A stage's text, printed by the runtime (`-d` to stderr, `--emit` to stdout). */
export interface StageDump {
  readonly stage: DumpStage;
  readonly text: string;
}

/** A bug in tsbpf, not the user's input: the message for the user, the stack for TSBPF_DEBUG. */
export interface InternalErrorReply {
  readonly internalError: string;
  readonly stack?: string;
}

export type CompileReply = ({ readonly ok: CompiledScript } | { readonly diagnostics: readonly Diagnostic[] } | InternalErrorReply) & { readonly dumps?: readonly StageDump[]; /** base64 of the BPF ELF object (`elf` requests). */ readonly elf?: string };

export type ListReply = { readonly list: readonly string[] } | { readonly diagnostics: readonly Diagnostic[] } | InternalErrorReply;
