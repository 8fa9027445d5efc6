// Container probes as the kubelet runs them (pkg/kubelet/prober): exec, httpGet (node:http) and
// tcpSocket, every timing field honoured (initialDelaySeconds, periodSeconds, timeoutSeconds,
// successThreshold, failureThreshold). A prober reports transitions; the runtime decides what
// they mean (restart on liveness failure, Ready on readiness, gating on startup).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { ContainerPort, Probe } from '../api/generated/core/v1.js';
import type { IntOrString } from '../api/generated/intstr.js';

export interface ProbeTarget {
  podIP: string;
  /** The container's ports: a named port of a handler is looked up here. */
  ports: ContainerPort[];
  env: Record<string, string>;
  cwd: string;
  /** Puts an exec command inside the container's namespaces (then `cwd` is a host directory). */
  wrap?: (argv: string[]) => string[] | undefined;
}

export type ProbeResult = { ok: boolean; message: string };

/** Go's net package wording for a failed dial or read, as probe messages and events show it. */
function goNetError(e: unknown, hostPort: string): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`;
    case 'EADDRNOTAVAIL':
      return `dial tcp ${hostPort}: connect: cannot assign requested address`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, '')}: no such host`;
    case 'ECONNRESET':
      // Node's `socket hang up`: the server closed the connection before answering (Go: EOF).
      if (err.message === 'socket hang up') return 'EOF';
      return `read tcp ${hostPort}: read: connection reset by peer`;
    default:
      return err.message;
  }
}

const isTimeout = (e: unknown) => {
  const n = (e as Error).name;
  const c = (e as NodeJS.ErrnoException).code;
  return n === 'TimeoutError' || c === 'ETIMEDOUT';
};

/**
 * One probe GET (upstream pkg/probe/http): a connection of its own (keep-alives off), HTTPS without
 * certificate verification (InsecureSkipVerify), the whole exchange within timeoutMs; the status.
 * node:http rather than undici: a megabyte of library source the bundle would keep in memory.
 */
function httpGet(url: string, tls: boolean, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(url, { headers, agent: false, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      res.resume();
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('probe timed out'), { name: 'TimeoutError' })), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

function resolvePort(port: IntOrString, t: ProbeTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return t.ports.find((p) => p.name === port)?.containerPort;
}

/** One probe attempt. */
export async function runProbe(p: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(p.timeoutSeconds ?? 1, 1) * 1000;
  if (p.exec) {
    const argv = p.exec.command ?? [];
    if (!argv.length) return { ok: false, message: 'exec probe without a command' };
    const full = t.wrap?.(argv) ?? argv;
    return new Promise((resolve) => {
      let out = '';
      const child = spawn(full[0]!, full.slice(1), { cwd: t.cwd, env: t.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        resolve({ ok: false, message: `command ${JSON.stringify(argv.join(' '))} timed out` });
      }, timeoutMs);
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (out += d));
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, message: e.message });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, message: out.slice(0, 1024) });
      });
    });
  }
  if (p.httpGet) {
    const port = resolvePort(p.httpGet.port, t);
    if (!port) return { ok: false, message: `unknown port ${p.httpGet.port}` };
    const host = p.httpGet.host || t.podIP;
    const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
    const path = p.httpGet.path ?? '/';
    const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const url = `${scheme}://${hostPort}${path.startsWith('/') ? path : `/${path}`}`;
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
    for (const h of p.httpGet.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    try {
      const status = await httpGet(url, scheme === 'https', headers, timeoutMs);
      if (status >= 200 && status < 400) return { ok: true, message: '' };
      return { ok: false, message: `HTTP probe failed with statuscode: ${status}` };
    } catch (e) {
      // Go's http.Client: `Get "<url>": <cause>`, with its own text for the client timeout.
      const why = isTimeout(e) ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : goNetError(e, hostPort);
      return { ok: false, message: `Get "${url}": ${why}` };
    }
  }
  if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, t);
    if (!port) return { ok: false, message: `unknown port ${p.tcpSocket.port}` };
    const host = p.tcpSocket.host || t.podIP;
    return new Promise((resolve) => {
      const s = connect({ host, port, timeout: timeoutMs });
      s.on('connect', () => {
        s.destroy();
        resolve({ ok: true, message: '' });
      });
      s.on('timeout', () => {
        s.destroy();
        resolve({ ok: false, message: `dial tcp ${host.includes(':') ? `[${host}]` : host}:${port}: i/o timeout` });
      });
      s.on('error', (e) => resolve({ ok: false, message: goNetError(e, `${host.includes(':') ? `[${host}]` : host}:${port}`) }));
    });
  }
  return { ok: false, message: 'probe has no supported handler (grpc probes are not supported here)' };
}

/**
 * Runs a probe periodically. `onChange(ok)` fires when the thresholds flip the result
 * (successThreshold successes in a row, failureThreshold failures in a row); `onFailure` fires on
 * every failed attempt (the kubelet records an Unhealthy event for each).
 */
export function startProber(
  p: Probe,
  target: () => ProbeTarget,
  on: { change(ok: boolean, message: string): void; failure(message: string): void },
): { stop(): void } {
  const period = Math.max(p.periodSeconds ?? 10, 1) * 1000;
  const successThreshold = Math.max(p.successThreshold ?? 1, 1);
  const failureThreshold = Math.max(p.failureThreshold ?? 3, 1);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let successes = 0;
  let failures = 0;
  let state: boolean | undefined;
  const tick = async () => {
    if (stopped) return;
    const r = await runProbe(p, target());
    if (stopped) return;
    if (r.ok) {
      successes++;
      failures = 0;
      if (successes >= successThreshold && state !== true) {
        state = true;
        on.change(true, r.message);
      }
    } else {
      failures++;
      successes = 0;
      on.failure(r.message);
      if (failures >= failureThreshold && state !== false) {
        state = false;
        on.change(false, r.message);
      }
    }
    if (!stopped) timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, Math.max(p.initialDelaySeconds ?? 0, 0) * 1000);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
