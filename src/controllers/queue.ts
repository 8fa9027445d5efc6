// A deduplicating work queue of keys with a reconcile function, like client-go's workqueue:
// events only enqueue keys; a burst of changes for one key is one reconcile, run on a later
// tick. Failures requeue with exponential backoff (5 ms doubling to 30 s, as upstream's default
// item rate limiter); `idle()` lets tests and shutdown wait for the queue to drain.
export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, ms: number): void;
  idle(): Promise<void>;
  stop(): void;
}

export function createQueue(name: string, reconcile: (key: string) => void | Promise<void>, onError?: (key: string, err: unknown) => void): WorkQueue {
  const dirty = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let scheduled = false;
  let running = false;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (!running && dirty.size === 0 && !scheduled) {
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
      dirty.clear();
      for (const k of keys) {
        if (stopped) break;
        try {
          await reconcile(k);
          failures.delete(k);
        } catch (err) {
          const n = (failures.get(k) ?? 0) + 1;
          failures.set(k, n);
          onError?.(k, err);
          addAfter(k, Math.min(5 * 2 ** (n - 1), 30_000));
        }
      }
    }
    running = false;
    settle();
  };

  const add = (k: string) => {
    if (stopped) return;
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
      dirty.clear();
      settle();
    },
  };
}
