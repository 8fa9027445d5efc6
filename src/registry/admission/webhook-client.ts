// The HTTPS client the dispatchers POST AdmissionReviews with, after upstream's
// k8s.io/apiserver/pkg/util/webhook/client.go (HookClient: a URL as given, a service reference as
// https://<name>.<namespace>.svc:<port><path> dialled at the address the service resolver gives
// and verified against that name; only the webhook's caBundle is trusted when it has one;
// HTTP/1.1) and client-go's rest client (the `?timeout=` parameter, the url.Error texts
// `Post "<url>": <cause>`). Connections are kept alive in an agent per CA bundle (an LRU of 200,
// as upstream caches its clients); a hard deadline covers the whole exchange, so no call hangs.
import { Agent, request, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Service } from '../../api/generated/core/v1.js';
import type { WebhookClientConfig } from '../../api/generated/admissionregistration/v1.js';
import { parseGoURL } from '../admissionregistration/webhook-client.js';
import { goQuote } from './go-text.js';
import type { WebhookHTTPResponse } from './review.js';

/**
 * Where a service reference's requests go: `host:port` (the Service's ClusterIP and port), or a
 * throw whose message is the dial error (upstream's ClusterIP resolver: `service "x" not found`).
 */
export type ServiceResolver = (namespace: string, name: string, port: number) => string | Promise<string>;

/** The client for one webhook's clientConfig, or the text of why there is none. */
export interface WebhookEndpoint {
  /** The request URL without its query, as the errors print it. */
  url: string;
  /** The Host header and TLS server name. */
  host: string;
  serverName: string;
  /** The address to dial: fixed for a URL, resolved per connection for a service. */
  dial: () => Promise<{ host: string; port: number }>;
  path: string;
  /** The PEM bundle to trust instead of the system's roots. */
  ca?: string;
}

/** path.Join("/", p): cleaned, rooted, no trailing slash. */
function joinRooted(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** The path of a validated https URL (what url.Parse puts in u.Path, left escaped). */
function urlPath(raw: string): string {
  const afterScheme = raw.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '');
  const slash = afterScheme.search(/[/?#]/);
  if (slash < 0 || afterScheme[slash] !== '/') return '';
  return afterScheme.slice(slash).split(/[?#]/)[0]!;
}

/** net.SplitHostPort of a URL host, with 443 when it has no port. */
function hostAndPort(host: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\](?::(\d*))?$/.exec(host);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 443 };
  const i = host.lastIndexOf(':');
  if (i >= 0 && /^\d*$/.test(host.slice(i + 1))) return { host: host.slice(0, i), port: Number(host.slice(i + 1)) || 443 };
  return { host, port: 443 };
}

/** client.go's rootCertPool check: the bundle must hold at least one PEM certificate. */
function caFrom(bundle: string | undefined): { ca?: string } | { error: string } {
  if (!bundle) return {};
  const pem = Buffer.from(bundle, 'base64').toString('latin1');
  if (!/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.test(pem))
    return { error: 'unable to load root certificates: unable to parse bytes as PEM block' };
  return { ca: pem };
}

/** HookClient: the endpoint of a clientConfig, or the error text of GetRESTClient. */
export function webhookEndpoint(
  cc: WebhookClientConfig,
  webhookName: string,
  resolve: ServiceResolver,
): WebhookEndpoint | { error: string } {
  const ca = caFrom(cc.caBundle);
  if ('error' in ca) return ca;
  if (cc.service) {
    const port = cc.service.port || 443;
    const serverName = `${cc.service.name}.${cc.service.namespace}.svc`;
    const host = `${serverName}:${port}`;
    const path = joinRooted(cc.service.path ?? '');
    const { name, namespace } = cc.service;
    const dial = async () => hostAndPort(await resolve(namespace, name, port));
    return { url: `https://${host}${path}`, host, serverName, dial, path, ca: ca.ca };
  }
  if (!cc.url) return { error: `failed calling webhook ${goQuote(webhookName)}: webhook configuration must have either service or URL` };
  const u = parseGoURL(cc.url);
  if ('error' in u) return { error: `failed calling webhook ${goQuote(webhookName)}: Unparsable URL: ${u.error}` };
  const path = joinRooted(urlPath(cc.url));
  const target = hostAndPort(u.host);
  return {
    url: `${u.scheme}://${u.host}${path}`,
    host: u.host,
    serverName: target.host,
    dial: async () => target,
    path,
    ca: ca.ca,
  };
}

/**
 * ResolveCluster, upstream's ClusterIP service resolver (the API server's default), on a Service
 * looked up by the caller: `host:port` of its ClusterIP and the port asked for, or a throw with
 * upstream's text.
 */
export function clusterIPEndpoint(svc: Service | undefined, name: string, port: number): string {
  if (!svc) throw new Error(`service ${goQuote(name)} not found`);
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  const join = (h: string, p: number) => (isIP(h) === 6 ? `[${h}]:${p}` : `${h}:${p}`);
  if (type === 'ClusterIP' && spec.clusterIP === 'None') throw new Error('cannot route to service with ClusterIP "None"');
  if (type === 'ClusterIP' || type === 'LoadBalancer' || type === 'NodePort') {
    if (!(spec.ports ?? []).some((p) => p.port === port))
      throw new Error(`no service port ${port} found for service ${goQuote(svc.metadata?.name ?? name)}`);
    return join(spec.clusterIP ?? '', port);
  }
  if (type === 'ExternalName') return join(spec.externalName ?? '', port);
  throw new Error(`unsupported service type ${goQuote(type)}`);
}

/** Go's net.JoinHostPort. */
const joinHostPort = (host: string, port: number | string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The errno texts Go's syscall package gives the dial and read errors seen here. */
const ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPIPE: 'broken pipe',
};

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

interface NodeError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  rawPacket?: Buffer;
  cert?: { subjectaltname?: string };
}

/** x509.HostnameError's text, from the certificate's SANs. */
function hostnameErrorText(host: string, cert: NodeError['cert']): string {
  const sans = (cert?.subjectaltname ?? '').split(', ').filter(Boolean);
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length));
  if (isIP(host)) {
    if (!ips.length) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  if (!dns.length) return 'x509: certificate is not valid for any names, but wanted to match ' + host;
  return `x509: certificate is valid for ${dns.join(', ')}, not ${host}`;
}

