// netexec's /dial: `request` sent `tries` times to host:port over HTTP or UDP, answered with
// {"errors":[...],"responses":[...]} as upstream's dialHandler builds it. That includes its quirks,
// which e2e helpers are written against: the status is 200 whatever the tries did, and
// "responses" is present only when the last try got a non-empty answer.
import { createSocket } from 'node:dgram';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { goQuote } from '../apimachinery/go-format.js';
import { addrString, errnoText, resolveAddr, type ResolvedAddr } from './go-net.js';
import { goHostPort, goJSON, httpError, writeResponse, type GoRequest } from './go-http.js';
import { goAtoi } from './strconv.js';

export interface DialContext {
  log(text: string): void;
  /** http.Client's Timeout and the UDP read deadline: 5s upstream. */
  timeoutMs: number;
}

export async function dialHandler(req: GoRequest, res: ServerResponse, ctx: DialContext): Promise<void> {
  const q = new URLSearchParams(req.rawQuery);
  const get = (k: string) => q.get(k) ?? '';
  const [host, port, request, protocol, tryParam] = ['host', 'port', 'request', 'protocol', 'tries'].map(get) as [
    string,
    string,
    string,
    string,
    string,
  ];
  ctx.log(`GET /dial?host=${host}&protocol=${protocol}&port=${port}&request=${request}&tries=${tryParam}`);
  let tries = 1;
  if (tryParam.length > 0) {
    try {
      tries = goAtoi(tryParam);
    } catch (e) {
      return httpError(res, `tries parameter is invalid. ${(e as Error).message}`, 400);
    }
  }
  // Upstream formats the (nil) error of the step before into this message.
  if (request.length === 0) return httpError(res, 'request parameter not specified. <nil>', 400);

  let dialer: (request: string, addr: ResolvedAddr, timeoutMs: number) => Promise<string>;
  let network: 'tcp' | 'udp';
  switch (protocol.toLowerCase()) {
    case '':
    case 'http':
      dialer = dialHTTP;
      network = 'tcp';
      break;
    case 'udp':
      dialer = dialUDP;
      network = 'udp';
      break;
    case 'sctp':
      // Node has no SCTP sockets: every try fails the way a dial to an unreachable SCTP peer does.
      dialer = async () => {
        throw new Error("sctp dial failed. err:SCTP is not supported by tinykube's built-in agnhost");
      };
      network = 'tcp';
      break;
    default:
      return httpError(res, `unsupported protocol. ${protocol}`, 400);
  }
  let addr: ResolvedAddr;
  try {
    addr = await resolveAddr(network, host, port);
  } catch (e) {
    return httpError(res, `host and/or port param are invalid. ${(e as Error).message}`, 400);
  }

  const errors: string[] = [];
  const responses: string[] = [];
  let response = '';
  for (let i = 0; i < tries; i++) {
    try {
      response = await dialer(request, addr, ctx.timeoutMs);
      responses.push(response);
    } catch (e) {
      response = '';
      errors.push((e as Error).message);
    }
  }
  const output: Record<string, string[]> = {};
  if (response.length > 0) output.responses = responses;
  if (errors.length > 0) output.errors = errors;
  writeResponse(res, 200, goJSON(output));
}

// ---- HTTP: http.Get("http://<addr>/<request>") with a 5s client timeout, following redirects ----

const MAX_REDIRECTS = 10;

/** The request target as Go's client sends it; bytes a request line cannot carry are percent-encoded. */
function requestTarget(url: URL): string {
  return (url.pathname + url.search).replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
}

