// The WebSocket channel protocols of exec/attach, against a real `ws` client on loopback.
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { pickChannelProtocol, serveChannels } from '../../src/streaming/channels.js';
import { until } from '../helpers/wait.js';
import {
  nonZeroExit,
  success,
  type RemoteCommandOptions,
  type RemoteCommandStreams,
  type TerminalSize,
} from '../../src/streaming/remotecommand.js';

let server: Server | undefined;
afterEach(() => server?.close());

interface Pair {
  client: WebSocket;
  streams: RemoteCommandStreams;
  /** Messages the client received, in order. */
  received: (Buffer | string)[];
  closed: Promise<number>;
}

async function pair(protocol: string, opts: RemoteCommandOptions): Promise<Pair> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => protocol });
  let streams!: RemoteCommandStreams;
  const ready = new Promise<void>((resolve) => {
    server = createServer();
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        streams = serveChannels(ws, protocol, opts);
        resolve();
      }),
    );
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server!.address() as { port: number }).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, [protocol]);
  const received: (Buffer | string)[] = [];
  client.on('message', (d: Buffer, isBinary) => received.push(isBinary ? Buffer.from(d) : d.toString()));
  const closed = new Promise<number>((r) => client.on('close', (code) => r(code)));
  await new Promise((r) => client.once('open', r));
  await ready;
  return { client, streams, received, closed };
}

const all: RemoteCommandOptions = { stdin: true, stdout: true, stderr: true, tty: false };
/** Waits for cond, however busy the host. */

describe('pickChannelProtocol', () => {
  it('takes the newest protocol we speak among those offered, plain channels when none is offered', () => {
    expect(pickChannelProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(pickChannelProtocol(['channel.k8s.io', 'v4.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(pickChannelProtocol([])).toBe('channel.k8s.io');
    expect(pickChannelProtocol(['SPDY/3.1+portforward.k8s.io'])).toBeUndefined();
  });
});

describe('serveChannels', () => {
  it('announces the session with an empty message on the lowest writable channel', async () => {
    const a = await pair('v5.channel.k8s.io', all);
    await until(() => a.received.length > 0);
    expect(a.received[0]).toEqual(Buffer.of(1));
    const b = await pair('v5.channel.k8s.io', { stdin: true, stdout: false, stderr: false, tty: false });
    await until(() => b.received.length > 0);
    expect(b.received[0]).toEqual(Buffer.of(3));
    a.client.close();
    b.client.close();
  });

  it('carries stdout and stderr on their channels, then the Status as JSON and a normal close (v5)', async () => {
    const p = await pair('v5.channel.k8s.io', all);
    p.streams.stdout!.write('out');
    p.streams.stderr!.write('err');
    await until(() => p.received.length >= 3);
    p.streams.finish(nonZeroExit(['sh', '-c', 'exit 3'], 3));
    expect(await p.closed).toBe(1000);
    expect(p.received.slice(1, 3)).toEqual([Buffer.from('\x01out'), Buffer.from('\x02err')]);
    const last = p.received[3] as Buffer;
    expect(last[0]).toBe(3);
    expect(JSON.parse(last.subarray(1).toString())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('feeds stdin and ends it on the v5 close signal for channel 0', async () => {
    const p = await pair('v5.channel.k8s.io', all);
    let got = '';
    const ended = new Promise<void>((r) => p.streams.stdin!.on('data', (d) => (got += d)).on('end', () => r()));
    p.client.send(Buffer.from('\x00hello '));
    p.client.send(Buffer.from('\x00world'));
    p.client.send(Buffer.of(255, 0));
    await ended;
    expect(got).toBe('hello world');
    p.client.close();
  });

  it('does not treat 255 as a close signal before v5, and ignores unknown channels and empty messages', async () => {
    const p = await pair('v4.channel.k8s.io', all);
    let ended = false;
    let got = '';
    p.streams.stdin!.on('data', (d) => (got += d)).on('end', () => (ended = true));
    p.client.send(Buffer.of(255, 0));
    p.client.send(Buffer.of(9, 1, 2));
    p.client.send(Buffer.alloc(0));
    p.client.send(Buffer.from('\x00still open'));
    // Messages arrive in order: once the last is in, the 255 before it has been seen.
    await until(() => got === 'still open');
    expect(ended).toBe(false);
    p.client.close();
    await p.closed;
    await until(() => ended);
  });

  it('parses resize messages, several in one, and skips malformed ones', async () => {
    const p = await pair('v5.channel.k8s.io', { ...all, tty: true, stderr: false });
    const sizes: TerminalSize[] = [];
    p.streams.onResize((s) => sizes.push(s));
    p.client.send(Buffer.from('\x04{"Width":100,"Height":30}'));
    p.client.send(Buffer.from('\x04{"Width":120,"Height":40}{"Width":0,"Height":1}{broken'));
    p.client.send(Buffer.from('\x04{"Width":80,"Height":24}'));
    // The last message's size marks that the ones before it have been parsed.
    await until(() => sizes.length > 0 && sizes.at(-1)!.width === 80);
    expect(sizes).toEqual([
      { width: 100, height: 30 },
      { width: 120, height: 40 },
      { width: 80, height: 24 },
    ]);
    p.client.close();
  });

  it('speaks base64 channels: digit channel, base64 data both ways', async () => {
    const p = await pair('base64.channel.k8s.io', all);
    let got = '';
    p.streams.stdin!.on('data', (d) => (got += d));
    p.client.send('0' + Buffer.from('input').toString('base64'));
    p.streams.stdout!.write('output');
    await until(() => got === 'input' && p.received.length >= 2);
    expect(got).toBe('input');
    expect(p.received).toContain('1' + Buffer.from('output').toString('base64'));
    p.client.close();
  });

  it('before v4, reports a failure as a plain message and success as nothing', async () => {
    const a = await pair('channel.k8s.io', all);
    a.streams.finish(nonZeroExit(['false'], 1));
    await a.closed;
    expect(a.received.at(-1)).toEqual(
      Buffer.from('\x03command terminated with non-zero exit code: error executing command [false], exit code 1'),
    );
    const b = await pair('channel.k8s.io', all);
    b.streams.finish(success());
    await b.closed;
    expect(b.received).toEqual([Buffer.of(1)]);
  });

  it('tells the session when the client goes away before the end', async () => {
    const p = await pair('v5.channel.k8s.io', all);
    const gone = new Promise<void>((r) => p.streams.onClientGone(r));
    p.client.terminate();
    await gone;
  });
});
