// Load generator of the proxy benchmark (proxy.mjs), run as a child process (fork) so the clients
// never share an event loop with the bench orchestration or with tinykube. Commands arrive as IPC
// messages { id, cmd, ...args }; each answer is { id, ...result }. Times that the parent compares
// with its own clock are epoch milliseconds with sub-millisecond precision (timeOrigin + now()).
// Everything connects to loopback only.
import net from 'node:net';
import tls from 'node:tls';

const KIB = Buffer.alloc(1024, 97);
const BLOCK = Buffer.alloc(256 * 1024, 120);
const epoch = () => performance.timeOrigin + performance.now();

/**
 * A client connection; with `secure`, TLS 1.3 with kubectl's cipher (AES-128-GCM: Go's choice on
 * a CPU with AES instructions), the server's certificate not checked (loopback, the bench's own).
 * `onOpen` runs once it can carry data.
 */
function dial(host, port, secure, opts, onOpen) {
  if (!secure) {
    const s = net.connect({ host, port, noDelay: true, ...opts });
    s.once('connect', onOpen);
    return s;
  }
  const s = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ...opts });
  s.setNoDelay(true);
  s.once('secureConnect', onOpen);
  return s;
}

/**
 * Sends `bytes` to the sink port and waits for its byte count; MiB/s. `pieces` (sizes, cycled)
 * cuts the bytes into writes of those sizes: over TLS each write is a record of its own, so
 * [10, 10, 14, 16384, 16384] sends the records kubectl port-forward sends per 32 KiB frame.
 */
function bulkUp({ host, port, bytes, secure, pieces }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let left = bytes;
    let answer = '';
    let k = 0;
    const s = dial(host, port, secure, { allowHalfOpen: true }, () => pump());
    const pump = () => {
      while (left > 0) {
        const want = pieces ? pieces[k++ % pieces.length] : BLOCK.length;
        const n = Math.min(left, want);
        left -= n;
        if (!s.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    s.on('data', (d) => (answer += d));
    s.on('error', reject);
    s.on('end', () => {
      const ms = performance.now() - t0;
      s.destroy();
      if (Number(answer) !== bytes) reject(new Error(`sink counted ${answer}, sent ${bytes}`));
      else resolve({ mibps: bytes / 2 ** 20 / (ms / 1000) });
    });
  });
}

/** Asks the source port for `bytes` and reads them to the end; MiB/s. */
function bulkDown({ host, port, bytes, secure }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = 0;
    const s = dial(host, port, secure, {}, () => s.write(`${bytes}\n`));
    s.on('data', (d) => (got += d.length));
    s.on('error', reject);
    s.on('close', () => {
      const ms = performance.now() - t0;
      if (got !== bytes) reject(new Error(`got ${got} of ${bytes} bytes`));
      else resolve({ mibps: bytes / 2 ** 20 / (ms / 1000) });
    });
  });
}

/** One connection: connect, 1 KiB out, 1 KiB back, FIN, wait for the close. true when complete. */
function oneExchange(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, noDelay: true, timeout: 5000 });
    s.on('timeout', () => s.destroy());
    let got = 0;
    let ok = false;
    s.once('connect', () => s.write(KIB));
    s.on('data', (d) => {
      got += d.length;
      if (got >= KIB.length && !ok) {
        ok = true;
        s.end();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(ok));
  });
}

/** `clients` concurrent loops of oneExchange for `ms`; connections/s and failures. */
async function connRate({ host, port, clients, ms }) {
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        if (await oneExchange(host, port)) done++;
        else failed++;
      }
    }),
  );
  return { rate: done / ((performance.now() - t0) / 1000), done, failed };
}

/** A persistent connection that sends 1 KiB and resolves when 1 KiB is back (echo port). */
function pingPong(host, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true });
    let got = 0;
    let waiter;
    s.on('data', (d) => {
      got += d.length;
      if (got >= KIB.length) {
        got -= KIB.length;
        const w = waiter;
        waiter = undefined;
        w?.();
      }
    });
    s.on('error', reject);
    s.once('connect', () =>
      resolve({
        rtt: () =>
          new Promise((r) => {
            const t0 = process.hrtime.bigint();
            waiter = () => r(Number(process.hrtime.bigint() - t0) / 1e6);
            s.write(KIB);
          }),
        close: () => s.destroy(),
      }),
    );
  });
}

/**
 * Round trips on one persistent connection per target, the targets taken in turn so that any
 * disturbance from other work on the machine hits them alike; per target the RTTs in ms.
 */
async function latency({ targets, samples, warmup }) {
  const conns = await Promise.all(targets.map((t) => pingPong(t.host, t.port)));
  const out = targets.map(() => []);
  for (let i = 0; i < warmup + samples; i++) {
    for (let k = 0; k < conns.length; k++) {
      const ms = await conns[k].rtt();
      if (i >= warmup) out[k].push(ms);
    }
  }
  for (const c of conns) c.close();
  return { rtts: out };
}

/** Waits until host:port answers an echo; for the bench to know a route works. */
async function waitEcho({ host, port, timeoutMs }) {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await oneExchange(host, port)) return { ok: true };
    await new Promise((r) => setTimeout(r, 5));
  }
  return { ok: false };
}

// ---- readiness → first proxied connection ----
// A stand-in for a Pod's server on its (loopback) Pod IP: answers each connection with the Pod's
// name. The prober connects to the Service over and over (each attempt after the previous one
// failed) and notes the first moment a reply names that Pod.
const standIns = new Map();
let probing;

function startStandIn({ ip, port, name }) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end(name);
    });
    srv.once('error', reject);
    srv.listen({ host: ip, port, backlog: 1024 }, () => {
      standIns.set(name, srv);
      resolve({ ok: true });
    });
  });
}

function stopStandIn({ name }) {
  return new Promise((resolve) => {
    const srv = standIns.get(name);
    standIns.delete(name);
    if (!srv) return resolve({ ok: true });
    srv.close(() => resolve({ ok: true }));
  });
}

function attempt(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 });
    s.on('timeout', () => s.destroy());
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(text));
  });
}

/** Starts probing; the answer comes at once, the result with `probeResult`. */
function startProbe({ host, port, expect, timeoutMs }) {
  let attempts = 0;
  probing = (async () => {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      attempts++;
      const text = await attempt(host, port);
      if (text === expect) return { at: epoch(), attempts };
    }
    return { at: undefined, attempts };
  })();
  return { ok: true };
}

const probeResult = () => probing;

const commands = { bulkUp, bulkDown, connRate, latency, waitEcho, startStandIn, stopStandIn, startProbe, probeResult };

process.on('message', async (m) => {
  try {
    const r = await commands[m.cmd](m);
    process.send({ id: m.id, ...r });
  } catch (err) {
    process.send({ id: m.id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
