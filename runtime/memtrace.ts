import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
export function memTrace(phase: string): void {
  if (!process.env['TSBPF_MEMTRACE']) return;
  const st = readFileSync('/proc/self/status', 'utf8');
  const g = (k: string) => /(\d+)/.exec(st.split('\n').find((l) => l.startsWith(k))!)![1];
  const m = process.memoryUsage();
  const cu = process.cpuUsage(); process.stderr.write(`MEM ${phase} t=${Math.round(performance.now())} cpu=${Math.round((cu.user + cu.system) / 1000)} rss=${g('VmRSS:')} hwm=${g('VmHWM:')} anon=${g('RssAnon:')} heapTot=${m.heapTotal >> 10} heapUsed=${m.heapUsed >> 10} ext=${m.external >> 10} ab=${m.arrayBuffers >> 10} ${v8.getHeapSpaceStatistics().map((x) => x.space_name.replace('_space', '') + '=' + (x.space_size >> 10)).join(' ')}\n`);
}
if (process.env['TSBPF_MEMTRACE']) process.on('exit', () => memTrace('exit'));
