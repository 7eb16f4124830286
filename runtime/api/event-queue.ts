/**
 * The events of one trace between the ring buffer (pushed as they are read) and the one consumer
 * of `Trace.events()` (pulled by `for await`). Bounded: past `limit` waiting events, new ones are
 * counted and dropped, and a `dropped` event says how many before the next one is delivered.
 */
import type { TraceEvent } from './types.js';

export class EventQueue {
  private readonly waiting: TraceEvent[] = [];
  private head = 0;
  private dropped = 0;
  private closed = false;
  /** Set when the consumer stopped reading (broke out of its loop): nothing more is kept. */
  private abandoned = false;
  private wake: (() => void) | undefined;
  private taken = false;

  constructor(private readonly limit: number) {}

  push(event: TraceEvent): void {
    if (this.closed || this.abandoned) return;
    if (this.waiting.length - this.head >= this.limit) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      this.waiting.push({ kind: 'dropped', count: this.dropped, text: '', stream: 'stderr' });
      this.dropped = 0;
    }
    this.waiting.push(event);
    this.signal();
  }

  /** No more events: the iterator ends once the waiting ones are read. */
  close(): void {
    this.closed = true;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The one iterator over the events (a second call throws: each event is delivered once). */
  iterator(): AsyncIterableIterator<TraceEvent> {
    if (this.taken) throw new TypeError('events() was already called for this trace: its events go to one consumer');
    this.taken = true;
    const next = async (): Promise<IteratorResult<TraceEvent>> => {
      for (;;) {
        if (this.head < this.waiting.length) {
          const value = this.waiting[this.head++]!;
          if (this.head > 1024 && this.head * 2 > this.waiting.length) {
            this.waiting.splice(0, this.head);
            this.head = 0;
          }
          return { value, done: false };
        }
        if (this.closed || this.abandoned) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    };
    const iterator: AsyncIterableIterator<TraceEvent> = {
      next,
      return: async () => {
        this.abandoned = true;
        this.waiting.length = 0;
        this.head = 0;
        this.signal();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
