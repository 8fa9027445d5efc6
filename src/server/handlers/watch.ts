// HTTP watch: newline-delimited JSON events over a chunked response, fed by the store's in-memory
// fan-out. Each event's JSON is built once and shared by every plain watcher. Slow watchers are
// bounded: when a client stops reading and its socket buffer passes the limit, its watch is
// closed (the client re-watches from its last resourceVersion), never buffered without end.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store, StoreEvent } from '../../storage/store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { storageResource, apiVersionOf } from '../../registry/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { toTable, partialObjectMetadata, type IncludeObject } from '../../registry/table.js';
import type { ResponseShape } from '../negotiate.js';
import { interpretStorageError } from '../../registry/storage-errors.js';
import { watchTimeoutMs, type ListOptions } from '../query-params.js';
import { parseResourceVersion, tooLargeResourceVersion } from './list-range.js';
import type { RequestScope } from './scope.js';

export interface WatchParams {
  def: ResourceDef;
  namespace?: string;
  match: (o: KubeObject) => boolean;
  /** undefined, '' or '0': start with ADDED events for the current state (unless sendInitialEvents is false). */
  resourceVersion?: string;
  allowBookmarks: boolean;
  /** undefined: the server's default; 0 or less: the watch ends at once. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  shape: ResponseShape;
  include: IncludeObject;
  toAPI: (o: KubeObject) => KubeObject;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Per-watcher limit of unsent bytes before the watch is closed. */
  maxBufferedBytes: number;
  /** Default when timeoutSeconds is absent: upstream picks 30–60 min at random. */
  defaultTimeoutMs: () => number;
  /** Open watches, closed all at once on shutdown. */
  active: Set<() => void>;
}

/**
 * A list request with `watch`: ListResource's watch branch (upstream get.go, then serveWatch),
 * its options already decoded, its verb checked and its selectors compiled.
 */
export function watchResource(
  scope: RequestScope,
  req: FastifyRequest,
  reply: FastifyReply,
  ns: string | undefined,
  lo: ListOptions,
  match: ((o: KubeObject) => boolean) | undefined,
  shape: ResponseShape,
  include: IncludeObject | undefined,
): void {
  const { store } = scope;
  const rv = parseResourceVersion(lo.resourceVersion);
  if (rv !== undefined && rv > BigInt(store.rev)) throw tooLargeResourceVersion(rv, store.rev);
  const timeoutMs = watchTimeoutMs(lo);
  serveWatch(
    store,
    scope.watch,
    {
      def: scope.def,
      namespace: ns,
      match: match ?? (() => true),
      resourceVersion: lo.resourceVersion,
      allowBookmarks: lo.allowWatchBookmarks,
      timeoutSeconds: timeoutMs === undefined ? undefined : timeoutMs / 1000,
      sendInitialEvents: lo.sendInitialEvents,
      shape,
      include: include ?? 'Metadata',
      toAPI: scope.toAPI,
    },
    req,
    reply,
  );
}

const objectJSON = new WeakMap<KubeObject, string>();
function jsonOf(o: KubeObject): string {
  let s = objectJSON.get(o);
  if (s === undefined) objectJSON.set(o, (s = JSON.stringify(o)));
  return s;
}

