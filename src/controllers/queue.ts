// A deduplicating work queue of keys with a reconcile function, like client-go's workqueue:
// events only enqueue keys; a burst of changes for one key is one reconcile, run on a later
// tick. Failures requeue with exponential backoff (5 ms doubling to 30 s, as upstream's default
// item rate limiter); `idle()` lets tests and shutdown wait for the queue to drain.
// With `pace`, a key whose reconcile is expensive (over 16 ms: a Service of thousands of Pods) runs again only after
// as long as its last run took: a storm of Pod changes then costs at most half of the event loop,
// the API stays responsive, and each run covers every change that arrived meanwhile.
export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, ms: number): void;
  idle(): Promise<void>;
  stop(): void;
}

export interface QueueOptions {
  /** Wait at least `pace` × the key's last reconcile time before running it again. */
  pace?: number;
  /** The order in which the keys waiting together are reconciled (default: as they were added). */
  order?: (a: string, b: string) => number;
}

/**
 * Reconciles cheaper than this are never paced: a change is then handled at once, and one run
 * holds the event loop for less than a frame.
 */
const PACE_FREE_MS = 16;

export function createQueue(
  name: string,
  reconcile: (key: string) => void | Promise<void>,
  onError?: (key: string, err: unknown) => void,
  opts: QueueOptions = {},
): WorkQueue {
  const dirty = new Set<string>();
  const lastRun = new Map<string, { end: number; ms: number }>();
  const paced = new Map<string, NodeJS.Timeout>();
  const failures = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let scheduled = false;
  let running = false;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (!running && dirty.size === 0 && !scheduled && paced.size === 0) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };

  const schedule = () => {
    if (scheduled || running || stopped) return;
    scheduled = true;
    setImmediate(drain);
  };

  const drain = async () => {
    scheduled = false;
    running = true;
    while (dirty.size && !stopped) {
      const keys = [...dirty];
      if (opts.order) keys.sort(opts.order);
      dirty.clear();
      for (const k of keys) {
        if (stopped) break;
        const t0 = performance.now();
        try {
          await reconcile(k);
          failures.delete(k);
        } catch (err) {
          const n = (failures.get(k) ?? 0) + 1;
          failures.set(k, n);
          onError?.(k, err);
          addAfter(k, Math.min(5 * 2 ** (n - 1), 30_000));
        }
        if (opts.pace) {
          const end = performance.now();
          if (end - t0 > PACE_FREE_MS) lastRun.set(k, { end, ms: end - t0 });
          else lastRun.delete(k);
        }
      }
    }
    running = false;
    settle();
  };

  const add = (k: string) => {
    if (stopped) return;
    const last = opts.pace ? lastRun.get(k) : undefined;
    if (last) {
      const wait = last.end + last.ms * opts.pace! - performance.now();
      if (wait > 0) {
        if (!paced.has(k)) {
          paced.set(
            k,
            setTimeout(() => {
              paced.delete(k);
              if (stopped) return settle();
              dirty.add(k);
              schedule();
            }, Math.ceil(wait)),
          );
        }
        return;
      }
    }
    dirty.add(k);
    schedule();
  };
  const addAfter = (k: string, ms: number) => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      add(k);
    }, ms);
    t.unref();
    timers.add(t);
  };

  void name;
  return {
    add,
    addAfter,
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      }),
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const t of paced.values()) clearTimeout(t);
      paced.clear();
      dirty.clear();
      settle();
    },
  };
}
