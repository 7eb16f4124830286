/**
 * Sources of the files in generated/: the typed CST (cst.d.ts) and the lookahead table
 * (lookahead.ts). A test compares them with the files and rewrites them with UPDATE_GENERATED=1.
 */
import { generateCstDts } from './chevrotain.js';
import { RecordingLookaheadStrategy } from './lookahead.js';
import { MAX_LOOKAHEAD, TbpfParser } from './parser.js';

const HEADER =
  '// Generated from grammar/parser.ts by test/unit/syntax/generated.test.ts (UPDATE_GENERATED=1). Do not edit.\n';

export function cstTypesSource(): string {
  const parser = new TbpfParser();
  return HEADER + generateCstDts(parser.getGAstProductions(), { includeVisitorInterface: false });
}

export function lookaheadSource(): string {
  const recorder = new RecordingLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD });
  new TbpfParser({ lookahead: recorder });
  const entries = Object.keys(recorder.paths)
    .sort()
    .map((k) => `    ${JSON.stringify(k)}: ${JSON.stringify(recorder.paths[k])},`);
  return (
    HEADER +
    "import type { LookaheadTable } from '../lookahead.js';\n\n" +
    'export const LOOKAHEAD: LookaheadTable = {\n' +
    `  fingerprint: ${JSON.stringify(TbpfParser.fingerprint())},\n` +
    '  paths: {\n' +
    entries.join('\n') +
    '\n  },\n};\n'
  );
}
