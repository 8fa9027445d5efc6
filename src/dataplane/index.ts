// The cluster's data plane: what serves traffic rather than the API (the cluster DNS server and
// the service proxy), on a thread of its own, so that nothing the control plane does on the main
// thread (JSON parsing, list encoding, SQLite commits, controllers, a hostile request) delays an
// answer or a forwarded connection. Still one process: the thread is started from source text
// inlined at build time (thread.ts).
//
// The thread is started when the cluster starts (startDataPlane), so its ~50 ms of start overlap
// with opening the store and starting the API server; the DNS server and the proxy start on it
// later, with the same options and the same results as on the main thread (the proxy's counters
// and listeners are asked for, so those answers are promises). Where the thread is not available
// (a build without the inlined source, a failure to start it, or TINYKUBE_DATA_PLANE=main for
// comparison in the benchmarks), they run on the main thread as before.
import type { Logger } from 'pino';
import { dnsServePlan, startDnsServer, type DnsServer, type DnsServerOptions } from '../dns/index.js';
import { INDEX_RESOURCES } from '../dns/cluster-index.js';
import type { Store } from '../storage/store.js';
import { DataPlaneThread, DATAPLANE_WORKER_SOURCE, minLevel } from './thread.js';
import type { DnsServerInfo, Note } from './protocol.js';
import { startServiceProxy, withPortsBound, type ListenerReport, type PortStats, type ProxyOptions } from '../proxy/index.js';
import { PROXY_RESOURCES } from './proxy-view.js';

export { StoreFeed } from './feed.js';
export { FeedMirror } from './mirror.js';

export interface DataPlaneOptions {
  log: Logger;
  /** Run on a thread of its own (default true unless TINYKUBE_DATA_PLANE=main): false runs everything on the main thread. */
  thread?: boolean;
  /** The thread's script (default: the one inlined at build time). */
  source?: string;
}

/** The service proxy wherever it runs: its counters and listeners are asked of the thread. */
export interface ServiceProxyHandle {
  /** The port /healthz and /livez answer on. */
  healthzPort: number;
  /** Counters per Service port, keyed `namespace/name:port/PROTOCOL`. */
  stats(): Promise<Record<string, PortStats>>;
  /** The open listeners and the failed ones (with the reason). */
  listeners(): Promise<ListenerReport>;
  /** Resolves once every change of the store so far is applied, and what the proxy wrote because of them. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface DataPlane {
  /** The cluster DNS server (startDnsServer's options and result), on the data-plane thread when there is one. */
  startDns(o: DnsServerOptions & { store: Store }): Promise<DnsServer>;
  /** The service proxy (startServiceProxy's options), on the data-plane thread when there is one. */
  startProxy(o: ProxyOptions): Promise<ServiceProxyHandle>;
  /** Where the data plane runs: 'thread', or 'main' when it has no thread. */
  readonly where: 'thread' | 'main';
  /** Stops the thread (its servers are stopped first by their own stop()). */
  stop(): Promise<void>;
}

export function startDataPlane(o: DataPlaneOptions): DataPlane {
  const source = o.source ?? DATAPLANE_WORKER_SOURCE;
  const wanted = o.thread ?? process.env.TINYKUBE_DATA_PLANE !== 'main';
  let thread: DataPlaneThread | undefined;
  if (wanted && source) {
    try {
      thread = new DataPlaneThread(source, o.log);
    } catch (err) {
      o.log.warn({ err }, 'dataplane: cannot start the data-plane thread; DNS runs on the main thread');
    }
  }
  let stopped: Promise<void> | undefined;
  /** The thread once it is up (undefined when there is none: everything runs on the main thread). */
  const up = async (what: string): Promise<DataPlaneThread | undefined> => {
    if (!thread) return undefined;
    const t0 = performance.now();
    try {
      await thread.ready;
      o.log.debug({ waitedMs: Math.round(performance.now() - t0), for: what }, 'dataplane: thread up');
    } catch (err) {
      o.log.warn({ err }, `dataplane: the data-plane thread did not start; ${what} runs on the main thread`);
      void thread.terminate();
      thread = undefined;
    }
    return thread;
  };
  return {
    get where() {
      return thread ? 'thread' : 'main';
    },
    async startDns(opts) {
      const t = await up('DNS');
      if (!t) return startDnsServer(opts);
      const plan = dnsServePlan(opts);
      t.logTo('dns', opts.log);
      t.feed(opts.store).follow(INDEX_RESOURCES);
      const info = (await t.request({ op: 'dns.start', plan, logLevel: minLevel(opts.log) })) as DnsServerInfo;
      t.serving();
      let dnsStopped: Promise<void> | undefined;
      return {
        ...info,
        stop: () =>
          (dnsStopped ??= t.request({ op: 'dns.stop' }).then(
            () => t.stopped(),
            () => t.stopped(),
          )),
      };
    },
    async startProxy(opts) {
      const t = await up('the service proxy');
      if (!t) return onMainThread(await startServiceProxy(opts));
      return startProxyOnThread(t, opts);
    },
    stop: () => (stopped ??= thread ? thread.terminate() : Promise.resolve()),
  };
}

