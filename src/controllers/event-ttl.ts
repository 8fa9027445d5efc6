// Events expire (upstream stores them with an etcd lease of --event-ttl, 1 h, renewed on every
// update). A periodic sweep deletes events whose last activity is older than the TTL.
import type { KubeObject } from '../apimachinery/types.js';
import type { CoreEvent } from '../registry/event.js';
import type { Controller, ControllerContext } from './context.js';

function lastActivity(e: KubeObject): number {
  // Events are stored in their core/v1 form.
  const o = e as CoreEvent;
  const ts = [o.series?.lastObservedTime, o.lastTimestamp, o.eventTime, o.firstTimestamp, o.metadata.creationTimestamp]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return ts.length ? Math.max(...ts) : 0;
}

export function sweepEvents(ctx: Pick<ControllerContext, 'store'>, ttlMs: number, now = Date.now()): number {
  const expired = ctx.store.listObjects('events').filter((e) => now - lastActivity(e) > ttlMs);
  if (!expired.length) return 0;
  ctx.store.txn((tx) => {
    for (const e of expired) tx.delete('events', e.metadata.namespace ?? '', e.metadata.name!);
  });
  return expired.length;
}

export function startEventTTLController(ctx: ControllerContext): Controller {
  const ttl = ctx.config.eventTTLMs;
  const every = Math.max(50, Math.min(ttl / 10, 60_000));
  const timer = setInterval(() => {
    try {
      const n = sweepEvents(ctx, ttl);
      if (n) ctx.log.debug({ n }, 'expired events');
    } catch (err) {
      ctx.log.error({ err }, 'event expiry failed');
    }
  }, every);
  timer.unref();
  return { stop: () => clearInterval(timer), idle: async () => undefined };
}
