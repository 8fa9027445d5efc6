// What a SPDY session does with each frame the peer sends (a server: the peer opens the streams).
// SYN_STREAM opens a stream if its id is odd and above every earlier one (else PROTOCOL_ERROR, as
// spdystream answers) and the session takes new streams (else REFUSED_STREAM); DATA, HEADERS and
// RST_STREAM go to their stream, and frames for streams already gone are dropped; client PINGs
// (odd ids) are echoed; GOAWAY closes the session once its streams are done. SYN_REPLY, SETTINGS
// and WINDOW_UPDATE change nothing (see index.ts).
import { RstStatus, type SpdyFrame } from './protocol.js';
import { openStream, receiveData, receiveFin, receiveReset, type SpdyStream, type StreamTable } from './stream.js';

export interface Dispatch {
  readonly table: StreamTable;
  send(frame: SpdyFrame): void;
  /** The highest stream id the peer opened (GOAWAY's last good stream id). */
  lastPeerStreamId: number;
  /** New streams are refused: we sent GOAWAY, or the session is closed. */
  refusing(): boolean;
  /** Streams open at once before new ones are refused. */
  readonly maxConcurrent: number;
  /** Hands a new stream to the session's handler. */
  deliver(stream: SpdyStream): void;
  /** The peer sent GOAWAY. */
  peerGoAway(): void;
}

export function dispatchFrame(d: Dispatch, f: SpdyFrame): void {
  switch (f.type) {
    case 'SYN_STREAM': {
      const id = f.streamId;
      // Ids from the client are odd and increasing (spdystream answers others with PROTOCOL_ERROR).
      if (id % 2 === 0 || id <= d.lastPeerStreamId) {
        d.send({ type: 'RST_STREAM', streamId: id, status: RstStatus.PROTOCOL_ERROR });
        return;
      }
      d.lastPeerStreamId = id;
      if (d.refusing() || d.table.states.size >= d.maxConcurrent) {
        d.send({ type: 'RST_STREAM', streamId: id, status: RstStatus.REFUSED_STREAM });
        return;
      }
      d.deliver(openStream(d.table, f).stream);
      return;
    }
    case 'DATA': {
      const st = d.table.states.get(f.streamId);
      // Frames for streams already gone are dropped (spdystream does the same).
      if (st) receiveData(d.table, st, f.data, f.fin);
      return;
    }
    case 'HEADERS': {
      const st = d.table.states.get(f.streamId);
      if (st && f.fin && !st.remoteFin) receiveFin(d.table, st);
      return;
    }
    case 'RST_STREAM': {
      const st = d.table.states.get(f.streamId);
      if (st) receiveReset(d.table, st, f.status);
      return;
    }
    case 'PING':
      // Odd ids are the client's: echo. Even ones would answer pings of ours (we send none).
      if (f.id % 2 === 1) d.send(f);
      return;
    case 'GOAWAY':
      d.peerGoAway();
      return;
    case 'SYN_REPLY': // we open no streams
    case 'SETTINGS': // nothing in them changes what we do (see index.ts)
    case 'WINDOW_UPDATE':
      return;
  }
}
