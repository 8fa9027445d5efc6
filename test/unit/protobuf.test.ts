import { describe, it, expect } from 'vitest';
import { decodeKubeProtobuf } from '../../src/apimachinery/protobuf/decode.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import { bytes, envelope, m, num, time } from '../helpers/protobuf.js';

// The exact bytes kubectl v1.32 sends for `kubectl create namespace demo`.
const NS = Buffer.from(
  '6b3873000a0f0a0276311209' +
    Buffer.from('Namespace').toString('hex') +
    '121c0a140a0464656d6f1200' +
    '1a0022002a00320038004200' +
    '12001a020a001a002200',
  'hex',
);

describe('kubernetes protobuf bodies', () => {
  it('decodes a Namespace like kubectl sends it, dropping Go zero values', () => {
    expect(decodeKubeProtobuf(NS)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' }, spec: {}, status: {} });
  });
  it('decodes a whole Pod as kubectl debug node/... sends it: embedded structs spread, pointers keep their zero values', () => {
    const volume = m(bytes(1, 'host-root'), bytes(2, bytes(1, bytes(1, '/')))); // Volume{name, VolumeSource{hostPath{path}}}
    const probe = bytes(1, bytes(1, m(bytes(1, 'true')))); // Probe{ProbeHandler{exec{command}}}
    const container = m(
      bytes(1, 'debugger'),
      bytes(2, 'busybox'),
      bytes(9, m(bytes(1, 'host-root'), bytes(3, '/host'))),
      bytes(11, probe),
      num(16, 1),
      num(18, 0),
    );
    const spec = m(bytes(1, volume), bytes(2, container), num(4, 0), bytes(10, 'vm'), num(11, 1), num(21, 0));
    const pod = m(bytes(1, bytes(1, 'node-debugger')), bytes(2, spec));
    const body = envelope('v1', 'Pod', pod);
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'node-debugger' },
      spec: {
        volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
        containers: [
          {
            name: 'debugger',
            image: 'busybox',
            volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
            readinessProbe: { exec: { command: ['true'] } },
            stdin: true,
          },
        ],
        terminationGracePeriodSeconds: 0,
        nodeName: 'vm',
        hostNetwork: true,
        automountServiceAccountToken: false,
      },
    });
  });

  it('decodes the other groups’ kinds a controller-runtime client sends: a Lease with microsecond times, an EndpointSlice', () => {
    const lease = m(
      bytes(1, bytes(1, 'my-operator')),
      bytes(2, m(bytes(1, 'pod-a_123'), num(2, 15), bytes(4, time(1_795_000_000, 123_456_789)), num(5, 0))),
    );
    expect(decodeKubeProtobuf(envelope('coordination.k8s.io/v1', 'Lease', lease))).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'my-operator' },
      spec: { holderIdentity: 'pod-a_123', leaseDurationSeconds: 15, renewTime: '2026-11-18T11:06:40.123456Z', leaseTransitions: 0 },
    });
    const slice = m(
      bytes(1, bytes(1, 's1')),
      bytes(2, m(bytes(1, '10.1.2.3'), bytes(2, num(1, 1)), bytes(4, m(bytes(1, 'Pod'), bytes(3, 'web'))))),
      bytes(4, 'IPv4'),
    );
    expect(decodeKubeProtobuf(envelope('discovery.k8s.io/v1', 'EndpointSlice', slice))).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 's1' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.2.3'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web' } }],
    });
  });

  it('refuses garbage with 400 and unknown kinds with 415', () => {
    const bad = (b: Buffer) => {
      try {
        decodeKubeProtobuf(b);
      } catch (e) {
        return (e as StatusError).code;
      }
      return 0;
    };
    expect(bad(Buffer.from('{"kind":"Namespace"}'))).toBe(400);
    expect(bad(Buffer.from('6b387300ff', 'hex'))).toBe(400);
    // A kind tinykube does not serve: flowcontrol.apiserver.k8s.io/v1 FlowSchema.
    expect(bad(envelope('flowcontrol.apiserver.k8s.io/v1', 'FlowSchema', m(bytes(1, bytes(1, 'web')))))).toBe(415);
  });

  it('decodes the workload kinds typed clients send: a Deployment with an IntOrString, a Job', () => {
    const labels = bytes(11, m(bytes(1, 'app'), bytes(2, 'web'))); // ObjectMeta.labels entry
    const container = m(bytes(1, 'web'), bytes(2, 'local/web'), bytes(3, 'sleep'), bytes(3, '3600'));
    const template = m(bytes(1, labels), bytes(2, bytes(2, container)));
    const selector = bytes(1, m(bytes(1, 'app'), bytes(2, 'web'))); // LabelSelector.matchLabels entry
    const rolling = m(bytes(2, m(num(1, 1), bytes(3, '50%')))); // RollingUpdateDeployment{maxSurge: "50%"}
    const spec = m(num(1, 3), bytes(2, selector), bytes(3, template), bytes(4, m(bytes(1, 'RollingUpdate'), bytes(2, rolling))));
    expect(decodeKubeProtobuf(envelope('apps/v1', 'Deployment', m(bytes(1, bytes(1, 'web')), bytes(2, spec))))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'local/web', command: ['sleep', '3600'] }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%' } },
      },
    });
    const job = m(bytes(1, bytes(1, 'once')), bytes(2, m(num(2, 5), num(1, 2), bytes(6, template))));
    expect(decodeKubeProtobuf(envelope('batch/v1', 'Job', job))).toMatchObject({
      kind: 'Job',
      spec: { completions: 5, parallelism: 2, template: { metadata: { labels: { app: 'web' } } } },
    });
  });
});
