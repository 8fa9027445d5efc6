// SPDY/3.1 protocol constants, frame types and the protocol error (see index.ts for the design).

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const FLAG_CLEAR_SETTINGS = 0x01;

/** The largest payload a frame's 24-bit length can describe. */
export const MAX_FRAME_LENGTH = 0xffffff;
export const MAX_STREAM_ID = 0x7fffffff;

/** Header names (lower case) to values; a SPDY value holding NULs is several values. */
export type SpdyHeaders = Record<string, string[]>;

export type SpdyFrame =
  | { type: 'DATA'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'SYN_STREAM';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      slot: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
    }
  | { type: 'SYN_REPLY'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'RST_STREAM'; streamId: number; status: number }
  | { type: 'SETTINGS'; clearSettings: boolean; entries: { id: number; flags: number; value: number }[] }
  | { type: 'PING'; id: number }
  | { type: 'GOAWAY'; lastGoodStreamId: number; status: number }
  | { type: 'HEADERS'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'WINDOW_UPDATE'; streamId: number; delta: number };

export interface SpdyProtocolError extends Error {
  code: 'ERR_SPDY_PROTOCOL';
}

export function spdyProtocolError(message: string): SpdyProtocolError {
  return Object.assign(new Error(message), { code: 'ERR_SPDY_PROTOCOL' as const });
}

export function isSpdyProtocolError(err: unknown): err is SpdyProtocolError {
  return err instanceof Error && (err as { code?: unknown }).code === 'ERR_SPDY_PROTOCOL';
}
