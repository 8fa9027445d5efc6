// Delayed syncs on the controllers' clock (upstream's delaying queue AddAfter): a controller that
// must look at a key again later (a Job's backoff or deadline, a ReplicaSet's minReadySeconds, a
// CronJob's next schedule) asks for a wake-up; one timer per key, and the earliest time asked for
// wins, as AddAfter keeps the earliest of repeated requests. The work queue's own addAfter runs on
// the wall clock; these follow ctx.clock, so tests move a fake clock instead of waiting.
import type { Clock } from '../../base/clock.js';

export interface Wakeups {
  /** Wakes `key` at `at` (ms on the clock), unless a wake-up at or before then is pending. */
  at(key: string, at: number): void;
  /** Wakes `key` after `ms`, unless a wake-up at or before then is pending. */
  after(key: string, ms: number): void;
  /** Drops the pending wake-up of `key` (its object is gone). */
  cancel(key: string): void;
  /** Drops every pending wake-up (the controller stops). */
  stop(): void;
}

export function createWakeups(clock: Clock, wake: (key: string) => void): Wakeups {
  const timers = new Map<string, { at: number; cancel: () => void }>();
  const at = (key: string, when: number) => {
    const t = timers.get(key);
    if (t && t.at <= when) return;
    t?.cancel();
    const cancel = clock.after(Math.max(0, when - clock.now()), () => {
      if (timers.get(key)?.cancel === cancel) timers.delete(key);
      wake(key);
    });
    timers.set(key, { at: when, cancel });
  };
  return {
    at,
    after: (key, ms) => at(key, clock.now() + Math.max(0, ms)),
    cancel(key) {
      timers.get(key)?.cancel();
      timers.delete(key);
    },
    stop() {
      for (const t of timers.values()) t.cancel();
      timers.clear();
    },
  };
}
