// The cluster's data plane: what serves traffic rather than the API (the cluster DNS server
// now), on a thread of its own, so that nothing the control plane does on the main thread (JSON
// parsing, list encoding, SQLite commits, controllers, a hostile request) delays an answer.
// Still one process: the thread is started from source text inlined at build time (thread.ts).
//
// The thread is started when the cluster starts (startDataPlane), so its ~50 ms of start overlap
// with opening the store and starting the API server; the DNS server starts on it later, with
// the same options and the same result as on the main thread. Where the thread is not available
// (a build without the inlined source, a failure to start it, or TINYKUBE_DATA_PLANE=main for
// comparison in the benchmarks), the DNS server runs on the main thread as before.
import type { Logger } from 'pino';
import { dnsServePlan, startDnsServer, type DnsServer, type DnsServerOptions } from '../dns/index.js';
import { INDEX_RESOURCES } from '../dns/cluster-index.js';
import type { Store } from '../storage/store.js';
import { DataPlaneThread, DATAPLANE_WORKER_SOURCE, minLevel } from './thread.js';
import type { DnsServerInfo } from './protocol.js';

export { StoreFeed } from './feed.js';
export { FeedMirror } from './mirror.js';

export interface DataPlaneOptions {
  log: Logger;
  /** Run on a thread of its own (default true unless TINYKUBE_DATA_PLANE=main): false runs everything on the main thread. */
  thread?: boolean;
  /** The thread's script (default: the one inlined at build time). */
  source?: string;
}

export interface DataPlane {
  /** The cluster DNS server (startDnsServer's options and result), on the data-plane thread when there is one. */
  startDns(o: DnsServerOptions & { store: Store }): Promise<DnsServer>;
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
  return {
    get where() {
      return thread ? 'thread' : 'main';
    },
    async startDns(opts) {
      if (thread) {
        const t0 = performance.now();
        try {
          await thread.ready;
          o.log.debug({ waitedMs: Math.round(performance.now() - t0) }, 'dataplane: thread up');
        } catch (err) {
          o.log.warn({ err }, 'dataplane: the data-plane thread did not start; DNS runs on the main thread');
          void thread.terminate();
          thread = undefined;
        }
      }
      const t = thread;
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
    stop: () => (stopped ??= thread ? thread.terminate() : Promise.resolve()),
  };
}
