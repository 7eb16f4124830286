/**
 * ustack/usym of a non-PIE executable (ET_EXEC: loaded at its link-time addresses) whose process
 * has exited by the time the stack is printed: symbolized from the probed executable's symbol
 * table, as bpftrace prints them (`test+0`, `main+14`), not as raw addresses (`0x401106`).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, kernelTest, runTsbpf, scratchDir } from '../helpers/tsbpf.js';

const SOURCE = `
__attribute__((noinline)) int test(int x) { return x + 1; }
int main(void) { return test(1) - 2; }
`;

function whyNoTools(): string | undefined {
  if (spawnSync('gcc', ['--version']).status !== 0) return 'needs gcc';
  if (spawnSync('objdump', ['--version']).status !== 0) return 'needs objdump';
  return undefined;
}

/** main's return address from test, as `main+N`: the instruction after main's call to test. */
function returnSiteInMain(bin: string): string {
  const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' }).stdout;
  const main = /^([0-9a-f]+) <main>:\n([\s\S]*?)\n\n/m.exec(dis);
  if (!main) throw new Error('no main in objdump output');
  const insns = main[2]!.split('\n').map((l) => /^\s*([0-9a-f]+):\s+(.*)$/.exec(l)).filter((m) => m !== null);
  const call = insns.findIndex((m) => /call.*<test>/.test(m[2]!));
  return `main+${parseInt(insns[call + 1]![1]!, 16) - parseInt(main[1]!, 16)}`;
}

kernelTest('ustack and usym of a non-PIE executable (gcc -no-pie) are symbolized after its process exits', async (t) => {
  const dir = scratchDir(t);
  writeFileSync(join(dir, 'test.c'), SOURCE);
  const bin = join(dir, 'test');
  for (const pie of ['-no-pie', '-static']) {
    const out = `${bin}${pie}`;
    const cc = spawnSync('gcc', ['-O0', '-fno-omit-frame-pointer', '-no-pie', ...(pie === '-static' ? ['-static'] : []), '-o', out, join(dir, 'test.c')], { encoding: 'utf8' });
    if (pie === '-static' && cc.status !== 0) continue; // no static libc here: the dynamic case stands
    t.is(cc.status, 0, cc.stderr);
    // The map is printed at exit, once the -c child is gone: no /proc/PID/maps to go by.
    const r = await runTsbpf(['-c', out, '-e', `uprobe:${out}:test { @s[ustack(2)] = count(); @u[usym(reg("ip"))] = count(); }`]);
    t.is(r.code, 0, describeRun(r));
    t.deepEqual(r.stdout.split('\n').filter((l) => l !== ''), ['@s[', '        test+0', `        ${returnSiteInMain(out)}`, ']: 1', '@u[test]: 1'], pie);
  }
}, { needs: whyNoTools });
