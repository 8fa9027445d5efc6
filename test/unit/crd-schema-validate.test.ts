import { describe, it, expect } from 'vitest';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { fieldErrorString, path } from '../../src/apimachinery/field.js';
import { newStructural, NonStructuralError } from '../../src/registry/apiextensions/schema/structural.js';
import {
  goFloat,
  validateCustomResourceValues,
  validateEmbeddedResources,
  validateListSetsAndMaps,
  validateSchemaValues,
} from '../../src/registry/apiextensions/schema/validate-values.js';

const texts = (schema: JSONSchemaProps, obj: unknown) => validateSchemaValues(obj, newStructural(schema)).map(fieldErrorString);

// The CronTab of the Kubernetes docs ("Extend the Kubernetes API with CustomResourceDefinitions"), with a few more limits.
const cronTab: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string', maxLength: 20, minLength: 3 },
        replicas: { type: 'integer', minimum: 1, maximum: 10 },
        policy: { type: 'string', enum: ['Allow', 'Forbid', 'Replace'] },
        ratio: { type: 'number', exclusiveMaximum: true, maximum: 1.5, multipleOf: 0.5 },
        tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' } },
        labels: { type: 'object', maxProperties: 2, additionalProperties: { type: 'string', maxLength: 3 } },
      },
    },
  },
};

describe('value validation: upstream texts', () => {
  const spec = (s: Record<string, unknown>) => ({
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    spec: { cronSpec: '* * * * */5', ...s },
  });
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['valid', { image: 'nginx', replicas: 3 }, []],
    ['type', { replicas: 'three' }, ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']],
    [
      'float for integer',
      { replicas: 2.5 },
      ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"'],
    ],
    ['maximum', { replicas: 11 }, ['spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10']],
    ['minimum', { replicas: 0 }, ['spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1']],
    ['exclusive max, float', { ratio: 1.5 }, ['spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than 1.5']],
    ['multipleOf', { ratio: 0.7 }, ['spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5']],
    ['minLength', { image: 'ab' }, ['spec.image: Invalid value: "ab": spec.image in body should be at least 3 chars long']],
    ['enum', { policy: 'Sometimes' }, ['spec.policy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
    ['maxItems', { tags: ['a', 'b', 'c'] }, ['spec.tags: Too many: 3: must have at most 2 items']],
    ['minItems', { tags: [] }, ['spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items']],
    ['item type', { tags: ['a', 5] }, ['spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"']],
    // Upstream reports maxProperties with field.TooMany, whose text speaks of items.
    ['maxProperties', { labels: { a: 'x', b: 'y', c: 'z' } }, ['spec.labels: Too many: 3: must have at most 2 items']],
    ['additionalProperties', { labels: { a: 'long' } }, ['spec.labels.a: Too long: may not be longer than 3']],
    ['null', { image: null }, ['spec.image: Invalid value: "null": spec.image in body must be of type string: "null"']],
  ];
  for (const [name, s, want] of cases) {
    it(name, () => {
      expect(texts(cronTab, spec(s))).toEqual(want);
    });
  }
  it('maxLength counts characters', () => {
    expect(texts(cronTab, spec({ image: 'my-awesome-cron-image', replicas: 3 }))).toEqual([
      'spec.image: Too long: may not be longer than 20',
    ]);
    // Upstream counts runes, not bytes: twenty two-byte characters fit a maxLength of 20.
    expect(texts(cronTab, spec({ image: '\u00e9'.repeat(20) }))).toEqual([]);
  });
  it('pattern and required', () => {
    expect(texts(cronTab, { spec: { cronSpec: 'every minute' } })).toEqual([
      `spec.cronSpec: Invalid value: "every minute": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`,
    ]);
    expect(texts(cronTab, { spec: {} })).toEqual(['spec.cronSpec: Required value']);
  });
  it('required at the root and in list items', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      required: ['spec'],
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: { type: 'array', items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' } } } },
          },
        },
      },
    };
    expect(texts(s, {})).toEqual(['spec: Required value']);
    expect(texts(s, { spec: { ports: [{ port: 1 }, {}] } })).toEqual(['spec.ports[1].port: Required value']);
  });
  it('nullable accepts null; non-nullable objects do not', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { a: { type: 'object', nullable: true }, b: { type: 'object' } } };
    expect(texts(s, { a: null })).toEqual([]);
    expect(texts(s, { b: null })).toEqual(['b: Invalid value: "null": b in body must be of type object: "null"']);
  });
  it('uniqueItems and minProperties', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: { u: { type: 'array', uniqueItems: true, items: { type: 'integer' } }, m: { type: 'object', minProperties: 1 } },
    };
    expect(texts(s, { u: [1, 2, 1] })).toEqual(['u: Invalid value: "": u in body shouldn\'t contain duplicates']);
    expect(texts(s, { m: {} })).toEqual(['m: Invalid value: 0: m in body should have at least 1 properties']);
  });
  it('integer accepted where number is declared; booleans are not numbers', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { n: { type: 'number' } } };
    expect(texts(s, { n: 3 })).toEqual([]);
    expect(texts(s, { n: true })).toEqual(['n: Invalid value: "boolean": n in body must be of type number: "boolean"']);
  });
  it('enum of non-strings lists them as JSON', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { n: { type: 'integer', enum: [1, 2] } } };
    expect(texts(s, { n: 3 })).toEqual(['n: Unsupported value: 3: supported values: "1", "2"']);
  });
  it('numeric formats are stripped (apiextensions does not support them); a string format on a number reports the format', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: { n: { type: 'integer', format: 'int32' }, d: { type: 'string', format: 'date-time' } },
    };
    expect(texts(s, { n: 5 })).toEqual([]);
    expect(texts(s, { n: true })).toEqual(['n: Invalid value: "boolean": n in body must be of type integer: "boolean"']);
    expect(texts(s, { d: 5 })).toEqual(['d: Invalid value: "int64": d in body must be of type date-time: "int64"']);
    expect(texts(s, { d: 1.5 })).toEqual(['d: Invalid value: "float64": d in body must be of type date-time: "float64"']);
  });
  it('field paths can hang under a base path', () => {
    const s = newStructural({ type: 'object', properties: { a: { type: 'string' } } });
    expect(validateSchemaValues({ a: 1 }, s, path('spec')).map(fieldErrorString)).toEqual([
      'spec.a: Invalid value: "integer": a in body must be of type string: "integer"',
    ]);
  });
});

