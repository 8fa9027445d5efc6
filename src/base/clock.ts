// The controllers' clock (upstream k8s.io/utils/clock): CronJob schedules, Job deadlines and TTLs,
// Deployment progress deadlines and minReadySeconds read time and wait through it, so tests can
// drive them with a fake clock instead of waiting for minutes. Store timestamps (creation,
// deletion) stay on the wall clock, as the API server's do.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn after ms (by this clock); returns a cancel function. Real timers do not hold the process. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    t.unref();
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told (upstream testingclock.FakeClock). */
export interface FakeClock extends Clock {
  /** Moves time forward by ms and runs every timer that came due, in order. */
  advance(ms: number): void;
  /** Moves time to `to` (never backwards). */
  set(to: Date | number): void;
}

export function createFakeClock(start: Date | number = Date.now()): FakeClock {
  let now = typeof start === 'number' ? start : start.getTime();
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const fire = () => {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of timers) if (e[1].at <= now && (!next || e[1].at < next[1].at)) next = e;
      if (!next) return;
      timers.delete(next[0]);
      next[1].fn();
    }
  };
  const set = (to: number) => {
    if (to > now) now = to;
    fire();
  };
  return {
    now: () => now,
    after(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      if (ms <= 0) queueMicrotask(fire);
      return () => timers.delete(id);
    },
    advance: (ms) => set(now + ms),
    set: (to) => set(typeof to === 'number' ? to : to.getTime()),
  };
}
