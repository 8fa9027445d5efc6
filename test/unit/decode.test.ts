import { describe, it, expect } from 'vitest';
import { checkObject, strictDecodingError, unknownFieldWarnings } from '../../src/apimachinery/decode.js';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';
import { schemas as coordinationV1 } from '../../src/api/generated/coordination/v1.js';
import { schemas as discoveryV1 } from '../../src/api/generated/discovery/v1.js';

const ServiceSchema = coreV1.Service;
const PodSchema = coreV1.Pod;
const ConfigMapSchema = coreV1.ConfigMap;
const SecretSchema = coreV1.Secret;
const EventSchema = coreV1.Event;
const NodeSchema = coreV1.Node;
const LeaseSchema = coordinationV1.Lease;
const EndpointSliceSchema = discoveryV1.EndpointSlice;

const svc = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's' },
  spec,
  ...extra,
});

describe('checkObject', () => {
  it('accepts a valid Service with int-or-string targetPort and nulls', () => {
    const r = checkObject(
      svc({
        ports: [
          { port: 80, targetPort: 'http' },
          { port: 81, targetPort: 8080, name: null },
        ],
        selector: { app: 'x' },
        clusterIP: null,
      }),
      ServiceSchema,
      'Service',
    );
    expect(r).toEqual({ typeErrors: [], converterErrors: [], unknownFields: [] });
  });

  it('reports unknown fields with indexed paths', () => {
    const r = checkObject(svc({ ports: [{ port: 80 }, { port: 81, foo: 1 }], bar: true }, { extra: 1 }), ServiceSchema, 'Service');
    expect(r.unknownFields).toEqual(['spec.ports[1].foo', 'spec.bar', 'extra']);
    expect(r.typeErrors).toEqual([]);
    expect(strictDecodingError(r.unknownFields)).toBe(
      'strict decoding error: unknown field "spec.ports[1].foo", unknown field "spec.bar", unknown field "extra"',
    );
    expect(unknownFieldWarnings(['spec.foo'])).toEqual(['unknown field "spec.foo"']);
  });

  it('field names are case sensitive', () => {
    expect(checkObject(svc({ Ports: [] }), ServiceSchema, 'Service').unknownFields).toEqual(['spec.Ports']);
  });

  it('uses Go struct field texts for wrong types', () => {
    expect(checkObject(svc({ ports: [{ port: '80' }] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    ]);
    expect(checkObject(svc({ ports: [{ port: 80, name: 5 }] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal number into Go struct field ServicePort.spec.ports.name of type string',
    ]);
    expect(checkObject(svc({ ports: [{ port: 1.5 }] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.port of type int32',
    ]);
    expect(checkObject(svc({ ports: [{ port: 80, protocol: 6 }] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal number into Go struct field ServicePort.spec.ports.protocol of type v1.Protocol',
    ]);
    expect(checkObject(svc({ ports: { port: 80 } }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort',
    ]);
    expect(checkObject(svc({ ports: ['x'] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type v1.ServicePort',
    ]);
    expect(checkObject(svc('x'), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec',
    ]);
    expect(checkObject(svc({ ipFamilies: [4] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal number into Go struct field ServiceSpec.spec.ipFamilies of type v1.IPFamily',
    ]);
  });

  it('reports map values against the map field, and only the first type error', () => {
    const cm = { metadata: { name: 'c', labels: { a: 1 } }, data: { k: { x: 1 } } };
    expect(checkObject(cm, ConfigMapSchema, 'ConfigMap').typeErrors).toEqual([
      'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    ]);
    expect(checkObject({ metadata: {}, data: { k: { x: 1 } } }, ConfigMapSchema, 'ConfigMap').typeErrors).toEqual([
      'json: cannot unmarshal object into Go struct field ConfigMap.data of type string',
    ]);
  });

  it('int-or-string, quantity, time and base64 use their own decoders texts', () => {
    expect(checkObject(svc({ ports: [{ port: 80, targetPort: true }] }), ServiceSchema, 'Service').typeErrors).toEqual([
      'json: cannot unmarshal bool into Go value of type int32',
    ]);
    const pod = (res: unknown) => ({ metadata: {}, spec: { containers: [{ name: 'c', resources: { limits: res } }] } });
    expect(checkObject(pod({ cpu: '100m', memory: 1024, x: '1.5Gi', y: '1e3' }), PodSchema, 'Pod').typeErrors).toEqual([]);
    expect(checkObject(pod({ cpu: 'abc' }), PodSchema, 'Pod').typeErrors).toEqual([
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]);
    expect(checkObject(pod({ cpu: '1KK' }), PodSchema, 'Pod').typeErrors).toEqual(["unable to parse quantity's suffix"]);
    expect(checkObject(pod('x'), PodSchema, 'Pod').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList',
    ]);
    const ev = (t: unknown) => ({ metadata: {}, involvedObject: {}, firstTimestamp: t });
    expect(checkObject(ev('2024-01-02T03:04:05Z'), EventSchema, 'Event').typeErrors).toEqual([]);
    expect(checkObject(ev('2024-01-02T03:04:05.123+02:00'), EventSchema, 'Event').typeErrors).toEqual([]);
    expect(checkObject(ev('yesterday'), EventSchema, 'Event').typeErrors).toEqual([
      'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    ]);
    expect(checkObject(ev('2024-01-02 03:04:05Z'), EventSchema, 'Event').typeErrors).toEqual([
      'parsing time "2024-01-02 03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 03:04:05Z" as "T"',
    ]);
    expect(checkObject(ev('2024-13-02T03:04:05Z'), EventSchema, 'Event').typeErrors).toEqual([
      'parsing time "2024-13-02T03:04:05Z": month out of range',
    ]);
    expect(checkObject(ev('2023-02-29T03:04:05Z'), EventSchema, 'Event').typeErrors).toEqual([
      'parsing time "2023-02-29T03:04:05Z": day out of range',
    ]);
    expect(checkObject(ev(5), EventSchema, 'Event').typeErrors).toEqual(['json: cannot unmarshal number into Go value of type string']);
    const lease = (t: string) => ({ metadata: {}, spec: { renewTime: t } });
    expect(checkObject(lease('2024-01-02T03:04:05.123456Z'), LeaseSchema, 'Lease').typeErrors).toEqual([]);
    expect(checkObject(lease('2024-01-02T03:04:05Z'), LeaseSchema, 'Lease').typeErrors).toEqual([
      'parsing time "2024-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    ]);
    expect(checkObject({ metadata: {}, data: { a: 'aGVsbG8=', b: 'aGVsbG8' } }, SecretSchema, 'Secret').typeErrors).toEqual([
      'illegal base64 data at input byte 4',
    ]);
    expect(checkObject({ metadata: {}, data: { a: 'aG!s' } }, SecretSchema, 'Secret').typeErrors).toEqual([
      'illegal base64 data at input byte 2',
    ]);
  });

  it("affinity and volume sources are typed as upstream's (unknown fields, Go types); managedFields fieldsV1 accepts anything", () => {
    // The hand-written schemas left these subtrees free-form; kube-apiserver decodes them into structs.
    const pod = {
      metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
      spec: {
        containers: [{ name: 'c' }],
        affinity: { nodeAffinity: { whatever: [1, 2] } },
        volumes: [{ name: 'v', nfs: { server: 'x', anything: true } }],
      },
    };
    expect(checkObject(pod, PodSchema, 'Pod')).toEqual({
      typeErrors: [],
      converterErrors: [],
      unknownFields: ['spec.affinity.nodeAffinity.whatever', 'spec.volumes[0].nfs.anything'],
    });
    const terms = (operator: unknown) => ({
      spec: {
        containers: [{ name: 'c' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator }] }] },
          },
        },
      },
    });
    expect(checkObject(terms('In'), PodSchema, 'Pod').typeErrors).toEqual([]);
    expect(checkObject(terms(5), PodSchema, 'Pod').typeErrors).toEqual([
      'json: cannot unmarshal number into Go struct field NodeSelectorRequirement.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.matchExpressions.operator of type v1.NodeSelectorOperator',
    ]);
    const nfs = { spec: { containers: [{ name: 'c' }], volumes: [{ name: 'v', nfs: { server: 'x', path: '/', readOnly: 'yes' } }] } };
    expect(checkObject(nfs, PodSchema, 'Pod').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field NFSVolumeSource.spec.volumes.nfs.readOnly of type bool',
    ]);
  });

  it('walks Node, EndpointSlice and deep Pod paths', () => {
    const node = { metadata: {}, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1', zone: 'x' }], capacity: { cpu: '4' } } };
    expect(checkObject(node, NodeSchema, 'Node').unknownFields).toEqual(['status.addresses[0].zone']);
    const es = { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }] };
    expect(checkObject(es, EndpointSliceSchema, 'EndpointSlice').typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field EndpointConditions.endpoints.conditions.ready of type bool',
    ]);
    const pod = {
      spec: {
        containers: [
          { name: 'c', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'x', bogus: 1 } } }], ports: [{ containerPort: '80' }] },
        ],
      },
    };
    const r = checkObject(pod, PodSchema, 'Pod');
    expect(r.unknownFields).toEqual(['spec.containers[0].env[0].valueFrom.fieldRef.bogus']);
    expect(r.typeErrors).toEqual([
      'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    ]);
  });
});
