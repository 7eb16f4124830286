/**
 * The named compiler pipeline (src/compile.ts PIPELINE) and IR-level facts: small scripts compiled
 * to tsbpf IR through the front end, with assertions on the IR data (not on printed text).
 * BEGIN/interval probes need no kernel; the -p filter test expands a tracepoint (needs tracefs).
 */
import test, { type ExecutionContext } from 'ava';
import { compileFrontend, PIPELINE, DUMP_AFTER, type CompileState } from '../../../src/compile.js';
import type { IrBlob, IrExpr, IrProgram, IrStmt } from '../../../src/ir/ir.js';
import { checkPipeline } from '../../../src/passes/pass.js';
import { DUMP_STAGES, parseDumpStages, type DumpStage } from '../../../src/contract/dump-stages.js';
import { tracefsRoot } from '../../../src/kernel/tracefs.js';
import { ensureTracefs } from '../../../runtime/session/session.js';

function irOf(text: string, opts: Parameters<typeof compileFrontend>[1] = {}): { program: IrProgram; mapId: (name: string) => number; keySize: (name: string) => number } {
  const r = compileFrontend({ name: 'test', text }, opts);
  if (!r.ir) throw new Error(`no IR: ${r.diagnostics.map((d) => d.code + ' ' + d.message).join('; ')}`);
  const map = (name: string) => {
    const m = r.maps.find((x) => x.name === name);
    if (!m) throw new Error(`no map ${name}`);
    return m;
  };
  return { program: r.ir.programs[0]!, mapId: (n) => map(n).id, keySize: (n) => map(n).keySize };
}

/** Every statement of a body, nested ones included, in order. */
function allStmts(body: readonly IrStmt[]): IrStmt[] {
  return body.flatMap((s) => [s, ...('then' in s ? [...allStmts(s.then), ...allStmts(s.else)] : 'body' in s ? allStmts(s.body) : [])]);
}

test('the pipeline is in a sound order: every pass reads what an earlier one wrote', (t) => {
  t.deepEqual(checkPipeline(PIPELINE, ['original', 'opts', 'backend']), []);
  t.deepEqual(PIPELINE.map((p) => p.name), ['imports', 'parse', 'expand-probes', 'script-setup', 'resolve-types', 'lower', 'check', 'layout-maps', 'codegen', 'emit']);
  // Lowering before the map-type round reads what no pass has written yet: the check says so.
  const swapped = [...PIPELINE];
  const learn = swapped.findIndex((p) => p.name === 'resolve-types');
  [swapped[learn], swapped[learn + 1]] = [swapped[learn + 1]!, swapped[learn]!];
  t.true(checkPipeline<CompileState>(swapped, ['original', 'opts', 'backend']).some((p) => p.includes('lower reads resolved')));
  // Every dump stage is printed after a pass that exists.
  for (const stage of DUMP_STAGES) t.true(PIPELINE.some((p) => p.name === DUMP_AFTER[stage]), stage);
});

test('a predicate becomes a branch that returns when it is false', (t) => {
  const { program } = irOf('interval:s:1 /nsecs > 5/ { @n = 1; }');
  // A lone attached probe has no stopped guard (a later test): the predicate comes first.
  const first = program.body[0]!;
  t.is(first.op, 'if');
  if (first.op !== 'if') return;
  t.deepEqual(first.then, [{ op: 'return' }]);
  t.deepEqual(first.else, []);
  const cond = first.cond as IrExpr & { op: 'unary' };
  t.is(cond.op, 'unary');
  t.is(cond.operator, '!');
  t.like(cond.operand, { op: 'binary', operator: '>', left: { op: 'builtin', name: 'nsecs' }, right: { op: 'const', value: 5n } });
});

test('count() becomes an add of 1 to the map, keyed by its key', (t) => {
  const { program, mapId } = irOf('BEGIN { @c[7] = count(); }');
  const adds = allStmts(program.body).filter((s): s is IrStmt & { op: 'mapAdd' } => s.op === 'mapAdd');
  t.is(adds.length, 1);
  t.is(adds[0]!.map, mapId('@c'));
  t.deepEqual(adds[0]!.delta, { op: 'const', value: 1n });
  // A literal key has its smallest type's size (src/passes/resolve-types.ts).
  t.like(adds[0]!.key, { op: 'int', size: 1, value: { op: 'const', value: 7n } });
});

