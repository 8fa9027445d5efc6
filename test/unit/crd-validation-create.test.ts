// ValidateCustomResourceDefinition: valid CRDs pass; invalid ones report upstream's causes
// (field path and text as kube-apiserver's 422 prints them).
import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../../src/apimachinery/field.js';
import type { CRD } from '../../src/registry/apiextensions/crd/types.js';
import { validateCRD } from '../../src/registry/apiextensions/crd/validation.js';
import { cronTab, cronTabSchema, defaulted } from './crd-validation-fixtures.js';

const messages = (crd: CRD) => validateCRD(crd).map(fieldErrorString);

const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function multiVersionWebhook(): CRD {
  const v1beta1Schema = cronTabSchema();
  const v1Schema = cronTabSchema();
  v1Schema.properties!.spec!.properties!.schedule = { type: 'string' };
  return defaulted(cronTab(), (c) => {
    c.spec!.versions = [
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        deprecated: true,
        deprecationWarning: 'use v1',
        schema: { openAPIV3Schema: v1beta1Schema },
      },
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: v1Schema } },
    ];
    c.spec!.conversion = {
      strategy: 'Webhook',
      webhook: {
        conversionReviewVersions: ['v1', 'v1beta1'],
        clientConfig: { service: { namespace: 'default', name: 'crontab-conversion', path: '/convert' } },
      },
    };
  });
}

function scaled(): CRD {
  return defaulted(cronTab(), (c) => {
    const schema = cronTabSchema();
    schema.properties!.status = { type: 'object', properties: { replicas: { type: 'integer' }, labelSelector: { type: 'string' } } };
    c.spec!.versions![0]!.schema = { openAPIV3Schema: schema };
    c.spec!.versions![0]!.subresources = {
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
    };
    c.spec!.versions![0]!.additionalPrinterColumns = [
      { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
      { name: 'Replicas', type: 'integer', format: 'int32', jsonPath: '.spec.replicas' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ];
  });
}

describe('valid CRDs', () => {
  it('accepts the CronTab CRD of the docs', () => {
    expect(messages(defaulted(cronTab()))).toEqual([]);
  });
  it('accepts a multi-version CRD with a webhook conversion', () => {
    const crd = multiVersionWebhook();
    expect(crd.spec!.conversion!.webhook!.clientConfig!.service!.port).toBe(443);
    expect(messages(crd)).toEqual([]);
  });
  it('accepts an https URL webhook', () => {
    const crd = multiVersionWebhook();
    crd.spec!.conversion!.webhook!.clientConfig = { url: 'https://convert.example.com:8443/crontabs' };
    expect(messages(crd)).toEqual([]);
  });
  it('accepts status and scale subresources with printer columns', () => {
    expect(messages(scaled())).toEqual([]);
  });
  it('accepts the int-or-string patterns and x-kubernetes extensions', () => {
    const crd = defaulted(cronTab(), (c) => {
      const s = cronTabSchema();
      s.properties!.spec!.properties!.port = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
      s.properties!.spec!.properties!.free = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      s.properties!.spec!.properties!.items = {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      };
      s.properties!.spec!.properties!.tags = { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } };
      s.properties!.metadata = { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } };
      c.spec!.versions![0]!.schema = { openAPIV3Schema: s };
    });
    expect(messages(crd)).toEqual([]);
  });
  it('accepts an approved CRD in a protected group', () => {
    const crd = defaulted(cronTab(), (c) => {
      c.metadata = {
        name: 'crontabs.stable.k8s.io',
        annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/1' },
      };
      c.spec!.group = 'stable.k8s.io';
    });
    expect(messages(crd)).toEqual([]);
    crd.metadata!.annotations!['api-approved.kubernetes.io'] = 'unapproved, experimental';
    expect(messages(crd)).toEqual([]);
  });
});

type Case = [name: string, edit: (c: CRD) => void, expected: string[]];

