// A start leaves V8's heap as the start needed it: the young generation grown to 16 MB by the
// start's allocations (about half of it resident) and the start's garbage in the old generation.
// V8 gives that back only once its memory reducer finds the process idle, some 16 s later. A
// thread that has started and gone idle can give it back at once with the collection V8 makes on
// memory pressure (Isolate::LowMemoryNotification: every generation collected and compacted, the
// young one shrunk to 1 MB): the single executable's main thread ~11 MB of RSS for ~25 ms of its
// time. Node's one way to ask for it is the inspector protocol's HeapProfiler.collectGarbage, sent
// from an in-process session (node:inspector's Session opens no port and needs no --inspect); a
// full collection alone (global.gc) leaves the young generation as large.
import { performance } from 'node:perf_hooks';

export interface IdleHeapOptions {
  /** How long the event loop is watched before each decision (ms). */
  windowMs?: number;
  /** The event loop utilization (0..1) up to which the thread counts as idle. */
  maxBusy?: number;
  /** Windows watched at most; a thread busy through all of them is left to V8's memory reducer. */
  attempts?: number;
}

/**
 * Once this thread's event loop has been idle for a window (at most `maxBusy` utilized over
 * `windowMs`), makes one low-memory collection of its heap. Resolves true when it collected, false
 * when the thread stayed busy or this Node has no inspector. Its timers keep nothing alive.
 */
export function shrinkHeapWhenIdle({ windowMs = 200, maxBusy = 0.25, attempts = 10 }: IdleHeapOptions = {}): Promise<boolean> {
  return new Promise((resolve) => {
    let left = attempts;
    let since = performance.eventLoopUtilization();
    const look = () => {
      // Busy (a client started work at once): the collection would stall that work, which grows
      // the young generation again anyway.
      if (performance.eventLoopUtilization(since).utilization > maxBusy) {
        if (--left <= 0) return resolve(false);
        since = performance.eventLoopUtilization();
        setTimeout(look, windowMs).unref();
        return;
      }
      collectAllGarbage().then(
        () => resolve(true),
        () => resolve(false),
      );
    };
    setTimeout(look, windowMs).unref();
  });
}

/** V8's low-memory collection of this thread's heap, through an in-process inspector session. */
async function collectAllGarbage(): Promise<void> {
  // Looked up when used: importing it costs every start ~1.3 ms, and the single executable's
  // bundle has no import().
  const { Session } = process.getBuiltinModule('node:inspector');
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
  } finally {
    // Disconnecting from within the session's callback leaves the thread hung at exit: after it.
    setImmediate(() => session.disconnect());
  }
}