export function serveWatch(store: Store, settings: WatchSettings, p: WatchParams, req: FastifyRequest, reply: FastifyReply): void {
  const resource = storageResource(p.def);
  const plain = p.shape === 'object' && !p.def.storage;
  const inNs = (o: KubeObject) => p.namespace === undefined || o.metadata.namespace === p.namespace;
  const passes = (o: KubeObject | undefined) => !!o && inNs(o) && p.match(p.def.storage ? p.toAPI(o) : o);

  const res = reply.raw;
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let endTimer: NodeJS.Timeout | undefined;
  const clearTimers = () => {
    clearTimeout(bookmarkTimer);
    clearTimeout(endTimer);
  };

  const encode = (type: string, o: KubeObject): string => {
    if (plain) return `{"type":"${type}","object":${jsonOf(o)}}\n`;
    const api = p.toAPI(o);
    let body: unknown = api;
    if (p.shape === 'table') body = toTable(p.def, [api], { resourceVersion: api.metadata.resourceVersion }, p.include);
    else if (p.shape === 'partial') body = partialObjectMetadata(api);
    return JSON.stringify({ type, object: body }) + '\n';
  };

  const close = () => {
    if (closed) return;
    closed = true;
    settings.active.delete(close);
    unsubscribe?.();
    clearTimers();
    res.end();
  };

  const send = (line: string) => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > settings.maxBufferedBytes) {
      req.log.warn({ resource }, 'closing slow watch: client is not reading');
      closed = true;
      settings.active.delete(close);
      unsubscribe?.();
      clearTimers();
      res.destroy();
    }
  };

  // A conversion webhook converts each event's objects before it is sent; events (and bookmarks,
  // whose revision must not pass an event still converting) keep their order through one chain.
  const prepare = p.def.storage?.prepare;
  let chain = Promise.resolve();
  const inOrder = (objs: (KubeObject | undefined)[], fn: () => void) => {
    if (!prepare) return fn();
    chain = chain
      .then(() => prepare(objs.filter((o): o is KubeObject => !!o)))
      .then(() => {
        if (!closed) fn();
      })
      .catch((e: unknown) => {
        if (closed) return;
        const err = e instanceof StatusError ? e : new StatusError(500, '', (e as Error).message);
        send(JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n');
        close();
      });
  };

  const onEvent = (ev: StoreEvent) => inOrder([ev.object, ev.prev], () => handleEvent(ev));
  const handleEvent = (ev: StoreEvent) => {
    const now = passes(ev.object);
    const before = ev.type === 'MODIFIED' ? passes(ev.prev) : false;
    if (ev.type === 'DELETED') {
      if (passes(ev.object)) send(encode('DELETED', ev.object));
      return;
    }
    if (now && (ev.type === 'ADDED' || before)) send(encode(ev.type, ev.object));
    else if (now) send(encode('ADDED', ev.object));
    else if (before) {
      // Left the selector: a DELETED of the previous state at the new revision (upstream cacher).
      const gone = { ...ev.prev!, metadata: { ...ev.prev!.metadata, resourceVersion: String(ev.rev) } };
      send(encode('DELETED', gone));
    }
  };

  const bookmark = (extra?: Record<string, string>) => inOrder([], () => sendBookmark(extra));
  const sendBookmark = (extra?: Record<string, string>) => {
    const obj: KubeObject = {
      kind: p.def.kind,
      apiVersion: apiVersionOf(p.def),
      metadata: { resourceVersion: String(store.rev), ...(extra ? { annotations: extra } : {}) },
    };
    send(JSON.stringify({ type: 'BOOKMARK', object: obj }) + '\n');
  };

  const rv = p.resourceVersion;
  // The current state first: asked for (sendInitialEvents), or legacy rv ""/"0" when the client
  // said nothing; sendInitialEvents=false from ""/"0" starts at now without it (watch cache).
  const initial = p.sendInitialEvents ?? (rv === undefined || rv === '' || rv === '0');
  let fromRev: number;
  if (initial || rv === undefined || rv === '' || rv === '0') {
    fromRev = store.rev;
  } else {
    fromRev = Number(rv);
  }
  if (fromRev > store.rev) {
    // Upstream waits briefly for a future revision, then answers 504; here writes are
    // synchronous, so a revision we have not reached was never issued by this server.
    reply.code(504).type('application/json').send(tooLargeResourceVersion(fromRev, store.rev).toStatus());
    return;
  }

  reply.hijack();
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders?.();
  settings.active.add(close);
  req.raw.on('close', close);
  res.on('error', close);

  if (initial) {
    const current = store.listObjects(resource, p.def.namespaced ? p.namespace : undefined);
    inOrder(current, () => {
      for (const o of current) if (passes(o)) send(encode('ADDED', o));
    });
    if (p.sendInitialEvents && p.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  }
  try {
    unsubscribe = store.watch(resource, fromRev, onEvent);
  } catch (err) {
    const e = interpretStorageError(err);
    if (e instanceof StatusError) {
      send(JSON.stringify({ type: 'ERROR', object: e.toStatus() }) + '\n');
      close();
      return;
    }
    throw e;
  }

  if (closed) return;
  if (p.allowBookmarks) {
    const tick = () => {
      if (closed) return;
      bookmark();
      bookmarkTimer = setTimeout(tick, settings.bookmarkIntervalMs);
    };
    bookmarkTimer = setTimeout(tick, settings.bookmarkIntervalMs);
  }
  const timeoutMs = p.timeoutSeconds !== undefined ? p.timeoutSeconds * 1000 : settings.defaultTimeoutMs();
  // setTimeout takes at most 2^31-1 ms (~24.8 days); a longer watch is cut there.
  endTimer = setTimeout(close, Math.min(Math.max(timeoutMs, 0), 2 ** 31 - 1));
}
