// The data-plane thread: the cluster DNS server and the service proxy (and, later, the ingress
// controller), on its own event loop, fed with the store's objects by the main thread (feed.ts ->
// mirror.ts). Nothing the API server or the controllers do on the main thread delays them. What
// the proxy writes (Events, its Service condition) goes to the main thread as notes, which it
// writes through the registry. Bundled into one self-contained script
// (scripts/dataplane-worker.mjs) and started from that text: it imports the DNS and proxy modules,
// the NetworkPolicy evaluation and node builtins only (of the registry and the store, types).
import { parentPort, workerData } from 'node:worker_threads';
import { serveDns, type DnsServer } from '../dns/server.js';
import { ClusterIndex } from '../dns/cluster-index.js';
import { FeedMirror } from './mirror.js';
import { relayLog } from './log-relay.js';
import { errorData } from './errors.js';
import { mirrorSource } from './proxy-view.js';
import { runServiceProxy, type ServiceProxy } from '../proxy/run.js';
import { PORTS_BOUND, type Condition, type ServiceStatusWriter } from '../proxy/conditions.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { DataPlaneInit, DnsServerInfo, LogRecord, Note, Reply, Request } from './protocol.js';

const init = workerData as DataPlaneInit;
const port = parentPort!;
const post = (r: Reply) => port.postMessage(r);
const postLog = (log: LogRecord) => post({ log });
const log = relayLog(postLog, 'dataplane', init.logLevel);
const mirror = new FeedMirror(init.feed, new Int32Array(init.posted));
mirror.onError = (err) => log.error({ err }, 'dataplane: cannot apply a change of the store');

let dns: DnsServer | undefined;
let proxy: ServiceProxy | undefined;
const note = (n: Note) => post({ note: n });

/** What an Event refers to of its object (controllers/events.ts), not the whole Service. */
const eventRef = (o: KubeObject): KubeObject => {
  const { namespace, name, uid, resourceVersion } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { namespace, name, uid, resourceVersion } };
};

async function startProxy(req: Extract<Request, { op: 'proxy.start' }>): Promise<unknown> {
  if (proxy) throw new Error('the service proxy runs already');
  mirror.sync();
  const source = mirrorSource(mirror);
  // The condition is worked out here from the mirror's copy (sync.ts checkStatus) and written on
  // the main thread into the stored Service (conditions.ts withPortsBound).
  const serviceStatus: ServiceStatusWriter = (namespace, name, update) => {
    const cur = source.service(`${namespace}/${name}`);
    const status = cur && update(cur);
    if (!status) return;
    const condition = (status.conditions as Condition[] | undefined)?.find((c) => c?.type === PORTS_BOUND) ?? null;
    note({ op: 'proxy.status', namespace, name, condition });
  };
  proxy = await runServiceProxy({
    ...req.settings,
    source,
    log: relayLog(postLog, 'proxy', req.logLevel),
    recordEvent: req.events
      ? (obj, type, reason, message) => note({ op: 'proxy.event', object: eventRef(obj), type, reason, message })
      : undefined,
    serviceStatus: req.status ? serviceStatus : undefined,
  });
  return { healthzPort: proxy.healthzPort };
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'dns.start': {
      if (dns) throw new Error('the DNS server runs already');
      // What the main thread posted before this request (the current objects) first; the mirror
      // holds them until the index lists them, and then keeps none (the index keeps what it needs).
      mirror.sync();
      const index = ClusterIndex.attach(mirror);
      dns = await serveDns({
        ...req.plan,
        index,
        log: relayLog(postLog, 'dns', req.logLevel),
        beforeQuery: () => mirror.sync(),
      });
      const { host, udpPort, tcpPort, addresses, clusterDNS, upstreams } = dns;
      return { host, udpPort, tcpPort, addresses, clusterDNS, upstreams } satisfies DnsServerInfo;
    }
    case 'dns.stop': {
      const d = dns;
      dns = undefined;
      await d?.stop();
      return undefined;
    }
    case 'proxy.start':
      return startProxy(req);
    case 'proxy.stats':
      return proxy?.stats() ?? {};
    case 'proxy.listeners':
      return proxy?.listeners() ?? { open: [], failed: [] };
    case 'proxy.idle':
      return proxy?.idle();
    case 'proxy.stop': {
      const p = proxy;
      proxy = undefined;
      await p?.stop();
      return undefined;
    }
  }
}

port.on('message', (req: Request) => {
  handle(req).then(
    (value) => post({ id: req.id, value }),
    (err) => post({ id: req.id, error: errorData(err) }),
  );
});
post({ ready: true });
