// Invalid Pods, each refused with upstream v1.32's exact 422 text (pkg/apis/core/validation
// ValidatePodCreate / ValidatePodSpec / ValidatePodUpdate), through the real API; valid Pods
// (every volume type tinykube mounts, every container feature) that must be accepted; invalid
// updates, including the "pod updates may not change fields" error with its cmp-style diff.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { validatePodSpec } from '../../src/registry/pod/strategy.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const PODS = '/api/v1/namespaces/default/pods';
function post(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return api(tc.cluster, 'POST', PODS, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec } });
}
function patch(name: string, body: object) {
  return api(tc.cluster, 'PATCH', `${PODS}/${name}`, { body, contentType: 'application/strategic-merge-patch+json' });
}

/** A node selector no node matches: valid Pods stay Pending and nothing of them runs here. */
const PENDING = { 'tinykube.test/pin': 'nowhere' };
const c = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'busybox:1.36', ...extra });
const pod = (containerExtra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  containers: [c(containerExtra)],
  ...spec,
});

const LABEL_RE = `(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
const SUBDOMAIN_RE = `(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
const DNS_LABEL = (f: string, v: string) =>
  `${f}: Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character ${LABEL_RE}`;
const DNS_SUBDOMAIN = (f: string, v: string) =>
  `${f}: Invalid value: "${v}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character ${SUBDOMAIN_RE}`;
const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const BAD_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
const C0 = 'spec.containers[0]';

interface Case {
  what: string;
  spec: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  errors: string[];
}

const cases: Case[] = [
  // containers: names, images
  { what: 'no containers', spec: {}, errors: ['spec.containers: Required value'] },
  {
    what: 'container name not a DNS label',
    spec: { containers: [{ name: 'Web_1', image: 'x' }] },
    errors: [DNS_LABEL(`${C0}.name`, 'Web_1')],
  },
  { what: 'container without a name', spec: { containers: [{ image: 'x' }] }, errors: [`${C0}.name: Required value`] },
  { what: 'duplicate container names', spec: { containers: [c(), c()] }, errors: ['spec.containers[1].name: Duplicate value: "app"'] },
  {
    what: 'init container named like a container',
    spec: { initContainers: [c()], containers: [c()] },
    errors: ['spec.initContainers[0].name: Duplicate value: "app"'],
  },
  { what: 'image missing', spec: pod({ image: '' }), errors: [`${C0}.image: Required value`] },
  {
    what: 'image with a trailing space',
    spec: pod({ image: 'nginx ' }),
    errors: [`${C0}.image: Invalid value: "nginx ": must not have leading or trailing whitespace`],
  },
  {
    what: 'unknown imagePullPolicy and terminationMessagePolicy',
    spec: pod({ imagePullPolicy: 'Sometimes', terminationMessagePolicy: 'Verbose' }),
    errors: [
      `${C0}.terminationMessagePolicy: Unsupported value: "Verbose": supported values: "File", "FallbackToLogsOnError"`,
      `${C0}.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
    ],
  },
  // ports
  { what: 'containerPort 0', spec: pod({ ports: [{ containerPort: 0 }] }), errors: [`${C0}.ports[0].containerPort: Required value`] },
  {
    what: 'containerPort and hostPort out of range',
    spec: pod({ ports: [{ containerPort: 70000, hostPort: 65536 }] }),
    errors: [
      `${C0}.ports[0].containerPort: Invalid value: 70000: ${PORT_RANGE}`,
      `${C0}.ports[0].hostPort: Invalid value: 65536: ${PORT_RANGE}`,
    ],
  },
  {
    what: 'unknown protocol',
    spec: pod({ ports: [{ containerPort: 80, protocol: 'HTTP' }] }),
    errors: [`${C0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`],
  },
  {
    what: 'port names against IANA_SVC_NAME',
    spec: pod({
      ports: [
        { containerPort: 80, name: 'HTTP' },
        { containerPort: 81, name: 'web-server-port-1' },
        { containerPort: 82, name: '-8080' },
      ],
    }),
    errors: [
      `${C0}.ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
      `${C0}.ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)`,
      `${C0}.ports[1].name: Invalid value: "web-server-port-1": must be no more than 15 characters`,
      `${C0}.ports[2].name: Invalid value: "-8080": must contain at least one letter (a-z)`,
      `${C0}.ports[2].name: Invalid value: "-8080": must not begin or end with a hyphen`,
    ],
  },
  {
    what: 'duplicate port names',
    spec: pod({
      ports: [
        { containerPort: 80, name: 'http' },
        { containerPort: 81, name: 'http' },
      ],
    }),
    errors: [`${C0}.ports[1].name: Duplicate value: "http"`],
  },
  {
    what: 'the same hostPort in two containers',
    spec: {
      containers: [
        c({ ports: [{ containerPort: 80, hostPort: 8080 }] }),
        c({ name: 'side', ports: [{ containerPort: 81, hostPort: 8080 }] }),
      ],
    },
    errors: ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
  },
  {
    what: 'hostNetwork with hostPort different from containerPort',
    spec: pod({ ports: [{ containerPort: 80, hostPort: 8080 }] }, { hostNetwork: true }),
    errors: [`${C0}.ports[0].hostPort: Invalid value: 8080: must match \`containerPort\` when \`hostNetwork\` is true`],
  },
  // env and envFrom
  {
    what: 'env names: missing and with "="',
    spec: pod({ env: [{ value: 'x' }, { name: 'A=B', value: 'y' }] }),
    errors: [
      `${C0}.env[0].name: Required value`,
      `${C0}.env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    ],
  },
  {
    what: 'valueFrom without a source, with two sources, and beside a value',
    spec: pod({
      env: [
        { name: 'A', valueFrom: {} },
        { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'C', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ],
    }),
    errors: [
      `${C0}.env[0].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
      `${C0}.env[1].valueFrom: Invalid value: "": may not have more than one field specified at a time`,
      `${C0}.env[2].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`,
    ],
  },
  {
    what: 'fieldRef paths env does not support',
    spec: pod({
      env: [
        { name: 'L', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } },
      ],
    }),
    errors: [
      `${C0}.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
      `${C0}.env[1].valueFrom.fieldRef.fieldPath: Invalid value: "spec.foo": error converting fieldPath: field label not supported: spec.foo`,
    ],
  },
  {
    what: 'resourceFieldRef of an unknown resource and a bad cpu divisor',
    spec: pod({
      env: [
        { name: 'G', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } },
        { name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } } },
      ],
    }),
    errors: [
      `${C0}.env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"`,
      `${C0}.env[1].valueFrom.resourceFieldRef.divisor: Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`,
    ],
  },
  {
    what: 'configMapKeyRef and secretKeyRef names and keys',
    spec: pod({
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: '', key: 'bad key!' } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'creds' } } },
      ],
    }),
    errors: [
      DNS_SUBDOMAIN(`${C0}.env[0].valueFrom.configMapKeyRef.name`, ''),
      `${C0}.env[0].valueFrom.configMapKeyRef.key: Invalid value: "bad key!": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `${C0}.env[1].valueFrom.secretKeyRef.key: Required value`,
    ],
  },
  {
    what: 'envFrom without a source, and with two sources and a bad prefix',
    spec: pod({ envFrom: [{ prefix: 'P_' }, { prefix: 'A=', configMapRef: { name: 'cm' }, secretRef: { name: 'Bad_Secret' } }] }),
    errors: [
      `${C0}.envFrom: Invalid value: "": must specify one of: \`configMapRef\` or \`secretRef\``,
      `${C0}.envFrom[1].prefix: Invalid value: "A=": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      DNS_SUBDOMAIN(`${C0}.envFrom[1].secretRef.name`, 'Bad_Secret'),
      `${C0}.envFrom: Invalid value: "": may not have more than one field specified at a time`,
    ],
  },
  // volumes
  {
    what: 'a volume with two sources',
    spec: pod({}, { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/tmp' } }] }),
    errors: ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
  },
  {
    what: 'volume names: duplicate and not a DNS label',
    spec: pod(
      {},
      {
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'data', emptyDir: {} },
          { name: 'Bad_Name', emptyDir: {} },
        ],
      },
    ),
    errors: ['spec.volumes[1].name: Duplicate value: "data"', DNS_LABEL('spec.volumes[2].name', 'Bad_Name')],
  },
  {
    what: 'hostPath without a path',
    spec: pod({}, { volumes: [{ name: 'h', hostPath: { path: '' } }] }),
    errors: ['spec.volumes[0].hostPath.path: Required value'],
  },
  {
    what: 'hostPath with a backstep and an unknown type',
    spec: pod({}, { volumes: [{ name: 'h', hostPath: { path: '/a/../b', type: 'Dir' } }] }),
    errors: [
      `spec.volumes[0].hostPath.path: Invalid value: "/a/../b": must not contain '..'`,
      'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    ],
  },
  {
    what: 'emptyDir with a negative sizeLimit',
    spec: pod({}, { volumes: [{ name: 'e', emptyDir: { sizeLimit: '-1Gi' } }] }),
    errors: ['spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity'],
  },
  {
    what: 'configMap volume without a name, an absolute item path, item mode 1000',
    spec: pod({}, { volumes: [{ name: 'cm', configMap: { items: [{ key: 'a', path: '/abs', mode: 1000 }] } }] }),
    errors: [
      'spec.volumes[0].configMap.name: Required value',
      'spec.volumes[0].configMap.items[0].path: Invalid value: "/abs": must be a relative path',
      `spec.volumes[0].configMap.items[0].mode: Invalid value: 1000: ${FILE_MODE}`,
    ],
  },
  {
    what: 'secret volume: defaultMode 512, item without key, paths with ..',
    spec: pod(
      {},
      {
        volumes: [{ name: 's', secret: { secretName: 's', defaultMode: 512, items: [{ path: '..data' }, { key: 'k', path: 'a/../b' }] } }],
      },
    ),
    errors: [
      `spec.volumes[0].secret.defaultMode: Invalid value: 512: ${FILE_MODE}`,
      'spec.volumes[0].secret.items[0].key: Required value',
      `spec.volumes[0].secret.items[0].path: Invalid value: "..data": must not start with '..'`,
      `spec.volumes[0].secret.items[1].path: Invalid value: "a/../b": must not contain '..'`,
    ],
  },
  {
    what: 'secret volume without secretName',
    spec: pod({}, { volumes: [{ name: 's', secret: {} }] }),
    errors: ['spec.volumes[0].secret.secretName: Required value'],
  },
  {
    what: 'downwardAPI items: an unsupported fieldPath, neither fieldRef nor resourceFieldRef, resourceFieldRef without container',
    spec: pod(
      {},
      {
        volumes: [
          {
            name: 'd',
            downwardAPI: {
              items: [
                { path: 'node', fieldRef: { fieldPath: 'spec.nodeName' } },
                { path: 'x' },
                { path: 'mem', resourceFieldRef: { resource: 'limits.memory' } },
              ],
            },
          },
        ],
      },
    ),
    errors: [
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
      'spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
      'spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value',
    ],
  },
  {
    what: 'projected: short token, absolute token path, two kinds in one source',
    spec: pod(
      {},
      {
        volumes: [
          {
            name: 'p',
            projected: {
              sources: [
                { serviceAccountToken: { path: '/token', expirationSeconds: 60, audience: 'vault' } },
                { configMap: { name: 'c' }, secret: { name: 's' } },
              ],
            },
          },
        ],
      },
    ),
    errors: [
      'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.volumes[0].projected.path: Invalid value: "/token": must be a relative path',
      'spec.volumes[0].projected.sources[1]: Forbidden: may not specify more than 1 volume type per source',
    ],
  },
  {
    what: 'projected: token over 2^32 seconds without a path, duplicate item paths',
    spec: pod(
      {},
      {
        volumes: [
          {
            name: 'p',
            projected: {
              sources: [
                { serviceAccountToken: { path: '', expirationSeconds: 4294967297 } },
                { configMap: { name: 'c', items: [{ key: 'a', path: 'same' }] } },
                { secret: { name: 's', items: [{ key: 'b', path: 'same' }] } },
              ],
            },
          },
        ],
      },
    ),
    errors: [
      'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
      'spec.volumes[0].projected.path: Required value',
      'spec.volumes[0].projected: Invalid value: "s": conflicting duplicate paths',
    ],
  },
  // volumeMounts
  {
    what: 'mount of an unknown volume, and of an invalid one',
    spec: pod(
      {
        volumeMounts: [
          { name: 'missing', mountPath: '/a' },
          { name: 'h', mountPath: '/b' },
        ],
      },
      { volumes: [{ name: 'h', hostPath: { path: '' } }] },
    ),
    errors: [
      'spec.volumes[0].hostPath.path: Required value',
      `${C0}.volumeMounts[0].name: Not found: "missing"`,
      `${C0}.volumeMounts[1].name: Not found: "h"`,
    ],
  },
  {
    what: 'mountPath repeated and missing',
    spec: pod(
      { volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'data', mountPath: '/data' }, { name: 'data' }] },
      { volumes: [{ name: 'data', emptyDir: {} }] },
    ),
    errors: [`${C0}.volumeMounts[1].mountPath: Invalid value: "/data": must be unique`, `${C0}.volumeMounts[2].mountPath: Required value`],
  },
  {
    what: 'subPath absolute and climbing out',
    spec: pod(
      {
        volumeMounts: [
          { name: 'data', mountPath: '/a', subPath: '/abs' },
          { name: 'data', mountPath: '/b', subPath: '../up' },
        ],
      },
      { volumes: [{ name: 'data', emptyDir: {} }] },
    ),
    errors: [
      `${C0}.volumeMounts.subPath: Invalid value: "/abs": must be a relative path`,
      `${C0}.volumeMounts.subPath: Invalid value: "../up": must not contain '..'`,
    ],
  },
  // probes and hooks
  {
    what: 'probe without a handler',
    spec: pod({ livenessProbe: { periodSeconds: 5 } }),
    errors: [`${C0}.livenessProbe: Required value: must specify a handler type`],
  },
  {
    what: 'probe with two handlers',
    spec: pod({ readinessProbe: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } }),
    errors: [`${C0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`],
  },
  {
    what: 'liveness and startup successThreshold other than 1',
    spec: pod({
      livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 },
      startupProbe: { exec: { command: ['true'] }, successThreshold: 3 },
    }),
    errors: [
      `${C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`,
      `${C0}.startupProbe.successThreshold: Invalid value: 3: must be 1`,
    ],
  },
  {
    what: 'negative probe timings',
    spec: pod({ readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: -1, periodSeconds: -5, failureThreshold: -1 } }),
    errors: [
      `${C0}.readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0`,
      `${C0}.readinessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0`,
      `${C0}.readinessProbe.failureThreshold: Invalid value: -1: must be greater than or equal to 0`,
    ],
  },
  {
    what: 'probe-level terminationGracePeriodSeconds',
    spec: pod({
      livenessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 0 },
      readinessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 10 },
    }),
    errors: [
      `${C0}.livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0`,
      `${C0}.readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes`,
    ],
  },
  {
    what: 'probe ports and scheme, exec without command',
    spec: pod({
      livenessProbe: { httpGet: { port: 'Web_Port', scheme: 'FTP' } },
      readinessProbe: { tcpSocket: { port: 70000 } },
      startupProbe: { exec: { command: [] } },
    }),
    errors: [
      `${C0}.livenessProbe.httpGet.port: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
      `${C0}.livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"`,
      `${C0}.readinessProbe.tcpSocket.port: Invalid value: 70000: ${PORT_RANGE}`,
      `${C0}.startupProbe.exec.command: Required value`,
    ],
  },
  {
    what: 'lifecycle: sleep longer than the grace period, preStop without handler',
    spec: pod({ lifecycle: { postStart: { sleep: { seconds: 60 } }, preStop: {} } }),
    errors: [
      `${C0}.lifecycle.postStart.sleep: Invalid value: 60: must be greater than 0 and less than terminationGracePeriodSeconds (30). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
      `${C0}.lifecycle.preStop: Required value: must specify a handler type`,
    ],
  },
  {
    what: 'restartPolicy on a container, probes on a plain init container, unknown init restartPolicy',
    spec: {
      initContainers: [
        c({ name: 'init', livenessProbe: { exec: { command: ['true'] } } }),
        c({ name: 'side', restartPolicy: 'OnFailure' }),
      ],
      containers: [c({ restartPolicy: 'Always' })],
    },
    errors: [
      `${C0}.restartPolicy: Forbidden: may not be set for non-init containers`,
      'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[1].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ],
  },
  // resources
  {
    what: 'requests above limits',
    spec: pod({ resources: { limits: { cpu: '500m' }, requests: { cpu: '1' } } }),
    errors: [`${C0}.resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m`],
  },
  {
    what: 'a resource name that is neither standard nor qualified',
    spec: pod({ resources: { limits: { gpu: '1' } } }),
    errors: [
      `${C0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
      `${C0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
      `${C0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
      `${C0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
    ],
  },
  {
    what: 'a negative memory request',
    spec: pod({ resources: { requests: { memory: '-1Gi' } } }),
    errors: [`${C0}.resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0`],
  },
  {
    what: 'an extended resource request without a limit',
    spec: pod({ resources: { requests: { 'example.com/gpu': '1' } } }),
    errors: [`${C0}.resources.limits: Required value: Limit must be set for non overcommitable resources`],
  },
  {
    what: 'a fractional extended resource',
    spec: pod({ resources: { limits: { 'example.com/gpu': '500m' } } }),
    errors: [
      `${C0}.resources.limits[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: must be an integer`,
      `${C0}.resources.requests[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: must be an integer`,
    ],
  },
  // pod-level fields
  {
    what: 'unknown restartPolicy and dnsPolicy',
    spec: pod({}, { restartPolicy: 'Sometimes', dnsPolicy: 'Google' }),
    errors: [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ],
  },
  {
    what: 'dnsPolicy None without dnsConfig',
    spec: pod({}, { dnsPolicy: 'None' }),
    errors: ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
  },
  {
    what: 'dnsPolicy None without nameservers',
    spec: pod({}, { dnsPolicy: 'None', dnsConfig: { searches: ['example.com'] } }),
    errors: ['spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None'],
  },
  {
    what: 'dnsConfig: four nameservers, a bad one, a bad search, an option without name',
    spec: pod(
      {},
      {
        dnsConfig: {
          nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', 'not-an-ip'],
          searches: ['my_domain.local.'],
          options: [{ value: '2' }],
        },
      },
    ),
    errors: [
      'spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "not-an-ip"}: must not have more than 3 nameservers',
      `spec.dnsConfig.nameservers[3]: Invalid value: "not-an-ip": ${BAD_IP}`,
      DNS_SUBDOMAIN('spec.dnsConfig.searches[0]', 'my_domain.local'),
      'spec.dnsConfig.options[0]: Required value: must not be empty',
    ],
  },
  {
    what: 'more than 32 search paths',
    spec: pod({}, { dnsConfig: { searches: Array.from({ length: 33 }, (_, i) => `s${i}.example`) } }),
    errors: [
      `spec.dnsConfig.searches: Invalid value: []string{${Array.from({ length: 33 }, (_, i) => `"s${i}.example"`).join(', ')}}: must not have more than 32 search paths`,
    ],
  },
  {
    what: 'hostAliases with a bad IP and hostname',
    spec: pod({}, { hostAliases: [{ ip: '999.1.1.1', hostnames: ['Bad_Host'] }] }),
    errors: [
      `spec.hostAliases[0].ip: Invalid value: "999.1.1.1": ${BAD_IP}`,
      DNS_SUBDOMAIN('spec.hostAliases[0].hostnames[0]', 'Bad_Host'),
    ],
  },
  {
    what: 'hostname and subdomain not DNS labels',
    spec: pod({}, { hostname: 'My_Host', subdomain: 'a.b' }),
    errors: [DNS_LABEL('spec.hostname', 'My_Host'), DNS_LABEL('spec.subdomain', 'a.b')],
  },
  {
    what: 'activeDeadlineSeconds 0',
    spec: pod({}, { activeDeadlineSeconds: 0 }),
    errors: ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  },
  {
    what: 'toleration without key but Equal, tolerationSeconds without NoExecute',
    spec: pod({}, { tolerations: [{ operator: 'Equal', value: 'x', effect: 'NoSchedule', tolerationSeconds: 10 }] }),
    errors: [
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      `spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
    ],
  },
  {
    what: 'security contexts: negative runAsUser, Localhost seccomp without profile',
    spec: pod({ securityContext: { runAsUser: -5 } }, { securityContext: { runAsUser: -1, seccompProfile: { type: 'Localhost' } } }),
    errors: [
      `${C0}.securityContext.runAsUser: Invalid value: -5: must be between 0 and 2147483647, inclusive`,
      'spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      'spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
    ],
  },
  {
    what: 'readinessGates condition type not a qualified name',
    spec: pod({}, { readinessGates: [{ conditionType: 'bad type!' }] }),
    errors: [
      `spec.readinessGates[0].conditionType: Invalid value: "bad type!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ],
  },
  {
    what: 'duplicate schedulingGates with nodeName set',
    spec: pod({}, { nodeName: 'n1', schedulingGates: [{ name: 'example.com/gate' }, { name: 'example.com/gate' }] }),
    errors: [
      'spec.schedulingGates[1]: Duplicate value: "example.com/gate"',
      'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
    ],
  },
  {
    what: 'topologySpreadConstraints: maxSkew 0, unknown whenUnsatisfiable',
    spec: pod({}, { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Never' }] }),
    errors: [
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
      'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Never": supported values: "DoNotSchedule", "ScheduleAnyway"',
    ],
  },
  {
    what: 'node affinity with an unknown operator',
    spec: pod(
      {},
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Equals', values: ['a'] }] }],
            },
          },
        },
      },
    ),
    errors: [
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
    ],
  },
  {
    what: 'unknown os',
    spec: pod({}, { os: { name: 'plan9' } }),
    errors: ['spec.os: Unsupported value: "plan9": supported values: "linux", "windows"'],
  },
  {
    what: 'ephemeral containers on create',
    spec: pod({}, { ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }),
    errors: ['spec.ephemeralContainers: Forbidden: cannot be set on create'],
  },
  // annotations
  {
    what: 'pod-deletion-cost not an int32, mirror annotation without nodeName',
    metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': 'abc', 'kubernetes.io/config.mirror': 'x' } },
    spec: pod(),
    errors: [
      'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": must set spec.nodeName if mirror pod annotation is set',
      'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "abc": must be a 32bit integer',
    ],
  },
  // several faults at once come back in upstream's order
  {
    what: 'errors in upstream order: volumes, containers, init containers, pod fields',
    spec: {
      restartPolicy: 'Sometimes',
      hostname: 'Bad_Host',
      initContainers: [{ name: 'init', image: '' }],
      containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 0 }] }],
      volumes: [{ name: 'v', hostPath: { path: '' } }],
    },
    errors: [
      'spec.volumes[0].hostPath.path: Required value',
      `${C0}.ports[0].containerPort: Required value`,
      'spec.initContainers[0].image: Required value',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      DNS_LABEL('spec.hostname', 'Bad_Host'),
    ],
  },
];

describe('invalid Pods are refused with upstream texts', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  for (const [i, tcase] of cases.entries()) {
    it(tcase.what, async () => {
      const name = `bad-${i}`;
      const r = await post(name, tcase.spec, tcase.metadata);
      const st = r.json();
      const joined = tcase.errors.length === 1 ? tcase.errors[0] : `[${tcase.errors.join(', ')}]`;
      expect({ code: r.status, reason: st.reason, message: st.message }).toEqual({
        code: 422,
        reason: 'Invalid',
        message: `Pod "${name}" is invalid: ${joined}`,
      });
      expect(st.details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`)).toEqual(tcase.errors);
      // Nothing was stored by the refused create.
      expect((await api(tc.cluster, 'GET', `${PODS}/${name}`)).status).toBe(404);
    });
  }
});