async function dialHTTP(request: string, addr: ResolvedAddr, timeoutMs: number): Promise<string> {
  let url = `http://${addrString(addr)}/${request}`;
  const fail = (text: string) => new Error(`Get ${goQuote(url)}: ${text}`);
  if (/[\x00-\x1f\x7f]/.test(url)) throw new Error(`parse ${goQuote(url)}: net/url: invalid control character in URL`);
  if (addr.ip === '') throw fail('http: no Host in request URL');
  const deadline = Date.now() + timeoutMs;
  for (let redirects = 0; ; redirects++) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`parse ${goQuote(url)}: invalid URL`);
    }
    const res = await httpGet(parsed, deadline, fail);
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location) {
      res.resume();
      if (redirects + 1 >= MAX_REDIRECTS) throw fail(`stopped after ${MAX_REDIRECTS} redirects`);
      url = new URL(location, parsed).toString();
      continue;
    }
    return readBody(res, deadline);
  }
}

function httpGet(url: URL, deadline: number, fail: (text: string) => Error): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:') return reject(fail(`unsupported protocol scheme ${goQuote(url.protocol.replace(/:$/, ''))}`));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 80);
    let connected = false;
    const req = httpRequest({
      host,
      port,
      method: 'GET',
      path: requestTarget(url),
      agent: false,
      headers: { Host: url.host, 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip' },
    });
    const timer = setTimeout(
      () => {
        req.destroy();
        reject(fail('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'));
      },
      Math.max(0, deadline - Date.now()),
    );
    req.on('socket', (s) => s.once('connect', () => (connected = true)));
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const remote = goHostPort(host, port);
      if (!connected) reject(fail(`dial tcp ${remote}: connect: ${errnoText(e)}`));
      else if (e.message === 'socket hang up') reject(fail('EOF'));
      else
        reject(
          fail(`read tcp ${goHostPort(req.socket?.localAddress ?? '', req.socket?.localPort ?? 0)}->${remote}: read: ${errnoText(e)}`),
        );
    });
    req.end();
  });
}

function readBody(res: IncomingMessage, deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => {
        res.destroy();
        reject(new Error('context deadline exceeded (Client.Timeout or context cancellation while reading body)'));
      },
      Math.max(0, deadline - Date.now()),
    );
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(e.message === 'aborted' ? 'unexpected EOF' : errnoText(e)));
    });
    res.on('end', () => {
      clearTimeout(timer);
      const body = Buffer.concat(chunks);
      // Go's transport asked for gzip itself, so it decodes the answer too.
      if (res.headers['content-encoding'] !== 'gzip') return resolve(body.toString('utf8'));
      gunzip(body, (err, plain) => (err ? reject(new Error('gzip: invalid header')) : resolve(plain.toString('utf8'))));
    });
  });
}

// ---- UDP: one datagram out, the first one back (up to 2048 bytes) within 5s ----

function dialUDP(request: string, addr: ResolvedAddr, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const ip = addr.ip || '127.0.0.1';
    const sock = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    const remote = goHostPort(ip, addr.port);
    const local = () => {
      try {
        const a = sock.address();
        return goHostPort(a.address, a.port);
      } catch {
        return '';
      }
    };
    let phase: 'dial' | 'write' | 'read' = 'dial';
    let finished = false;
    const done = (err: Error | undefined, value = '') => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => done(new Error(`reading from udp connection failed. err:'read udp ${local()}->${remote}: i/o timeout'`)),
      timeoutMs,
    );
    sock.on('error', (e) => {
      if (phase === 'dial') done(new Error(`udp dial failed. err:dial udp ${remote}: connect: ${errnoText(e)}`));
      else if (phase === 'write')
        done(new Error(`udp connection write failed. err:write udp ${local()}->${remote}: write: ${errnoText(e)}`));
      else done(new Error(`reading from udp connection failed. err:'read udp ${local()}->${remote}: read: ${errnoText(e)}'`));
    });
    sock.on('message', (msg) => {
      if (msg.length === 0) done(new Error("reading from udp connection failed. err:'<nil>'"));
      else done(undefined, msg.subarray(0, 2048).toString('utf8'));
    });
    sock.connect(addr.port, ip, () => {
      phase = 'write';
      sock.send(Buffer.from(request), (err) => {
        if (err) sock.emit('error', err);
        else phase = 'read';
      });
    });
  });
}
