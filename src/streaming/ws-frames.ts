// WebSocket messages written as Go's streaming server writes them: one frame, one socket write.
//
// The kubelet's channel protocols (k8s.io/apiserver pkg/util/wsstream, golang.org/x/net/websocket)
// write each message with its own conn.Write, and crypto/tls turns each Write into TLS records of
// its own: two frames never share a record. Node is different: writes made while an earlier one
// is still in progress queue up in the socket and leave together in one writev — one TLS record
// holding, say, the error channel's Status and the close frame. Clients that poll the socket
// before reading each frame (the Python client: websocket-client under select/poll) then read the
// first frame from OpenSSL's buffer and wait for the socket to become readable for the second,
// which it never does: exec of a missing command hangs instead of returning its error.
//
// So messages go through a queue here: the next frame is handed to ws only once the previous
// one's write has completed, and close() sends the close frame after everything queued. ws corks
// a frame's header and payload together, so each frame is one write (one record up to 16 KiB;
// bigger frames span several records, which clients read through without polling in between).
//
// A binary message given as pieces (sendPieces) can be written by us rather than by ws, when the
// socket under the WebSocket is known: ws writes a frame as its header and payload corked together,
// which a TLS socket copies into one buffer before encrypting, and the pieces would have to be
// joined into that payload first. Built here, the frame is one buffer: one copy instead of two.
// The frame is what ws would write (FIN, binary, unmasked, no extension bits: only for WebSockets
// without extensions); ws's own writes (pongs, the close frame) are whole frames too, so frames
// never interleave on the socket.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** A server's unmasked binary frame (FIN set) holding `pieces` joined, `size` bytes in all. */
export function binaryFrame(pieces: readonly Buffer[], size: number): Buffer {
  const head = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + size);
  frame[0] = 0x82;
  if (head === 2) frame[1] = size;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    frame.writeUInt32BE(size >>> 0, 6);
  }
  let off = head;
  for (const p of pieces) off += p.copy(frame, off);
  return frame;
}

interface Pending {
  data: Buffer | string | readonly Buffer[];
  binary: boolean;
  bytes: number;
  cb?: (err?: Error) => void;
}

export class FrameWriter {
  private readonly queue: Pending[] = [];
  private writing = false;
  private closeCode: number | undefined;
  /** Bytes accepted by send() whose write has not completed yet. */
  pendingBytes = 0;

  /** `socket`: the one under `ws`, for writing binaryFrame()s of pieces ourselves (no extensions). */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Duplex,
  ) {
    ws.once('close', () => this.fail());
  }

  /** Queues one message; `cb` runs once its frame is written (or with an error if it never is). */
  send(data: Buffer | string, binary: boolean, cb?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN || this.closeCode !== undefined) {
      if (cb) queueMicrotask(() => cb(new Error('connection closed')));
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.pendingBytes += bytes;
    this.queue.push({ data, binary, bytes, cb });
    this.pump();
  }

  /** Queues one binary message made of `pieces`, in order (`size` bytes in all). */
  sendPieces(pieces: readonly Buffer[], size: number, cb?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN || this.closeCode !== undefined) {
      if (cb) queueMicrotask(() => cb(new Error('connection closed')));
      return;
    }
    this.pendingBytes += size;
    this.queue.push({ data: pieces, binary: true, bytes: size, cb });
    this.pump();
  }

  /** Sends the close frame once every queued message is written. */
  close(code = 1000): void {
    if (this.closeCode !== undefined) return;
    this.closeCode = code;
    this.pump();
  }

  private pump(): void {
    if (this.writing) return;
    const next = this.queue.shift();
    if (!next) {
      if (this.closeCode !== undefined && this.ws.readyState === this.ws.OPEN) this.ws.close(this.closeCode);
      return;
    }
    if (this.ws.readyState !== this.ws.OPEN) {
      this.queue.unshift(next);
      return this.fail();
    }
    this.writing = true;
    const written = (err?: Error | null) => {
      this.writing = false;
      this.pendingBytes -= next.bytes;
      next.cb?.(err ?? undefined);
      this.pump();
    };
    const { data } = next;
    if (typeof data === 'string' || Buffer.isBuffer(data)) this.ws.send(data, { binary: next.binary }, written);
    else if (this.socket) this.socket.write(binaryFrame(data, next.bytes), written);
    else this.ws.send(data.length === 1 ? data[0]! : Buffer.concat(data, next.bytes), { binary: true }, written);
  }

  /** The connection is gone: nothing queued will be written. */
  private fail(): void {
    const err = new Error('connection closed');
    for (const p of this.queue.splice(0)) {
      this.pendingBytes -= p.bytes;
      p.cb?.(err);
    }
  }
}
