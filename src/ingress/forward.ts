// One request forwarded to one endpoint. The client side is undici's Agent (keep-alive pools per
// endpoint, llhttp responses, no per-request ClientRequest/agent bookkeeping): measured on this
// path (2-core loopback, 64 keep-alive clients, a tiny backend), the controller's process spends
// ~26 us of CPU per request with it, ~33 us with node:http's http.request and a keep-alive agent,
// and http-proxy-3's web pass (headers copied into objects, a chain of passes per request,
// http.request underneath) carried a third fewer requests than http.request; haproxy spends ~11 us. What is kept here is the
// small part: hop-by-hop headers dropped both ways (RFC 9110 7.6.1, as httputil.ReverseProxy and
// nginx do), the X-Forwarded-* and X-Real-IP headers ingress-nginx sets (it trusts none that came
// in), bodies streamed both ways with backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { answer } from './pages.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Headers the controller sets itself: a client's copies are dropped (ingress-nginx without use-forwarded-headers). */
const SET_HERE = new Set([
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-scheme',
  'x-real-ip',
  // The server answered the client's 100-continue already; undici refuses to send it on.
  'expect',
]);

/** Names the Connection header lists: hop-by-hop for this one message. */
function connectionNamed(raw: readonly string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    for (const n of raw[i + 1]!.split(',')) {
      const t = n.trim().toLowerCase();
      if (t) (out ??= new Set()).add(t);
    }
  }
  return out;
}

/** A request's raw header pairs without hop-by-hop ones and without those set here. */
export function requestHeaders(raw: readonly string[]): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lk = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lk) || named?.has(lk) || SET_HERE.has(lk)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

export interface ClientFacts {
  /** The client's address. */
  remote: string;
  /** http or https: the listener the request came in on. */
  proto: 'http' | 'https';
  /** The listener's port. */
  port: number;
}

/** The X-Forwarded-* and X-Real-IP pairs ingress-nginx adds (X-Forwarded-Host is the Host header as sent). */
export function forwardedHeaders(req: IncomingMessage, c: ClientFacts): string[] {
  const host = req.headers.host ?? '';
  return [
    'X-Real-IP',
    c.remote,
    'X-Forwarded-For',
    c.remote,
    'X-Forwarded-Host',
    host,
    'X-Forwarded-Port',
    String(c.port),
    'X-Forwarded-Proto',
    c.proto,
    'X-Forwarded-Scheme',
    c.proto,
    'X-Scheme',
    c.proto,
  ];
}

const hasBody = (req: IncomingMessage) => req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;

/** Response headers without hop-by-hop ones, as name/value pairs for writeHead (undici gives an object, lower case). */
export function responseHeaders(h: Record<string, string | string[] | undefined>): string[] {
  const named = typeof h.connection === 'string' ? connectionNamed(['connection', h.connection]) : undefined;
  const out: string[] = [];
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || named?.has(k)) continue;
    if (typeof v === 'string') out.push(k, v);
    else for (const one of v) out.push(k, one);
  }
  return out;
}

/**
 * Forwards a request to an endpoint (`origin`: http://ip:port) and streams the answer back; 502
 * when the endpoint cannot be reached or fails before answering.
 */
export function forward(req: IncomingMessage, res: ServerResponse, origin: string, client: Dispatcher, c: ClientFacts): void {
  const headers = requestHeaders(req.rawHeaders);
  for (const h of forwardedHeaders(req, c)) headers.push(h);
  const body = hasBody(req);
  if (!body) req.resume();
  let control: Dispatcher.DispatchController | undefined;
  // A client gone before the answer ended: stop the upstream exchange too.
  res.on('close', () => {
    if (!res.writableFinished) control?.abort(new Error('client closed the connection'));
  });
  client.dispatch(
    { origin, path: req.url ?? '/', method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers, body: body ? req : null },
    {
      onRequestStart(controller) {
        control = controller;
      },
      onResponseStart(_controller, status, h, statusMessage) {
        res.writeHead(status, statusMessage ?? '', responseHeaders(h));
      },
      onResponseData(controller, chunk) {
        // Flushed as it comes: a streaming answer (server-sent events, long polls) is not held back.
        if (!res.write(chunk)) {
          controller.pause();
          res.once('drain', () => controller.resume());
        }
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (!res.headersSent && !res.destroyed) answer(res, 502);
        else res.destroy();
      },
    },
  );
}