describe('formats', () => {
  const s = (format: string): JSONSchemaProps => ({ type: 'object', properties: { v: { type: 'string', format } } });
  const table: Array<[string, string, boolean]> = [
    ['date-time', '2024-01-02T03:04:05Z', true],
    ['date-time', '2024-01-02T03:04:05.123+02:00', true],
    ['date-time', '2024-02-30T03:04:05Z', false],
    ['date-time', 'yesterday', false],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['byte', 'aGVsbG8=', true],
    ['byte', 'not base64!', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid', '123E4567E89B12D3A456426614174000', true],
    ['uuid', '123e4567', false],
    ['uuid3', '123e4567-e89b-32d3-0456-426614174000', true],
    ['uuid4', '123e4567-e89b-42d3-a456-426614174000', true],
    ['uuid4', '123e4567-e89b-12d3-a456-426614174000', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv4', '010.0.0.1', false],
    ['ipv6', '2001:db8::1', true],
    ['ipv6', '2001:db8:::1', false],
    ['cidr', '10.0.0.0/8', true],
    ['cidr', '10.0.0.0/33', false],
    ['mac', '00:1a:2b:3c:4d:5e', true],
    ['mac', '00:1a:2b', false],
    ['hostname', 'example.com', true],
    ['hostname', '-bad-.com', false],
    ['hexcolor', '#ffaa00', true],
    ['hexcolor', 'ffaa00', true],
    ['hexcolor', '#ffaa0', false],
    ['datetime', '2024-01-02t03:04:05z', true],
    ['datetime', '2024-01-02 03:04:05', false],
    ['unknown-format', 'anything', true],
    ['int32', 'not a number', true],
  ];
  for (const [format, value, ok] of table) {
    it(`${format} ${JSON.stringify(value)}`, () => {
      const want = ok ? [] : [`v: Invalid value: ${JSON.stringify(value)}: v in body must be of type ${format}: ${JSON.stringify(value)}`];
      expect(texts(s(format), { v: value })).toEqual(want);
    });
  }
});

describe('int-or-string', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    properties: { port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[a-z]+$' } },
  };
  it('accepts integers and matching strings', () => {
    expect(texts(s, { port: 8080 })).toEqual([]);
    expect(texts(s, { port: 'http' })).toEqual([]);
  });
  it('rejects other types with both type names', () => {
    expect(texts(s, { port: true })[0]).toBe('port: Invalid value: "boolean": port in body must be of type integer,string: "boolean"');
    expect(texts(s, { port: 1.5 })[0]).toBe('port: Invalid value: "number": port in body must be of type integer,string: "number"');
  });
  it('applies string validations to strings only', () => {
    expect(texts(s, { port: 'HTTP' })).toEqual(['port: Invalid value: "HTTP": port in body should match \'^[a-z]+$\'']);
  });
});

describe('allOf/anyOf/oneOf/not', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    properties: {
      any: { type: 'string', anyOf: [{ maxLength: 2 }, { pattern: '^x' }] },
      one: { type: 'integer', oneOf: [{ minimum: 5 }, { maximum: 10 }] },
      one2: { type: 'integer', oneOf: [{ minimum: 5 }, { maximum: 2 }] },
      all: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 3 }] },
      all2: { type: 'integer', allOf: [{ minimum: 10 }, { maximum: 1 }] },
      not: { type: 'string', not: { enum: ['forbidden'] } },
    },
  };
  it('anyOf: the composite error at the nil path, then the best failure', () => {
    expect(texts(s, { any: 'abc' })).toEqual([
      '<nil>: Invalid value: "": "any" must validate at least one schema (anyOf)',
      'any: Too long: may not be longer than 2',
    ]);
    expect(texts(s, { any: 'xyz' })).toEqual([]);
  });
  it('oneOf with two matches', () => {
    expect(texts(s, { one: 7 })).toEqual([
      '<nil>: Invalid value: "": "one" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ]);
    expect(texts(s, { one: 11 })).toEqual([]);
  });
  it('oneOf with no match: the best failure follows', () => {
    expect(texts(s, { one2: 3 })).toEqual([
      '<nil>: Invalid value: "": "one2" must validate one and only one schema (oneOf). Found none valid',
      'one2: Invalid value: 3: one2 in body should be greater than or equal to 5',
    ]);
    expect(texts(s, { one2: 1 })).toEqual([]);
  });
  it('allOf', () => {
    expect(texts(s, { all: 5 })).toEqual([
      'all: Invalid value: 5: all in body should be less than or equal to 3',
      '<nil>: Invalid value: "": "all" must validate all the schemas (allOf)',
    ]);
    expect(texts(s, { all2: 5 })).toEqual([
      'all2: Invalid value: 5: all2 in body should be greater than or equal to 10',
      'all2: Invalid value: 5: all2 in body should be less than or equal to 1',
      '<nil>: Invalid value: "": "all2" must validate all the schemas (allOf). None validated',
    ]);
    expect(texts(s, { all: 2 })).toEqual([]);
  });
  it('not', () => {
    expect(texts(s, { not: 'forbidden' })).toEqual(['<nil>: Invalid value: "": "not" must not validate the schema (not)']);
    expect(texts(s, { not: 'fine' })).toEqual([]);
  });
});

