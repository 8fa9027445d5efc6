// Stand-ins for fastify's request and reply, enough for the REST handlers
// (server/handlers/*) to run alone: what they set (code, type, headers) and send is recorded.
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface RecordedReply {
  statusCode: number;
  contentType?: string;
  headers: Record<string, unknown>;
  body: unknown;
  sent: boolean;
}

export function fakeReply(): RecordedReply & { reply: FastifyReply } {
  const r: RecordedReply = { statusCode: 200, headers: {}, body: undefined, sent: false };
  const reply = {
    code(c: number) {
      r.statusCode = c;
      return reply;
    },
    type(t: string) {
      r.contentType = t;
      return reply;
    },
    header(k: string, v: unknown) {
      r.headers[k.toLowerCase()] = v;
      return reply;
    },
    getHeader(k: string) {
      return r.headers[k.toLowerCase()];
    },
    send(b: unknown) {
      r.body = b;
      r.sent = true;
      return reply;
    },
  };
  return Object.assign(r, { reply: reply as unknown as FastifyReply });
}

export function fakeRequest(
  url: string,
  o: { accept?: string; contentType?: string; body?: string | Buffer; method?: string; userAgent?: string } = {},
): FastifyRequest {
  const headers: Record<string, string> = {};
  if (o.accept) headers.accept = o.accept;
  if (o.contentType) headers['content-type'] = o.contentType;
  if (o.userAgent) headers['user-agent'] = o.userAgent;
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  return { url, method: o.method ?? 'GET', headers, body } as unknown as FastifyRequest;
}

export const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
export const PARTIAL = 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io';
export const PARTIAL_LIST = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io';
