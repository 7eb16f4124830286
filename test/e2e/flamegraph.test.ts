/**
 * Flame graphs of a real CPU profile: a C program burning CPU in tsbpf_flame_leaf (under
 * tsbpf_flame_mid) and tsbpf_flame_side (test/fixtures/flame/flame-burn.c) is sampled by a
 * profile probe filtered by its pid; `-f folded` prints its stacks the way flamegraph.pl reads
 * them, and `--flamegraph FILE.svg` writes a graph that headless Chromium renders: the functions'
 * frames are drawn with their names, hovering shows the tooltip, a click zooms, search highlights,
 * and a screenshot is taken.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { describeRun, kernelTest, REPO_ROOT, runTsbpf, scratchDir, uniqueTag } from '../helpers/tsbpf.js';
import { StreamShell } from '../helpers/stream-shell.js';

const SOURCE = join(REPO_ROOT, 'test', 'fixtures', 'flame', 'flame-burn.c');
const CHROMIUM = '/usr/bin/chromium';

const needsGcc = (): string | undefined => (spawnSync('gcc', ['--version']).status === 0 ? undefined : 'needs gcc');
const needsChromium = (): string | undefined => needsGcc() ?? (existsSync(CHROMIUM) ? undefined : `needs ${CHROMIUM} (apt-get install chromium)`);

interface Burner {
  readonly pid: number;
  readonly comm: string;
}

/** Build the burner under a unique name and start it; it is killed in teardown. */
async function startBurner(t: ExecutionContext, dir: string): Promise<Burner> {
  const comm = `flame${uniqueTag(8)}`;
  const bin = join(dir, comm);
  const r = spawnSync('gcc', ['-O0', '-fno-omit-frame-pointer', '-o', bin, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  const child: ChildProcess = spawn(bin, [], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  // It prints one line once it runs main's loop.
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', () => reject(new Error('the burner exited')));
  });
  return { pid: child.pid!, comm };
}

/** A profile of the burner: 200 samples of its stacks, then exit. */
function profileScript(pid: number, key: string): string {
  return `profile:hz:999 /pid == ${pid}/ { @[${key}] = count(); @n++; if (@n >= 200) { exit(); } }`;
}

kernelTest('-f folded prints the profile as folded stacks: comm;ustack root first;kstack count', async (t) => {
  const burner = await startBurner(t, scratchDir(t));
  const r = await runTsbpf(['-f', 'folded', '-e', profileScript(burner.pid, 'kstack, ustack, comm')]);
  t.is(r.code, 0, describeRun(r));
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  t.true(lines.length > 0, describeRun(r));
  // Every line is `frames count`, the frames starting at the comm (the last key, reversed first).
  for (const l of lines) t.regex(l, new RegExp(`^${burner.comm};[^ ]*(?: [^ ]+)* \\d+$`), l);
  const counts = lines.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  // Every sample the probe counted (a few more than 200 arrive before exit() detaches it).
  const n = /^@n: (\d+)$/m.exec(r.stderr);
  t.truthy(n, r.stderr);
  t.is(counts.reduce((a, b) => a + b, 0), Number(n![1]));
  // The burner's calls, root first, without offsets.
  t.true(lines.some((l) => l.includes(';main;tsbpf_flame_mid;tsbpf_flame_leaf')), r.stdout);
  t.true(lines.some((l) => l.includes(';main;tsbpf_flame_side')), r.stdout);
}, { needs: needsGcc });

kernelTest('--flamegraph FILE.svg renders in headless Chromium: named frames, tooltip, zoom, search, screenshot', async (t) => {
  const dir = scratchDir(t);
  const burner = await startBurner(t, dir);
  const svgPath = join(dir, 'profile.svg');
  const r = await runTsbpf(['--flamegraph', svgPath, '-e', profileScript(burner.pid, 'ustack')]);
  t.is(r.code, 0, describeRun(r));
  t.regex(r.stderr, new RegExp(`^Flame graph of @ \\(\\d+ samples\\) written to ${svgPath}$`, 'm'));
  t.true(readFileSync(svgPath, 'utf8').startsWith('<?xml'));

  const { chromium } = await import('playwright-core');
  const profileDir = mkdtempSync(join(tmpdir(), 'tsbpf-chromium-'));
  t.teardown(() => rmSync(profileDir, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  t.teardown(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  const blankShot = join(dir, 'blank.png');
  await page.screenshot({ path: blankShot });
  await page.goto(`file://${svgPath}`);

  const frame = (name: string) => page.locator(`g.f[data-n="${name}"]`);
  for (const name of ['tsbpf_flame_leaf', 'tsbpf_flame_mid', 'tsbpf_flame_side', 'main']) {
    const box = await frame(name).locator('rect').boundingBox();
    t.truthy(box, name);
    t.true(box!.width > 0 && box!.height > 0, `${name}: ${JSON.stringify(box)}`);
    t.is(await frame(name).locator('text').textContent(), name);
  }

  // Hover: the tooltip names the frame with its samples and share.
  await frame('tsbpf_flame_leaf').locator('rect').hover();
  await page.locator('#tip').waitFor({ state: 'visible' });
  t.regex((await page.locator('#tip-text').textContent()) ?? '', /^tsbpf_flame_leaf \(\d+ samples?, \d+\.\d\d%\)$/);
  t.regex((await page.locator('#details').textContent()) ?? '', /^tsbpf_flame_leaf \(/);

  // Click zooms: tsbpf_flame_mid takes the whole width, its sibling tsbpf_flame_side is gone.
  const before = (await frame('tsbpf_flame_mid').locator('rect').boundingBox())!.width;
  await frame('tsbpf_flame_mid').locator('rect').click();
  const zoomed = (await frame('tsbpf_flame_mid').locator('rect').boundingBox())!.width;
  t.true(zoomed > before, `${before} -> ${zoomed}`);
  t.is(Number(await frame('tsbpf_flame_mid').locator('rect').getAttribute('width')), 1180);
  t.false(await frame('tsbpf_flame_side').isVisible());
  t.true(await page.locator('#reset-zoom').isVisible());
  await page.locator('#reset-zoom').click();
  t.true(await frame('tsbpf_flame_side').isVisible());
  t.false(await page.locator('#reset-zoom').isVisible());

  // Search (Ctrl-F asks for a regular expression): the matching frames are highlighted.
  page.once('dialog', (d) => void d.accept('^tsbpf_flame_(leaf|side)$'));
  await page.keyboard.press('Control+f');
  t.regex((await page.locator('#matched').textContent()) ?? '', /^Matched: \d+\.\d\d% /);
  t.is(await page.locator('g.f.match').count(), 2);
  t.true(await frame('tsbpf_flame_leaf').evaluate((g) => g.classList.contains('match')));

  const shot = join(dir, 'flamegraph.png');
  await page.screenshot({ path: shot });
  const png = readFileSync(shot);
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  t.is(png.readUInt32BE(16), 1280);
  t.is(png.readUInt32BE(20), 800);
  // A drawn graph compresses far worse than the blank page of the same size.
  t.true(statSync(shot).size > 4 * statSync(blankShot).size, `${statSync(shot).size} vs blank ${statSync(blankShot).size}`);
}, { needs: needsChromium });

kernelTest('.flamegraph FILE in the shell writes the graph of the live maps now', async (t) => {
  const dir = scratchDir(t);
  const burner = await startBurner(t, dir);
  const sh = await StreamShell.start(t);
  // The burner runs on one CPU at a time: exactly 100 samples are counted.
  await sh.run(`profile:hz:999 /pid == ${burner.pid} && @n < 100/ { @cpu[ustack] = count(); @n++; }`);
  const svgPath = join(dir, 'shell.svg');
  t.regex((await sh.run('.flamegraph')).err, /usage: \.flamegraph file\.svg/);
  // Until the probe has counted them all (the bound only turns a hang into a failure).
  const deadline = Date.now() + 15_000;
  while (!/^@n: 100$/m.test((await sh.run('@n')).out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.regex((await sh.run(`.flamegraph ${svgPath}`)).out, new RegExp(`flame graph of @cpu \\(100 samples\\) written to ${svgPath}`));
  const svg = readFileSync(svgPath, 'utf8');
  t.true(svg.includes('data-total="100"'));
  t.regex(svg, /data-n="tsbpf_flame_leaf"/);
  // An existing file is overwritten only when the user says yes.
  sh.line(`.flamegraph ${svgPath}`);
  await sh.waitFor(() => sh.out.includes('exists; overwrite it? [y/N]'));
  t.regex((await sh.run('n')).out, /not written/);
  sh.ctrlD();
  t.is(await sh.exited(), 0);
}, { serial: true, needs: needsGcc });
