/** The event queue between a trace's ring buffer and its consumer (runtime/api/event-queue.ts). */
import test from 'ava';
import { EventQueue } from '../../../runtime/api/event-queue.js';
import type { TraceEvent } from '../../../runtime/api/types.js';

const msg = (text: string): TraceEvent => ({ kind: 'message', text, stream: 'stderr' });

async function drain(it: AsyncIterableIterator<TraceEvent>): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('events pushed before and while iterating arrive in order; close() ends the iteration', async (t) => {
  const q = new EventQueue(10);
  q.push(msg('a'));
  const it = q.iterator();
  const all = drain(it);
  q.push(msg('b'));
  await Promise.resolve();
  q.push(msg('c'));
  q.close();
  q.push(msg('late'));
  t.deepEqual((await all).map((e) => e.text), ['a', 'b', 'c']);
});

test('past the limit, events are dropped and counted before the next one delivered', async (t) => {
  const q = new EventQueue(2);
  for (const s of ['1', '2', '3', '4']) q.push(msg(s));
  const it = q.iterator();
  t.is((await it.next()).value?.text, '1');
  t.is((await it.next()).value?.text, '2');
  q.push(msg('5'));
  q.close();
  t.deepEqual(await drain(it), [{ kind: 'dropped', count: 2, text: '', stream: 'stderr' }, msg('5')]);
});

test('one consumer: a second iterator is refused; leaving the loop stops delivery', async (t) => {
  const q = new EventQueue(10);
  const it = q.iterator();
  t.throws(() => q.iterator(), { instanceOf: TypeError });
  q.push(msg('x'));
  for await (const e of it) {
    t.is(e.text, 'x');
    break;
  }
  q.push(msg('y'));
  t.deepEqual(await it.next(), { value: undefined, done: true });
});
