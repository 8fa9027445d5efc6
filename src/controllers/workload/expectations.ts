// What a workload controller is waiting to see (upstream pkg/controller ControllerExpectations and
// UIDTrackingControllerExpectations): after creating or deleting Pods, a controller does not act
// on its cached view again until the informer has shown it those changes (or 5 minutes pass).
// Registry writes are committed in batches and reach informers a tick later; without this a burst
// of events would count the same missing Pods twice and create extra ones.

/** upstream ExpectationsTimeout: stale expectations are given up after 5 minutes. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  /** UIDs of the Pods whose deletion is awaited. */
  del: Set<string>;
  at: number;
}

export interface Expectations {
  /** True when the controller may act on `key` (nothing awaited, or awaited too long). */
  satisfied(key: string): boolean;
  /** Awaits `n` creations (replacing what was awaited). */
  expectCreations(key: string, n: number): void;
  /** Awaits the deletion of these Pods (by UID), besides what is awaited already. */
  expectDeletions(key: string, uids: string[]): void;
  creationObserved(key: string): void;
  /** A create that failed (or was skipped) will never be observed. */
  lowerCreations(key: string, n?: number): void;
  deletionObserved(key: string, uid: string | undefined): void;
  /** The controller object is gone. */
  forget(key: string): void;
}

export function createExpectations(now: () => number = Date.now): Expectations {
  const m = new Map<string, Expectation>();
  const settleIfDone = (key: string, e: Expectation) => {
    if (e.add <= 0 && e.del.size === 0) m.delete(key);
  };
  return {
    satisfied(key) {
      const e = m.get(key);
      if (!e) return true;
      if (e.add <= 0 && e.del.size === 0) return true;
      return now() - e.at > EXPECTATIONS_TIMEOUT_MS;
    },
    expectCreations(key, n) {
      const e = m.get(key);
      m.set(key, { add: n, del: e?.del ?? new Set(), at: now() });
    },
    expectDeletions(key, uids) {
      const e = m.get(key) ?? { add: 0, del: new Set<string>(), at: now() };
      for (const u of uids) e.del.add(u);
      e.at = now();
      m.set(key, e);
    },
    creationObserved(key) {
      const e = m.get(key);
      if (!e) return;
      e.add--;
      settleIfDone(key, e);
    },
    lowerCreations(key, n = 1) {
      const e = m.get(key);
      if (!e) return;
      e.add -= n;
      settleIfDone(key, e);
    },
    deletionObserved(key, uid) {
      const e = m.get(key);
      if (!e || !uid) return;
      e.del.delete(uid);
      settleIfDone(key, e);
    },
    forget(key) {
      m.delete(key);
    },
  };
}
