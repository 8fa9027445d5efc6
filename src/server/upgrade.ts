// Connection upgrades (WebSocket and SPDY/3.1) for the streaming subresources: pods/exec,
// pods/attach, pods/portforward. Node hands upgrade requests to the server's 'upgrade' event, not
// to fastify's router, so they get their own small router here: authenticate as every request is,
// match the path, and either hand the socket to the route or answer with a Status like any other
// API error (kubectl prints those, and falls back from WebSocket to SPDY on an upgrade failure).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { StatusError, internalError, pageNotFound } from '../apimachinery/errors.js';
import { bearerTokenOf } from './auth/bearer.js';

export interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  params: Record<string, string>;
  query: URLSearchParams;
  /** `websocket`, `spdy/3.1`, ... (lower case). */
  upgrade: string;
  /** Subprotocols the WebSocket client offers, in its order (bearer-token protocols removed). */
  wsProtocols: string[];
}

export type UpgradeHandler = (u: UpgradeRequest) => void | Promise<void>;

interface Route {
  methods: string[];
  re: RegExp;
  names: string[];
  handler: UpgradeHandler;
}

export interface UpgradeRouter {
  /** `path` uses fastify-style `:param` segments and may end in `*` (the rest of the path). */
  add(methods: string[], path: string, handler: UpgradeHandler): void;
  /** Serves one 'upgrade' event. `authenticated` checks the request's credentials. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, admit: (req: IncomingMessage) => StatusError | undefined): void;
  /** Ends every upgraded connection (server shutdown: they are no longer the HTTP server's). */
  closeAll(): void;
}

/** Browsers cannot set Authorization on a WebSocket: upstream accepts the token as a subprotocol. */
const BEARER_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = bearerTokenOf(req.headers.authorization);
  if (header) return header;
  for (const p of offeredProtocols(req)) {
    if (p.startsWith(BEARER_PROTOCOL)) {
      try {
        return Buffer.from(p.slice(BEARER_PROTOCOL.length), 'base64url').toString('utf8');
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  if (!h) return [];
  return (Array.isArray(h) ? h.join(',') : h)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function createUpgradeRouter(onError: (err: unknown, req: IncomingMessage) => void): UpgradeRouter {
  const routes: Route[] = [];
  const open = new Set<Duplex>();
  return {
    add(methods, path, handler) {
      const names: string[] = [];
      const re = new RegExp(
        '^' +
          path
            .split('/')
            .map((seg) => {
              // A trailing `*`: the rest of the path, slashes included.
              if (seg === '*') {
                names.push('*');
                return '(.*)';
              }
              if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
              names.push(seg.slice(1));
              return '([^/]+)';
            })
            .join('/') +
          '/?$',
      );
      routes.push({ methods: methods.map((m) => m.toUpperCase()), re, names, handler });
    },
    handle(req, socket, head, admit) {
      socket.on('error', () => socket.destroy());
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      const url = new URL(req.url ?? '/', 'http://upgrade');
      const refused = admit(req);
      if (refused) return rejectUpgrade(socket, refused);
      const route = routes.find((r) => r.re.test(url.pathname) && r.methods.includes(req.method ?? 'GET'));
      if (!route) {
        return rejectUpgrade(socket, pageNotFound());
      }
      const m = route.re.exec(url.pathname)!;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = safeDecode(m[i + 1]!)));
      const u: UpgradeRequest = {
        req,
        socket,
        head,
        params,
        query: url.searchParams,
        upgrade: String(req.headers.upgrade ?? '').toLowerCase(),
        wsProtocols: offeredProtocols(req).filter((p) => !p.startsWith(BEARER_PROTOCOL)),
      };
      const fail = (err: unknown) => {
        if (err instanceof StatusError) return rejectUpgrade(socket, err);
        onError(err, req);
        rejectUpgrade(socket, internalError(String((err as Error)?.message ?? err)));
      };
      try {
        const r = route.handler(u);
        if (r) r.catch(fail);
      } catch (err) {
        fail(err);
      }
    },
    closeAll() {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Answers an upgrade request with a Status (only while nothing has been written to the socket). */
export function rejectUpgrade(socket: Duplex, err: StatusError): void {
  if (socket.destroyed || !socket.writable) return;
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
