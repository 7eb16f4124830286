import { JsonOutput } from './json.js';
import type { Output, OutputOptions } from './output.js';
import { TextOutput } from './text.js';
import { FoldedOutput } from './folded-output.js';

export type { Output, OutputOptions, Sink, SourceLocation, MapPrintOptions } from './output.js';
export { TextOutput, mapText, histogramText } from './text.js';
export { JsonOutput, mapJson, jsonValue, jsonString, jsonInt, jsonKey, jsonHistogram } from './json.js';
export { formatMap, type FormattedMap, type Histogram, type Label, type Cell } from './format-map.js';

export type OutputFormat = 'text' | 'json' | 'folded';

/** The renderer for `-f text|json|folded`. */
export function createOutput(format: OutputFormat, opts: OutputOptions): Output {
  if (format === 'json') return new JsonOutput(opts);
  return format === 'folded' ? new FoldedOutput(opts) : new TextOutput(opts);
}