const cases: Case[] = [
  [
    'a name other than <plural>.<group>',
    (c) => (c.metadata!.name = 'crontab.stable.example.com'),
    ['metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group'],
  ],
  [
    'a group without a dot',
    (c) => {
      c.spec!.group = 'example';
      c.metadata!.name = 'crontabs.example';
    },
    ['spec.group: Invalid value: "example": should be a domain with at least one dot'],
  ],
  [
    'an invalid group',
    (c) => {
      c.spec!.group = 'Example.com';
      c.metadata!.name = 'crontabs.Example.com';
    },
    [
      `metadata.name: Invalid value: "crontabs.Example.com": ${DNS1123_SUBDOMAIN}`,
      `spec.group: Invalid value: "Example.com": ${DNS1123_SUBDOMAIN}`,
    ],
  ],
  [
    'no group',
    (c) => delete c.spec!.group,
    ['metadata.name: Invalid value: "crontabs.stable.example.com": must be spec.names.plural+"."+spec.group', 'spec.group: Required value'],
  ],
  ['no scope', (c) => delete c.spec!.scope, ['spec.scope: Required value']],
  [
    'an unknown scope',
    (c) => (c.spec!.scope = 'Global'),
    ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'],
  ],
  [
    'an invalid version name',
    (c) => (c.spec!.versions![0]!.name = 'V1'),
    [`spec.versions[0].name: Invalid value: "V1": ${DNS1035}`, `spec.version: Invalid value: "V1": ${DNS1035}`],
  ],
  [
    'no plural',
    (c) => delete c.spec!.names!.plural,
    [
      'metadata.name: Invalid value: "crontabs.stable.example.com": must be spec.names.plural+"."+spec.group',
      'spec.names.plural: Required value',
    ],
  ],
  [
    'no kind (so no default listKind)',
    (c) => delete c.spec!.names!.kind,
    ['spec.names.kind: Required value', 'spec.names.listKind: Required value'],
  ],
  [
    'an invalid plural',
    (c) => {
      c.spec!.names!.plural = 'cron_tabs';
      c.metadata!.name = 'cron_tabs.stable.example.com';
    },
    [
      `metadata.name: Invalid value: "cron_tabs.stable.example.com": ${DNS1123_SUBDOMAIN}`,
      `spec.names.plural: Invalid value: "cron_tabs": ${DNS1035}`,
    ],
  ],
  ['an invalid singular', (c) => (c.spec!.names!.singular = 'Crontab'), [`spec.names.singular: Invalid value: "Crontab": ${DNS1035}`]],
  [
    'an invalid kind',
    (c) => {
      c.spec!.names!.kind = 'Cron_Tab';
      c.spec!.names!.listKind = 'CronTabList';
    },
    [`spec.names.kind: Invalid value: "Cron_Tab": may have mixed case, but should otherwise match: ${DNS1035}`],
  ],
  [
    'listKind equal to kind',
    (c) => (c.spec!.names!.listKind = 'CronTab'),
    ['spec.names.listKind: Invalid value: "CronTab": kind and listKind may not be the same'],
  ],
  [
    'an invalid short name',
    (c) => (c.spec!.names!.shortNames = ['ct', 'c t']),
    [`spec.names.shortNames[1]: Invalid value: "c t": ${DNS1035}`],
  ],
  ['an invalid category', (c) => (c.spec!.names!.categories = ['All']), [`spec.names.categories[0]: Invalid value: "All": ${DNS1035}`]],
  [
    'a version without a schema',
    (c) => delete c.spec!.versions![0]!.schema,
    ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required'],
  ],
  [
    'preserveUnknownFields true',
    (c) => (c.spec!.preserveUnknownFields = true),
    [
      'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ],
  ],
  [
    'an object field without type (shared schema: top-level path)',
    (c) => delete c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.type,
    ['spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields'],
  ],
  [
    'array items without type',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.list = { type: 'array', items: {} }),
    ['spec.validation.openAPIV3Schema.properties[list].items.type: Required value: must not be empty for specified array items'],
  ],
  [
    'an array without items',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.list = { type: 'array' }),
    ['spec.validation.openAPIV3Schema.properties[list].items: Required value: must be specified'],
  ],
  [
    'a root of another type',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.type = 'array'),
    [
      'spec.validation.openAPIV3Schema.items: Required value: must be specified',
      'spec.validation.openAPIV3Schema.type: Invalid value: "array": must be object at the root',
    ],
  ],
  [
    'a root without type',
    (c) => delete c.spec!.versions![0]!.schema!.openAPIV3Schema!.type,
    ['spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root'],
  ],
  [
    'metadata restricted beyond name and generateName',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.metadata = {
        type: 'object',
        properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } },
      }),
    [
      'spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
    ],
  ],
  [
    // upstream compares metadata without its type: a wrong type alone restricts nothing more
    'metadata of another type',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.metadata = { type: 'string' }),
    ['spec.validation.openAPIV3Schema.properties[metadata].type: Invalid value: "string": must be object'],
  ],
  [
    'a default in top-level metadata',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.metadata = { type: 'object', default: {} }),
    ['spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata'],
  ],
  [
    'a type inside anyOf',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.anyOf = [
        { type: 'object', required: ['image'] },
        { required: ['cronSpec'] },
      ]),
    ['spec.validation.openAPIV3Schema.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural'],
  ],
  [
    'x-kubernetes-preserve-unknown-fields false',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!['x-kubernetes-preserve-unknown-fields'] = false),
    [
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined',
    ],
  ],
  [
    'int-or-string with preserve-unknown-fields',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.port = {
        'x-kubernetes-int-or-string': true,
        'x-kubernetes-preserve-unknown-fields': true,
      }),
    [
      'spec.validation.openAPIV3Schema.properties[port].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true',
    ],
  ],
  [
    'uniqueItems',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.tags = { type: 'array', uniqueItems: true, items: { type: 'string' } }),
    [
      'spec.validation.openAPIV3Schema.properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
    ],
  ],
  [
    '$ref',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.$ref = '#/definitions/Spec'),
    ['spec.validation.openAPIV3Schema.properties[spec].$ref: Forbidden: $ref is not supported'],
  ],
  [
    'an unknown type',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.properties!.image!.type = 'file'),
    [
      'spec.validation.openAPIV3Schema.properties[spec].properties[image].type: Unsupported value: "file": supported values: "array", "boolean", "integer", "number", "object", "string"',
    ],
  ],
  [
    'additionalProperties beside properties',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.additionalProperties = false),
    [
      'spec.validation.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ],
  ],
  [
    'a map list without keys',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.items = {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        items: { type: 'object', properties: { name: { type: 'string' } } },
      }),
    [
      'spec.validation.openAPIV3Schema.properties[items].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map',
    ],
  ],
  [
    'a map list key that is optional without default',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.items = {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { type: 'object', properties: { name: { type: 'string' } } },
      }),
    [
      'spec.validation.openAPIV3Schema.properties[items].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
    ],
  ],
  [
    'an unknown list type',
    (c) =>
      (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.tags = {
        type: 'array',
        'x-kubernetes-list-type': 'bag',
        items: { type: 'string' },
      }),
    [
      'spec.validation.openAPIV3Schema.properties[tags].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"',
    ],
  ],
  [
    'a validation rule without rule',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!['x-kubernetes-validations'] = [{ rule: ' ' }]),
    ['spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified'],
  ],
  [
    'structural errors sorted by their text',
    (c) => {
      const spec = c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!;
      delete spec.properties!.replicas!.type;
      delete spec.properties!.cronSpec!.type;
      spec.properties!.image!.allOf = [{ description: 'nested' }];
    },
    [
      'spec.validation.openAPIV3Schema.properties[spec].properties[cronSpec].type: Required value: must not be empty for specified object fields',
      'spec.validation.openAPIV3Schema.properties[spec].properties[image].allOf[0].description: Forbidden: must be empty to be structural',
      'spec.validation.openAPIV3Schema.properties[spec].properties[replicas].type: Required value: must not be empty for specified object fields',
    ],
  ],
  [
    'an embedded resource without type or properties',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.template = { 'x-kubernetes-embedded-resource': true }),
    [
      'spec.validation.openAPIV3Schema.properties[template].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      'spec.validation.openAPIV3Schema.properties[template].type: Required value: must be object if x-kubernetes-embedded-resource is true',
    ],
  ],
  [
    'additionalProperties at the root',
    (c) => {
      delete c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties;
      c.spec!.versions![0]!.schema!.openAPIV3Schema!.additionalProperties = { type: 'string' };
    },
    ['spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root'],
  ],
  [
    'metadata in a nested context',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.properties!.spec!.not = { properties: { metadata: {} } }),
    ['spec.validation.openAPIV3Schema.properties[spec].not.properties[metadata]: Forbidden: must not be specified in a nested context'],
  ],
  [
    'a nullable root',
    (c) => (c.spec!.versions![0]!.schema!.openAPIV3Schema!.nullable = true),
    ['spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root'],
  ],
  [
    'a printer column of an unknown type and format, without jsonPath',
    (c) => (c.spec!.versions![0]!.additionalPrinterColumns = [{ name: 'X', type: 'float', format: 'int8' }]),
    [
      'spec.additionalPrinterColumns[0].type: Invalid value: "float": must be one of boolean,date,integer,number,string',
      'spec.additionalPrinterColumns[0].format: Invalid value: "int8": must be one of byte,date,date-time,double,float,int32,int64,password',
      'spec.additionalPrinterColumns[0].JSONPath: Required value',
    ],
  ],
  [
    'a printer column without name and type, with a relative jsonPath',
    (c) => (c.spec!.versions![0]!.additionalPrinterColumns = [{ jsonPath: 'spec.image' }]),
    [
      'spec.additionalPrinterColumns[0].name: Required value',
      'spec.additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string',
      'spec.additionalPrinterColumns[0].JSONPath: Invalid value: "spec.image": must be a simple json path starting with .',
    ],
  ],
  [
    'scale paths outside .spec and .status',
    (c) =>
      (c.spec!.versions![0]!.subresources = {
        scale: { specReplicasPath: '.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: '.selector' },
      }),
    [
      'spec.subresources.scale.specReplicasPath: Invalid value: ".replicas": should be a json path under .spec',
      'spec.subresources.scale.statusReplicasPath: Invalid value: "status.replicas": must be a simple json path starting with .',
      'spec.subresources.scale.labelSelectorPath: Invalid value: ".selector": should be a json path under either .spec or .status',
    ],
  ],
  [
    'scale without paths',
    (c) => (c.spec!.versions![0]!.subresources = { scale: {} }),
    ['spec.subresources.scale.specReplicasPath: Required value', 'spec.subresources.scale.statusReplicasPath: Required value'],
  ],
  [
    'a non-object root with the status subresource',
    (c) => {
      c.spec!.versions![0]!.subresources = { status: {} };
      c.spec!.versions![0]!.schema!.openAPIV3Schema!.type = 'string';
    },
    [
      'spec.validation.openAPIV3Schema.type: Invalid value: "string": only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
      'spec.validation.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    ],
  ],
  [
    'Webhook conversion without a webhook',
    (c) => (c.spec!.conversion = { strategy: 'Webhook' }),
    [
      'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
      'spec.conversion.conversionReviewVersions: Required value',
    ],
  ],
  [
    'an unknown conversion strategy',
    (c) => (c.spec!.conversion = { strategy: 'Magic' }),
    ['spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"'],
  ],
  [
    'a webhook with None',
    (c) =>
      (c.spec!.conversion = {
        strategy: 'None',
        webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://x.example.com' } },
      }),
    [
      'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
      'spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook',
    ],
  ],
];

const webhookCases: Case[] = [
  [
    'an http URL',
    (c) => (c.spec!.conversion!.webhook!.clientConfig = { url: 'http://convert.example.com/x' }),
    [
      'spec.conversion.webhookClientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
    ],
  ],
  [
    'a URL with user, query and fragment',
    (c) => (c.spec!.conversion!.webhook!.clientConfig = { url: 'https://me@convert.example.com/x?a=b#frag' }),
    [
      'spec.conversion.webhookClientConfig.url: Invalid value: "me": user information is not permitted in the URL',
      'spec.conversion.webhookClientConfig.url: Invalid value: "frag": fragments are not permitted in the URL',
      'spec.conversion.webhookClientConfig.url: Invalid value: "a=b": query parameters are not permitted in the URL',
    ],
  ],
  [
    'both url and service',
    (c) => (c.spec!.conversion!.webhook!.clientConfig!.url = 'https://convert.example.com'),
    ['spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required'],
  ],
  [
    'a service without name and namespace, with a bad port and path',
    (c) => (c.spec!.conversion!.webhook!.clientConfig = { service: { port: 70000, path: '/Convert//x' } }),
    [
      'spec.conversion.webhookClientConfig.service.name: Required value: service name is required',
      'spec.conversion.webhookClientConfig.service.namespace: Required value: service namespace is required',
      'spec.conversion.webhookClientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive',
      "spec.conversion.webhookClientConfig.service.path: Invalid value: \"/Convert//x\": segment[0]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      'spec.conversion.webhookClientConfig.service.path: Invalid value: "/Convert//x": segment[1] may not be empty',
    ],
  ],
  [
    'unknown conversionReviewVersions',
    (c) => (c.spec!.conversion!.webhook!.conversionReviewVersions = ['v2', 'v2']),
    [
      'spec.conversion.conversionReviewVersions[1]: Invalid value: "v2": duplicate version',
      'spec.conversion.conversionReviewVersions: Invalid value: []string{"v2", "v2"}: must include at least one of v1, v1beta1',
    ],
  ],
  [
    'differing schemas: per-version paths',
    (c) => delete c.spec!.versions![1]!.schema!.openAPIV3Schema!.properties!.spec!.properties!.image!.type,
    [
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[image].type: Required value: must not be empty for specified object fields',
    ],
  ],
  [
    "the status subresource on one version: that version's root is restricted",
    (c) => {
      c.spec!.versions![1]!.subresources = { status: {} };
      c.spec!.versions![1]!.schema!.openAPIV3Schema!.type = 'array';
      c.spec!.versions![1]!.schema!.openAPIV3Schema!.minProperties = 1;
    },
    [
      'spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "array": only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
      'spec.versions[1].schema.openAPIV3Schema.items: Required value: must be specified',
      'spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "array": must be object at the root',
    ],
  ],
  [
    'differing scale subresources: per-version paths',
    (c) => (c.spec!.versions![0]!.subresources = { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.replicas' } }),
    ['spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".replicas": should be a json path under .status'],
  ],
  [
    'differing printer columns: per-version paths',
    (c) => (c.spec!.versions![1]!.additionalPrinterColumns = [{ name: 'Image', type: 'string', jsonPath: '' }]),
    ['spec.versions[1].additionalPrinterColumns[0].JSONPath: Required value'],
  ],
  [
    'a deprecation warning on a version that is not deprecated',
    (c) => (c.spec!.versions![1]!.deprecationWarning = 'old'),
    ['spec.versions[1].deprecationWarning: Invalid value: "old": can only be set for deprecated versions'],
  ],
  [
    'a deprecation warning with a control character',
    (c) => (c.spec!.versions![0]!.deprecationWarning = 'use\tv1'),
    [
      'spec.versions[0].deprecationWarning: Invalid value: "use\\tv1": must only contain printable UTF-8 characters; non-printable character found at index 3',
    ],
  ],
];

describe('invalid CRDs report upstream causes', () => {
  it.each(cases)('%s', (_name, edit, expected) => {
    expect(messages(defaulted(cronTab(), edit))).toEqual(expected);
  });
  it.each(webhookCases)('%s', (_name, edit, expected) => {
    const crd = multiVersionWebhook();
    edit(crd);
    expect(messages(crd)).toEqual(expected);
  });

  it('reports storage versions: none, or more than one', () => {
    const none = defaulted(cronTab(), (c) => (c.spec!.versions![0]!.storage = false));
    expect(messages(none)).toEqual([
      expect.stringMatching(/^spec\.versions: Invalid value: .*: must have exactly one version marked as storage version$/),
      'status.storedVersions: Invalid value: []string(nil): must have at least one stored version',
    ]);
    const two = multiVersionWebhook();
    two.spec!.versions![0]!.storage = true;
    expect(messages(two)).toEqual([
      expect.stringMatching(/^spec\.versions: Invalid value: .*: must have exactly one version marked as storage version$/),
      'status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v1beta1',
    ]);
  });

  it('reports duplicate version names', () => {
    const crd = multiVersionWebhook();
    crd.spec!.versions![0]!.name = 'v1';
    // status.storedVersions names v1 once: the second v1, the storage one, finds it taken
    expect(messages(crd)).toEqual([
      expect.stringMatching(/^spec\.versions: Invalid value: .*: must contain unique version names$/),
      'status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v1',
    ]);
  });

  it('restricts the root schema when the status subresource is enabled', () => {
    const crd = defaulted(cronTab(), (c) => {
      c.spec!.versions![0]!.subresources = { status: {} };
      c.spec!.versions![0]!.schema!.openAPIV3Schema!.minProperties = 1;
    });
    expect(messages(crd)).toEqual([
      expect.stringMatching(
        /^spec\.validation\.openAPIV3Schema: Invalid value: .*: only \[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/,
      ),
    ]);
  });

  it('needs the approval annotation in protected groups', () => {
    const edit = (value?: string) => (c: CRD) => {
      c.metadata = { name: 'crontabs.stable.k8s.io', annotations: value === undefined ? {} : { 'api-approved.kubernetes.io': value } };
      c.spec!.group = 'stable.k8s.io';
    };
    expect(messages(defaulted(cronTab(), edit()))).toEqual([
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
    expect(messages(defaulted(cronTab(), edit('yes')))).toEqual([
      'metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
  });
});
