// Responses (upstream response.go, transformResponseObject): an object or a list in the shape the
// client asked for (as it is, a Table, PartialObjectMetadata), warning headers, and writes
// answered only once they are durable.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../storage/store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { apiVersionOf } from '../../registry/types.js';
import { responseShape, type ResponseShape } from '../negotiate.js';
import { Readable } from 'node:stream';
import { toTable, partialObjectMetadata, tableColumns, tableRow } from '../../registry/table.js';
import { requestQuery, tableOptions, type QueryValues, type TableOptions } from '../query-params.js';

/** A list's metadata (resourceVersion, continue, remainingItemCount). */
export type ListMeta = Record<string, unknown>;

/** Admission and validation warnings, as `Warning: 299 - "text"` headers. */
export function writeWarnings(reply: FastifyReply, warnings: string[]): void {
  if (!warnings.length) return;
  // Added to what the request already has (a deprecated version's warning comes first).
  const had = reply.getHeader('Warning');
  const before = had === undefined ? [] : Array.isArray(had) ? had.map(String) : [String(had)];
  reply.header('Warning', [...before, ...warnings.map((w) => `299 - ${JSON.stringify(w)}`)]);
}

/** A write is acknowledged only once it is committed (group commit batches one loop turn). */
export async function acked<T>(store: Store, send: () => T): Promise<T> {
  await store.durable();
  return send();
}

/** One object in a response shape (`table`: its TableOptions given). */
export function objectBody(def: ResourceDef, o: KubeObject, shape: ResponseShape, table?: TableOptions): unknown {
  if (table) return toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, table.include, !table.noHeaders);
  if (shape === 'partial') return partialObjectMetadata(o);
  return o;
}

/**
 * Writes an object response in the shape the client asked for. TableOptions are read only for a
 * Table, as upstream's transformResponseObject does, after the request's work.
 */
export function sendObject(def: ResourceDef, req: FastifyRequest, reply: FastifyReply, o: KubeObject, code = 200, q?: QueryValues) {
  const shape = responseShape(req.headers.accept);
  const table = shape === 'table' ? tableOptions(q ?? requestQuery(req.url)) : undefined;
  return reply
    .code(code)
    .type('application/json')
    .send(objectBody(def, o, shape, table));
}

/** `KindList` of the def's group version. */
export function objectList(def: ResourceDef, metadata: ListMeta, items: unknown[]) {
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items };
}

/** The same list around objects as stored JSON, relayed without a parse/serialise round trip. */
export function rawObjectList(def: ResourceDef, metadata: ListMeta, items: string[]): string {
  const head = JSON.stringify({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata });
  return `${head.slice(0, -1)},"items":[${items.join(',')}]}`;
}

/**
 * Lists of more items than this are written in pieces (streamedRawList, streamedList): a list of
 * 10,000 Services as one Table held every parsed object and its row at once, and the process's
 * heap (and RSS) grew by a few hundred MB for each such request.
 */
export const STREAM_LIST_ITEMS = 500;
const PIECE_ITEMS = 250;

/** rawObjectList, written piece by piece (no 10 MB string joined first). */
export function streamedRawList(def: ResourceDef, metadata: ListMeta, items: string[]): Readable {
  const head = JSON.stringify({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata });
  return Readable.from(pieces(`${head.slice(0, -1)},"items":[`, items.length, (i, end) => items.slice(i, end).join(','), ']}'));
}

/**
 * A list of stored objects (`texts`, as stored; `parse` decodes one for the API) in a response
 * shape, written piece by piece: the objects of a piece are parsed, encoded and dropped before
 * the next is read. The same document as listBody's.
 */
export function streamedList(
  def: ResourceDef,
  texts: string[],
  parse: (text: string) => KubeObject,
  metadata: ListMeta,
  shape: ResponseShape,
  table?: TableOptions,
): Readable {
  const now = new Date();
  let head: Record<string, unknown>;
  let encode: (o: KubeObject) => unknown;
  if (table) {
    head = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: table.noHeaders ? null : tableColumns(def) };
    encode = (o) => tableRow(def, o, table.include, now);
  } else if (shape === 'partial') {
    head = { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata };
    encode = partialObjectMetadata;
  } else {
    head = { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata };
    encode = (o) => o;
  }
  const open = `${JSON.stringify(head).slice(0, -1)},"${table ? 'rows' : 'items'}":[`;
  const piece = (i: number, end: number) =>
    texts
      .slice(i, end)
      .map((t) => JSON.stringify(encode(parse(t))))
      .join(',');
  return Readable.from(pieces(open, texts.length, piece, ']}'));
}

function* pieces(head: string, n: number, piece: (i: number, end: number) => string, tail: string): Generator<string> {
  yield head;
  for (let i = 0; i < n; i += PIECE_ITEMS) yield (i ? ',' : '') + piece(i, Math.min(n, i + PIECE_ITEMS));
  yield tail;
}

/** A list in a response shape (`table`: its TableOptions given). */
export function listBody(def: ResourceDef, items: KubeObject[], metadata: ListMeta, shape: ResponseShape, table?: TableOptions): unknown {
  if (table) return toTable(def, items, metadata, table.include, !table.noHeaders);
  if (shape === 'partial')
    return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(partialObjectMetadata) };
  return objectList(def, metadata, items);
}
