// Small helpers shared by the benchmark scripts.
import { createServer } from 'node:net';
import { Agent, Pool, request } from 'undici';

/** The p-th percentile (nearest rank) of xs. */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A small API client for the benches: `call` for JSON requests, `watch` for watch streams.
 * `clock` stamps each watch event as its bytes arrive (performance.now() by default).
 */
export function apiClient({ server, ca, token }, { connections = 64, clock = () => performance.now() } = {}) {
  const agent = new Agent({ connect: { ca }, connections });
  const headers = { authorization: `Bearer ${token}` };
  async function call(method, path, body, type = 'application/json') {
    const res = await request(server + path, {
      method,
      dispatcher: agent,
      headers: body ? { ...headers, 'content-type': type } : headers,
      body: body && JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  }
  /** Calls fn(event, time) for each watch event; `open` resolves when the watch is established. */
  function watch(path, fn) {
    const ac = new AbortController();
    let opened;
    const open = new Promise((r) => (opened = r));
    const done = (async () => {
      const res = await request(`${server}${path}${path.includes('?') ? '&' : '?'}watch=true&allowWatchBookmarks=false`, {
        dispatcher: agent,
        headers,
        signal: ac.signal,
      });
      opened();
      let buf = '';
      try {
        for await (const chunk of res.body) {
          const t = clock();
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line) fn(JSON.parse(line), t);
          }
        }
      } catch {
        /* aborted */
      }
    })();
    return { open, stop: async () => (ac.abort(), done) };
  }
  return { call, watch, close: () => agent.close() };
}

/** Polls url (TLS unchecked) until it answers 200; ms since t0. Fails if the process p exits first. */
export async function waitReady(url, t0, p) {
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    for (;;) {
      if (p.exitCode !== null) throw new Error(`${p.spawnargs.join(' ')} exited with ${p.exitCode} before ${url} was ready`);
      try {
        const r = await request(url, { dispatcher: agent });
        await r.body.text();
        if (r.statusCode === 200) return performance.now() - t0;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await agent.close();
  }
}

/**
 * `clientCount` keep-alive clients creating Services back to back until stop(), which returns the
 * creates/s: the busy API of the data-plane figures (dns.mjs, proxy.mjs). Headless, so that the
 * runs never exhaust the service CIDR; each has a selector, so the EndpointSlice controller writes
 * too. Resolves `started` after the first 100 creates.
 */
export function serviceFlood(tk, prefix, clientCount = 16) {
  const pool = new Pool(tk.server, { connections: clientCount, pipelining: 1, connect: { ca: tk.ca } });
  let stopping = false;
  let n = 0;
  let done = 0;
  let failed = 0;
  let onStarted;
  const started = new Promise((r) => (onStarted = r));
  const t0 = performance.now();
  const clients = Array.from({ length: clientCount }, async () => {
    while (!stopping) {
      const i = n++;
      const r = await pool.request({
        path: '/api/v1/namespaces/default/services',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tk.token}` },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `${prefix}-${i}`, labels: { app: 'bench' } },
          spec: { clusterIP: 'None', selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        }),
      });
      await r.body.text();
      if (r.statusCode !== 201) failed++;
      if (++done === 100) onStarted();
    }
  });
  return {
    started,
    async stop() {
      stopping = true;
      await Promise.all(clients);
      const s = (performance.now() - t0) / 1000;
      await pool.close();
      if (failed) console.log(`  (${failed} creates failed)`);
      return done / s;
    },
  };
}
