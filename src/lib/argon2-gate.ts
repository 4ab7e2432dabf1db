// A small admission gate for argon2 work done on behalf of anonymous requests. argon2 runs in
// libuv's thread pool (4 threads by default), which file reads, DNS and zlib of every request
// share: a burst of sign-in or registration attempts must not take it over. At most `concurrency`
// hashes run at once per process, at most `queue` wait, and anything beyond is refused with a 429
// at once rather than piling up.
import { tooManyRequests } from './errors.ts';

export const GATE_BUSY = 'Too many sign-in and registration attempts right now. Try again in a few seconds.';

export interface Gate {
  /** Runs `work` when a slot is free; rejects with a 429 HttpError when the queue is full. With
   * `mustRun` the work queues however long the queue is: for work already accepted (a
   * registration whose answer has gone out), which the form limits bound instead. */
  run<T>(work: () => Promise<T>, opts?: { mustRun?: boolean }): Promise<T>;
  /** True when a new `run` would be refused. */
  readonly full: boolean;
  readonly active: number;
  readonly waiting: number;
}

export function createGate(limits: { concurrency: number; queue: number }): Gate {
  const concurrency = Math.max(1, limits.concurrency);
  let active = 0;
  const waiting: Array<() => void> = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next in line
    else active--;
  };

  return {
    get full() { return active >= concurrency && waiting.length >= limits.queue; },
    get active() { return active; },
    get waiting() { return waiting.length; },
    async run<T>(work: () => Promise<T>, opts: { mustRun?: boolean } = {}): Promise<T> {
      if (active < concurrency) active++;
      else if (waiting.length < limits.queue || opts.mustRun) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw tooManyRequests(GATE_BUSY);
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

const gates = new Map<string, Gate>();
/** The process's gate for anonymous argon2 work (one per distinct limits, so apps built with the
 * same config in one process share it, as requests of one server do). */
export function anonymousHashing(limits: { concurrency: number; queue: number }): Gate {
  const key = `${limits.concurrency}/${limits.queue}`;
  let gate = gates.get(key);
  if (!gate) gates.set(key, (gate = createGate(limits)));
  return gate;
}
