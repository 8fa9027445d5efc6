// netexec's /dial from one in-process netexec to another (and to small stand-in servers) over
// HTTP and UDP on 127.0.0.1: the JSON upstream answers, its 400s, and its quirks.
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startNetexec, type NetexecServer } from '../../src/agnhost/netexec.js';
import { fakeRuntime, HOSTNAME, httpGet } from './helpers.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function netexec(dialTimeoutMs = 5000): Promise<NetexecServer> {
  const s = await startNetexec({ host: '127.0.0.1', httpPort: 0, udpPort: 0, runtime: fakeRuntime().rt, dialTimeoutMs });
  closers.push(() => s.close());
  return s;
}

async function tcpServer(onConn: (s: import('node:net').Socket) => void): Promise<number> {
  const server: Server = createServer(onConn).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on (TCP and, almost surely, UDP). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const dial = (from: NetexecServer, query: string) => httpGet(`http://127.0.0.1:${from.httpPort}/dial?${query}`);

describe('netexec /dial', () => {
  it('dials another netexec over HTTP, tries times', async () => {
    const [a, b] = [await netexec(), await netexec()];
    const r = await dial(a, `request=hostname&protocol=http&host=127.0.0.1&port=${b.httpPort}&tries=3`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(JSON.stringify({ responses: [HOSTNAME, HOSTNAME, HOSTNAME] }));
  });

  it('sends the request with its query; protocol defaults to http', async () => {
    const [a, b] = [await netexec(), await netexec()];
    expect(JSON.parse((await dial(a, `request=${encodeURIComponent('echo?msg=hello')}&host=127.0.0.1&port=${b.httpPort}`)).body)).toEqual({
      responses: ['hello'],
    });
    // "/hostname" makes the URL //hostname, which the target redirects and the client follows.
    expect(JSON.parse((await dial(a, `request=/hostname&host=127.0.0.1&port=${b.httpPort}`)).body)).toEqual({ responses: [HOSTNAME] });
  });

  it('dials another netexec over UDP', async () => {
    const [a, b] = [await netexec(), await netexec()];
    const r = await dial(a, `request=hostname&protocol=UDP&host=127.0.0.1&port=${b.udpPort}&tries=2`);
    expect(r).toMatchObject({ status: 200, body: JSON.stringify({ responses: [HOSTNAME, HOSTNAME] }) });
    expect(
      JSON.parse((await dial(a, `request=${encodeURIComponent('echo hi')}&protocol=udp&host=127.0.0.1&port=${b.udpPort}`)).body),
    ).toEqual({
      responses: ['hi'],
    });
  });

  it('lists failed tries as errors, with Go texts, and still answers 200', async () => {
    const a = await netexec();
    const port = await closedPort();
    const http = await dial(a, `request=hostname&host=127.0.0.1&port=${port}&tries=2`);
    expect(http.status).toBe(200);
    const refused = `Get "http://127.0.0.1:${port}/hostname": dial tcp 127.0.0.1:${port}: connect: connection refused`;
    expect(JSON.parse(http.body)).toEqual({ errors: [refused, refused] });
    const udp = JSON.parse((await dial(a, `request=hostname&protocol=udp&host=127.0.0.1&port=${port}`)).body);
    expect(udp.errors).toHaveLength(1);
    expect(udp.errors[0]).toMatch(
      new RegExp(
        `^reading from udp connection failed\\. err:'read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection refused'$`,
      ),
    );
  });

  it('reports a connection closed without an answer as EOF', async () => {
    const a = await netexec();
    const port = await tcpServer((s) => s.destroy());
    expect(JSON.parse((await dial(a, `request=x&host=127.0.0.1&port=${port}`)).body)).toEqual({
      errors: [`Get "http://127.0.0.1:${port}/x": EOF`],
    });
  });

  it('has "responses" only when the last try answered (upstream checks the last answer, not the list)', async () => {
    const a = await netexec(300);
    // Answers the first datagram only; the second try times out.
    const sock: UDPSocket = createSocket('udp4');
    let answered = false;
    sock.on('message', (_m, from) => {
      if (!answered) sock.send('first', from.port, from.address);
      answered = true;
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    closers.push(() => void sock.close());
    const port = sock.address().port;
    const out = JSON.parse((await dial(a, `request=x&protocol=udp&host=127.0.0.1&port=${port}&tries=2`)).body);
    expect(out.responses).toBeUndefined();
    expect(out.errors).toEqual([
      expect.stringMatching(new RegExp(`read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: i/o timeout'$`)),
    ]);
  });

  it('times an HTTP try out as Go Client.Timeout does', async () => {
    const a = await netexec(300);
    // Reads the request and never answers.
    const port = await tcpServer((s) => s.resume());
    expect(JSON.parse((await dial(a, `request=slow&host=127.0.0.1&port=${port}`)).body)).toEqual({
      errors: [`Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`],
    });
  });

  it('answers {} for tries=0, and an SCTP dial as failed tries', async () => {
    const [a, b] = [await netexec(), await netexec()];
    expect((await dial(a, `request=hostname&host=127.0.0.1&port=${b.httpPort}&tries=0`)).body).toBe('{}');
    expect(JSON.parse((await dial(a, `request=hostname&protocol=sctp&host=127.0.0.1&port=${b.httpPort}`)).body)).toEqual({
      errors: ["sctp dial failed. err:SCTP is not supported by tinykube's built-in agnhost"],
    });
  });

  it('answers 400 with upstream texts for bad parameters', async () => {
    const a = await netexec();
    expect(await dial(a, 'host=127.0.0.1&port=80')).toMatchObject({ status: 400, body: 'request parameter not specified. <nil>\n' });
    expect(await dial(a, 'request=x&host=127.0.0.1&port=80&tries=x')).toMatchObject({
      status: 400,
      body: 'tries parameter is invalid. strconv.Atoi: parsing "x": invalid syntax\n',
    });
    expect(await dial(a, 'request=x&host=127.0.0.1&port=80&protocol=ftp')).toMatchObject({
      status: 400,
      body: 'unsupported protocol. ftp\n',
    });
    expect(await dial(a, 'request=x&host=127.0.0.1&port=70000')).toMatchObject({
      status: 400,
      body: 'host and/or port param are invalid. address 70000: invalid port\n',
    });
    expect(await dial(a, 'request=x&host=127.0.0.1&port=no-such-service-name')).toMatchObject({
      status: 400,
      body: 'host and/or port param are invalid. lookup tcp/no-such-service-name: unknown port\n',
    });
    const r = await dial(a, 'request=x&host=127.0.0.1&port=80&protocol=ftp');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});
