// What the agnhost tests share: a fake runtime (exits, signals, stdout and the log recorded in
// memory, a fixed hostname), and plain HTTP and UDP clients for 127.0.0.1.
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AgnhostRuntime } from '../../src/agnhost/runtime.js';
import { until } from '../helpers/wait.js';

export const HOSTNAME = 'agnhost-test-pod';

export interface FakeRuntime {
  rt: AgnhostRuntime;
  signals: EventEmitter;
  exits: number[];
  stdout(): string;
  log(): string;
  /** Waits for the first exit and returns its code. */
  exited(): Promise<number>;
}

export function fakeRuntime(env: Record<string, string> = {}): FakeRuntime {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let out = '';
  let err = '';
  return {
    rt: {
      exit: (code) => void exits.push(code),
      signals,
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      hostname: () => HOSTNAME,
      env,
    },
    signals,
    exits,
    stdout: () => out,
    log: () => err,
    exited: async () => (await until(() => exits.length > 0, { what: 'an exit' }), exits[0]!),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection (no redirects followed); https with any certificate accepted. */
export function httpGet(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : request;
    const req = send(
      {
        host: u.hostname,
        port: u.port,
        // As written: URL would resolve dot segments and double slashes the server should see.
        path: url.slice(url.indexOf('/', url.indexOf('//') + 2)) || '/',
        method: o.method ?? 'GET',
        headers: o.headers,
        agent: false,
        ...(u.protocol === 'https:' ? (o.ca ? { ca: o.ca } : { rejectUnauthorized: false }) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Sends one datagram to 127.0.0.1:port and resolves with the first answer. */
export function udpAsk(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer from port ${port} to ${String(text).slice(0, 40)}`));
    }, 5000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString('utf8'));
    });
    sock.send(text, port, '127.0.0.1');
  });
}

/** Sends one datagram to 127.0.0.1:port, expecting no answer. */
export function udpSend(port: number, text: string): void {
  const sock = createSocket('udp4');
  sock.send(text, port, '127.0.0.1', () => sock.close());
}

/** A multipart/form-data body with one file part. */
export function multipartBody(field: string, filename: string, data: string): { body: Buffer; contentType: string } {
  const boundary = 'agnhostboundary1234';
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${data}\r\n--${boundary}--\r\n`,
  );
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
