// The inbound side of kubectl's tunnel WebSocket, read without ws's message assembly.
//
// kubectl (gorilla/websocket under client-go's TunnelingConnection) sends every Write of its SPDY
// connection as one binary message: per 32 KiB DATA frame two 4-byte messages and the payload's
// message, whose frame header and 16 KiB halves come in TLS records of their own. ws's receiver
// joined each message into a new buffer (the payload spans two records: a copy of every forwarded
// byte), ran the bytes through a Writable per record and emitted a 'message' per message, and the
// SPDY parser then cut frames out of those messages. In a tunnel message boundaries mean nothing,
// so here binary frames are unmasked in place and their payload goes on as views of the socket's
// chunks, as they arrive.
//
// Only binary data frames (and continuations of a binary message) are read here. Every other
// frame goes to ws's own receiver whole, at a frame boundary, so that ws answers it as it always
// does: pings with pongs, the close frame with the close handshake, a text message with a
// 'message' event (the transport's protocol error), and anything malformed (reserved bits, an
// unmasked frame, an unknown opcode, a control frame too long) with its close code: from a frame
// it cannot take, the rest of the connection goes to ws, which fails it. ws's limit on a message's
// size (maxPayload) does not apply to what is read here: nothing is held whole, so nothing grows.
import type { WebSocket } from 'ws';
import { unmask } from './ws-mask.js';

/** The binary payload of a tunnel WebSocket, piece by piece, in order. */
export interface TunnelInput {
  /** Sets where payload goes; pieces read before it was set are handed over first. */
  onData(cb: (piece: Buffer) => void): void;
}

/** What of ws's receiver is used: its write(), which socket 'data' events call. */
interface ReceiverLike {
  write(chunk: Buffer): boolean;
}

const OP_CONTINUATION = 0x0;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;

/**
 * Reads binary frames of `ws` (a server WebSocket without extensions, just opened) itself, from
 * now on; undefined if ws is not of the shape this relies on (its receiver and the write() its
 * socket listener calls), and then nothing was changed.
 */
export function takeBinaryInput(ws: WebSocket): TunnelInput | undefined {
  const receiver = (ws as unknown as { _receiver?: ReceiverLike })._receiver;
  if (!receiver || typeof receiver.write !== 'function' || Object.hasOwn(receiver, 'write')) return undefined;
  // ws's socket listener calls receiver.write(chunk) for every chunk (and once more with what is
  // left when the socket closes): the instance's own write() comes before the Writable's.
  const write = receiver.write;
  const reader = new BinaryFrameReader((chunk) => write.call(receiver, chunk));
  Object.defineProperty(receiver, 'write', { value: (chunk: Buffer) => reader.push(chunk), configurable: true, writable: true });
  return reader;
}

/**
 * Incremental reader of client frames (masked) over a byte stream split anywhere: binary payload
 * to `onData`, other frames whole to `forwardTo`. Exported for tests; see takeBinaryInput.
 */
export class BinaryFrameReader implements TunnelInput {
  /** The header of the frame being read, as far as it came (at most 2 + 8 + 4 bytes). */
  private readonly header = Buffer.alloc(14);
  private headerLen = 0;
  /** Header bytes needed: 2 until the length byte is known. */
  private headerNeed = 2;
  /** Payload bytes of the current frame still to come (state 'payload' or 'control'). */
  private left = 0;
  private state: 'header' | 'payload' | 'control' | 'forward' | 'done' = 'header';
  private fin = false;
  /** The mask, and the payload offset (mod 4) the next byte is at. */
  private readonly mask = Buffer.alloc(4);
  private readonly rotated = Buffer.alloc(4);
  private maskAt = 0;
  /** A binary message was begun and not finished: continuation frames are its. */
  private inBinary = false;
  /** A control frame being collected whole, header first. */
  private control: Buffer | undefined;
  private controlLen = 0;
  private sink: ((piece: Buffer) => void) | undefined;
  private early: Buffer[] = [];

  constructor(private readonly forwardTo: (chunk: Buffer) => boolean) {}

  onData(cb: (piece: Buffer) => void): void {
    this.sink = cb;
    const early = this.early;
    this.early = [];
    for (const piece of early) cb(piece);
  }

