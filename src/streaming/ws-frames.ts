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
import type { WebSocket } from 'ws';

interface Pending {
  data: Buffer | string;
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

  constructor(private readonly ws: WebSocket) {
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
    this.ws.send(next.data, { binary: next.binary }, (err) => {
      this.writing = false;
      this.pendingBytes -= next.bytes;
      next.cb?.(err ?? undefined);
      this.pump();
    });
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