describe('list types', () => {
  const s = newStructural({
    type: 'object',
    properties: {
      set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
      },
      pairs: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port', 'protocol'],
        items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string' } } },
      },
      byName: { type: 'object', additionalProperties: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'integer' } } },
    },
  });
  const dup = (obj: unknown) => validateListSetsAndMaps(obj, s).map(fieldErrorString);
  it('sets: the second appearance is the duplicate', () => {
    expect(dup({ set: ['a', 'b', 'a', 'a'] })).toEqual(['set[2]: Duplicate value: "a"']);
  });
  it('maps with one key', () => {
    expect(
      dup({
        ports: [
          { name: 'http', port: 80 },
          { name: 'http', port: 81 },
        ],
      }),
    ).toEqual(['ports[1]: Duplicate value: map[string]interface {}{"name":"http"}']);
    expect(dup({ ports: [{ port: 80 }, { port: 81 }] })).toEqual(['ports[1]: Duplicate value: map[string]interface {}{}']);
  });
  it('maps with two keys', () => {
    expect(
      dup({
        pairs: [
          { port: 80, protocol: 'TCP' },
          { port: 80, protocol: 'UDP' },
        ],
      }),
    ).toEqual([]);
    expect(
      dup({
        pairs: [
          { port: 80, protocol: 'TCP' },
          { protocol: 'TCP', port: 80 },
        ],
      }),
    ).toEqual(['pairs[1]: Duplicate value: map[string]interface {}{"port":80, "protocol":"TCP"}']);
  });
  it('map elements must be objects; sets below additionalProperties use key paths', () => {
    expect(dup({ ports: [{ name: 'a' }, 'b'] })).toEqual(['ports[1]: Invalid value: "b": must be an object for an array of list-type map']);
    expect(dup({ byName: { x: [1, 1] } })).toEqual(['byName[x][1]: Duplicate value: 1']);
  });
});

