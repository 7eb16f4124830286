/**
 * container_of(ptr, struct T, member) (bpftrace meta.bt): the struct a member pointer is inside of,
 * with a type written as an argument (`struct T`).
 */
import { describeRun, kernelTest, runTsbpf } from '../helpers/tsbpf.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

kernelTest('container_of walks from a member to its struct: the next task of the task list, a nested member', async (t) => {
  const r = await runTsbpf(['-e', `BEGIN {
    $me = curtask;
    printf("%d\\n", container_of(&$me->tasks, struct task_struct, tasks) == $me);
    printf("%d\\n", container_of(&$me->se.run_node, struct task_struct, se.run_node) == $me);
    $next = container_of($me->tasks.next, struct task_struct, tasks);
    printf("%d %d\\n", $next->tasks.prev == &$me->tasks, $next->pid != 0 || $next->tgid == 0);
    exit();
  }`]);
  t.is(r.code, 0, describeRun(r));
  t.deepEqual(lines(r.stdout), ['1', '1', '1 1']);
});

kernelTest('container_of: a type where a value is expected, or a non-type second argument, is one clear error', async (t) => {
  const noType = await runTsbpf(['-e', 'BEGIN { $p = curtask; print(container_of($p, task_struct, tasks)); }']);
  t.is(noType.code, 1, describeRun(noType));
  t.is(noType.stderr.split('\n')[0], 'stdin:1:46-57: ERROR: container_of() takes a type as its second argument, e.g. container_of($p, struct task_struct, tasks)');
  const asValue = await runTsbpf(['-e', 'BEGIN { $t = struct task_struct; }']);
  t.is(asValue.code, 1, describeRun(asValue));
  t.is(asValue.stderr.split('\n')[0], 'stdin:1:14-32: ERROR: struct task_struct is a type: as a value it can only be passed to a macro or to container_of()');
});
