/**
 * `-f folded`: program output as text, every map keyed by a stack as folded stacks
 * (runtime/output/folded.ts) on the program's output, ready for flamegraph.pl or inferno. A map
 * with no stack key is not a flame graph: it goes to stderr as text, so the output stays valid
 * folded input.
 */
import { foldMap, foldedText, isStackMap } from './folded.js';
import type { MapPrintOptions, OutputOptions, Sink } from './output.js';
import { mapText, TextOutput } from './text.js';
import { mapDumpOf, type MapDump, type MapSource } from './value.js';

export class FoldedOutput extends TextOutput {
  private readonly foldedOut: Sink;
  private readonly textErr: Sink;

  constructor(opts: OutputOptions) {
    super(opts);
    this.foldedOut = opts.out;
    this.textErr = opts.err;
  }

  override map(source: MapDump | MapSource, opts?: MapPrintOptions): void {
    const dump = mapDumpOf(source);
    if (isStackMap(dump)) {
      this.foldedOut.write(foldedText(foldMap(dump)));
      return;
    }
    const s = mapText(dump, opts);
    if (s) this.textErr.write(s);
  }

  /** No blank lines between the run's output and the maps: they would be invalid folded lines. */
  override mapsHeader(): void {}
}
