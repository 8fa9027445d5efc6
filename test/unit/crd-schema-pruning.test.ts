import { describe, it, expect } from 'vitest';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { prune } from '../../src/registry/apiextensions/schema/pruning.js';
import { newStructural } from '../../src/registry/apiextensions/schema/structural.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string' },
        containers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        selectors: { type: 'object', additionalProperties: { type: 'object', properties: { key: { type: 'string' } } } },
        raw: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
        },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
        },
        opaque: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};
const s = newStructural(schema);

describe('pruning', () => {
  it('drops unknown fields at every level and reports their paths sorted', () => {
    const obj = {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'x', unknownMeta: 1 },
      extra: true,
      spec: {
        cronSpec: '* * * * *',
        foo: 'bar',
        containers: [{ name: 'a', image: 'nginx' }, { name: 'b' }],
        labels: { app: 'x' },
        selectors: { one: { key: 'k', value: 'v' } },
      },
    };
    expect(prune(obj, s, true)).toEqual(['extra', 'spec.containers[0].image', 'spec.foo', 'spec.selectors.one.value']);
    expect(obj).toEqual({
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      // The root's metadata is the API server's to handle.
      metadata: { name: 'x', unknownMeta: 1 },
      spec: { cronSpec: '* * * * *', containers: [{ name: 'a' }, { name: 'b' }], labels: { app: 'x' }, selectors: { one: { key: 'k' } } },
    });
  });

  it('keeps unknown fields under preserve-unknown-fields, but prunes below known properties there', () => {
    const obj = { spec: { raw: { anything: { deep: [1, 2] }, known: { a: 'x', b: 'y' } } } };
    expect(prune(obj, s, true)).toEqual(['spec.raw.known.b']);
    expect(obj).toEqual({ spec: { raw: { anything: { deep: [1, 2] }, known: { a: 'x' } } } });
  });

  it('keeps apiVersion/kind of embedded resources and prunes their metadata to ObjectMeta', () => {
    const obj = {
      spec: {
        template: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', labels: { a: 'b' }, bogus: 1 },
          spec: { replicas: 1, x: 2 },
          status: {},
        },
        opaque: { apiVersion: 'v1', kind: 'Thing', metadata: { other: true }, anything: 1 },
      },
    };
    expect(prune(obj, s, true)).toEqual([
      'spec.opaque.metadata.other',
      'spec.template.metadata.bogus',
      'spec.template.spec.x',
      'spec.template.status',
    ]);
    expect(obj).toEqual({
      spec: {
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { replicas: 1 } },
        opaque: { apiVersion: 'v1', kind: 'Thing', metadata: {}, anything: 1 },
      },
    });
  });

  it('a schema without properties prunes every field of an object value', () => {
    const obj = { spec: { cronSpec: { nested: 1 } } };
    expect(prune(obj, s, true)).toEqual(['spec.cronSpec.nested']);
    expect(obj).toEqual({ spec: { cronSpec: {} } });
  });

  it('without a root schema only the type and object meta survive', () => {
    const obj = { apiVersion: 'v1', kind: 'X', metadata: {}, spec: {} };
    expect(prune(obj, undefined, true)).toEqual(['spec']);
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'X', metadata: {} });
  });

  it('not at the resource root, apiVersion/kind/metadata are ordinary fields', () => {
    const obj = { apiVersion: 'v1', kind: 'X', cronSpec: 'a' };
    expect(prune(obj, s.properties!.spec, false)).toEqual(['apiVersion', 'kind']);
    expect(obj).toEqual({ cronSpec: 'a' });
  });
});