  /** Reads a chunk; false when ws's receiver asked for a pause (as its write() does). */
  push(chunk: Buffer): boolean {
    let ok = true;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'forward':
          return this.forwardTo(i === 0 ? chunk : chunk.subarray(i)) && ok;
        case 'done':
          return ok;
        case 'payload': {
          const k = Math.min(this.left, n - i);
          const piece = k === n ? chunk : chunk.subarray(i, i + k);
          i += k;
          this.left -= k;
          this.unmaskPiece(piece);
          if (this.left === 0) this.frameDone();
          this.deliver(piece);
          break;
        }
        case 'control': {
          const k = Math.min(this.left, n - i);
          chunk.copy(this.control!, this.controlLen, i, i + k);
          this.controlLen += k;
          i += k;
          this.left -= k;
          if (this.left === 0) ok = this.controlDone() && ok;
          break;
        }
        case 'header': {
          while (i < n && this.headerLen < this.headerNeed) {
            this.header[this.headerLen++] = chunk[i++]!;
            if (this.headerLen === 2) this.headerNeed = headerSize(this.header[1]!);
          }
          if (this.headerLen < this.headerNeed) return ok;
          const kind = this.classify();
          if (kind === 'forward') {
            // ws gets this frame's header and everything after it.
            this.state = 'forward';
            ok = this.forwardTo(Buffer.from(this.header.subarray(0, this.headerLen))) && ok;
            break;
          }
          if (kind === 'control') {
            this.control = Buffer.allocUnsafe(this.headerLen + this.left);
            this.header.copy(this.control, 0, 0, this.headerLen);
            this.controlLen = this.headerLen;
            this.state = 'control';
            if (this.left === 0) ok = this.controlDone() && ok;
            break;
          }
          this.state = 'payload';
          if (this.left === 0) this.frameDone();
          break;
        }
      }
    }
    return ok;
  }

  /** What the complete header in `header` starts: our data, a control frame for ws, or the end of reading. */
  private classify(): 'data' | 'control' | 'forward' {
    const b0 = this.header[0]!;
    const b1 = this.header[1]!;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let at = 2;
    if (len === 126) {
      len = this.header.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      const high = this.header.readUInt32BE(2);
      // Above 2^53 - 1 ws fails the connection (1009): its frame, its answer.
      if (high > 0x1fffff) return 'forward';
      len = high * 2 ** 32 + this.header.readUInt32BE(6);
      at = 10;
    }
    if (!masked || (b0 & 0x70) !== 0) return 'forward';
    this.left = len;
    this.fin = (b0 & 0x80) !== 0;
    if (opcode >= 0x8) {
      if (opcode > 0xa || len > 125) return 'forward';
      return 'control';
    }
    if (!(opcode === OP_BINARY && !this.inBinary) && !(opcode === OP_CONTINUATION && this.inBinary)) return 'forward';
    const h = this.header;
    const m = this.mask;
    m[0] = h[at]!;
    m[1] = h[at + 1]!;
    m[2] = h[at + 2]!;
    m[3] = h[at + 3]!;
    this.maskAt = 0;
    return 'data';
  }

  /** XORs a piece of payload in place, continuing the mask where the previous piece left it. */
  private unmaskPiece(piece: Buffer): void {
    const m = this.mask;
    const s = this.maskAt;
    const n = piece.length;
    if (n < 16) {
      // kubectl's header words (4-byte messages): byte by byte, without setting up the word loop.
      for (let i = 0; i < n; i++) piece[i]! ^= m[(s + i) & 3]!;
      this.maskAt = (s + n) & 3;
      return;
    }
    const r = this.rotated;
    r[0] = m[s & 3]!;
    r[1] = m[(s + 1) & 3]!;
    r[2] = m[(s + 2) & 3]!;
    r[3] = m[(s + 3) & 3]!;
    unmask(piece, r);
    this.maskAt = (s + n) & 3;
  }

  /** The control frame being collected is whole: to ws. After a close frame nothing more is read. */
  private controlDone(): boolean {
    const frame = this.control!;
    this.control = undefined;
    this.state = (frame[0]! & 0x0f) === OP_CLOSE ? 'done' : 'header';
    this.resetHeader();
    return this.forwardTo(frame);
  }

  /** The current data frame's payload is all read. */
  private frameDone(): void {
    this.inBinary = !this.fin;
    this.state = 'header';
    this.resetHeader();
  }

  private resetHeader(): void {
    this.headerLen = 0;
    this.headerNeed = 2;
  }

  private deliver(piece: Buffer): void {
    if (!piece.length) return;
    if (this.sink) this.sink(piece);
    else this.early.push(piece);
  }
}

/** A client frame header's size from its second byte: 2, the extended length, and the mask if set. */
function headerSize(b1: number): number {
  const len = b1 & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}