/** A Node error as Go's http client words the same failure (the part after `Post "<url>": `). */
function goTransportError(e: NodeError, dialed: string, serverName: string, local: string | undefined): string {
  const code = e.code ?? '';
  // Go names the address it dialled (a host name's resolved one).
  if (e.syscall === 'connect' && ERRNO[code])
    return `dial tcp ${e.address ? joinHostPort(e.address, e.port ?? 0) : dialed}: connect: ${ERRNO[code]}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `dial tcp: lookup ${e.hostname ?? dialed}: no such host`;
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: ${hostnameErrorText(serverName, e.cert)}`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(e.message))
    return 'http: server gave HTTP response to HTTPS client';
  if (code.startsWith('HPE_')) {
    const line = (e.rawPacket?.toString('latin1') ?? '').split('\r\n')[0]!;
    return `net/http: HTTP/1.x transport connection broken: malformed HTTP response ${goQuote(line)}`;
  }
  // Closed before an answer began, or in the middle of its body.
  if (code === 'ECONNRESET' && e.message === 'socket hang up') return 'EOF';
  if (code === 'ECONNRESET' && e.message === 'aborted') return 'unexpected EOF';
  if (ERRNO[code]) return `read tcp ${local ?? '127.0.0.1:0'}->${dialed}: read: ${ERRNO[code]}`;
  return e.message;
}

/** An agent per CA bundle (the system's roots under ''), least recently used dropped past 200. */
export class AgentCache {
  private readonly agents = new Map<string, Agent>();
  constructor(private readonly max = 200) {}

  get(ca: string | undefined): Agent {
    const key = ca ?? '';
    let agent = this.agents.get(key);
    if (agent) {
      this.agents.delete(key);
    } else {
      // Go's transport keeps idle connections 90 s; Node servers close theirs after 5 s anyway.
      agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, ...(ca ? { ca } : {}) });
      if (this.agents.size >= this.max) {
        const [oldest, old] = this.agents.entries().next().value as [string, Agent];
        this.agents.delete(oldest);
        old.destroy();
      }
    }
    this.agents.set(key, agent);
    return agent;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** A failed call: the rest client's error text (`Post "<url>": <cause>`). */
export class WebhookTransportError extends Error {}

/**
 * POSTs one AdmissionReview and reads the answer, within `timeoutSeconds` from now (dialling,
 * TLS, writing and reading all count). Rejects with WebhookTransportError carrying Go's text.
 */
export async function postReview(
  endpoint: WebhookEndpoint,
  body: string,
  timeoutSeconds: number,
  agents: AgentCache,
): Promise<WebhookHTTPResponse> {
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  const url = `${endpoint.url}?timeout=${timeoutSeconds}s`;
  const fail = (cause: string) => new WebhookTransportError(`Post ${goQuote(url)}: ${cause}`);
  let target: { host: string; port: number };
  try {
    target = await endpoint.dial();
  } catch (e) {
    throw fail((e as Error).message);
  }
  const dialed = joinHostPort(target.host, target.port);
  const agent = agents.get(endpoint.ca);
  const payload = Buffer.from(body);
  const options: RequestOptions = {
    agent,
    host: target.host,
    port: target.port,
    method: 'POST',
    path: `${endpoint.path}?timeout=${timeoutSeconds}s`,
    // An IP address is not a TLS server name (RFC 6066); Node still checks the certificate's IP SANs.
    servername: isIP(endpoint.serverName) ? '' : endpoint.serverName,
    headers: {
      host: endpoint.host,
      'content-type': 'application/json',
      accept: 'application/json, */*',
      'user-agent': 'kube-apiserver-admission',
      'content-length': payload.length,
    },
  };

  const attempt = (retry: boolean): Promise<WebhookHTTPResponse> =>
    new Promise((resolve, reject) => {
      let local: string | undefined;
      let connected = false;
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          settle(() =>
            resolve({
              statusCode: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              retryAfter: res.headers['retry-after'] as string | undefined,
              body: Buffer.concat(chunks),
            }),
          ),
        );
        res.on('error', (e: NodeError) => settle(() => reject(fail(goTransportError(e, dialed, endpoint.serverName, local)))));
      });
      const timer = setTimeout(
        () => {
          // Still dialling: net's mapped context error; afterwards the context's own.
          const cause = connected ? 'context deadline exceeded' : `dial tcp ${dialed}: i/o timeout`;
          settle(() => reject(fail(cause)));
          req.destroy();
        },
        Math.max(0, deadline - Date.now()),
      );
      req.on('socket', (s: Socket) => {
        const note = () => {
          connected = true;
          local = s.localAddress ? joinHostPort(s.localAddress, s.localPort ?? 0) : undefined;
        };
        if (req.reusedSocket) note();
        else s.once('connect', note);
      });
      req.on('error', (e: NodeError) => {
        // A kept-alive connection the server closed meanwhile: Go's transport retries on a new one.
        if (retry && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          settle(() => resolve(attempt(false)));
          return;
        }
        settle(() => reject(fail(goTransportError(e, dialed, endpoint.serverName, local))));
      });
      req.end(payload);
    });
  return attempt(true);
}