describe('valid Pods are accepted', () => {
  it('every volume type tinykube mounts, with upstream defaults filled in', async () => {
    const spec = {
      nodeSelector: PENDING,
      volumes: [
        { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'plain' },
        { name: 'host', hostPath: { path: '/tmp/tinykube-never-created', type: 'DirectoryOrCreate' } },
        { name: 'host-any', hostPath: { path: '/tmp' } },
        {
          name: 'config',
          configMap: {
            name: 'app-config',
            items: [{ key: 'a.conf', path: 'conf/a.conf', mode: 0o400 }],
            defaultMode: 0o644,
            optional: true,
          },
        },
        { name: 'creds', secret: { secretName: 'app-secret', items: [{ key: 'password', path: 'password' }], defaultMode: 0o600 } },
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
              { path: 'team', fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['Example.com/Team']" } },
              { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
            ],
          },
        },
        {
          name: 'bundle',
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: 'app-config', items: [{ key: 'a.conf', path: 'a.conf' }] } },
              { secret: { name: 'app-secret', items: [{ key: 'password', path: 'pw' }] } },
              { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
              { serviceAccountToken: { path: 'vault-token', audience: 'vault', expirationSeconds: 7200 } },
              { serviceAccountToken: { path: 'token-default-expiry' } },
            ],
          },
        },
      ],
      containers: [
        c({
          resources: { limits: { memory: '128Mi', cpu: '500m' }, requests: { cpu: '250m' } },
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'plain', mountPath: '/plain' },
            { name: 'host', mountPath: '/host', readOnly: true },
            { name: 'host-any', mountPath: '/host-any', subPath: 'sub/dir' },
            { name: 'config', mountPath: '/etc/app', readOnly: true },
            { name: 'creds', mountPath: '/etc/creds', readOnly: true },
            { name: 'info', mountPath: '/etc/info' },
            { name: 'bundle', mountPath: '/etc/bundle' },
          ],
        }),
      ],
    };
    const r = await post('all-volumes', spec, { labels: { app: 'web' }, annotations: { 'example.com/team': 'core' } });
    expect(r.status, r.text).toBe(201);
    const got = r.json().spec;
    const vol = (n: string) => got.volumes.find((v: { name: string }) => v.name === n);
    expect(vol('plain')).toEqual({ name: 'plain', emptyDir: {} });
    expect(vol('host-any').hostPath).toEqual({ path: '/tmp', type: '' });
    expect(vol('info').downwardAPI.items[0].fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'metadata.labels' });
    expect(vol('bundle').projected.sources[4].serviceAccountToken).toEqual({ path: 'token-default-expiry', expirationSeconds: 3600 });
    expect(vol('creds').secret.defaultMode).toBe(0o600);
    expect(vol('config').configMap.defaultMode).toBe(0o644);
  });

  it('env, envFrom, probes, hooks, sidecars, DNS, host aliases and scheduling fields', async () => {
    const spec = {
      nodeSelector: PENDING,
      hostname: 'web-0',
      subdomain: 'web',
      activeDeadlineSeconds: 3600,
      terminationGracePeriodSeconds: 45,
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['10.0.0.10', 'fd00::10'],
        searches: ['svc.cluster.local', 'example.com.'],
        options: [{ name: 'ndots', value: '2' }],
      },
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
      tolerations: [{ key: 'example.com/dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      readinessGates: [{ conditionType: 'example.com/ready' }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { app: 'web' } },
        },
      ],
      initContainers: [
        c({ name: 'migrate', command: ['true'] }),
        c({
          name: 'proxy',
          restartPolicy: 'Always',
          readinessProbe: { tcpSocket: { port: 15000 } },
          startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
        }),
      ],
      containers: [
        c({
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
            { containerPort: 5353, protocol: 'UDP' },
          ],
          env: [
            { name: 'PLAIN', value: 'x' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IPS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIPs' } } },
            { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
            { name: 'CONF', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'a.conf', optional: true } } },
            { name: 'PW', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: '1ST.relaxed-name', value: 'allowed since v1.32' },
          ],
          envFrom: [{ configMapRef: { name: 'app-config' } }, { prefix: 'SECRET_', secretRef: { name: 'app-secret', optional: true } }],
          livenessProbe: {
            httpGet: { port: 'http', path: '/healthz', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
            initialDelaySeconds: 3,
            terminationGracePeriodSeconds: 5,
          },
          readinessProbe: { grpc: { port: 9090 } },
          startupProbe: { tcpSocket: { port: 8080 } },
          lifecycle: { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 5 } } },
          resources: { limits: { cpu: '1', memory: '1Gi', 'example.com/widget': '2' }, requests: { cpu: '100m', memory: '1024Mi' } },
        }),
      ],
    };
    const r = await post('full-container', spec);
    expect(r.status, r.text).toBe(201);
    const ctr = r.json().spec.containers[0];
    expect(ctr.livenessProbe).toMatchObject({
      httpGet: { path: '/healthz', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(ctr.env[1].valueFrom.fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'metadata.name' });
  });

  it('fields upstream accepts though they look wrong: negative grace period, zero probe thresholds, a sourceless volume', async () => {
    const r = await post('lenient', {
      nodeSelector: PENDING,
      terminationGracePeriodSeconds: -1,
      volumes: [{ name: 'v' }],
      containers: [
        c({
          livenessProbe: { httpGet: { port: 80 }, successThreshold: 0, timeoutSeconds: 0 },
          volumeMounts: [{ name: 'v', mountPath: '/v' }],
        }),
      ],
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json().spec.containers[0].livenessProbe).toMatchObject({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      successThreshold: 1,
      timeoutSeconds: 1,
    });
  });

  it('a plain Pod that the node runs', async () => {
    const r = await post('plain', { containers: [c({ command: ['sleep', '30'] })] });
    expect(r.status, r.text).toBe(201);
  });
});

