// httpGet probes against real servers on loopback: the status decides, the kubelet's headers are
// sent, HTTPS is not verified (upstream InsecureSkipVerify), and failures read as Go's client
// words them: refused, closed before answering (EOF), and the client timeout.
import { createServer, type Server, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import { createServer as createTCPServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, type ProbeTarget } from '../../src/kubelet/probes.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';

const target: ProbeTarget = { podIP: '127.0.0.1', ports: [], env: {}, cwd: '/' };
const servers: { close(): void }[] = [];
let seen: IncomingHttpHeaders | undefined;

const listen = async (s: Server | ReturnType<typeof createTLSServer>) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as AddressInfo).port;
};

let okPort: number;
let tlsPort: number;
let hangPort: number;
let closePort: number;
let refusedPort: number;

beforeAll(async () => {
  okPort = await listen(
    createServer((req, res) => {
      seen = req.headers;
      res.writeHead(req.url === '/fail' ? 500 : 200).end('body');
    }),
  );
  const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: [] });
  tlsPort = await listen(createTLSServer({ cert: pki.certPem, key: pki.keyPem }, (_req, res) => res.writeHead(204).end()));
  hangPort = await listen(createServer(() => undefined));
  closePort = await listen(createServer((req) => req.socket.destroy()));
  const probe = createTCPServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  refusedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(() => {
  for (const s of servers) ((s as Server).closeAllConnections?.(), s.close());
});

const get = (port: number, path = '/', scheme?: 'HTTPS') =>
  runProbe({ httpGet: { port, path, ...(scheme ? { scheme } : {}) }, timeoutSeconds: 1 }, target);

describe('httpGet probes', () => {
  it('succeed on 2xx and 3xx, fail with the status otherwise, and send the kubelet headers', async () => {
    expect(await get(okPort)).toEqual({ ok: true, message: '' });
    expect(seen?.['user-agent']).toBe('kube-probe/1.32');
    expect(seen?.accept).toBe('*/*');
    expect(seen?.connection).toBe('close');
    expect(await get(okPort, '/fail')).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 500' });
  });

  it('do not verify HTTPS certificates', async () => {
    expect(await get(tlsPort, '/', 'HTTPS')).toEqual({ ok: true, message: '' });
  });

  it('word failures as Go’s client does', async () => {
    expect(await get(refusedPort)).toEqual({
      ok: false,
      message: `Get "http://127.0.0.1:${refusedPort}/": dial tcp 127.0.0.1:${refusedPort}: connect: connection refused`,
    });
    expect(await get(closePort)).toEqual({ ok: false, message: `Get "http://127.0.0.1:${closePort}/": EOF` });
    expect(await get(hangPort)).toEqual({
      ok: false,
      message: `Get "http://127.0.0.1:${hangPort}/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });
});