/** The proxy of this thread as a handle. */
function onMainThread(p: Awaited<ReturnType<typeof startServiceProxy>>): ServiceProxyHandle {
  return {
    healthzPort: p.healthzPort,
    stats: async () => p.stats(),
    listeners: async () => p.listeners(),
    idle: () => p.idle(),
    stop: () => p.stop(),
  };
}

async function startProxyOnThread(t: DataPlaneThread, opts: ProxyOptions): Promise<ServiceProxyHandle> {
  const { store, log, recordEvent, serviceStatus, informers: _informers, ...settings } = opts;
  t.logTo('proxy', log);
  // The registry writes the thread asks for, made here as the proxy on this thread makes them.
  let notes = 0;
  const offNote = t.onNote((n: Note) => {
    notes++;
    try {
      if (n.op === 'proxy.event') recordEvent?.(n.object, n.type, n.reason, n.message);
      else if (n.op === 'proxy.status') serviceStatus?.(n.namespace, n.name, (cur) => withPortsBound(cur, n.condition));
    } catch (err) {
      if (n.op === 'proxy.event') log.debug({ err }, 'proxy: event not recorded');
      else log.warn({ err, service: `${n.namespace}/${n.name}` }, 'proxy: cannot write the Service status condition');
    }
  });
  const feed = t.feed(store);
  feed.attach(PROXY_RESOURCES);
  let info: { healthzPort: number };
  try {
    info = (await t.request({
      op: 'proxy.start',
      settings,
      logLevel: minLevel(log),
      events: !!recordEvent,
      status: !!serviceStatus,
    })) as { healthzPort: number };
  } catch (err) {
    offNote();
    throw err;
  }
  t.serving();
  let stopping: Promise<void> | undefined;
  // Once the proxy is stopping (the cluster stops: a signal may come while `up` still asks for the
  // listeners), it answers as a stopped proxy: the thread may be gone before the answer.
  const ask = async <T>(op: 'proxy.stats' | 'proxy.listeners' | 'proxy.idle', asStopped: T): Promise<T> => {
    if (stopping) return asStopped;
    try {
      return (await t.request({ op })) as T;
    } catch (err) {
      if (stopping) return asStopped;
      throw err;
    }
  };
  return {
    healthzPort: info.healthzPort,
    stats: () => ask<Record<string, PortStats>>('proxy.stats', {}),
    listeners: () => ask<ListenerReport>('proxy.listeners', { open: [], failed: [] }),
    async idle() {
      // What the store has published goes to the thread now; the thread's writes (notes) arrive
      // before its answer, and the proxy sees them too (its own condition): until a pass asks
      // for no write.
      for (let round = 0; round < 100 && !stopping; round++) {
        await store.durable();
        feed.flush();
        const before = notes;
        await ask('proxy.idle', undefined);
        if (notes === before) return;
      }
    },
    stop: () =>
      (stopping ??= t.request({ op: 'proxy.stop' }).then(
        () => {
          offNote();
          t.stopped();
        },
        () => {
          offNote();
          t.stopped();
        },
      )),
  };
}
