import { it, expect } from 'vitest';
import { fieldsOf, fieldsTree, toFieldsV1 } from '../../src/apimachinery/patch/fieldset.js';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';

const ServiceSchema = coreV1.Service;
const PodSchema = coreV1.Pod;
it('builds the same FieldsV1 tree for a create in one pass as the path-set form', () => {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'x', labels: { a: 'b' }, annotations: {} },
    spec: { ports: [{ port: 80, protocol: 'TCP', name: 'h' }], selector: { a: 'b' }, clusterIPs: ['1.2.3.4'], sessionAffinityConfig: {} },
    status: { loadBalancer: {} },
  };
  expect(fieldsTree(svc, ServiceSchema)).toEqual(toFieldsV1(fieldsOf(svc, ServiceSchema)));
  const pod = {
    metadata: { finalizers: ['x'] },
    spec: {
      containers: [
        { name: 'c', image: 'i', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} },
      ],
      nodeSelector: { a: 'b' },
      tolerations: [{ key: 'k' }],
    },
  };
  expect(fieldsTree(pod, PodSchema)).toEqual(toFieldsV1(fieldsOf(pod, PodSchema)));
});
