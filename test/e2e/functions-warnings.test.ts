/**
 * Runtime helper errors (bpftrace 0.26 CreateHelperErrorCond + TextOutput/JsonOutput::runtime_error):
 * `-k` reports failed probe reads and map lookups, map-full updates and bpf_loop refusals are
 * reported by default, `--no-warnings` compiles no checks; `len(kstack)`/`len(ustack)`; exit()
 * inside a for-loop is an error (0.25+).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRun, kernelTest, NOTIFY_VAR, runTsbpf, exec } from '../helpers/tsbpf.js';

/** stderr without the attach banner and the notify line. */
function warnings(stderr: string): string {
  return stderr.split('\n').filter((l) => !l.startsWith('Attached ') && l !== NOTIFY_VAR).join('\n');
}

kernelTest('-k: a failed map lookup is a warning with the helper, retcode and place (bpftrace runtime_error_check_lookup)', async (t) => {
  const prog = 'interval:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }';
  const r = await runTsbpf(['--no-cache', '-k', '-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '0\n\n\n@[1]: 1\n');
  t.is(
    warnings(r.stderr),
    "stdin:1:44-48: WARNING: Can't lookup map element because it does not exist.\n" +
      'Additional Info - helper: map_lookup_elem, retcode: 0\n' +
      `${prog}\n` +
      '                                           ^~~~\n',
  );
  // Without -k: no check at all.
  const quiet = await runTsbpf(['--no-cache', '-e', prog]);
  t.is(quiet.code, 0, describeRun(quiet));
  t.is(warnings(quiet.stderr), '');
});

kernelTest('-k: a failed probe read is reported (text and -f json helper_error)', async (t) => {
  const prog = 'struct foo { int a; }; BEGIN { $p = (struct foo *)0; $tmp = $p.a; exit(); }';
  const r = await runTsbpf(['--no-cache', '-k', '-e', prog]);
  t.is(r.code, 0, describeRun(r));
  // Address 0 is a user address: bpf_probe_read_kernel refuses it with -ERANGE on this kernel (older: -EFAULT).
  const m = /^stdin:1:61-65: WARNING: (.*)\nAdditional Info - helper: probe_read_kernel, retcode: (-\d+)\n(.*)\n( *\^~*)\n$/.exec(warnings(r.stderr));
  t.truthy(m, r.stderr);
  t.true(m![1] === 'Numerical result out of range' || m![1] === 'Bad address', m![1]);
  t.true(m![2] === '-34' || m![2] === '-14', m![2]);
  t.is(m![3], prog);
  t.is(m![4], ' '.repeat(60) + '^~~~');
  const j = await runTsbpf(['--no-cache', '-k', '-q', '-f', 'json', '-e', prog]);
  t.is(j.code, 0, describeRun(j));
  const line = j.stdout.split('\n').find((l) => l.includes('helper_error'));
  t.is(line, `{"type": "helper_error", "msg": "${m![1]}", "helper": "probe_read_kernel", "retcode": ${m![2]}, "filename": "stdin", "line": 1, "col": 61}`);
  const quiet = await runTsbpf(['--no-cache', '-e', prog]);
  t.is(warnings(quiet.stderr), '');
});

kernelTest('map full: a warning by default (hash(1), percpuhash count()), none for lruhash or --no-warnings', async (t) => {
  const prog = 'let @a = hash(1); BEGIN { @a[1] = 1; @a[2] = 2; exit(); }';
  const r = await runTsbpf(['--no-cache', '-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n@a[1]: 1\n');
  t.is(
    warnings(r.stderr),
    "stdin:1:38-47: WARNING: Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`\n" +
      'Additional Info - helper: map_update_elem, retcode: -7\n' +
      `${prog}\n` +
      ' '.repeat(37) + '^~~~~~~~~\n',
  );
  const pc = await runTsbpf(['--no-cache', '-e', 'let @a = percpuhash(1); BEGIN { @a[1] = count(); @a[2] = count(); exit(); }']);
  t.is(pc.stdout, '\n\n@a[1]: 1\n');
  t.true(pc.stderr.includes("WARNING: Map full; can't update element."), pc.stderr);
  const lru = await runTsbpf(['--no-cache', '-e', 'let @a = lruhash(1); BEGIN { @a[1] = 1; @a[2] = 2; exit(); }']);
  t.is(lru.stdout, '\n\n@a[2]: 2\n');
  t.is(warnings(lru.stderr), '');
  const quiet = await runTsbpf(['--no-cache', '--no-warnings', '-e', prog]);
  t.is(quiet.stdout, '\n\n@a[1]: 1\n');
  t.is(warnings(quiet.stderr), '');
  const j = await runTsbpf(['--no-cache', '-q', '-f', 'json', '-e', prog]);
  t.true(j.stdout.includes('{"type": "helper_error", "msg": "Argument list too long", "helper": "map_update_elem", "retcode": -7, "filename": "stdin", "line": 1, "col": 38}\n'), j.stdout);
});

kernelTest('every failing site reports its own place through the shared error path (several sites, two probes, text and JSON)', async (t) => {
  // Map-full updates at five places in two programs: each program calls one error-report
  // subprogram with its site's event id; the warnings must name each site, in order.
  const sites = ['@a[2] = 2', '@b[2] = 2', '@a[3] = 3', '@b[3] = 3', '@a[4] = 4'];
  const prog = `let @a = hash(1); let @b = hash(1); BEGIN { @a[1] = 1; ${sites[0]}; @b[1] = 1; ${sites[1]}; ${sites[2]}; } END { ${sites[3]}; ${sites[4]}; }`;
  const places = sites.map((s) => {
    const at = prog.indexOf(s);
    return { at, loc: `stdin:1:${at + 1}-${at + 1 + s.length}` };
  });
  const r = await runTsbpf(['--no-cache', '-e', `${prog} interval:ms:50 { exit(); }`]);
  t.is(r.code, 0, describeRun(r));
  const full = "WARNING: Map full; can't update element. Try increasing max_map_keys config or manually setting the max entries in a map declaration e.g. `let @a = hash(5000)`";
  const whole = `${prog} interval:ms:50 { exit(); }`;
  t.is(
    warnings(r.stderr),
    places.map((p, i) => `${p.loc}: ${full}\nAdditional Info - helper: map_update_elem, retcode: -7\n${whole}\n${' '.repeat(p.at)}^${'~'.repeat(sites[i]!.length - 1)}\n`).join(''),
  );
  const j = await runTsbpf(['--no-cache', '-q', '-f', 'json', '-e', whole]);
  const cols = j.stdout.split('\n').filter((l) => l.includes('"helper_error"')).map((l) => (JSON.parse(l) as { col: number; retcode: number }).col);
  t.deepEqual(cols, places.map((p) => p.at + 1), j.stdout);
});

kernelTest('a failing site inside a for-loop callback reports through the same error path', async (t) => {
  const site = '@a[$kv.0] = 1';
  const prog = `let @a = hash(1); BEGIN { @b[1] = 1; @b[2] = 2; for ($kv : @b) { ${site}; } exit(); }`;
  const at = prog.indexOf(site);
  const r = await runTsbpf(['--no-cache', '-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.true(warnings(r.stderr).startsWith(`stdin:1:${at + 1}-${at + 1 + site.length}: WARNING: Map full; can't update element.`), r.stderr);
  t.regex(r.stderr, /^Additional Info - helper: map_update_elem, retcode: -7$/m);
});

kernelTest('bpf_loop over more than 8M iterations does nothing and warns (helper loop, -E2BIG)', async (t) => {
  const prog = 'BEGIN { $n = 10000000; @c = 0; for ($i : 0..$n) { @c++; } exit(); }';
  const r = await runTsbpf(['--no-cache', '-e', prog]);
  t.is(r.code, 0, describeRun(r));
  t.is(r.stdout, '\n\n@c: 0\n');
  t.is(
    warnings(r.stderr),
    'stdin:1:32-58: WARNING: Argument list too long\nAdditional Info - helper: loop, retcode: -7\n' + `${prog}\n` + ' '.repeat(31) + '^' + '~'.repeat(25) + '\n',
  );
});

kernelTest('-k is part of the compile cache key; -k with --no-warnings and -kk are usage errors', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'tsbpf-k-'));
  try {
    const prog = 'interval:ms:50 { @[1] = 1; $x = @[2]; exit(); }';
    const env = { XDG_CACHE_HOME: cache };
    const plain = await runTsbpf(['-e', prog], { env });
    t.is(warnings(plain.stderr), '');
    const k = await runTsbpf(['-k', '-e', prog], { env });
    t.true(k.stderr.includes("WARNING: Can't lookup map element because it does not exist."), k.stderr);
    const again = await runTsbpf(['-e', prog], { env });
    t.is(warnings(again.stderr), '');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  const both = await runTsbpf(['-k', '--no-warnings', '-e', 'BEGIN { exit(); }']);
  t.is(both.code, 1);
  t.true(both.stderr.startsWith('ERROR: USAGE: -k, --warnings conflicts with --no-warnings\n'), both.stderr);
  const kk = await runTsbpf(['-k', '--warnings', '-e', 'BEGIN { exit(); }']);
  t.is(kk.code, 1);
  t.true(kk.stderr.startsWith('ERROR: USAGE: -kk has been deprecated.'), kk.stderr);
});

kernelTest('len(kstack), len(kstack(3)), len($s) for ustack(n): the depth in frames, at most the limit', async (t) => {
  // Sleeps until tsbpf has run: its probe fires on the first sleep after it attached, however long
  // attaching takes on a loaded machine (a fixed `sleep 1; sleep 0.2` could end before that).
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-len-'));
  const stop = join(dir, 'stop');
  const sleeper = exec(['sh', '-c', `i=0; while [ ! -e '${stop}' ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done`]);
  const r = await runTsbpf([
    '--no-cache', '-e',
    'tracepoint:syscalls:sys_enter_clock_nanosleep, tracepoint:syscalls:sys_enter_nanosleep { @k = len(kstack); @k3 = len(kstack(3)); @kk = kstack; $u = ustack(1); @u1 = len($u); @u = len(ustack); exit(); }',
  ]);
  writeFileSync(stop, '');
  await sleeper;
  rmSync(dir, { recursive: true, force: true });
  t.is(r.code, 0, describeRun(r));
  const k = Number(/^@k: (\d+)$/m.exec(r.stdout)?.[1]);
  const frames = (/^@kk: ?\n((?: {8}\S.*\n)+)/m.exec(r.stdout)?.[1] ?? '').split('\n').filter((l) => l.trim()).length;
  t.true(k > 0, r.stdout);
  t.is(k, frames, r.stdout);
  t.regex(r.stdout, /^@k3: 3$/m);
  t.regex(r.stdout, /^@u1: 1$/m);
  t.true(Number(/^@u: (\d+)$/m.exec(r.stdout)?.[1]) >= 1, r.stdout);
});

kernelTest("exit() inside a for-loop is an error ('return' statement is not allowed), allowed in a while-loop", async (t) => {
  const r = await runTsbpf(['--no-cache', '-e', 'BEGIN { for ($i : 0..3) { exit(); } }']);
  t.is(r.code, 1);
  t.true(r.stderr.includes("stdin:1:27-33: ERROR: 'return' statement is not allowed in a for-loop\n"), r.stderr);
  const nested = await runTsbpf(['--no-cache', '-e', 'BEGIN { @a[1] = 1; for ($kv : @a) { $i = 0; while ($i < 2) { $i++; exit(); } } }']);
  t.is(nested.code, 1);
  t.true(nested.stderr.includes("ERROR: 'return' statement is not allowed in a while-loop"), nested.stderr);
  const ok = await runTsbpf(['--no-cache', '-e', 'BEGIN { $i = 0; while ($i < 2) { $i++; exit(); } }']);
  t.is(ok.code, 0, describeRun(ok));
});
