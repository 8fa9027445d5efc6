import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { buildOpenAPI } from '../../src/server/openapi.js';
import type { ResourceDef } from '../../src/registry/types.js';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';
import { schemas as discoveryV1 } from '../../src/api/generated/discovery/v1.js';
import { schemas as authnV1 } from '../../src/api/generated/authentication/v1.js';

type J = Record<string, any>;

const def = (d: Partial<ResourceDef>): ResourceDef =>
  ({
    group: '',
    version: 'v1',
    namespaced: true,
    singular: d.kind!.toLowerCase(),
    table: { columns: [], row: () => [] },
    ...d,
  }) as ResourceDef;

const defs: ResourceDef[] = [
  def({ kind: 'Service', plural: 'services', schema: coreV1.Service, openapiName: 'io.k8s.api.core.v1.Service', statusSubresource: true }),
  def({ kind: 'Pod', plural: 'pods', schema: coreV1.Pod, openapiName: 'io.k8s.api.core.v1.Pod', statusSubresource: true }),
  def({
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    schema: coreV1.Namespace,
    openapiName: 'io.k8s.api.core.v1.Namespace',
  }),
  def({
    group: 'discovery.k8s.io',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    schema: discoveryV1.EndpointSlice,
    openapiName: 'io.k8s.api.discovery.v1.EndpointSlice',
  }),
  def({
    group: 'authentication.k8s.io',
    kind: 'TokenReview',
    plural: 'tokenreviews',
    namespaced: false,
    verbs: ['create'],
    schema: authnV1.TokenReview,
    openapiName: 'io.k8s.api.authentication.v1.TokenReview',
  }),
];

const api = await buildOpenAPI(defs);
const core = JSON.parse(api.docs.get('api/v1')!.body) as J;
const disc = JSON.parse(api.docs.get('apis/discovery.k8s.io/v1')!.body) as J;
const schemas = core.components.schemas as Record<string, J>;

describe('buildOpenAPI', () => {
  it('indexes one document per group-version with a content hash', () => {
    expect(Object.keys(api.index.paths).sort()).toEqual(['api/v1', 'apis/authentication.k8s.io/v1', 'apis/discovery.k8s.io/v1']);
    const doc = api.docs.get('api/v1')!;
    expect(doc.hash).toBe(createHash('sha512').update(doc.body).digest('hex').toUpperCase());
    expect(api.index.paths['api/v1']!.serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${doc.hash}`);
    expect(core.openapi).toBe('3.0.0');
  });

  it('marks kinds and lists with their GVK', () => {
    expect(schemas['io.k8s.api.core.v1.Service']!['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Service' },
    ]);
    expect(schemas['io.k8s.api.core.v1.ServiceList']!['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'ServiceList' },
    ]);
    expect(disc.components.schemas['io.k8s.api.discovery.v1.EndpointSlice']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
    ]);
    expect(disc.components.schemas['io.k8s.api.discovery.v1.EndpointSlice'].required).toEqual(['addressType', 'endpoints']);
  });

  it("serves upstream's definitions, descriptions included, and references them like upstream v3", () => {
    const spec = schemas['io.k8s.api.core.v1.ServiceSpec']!;
    const ports = spec.properties.ports;
    expect(ports.type).toBe('array');
    expect(ports.items).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ServicePort' }], default: {} });
    expect(ports['x-kubernetes-patch-merge-key']).toBe('port');
    expect(ports['x-kubernetes-patch-strategy']).toBe('merge');
    expect(ports['x-kubernetes-list-map-keys']).toEqual(['port', 'protocol']);
    const sp = schemas['io.k8s.api.core.v1.ServicePort']!;
    expect(sp.required).toEqual(['port']);
    expect(sp.description).toMatch(/^ServicePort contains information/);
    expect(sp.properties.targetPort.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ oneOf: [{ type: 'string' }, { type: 'number' }] });
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({ type: 'string', format: 'date-time' });
    // a field's description sits next to the reference, the type's on the component
    const svc = schemas['io.k8s.api.core.v1.Service']!;
    expect(svc.properties.spec).toMatchObject({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ServiceSpec' }], default: {} });
    expect(svc.properties.metadata.description).toMatch(/^Standard object's metadata\. More info: https:/);
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.description).toMatch(/^ObjectMeta is metadata/);
    // map values of a named type use a plain $ref
    const rr = schemas['io.k8s.api.core.v1.ResourceRequirements']!;
    expect(rr.properties.limits.additionalProperties).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
    });
    // Typed, as upstream (the hand-written schemas had it free-form).
    expect(schemas['io.k8s.api.core.v1.Affinity']!.properties.nodeAffinity).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.NodeAffinity' }],
      description: 'Describes node affinity scheduling rules for the pod.',
    });
    for (const n of ['ListMeta', 'Status', 'DeleteOptions', 'Patch', 'ObjectMeta', 'ManagedFieldsEntry', 'FieldsV1', 'MicroTime'].map(
      (x) => `io.k8s.apimachinery.pkg.apis.meta.v1.${x}`,
    )) {
      if (n.endsWith('MicroTime')) continue; // only referenced by kinds that use it (Event, Lease)
      expect(schemas[n], n).toBeDefined();
    }
  });

  it("has upstream's List types for listed kinds, none for create-only ones", () => {
    expect(schemas['io.k8s.api.core.v1.ServiceList']!.description).toBe('ServiceList holds a list of services.');
    const authn = JSON.parse(api.docs.get('apis/authentication.k8s.io/v1')!.body) as J;
    expect(Object.keys(authn.components.schemas).filter((n) => n.endsWith('List'))).toEqual([]);
    expect(authn.components.schemas['io.k8s.api.authentication.v1.TokenReview']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview' },
    ]);
  });

  it('strips private keys and leaves no dangling references', () => {
    for (const [key, doc] of api.docs) {
      expect(doc.body, key).not.toContain('x-tinykube');
      const parsed = JSON.parse(doc.body) as J;
      for (const m of doc.body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
        expect(parsed.components.schemas[m[1]!], m[1]).toBeDefined();
    }
  });

  it('declares fieldValidation on the PATCH of every kind, with GVK and action', () => {
    const item = core.paths['/api/v1/namespaces/{namespace}/services/{name}'];
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Service' });
    expect(item.patch['x-kubernetes-action']).toBe('patch');
    expect(item.patch.operationId).toBe('patchCoreV1NamespacedService');
    const names = item.patch.parameters.filter((p: J) => p.in === 'query').map((p: J) => p.name);
    expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager', 'force']));
    expect(Object.keys(item.patch.requestBody.content)).toContain('application/apply-patch+yaml');
    const status = core.paths['/api/v1/namespaces/{namespace}/services/{name}/status'];
    expect(status.patch.parameters.map((p: J) => p.name)).toContain('fieldValidation');
    const coll = core.paths['/api/v1/namespaces/{namespace}/services'];
    expect(coll.post.parameters.map((p: J) => p.name)).toContain('fieldValidation');
    expect(coll.get['x-kubernetes-action']).toBe('list');
    expect(core.paths['/api/v1/services'].get.operationId).toBe('listCoreV1ServiceForAllNamespaces');
    expect(core.paths['/api/v1/namespaces/{name}'].patch.operationId).toBe('patchCoreV1Namespace');
    expect(disc.paths['/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}'].patch.operationId).toBe(
      'patchDiscoveryV1NamespacedEndpointSlice',
    );
  });
});
