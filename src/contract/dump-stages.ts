/**
 * The stages `-d STAGE` / `--emit STAGE` print (src/compile.ts PIPELINE says after which pass):
 * bpftrace's names where it has the stage (`ast`, `types`, `codegen`, `codegen-opt`, `dis`), and
 * tsbpf's own `ir` (its IR between the typed AST and LLVM) and `bpf` (the BPF instructions, as
 * `dis`). No imports: the CLI reads this without loading the compiler.
 */
export const DUMP_STAGES = ['ast', 'types', 'ir', 'codegen', 'codegen-opt', 'bpf'] as const;
export type DumpStage = (typeof DUMP_STAGES)[number];

/** Other names accepted: bpftrace's (`parse`, `dis`, `all`) and `llvm` for both LLVM stages. */
const ALIASES: Readonly<Record<string, readonly DumpStage[]>> = {
  all: DUMP_STAGES,
  parse: ['ast'],
  dis: ['bpf'],
  llvm: ['codegen', 'codegen-opt'],
};

/** `-d ast,ir` (a comma list; the flag may repeat): the stages, or the unknown name. */
export function parseDumpStages(text: string): { stages: DumpStage[] } | { unknown: string } {
  const stages: DumpStage[] = [];
  for (const name of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const known = (DUMP_STAGES as readonly string[]).includes(name) ? [name as DumpStage] : ALIASES[name];
    if (!known) return { unknown: name };
    for (const s of known) if (!stages.includes(s)) stages.push(s);
  }
  return { stages };
}

/** Every accepted name, for the error message and --help. */
export const DUMP_STAGE_NAMES: readonly string[] = [...Object.keys(ALIASES).filter((a) => a === 'all'), ...DUMP_STAGES, ...Object.keys(ALIASES).filter((a) => a !== 'all')];

/** The header line printed before a stage's text (bpftrace prints `AST after: parser` and similar). */
export function dumpHeader(stage: DumpStage, detail?: string): string {
  return `--- ${stage}${detail ? ` (${detail})` : ''} ---`;
}
