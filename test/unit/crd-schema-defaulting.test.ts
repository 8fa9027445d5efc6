import { describe, it, expect } from 'vitest';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { applyDefaults, pruneNonNullableNullsWithoutDefaults } from '../../src/registry/apiextensions/schema/defaulting.js';
import { newStructural } from '../../src/registry/apiextensions/schema/structural.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        replicas: { type: 'integer', default: 1 },
        image: { type: 'string', default: 'nginx' },
        nullableWithDefault: { type: 'string', nullable: true, default: 'd' },
        noDefault: { type: 'string' },
        nullDefault: { type: 'string', default: null },
        strategy: {
          type: 'object',
          default: { type: 'RollingUpdate' },
          properties: { type: { type: 'string' }, maxSurge: { type: 'integer', default: 1 } },
        },
        ports: {
          type: 'array',
          items: {
            type: 'object',
            default: { name: 'default' },
            properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' } },
          },
        },
        limits: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            default: { max: 10 },
            properties: { max: { type: 'integer' }, unit: { type: 'string', default: 'm' } },
          },
        },
      },
    },
  },
};
const s = newStructural(schema);

describe('defaulting', () => {
  it('defaults a missing spec, then defaults inside the default', () => {
    const obj: Record<string, unknown> = {};
    applyDefaults(obj, s);
    expect(obj).toEqual({
      spec: { replicas: 1, image: 'nginx', nullableWithDefault: 'd', strategy: { type: 'RollingUpdate', maxSurge: 1 } },
    });
  });

  it('keeps given values, and replaces non-nullable nulls that have a default', () => {
    const obj = { spec: { replicas: 3, image: null, nullableWithDefault: null, strategy: { type: 'Recreate' } } };
    applyDefaults(obj, s);
    expect(obj.spec).toEqual({ replicas: 3, image: 'nginx', nullableWithDefault: null, strategy: { type: 'Recreate', maxSurge: 1 } });
  });

  it('defaults items and additionalProperties, including null items', () => {
    const obj = { spec: { ports: [{ name: 'http' }, null], limits: { cpu: {}, mem: null } } };
    applyDefaults(obj, s);
    expect(obj.spec.ports).toEqual([
      { name: 'http', protocol: 'TCP' },
      { name: 'default', protocol: 'TCP' },
    ]);
    expect(obj.spec.limits).toEqual({ cpu: { unit: 'm' }, mem: { max: 10, unit: 'm' } });
  });

  it('deep-copies defaults, so objects never share them', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    applyDefaults(a, s);
    applyDefaults(b, s);
    ((a.spec as Record<string, unknown>).strategy as Record<string, unknown>).type = 'changed';
    expect(((b.spec as Record<string, unknown>).strategy as Record<string, unknown>).type).toBe('RollingUpdate');
    expect(s.properties!.spec!.properties!.strategy!.default).toEqual({ type: 'RollingUpdate' });
  });

  it('a default of null is not applied', () => {
    const obj = { spec: {} as Record<string, unknown> };
    applyDefaults(obj, s);
    expect(Object.hasOwn(obj.spec, 'nullDefault')).toBe(false);
  });
});

describe('pruneNonNullableNullsWithoutDefaults', () => {
  it('drops nulls the schema cannot hold and nothing can default, keeps the rest', () => {
    const obj = { spec: { noDefault: null, image: null, nullableWithDefault: null, unknown: null, ports: [null], limits: { cpu: null } } };
    pruneNonNullableNullsWithoutDefaults(obj, s);
    expect(obj.spec).toEqual({ image: null, nullableWithDefault: null, unknown: null, ports: [null], limits: { cpu: null } });
  });
  it('with defaulting after it, as the API server runs them', () => {
    const obj = { spec: { noDefault: null, image: null } };
    pruneNonNullableNullsWithoutDefaults(obj, s);
    applyDefaults(obj, s);
    expect(obj.spec).toEqual({ image: 'nginx', replicas: 1, nullableWithDefault: 'd', strategy: { type: 'RollingUpdate', maxSurge: 1 } });
  });
});
