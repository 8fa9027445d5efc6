// The byte transports a SPDY session runs over: a node Duplex (an upgraded socket) or anything
// with write/onData/onClose (a WebSocket carrying SPDY as a byte stream).
import { Duplex } from 'node:stream';

/** Any ordered, reliable byte pipe. */
export interface ByteTransport {
  /** Queues bytes; returning false means "full": wait for onDrain before writing much more. */
  write(buf: Buffer): boolean | void;
  /** Writes a frame given as its header and its payload, as write() would their concatenation
   *  (without the caller copying the payload into one buffer). */
  writeFrame?(header: Buffer, payload: Buffer): boolean | void;
  /** Flushes what is queued, then closes. */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy?(): void;
  onData(cb: (buf: Buffer) => void): void;
  /** Called once when the transport is closed or failed, whichever side closed it. */
  onClose(cb: (err?: Error) => void): void;
  onDrain?(cb: () => void): void;
  /** Stop and restart delivering data (inbound backpressure). */
  pause?(): void;
  resume?(): void;
}

export function isDuplex(t: ByteTransport | Duplex): t is Duplex {
  const d = t as Partial<Duplex>;
  return t instanceof Duplex || (typeof d.pipe === 'function' && typeof d.on === 'function');
}

/** Adapts a Node Duplex (an upgraded net/TLS socket). */
export function duplexTransport(d: Duplex): ByteTransport {
  return {
    write: (b) => d.write(b),
    // One writev: on a TLS socket one SSL_write, as a single buffer would be.
    writeFrame: (header, payload) => {
      d.cork();
      d.write(header);
      const ok = d.write(payload);
      d.uncork();
      return ok;
    },
    end: () => {
      // Flush, then close both ways: a socket with allowHalfOpen would otherwise keep reading.
      if (d.writableFinished) return void d.destroy();
      d.once('finish', () => d.destroy());
      d.end();
    },
    destroy: () => d.destroy(),
    onData: (cb) => {
      d.on('data', cb);
    },
    onClose: (cb) => {
      let done = false;
      const once = (err?: Error) => {
        if (done) return;
        done = true;
        cb(err);
      };
      d.on('error', (err: Error) => once(err));
      d.on('end', () => once());
      d.on('close', () => once());
    },
    onDrain: (cb) => {
      d.on('drain', cb);
    },
    pause: () => d.pause(),
    resume: () => d.resume(),
  };
}
