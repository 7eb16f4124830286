/**
 * `--test` and `--bench` with `-f json`: one line per test or benchmark, as bpftrace's
 * JsonOutput::test_result and benchmark_result (`{"type": "test_result", "data": {NAME: {...}}}`).
 */
import { jsonString } from './json.js';

export function testResultsJson(results: readonly { name: string; durationNs: number; passed: boolean; text: string }[]): string {
  return results.map((r) => `{"type": "test_result", "data": {${jsonString(r.name)}: {"duration": ${r.durationNs}, "passed": ${r.passed}, "output": ${jsonString(r.text)}}}}\n`).join('');
}

export function benchmarkResultsJson(rows: readonly { name: string; averageNs: number; iterations: number }[]): string {
  return rows.map((r) => `{"type": "benchmark_result", "data": {${jsonString(r.name)}: {"average": ${r.averageNs}, "iters": ${r.iterations}}}}\n`).join('');
}
