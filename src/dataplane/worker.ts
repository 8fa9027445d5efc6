// The data-plane thread: the cluster DNS server (and, later, the service proxy and the ingress
// controller), on its own event loop, fed with the store's objects by the main thread (feed.ts ->
// mirror.ts). Nothing the API server or the controllers do on the main thread delays it.
// Bundled into one self-contained script (scripts/dataplane-worker.mjs) and started from that
// text: it imports the DNS modules and node builtins only.
import { parentPort, workerData } from 'node:worker_threads';
import { serveDns, type DnsServer } from '../dns/server.js';
import { ClusterIndex } from '../dns/cluster-index.js';
import { FeedMirror } from './mirror.js';
import { relayLog } from './log-relay.js';
import { errorData } from './errors.js';
import type { DataPlaneInit, DnsServerInfo, LogRecord, Reply, Request } from './protocol.js';

const init = workerData as DataPlaneInit;
const port = parentPort!;
const post = (r: Reply) => port.postMessage(r);
const postLog = (log: LogRecord) => post({ log });
const log = relayLog(postLog, 'dataplane', init.logLevel);
const mirror = new FeedMirror(init.feed, new Int32Array(init.posted));
mirror.onError = (err) => log.error({ err }, 'dataplane: cannot apply a change of the store');

let dns: DnsServer | undefined;

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
  }
}

port.on('message', (req: Request) => {
  handle(req).then(
    (value) => post({ id: req.id, value }),
    (err) => post({ id: req.id, error: errorData(err) }),
  );
});
post({ ready: true });
