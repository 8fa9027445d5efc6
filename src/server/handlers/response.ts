// Responses (upstream response.go, transformResponseObject): an object or a list in the shape the
// client asked for (as it is, a Table, PartialObjectMetadata), warning headers, and writes
// answered only once they are durable.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../storage/store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { apiVersionOf } from '../../registry/types.js';
import { responseShape, type ResponseShape } from '../negotiate.js';
import { toTable, partialObjectMetadata } from '../../registry/table.js';
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

/** A list in a response shape (`table`: its TableOptions given). */
export function listBody(def: ResourceDef, items: KubeObject[], metadata: ListMeta, shape: ResponseShape, table?: TableOptions): unknown {
  if (table) return toTable(def, items, metadata, table.include, !table.noHeaders);
  if (shape === 'partial')
    return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(partialObjectMetadata) };
  return objectList(def, metadata, items);
}
