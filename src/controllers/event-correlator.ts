// What upstream's event recorder does before an Event reaches the API (client-go tools/record
// events_cache.go, EventCorrelator with its defaults), as a pure function of the event and a clock:
// - spam filter: a source may record 25 events about one object at once, then one more every
//   5 minutes (a token bucket per source + object); the rest are dropped;
// - aggregation: an 11th event that differs from 10 others of the same source, object, type and
//   reason only by message, within 10 minutes of the previous one, becomes one event
//   "(combined from similar events): <message>" that later such events count on;
// - deduplication: an event identical to one already recorded (same source, object, type, reason
//   and message) is not created again: the recorded one gets count + 1 and a new lastTimestamp.
// This keeps a Pod whose probe fails every second at one Event with a rising count, as
// `kubectl describe` shows it upstream ("(x12 over 2m)"), instead of a row per failure.

import type { Event } from '../api/generated/core/v1.js';

/** A core/v1 Event as the recorder makes it: named, and with these fields always set. */
export type CoreEvent = Omit<Event, 'metadata'> &
  Required<Pick<Event, 'involvedObject' | 'reason' | 'message' | 'type' | 'source' | 'firstTimestamp' | 'lastTimestamp' | 'count'>> & {
    metadata: { name: string; namespace: string };
  };

export interface Correlated {
  /** The event to write. */
  event: CoreEvent;
  /** Write it as an update of the already recorded event of this name (count and lastTimestamp). */
  update: boolean;
  /** Drop it (spam filter). */
  skip: boolean;
}

export interface Correlator {
  correlate(ev: CoreEvent): Correlated;
}

export interface CorrelatorOptions {
  /** Milliseconds since the epoch. */
  now?: () => number;
  cacheSize?: number;
  burst?: number;
  /** Tokens per second. */
  qps?: number;
  maxSimilar?: number;
  intervalMs?: number;
}

/** An LRU map, as groupcache's lru.Cache: the least recently used entry goes first. */
function lru<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get(k: string): V | undefined {
      const v = m.get(k);
      if (v !== undefined) {
        m.delete(k);
        m.set(k, v);
      }
      return v;
    },
    set(k: string, v: V) {
      m.delete(k);
      m.set(k, v);
      if (m.size > max) m.delete(m.keys().next().value!);
    },
  };
}

const objectKey = (e: CoreEvent) => {
  const o = e.involvedObject;
  return [e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion].join('\0');
};
const eventKey = (e: CoreEvent) => {
  const o = e.involvedObject;
  return [
    e.source.component,
    e.source.host,
    o.kind,
    o.namespace,
    o.name,
    o.fieldPath,
    o.uid,
    o.apiVersion,
    e.type,
    e.reason,
    e.message,
  ].join('\0');
};
const aggregateKey = (e: CoreEvent) => [objectKey(e), e.type, e.reason, e.reportingComponent, e.reportingInstance].join('\0');

export function createCorrelator(o: CorrelatorOptions = {}): Correlator {
  const now = o.now ?? Date.now;
  const size = o.cacheSize ?? 4096;
  const burst = o.burst ?? 25;
  const qps = o.qps ?? 1 / 300;
  const maxSimilar = o.maxSimilar ?? 10;
  const intervalMs = o.intervalMs ?? 600_000;
  const buckets = lru<{ tokens: number; at: number }>(size);
  const similar = lru<{ messages: Set<string>; last: number }>(size);
  const seen = lru<{ name: string; count: number; firstTimestamp: string }>(size);

  /** flowcontrol's token bucket: starts full, refills at qps up to burst. */
  const allow = (key: string, t: number): boolean => {
    let b = buckets.get(key);
    if (!b) b = { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * qps);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    buckets.set(key, b);
    return ok;
  };

  return {
    correlate(ev) {
      const t = now();
      if (!allow(objectKey(ev), t)) return { event: ev, update: false, skip: true };

      // Aggregation (EventAggregate): count distinct messages per source, object, type and reason.
      let event = ev;
      let key = eventKey(ev);
      const aKey = aggregateKey(ev);
      let rec = similar.get(aKey);
      if (!rec || t - rec.last > intervalMs) rec = { messages: new Set(), last: t };
      rec.messages.add(ev.message);
      rec.last = t;
      similar.set(aKey, rec);
      if (rec.messages.size >= maxSimilar) {
        // Keep the set from growing past the limit (Go's PopAny).
        rec.messages.delete(rec.messages.values().next().value!);
        event = { ...ev, message: `(combined from similar events): ${ev.message}`, count: 1 };
        key = aKey;
      }

      // Deduplication (eventObserve): an event seen before updates the recorded one.
      const last = seen.get(key);
      if (last) {
        event = { ...event, metadata: { ...event.metadata, name: last.name }, firstTimestamp: last.firstTimestamp, count: last.count + 1 };
        seen.set(key, { name: last.name, count: event.count, firstTimestamp: last.firstTimestamp });
        return { event, update: true, skip: false };
      }
      seen.set(key, { name: event.metadata.name, count: event.count, firstTimestamp: event.firstTimestamp });
      return { event, update: false, skip: false };
    },
  };
}

let lastNanos = 0n;

/**
 * An Event name as upstream's recorder makes it: `<object>.<unix nanoseconds in hex>`, so that the
 * events of one object list in the order they happened. Strictly increasing here, so that two
 * events in one millisecond get different names.
 */
export function eventName(objectName: string, nowMs = Date.now()): string {
  let n = BigInt(nowMs) * 1_000_000n;
  if (n <= lastNanos) n = lastNanos + 1n;
  lastNanos = n;
  return `${objectName}.${n.toString(16)}`;
}
