// WebSocket frames of exec, attach and port-forward as Go's server writes them: every frame is a
// socket write of its own, so over TLS no record holds (parts of) two frames. A client that polls
// the socket before reading each frame (the Python client's websocket-client) depends on it: with
// the error channel's Status and the close frame in one record it reads the Status and then waits
// for a readable socket that never comes. A raw node:tls client records what it gets: Node emits
// one chunk per record it decrypts (one SSL_read each), so chunk boundaries are record boundaries.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - {name: main, image: local/sh, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: local/sh, stdin: true, command: [sh, -c, 'read x; echo "got $x"']}
`,
  });
  for (const name of ['box', 'reader']) {
    await until(
      async () => (await tc.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' || undefined,
      20_000,
    );
  }
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

interface Frame {
  opcode: number;
  payload: Buffer;
  /** Byte offsets of the frame in everything received. */
  start: number;
  end: number;
}

interface Session {
  status: string;
  frames: Frame[];
  /** Where each received chunk (record) ended. */
  boundaries: Set<number>;
  /** Where the HTTP answer ended. */
  headerEnd: number;
}

/** A client frame: masked, as RFC 6455 requires. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  if (payload.length > 125) throw new Error('small frames only');
  return Buffer.concat([Buffer.of(0x80 | opcode, 0x80 | payload.length), mask, masked]);
}

/**
 * Opens a WebSocket on `path` by hand over node:tls, records every chunk, sends `input` frames once
 * the session has started, and resolves when the server's close frame has come (answering it).
 */
function session(path: string, protocol: string, input: Buffer[] = []): Promise<Session> {
  const url = new URL(tc.cluster.server);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: url.hostname, port: Number(url.port), ca: tc.cluster.caCert, ALPNProtocols: ['http/1.1'] });
    const chunks: Buffer[] = [];
    const boundaries = new Set<number>([0]);
    let total = 0;
    let headerEnd = -1;
    const frames: Frame[] = [];
    let sentInput = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close frame within 10 s; frames: ${frames.map((f) => f.opcode).join(',')}`));
    }, 10_000);
    const parse = () => {
      const all = Buffer.concat(chunks);
      if (headerEnd < 0) {
        const i = all.indexOf('\r\n\r\n');
        if (i < 0) return;
        headerEnd = i + 4;
      }
      let off = frames.length ? frames.at(-1)!.end : headerEnd;
      while (all.length - off >= 2) {
        const opcode = all[off]! & 0x0f;
        let len = all[off + 1]! & 0x7f;
        let p = off + 2;
        if (len === 126) {
          if (all.length < p + 2) return;
          len = all.readUInt16BE(p);
          p += 2;
        } else if (len === 127) {
          if (all.length < p + 8) return;
          len = Number(all.readBigUInt64BE(p));
          p += 8;
        }
        if (all.length < p + len) return;
        frames.push({ opcode, payload: all.subarray(p, p + len), start: off, end: p + len });
        off = p + len;
        if (opcode === 8) {
          clearTimeout(timer);
          sock.end(clientFrame(8, Buffer.from(all.subarray(p, p + Math.min(len, 2)))));
          resolve({ status: all.subarray(0, all.indexOf('\r\n')).toString(), frames, boundaries, headerEnd });
          return;
        }
        if (!sentInput && input.length) {
          sentInput = true;
          for (const f of input) sock.write(f);
        }
      }
    };
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      total += d.length;
      boundaries.add(total);
      parse();
    });
    sock.on('error', reject);
    sock.on('secureConnect', () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: ${protocol}\r\nAuthorization: Bearer ${tc.cluster.token}\r\n\r\n`,
      );
    });
  });
}

const describeFrame = (f: Frame) =>
  f.opcode === 8 ? 'close' : f.payload.length ? `channel ${f.payload[0]} (${f.payload.length - 1} bytes)` : 'empty';

/** Frames that do not begin or do not end at a record boundary: they share a record with a neighbour. */
function sharedRecords(s: Session): string[] {
  const out: string[] = [];
  if (!s.boundaries.has(s.headerEnd)) out.push('the HTTP answer shares a record with the first frame');
  s.frames.forEach((f, i) => {
    if (!s.boundaries.has(f.start)) out.push(`frame ${i} (${describeFrame(f)}) starts inside a record`);
    if (!s.boundaries.has(f.end)) out.push(`frame ${i} (${describeFrame(f)}) ends inside a record`);
  });
  return out;
}

const payloads = (s: Session) => s.frames.filter((f) => f.opcode !== 8).map((f) => f.payload.toString('latin1'));

describe('WebSocket frames, one per TLS record', () => {
  it('exec of a missing command: the session message, the Status and the close frame each in a record of their own', async () => {
    const s = await session(
      '/api/v1/namespaces/default/pods/box/exec?container=main&command=no-such-command-here&stdout=true&stderr=true',
      'v4.channel.k8s.io',
    );
    expect(s.status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(s.frames.map((f) => f.opcode)).toEqual([2, 2, 8]);
    expect(payloads(s)[0]).toBe('\x01');
    expect(JSON.parse(s.frames[1]!.payload.subarray(1).toString())).toMatchObject({ status: 'Failure', reason: 'InternalError' });
    expect(sharedRecords(s)).toEqual([]);
  });

  it('exec with output and an exit code (v5)', async () => {
    const s = await session(
      '/api/v1/namespaces/default/pods/box/exec?container=main&command=sh&command=-c&command=echo%20out%3B%20exit%203&stdout=true',
      'v5.channel.k8s.io',
    );
    expect(payloads(s).slice(0, 2)).toEqual(['\x01', '\x01out\n']);
    expect(JSON.parse(s.frames.at(-2)!.payload.subarray(1).toString())).toMatchObject({ reason: 'NonZeroExitCode' });
    expect(s.frames.at(-1)!.opcode).toBe(8);
    expect(sharedRecords(s)).toEqual([]);
  });

  it('attach until the process exits: its output, the Status and the close frame', async () => {
    const s = await session('/api/v1/namespaces/default/pods/reader/attach?container=main&stdin=true&stdout=true', 'v4.channel.k8s.io', [
      clientFrame(2, Buffer.from('\x00hello\n')),
    ]);
    expect(payloads(s)).toEqual(['\x01', '\x01got hello\n', '\x03{"metadata":{},"status":"Success"}']);
    expect(s.frames.at(-1)!.opcode).toBe(8);
    expect(sharedRecords(s)).toEqual([]);
  });

  it('port-forward to a closed port: both port frames, the error and the close frame', async () => {
    const s = await session('/api/v1/namespaces/default/pods/box/portforward?ports=9399', 'v4.channel.k8s.io');
    const p = payloads(s);
    expect(p.slice(0, 2)).toEqual(['\x00\xb7\x24', '\x01\xb7\x24']);
    expect(p[2]).toMatch(/^\x01error forwarding port 9399 to pod /);
    expect(s.frames.at(-1)!.opcode).toBe(8);
    expect(sharedRecords(s)).toEqual([]);
  });
});
