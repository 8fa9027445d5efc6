// The controller pattern's queue (client-go's workqueue, reduced): a key queued many times is
// worked once; a key is never worked by two workers at a time (one added while it is worked runs
// again after); a failed key is retried with exponential back-off.
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly opts: {
      workers?: number;
      baseDelayMs?: number;
      maxDelayMs?: number;
      onError?: (key: string, err: unknown) => void;
    } = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) this.again.add(key);
    else this.pending.add(key);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }

  private pump(): void {
    const workers = this.opts.workers ?? 2;
    for (const key of this.pending) {
      if (this.active >= workers) return;
      if (this.running.has(key)) continue;
      this.pending.delete(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    this.active++;
    this.running.add(key);
    try {
      await this.work(key);
      this.failures.delete(key);
    } catch (err) {
      if (!this.stopped) {
        this.opts.onError?.(key, err);
        this.retryLater(key);
      }
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.again.delete(key)) this.pending.add(key);
      if (!this.stopped) this.pump();
    }
  }

  private retryLater(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min((this.opts.baseDelayMs ?? 50) * 2 ** (n - 1), this.opts.maxDelayMs ?? 30_000);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, delay);
    this.timers.add(t);
  }
}
