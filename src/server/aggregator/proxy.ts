// One request to an aggregated API server, as upstream's proxy handler sends it
// (kube-aggregator pkg/apiserver/handler_proxy.go): over TLS with the front-proxy client
// certificate, the serving certificate checked against the APIService's caBundle for
// `<service>.<namespace>.svc` (unless insecureSkipTLSVerify), the caller's credentials dropped
// (upstream's authentication filter removes Authorization, the impersonation filter the
// Impersonate-* headers) and the user the request acts as sent in X-Remote-User, one
// X-Remote-Group per group and X-Remote-Extra-<key>. The client is undici's (keep-alive pools
// per endpoint, bodies streamed both ways with backpressure, so watches and long responses pass
// through as they come), as the ingress controller's forwarding uses it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { UserInfo } from '../../auth/users.js';
import { authProxyHeaders, EXTRA_HEADER_PREFIX, GROUP_HEADER, USERNAME_HEADER } from './front-proxy.js';
import { goTransportError } from './go-errors.js';

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
const LOWER_REMOTE = [USERNAME_HEADER, GROUP_HEADER, 'X-Remote-Uid'].map((h) => h.toLowerCase());
const LOWER_EXTRA = EXTRA_HEADER_PREFIX.toLowerCase();

/** The headers sent on: the client's without hop-by-hop ones, credentials, impersonation and X-Remote-* (set here). */
export function proxiedRequestHeaders(raw: readonly string[], user: UserInfo, host: string, remoteAddress: string | undefined): string[] {
  const out: string[] = [];
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lk = k.toLowerCase();
    if (HOP_BY_HOP.has(lk) || lk === 'authorization' || lk === 'host' || lk === 'expect') continue;
    if (lk.startsWith('impersonate-') || LOWER_REMOTE.includes(lk) || lk.startsWith(LOWER_EXTRA)) continue;
    if (lk === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]}` : raw[i + 1];
      continue;
    }
    out.push(k, raw[i + 1]!);
  }
  out.push('Host', host);
  // httputil.ReverseProxy appends the client's address.
  if (remoteAddress) out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress);
  for (const h of authProxyHeaders(user)) out.push(h);
  return out;
}

function responseHeaders(h: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    if (typeof v === 'string') out.push(k, v);
    else for (const one of v) out.push(k, one);
  }
  return out;
}

/** upstream proxyError (http.Error): a plain-text body and the status. */
export function proxyError(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${text}\n`);
}

/**
 * Forwards `req` to `https://<host>` through `client` (an Agent set up with the APIService's TLS
 * settings) and streams the answer back; `onFailure` hears of a server that could not be reached.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  o: { host: string; client: Dispatcher; user: UserInfo; onFailure?: (message: string) => void },
): void {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) req.resume();
  const headers = proxiedRequestHeaders(req.rawHeaders, o.user, o.host, req.socket.remoteAddress);
  let control: Dispatcher.DispatchController | undefined;
  res.on('close', () => {
    if (!res.writableFinished) control?.abort(new Error('client closed the connection'));
  });
  o.client.dispatch(
    {
      origin: `https://${o.host}`,
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: hasBody ? req : null,
    },
    {
      onRequestStart(controller) {
        control = controller;
      },
      onResponseStart(_controller, status, h, statusMessage) {
        res.writeHead(status, statusMessage ?? '', responseHeaders(h));
        // Watches and other streams: each chunk goes out as it comes.
        res.flushHeaders();
      },
      onResponseData(controller, chunk) {
        if (!res.write(chunk)) {
          controller.pause();
          res.once('drain', () => controller.resume());
        }
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_controller, err) {
        if (res.destroyed) return;
        const text = goTransportError(err, o.host);
        o.onFailure?.(text);
        // upstream's responder: 503 with the transport's error.
        proxyError(res, 503, text);
      },
    },
  );
}
