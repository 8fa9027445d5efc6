// WebSocket upgrades to an aggregated API server: http-proxy-3's ws pass (as the ingress
// controller tunnels its upgrades), loaded on the first one, over a node:https agent with the
// APIService's TLS settings. The request carries what a plain proxied one carries (proxy.ts:
// credentials out, X-Remote-* in), and a browser's token offered as a WebSocket subprotocol is
// dropped too; the server's 101 and both directions then pass through as they are.
import type { IncomingMessage } from 'node:http';
import type { Agent } from 'node:https';
import type { Duplex } from 'node:stream';
import type { UserInfo } from '../../auth/users.js';
import { proxiedRequestHeaders } from './proxy.js';
import { goTransportError } from './go-errors.js';

type WsProxy = { ws(req: IncomingMessage, socket: Duplex, head: Buffer, opts: object, cb: (err: Error) => void): void; close(): void };

/** upstream's subprotocol for a bearer token a browser cannot put in a header. */
const BEARER_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

/** An answer on a socket no upgrade happened on (upstream proxyError's plain text). */
export function answerUpgrade(socket: Duplex, status: string, text: string): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${text}\n`,
  );
}

/** Rewrites an upgrade request's headers for the aggregated server (they are what http-proxy-3 sends). */
export function upgradeHeaders(req: IncomingMessage, user: UserInfo, host: string): void {
  const sent = proxiedRequestHeaders(req.rawHeaders, user, host, req.socket.remoteAddress);
  // Hop-by-hop, but what makes it an upgrade: kept.
  const connection = req.headers.connection;
  const upgrade = req.headers.upgrade;
  for (const k of Object.keys(req.headers)) delete req.headers[k];
  for (let i = 0; i < sent.length; i += 2) {
    const k = sent[i]!.toLowerCase();
    const have = req.headers[k];
    req.headers[k] = have === undefined ? sent[i + 1]! : [...(Array.isArray(have) ? have : [have]), sent[i + 1]!];
  }
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p && !p.startsWith(BEARER_PROTOCOL));
  if (protocols.length) req.headers['sec-websocket-protocol'] = protocols.join(', ');
  else delete req.headers['sec-websocket-protocol'];
  if (connection) req.headers.connection = connection;
  if (upgrade) req.headers.upgrade = upgrade;
}

export interface Tunneler {
  /** Tunnels `req` to `https://<host>`; `onFailure` hears of a server that could not be reached. */
  tunnel(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    o: { host: string; agent: Agent; verify: boolean; onFailure(): void; onLoadError(err: unknown): void },
  ): void;
  close(): Promise<void>;
}

export function createTunneler(): Tunneler {
  let wsProxy: Promise<WsProxy> | undefined;
  return {
    tunnel(req, socket, head, o) {
      const i = o.host.lastIndexOf(':');
      const target = { protocol: 'https:', host: o.host.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(o.host.slice(i + 1)) };
      (wsProxy ??= import('http-proxy-3').then((m) => {
        const create = m.createProxyServer ?? (m as unknown as { default: typeof m }).default.createProxyServer;
        return create({}) as unknown as WsProxy;
      })).then(
        (p) =>
          p.ws(req, socket, head, { target, agent: o.agent, secure: o.verify }, (err) => {
            // Before the server's 101 the client hears why (upstream's responder: 503); after it the tunnel just closes.
            if ((socket as { bytesWritten?: number }).bytesWritten === 0) {
              o.onFailure();
              answerUpgrade(socket, '503 Service Unavailable', goTransportError(err, o.host));
            } else socket.destroy();
          }),
        (err) => {
          o.onLoadError(err);
          socket.destroy();
        },
      );
    },
    async close() {
      if (wsProxy) (await wsProxy.catch(() => undefined))?.close();
    },
  };
}