describe('embedded resources', () => {
  const s = newStructural({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
      },
    },
  });
  const errs = (obj: unknown) => validateEmbeddedResources(obj, s).map(fieldErrorString);
  it('apiVersion and kind are required', () => {
    expect(errs({ spec: { template: {} } })).toEqual(['spec.template.apiVersion: Required value', 'spec.template.kind: Required value']);
    expect(errs({ spec: { template: { apiVersion: 'v1', kind: 'Pod' } } })).toEqual([]);
  });
  it('bad apiVersion and kind', () => {
    expect(errs({ spec: { template: { apiVersion: 'a/b/c', kind: 'Pod_x' } } })).toEqual([
      'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      `spec.template.kind: Invalid value: "Pod_x": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    expect(errs({ spec: { template: { apiVersion: 1, kind: '' } } })).toEqual([
      'spec.template.apiVersion: Invalid value: 1: must be a string',
      'spec.template.kind: Required value',
    ]);
  });
  it('metadata is validated as ObjectMeta, under the embedded path', () => {
    expect(errs({ spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a/b', labels: { 'bad key!': 'x' } } } } })).toEqual(
      [
        'spec.template.metadata.name: Invalid value: "a/b": may not contain \'/\'',
        expect.stringMatching(/^spec\.template\.metadata\.labels: Invalid value: "bad key!": /),
      ],
    );
  });
  it('validateCustomResourceValues combines the checks', () => {
    expect(validateCustomResourceValues({ spec: { template: { kind: 'Pod' } } }, s).map(fieldErrorString)).toEqual([
      'spec.template.apiVersion: Required value',
    ]);
  });
});

describe('structural conversion', () => {
  it('keeps extensions, defaults and value validations', () => {
    const s = newStructural({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { a: { type: 'string', default: 'x', enum: ['x', 'y'], nullable: true, anyOf: [{ maxLength: 1 }] } },
    });
    expect(s.xPreserveUnknownFields).toBe(true);
    expect(s.properties!.a).toEqual({
      type: 'string',
      nullable: true,
      default: 'x',
      hasDefault: true,
      valueValidation: { enum: ['x', 'y'], anyOf: [{ maxLength: 1 }] },
    });
  });
  it('rejects tuple items', () => {
    expect(() => newStructural({ type: 'array', items: [{ type: 'string' }] })).toThrow(NonStructuralError);
  });
});

describe('goFloat', () => {
  it('prints like Go %v', () => {
    expect([1.5, 100000, 1000000, 1234567.5, 0.0001, 0.00001].map(goFloat)).toEqual([
      '1.5',
      '100000',
      '1e+06',
      '1.2345675e+06',
      '0.0001',
      '1e-05',
    ]);
  });
});
