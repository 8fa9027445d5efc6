// SPDY/3.1, the multiplexing layer kubectl speaks for port-forward (and exec/attach when WebSockets
// are off): the frame codec and a server-side session over any byte transport (an upgraded socket,
// or a WebSocket carrying SPDY as a byte stream).
//
// The peer that matters is Go's github.com/moby/spdystream, which shapes what we do:
// - Header blocks are zlib-compressed with the SPDY/3 dictionary, one compression context per
//   direction for the whole connection, each block ending on a sync flush.
// - It never sends WINDOW_UPDATE and ignores the ones it gets (and SETTINGS): SPDY/3.1 flow-control
//   windows are not enforced by either side. We neither send nor honour them; backpressure is the
//   transport's (we stop reading it while a stream's reader is behind, as spdystream's frame workers
//   block on an unbuffered channel) and per stream on output (a stream's writer waits while the
//   transport is full).
// - A stream it opens waits for SYN_REPLY (30 s) before sending data; rejecting it is RST_STREAM
//   CANCEL. It sends PINGs with odd ids every 5 s (10 s over the WebSocket tunnel) and expects them
//   echoed. Closing a connection resets the open streams, sends GOAWAY and closes the transport.
// - Frames are read whole and then decoded; anything malformed ends the connection.
export { FrameType, GoAwayStatus, MAX_FRAME_LENGTH, RstStatus, SPDY_VERSION, isSpdyProtocolError, spdyProtocolError } from './protocol.js';
export type { SpdyFrame, SpdyHeaders, SpdyProtocolError } from './protocol.js';
export { createHeaderCompressor, createHeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock, headerValue } from './headers.js';
export type { HeaderCompressor, HeaderDecompressor } from './headers.js';
export { createFrameEncoder, createFrameParser, encodeDataFrameHeader, encodeSimpleFrame, hasHeaderBlock } from './frames.js';
export type { FrameEncoder, FrameParser, FrameParserOptions, HeaderFrame, SimpleFrame } from './frames.js';
export { duplexTransport } from './transport.js';
export type { ByteTransport } from './transport.js';
export { createSpdySession } from './session.js';
export type { SpdySession, SpdySessionOptions, SpdyStream } from './session.js';