describe('what the API cannot produce', () => {
  it('a volume without a source needs one (the API defaults it to emptyDir first, as upstream does)', () => {
    const errs = validatePodSpec({
      containers: [c({ terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' })],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      volumes: [{ name: 'v' }],
    });
    expect(errs.map((e) => `${e.field}: ${e.body}`)).toEqual(['spec.volumes[0]: Required value: must specify a volume type']);
  });
});

describe('invalid updates', () => {
  const base = {
    nodeSelector: PENDING,
    automountServiceAccountToken: false,
    containers: [c({ ports: [{ containerPort: 80 }] })],
    activeDeadlineSeconds: 600,
  };
  beforeAll(async () => {
    const r = await post('upd', base);
    expect(r.status, r.text).toBe(201);
  });

  it('an image change is allowed', async () => {
    const r = await patch('upd', { spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } });
    expect(r.status, r.text).toBe(200);
    expect(r.json().spec.containers[0].image).toBe('busybox:1.37');
  });

  it('other spec changes are forbidden, with the cmp diff of the internal PodSpec', async () => {
    const r = await patch('upd', { spec: { restartPolicy: 'Never' } });
    expect(r.status).toBe(422);
    // Consecutive one-line fields align their values on the longest key of the run.
    const key = (k: string) => `${k}:`.padEnd('TerminationGracePeriodSeconds: '.length);
    const diff = [
      '  core.PodSpec{',
      '  \t... // 2 identical fields',
      `  \t${key('Containers')}{{Name: "app", Image: "busybox:1.37", Ports: {{ContainerPort: 80, Protocol: "TCP"}}, TerminationMessagePath: "/dev/termination-log", ...}},`,
      `  \t${key('EphemeralContainers')}nil,`,
      `- \t${key('RestartPolicy')}"Always",`,
      `+ \t${key('RestartPolicy')}"Never",`,
      `  \t${key('TerminationGracePeriodSeconds')}&30,`,
      `  \t${key('ActiveDeadlineSeconds')}&600,`,
      '  \t... // 27 identical fields',
      '  }',
      '',
    ].join('\n');
    expect(r.json().message).toBe(
      'Pod "upd" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n' +
        diff,
    );
  });

  it('a change inside a container is shown field by field', async () => {
    const r = await patch('upd', { spec: { containers: [{ name: 'app', workingDir: '/srv' }] } });
    expect(r.status).toBe(422);
    expect(r.json().message).toContain(
      [
        '  \tContainers: []core.Container{',
        '  \t\t{',
        '  \t\t\t... // 2 identical fields',
        '  \t\t\tCommand:    nil,',
        '  \t\t\tArgs:       nil,',
        '- \t\t\tWorkingDir: "",',
        '+ \t\t\tWorkingDir: "/srv",',
        '  \t\t\tPorts:      {{ContainerPort: 80, Protocol: "TCP"}},',
        '  \t\t\tEnvFrom:    nil,',
        '  \t\t\t... // 17 identical fields',
        '  \t\t},',
        '  \t},',
      ].join('\n'),
    );
  });

  it('containers may not be added', async () => {
    const r = await api(tc.cluster, 'GET', `${PODS}/upd`);
    const p = r.json();
    p.spec.containers.push(c({ name: 'extra' }));
    const u = await api(tc.cluster, 'PUT', `${PODS}/upd`, { body: p });
    expect(u.status).toBe(422);
    expect(u.json().message).toBe('Pod "upd" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers');
  });

  it('an empty image is reported by spec and update validation alike', async () => {
    const r = await patch('upd', { spec: { containers: [{ name: 'app', image: '' }] } });
    expect(r.status).toBe(422);
    const st = r.json();
    expect(st.message).toBe('Pod "upd" is invalid: spec.containers[0].image: Required value');
    expect(st.details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`)).toEqual([
      'spec.containers[0].image: Required value',
      'spec.containers[0].image: Required value',
    ]);
  });

  it('activeDeadlineSeconds may only shrink, and may not be removed', async () => {
    const up = await patch('upd', { spec: { activeDeadlineSeconds: 1200 } });
    expect(up.json().message).toBe(
      'Pod "upd" is invalid: spec.activeDeadlineSeconds: Invalid value: 1200: must be less than or equal to previous value',
    );
    const gone = await patch('upd', { spec: { activeDeadlineSeconds: null } });
    expect(gone.json().message).toBe(
      'Pod "upd" is invalid: spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value',
    );
    const down = await patch('upd', { spec: { activeDeadlineSeconds: 300 } });
    expect(down.status, down.text).toBe(200);
  });

  it('tolerations may only be added', async () => {
    const r = await api(tc.cluster, 'GET', `${PODS}/upd`);
    const tolerations = r.json().spec.tolerations;
    const added = await patch('upd', { spec: { tolerations: [...tolerations, { key: 'example.com/x', operator: 'Exists' }] } });
    expect(added.status, added.text).toBe(200);
    // DefaultTolerationSeconds adds its two tolerations again on update; dropping one of ours is a change.
    const changed = await patch('upd', { spec: { tolerations: [{ key: 'example.com/y', operator: 'Exists' }] } });
    expect(changed.json().message).toBe(
      'Pod "upd" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    );
  });

  it('an update must still be a valid Pod', async () => {
    const r = await patch('upd', { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '1.5' } } });
    expect(r.json().message).toBe(
      'Pod "upd" is invalid: metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "1.5": must be a 32bit integer',
    );
  });
});
