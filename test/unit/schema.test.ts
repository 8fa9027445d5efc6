import { describe, it, expect } from 'vitest';
import * as S from '../../src/api/schema/index.js';

type J = Record<string, any>;
const j = (s: unknown) => s as J;

describe('kind schemas', () => {
  it('use plain JSON schema only: no $ref, no patternProperties', () => {
    for (const s of [
      S.NamespaceSchema,
      S.ConfigMapSchema,
      S.SecretSchema,
      S.ServiceAccountSchema,
      S.LeaseSchema,
      S.EventSchema,
      S.EventsV1EventSchema,
      S.ServiceSchema,
      S.EndpointsSchema,
      S.EndpointSliceSchema,
      S.PodSchema,
      S.NodeSchema,
    ]) {
      const text = JSON.stringify(s);
      expect(text).not.toContain('$ref');
      expect(text).not.toContain('patternProperties');
      expect(j(s)['x-tinykube-name']).toMatch(/^io\.k8s\.api\./);
    }
  });

  it('carries upstream list and map extensions', () => {
    const spec = j(S.ServiceSpecSchema).properties;
    expect(spec.ports).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(spec.clusterIPs['x-kubernetes-list-type']).toBe('atomic');
    expect(spec.selector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' });
    const c = j(S.ContainerSchema).properties;
    expect(c.env).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-map-keys': ['name'] });
    expect(c.ports).toMatchObject({
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    });
    expect(c.volumeMounts['x-kubernetes-patch-merge-key']).toBe('mountPath');
    expect(j(S.PodSpecSchema).properties.volumes).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    });
    expect(j(S.NodeStatusSchema).properties.addresses['x-kubernetes-patch-merge-key']).toBe('type');
    expect(j(S.ObjectReferenceSchema)['x-kubernetes-map-type']).toBe('atomic');
    expect(j(S.ServicePortSchema).properties.targetPort['x-kubernetes-int-or-string']).toBe(true);
  });

  it('marks required fields like upstream', () => {
    expect(j(S.ServicePortSchema).required).toEqual(['port']);
    expect(j(S.ContainerSchema).required).toEqual(['name']);
    expect(j(S.PodSpecSchema).required).toEqual(['containers']);
    expect(j(S.EndpointSliceSchema).required).toEqual(['addressType', 'endpoints']);
    expect(j(S.EndpointSchema).required).toEqual(['addresses']);
    expect(j(S.EventSchema).required).toEqual(['metadata', 'involvedObject']);
    expect(j(S.EventsV1EventSchema).required).toEqual(['eventTime']);
    expect(j(S.ServiceSchema).required).toBeUndefined();
  });

  it('keeps rarely used subtrees free-form but typed where tinykube reads them', () => {
    expect(j(S.AffinitySchema)['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(j(S.NFSVolumeSourceSchema)['x-kubernetes-preserve-unknown-fields']).toBe(true);
    for (const typed of [
      S.EmptyDirVolumeSourceSchema,
      S.HostPathVolumeSourceSchema,
      S.ConfigMapVolumeSourceSchema,
      S.SecretVolumeSourceSchema,
      S.DownwardAPIVolumeSourceSchema,
      S.ProjectedVolumeSourceSchema,
    ]) {
      expect(j(typed).properties).toBeDefined();
      expect(j(typed)['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    }
    expect(j(S.ManagedFieldsEntrySchema).properties.fieldsV1['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('static types follow the schema', () => {
    const port: S.ServicePort = { port: 80, targetPort: 'http', protocol: 'TCP' };
    const svc: S.Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x', labels: { a: 'b' } },
      spec: { ports: [port], selector: { app: 'x' } },
    };
    expect(svc.spec?.ports?.[0]?.port).toBe(80);
  });
});
