// Evaluation of x-kubernetes-validations rules on custom resources (upstream's
// apiextensions-apiserver schema/cel/validation.go): where rules run, what self and oldSelf are,
// the messages, reasons and field paths of failures, runtime errors and ratcheting.
import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../src/apimachinery/field.js';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { compileSchemaRules, type RuleValidator } from '../../src/registry/cel/index.js';

type Rules = JSONSchemaProps['x-kubernetes-validations'];
const text = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.body}`);

async function validatorOf(schema: JSONSchemaProps): Promise<RuleValidator> {
  const r = await compileSchemaRules(schema, 'spec.validation.openAPIV3Schema');
  expect(text(r.errors)).toEqual([]);
  return r.validator!;
}

/** A root object whose `spec` has the given properties and rules. */
const specSchema = (properties: JSONSchemaProps['properties'], rules: Rules = [], rootRules?: Rules): JSONSchemaProps => ({
  type: 'object',
  ...(rootRules ? { 'x-kubernetes-validations': rootRules } : {}),
  properties: { spec: { type: 'object', properties, 'x-kubernetes-validations': rules } },
});

const errorsOf = async (schema: JSONSchemaProps, obj: unknown, old?: unknown) =>
  text((await validatorOf(schema)).validate(obj, old).errors);

describe('where rules run', () => {
  it('runs rules at the root, reported at <nil> or the given base path', async () => {
    const v = await validatorOf({ type: 'object', 'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('a')" }] });
    const obj = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'bad' } };
    expect(text(v.validate(obj).errors)).toEqual([`<nil>: Invalid value: "object": failed rule: self.metadata.name.startsWith('a')`]);
    expect(text(v.validate(obj, undefined, 'root').errors)).toEqual([
      `root: Invalid value: "object": failed rule: self.metadata.name.startsWith('a')`,
    ]);
    expect(v.validate({ ...obj, metadata: { name: 'abc' } }).errors).toEqual([]);
  });

  it('runs rules on nested objects', async () => {
    const s = specSchema({ replicas: { type: 'integer' }, maxReplicas: { type: 'integer' } }, [
      { rule: 'self.replicas <= self.maxReplicas' },
    ]);
    expect(await errorsOf(s, { spec: { replicas: 5, maxReplicas: 3 } })).toEqual([
      'spec: Invalid value: "object": failed rule: self.replicas <= self.maxReplicas',
    ]);
    expect(await errorsOf(s, { spec: { replicas: 2, maxReplicas: 3 } })).toEqual([]);
  });

  it('runs rules on each list item and each map value', async () => {
    const s = specSchema({
      ports: { type: 'array', items: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0 && self < 65536' }] } },
      labels: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() <= 3' }] } },
    });
    expect(await errorsOf(s, { spec: { ports: [80, 0, 70000], labels: { a: 'x', b: 'long' } } })).toEqual([
      'spec.ports[1]: Invalid value: "integer": failed rule: self > 0 && self < 65536',
      'spec.ports[2]: Invalid value: "integer": failed rule: self > 0 && self < 65536',
      'spec.labels[b]: Invalid value: "string": failed rule: self.size() <= 3',
    ]);
  });

  it('does not run rules on null or absent values, and sees null fields as absent', async () => {
    const s = specSchema({ name: { type: 'string', nullable: true, 'x-kubernetes-validations': [{ rule: "self != ''" }] } }, [
      { rule: '!has(self.name)' },
    ]);
    expect(await errorsOf(s, { spec: { name: null } })).toEqual([]);
    expect(await errorsOf(s, { spec: { name: '' } })).toEqual([
      'spec: Invalid value: "object": failed rule: !has(self.name)',
      `spec.name: Invalid value: "string": failed rule: self != ''`,
    ]);
  });

  it('exposes apiVersion, kind and metadata.name of embedded resources', async () => {
    const s = specSchema({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-validations': [{ rule: "self.kind == 'Pod' && self.metadata.name != ''" }],
      },
    });
    expect(await errorsOf(s, { spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } } })).toEqual([]);
    expect(await errorsOf(s, { spec: { template: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'p' } } } })).toHaveLength(1);
  });
});

describe('failure messages', () => {
  const props = { replicas: { type: 'integer' }, name: { type: 'string' }, items: { type: 'array', items: { type: 'string' } } };
  const one = (rule: Record<string, unknown>, obj: unknown = { spec: { replicas: 5, name: 'n', items: ['a', 'a'] } }) =>
    errorsOf(specSchema(props, [{ rule: 'self.replicas < 3', ...rule }]), obj);

  it('uses the trimmed message', async () => {
    expect(await one({ message: '  replicas must be below 3 ' })).toEqual(['spec: Invalid value: "object": replicas must be below 3']);
  });

  it('uses messageExpression, falling back to the message when it fails or is empty', async () => {
    expect(await one({ messageExpression: "'replicas ' + string(self.replicas) + ' is too many'" })).toEqual([
      'spec: Invalid value: "object": replicas 5 is too many',
    ]);
    expect(await one({ message: 'm', messageExpression: "'x' + string(self.replicas / 0)" })).toEqual(['spec: Invalid value: "object": m']);
    expect(await one({ messageExpression: "'  '" })).toEqual(['spec: Invalid value: "object": failed rule: self.replicas < 3']);
  });

  it('reports the reason as the error type', async () => {
    expect(await one({ reason: 'FieldValueForbidden' })).toEqual(['spec: Forbidden: failed rule: self.replicas < 3']);
    expect(await one({ reason: 'FieldValueRequired', message: 'needed' })).toEqual(['spec: Required value: needed']);
    expect(await one({ reason: 'FieldValueDuplicate' })).toEqual(['spec: Duplicate value: "object"']);
    expect(await one({ reason: 'FieldValueInvalid' })).toEqual(['spec: Invalid value: "object": failed rule: self.replicas < 3']);
  });

  it('reports at fieldPath', async () => {
    expect(await one({ fieldPath: '.replicas' })).toEqual(['spec.replicas: Invalid value: "object": failed rule: self.replicas < 3']);
    expect(await one({ fieldPath: "['name']" })).toEqual(['spec.name: Invalid value: "object": failed rule: self.replicas < 3']);
  });

  it('reports runtime errors with the rule', async () => {
    const s = specSchema({ a: { type: 'integer' }, xs: { type: 'array', items: { type: 'integer' } } }, [
      { rule: 'self.a > 0' },
      { rule: 'self.xs[2] > 0', message: 'third item' },
      { rule: '1 / (self.xs.size() - 2) > 0' },
    ]);
    expect(await errorsOf(s, { spec: { xs: [1, 2] } })).toEqual([
      'spec: Invalid value: "object": no such key: a evaluating rule: self.a > 0',
      "spec: Invalid value: \"object\": index '2' out of range in list size '2' evaluating rule: third item",
      'spec: Invalid value: "object": division by zero evaluating rule: 1 / (self.xs.size() - 2) > 0',
    ]);
  });
});

describe('int-or-string is dyn', () => {
  const s = specSchema({
    port: {
      'x-kubernetes-int-or-string': true,
      'x-kubernetes-validations': [{ rule: "type(self) == int ? self < 65536 : self.matches('^[a-z]+$')" }, { rule: 'self + 1 > 0' }],
    },
  });

  it('takes ints and strings, checked at run time', async () => {
    expect(await errorsOf(s, { spec: { port: 80 } })).toEqual([]);
    expect(await errorsOf(s, { spec: { port: 70000 } })).toEqual([
      `spec.port: Invalid value: "": failed rule: type(self) == int ? self < 65536 : self.matches('^[a-z]+$')`,
    ]);
    expect(await errorsOf(s, { spec: { port: 'http' } })).toEqual([
      'spec.port: Invalid value: "": \'no such overload\': call arguments did not match a supported operator, function or macro signature for rule: self + 1 > 0',
    ]);
  });
});

describe('transition rules', () => {
  const immutable = specSchema(
    { name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'is immutable' }] } },
    [{ rule: 'self.name.size() >= oldSelf.name.size()', messageExpression: "'was ' + oldSelf.name" }],
  );

  it('do not run on create', async () => {
    expect(await errorsOf(immutable, { spec: { name: 'a' } })).toEqual([]);
  });

  it('run on update with oldSelf', async () => {
    expect(await errorsOf(immutable, { spec: { name: 'a' } }, { spec: { name: 'bb' } })).toEqual([
      'spec: Invalid value: "object": was bb',
      'spec.name: Invalid value: "string": is immutable',
    ]);
    expect(await errorsOf(immutable, { spec: { name: 'bb' } }, { spec: { name: 'bb' } })).toEqual([]);
  });

  it('do not run where the old object lacks the value', async () => {
    expect(await errorsOf(immutable, { spec: { name: 'a' } }, {})).toEqual([]);
    // spec exists in the old object, spec.name does not: only the rule on spec runs (and finds no oldSelf.name).
    expect(await errorsOf(immutable, { spec: { name: 'a' } }, { spec: {} })).toEqual([
      'spec: Invalid value: "object": no such key: name evaluating rule: self.name.size() >= oldSelf.name.size()',
    ]);
  });

  it('compare whole objects with ==', async () => {
    const s = specSchema(
      { a: { type: 'object', properties: { b: { type: 'integer' }, c: { type: 'array', items: { type: 'string' } } } } },
      [{ rule: 'self.a == oldSelf.a' }],
    );
    const obj = { spec: { a: { b: 1, c: ['x'] } } };
    expect(await errorsOf(s, obj, { spec: { a: { b: 1, c: ['x'] } } })).toEqual([]);
    expect(await errorsOf(s, obj, { spec: { a: { b: 1, c: ['y'] } } })).toEqual([
      'spec: Invalid value: "object": failed rule: self.a == oldSelf.a',
    ]);
  });

  it('correlate map-list items by their keys', async () => {
    const s = specSchema({
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name', 'protocol'],
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } },
          'x-kubernetes-validations': [{ rule: 'self.port >= oldSelf.port', message: 'port may only grow' }],
        },
      },
    });
    const old = {
      spec: {
        ports: [
          { name: 'a', port: 10 },
          { name: 'b', protocol: 'UDP', port: 20 },
        ],
      },
    };
    const obj = {
      spec: {
        ports: [
          { name: 'new', port: 1 },
          { name: 'b', protocol: 'UDP', port: 5 },
          { name: 'a', protocol: 'TCP', port: 11 },
        ],
      },
    };
    expect(await errorsOf(s, obj, old)).toEqual(['spec.ports[1]: Invalid value: "object": port may only grow']);
  });

  it('run on create with optionalOldSelf, oldSelf being none', async () => {
    const s = specSchema({ n: { type: 'integer' } }, [
      { rule: 'oldSelf.hasValue() ? self.n >= oldSelf.value().n : self.n == 0', message: 'starts at 0 and grows', optionalOldSelf: true },
    ]);
    expect(await errorsOf(s, { spec: { n: 1 } })).toEqual(['spec: Invalid value: "object": starts at 0 and grows']);
    expect(await errorsOf(s, { spec: { n: 0 } })).toEqual([]);
    expect(await errorsOf(s, { spec: { n: 2 } }, { spec: { n: 1 } })).toEqual([]);
    expect(await errorsOf(s, { spec: { n: 0 } }, { spec: { n: 1 } })).toEqual(['spec: Invalid value: "object": starts at 0 and grows']);
  });
});

describe('ratcheting', () => {
  const s = specSchema({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'bad'" }] }, b: { type: 'string' } });

  it('turns errors on unchanged values into warnings', async () => {
    const v = await validatorOf(s);
    const r = v.validate({ spec: { a: 'bad', b: 'new' } }, { spec: { a: 'bad', b: 'old' } });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([`spec.a: Invalid value: "string": failed rule: self != 'bad'`]);
    expect(text(v.validate({ spec: { a: 'bad' } }, { spec: { a: 'good' } }).errors)).toEqual([
      `spec.a: Invalid value: "string": failed rule: self != 'bad'`,
    ]);
    expect(text(v.validate({ spec: { a: 'bad' } }).errors)).toHaveLength(1);
  });
});

describe('values', () => {
  it('sees integers as int and numbers as double', async () => {
    const s = specSchema({ i: { type: 'integer' }, n: { type: 'number' } }, [
      { rule: 'type(self.i) == int && type(self.n) == double && self.n == 2.0 && self.i == 2' },
    ]);
    expect(await errorsOf(s, { spec: { i: 2, n: 2 } })).toEqual([]);
  });

  it('parses date-time, duration and byte strings', async () => {
    const s = specSchema(
      { t: { type: 'string', format: 'date-time' }, d: { type: 'string', format: 'duration' }, b: { type: 'string', format: 'byte' } },
      [{ rule: "self.t > timestamp('2024-01-01T00:00:00Z') && self.d == duration('90m') && self.b == b'hi'" }],
    );
    expect(await errorsOf(s, { spec: { t: '2025-06-01T10:00:00Z', d: '1h30m', b: 'aGk=' } })).toEqual([]);
    expect(await errorsOf(s, { spec: { t: '2023-06-01T10:00:00Z', d: '1h30m', b: 'aGk=' } })).toHaveLength(1);
  });

  it('compares set and map lists in any order, and unions and merges them with +', async () => {
    const s = specSchema(
      {
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        seq: { type: 'array', items: { type: 'string' } },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
      },
      [
        { rule: "self.tags == ['b', 'a'] && self.tags != ['a']", message: 'set equality' },
        { rule: "self.seq != ['b', 'a']", message: 'plain lists keep order' },
        { rule: "self.tags + ['c', 'a'] == ['a', 'b', 'c'] && (self.tags + ['c'])[2] == 'c'", message: 'set union' },
        { rule: 'self.ports == oldSelf.ports', message: 'map list equality' },
        { rule: 'self == oldSelf', message: 'object equality with lists inside' },
      ],
    );
    const obj = {
      spec: {
        tags: ['a', 'b'],
        seq: ['a', 'b'],
        ports: [
          { name: 'a', port: 1 },
          { name: 'b', port: 2 },
        ],
      },
    };
    const old = {
      spec: {
        tags: ['b', 'a'],
        seq: ['a', 'b'],
        ports: [
          { name: 'b', port: 2 },
          { name: 'a', port: 1 },
        ],
      },
    };
    expect(await errorsOf(s, obj, old)).toEqual([]);
    const changed = {
      spec: {
        ...old.spec,
        ports: [
          { name: 'b', port: 3 },
          { name: 'a', port: 1 },
        ],
      },
    };
    expect(await errorsOf(s, obj, changed)).toEqual([
      'spec: Invalid value: "object": map list equality',
      'spec: Invalid value: "object": object equality with lists inside',
    ]);
  });

  it('merges map lists by key with +', async () => {
    const s = specSchema(
      {
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
      },
      [{ rule: '(self.ports + oldSelf.ports).map(p, p.name + string(p.port)) == ["a1", "b3", "c4"]' }],
    );
    const obj = {
      spec: {
        ports: [
          { name: 'a', port: 1 },
          { name: 'b', port: 2 },
        ],
      },
    };
    expect(
      await errorsOf(s, obj, {
        spec: {
          ports: [
            { name: 'b', port: 3 },
            { name: 'c', port: 4 },
          ],
        },
      }),
    ).toEqual([]);
    // The merged list keeps the left list's order and appends the right's new keys.
    expect(
      await errorsOf(s, obj, {
        spec: {
          ports: [
            { name: 'c', port: 4 },
            { name: 'b', port: 3 },
          ],
        },
      }),
    ).toEqual([]);
    expect(await errorsOf(s, obj, { spec: { ports: [{ name: 'b', port: 3 }] } })).toHaveLength(1);
  });

  it('escapes property names in values', async () => {
    const s = specSchema({ 'x-y': { type: 'string' }, namespace: { type: 'string' } }, [
      { rule: "self.x__dash__y == 'a' && self.__namespace__ == 'b'" },
    ]);
    expect(await errorsOf(s, { spec: { 'x-y': 'a', namespace: 'b' } })).toEqual([]);
    expect(await errorsOf(s, { spec: { 'x-y': 'a', namespace: 'c' } })).toHaveLength(1);
  });

  it('gives maps of objects and lists of objects their declared fields only', async () => {
    const s = specSchema(
      {
        m: { type: 'object', additionalProperties: { type: 'object', properties: { w: { type: 'integer' } } } },
        l: {
          type: 'array',
          items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { k: { type: 'string' } } },
        },
      },
      [{ rule: "self.m.all(k, self.m[k].w > 0) && self.l.exists(x, x.k == 'z') && !self.l.exists(x, has(x.k) && x.k == 'q')" }],
    );
    expect(await errorsOf(s, { spec: { m: { a: { w: 1 } }, l: [{ k: 'z', other: 1 }] } })).toEqual([]);
    expect(await errorsOf(s, { spec: { m: { a: { w: 0 } }, l: [{ k: 'z' }] } })).toHaveLength(1);
  });
});
