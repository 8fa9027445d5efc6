// pods/portforward sessions (see portforward.ts, which registers the route and loads this module
// with the first session): SPDY/3.1 tunnelled in WebSocket, plain SPDY/3.1 or WebSocket channels,
// each forwarded connection dialled to the Pod IP.
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { StatusError, badRequest, notFound } from '../apimachinery/errors.js';
import { rejectUpgrade, type UpgradeRequest } from '../server/upgrade.js';
import { servePortForwardSpdy } from '../streaming/portforward-spdy.js';
import { selectPortForwardWebSocketProtocol, servePortForwardWebSocket } from '../streaming/portforward-ws.js';
import { decodePodPortForwardOptions, portForwardWebSocketPorts, rejectConnectDryRun, requestQuery } from '../server/query-params.js';
import {
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  type PortForwardOptions,
} from '../streaming/stream-protocols.js';
import {
  acceptSpdyTunnelWebSocket,
  negotiateStreamProtocol,
  spdySessionOverSocket,
  spdySessionOverWebSocket,
  writeSpdyUpgradeResponse,
} from '../streaming/transports.js';
import type { PortForwardDeps } from './portforward.js';
import type { PodObj } from '../registry/pod/strategy.js';

const PODS = { group: '', resource: 'pods' };

/** Connects to the Pod's port; allowHalfOpen so each direction's end travels on its own. */
function dialer(ip: string): (port: number) => Promise<net.Socket> {
  return (port) =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: ip, port, allowHalfOpen: true, noDelay: true });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
}

// upstream ConnectResource: dryRun refused, PodPortForwardOptions decoded (a bad port is a 400
// whatever the protocol), then the Pod; the kubelet reads the ports only on WebSocket channels.
export async function servePortForward(u: UpgradeRequest, d: PortForwardDeps) {
  const { ns, name } = u.params as { ns: string; name: string };
  const query = requestQuery(u.req.url);
  rejectConnectDryRun(query);
  decodePodPortForwardOptions(query);
  const pod = d.store.get('pods', ns, name) as PodObj | undefined;
  if (!pod) throw notFound(PODS, name);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const ip = pod.status?.podIP;
  if (!ip) throw new StatusError(400, 'BadRequest', `pod ${name} has no IP address yet`);
  const opts: PortForwardOptions = {
    dial: dialer(ip),
    podName: name,
    namespace: ns,
    uid: pod.metadata.uid ?? '',
    log: d.log.child({ pod: `${ns}/${name}` }),
    idleTimeoutMs: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  };

  if (u.upgrade === 'websocket') {
    if (u.wsProtocols.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
      const ws = await acceptSpdyTunnelWebSocket(u.req, u.socket, u.head);
      servePortForwardSpdy(spdySessionOverWebSocket(ws, { idleTimeoutMs: opts.idleTimeoutMs }), opts);
      return;
    }
    const protocol = selectPortForwardWebSocketProtocol(u.wsProtocols);
    if (protocol === undefined)
      throw new StatusError(403, 'Forbidden', `requested protocol(s) are not supported: [${u.wsProtocols.join(' ')}]`);
    const ports = portForwardWebSocketPorts(query);
    const ws = await new Promise<WebSocket>((resolve) => {
      const server = new WebSocketServer({
        noServer: true,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: () => protocol || false,
      });
      server.handleUpgrade(u.req, u.socket, u.head, resolve);
    });
    await servePortForwardWebSocket(ws, protocol, ports, opts);
    return;
  }
  if (u.upgrade.startsWith('spdy/')) {
    const n = negotiateStreamProtocol(u.req.headers['x-stream-protocol-version'], [PORT_FORWARD_PROTOCOL]);
    if (!n.ok) return rejectUpgrade(u.socket, new StatusError(n.status, n.status === 403 ? 'Forbidden' : 'BadRequest', n.message));
    writeSpdyUpgradeResponse(u.socket, n.protocol);
    servePortForwardSpdy(spdySessionOverSocket(u.socket, u.head, { idleTimeoutMs: opts.idleTimeoutMs }), opts);
    return;
  }
  throw badRequest(`unable to upgrade: unsupported protocol "${u.upgrade}"`);
}
