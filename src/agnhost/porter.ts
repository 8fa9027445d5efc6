// agnhost porter: for each environment variable SERVE_PORT_<N> an HTTP server on port N, and for
// each SERVE_TLS_PORT_<N> an HTTPS one (CERT_FILE and KEY_FILE, default localhost.crt and
// localhost.key: see tls.ts), answering every request with the variable's value, or with
// {"Method":...,"Body":...} under --json-response. A server that cannot start logs why, as
// upstream's does, and the others go on. SERVE_SCTP_PORT_<N> is not served (no SCTP in Node).
import { createServer as createHTTPServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHTTPSServer } from 'node:https';
import { boolFlag, type FlagValues } from './flags.js';
import { errnoText, lookupPort } from './go-net.js';
import { goHostPort, goJSONEscape, writeResponse } from './go-http.js';
import { goQuote } from '../apimachinery/go-format.js';
import { goLog, type AgnhostRuntime } from './runtime.js';
import { loadKeyPair } from './tls.js';

export const PORTER_FLAGS = {
  'json-response': boolFlag(
    false,
    'Responds to requests with a json response that includes the default value with the http.Request Method',
  ),
};

export interface PorterOptions {
  jsonResponse?: boolean;
  /** upstream: 0.0.0.0. */
  host?: string;
  runtime: AgnhostRuntime;
}

export interface PorterServer {
  /** Each server that started: its variable and port. */
  servers: { variable: string; port: number }[];
  close(): Promise<void>;
}

export function porterOptions(f: FlagValues<typeof PORTER_FLAGS>, runtime: AgnhostRuntime): PorterOptions {
  return { jsonResponse: f['json-response'], runtime };
}

const TCP_PREFIX = 'SERVE_PORT_';
const SCTP_PREFIX = 'SERVE_SCTP_PORT_';
const TLS_PREFIX = 'SERVE_TLS_PORT_';

export async function startPorter(o: PorterOptions): Promise<PorterServer> {
  const rt = o.runtime;
  const log = (text: string) => goLog(rt, text);
  const host = o.host ?? '0.0.0.0';
  const answer =
    (value: string): RequestListener =>
    (req, res) => {
      if (!o.jsonResponse) return writeResponse(res, 200, value);
      res.setHeader('Content-Type', 'application/json');
      writeResponse(res, 200, goJSONEscape(JSON.stringify({ Method: req.method, Body: value })));
    };
  const started: { variable: string; port: number; server: Server }[] = [];

  const serve = async (variable: string, portText: string, value: string, tls: boolean) => {
    let port: number;
    try {
      port = lookupPort('tcp', portText);
    } catch (e) {
      return `listen tcp: ${(e as Error).message}`;
    }
    let server: Server;
    if (tls) {
      const certFile = rt.env.CERT_FILE || 'localhost.crt';
      const keyFile = rt.env.KEY_FILE || 'localhost.key';
      try {
        server = createHTTPSServer(loadKeyPair(certFile, keyFile), answer(value));
      } catch (e) {
        return (e as Error).message;
      }
    } else server = createHTTPServer(answer(value));
    return new Promise<string | undefined>((resolve) => {
      server.once('error', (e) => resolve(`listen tcp ${goHostPort(host, portText)}: bind: ${errnoText(e)}`));
      server.listen({ port, host }, () => {
        const a = server.address();
        started.push({ variable, port: typeof a === 'object' && a ? a.port : port, server });
        server.on('error', (e) => log(`http: Accept error: ${errnoText(e)}`));
        resolve(undefined);
      });
    });
  };

  await Promise.all(
    Object.entries(rt.env).map(async ([key, value = '']) => {
      if (key.startsWith(TCP_PREFIX)) {
        const port = key.slice(TCP_PREFIX.length);
        const err = await serve(key, port, value, false);
        if (err) log(`server on port ${goQuote(port)} failed: ${err}`);
      } else if (key.startsWith(SCTP_PREFIX)) {
        log(`SCTP is not supported by tinykube's built-in agnhost: not serving ${key}`);
      } else if (key.startsWith(TLS_PREFIX)) {
        const port = key.slice(TLS_PREFIX.length);
        const err = await serve(key, port, value, true);
        const certFile = rt.env.CERT_FILE || 'localhost.crt';
        const keyFile = rt.env.KEY_FILE || 'localhost.key';
        if (err) log(`tls server on port ${goQuote(port)} with certFile=${goQuote(certFile)}, keyFile=${goQuote(keyFile)} failed: ${err}`);
      }
    }),
  );

  // Upstream blocks forever, whether any server started or not.
  const hold = setInterval(() => undefined, 2 ** 31 - 1);
  return {
    servers: started.map(({ variable, port }) => ({ variable, port })),
    close: async () => {
      clearInterval(hold);
      await Promise.all(
        started.splice(0).map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
