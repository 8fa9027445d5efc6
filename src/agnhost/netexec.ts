// agnhost netexec: an HTTP (or HTTPS) server with the endpoints of netexec-routes.ts, and a UDP
// server answering `hostname`, `echo <msg>` and `clientip`, as upstream's netexec. SCTP is
// accepted on the command line but not served (Node has no SCTP sockets): a log line says so.
// On SIGTERM /readyz turns 503 and the process exits 0 after --delay-shutdown seconds.
import type { Socket as UDPSocket } from 'node:dgram';
import { createServer as createHTTPServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHTTPSServer } from 'node:https';
import { isIP } from 'node:net';
import { goQuote } from '../apimachinery/go-format.js';
import { intFlag, stringFlag, type FlagValues } from './flags.js';
import { errnoText, listenUDP } from './go-net.js';
import { fromIncoming, GoServeMux, goHostPort, httpError, newRequest, splitTarget } from './go-http.js';
import { netexecRoutes } from './netexec-routes.js';
import { goLog, type AgnhostRuntime } from './runtime.js';
import { loadKeyPair } from './tls.js';
import { defaultUploadDir } from './upload.js';

export const NETEXEC_FLAGS = {
  'http-port': intFlag(8080, 'HTTP Listen Port'),
  'tls-cert-file': stringFlag('', 'File containing an x509 certificate for HTTPS. (CA cert, if any, concatenated after server cert)'),
  'tls-private-key-file': stringFlag('', 'File containing an x509 private key matching --tls-cert-file'),
  'udp-port': intFlag(8081, 'UDP Listen Port'),
  'sctp-port': intFlag(-1, 'SCTP Listen Port'),
  'http-override': stringFlag('', 'Override the HTTP handler to always respond as if it were a GET with this path & params'),
  'udp-listen-addresses': stringFlag('', 'A comma separated list of ip addresses the udp servers listen from'),
  'delay-shutdown': intFlag(0, 'Number of seconds to delay shutdown when receiving SIGTERM.'),
};

export interface NetexecOptions {
  httpPort?: number;
  udpPort?: number;
  sctpPort?: number;
  httpOverride?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  udpListenAddresses?: string;
  delayShutdownSeconds?: number;
  /** The address to listen on; all interfaces (as upstream) when absent. Tests use 127.0.0.1. */
  host?: string;
  runtime: AgnhostRuntime;
  /** The shell of /shell (upstream: /bin/sh). */
  shell?: string;
  /** Where /upload writes (upstream: /uploads). */
  uploadDir?: string;
  /** /dial's HTTP client timeout and UDP read deadline (upstream: 5s). */
  dialTimeoutMs?: number;
}

export interface NetexecServer {
  httpPort: number;
  /** The first UDP server's port; absent with --udp-port=-1. */
  udpPort?: number;
  close(): Promise<void>;
}

export function netexecOptions(f: FlagValues<typeof NETEXEC_FLAGS>, runtime: AgnhostRuntime): NetexecOptions {
  return {
    httpPort: f['http-port'],
    udpPort: f['udp-port'],
    sctpPort: f['sctp-port'],
    httpOverride: f['http-override'],
    tlsCertFile: f['tls-cert-file'],
    tlsPrivateKeyFile: f['tls-private-key-file'],
    udpListenAddresses: f['udp-listen-addresses'],
    delayShutdownSeconds: f['delay-shutdown'],
    runtime,
  };
}

