// Response shaping of the REST handlers (server/handlers/response.ts), without a server: an object
// or a list as it is, as a Table or as PartialObjectMetadata, the raw relay of stored JSON,
// warning headers, and writes answered only once durable.
import { describe, it, expect } from 'vitest';
import { acked, listBody, objectBody, objectList, rawObjectList, sendObject, writeWarnings } from '../../src/server/handlers/response.js';
import { configMapDef } from '../../src/registry/configmap.js';
import { endpointSliceDef } from '../../src/registry/endpointslice.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { Store } from '../../src/storage/store.js';
import { fakeReply, fakeRequest, PARTIAL, TABLE } from './rest-fakes.js';

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', resourceVersion: '7', labels: { app: 'x' } },
  data: { k: 'v' },
});

describe('objectBody', () => {
  it('is the object itself when asked for no other shape', () => {
    const o = cm('a');
    expect(objectBody(configMapDef, o, 'object')).toBe(o);
  });

  it('is PartialObjectMetadata with only the metadata', () => {
    expect(objectBody(configMapDef, cm('a'), 'partial')).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: cm('a').metadata,
    });
  });

  it("is a one-row Table at the object's resourceVersion, by TableOptions", () => {
    const t = objectBody(configMapDef, cm('a'), 'table', { include: 'Metadata', noHeaders: false }) as Record<string, any>;
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '7' } });
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].cells.slice(0, 2)).toEqual(['a', 1]);
    expect(t.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'a' } });
    const bare = objectBody(configMapDef, cm('a'), 'table', { include: 'None', noHeaders: true }) as Record<string, any>;
    expect(bare.columnDefinitions).toBeNull();
    expect(bare.rows[0].object).toBeUndefined();
    const full = objectBody(configMapDef, cm('a'), 'table', { include: 'Object', noHeaders: false }) as Record<string, any>;
    expect(full.rows[0].object).toEqual(cm('a'));
  });
});

describe('lists', () => {
  const meta = { resourceVersion: '9', continue: 'c', remainingItemCount: 3 };

  it('objectList names the kind of list and the group version of the def', () => {
    expect(objectList(configMapDef, meta, [])).toEqual({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: meta, items: [] });
    expect(objectList(endpointSliceDef, {}, [])).toMatchObject({ kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1' });
  });

  it('rawObjectList relays stored JSON as the same list objectList makes', () => {
    const items = [cm('a'), cm('b')];
    const raw = rawObjectList(
      configMapDef,
      meta,
      items.map((o) => JSON.stringify(o)),
    );
    expect(typeof raw).toBe('string');
    expect(JSON.parse(raw)).toEqual(objectList(configMapDef, meta, items));
    expect(JSON.parse(rawObjectList(configMapDef, { resourceVersion: '1' }, []))).toEqual(
      objectList(configMapDef, { resourceVersion: '1' }, []),
    );
  });

  it('listBody: objects, PartialObjectMetadataList or a Table, each keeping the list metadata', () => {
    const items = [cm('a'), cm('b')];
    expect(listBody(configMapDef, items, meta, 'object')).toEqual(objectList(configMapDef, meta, items));
    expect(listBody(configMapDef, items, meta, 'partial')).toEqual({
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })),
    });
    const t = listBody(configMapDef, items, meta, 'table', { include: 'None', noHeaders: false }) as Record<string, any>;
    expect(t).toMatchObject({ kind: 'Table', metadata: meta });
    expect(t.rows.map((r: { cells: unknown[] }) => r.cells[0])).toEqual(['a', 'b']);
  });
});

describe('sendObject', () => {
  it('sends the shape the Accept header asks for, with the code given', () => {
    const plain = fakeReply();
    sendObject(configMapDef, fakeRequest('/x'), plain.reply, cm('a'), 201);
    expect(plain).toMatchObject({ statusCode: 201, contentType: 'application/json', body: cm('a') });
    const partial = fakeReply();
    sendObject(configMapDef, fakeRequest('/x', { accept: PARTIAL }), partial.reply, cm('a'));
    expect(partial).toMatchObject({ statusCode: 200, body: { kind: 'PartialObjectMetadata' } });
    const table = fakeReply();
    sendObject(configMapDef, fakeRequest('/x?includeObject=None', { accept: TABLE }), table.reply, cm('a'));
    expect((table.body as Record<string, any>).rows[0].object).toBeUndefined();
  });

  it('reads TableOptions only for a Table', () => {
    // A bad includeObject is no error unless a Table is asked for (upstream transformResponseObject).
    const plain = fakeReply();
    sendObject(configMapDef, fakeRequest('/x?includeObject=Bogus'), plain.reply, cm('a'));
    expect(plain.sent).toBe(true);
    const table = fakeReply();
    let err: unknown;
    try {
      sendObject(configMapDef, fakeRequest('/x?includeObject=Bogus', { accept: TABLE }), table.reply, cm('a'), 201);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(400);
    expect((err as StatusError).message).toMatch(/^Unable to convert to Table as requested: includeObject: Invalid value: "Bogus"/);
    expect(table.sent).toBe(false);
  });

  it('takes the query the handler already parsed', () => {
    const r = fakeReply();
    sendObject(
      configMapDef,
      fakeRequest('/x?includeObject=Bogus', { accept: TABLE }),
      r.reply,
      cm('a'),
      200,
      new Map([['includeObject', ['Object']]]),
    );
    expect((r.body as Record<string, any>).rows[0].object).toEqual(cm('a'));
  });
});

describe('writeWarnings', () => {
  it('adds one 299 Warning header value per warning, quoted as Go quotes', () => {
    const r = fakeReply();
    writeWarnings(r.reply, ['first', 'say "hi"']);
    expect(r.headers.warning).toEqual(['299 - "first"', '299 - "say \\"hi\\""']);
    const none = fakeReply();
    writeWarnings(none.reply, []);
    expect(none.headers).toEqual({});
  });
});

describe('acked', () => {
  it('answers only once the store has made the write durable', async () => {
    let commit!: () => void;
    const store = { durable: () => new Promise<void>((r) => (commit = r)) } as unknown as Store;
    let sent = false;
    const done = acked(store, () => (sent = true));
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(false);
    commit();
    await expect(done).resolves.toBe(true);
    expect(sent).toBe(true);
  });
});
