// kube-proxy's two HTTP health answers (pkg/proxy/healthcheck):
// - service_health.go: on a LoadBalancer Service's healthCheckNodePort (externalTrafficPolicy
//   Local), any path: 200 when this node has Ready local endpoints and the proxy is healthy, else
//   503, with the same JSON body (tab-indented, no trailing newline) and headers, so cloud load
//   balancer checks written against kube-proxy read it unchanged;
// - proxier_health.go: /healthz and /livez on --healthz-bind-address: healthy while no update
//   has waited longer than the health timeout to be applied; /healthz also needs the Node to be
//   eligible (not being deleted, not tainted ToBeDeletedByClusterAutoscaler).
import http from 'node:http';
import type { NodeObj } from '../registry/node.js';
import type { Closable } from './tcp.js';

/** The service health body exactly as kube-proxy writes it. */
export function serviceHealthBody(namespace: string, name: string, localEndpoints: number, proxyHealthy: boolean): string {
  return [
    '{',
    '\t"service": {',
    `\t\t"namespace": ${JSON.stringify(namespace)},`,
    `\t\t"name": ${JSON.stringify(name)}`,
    '\t},',
    `\t"localEndpoints": ${localEndpoints},`,
    `\t"serviceProxyHealthy": ${proxyHealthy}`,
    '}',
  ].join('\n');
}

export interface ServiceHealthAnswer {
  namespace: string;
  name: string;
  localEndpoints: number;
  proxyHealthy: boolean;
}

function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', () => undefined);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closeHttp(server: http.Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' };

/** The health check node port of one Service on one address. answer() is read per request. */
export async function openServiceHealthListener(
  address: string,
  port: number,
  answer: () => ServiceHealthAnswer | undefined,
): Promise<Closable> {
  const server = http.createServer((req, res) => {
    const a = answer();
    // upstream answers nothing for a Service it no longer serves.
    if (!a) {
      res.destroy();
      return;
    }
    res.writeHead(a.localEndpoints !== 0 && a.proxyHealthy ? 200 : 503, JSON_HEADERS);
    res.end(serviceHealthBody(a.namespace, a.name, a.localEndpoints, a.proxyHealthy));
  });
  server.keepAliveTimeout = 5_000;
  await listenHttp(server, address, port);
  return { close: () => closeHttp(server) };
}

/** Time as Go's time.Time String() prints it (UTC, fraction without trailing zeros, monotonic reading). */
export function goTime(wallMs: number | undefined, monoMs?: number): string {
  if (wallMs === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(wallMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  const base = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac} +0000 UTC`;
  if (monoMs === undefined) return base;
  const ns = Math.round(monoMs * 1e6);
  return `${base} m=+${Math.floor(ns / 1e9)}.${p(ns % 1e9, 9)}`;
}

/** upstream: 2 × the 30 s sync period before /healthz reports a stuck proxy. */
export const HEALTH_TIMEOUT_MS = 60_000;

/**
 * The proxier's update clock (upstream ProxyHealthServer QueuedUpdate/Updated): the proxy is
 * unhealthy while a change has waited longer than the health timeout to be applied.
 */
export interface UpdateClock {
  /** When the oldest change not applied yet came (performance.now()); undefined when none waits. */
  oldestPending?: number;
  /** When the last update was applied (wall clock ms, monotonic ms), undefined before the first. */
  lastUpdated?: { wall: number; mono: number };
}

/** A change waits to be applied (the first one since the last update starts the clock). */
export function queuedUpdate(c: UpdateClock, now = performance.now()): void {
  c.oldestPending ??= now;
}

/** Every change seen so far is applied. */
export function updated(c: UpdateClock, wall = Date.now(), mono = performance.now()): void {
  c.oldestPending = undefined;
  c.lastUpdated = { wall, mono };
}

export function proxierHealthy(c: UpdateClock, now = performance.now(), timeoutMs = HEALTH_TIMEOUT_MS): boolean {
  return c.oldestPending === undefined || now - c.oldestPending < timeoutMs;
}

/** upstream's nodeEligible: a Node being deleted or tainted for deletion by the autoscaler fails /healthz. */
export function nodeEligible(node: NodeObj | undefined): boolean {
  if (!node) return true;
  const taints = node.spec?.taints ?? [];
  return !node.metadata.deletionTimestamp && !taints.some((t) => t.key === 'ToBeDeletedByClusterAutoscaler');
}

export interface ProxierHealth {
  healthy: boolean;
  /** When the last update was applied (wall clock ms, monotonic ms), undefined before the first. */
  lastUpdated?: { wall: number; mono: number };
  nodeEligible: boolean;
}

export interface HealthzServer extends Closable {
  port: number;
}

/** /healthz and /livez on HOST:PORT (port 0 picks one). */
export async function startHealthzServer(host: string, port: number, state: () => ProxierHealth): Promise<HealthzServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('404 page not found\n');
      return;
    }
    const s = state();
    const wall = Date.now();
    const mono = performance.now();
    const healthy = path === '/healthz' ? s.healthy && s.nodeEligible : s.healthy;
    // A healthy answer reports the current time as lastUpdated (upstream keeps that for
    // compatibility with the old meaning "last sync loop run").
    const last = healthy ? goTime(wall, mono) : goTime(s.lastUpdated?.wall, s.lastUpdated?.mono);
    const now = goTime(wall, mono);
    res.writeHead(healthy ? 200 : 503, JSON_HEADERS);
    res.end(
      path === '/healthz'
        ? `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(now)}, "nodeEligible": ${s.nodeEligible}}`
        : `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(now)}}`,
    );
  });
  const actual = await listenHttp(server, host, port);
  return { port: actual, close: () => closeHttp(server) };
}