test('a multi-key map key is one record: each key at its aligned offset, the map key size its size', (t) => {
  const { program, keySize } = irOf('BEGIN { @m[(uint8)1, "ab", (uint32)2, 3] = 1; }');
  const set = allStmts(program.body).find((s): s is IrStmt & { op: 'mapSet' } => s.op === 'mapSet');
  t.truthy(set);
  const key = set!.key as IrBlob & { op: 'record' };
  t.is(key.op, 'record');
  const layout = key.fields.map((f) => [f.offset, f.blob.op, f.blob.op === 'int' || f.blob.op === 'string' ? f.blob.size : undefined]);
  // Each key part keeps its own size at its natural alignment, as bpftrace lays out tuples.
  t.deepEqual(layout, [[0, 'int', 1], [1, 'string', 3], [4, 'int', 4], [8, 'int', 1]]);
  t.is(key.size, 12);
  t.is(keySize('@m'), key.size);
});

/** Tracepoint formats come from tracefs: mounted when we are root and it is missing. */
if (!tracefsRoot() && process.getuid?.() === 0) ensureTracefs(() => {});
const withTracefs = (title: string, impl: (t: ExecutionContext) => void): void => {
  if (tracefsRoot()) test(title, impl);
  else test.skip(`${title} (skipped: needs tracefs, readable only by root here)`, impl);
};

withTracefs('-p filters in the program only for probe types whose provider says so', (t) => {
  const pidFilter = { op: 'if', cond: { op: 'binary', operator: '!=', left: { op: 'builtin', name: 'pid' }, right: { op: 'const', value: 4242n }, signed: false }, then: [{ op: 'return' }], else: [] };
  const tp = irOf('tracepoint:syscalls:sys_enter_getpid { @ = 1; }', { pid: 4242 });
  t.deepEqual(tp.program.body[0], pidFilter as IrStmt);
  // interval's provider: pidFilter 'none'.
  const iv = irOf('interval:s:1 { @ = 1; }', { pid: 4242 });
  t.notDeepEqual(iv.program.body[0], pidFilter as IrStmt);
});

test('with two or more attached probes each returns at once once the runtime has set .stopped (END runs after detaching); a lone probe and BEGIN/END do not check it', (t) => {
  const two = compileFrontend({ name: 'test', text: 'interval:s:1 { @n = 1; } interval:s:2 { @n = 2; }' });
  t.is(two.ir?.programs.length, 2);
  for (const p of two.ir?.programs ?? []) t.like(p.body[0], { op: 'if', cond: { op: 'binary', operator: '!=', left: { op: 'mapGet' }, right: { op: 'const', value: 0n } }, then: [{ op: 'return' }] });
  const lone = irOf('interval:s:1 { @n = 1; }');
  t.false(allStmts(lone.program.body).some((s) => s.op === 'if'));
  const withEnd = compileFrontend({ name: 'test', text: 'interval:s:1 { @n = 1; } interval:s:2 { @n = 2; } END { @n = 1; }' });
  const end = withEnd.ir?.programs.find((p) => p.name.startsWith('END'));
  t.truthy(end);
  t.false(allStmts(end?.body ?? []).some((s) => s.op === 'if'));
});

test('-d stages are printed after their pass, in pipeline order, from the front end too', (t) => {
  const got: [DumpStage, string][] = [];
  const r = compileFrontend({ name: 'test', text: 'BEGIN { $x = 1; @a[$x + 2] = count(); }' }, {}, { stages: ['ir', 'types', 'ast'], write: (s, text) => got.push([s, text]) });
  t.truthy(r.ir);
  t.deepEqual(got.map(([s]) => s), ['ast', 'types', 'ir']);
  const [ast, types, ir] = got.map(([, text]) => text);
  t.regex(ast!, /^Program\n/);
  t.regex(ast!, /MapRef name="@a"/);
  t.false(ast!.includes('::'));
  // The typed AST: the binary addition has the type lowering gave it.
  t.regex(types!, /Binary op="\+" :: int64/);
  t.regex(ir!, /^map #0 @a /);
  t.regex(ir!, /program BEGIN_0 /);
  // A failing compile prints the stages before the failure only.
  const partial: DumpStage[] = [];
  compileFrontend({ name: 'test', text: 'BEGIN { @a = nosuchfunction(); }' }, {}, { stages: ['ast', 'ir'], write: (s) => partial.push(s) });
  t.deepEqual(partial, ['ast']);
});

test('stage names: bpftrace aliases, comma lists, unknown names', (t) => {
  t.deepEqual(parseDumpStages('ast,ir'), { stages: ['ast', 'ir'] });
  t.deepEqual(parseDumpStages('dis'), { stages: ['bpf'] });
  t.deepEqual(parseDumpStages('llvm'), { stages: ['codegen', 'codegen-opt'] });
  t.deepEqual(parseDumpStages('all'), { stages: [...DUMP_STAGES] });
  t.deepEqual(parseDumpStages('ast,nope'), { unknown: 'nope' });
});
