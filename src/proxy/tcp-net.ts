// The TCP transport on net.Socket (tcp.ts): public API only, so it works on any Node; the proxy
// uses it where libuv's handles are not as tcp-uv.ts expects them, or when
// TINYKUBE_PROXY_SOCKETS=net. Accepted clients stay paused until spliced; half-close through
// allowHalfOpen on both sockets and end() when the other side ends.
import net from 'node:net';
import type { DialError, TcpTransport } from './tcp.js';
import { closeConnection, type Counters } from './stats.js';

export const netTransport: TcpTransport<net.Socket> = {
  name: 'net',
  listen(address, port, accepted, log) {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) => {
        client.on('error', () => undefined);
        accepted(client);
      });
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen({ host: address, port, exclusive: true, backlog: 4096 }, () => {
        server.off('error', onError);
        server.on('error', (err) => log.warn({ err, address, port }, 'proxy: TCP listener error'));
        resolve({
          // Stop accepting; connections already spliced carry on (as conntrack keeps established
          // flows when the rules go). The listening socket is released at once.
          close: () =>
            new Promise<void>((r) => {
              server.close();
              setImmediate(r);
            }),
        });
      });
    });
  },

  dial(ip, port, localAddress, localPort, timeoutMs, done) {
    const upstream = net.connect({ host: ip, port, localAddress, localPort, allowHalfOpen: true, noDelay: true });
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      upstream.removeAllListeners('connect');
      upstream.on('error', () => undefined);
      upstream.destroy();
      const e: DialError = { code: err.code ?? 'EIO', syscall: err.syscall === 'bind' ? 'bind' : 'connect' };
      done(e, undefined);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    upstream.once('error', fail);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', fail);
      upstream.on('error', () => undefined);
      done(undefined, upstream);
    });
  },

  splice(client, upstream, c: Counters) {
    c.open.add(client);
    // A reset or error on either side resets the other (an RST seen by the client is what it
    // would have seen from the backend directly).
    client.on('error', () => resetSocket(upstream));
    upstream.on('error', () => resetSocket(client));
    client.once('close', () => {
      closeConnection(c, client);
      if (!upstream.destroyed && client.readableEnded === false) resetSocket(upstream);
    });
    upstream.once('close', () => {
      if (!client.destroyed && upstream.readableEnded === false) resetSocket(client);
    });
    forward(client, upstream);
    forward(upstream, client);
  },
};

function resetSocket(s: net.Socket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/**
 * src → dst as pipe() does it, with a third of its listeners (which count at thousands of
 * connections a second): the source pauses while the destination is full (backpressure) and
 * resumes on its 'drain'; the destination is ended when the source ends (half-close). Errors and
 * closes are splice()'s. Also starts the client, which was accepted paused.
 */
function forward(src: net.Socket, dst: net.Socket): void {
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.once('end', () => dst.end());
  src.resume();
}