/** Starts the servers; rejects with the text upstream's log.Fatal prints (a port in use, a missing certificate). */
export async function startNetexec(o: NetexecOptions): Promise<NetexecServer> {
  const rt = o.runtime;
  const log = (text: string) => goLog(rt, text);
  const httpPort = o.httpPort ?? 8080;
  const udpPort = o.udpPort ?? 8081;
  const sctpPort = o.sctpPort ?? -1;
  const delay = o.delayShutdownSeconds ?? 0;
  let ready = false;
  let terminating = false;
  const timers = new Set<NodeJS.Timeout>();
  let idle: NodeJS.Timeout | undefined;
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const onTerm = () => {
    if (terminating) return;
    terminating = true;
    if (delay <= 0) return rt.exit(0);
    log(`Sleeping ${delay} seconds before terminating...`);
    later(delay * 1000, () => rt.exit(0));
  };
  rt.signals.on('SIGTERM', onTerm);

  const udpSockets: UDPSocket[] = [];
  let server: Server | undefined;
  const stopAll = async () => {
    rt.signals.off('SIGTERM', onTerm);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    clearInterval(idle);
    for (const s of udpSockets.splice(0)) s.close();
    if (server) {
      const s = server;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };

  try {
    if (udpPort !== -1) {
      const addresses = o.udpListenAddresses ? parseAddresses(o.udpListenAddresses) : [o.host ?? ''];
      for (const address of addresses) {
        const sock = await bindUDP(address, udpPort);
        udpSockets.push(sock);
        serveUDP(sock, rt, log);
        log(`Started UDP server on port ${address} ${udpPort}`);
        // The UDP server serving is what /healthz and /readyz report.
        ready = true;
      }
    }
    if (sctpPort !== -1) log(`SCTP is not supported by tinykube's built-in agnhost: not serving SCTP on port ${sctpPort}`);

    const mux = netexecRoutes({
      log,
      hostname: () => rt.hostname(),
      ready: () => ready,
      terminating: () => terminating,
      exit: (code) => rt.exit(code),
      shutdown: (code, timeoutMs) => shutdown(code, timeoutMs),
      shell: o.shell ?? '/bin/sh',
      uploadDir: o.uploadDir ?? defaultUploadDir(),
      dialTimeoutMs: o.dialTimeoutMs ?? 5000,
    });
    let top = mux;
    if (o.httpOverride) {
      // Every request is served as a GET of the override path and query, with no headers or body of its own.
      const override = o.httpOverride;
      top = new GoServeMux();
      top.handle('/', (_req, res) => {
        const req = newRequest('GET', override);
        if (!req) return httpError(res, `override request failed: parse ${goQuote(override)}: invalid URL escape`, 500);
        return mux.serve(req, res);
      });
    }
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const target = splitTarget(req.url ?? '/');
      if (!target) {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end('400 Bad Request');
        return;
      }
      const goReq = fromIncoming(req, target);
      Promise.resolve(top.serve(goReq, res)).catch((e: Error) => {
        log(`http: panic serving ${goReq.remoteAddr}: ${e.message}`);
        res.socket?.destroy();
      });
    };
    log(`Started HTTP server on port ${httpPort}`);
    // Go's default limit on a request's header (and so on /echo's msg in the URL) is 1 MB.
    const limits = { maxHeaderSize: (1 << 20) + 4096 };
    server = o.tlsCertFile
      ? createHTTPSServer({ ...limits, ...loadKeyPair(o.tlsCertFile, o.tlsPrivateKeyFile ?? '') }, handler)
      : createHTTPServer(limits, handler);
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', (e) => reject(new Error(`listen tcp ${goHostPort(o.host ?? '', httpPort)}: bind: ${errnoText(e)}`)));
      s.listen({ port: httpPort, host: o.host }, () => resolve());
    });
    s.on('error', (e) => log(`http: Accept error: ${errnoText(e)}`));
  } catch (e) {
    await stopAll();
    throw e;
  }

  const shutdown = (code: number, timeoutMs: number) => {
    const s = server;
    if (!s) return rt.exit(code);
    let done = false;
    const finish = (result: string) => {
      if (done) return;
      done = true;
      clearInterval(idle);
      log(`Graceful shutdown completed with: ${result}`);
      rt.exit(code);
    };
    // http.Server.Shutdown: no new connections, each open one closed once it is idle, up to the timeout.
    idle = setInterval(() => s.closeIdleConnections(), 50);
    s.close(() => finish('<nil>'));
    s.closeIdleConnections();
    later(Math.max(0, timeoutMs), () => finish('context deadline exceeded'));
  };

  const address = server!.address();
  return {
    httpPort: typeof address === 'object' && address ? address.port : httpPort,
    ...(udpSockets[0] ? { udpPort: udpSockets[0].address().port } : {}),
    close: stopAll,
  };
}

/** --udp-listen-addresses: IP addresses (IPv4 with leading zeros too, as ParseIPSloppy), sorted and without repeats. */
export function parseAddresses(list: string): string[] {
  const out = new Set<string>();
  for (const address of list.split(',')) {
    const sloppy = /^\d+(\.\d+){3}$/.test(address) ? address.replace(/\b0+(\d)/g, '$1') : address;
    if (!isIP(sloppy) || sloppy.includes('%')) throw new Error(`parseAddress: invalid address ${address}`);
    out.add(sloppy);
  }
  return [...out].sort();
}

/** net.ListenUDP, failing with upstream's log.Fatal text. */
function bindUDP(address: string, port: number): Promise<UDPSocket> {
  return listenUDP(address, port).catch((e) => {
    const where = goHostPort(address, port);
    throw new Error(`Error occurred: failed to create listener for UDP address ${where}:listen udp ${where}: bind: ${errnoText(e)}`);
  });
}

/** The UDP commands: the text trimmed and lower-cased, as upstream reads it (so an echo comes back lower-case). */
function serveUDP(sock: UDPSocket, rt: AgnhostRuntime, log: (text: string) => void): void {
  const reply = (text: string, to: { address: string; port: number }, what: string) =>
    sock.send(Buffer.from(text), to.port, to.address, (err) => {
      if (err) {
        log(`Error occurred: failed to ${what} UDP client ${goHostPort(to.address, to.port)}:${errnoText(err)}`);
        rt.exit(1);
      }
    });
  sock.on('message', (msg, from) => {
    const received = msg.subarray(0, 2048).toString('utf8').trim().toLowerCase();
    const client = goHostPort(from.address, from.port);
    if (received === 'hostname') {
      log('Sending udp hostName response');
      const name = rt.hostname();
      log(`hostname: ${name}`);
      reply(name, from, 'write hostname to');
    } else if (received.startsWith('echo ')) {
      const resp = received.slice('echo '.length);
      log(`Echoing ${resp} to UDP client ${client}\n`);
      reply(resp, from, 'echo to');
    } else if (received === 'clientip') {
      log(`Sending clientip back to UDP client ${client}\n`);
      reply(client, from, 'write clientip to');
    } else if (received.length > 0) {
      log(`Unknown UDP command received from ${client}: ${received}\n`);
    }
  });
  sock.on('error', (e) => {
    log(`Error occurred: failed accepting UDP connections:${errnoText(e)}`);
    rt.exit(1);
  });
}
