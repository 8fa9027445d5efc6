// ValidateCustomResourceDefinitionUpdate: immutable names, stored versions, and the rules that do
// not tighten on objects stored before them.
import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../../src/apimachinery/field.js';
import type { CRD } from '../../src/registry/apiextensions/crd/types.js';
import { validateCRDStatusUpdate, validateCRDUpdate } from '../../src/registry/apiextensions/crd/validation.js';
import { cronTab, cronTabSchema, defaulted } from './crd-validation-fixtures.js';

const update = (crd: CRD, old: CRD) => validateCRDUpdate(crd, old).map(fieldErrorString);
const established = (c: CRD) => {
  c.status = { ...c.status, conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted' }] };
};

describe('CRD update', () => {
  it('accepts an unchanged CRD and new versions', () => {
    const old = defaulted(cronTab());
    expect(update(structuredClone(old), old)).toEqual([]);
    const next = structuredClone(old);
    const v2 = cronTabSchema();
    v2.properties!.spec!.properties!.schedule = { type: 'string' };
    next.spec!.versions!.push({ name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: v2 } });
    expect(update(next, old)).toEqual([]);
  });

  it('keeps group and plural', () => {
    const old = defaulted(cronTab());
    const next = defaulted(old, (c) => {
      c.spec!.group = 'other.example.com';
      c.spec!.names!.plural = 'crontabz';
    });
    expect(update(next, old)).toEqual([
      'spec.group: Invalid value: "other.example.com": field is immutable',
      'spec.names.plural: Invalid value: "crontabz": field is immutable',
    ]);
  });

  it('keeps scope and kind only once established', () => {
    const old = defaulted(cronTab());
    const next = defaulted(old, (c) => {
      c.spec!.scope = 'Cluster';
      c.spec!.names!.kind = 'CronJobTab';
      c.spec!.names!.listKind = 'CronJobTabList';
    });
    expect(update(next, old)).toEqual([]);
    const oldEstablished = defaulted(old, established);
    expect(update(next, oldEstablished)).toEqual([
      'spec.scope: Invalid value: "Cluster": field is immutable',
      'spec.names.kind: Invalid value: "CronJobTab": field is immutable',
    ]);
  });

  it('keeps stored versions in spec.versions', () => {
    const old = defaulted(cronTab(), (c) => {
      c.spec!.versions!.push({ name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } });
    });
    old.status!.storedVersions = ['v1', 'v2'];
    const next = structuredClone(old);
    next.spec!.versions = next.spec!.versions!.filter((v) => v.name === 'v1');
    expect(update(next, old)).toEqual([
      'status.storedVersions[1]: Invalid value: "v2": missing from spec.versions; v2 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v2 and removes v2 from status.storedVersions',
    ]);
  });

  it('needs the new storage version among the stored versions', () => {
    const old = defaulted(cronTab(), (c) => {
      c.spec!.versions!.push({ name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } });
    });
    const next = structuredClone(old);
    next.spec!.versions![0]!.storage = false;
    next.spec!.versions![1]!.storage = true;
    expect(update(next, old)).toEqual(['status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v2']);
    next.status!.storedVersions = [];
    expect(update(next, old)).toEqual(['status.storedVersions: Invalid value: []string{}: must have at least one stored version']);
  });

  it('leaves a preserveUnknownFields stored before v1 alone, but never turns it on', () => {
    const old = defaulted(cronTab());
    const next = defaulted(old, (c) => (c.spec!.preserveUnknownFields = true));
    expect(update(next, old)).toEqual([
      'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ]);
    const oldPreserving = defaulted(old, (c) => (c.spec!.preserveUnknownFields = true));
    expect(update(next, oldPreserving)).toEqual([]);
  });

  it('does not require structural schemas when the stored one was not', () => {
    const old = defaulted(cronTab(), (c) => delete c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.type);
    old.spec!.preserveUnknownFields = true;
    const next = structuredClone(old);
    next.metadata!.labels = { a: 'b' };
    expect(update(next, old)).toEqual([]);
    // without preserveUnknownFields pruning needs a structural schema again
    delete next.spec!.preserveUnknownFields;
    expect(update(next, old)).toEqual([
      'spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    ]);
  });

  it('does not require approval again when its state did not change', () => {
    const old = defaulted(cronTab(), (c) => {
      c.metadata = { name: 'crontabs.stable.k8s.io' };
      c.spec!.group = 'stable.k8s.io';
    });
    const next = defaulted(old, (c) => (c.spec!.names!.shortNames = ['ct', 'cts']));
    expect(update(next, old)).toEqual([]);
  });

  it('validates the status subresource update: names and metadata', () => {
    const old = defaulted(cronTab());
    const next = structuredClone(old);
    next.status!.acceptedNames = { plural: 'crontabs', kind: 'CronTab', listKind: 'CronTab' };
    next.metadata!.name = 'other.stable.example.com';
    expect(validateCRDStatusUpdate(next, old).map(fieldErrorString)).toEqual([
      'metadata.name: Invalid value: "other.stable.example.com": field is immutable',
      'status.acceptedNames.listKind: Invalid value: "CronTab": kind and listKind may not be the same',
    ]);
  });
});
