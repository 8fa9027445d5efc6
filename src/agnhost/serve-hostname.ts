// agnhost serve-hostname: the hostname over HTTP (any path; --close adds `Connection: close`),
// or raw over TCP (written, then the connection closed) and UDP (a datagram back for each one
// received), on --port (9376), as upstream's. HTTP cannot be combined with TCP or UDP, and HTTP is
// on by default, so raw modes need --http=false. On SIGTERM it keeps serving for 60 seconds
// ("Awaiting pod deletion"), then exits 0.
import type { Socket as UDPSocket } from 'node:dgram';
import { createServer as createHTTPServer, type Server as HTTPServer } from 'node:http';
import { createServer as createTCPServer, type Server as TCPServer } from 'node:net';
import { boolFlag, intFlag, type FlagValues } from './flags.js';
import { errnoText, listenUDP } from './go-net.js';
import { goHostPort, goRemoteAddr } from './go-http.js';
import { goLog, type AgnhostRuntime } from './runtime.js';

export const SERVE_HOSTNAME_FLAGS = {
  tcp: boolFlag(false, 'Serve raw over TCP.'),
  udp: boolFlag(false, 'Serve raw over UDP.'),
  http: boolFlag(true, 'Serve HTTP.'),
  close: boolFlag(false, 'Close connection per each HTTP request.'),
  port: intFlag(9376, 'Port number.'),
};

export interface ServeHostnameOptions {
  tcp?: boolean;
  udp?: boolean;
  http?: boolean;
  close?: boolean;
  port?: number;
  /** The address to listen on; all interfaces (as upstream) when absent. */
  host?: string;
  runtime: AgnhostRuntime;
  /** How long it keeps serving after SIGTERM (upstream: 60s). */
  awaitDeletionMs?: number;
}

export interface ServeHostnameServer {
  /** The TCP or HTTP port. */
  port?: number;
  udpPort?: number;
  close(): Promise<void>;
}

export function serveHostnameOptions(f: FlagValues<typeof SERVE_HOSTNAME_FLAGS>, runtime: AgnhostRuntime): ServeHostnameOptions {
  return { tcp: f.tcp, udp: f.udp, http: f.http, close: f.close, port: f.port, runtime };
}

/** Starts serving; rejects with upstream's log.Fatal text. */
export async function startServeHostname(o: ServeHostnameOptions): Promise<ServeHostnameServer> {
  const rt = o.runtime;
  const log = (text: string) => goLog(rt, text);
  const doHTTP = o.http ?? true;
  const port = o.port ?? 9376;
  if (doHTTP && (o.tcp || o.udp)) throw new Error("Can't serve TCP/UDP mode and HTTP mode at the same time");
  const hostname = rt.hostname();
  const where = goHostPort(o.host ?? '', port);

  let tcp: TCPServer | HTTPServer | undefined;
  let udp: UDPSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onTerm = () => {
    if (timer) return;
    log('Shutting down after receiving signal: terminated.\n');
    log('Awaiting pod deletion.\n');
    timer = setTimeout(() => rt.exit(0), o.awaitDeletionMs ?? 60_000);
  };
  const close = async () => {
    rt.signals.off('SIGTERM', onTerm);
    clearTimeout(timer);
    udp?.close();
    udp = undefined;
    if (tcp) {
      const s = tcp;
      tcp = undefined;
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };
  const listen = (s: TCPServer | HTTPServer, fatal: string) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', (e) => reject(new Error(`${fatal}listen tcp ${where}: bind: ${errnoText(e)}`)));
      s.listen({ port, host: o.host }, () => {
        s.on('error', (e) => log(`Error from Accept(): ${errnoText(e)}`));
        resolve();
      });
    });

  try {
    if (o.tcp) {
      tcp = createTCPServer((conn) => {
        conn.on('error', () => undefined);
        log(`TCP request from ${goRemoteAddr(conn)}`);
        conn.end(hostname);
      });
      await listen(tcp, 'Error from net.Listen(): ');
    }
    if (o.udp) {
      const sock = await listenUDP(o.host ?? '', port).catch((e) => {
        throw new Error(`Error from ListenUDP(): listen udp ${where}: bind: ${errnoText(e)}`);
      });
      udp = sock;
      sock.on('error', (e) => log(`Error from ReadFrom(): ${errnoText(e)}`));
      sock.on('message', (_msg, from) => {
        log(`UDP request from ${goHostPort(from.address, from.port)}`);
        sock.send(hostname, from.port, from.address);
      });
    }
    if (doHTTP) {
      tcp = createHTTPServer((req, res) => {
        log(`HTTP request from ${goRemoteAddr(req.socket)}`);
        // Forces the connection closed after this answer.
        if (o.close) res.setHeader('Connection', 'close');
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(hostname);
      });
      await listen(tcp, '');
    }
  } catch (e) {
    await close();
    throw e;
  }
  log(`Serving on port ${port}.\n`);
  rt.signals.on('SIGTERM', onTerm);
  const a = tcp?.address();
  return {
    ...(a && typeof a === 'object' ? { port: a.port } : {}),
    ...(udp ? { udpPort: udp.address().port } : {}),
    close,
  };
}
