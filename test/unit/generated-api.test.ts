// src/api/generated (scripts/gen-api.mjs, from upstream's v1.32 OpenAPI in scripts/openapi-v1.32):
// the committed output is what the generator writes; the dereferenced schemas have the shape
// decode and patch walk, and give upstream's documents back exactly. Every kind tinykube serves
// takes its schema from there, typed throughout as upstream's (no free-form subtree left), and its
// objects decode and patch with fixed results: samples that set every field decode clean, every
// change of a sample to an unknown field or a value of another type is reported, and the field
// sets and strategic merges of the samples are pinned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allResourceDefs } from '../../src/registry/kinds.js';
import { checkObject } from '../../src/apimachinery/decode.js';
import { fieldsOf } from '../../src/apimachinery/patch/fieldset.js';
import { applyStrategicMergePatch } from '../../src/apimachinery/patch/strategic.js';
import { componentSchema, componentSchemas, schemaOf, type Schema } from '../../src/api/generated/schemas.js';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';
import type * as core from '../../src/api/generated/core/v1.js';
import type * as discovery from '../../src/api/generated/discovery/v1.js';
import type * as metaV1 from '../../src/api/generated/meta/v1.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GENERATED = join(ROOT, 'src/api/generated');
const DATA = join(ROOT, 'scripts/openapi-v1.32');

type Json = Record<string, unknown>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Every definition of the data files, by name. */
function upstreamDefinitions(): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const f of readdirSync(DATA).filter((n) => n.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(join(DATA, f), 'utf8')) as { components: { schemas: Record<string, Json> } };
    for (const [n, s] of Object.entries(doc.components.schemas)) out.set(n, s);
  }
  return out;
}

beforeAll(async () => {
  // Every package registers itself when its module loads; load them all.
  for (const f of filesUnder(GENERATED))
    if (f.endsWith('.ts') && !f.endsWith('.openapi.ts')) await import(pathToFileURL(join(GENERATED, f)).href);
});

describe('src/api/generated', () => {
  const out = mkdtempSync(join(tmpdir(), 'gen-api-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what scripts/gen-api.mjs writes (run npm run gen:api)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-api.mjs'), '--out', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const want = filesUnder(out);
    expect(filesUnder(GENERATED)).toEqual(want);
    const stale = want.filter((f) => readFileSync(join(out, f), 'utf8') !== readFileSync(join(GENERATED, f), 'utf8'));
    expect(stale).toEqual([]);
  });

  it('gives back upstream definitions exactly, descriptions included', async () => {
    const defs = upstreamDefinitions();
    expect(defs.size).toBeGreaterThan(480);
    for (const [name, s] of defs) expect(JSON.stringify(await componentSchema(name), null, 2), name).toBe(JSON.stringify(s, null, 2));
    const comps = await componentSchemas(['io.k8s.api.core.v1.Service']);
    expect(Object.keys(comps)).toEqual([
      'io.k8s.api.core.v1.ClientIPConfig',
      'io.k8s.api.core.v1.LoadBalancerIngress',
      'io.k8s.api.core.v1.LoadBalancerStatus',
      'io.k8s.api.core.v1.PortStatus',
      'io.k8s.api.core.v1.Service',
      'io.k8s.api.core.v1.ServicePort',
      'io.k8s.api.core.v1.ServiceSpec',
      'io.k8s.api.core.v1.ServiceStatus',
      'io.k8s.api.core.v1.SessionAffinityConfig',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Condition',
      'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ]);
  });

  it('dereferences: named types inline and shared, with x-tinykube-name; use-site keywords on a copy', () => {
    const svc = coreV1.Service;
    expect(svc['x-tinykube-name']).toBe('io.k8s.api.core.v1.Service');
    expect(svc.properties!.spec).toBe(coreV1.ServiceSpec);
    expect(svc.properties!.metadata).toBe(schemaOf('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
    const ports = coreV1.ServiceSpec.properties!.ports!;
    expect(ports).toMatchObject({
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(ports.items).toBe(coreV1.ServicePort);
    expect(coreV1.ServicePort.properties!.protocol).toMatchObject({ type: 'string', 'x-tinykube-go': 'v1.Protocol' });
    expect(coreV1.ServicePort.properties!.targetPort!['x-tinykube-name']).toBe('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(coreV1.ServiceSpec.properties!.ipFamilies!.items).toMatchObject({ type: 'string', 'x-tinykube-go': 'v1.IPFamily' });
    // A use site's own keyword: a shallow copy sharing the fields.
    const strategy = schemaOf('io.k8s.api.apps.v1.DeploymentSpec').properties!.strategy!;
    const base = schemaOf('io.k8s.api.apps.v1.DeploymentStrategy');
    expect(strategy).not.toBe(base);
    expect(strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(base['x-kubernetes-patch-strategy']).toBeUndefined();
    expect(strategy.properties).toBe(base.properties);
    // Go names for packages that are not v1; recursive types end in a cycle.
    expect(schemaOf('io.k8s.api.autoscaling.v2.MetricSpec')['x-tinykube-go']).toBe('v2.MetricSpec');
    const props = schemaOf('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps');
    expect(props.properties!.properties!.additionalProperties).toBe(props);
    // Nothing left to resolve, no descriptions, anywhere under Pod.
    const seen = new Set<Schema>();
    const walk = (s: Schema | undefined): void => {
      if (!s || seen.has(s)) return;
      seen.add(s);
      expect(s.$ref ?? s.allOf ?? s.description).toBeUndefined();
      for (const p of Object.values(s.properties ?? {})) walk(p);
      walk(s.items);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties);
    };
    walk(coreV1.Pod);
    expect(seen.size).toBeGreaterThan(400);
  });

  it('types fit the objects tinykube stores (compile-time checks)', () => {
    const svc: core.Service = { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http' }] } };
    const slice: discovery.EndpointSlice = {
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ port: 80, protocol: 'TCP' }],
    };
    const om: metaV1.ObjectMeta = {
      name: 'x',
      labels: { a: 'b' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 's', uid: 'u' }],
    };
    // Plain data: usable where the code base takes Record<string, unknown>.
    const json: Record<string, unknown> = slice;
    const q: core.ResourceRequirements = { requests: { cpu: '100m', memory: 1024 } };
    // @ts-expect-error: a field upstream requires (ServicePort.port) is required in the type.
    const bad: core.ServicePort = { name: 'x' };
    expect([svc, om, json, q, bad].length).toBe(5);
  });
});

// ---- the kinds tinykube serves, and samples that set every field of those that are written ----

const T = '2024-05-06T07:08:09Z';
const meta = (name: string) => ({
  name,
  namespace: 'default',
  uid: 'u-1',
  resourceVersion: '7',
  generation: 2,
  creationTimestamp: T,
  labels: { app: 'x' },
  annotations: { a: 'b' },
  ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u-2', controller: true, blockOwnerDeletion: false }],
  finalizers: ['example.com/f'],
  managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: T, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }],
});
const container = (name: string) => ({
  name,
  image: 'busybox',
  command: ['sh'],
  args: ['-c', 'sleep 1'],
  workingDir: '/',
  env: [
    { name: 'A', value: '1' },
    { name: 'B', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'C', valueFrom: { resourceFieldRef: { containerName: name, resource: 'limits.cpu', divisor: '1m' } } },
    { name: 'D', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } },
  ],
  envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm' } }, { secretRef: { name: 's' } }],
  ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1' }],
  resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1 }, claims: [{ name: 'gpu' }] },
  resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
  volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true, subPath: 's', mountPropagation: 'None', recursiveReadOnly: 'Disabled' }],
  volumeDevices: [{ name: 'b', devicePath: '/dev/b' }],
  livenessProbe: {
    httpGet: { path: '/', port: 'http', host: 'h', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] },
    periodSeconds: 10,
  },
  readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 1, failureThreshold: 3, terminationGracePeriodSeconds: 5 },
  startupProbe: { exec: { command: ['true'] }, timeoutSeconds: 1, successThreshold: 1 },
  lifecycle: { preStop: { sleep: { seconds: 1 } }, postStart: { httpGet: { port: 81 } } },
  securityContext: {
    runAsUser: 1000,
    runAsNonRoot: true,
    privileged: false,
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
    seccompProfile: { type: 'Localhost', localhostProfile: 'p' },
    appArmorProfile: { type: 'RuntimeDefault' },
    seLinuxOptions: { level: 's0' },
    windowsOptions: { runAsUserName: 'u' },
    procMount: 'Default',
  },
  imagePullPolicy: 'Always',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  stdin: false,
  tty: false,
});

/** A Pod template as the workloads carry it (PodSpec's fields: the Pod sample's), labelled for their selectors. */
const podTemplate = (spec: Json = {}) => ({
  metadata: { labels: { app: 'x' }, annotations: { a: 'b' } },
  spec: { containers: [container('c')], ...spec },
});

/** Objects of every kind tinykube stores, filled in wherever the hand-written schema is typed. */
const SAMPLES: Record<string, Json> = {
  'io.k8s.api.core.v1.Pod': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('p'),
    spec: {
      containers: [container('c')],
      initContainers: [{ ...container('i'), restartPolicy: 'Always' }],
      volumes: [
        { name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p', mode: 420 }], defaultMode: 420, optional: false } },
        { name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
        { name: 's', secret: { secretName: 's', items: [{ key: 'k', path: 'p' }] } },
        { name: 'h', hostPath: { path: '/tmp', type: 'Directory' } },
        { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        {
          name: 'pr',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'a' } },
              { configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } },
              { secret: { name: 's' } },
              { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
              { clusterTrustBundle: { signerName: 'x', labelSelector: { matchLabels: { a: 'b' } }, path: 'b' } },
            ],
          },
        },
        // Free-form in the hand-written schemas, typed upstream: now decoded field by field.
        { name: 'n', nfs: { server: 'srv', path: '/x', readOnly: true } },
        { name: 'i', iscsi: { targetPortal: 'p', iqn: 'q', lun: 0, portals: ['p2'], chapAuthSession: true, secretRef: { name: 's' } } },
        {
          name: 'ep',
          ephemeral: {
            volumeClaimTemplate: {
              metadata: { labels: { a: 'b' } },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'x' },
            },
          },
        },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, preference: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] } },
          ],
        },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'x' } }, namespaces: ['n'] },
          ],
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', matchLabelKeys: ['k'] } },
          ],
        },
      },
      nodeSelector: { a: 'b' },
      nodeName: 'n',
      serviceAccountName: 'default',
      automountServiceAccountToken: true,
      hostNetwork: false,
      shareProcessNamespace: false,
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] },
          matchLabelKeys: ['pod-template-hash'],
          nodeAffinityPolicy: 'Honor',
          minDomains: 1,
        },
      ],
      dnsPolicy: 'ClusterFirst',
      dnsConfig: { nameservers: ['1.1.1.1'], searches: ['s'], options: [{ name: 'ndots', value: '2' }] },
      hostAliases: [{ ip: '1.2.3.4', hostnames: ['h'] }],
      imagePullSecrets: [{ name: 'r' }],
      securityContext: {
        fsGroup: 1,
        runAsGroup: 2,
        supplementalGroups: [3],
        supplementalGroupsPolicy: 'Merge',
        sysctls: [{ name: 'a', value: 'b' }],
        fsGroupChangePolicy: 'Always',
        seLinuxChangePolicy: 'Recursive',
      },
      readinessGates: [{ conditionType: 'x' }],
      os: { name: 'linux' },
      overhead: { cpu: '10m' },
      resources: { limits: { memory: '1Gi' } },
      priority: 0,
      priorityClassName: 'p',
      preemptionPolicy: 'Never',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      activeDeadlineSeconds: 60,
      schedulingGates: [{ name: 'g' }],
      resourceClaims: [{ name: 'gpu', resourceClaimName: 'c' }],
      hostname: 'h',
      subdomain: 's',
      setHostnameAsFQDN: false,
      enableServiceLinks: true,
      runtimeClassName: 'r',
      schedulerName: 'default-scheduler',
      hostUsers: true,
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: T, reason: 'r', message: 'm' }],
      hostIP: '1.2.3.4',
      hostIPs: [{ ip: '1.2.3.4' }],
      podIP: '10.0.0.1',
      podIPs: [{ ip: '10.0.0.1' }],
      startTime: T,
      qosClass: 'Burstable',
      nominatedNodeName: 'n',
      resize: 'InProgress',
      resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'c' }],
      containerStatuses: [
        {
          name: 'c',
          ready: true,
          restartCount: 0,
          image: 'i',
          imageID: 'id',
          containerID: 'cid',
          started: true,
          state: { running: { startedAt: T } },
          lastState: { terminated: { exitCode: 1, signal: 9, reason: 'r', message: 'm', startedAt: T, finishedAt: T, containerID: 'x' } },
          allocatedResources: { cpu: '1' },
          resources: { requests: { cpu: '1' } },
          volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true, recursiveReadOnly: 'Disabled' }],
          user: { linux: { uid: 1, gid: 1, supplementalGroups: [1] } },
          allocatedResourcesStatus: [{ name: 'claim:gpu', resources: [{ resourceID: 'r', health: 'Healthy' }] }],
        },
      ],
      initContainerStatuses: [
        { name: 'i', ready: false, restartCount: 1, image: 'i', imageID: '', state: { waiting: { reason: 'r', message: 'm' } } },
      ],
    },
  },
  'io.k8s.api.core.v1.Service': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('s'),
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', appProtocol: 'http', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 'dns' },
      ],
      selector: { app: 'x' },
      clusterIP: '10.0.0.1',
      clusterIPs: ['10.0.0.1'],
      type: 'LoadBalancer',
      externalIPs: ['1.2.3.4'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } },
      loadBalancerIP: '1.2.3.5',
      loadBalancerSourceRanges: ['0.0.0.0/0'],
      externalName: 'e',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 30000,
      publishNotReadyAddresses: true,
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      allocateLoadBalancerNodePorts: true,
      loadBalancerClass: 'c',
      internalTrafficPolicy: 'Cluster',
      trafficDistribution: 'PreferClose',
    },
    status: {
      loadBalancer: { ingress: [{ ip: '1.2.3.4', hostname: 'h', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP', error: 'e' }] }] },
      conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1, lastTransitionTime: T, reason: 'R', message: 'm' }],
    },
  },
  'io.k8s.api.core.v1.Node': {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('n'),
    spec: {
      podCIDR: '10.0.0.0/24',
      podCIDRs: ['10.0.0.0/24'],
      providerID: 'p',
      unschedulable: false,
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule', timeAdded: T }],
      configSource: { configMap: { namespace: 'kube-system', name: 'c', uid: 'u', resourceVersion: '1', kubeletConfigKey: 'k' } },
    },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: 110 },
      allocatable: { cpu: '4' },
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: T, lastTransitionTime: T, reason: 'r', message: 'm' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
        kernelVersion: 'k',
        osImage: 'o',
        containerRuntimeVersion: 'c',
        kubeletVersion: 'v',
        kubeProxyVersion: 'v',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: [{ names: ['busybox'], sizeBytes: 1 }],
      volumesInUse: ['v'],
      volumesAttached: [{ name: 'v', devicePath: '/dev/v' }],
      config: { assigned: { configMap: { namespace: 'n', name: 'c', kubeletConfigKey: 'k' } }, error: 'e' },
      runtimeHandlers: [{ name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: false } }],
      features: { supplementalGroupsPolicy: true },
    },
  },
  'io.k8s.api.discovery.v1.EndpointSlice': {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta('e'),
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.0.0.1'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'h',
        targetRef: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u', apiVersion: 'v1', resourceVersion: '1', fieldPath: 'f' },
        nodeName: 'n',
        zone: 'z',
        hints: { forZones: [{ name: 'z' }] },
        deprecatedTopology: { a: 'b' },
      },
    ],
    ports: [{ name: 'http', protocol: 'TCP', port: 80, appProtocol: 'http' }],
  },
  'io.k8s.api.core.v1.Endpoints': {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: meta('e'),
    subsets: [
      {
        addresses: [{ ip: '10.0.0.1', hostname: 'h', nodeName: 'n', targetRef: { kind: 'Pod', name: 'p' } }],
        notReadyAddresses: [{ ip: '10.0.0.2' }],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', appProtocol: 'http' }],
      },
    ],
  },
  'io.k8s.api.core.v1.ConfigMap': {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('c'),
    data: { a: 'b' },
    binaryData: { b: 'AAEC' },
    immutable: false,
  },
  'io.k8s.api.core.v1.Secret': {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('s'),
    data: { a: 'AAEC' },
    stringData: { b: 'c' },
    type: 'Opaque',
    immutable: false,
  },
  'io.k8s.api.core.v1.Event': {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('ev'),
    involvedObject: { kind: 'Pod', name: 'p', uid: 'u', fieldPath: 'spec.containers{c}' },
    reason: 'Started',
    message: 'm',
    source: { component: 'kubelet', host: 'n' },
    firstTimestamp: T,
    lastTimestamp: T,
    count: 2,
    type: 'Normal',
    eventTime: '2024-05-06T07:08:09.123456Z',
    series: { count: 2, lastObservedTime: '2024-05-06T07:08:09.123456Z' },
    action: 'a',
    related: { kind: 'Node', name: 'n' },
    reportingComponent: 'kubelet',
    reportingInstance: 'n',
  },
  'io.k8s.api.events.v1.Event': {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: meta('ev'),
    eventTime: '2024-05-06T07:08:09.123456Z',
    series: { count: 2, lastObservedTime: '2024-05-06T07:08:09.123456Z' },
    reportingController: 'c',
    reportingInstance: 'i',
    action: 'a',
    reason: 'r',
    regarding: { kind: 'Pod', name: 'p' },
    related: { kind: 'Node', name: 'n' },
    note: 'n',
    type: 'Normal',
    deprecatedSource: { component: 'c' },
    deprecatedFirstTimestamp: T,
    deprecatedLastTimestamp: T,
    deprecatedCount: 1,
  },
  'io.k8s.api.coordination.v1.Lease': {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: meta('l'),
    spec: {
      holderIdentity: 'h',
      leaseDurationSeconds: 15,
      acquireTime: '2024-05-06T07:08:09.123456Z',
      renewTime: '2024-05-06T07:08:09.123456Z',
      leaseTransitions: 1,
      strategy: 'OldestEmulationVersion',
      preferredHolder: 'p',
    },
  },
  'io.k8s.api.core.v1.Namespace': {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta('ns'),
    spec: { finalizers: ['kubernetes'] },
    status: {
      phase: 'Active',
      conditions: [{ type: 'NamespaceDeletionDiscoveryFailure', status: 'False', lastTransitionTime: T, reason: 'r', message: 'm' }],
    },
  },
  'io.k8s.api.core.v1.ServiceAccount': {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta('sa'),
    secrets: [{ name: 's', kind: 'Secret' }],
    imagePullSecrets: [{ name: 'r' }],
    automountServiceAccountToken: false,
  },
  'io.k8s.api.core.v1.PodTemplate': {
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: meta('pt'),
    template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container('c')] } },
  },
  'io.k8s.api.core.v1.ReplicationController': {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: meta('rc'),
    spec: { replicas: 3, minReadySeconds: 5, selector: { app: 'x' }, template: podTemplate() },
    status: {
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      observedGeneration: 2,
      conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: T, reason: 'FailedCreate', message: 'm' }],
    },
  },
  'io.k8s.api.core.v1.PersistentVolume': {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: meta('pv'),
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'pvc', uid: 'u-3', apiVersion: 'v1', resourceVersion: '5' },
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'sc',
      mountOptions: ['ro'],
      volumeMode: 'Filesystem',
      nodeAffinity: {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n'] }] }] },
      },
      volumeAttributesClassName: 'gold',
      // One source, as validation allows: the one typed most richly.
      csi: {
        driver: 'csi.example.com',
        volumeHandle: 'h',
        readOnly: false,
        fsType: 'ext4',
        volumeAttributes: { a: 'b' },
        controllerPublishSecretRef: { name: 's', namespace: 'default' },
        nodeStageSecretRef: { name: 's' },
        nodePublishSecretRef: { name: 's' },
        controllerExpandSecretRef: { name: 's' },
        nodeExpandSecretRef: { name: 's' },
      },
    },
    status: { phase: 'Bound', message: 'm', reason: 'r', lastPhaseTransitionTime: T },
  },
  'io.k8s.api.core.v1.PersistentVolumeClaim': {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('pvc'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] },
      resources: { requests: { storage: '1Gi' }, limits: { storage: '2Gi' } },
      volumeName: 'pv',
      storageClassName: 'sc',
      volumeMode: 'Filesystem',
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
      dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
      volumeAttributesClassName: 'gold',
    },
    status: {
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
      conditions: [
        { type: 'Resizing', status: 'True', lastProbeTime: T, lastTransitionTime: T, reason: 'r', message: 'm' },
        { type: 'ModifyingVolume', status: 'False', lastTransitionTime: T },
      ],
      allocatedResources: { storage: '2Gi' },
      allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
      currentVolumeAttributesClassName: 'silver',
      modifyVolumeStatus: { targetVolumeAttributesClassName: 'gold', status: 'InProgress' },
    },
  },
  'io.k8s.api.apps.v1.Deployment': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('d'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] },
      template: podTemplate(),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      minReadySeconds: 5,
      revisionHistoryLimit: 10,
      paused: false,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        { type: 'Available', status: 'True', lastUpdateTime: T, lastTransitionTime: T, reason: 'MinimumReplicasAvailable', message: 'm' },
        { type: 'Progressing', status: 'True', lastUpdateTime: T, lastTransitionTime: T, reason: 'NewReplicaSetAvailable', message: 'm' },
      ],
      collisionCount: 1,
    },
  },
  'io.k8s.api.apps.v1.ReplicaSet': {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('rs'),
    spec: { replicas: 3, minReadySeconds: 5, selector: { matchLabels: { app: 'x' } }, template: podTemplate() },
    status: {
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      observedGeneration: 2,
      conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: T, reason: 'FailedCreate', message: 'm' }],
    },
  },
  'io.k8s.api.apps.v1.StatefulSet': {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('ss'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'x' } },
      template: podTemplate(),
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: { a: 'b' } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'sc' },
        },
      ],
      serviceName: 'ss',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
      minReadySeconds: 5,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      ordinals: { start: 0 },
    },
    status: {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 2,
      currentReplicas: 1,
      updatedReplicas: 2,
      currentRevision: 'ss-6c5d9b8f7',
      updateRevision: 'ss-7d8f9c6b5',
      collisionCount: 0,
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: T, reason: 'r', message: 'm' }],
      availableReplicas: 2,
    },
  },
  'io.k8s.api.apps.v1.DaemonSet': {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('ds'),
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: podTemplate(),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      minReadySeconds: 5,
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 1,
      observedGeneration: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 1,
      numberUnavailable: 1,
      collisionCount: 0,
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: T, reason: 'r', message: 'm' }],
    },
  },
  'io.k8s.api.apps.v1.ControllerRevision': {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: meta('ss-6c5d9b8f7'),
    // runtime.RawExtension, free-form: what the StatefulSet and DaemonSet controllers write.
    data: { spec: { template: { ...podTemplate(), $patch: 'replace' } } },
    revision: 3,
  },
  'io.k8s.api.batch.v1.Job': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('j'),
    spec: {
      parallelism: 2,
      completions: 4,
      activeDeadlineSeconds: 600,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42, 43] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] },
      backoffLimit: 6,
      backoffLimitPerIndex: 1,
      maxFailedIndexes: 2,
      selector: { matchLabels: { app: 'x' } },
      manualSelector: true,
      template: podTemplate({ restartPolicy: 'Never' }),
      ttlSecondsAfterFinished: 100,
      completionMode: 'Indexed',
      suspend: false,
      podReplacementPolicy: 'Failed',
      managedBy: 'kubernetes.io/job-controller',
    },
    status: {
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: T, lastTransitionTime: T, reason: 'SuccessPolicy', message: 'm' },
        { type: 'Complete', status: 'True', lastProbeTime: T, lastTransitionTime: T, reason: 'SuccessPolicy', message: 'm' },
      ],
      startTime: T,
      completionTime: T,
      active: 0,
      succeeded: 3,
      failed: 1,
      terminating: 0,
      completedIndexes: '0,2-3',
      failedIndexes: '1',
      uncountedTerminatedPods: { succeeded: ['u-3'], failed: ['u-4'] },
      ready: 0,
    },
  },
  'io.k8s.api.batch.v1.CronJob': {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('cj'),
    spec: {
      schedule: '*/5 * * * *',
      timeZone: 'Etc/UTC',
      startingDeadlineSeconds: 100,
      concurrencyPolicy: 'Forbid',
      suspend: false,
      jobTemplate: {
        metadata: { labels: { a: 'b' }, annotations: { a: 'b' } },
        spec: { backoffLimit: 2, template: podTemplate({ restartPolicy: 'OnFailure' }) },
      },
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    },
    status: {
      active: [{ kind: 'Job', namespace: 'default', name: 'cj-28000000', uid: 'u-3', apiVersion: 'batch/v1', resourceVersion: '6' }],
      lastScheduleTime: T,
      lastSuccessfulTime: T,
    },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudget': {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta('pdb'),
    // minAvailable or maxUnavailable, not both.
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'x' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    status: {
      observedGeneration: 2,
      disruptedPods: { p: T },
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      conditions: [
        { type: 'DisruptionAllowed', status: 'True', observedGeneration: 2, lastTransitionTime: T, reason: 'SufficientPods', message: 'm' },
      ],
    },
  },
  'io.k8s.api.rbac.v1.Role': {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta('role'),
    rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] }],
  },
  'io.k8s.api.rbac.v1.ClusterRole': {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta('clusterrole'),
    rules: [
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
    ],
    aggregationRule: {
      clusterRoleSelectors: [{ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }],
    },
  },
  'io.k8s.api.rbac.v1.RoleBinding': {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta('rolebinding'),
    subjects: [{ kind: 'ServiceAccount', apiGroup: '', name: 'sa', namespace: 'default' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'role' },
  },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta('clusterrolebinding'),
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'u' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler': {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('hpa'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        {
          type: 'ContainerResource',
          containerResource: { name: 'memory', container: 'c', target: { type: 'AverageValue', averageValue: '100Mi' } },
        },
        {
          type: 'Pods',
          pods: { metric: { name: 'qps', selector: { matchLabels: { a: 'b' } } }, target: { type: 'AverageValue', averageValue: '1k' } },
        },
        {
          type: 'Object',
          object: {
            describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'i' },
            metric: { name: 'rps' },
            target: { type: 'Value', value: '10k' },
          },
        },
        {
          type: 'External',
          external: {
            metric: { name: 'queue', selector: { matchExpressions: [{ key: 'q', operator: 'In', values: ['w'] }] } },
            target: { type: 'AverageValue', averageValue: 30 },
          },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Pods', value: 4, periodSeconds: 15 },
          ],
        },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
    },
    status: {
      observedGeneration: 2,
      lastScaleTime: T,
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 60, averageValue: '120m' } } },
        { type: 'ContainerResource', containerResource: { name: 'memory', container: 'c', current: { averageValue: '90Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '900' } } },
        {
          type: 'Object',
          object: {
            describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'i' },
            metric: { name: 'rps' },
            current: { value: '9k' },
          },
        },
        { type: 'External', external: { metric: { name: 'queue' }, current: { averageValue: 25 } } },
      ],
      conditions: [
        { type: 'AbleToScale', status: 'True', lastTransitionTime: T, reason: 'ReadyForNewScale', message: 'm' },
        { type: 'ScalingActive', status: 'True', lastTransitionTime: T, reason: 'ValidMetricFound', message: 'm' },
      ],
    },
  },
  // The same objects as autoscaling/v2's (one storage), in v1's fields.
  'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler': {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('hpa'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' },
      minReplicas: 1,
      maxReplicas: 10,
      targetCPUUtilizationPercentage: 50,
    },
    status: { observedGeneration: 2, lastScaleTime: T, currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 60 },
  },
  'io.k8s.api.storage.v1.StorageClass': {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: meta('sc'),
    provisioner: 'csi.example.com',
    parameters: { type: 'ssd' },
    reclaimPolicy: 'Retain',
    mountOptions: ['ro'],
    allowVolumeExpansion: true,
    volumeBindingMode: 'WaitForFirstConsumer',
    allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['z'] }] }],
  },
  'io.k8s.api.core.v1.ResourceQuota': {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('q'),
    spec: {
      hard: { pods: '10', 'requests.cpu': '2', 'count/configmaps': '5' },
      scopes: ['NotTerminating'],
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
    },
    status: { hard: { pods: '10' }, used: { pods: '1' } },
  },
  'io.k8s.api.core.v1.LimitRange': {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('lr'),
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '256Mi' },
          defaultRequest: { cpu: '100m' },
          max: { cpu: '2' },
          min: { cpu: '10m' },
          maxLimitRequestRatio: { cpu: '10' },
        },
      ],
    },
  },
  'io.k8s.api.certificates.v1.CertificateSigningRequest': {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: meta('csr'),
    spec: {
      request: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K',
      signerName: 'kubernetes.io/kube-apiserver-client',
      expirationSeconds: 86400,
      usages: ['client auth'],
      username: 'alice',
      uid: 'u',
      groups: ['devs', 'system:authenticated'],
      extra: { scopes: ['a'] },
    },
    status: {
      conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'm', lastUpdateTime: T, lastTransitionTime: T }],
      certificate: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
    },
  },
  'io.k8s.api.networking.v1.IngressClass': {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: meta('nginx'),
    spec: {
      controller: 'example.com/ingress',
      parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p', scope: 'Namespace', namespace: 'default' },
    },
  },
  'io.k8s.api.networking.v1.Ingress': {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('ing'),
    spec: {
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'default', port: { number: 80 } } },
      tls: [{ hosts: ['foo.com'], secretName: 'tls' }],
      rules: [
        {
          host: 'foo.com',
          http: { paths: [{ path: '/bar', pathType: 'Prefix', backend: { service: { name: 'svc', port: { name: 'http' } } } }] },
        },
      ],
    },
    status: { loadBalancer: { ingress: [{ ip: '127.0.0.1', ports: [{ port: 80, protocol: 'TCP' }] }] } },
  },
  'io.k8s.api.networking.v1.NetworkPolicy': {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('np'),
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: 'web' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
          ports: [{ protocol: 'TCP', port: 5432 }],
        },
      ],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP', endPort: 54 }] }],
    },
  },
  'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService': {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: meta('v1alpha1.wardle.example.com'),
    spec: {
      group: 'wardle.example.com',
      version: 'v1alpha1',
      service: { namespace: 'wardle', name: 'api', port: 443 },
      caBundle: 'Q0E=',
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
    status: {
      conditions: [
        { type: 'Available', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'Passed', message: 'all checks passed' },
      ],
    },
  },
  'io.k8s.api.scheduling.v1.PriorityClass': {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: meta('pc'),
    value: 1000,
    globalDefault: true,
    description: 'important',
    preemptionPolicy: 'Never',
  },
  'io.k8s.api.node.v1.RuntimeClass': {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: meta('rc'),
    handler: 'runsc',
    overhead: { podFixed: { cpu: '250m' } },
    scheduling: { nodeSelector: { sandbox: 'yes' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: meta('vwc'),
    webhooks: [
      {
        name: 'v.example.com',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        timeoutSeconds: 5,
        clientConfig: { url: 'https://127.0.0.1:9443/validate', caBundle: 'Y2E=' },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: '*' }],
        namespaceSelector: { matchLabels: { team: 'a' } },
        objectSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
        matchConditions: [{ name: 'not-system', expression: "!request.userInfo.username.startsWith('system:')" }],
      },
    ],
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: meta('mwc'),
    webhooks: [
      {
        name: 'm.example.com',
        admissionReviewVersions: ['v1', 'v1beta1'],
        sideEffects: 'NoneOnDryRun',
        reinvocationPolicy: 'IfNeeded',
        clientConfig: { service: { namespace: 'hooks', name: 'svc', path: '/mutate', port: 8443 } },
        rules: [{ apiGroups: ['apps'], apiVersions: ['*'], operations: ['*'], resources: ['deployments/*'], scope: 'Namespaced' }],
      },
    ],
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy': {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: meta('vap'),
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        matchPolicy: 'Equivalent',
        namespaceSelector: {},
        objectSelector: {},
        resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], scope: '*' }],
      },
      matchConditions: [{ name: 'c', expression: 'true' }],
      variables: [{ name: 'replicas', expression: 'object.spec.replicas' }],
      validations: [{ expression: 'variables.replicas <= 5', message: 'too many', reason: 'Invalid' }],
      auditAnnotations: [{ key: 'replicas', valueExpression: 'string(object.spec.replicas)' }],
    },
    status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T, reason: 'R', message: 'm' }] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding': {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: meta('vapb'),
    spec: {
      policyName: 'vap',
      validationActions: ['Deny', 'Audit'],
      paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' },
      matchResources: { namespaceSelector: { matchLabels: { team: 'a' } } },
    },
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition': {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: meta('crontabs.stable.example.com'),
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'] },
      conversion: { strategy: 'None' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { replicas: { type: 'integer', default: 1, minimum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
                },
              },
            },
          },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          additionalPrinterColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }],
        },
      ],
    },
    status: {
      acceptedNames: { plural: 'crontabs', kind: 'CronTab' },
      conditions: [{ type: 'Established', status: 'True', lastTransitionTime: T, reason: 'InitialNamesAccepted', message: 'm' }],
      storedVersions: ['v1'],
    },
  },
  'io.k8s.api.authorization.v1.SubjectAccessReview': {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: { name: 'x' },
    spec: {
      resourceAttributes: {
        namespace: 'n',
        verb: 'get',
        group: '',
        version: 'v1',
        resource: 'pods',
        subresource: 'log',
        name: 'p',
        fieldSelector: { rawSelector: 'a=b', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] },
        labelSelector: { rawSelector: 'a=b', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] },
      },
      nonResourceAttributes: { path: '/healthz', verb: 'get' },
      user: 'u',
      groups: ['g'],
      extra: { k: ['v'] },
      uid: 'u',
    },
    status: { allowed: true, denied: false, reason: 'r', evaluationError: 'e' },
  },
  'io.k8s.api.authentication.v1.TokenReview': {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { name: 'x' },
    spec: { token: 't', audiences: ['a'] },
    status: { authenticated: true, user: { username: 'u', uid: 'i', groups: ['g'], extra: { k: ['v'] } }, audiences: ['a'], error: 'e' },
  },
};

/**
 * The sample with one change at each place: an unknown field `zz9` (value undefined), or a value
 * of another JSON type, a fraction or an int too big for int32. Yields what changed, the object,
 * the path changed (of the object that got zz9) and the new value.
 */
function* mutations(obj: Json): Generator<[string, Json, (string | number)[], unknown]> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(obj, []);
  const at = (o: Json, p: (string | number)[], f: (parent: Record<string | number, unknown>, key: string | number) => void) => {
    const c = structuredClone(o);
    let cur = c as Record<string | number, unknown>;
    for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
    f(cur, p[p.length - 1]!);
    return c;
  };
  for (const p of paths) {
    const where = p.join('.');
    const v = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], obj);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      yield [`${where} +unknown`, p.length ? at(obj, p, (o, k) => ((o[k] as Json).zz9 = 1)) : { ...obj, zz9: 1 }, p, undefined];
    }
    if (!p.length) continue;
    // A value of another JSON type for each; ints also a fraction and one too big for int32.
    const alts = Array.isArray(v)
      ? ['x', { a: 1 }]
      : typeof v === 'object'
        ? [3, ['x']]
        : typeof v === 'number'
          ? ['x', 1.5, 2 ** 40]
          : typeof v === 'string'
            ? [12]
            : ['x'];
    for (const alt of alts) yield [`${where} = ${JSON.stringify(alt)}`, at(obj, p, (o, k) => (o[k] = alt)), p, alt];
  }
}

/** The schema at a path of an object (map keys and list indices included); undefined off the schema. */
function schemaAt(root: Schema, path: (string | number)[]): Schema | undefined {
  let s: Schema | undefined = root;
  for (const k of path) {
    if (!s) return undefined;
    if (typeof k === 'number') s = s.items;
    else if (s.properties && Object.hasOwn(s.properties, k)) s = s.properties[k];
    else s = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  }
  return s;
}

const M = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
/** Types whose JSON is decoded by their own UnmarshalJSON (their own texts: decode.test.ts) or not at all (FieldsV1). */
const OWN_DECODERS = new Set([
  `${M}Time`,
  `${M}MicroTime`,
  `${M}FieldsV1`,
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  'io.k8s.apimachinery.pkg.api.resource.Quantity',
]);

/** Whether JSON value `v` is what a field of schema `s` holds (null aside: mutations never send it). */
function fits(s: Schema, v: unknown): boolean {
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && (s.format !== 'int32' || Math.abs(v) < 2 ** 31);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

describe('the kinds tinykube serves', () => {
  const served = () => allResourceDefs().map((d) => ({ def: d, schema: schemaOf(d.openapiName) }));

  it('take their schema from src/api/generated', () => {
    for (const { def, schema } of served()) expect(def.schema, def.openapiName).toBe(schema);
  });

  it('are typed throughout, as upstream: no free-form subtree, untyped only FieldsV1', () => {
    const untyped = new Set<string>();
    const seen = new Set<Schema>();
    const walk = (s: Schema | undefined, where: string): void => {
      if (!s || seen.has(s)) return;
      seen.add(s);
      expect(s['x-kubernetes-preserve-unknown-fields'], where).toBeUndefined();
      if (s.type === 'object' && !s.properties && typeof s.additionalProperties !== 'object') untyped.add(s['x-tinykube-name'] ?? where);
      for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, `${where}.${k}`);
      walk(s.items, `${where}[]`);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${where}{}`);
    };
    for (const { def, schema } of served()) walk(schema, def.openapiName);
    // ControllerRevision.data is runtime.RawExtension: free-form upstream too (any object,
    // typically the patch of a workload's template), so it stays untyped here as there.
    // A CRD's status subresource is an empty object by definition upstream too.
    expect([...untyped]).toEqual([
      `${M}FieldsV1`,
      'io.k8s.apimachinery.pkg.runtime.RawExtension',
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus',
    ]);
    // The subtrees the hand-written schemas left free-form, typed now (upstream's list rules too).
    expect(coreV1.Affinity.properties!.nodeAffinity).toBe(coreV1.NodeAffinity);
    expect(coreV1.PodAffinity.properties!.requiredDuringSchedulingIgnoredDuringExecution).toMatchObject({
      type: 'array',
      'x-kubernetes-list-type': 'atomic',
      items: coreV1.PodAffinityTerm,
    });
    expect(coreV1.Volume.properties!.nfs).toBe(coreV1.NFSVolumeSource);
    expect(coreV1.NFSVolumeSource.required).toEqual(['server', 'path']);
  });

  it("carry upstream's list and map extensions and required fields", () => {
    const spec = coreV1.ServiceSpec.properties!;
    expect(spec.ports).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(spec.clusterIPs!['x-kubernetes-list-type']).toBe('atomic');
    expect(spec.selector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' });
    const c = coreV1.Container.properties!;
    expect(c.env).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-map-keys': ['name'] });
    expect(c.ports).toMatchObject({
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    });
    expect(c.volumeMounts!['x-kubernetes-patch-merge-key']).toBe('mountPath');
    expect(coreV1.PodSpec.properties!.volumes).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    });
    expect(coreV1.NodeStatus.properties!.addresses!['x-kubernetes-patch-merge-key']).toBe('type');
    expect(coreV1.ObjectReference['x-kubernetes-map-type']).toBe('atomic');
    expect(coreV1.ServicePort.required).toEqual(['port']);
    expect(coreV1.Container.required).toEqual(['name']);
    expect(coreV1.PodSpec.required).toEqual(['containers']);
    expect(schemaOf('io.k8s.api.discovery.v1.EndpointSlice').required).toEqual(['addressType', 'endpoints']);
    expect(coreV1.Event.required).toEqual(['metadata', 'involvedObject']);
    expect(schemaOf('io.k8s.api.events.v1.Event').required).toEqual(['eventTime']);
    expect(coreV1.Service.required).toBeUndefined();
  });
});

describe('decoding and patching the samples', () => {
  const samples = () =>
    allResourceDefs()
      .filter((d) => SAMPLES[d.openapiName])
      .map((d) => ({ def: d, schema: schemaOf(d.openapiName), sample: SAMPLES[d.openapiName]! }));
  /** A kind's key in the fixed tables: group/kind, and the version of a kind served at two (HorizontalPodAutoscaler). */
  const kindKey = (d: { group: string; version: string; kind: string }) => {
    const twice = allResourceDefs().filter((x) => x.group === d.group && x.kind === d.kind).length > 1;
    return `${d.group || 'core'}/${twice ? `${d.version}/` : ''}${d.kind}`;
  };

  it('has a sample for every kind that is written', () => {
    const have = samples().map((p) => p.def.openapiName);
    // The reviews but two are answered from the request alone; metrics are never written.
    expect(have.length).toBe(Object.keys(SAMPLES).length);
    expect(
      allResourceDefs()
        .filter((d) => !d.computed && !d.review)
        .every((d) => have.includes(d.openapiName)),
    ).toBe(true);
  });

  it('strict decoding: samples are clean, and every unknown field or value of another type is reported', () => {
    let n = 0;
    const wrong: string[] = [];
    for (const { def, schema, sample } of samples()) {
      expect(checkObject(structuredClone(sample), schema, def.kind), def.kind).toEqual({
        typeErrors: [],
        converterErrors: [],
        unknownFields: [],
      });
      for (const [what, obj, path, value] of mutations(sample)) {
        const got = structuredClone(obj);
        const r = checkObject(got, schema, def.kind, { prune: true, canonical: true });
        n++;
        const s = path.length ? schemaAt(schema, path) : schema;
        if (value === undefined) {
          // An unknown field: reported (and pruned) in a struct; a map takes it as an entry.
          const struct = !s?.properties ? undefined : s;
          const want = struct ? [jsonPath([...path, 'zz9'])] : [];
          if (JSON.stringify(r.unknownFields) !== JSON.stringify(want))
            wrong.push(`${def.kind} ${what}: unknown ${JSON.stringify(r.unknownFields)}`);
          if (struct && JSON.stringify(got).includes('zz9')) wrong.push(`${def.kind} ${what}: not pruned`);
        } else if (s && !OWN_DECODERS.has(s['x-tinykube-name'] ?? '')) {
          // Another JSON type: one type error, naming the field's Go path, unless the value fits.
          const goPath = path.filter((k) => typeof k === 'string').join('.');
          const ok = fits(s, value) ? r.typeErrors.length === 0 : r.typeErrors.length === 1;
          if (!ok) wrong.push(`${def.kind} ${what}: ${JSON.stringify(r.typeErrors)}`);
          else {
            // `Go struct field <Struct>.<path> of type`: the path is the field's, without list
            // indices; a map value is reported against the map field (its key left out).
            const at = /Go struct field \w+\.(\S+) of type /.exec(r.typeErrors[0] ?? '')?.[1];
            if (at !== undefined && goPath !== at && !goPath.startsWith(`${at}.`)) wrong.push(`${def.kind} ${what}: ${r.typeErrors[0]}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(2400);
  });

  it('strict decoding: Go type names in the errors (fixed values)', () => {
    const err = (openapiName: string, what: string) => {
      const { def, schema, sample } = samples().find((x) => x.def.openapiName === openapiName)!;
      const m = [...mutations(sample)].find(([w]) => w === what);
      if (!m) throw new Error(`no mutation ${what}`);
      return checkObject(structuredClone(m[1]), schema, def.kind).typeErrors[0];
    };
    const cases: [string, string, string][] = [
      ['io.k8s.api.core.v1.Service', 'spec.ports.0.protocol = 12', 'ServicePort.spec.ports.protocol of type v1.Protocol'],
      [
        'io.k8s.api.core.v1.Service',
        'spec.ports.0.port = 1.5',
        'number 1.5 into Go struct field ServicePort.spec.ports.port of type int32',
      ],
      ['io.k8s.api.core.v1.Service', 'spec.ipFamilies.0 = 12', 'ServiceSpec.spec.ipFamilies of type v1.IPFamily'],
      ['io.k8s.api.core.v1.Service', 'spec.selector.app = 12', 'ServiceSpec.spec.selector of type string'],
      ['io.k8s.api.core.v1.Pod', 'metadata.uid = 12', 'ObjectMeta.metadata.uid of type types.UID'],
      ['io.k8s.api.core.v1.Pod', 'spec.volumes.0 = 3', 'PodSpec.spec.volumes of type v1.Volume'],
      ['io.k8s.api.core.v1.Pod', 'spec.tolerations.0.effect = 12', 'Toleration.spec.tolerations.effect of type v1.TaintEffect'],
      ['io.k8s.api.core.v1.Secret', 'data.a = 12', 'Secret.data of type []uint8'],
      ['io.k8s.api.core.v1.Node', 'status.volumesInUse.0 = 12', 'NodeStatus.status.volumesInUse of type v1.UniqueVolumeName'],
      ['io.k8s.api.discovery.v1.EndpointSlice', 'addressType = 12', 'EndpointSlice.addressType of type v1.AddressType'],
      ['io.k8s.api.coordination.v1.Lease', 'spec.strategy = 12', 'LeaseSpec.spec.strategy of type v1.CoordinatedLeaseStrategy'],
      // metav1.FieldSelectorOperator: named since the hand-written schemas went (they said string).
      [
        'io.k8s.api.authorization.v1.SubjectAccessReview',
        'spec.resourceAttributes.fieldSelector.requirements.0.operator = 12',
        'FieldSelectorRequirement.spec.resourceAttributes.fieldSelector.requirements.operator of type v1.FieldSelectorOperator',
      ],
      // Aliases in the kinds added with the workload controllers (GO_TYPES); v1.ConditionStatus is core/v1's.
      [
        'io.k8s.api.batch.v1.Job',
        'status.uncountedTerminatedPods.succeeded.0 = 12',
        'UncountedTerminatedPods.status.uncountedTerminatedPods.succeeded of type types.UID',
      ],
      [
        'io.k8s.api.core.v1.PersistentVolumeClaim',
        'status.modifyVolumeStatus.status = 12',
        'ModifyVolumeStatus.status.modifyVolumeStatus.status of type v1.PersistentVolumeClaimModifyVolumeStatus',
      ],
      [
        'io.k8s.api.core.v1.PersistentVolumeClaim',
        'status.allocatedResourceStatuses.storage = 12',
        'PersistentVolumeClaimStatus.status.allocatedResourceStatuses of type v1.ClaimResourceStatus',
      ],
      [
        'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
        'spec.metrics.0.type = 12',
        'MetricSpec.spec.metrics.type of type v2.MetricSourceType',
      ],
      [
        'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
        'status.conditions.0.status = 12',
        'HorizontalPodAutoscalerCondition.status.conditions.status of type v1.ConditionStatus',
      ],
      ['io.k8s.api.storage.v1.StorageClass', 'reclaimPolicy = 12', 'StorageClass.reclaimPolicy of type v1.PersistentVolumeReclaimPolicy'],
      [
        'io.k8s.api.apps.v1.ControllerRevision',
        'revision = 1.5',
        'number 1.5 into Go struct field ControllerRevision.revision of type int64',
      ],
    ];
    for (const [kind, what, text] of cases) expect(err(kind, what), `${kind} ${what}`).toContain(text);
    expect(err('io.k8s.api.core.v1.Pod', 'status.conditions.0.lastTransitionTime = 12')).toBe(
      'json: cannot unmarshal number into Go value of type string',
    );
  });

  it('server-side apply field sets (fixed values)', () => {
    const size = (n: string, part: 'main' | 'status') => fieldsOf(SAMPLES[n]!, schemaOf(n), part).size;
    const sizes = Object.fromEntries(
      samples().map(({ def }) => [kindKey(def), [size(def.openapiName, 'main'), size(def.openapiName, 'status')]]),
    );
    expect(sizes).toEqual({
      'core/Namespace': [15, 8],
      'core/ConfigMap': [19, 0],
      'core/Secret': [20, 0],
      'core/ServiceAccount': [20, 0],
      'core/Service': [46, 9],
      'core/Endpoints': [15, 0],
      'core/Pod': [286, 24],
      'core/PodTemplate': [96, 0],
      'core/ReplicationController': [101, 12],
      'core/Node': [25, 39],
      'core/Event': [30, 0],
      'core/PersistentVolume': [40, 4],
      'core/PersistentVolumeClaim': [28, 23],
      'apps/Deployment': [107, 22],
      'apps/ReplicaSet': [101, 12],
      'apps/StatefulSet': [111, 16],
      'apps/DaemonSet': [104, 16],
      // data is runtime.RawExtension, untyped: its keys are leaves (f:data f:spec).
      'apps/ControllerRevision': [16, 0],
      'events.k8s.io/Event': [29, 0],
      'autoscaling/v2/HorizontalPodAutoscaler': [26, 18],
      'autoscaling/v1/HorizontalPodAutoscaler': [18, 5],
      'batch/Job': [114, 14],
      'batch/CronJob': [111, 3],
      'policy/PodDisruptionBudget': [17, 15],
      'rbac.authorization.k8s.io/ClusterRoleBinding': [16, 0],
      'rbac.authorization.k8s.io/ClusterRole': [16, 0],
      'rbac.authorization.k8s.io/RoleBinding': [16, 0],
      'rbac.authorization.k8s.io/Role': [15, 0],
      'storage.k8s.io/StorageClass': [22, 0],
      'core/ResourceQuota': [20, 4],
      'core/LimitRange': [15, 0],
      'certificates.k8s.io/CertificateSigningRequest': [23, 9],
      'networking.k8s.io/IngressClass': [20, 0],
      'networking.k8s.io/Ingress': [19, 1],
      'networking.k8s.io/NetworkPolicy': [18, 0],
      'scheduling.k8s.io/PriorityClass': [18, 0],
      'apiregistration.k8s.io/APIService': [22, 7],
      'node.k8s.io/RuntimeClass': [19, 0],
      'admissionregistration.k8s.io/ValidatingWebhookConfiguration': [31, 0],
      'admissionregistration.k8s.io/MutatingWebhookConfiguration': [25, 0],
      'admissionregistration.k8s.io/ValidatingAdmissionPolicy': [27, 8],
      'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': [20, 0],
      'apiextensions.k8s.io/CustomResourceDefinition': [23, 10],
      'discovery.k8s.io/EndpointSlice': [17, 0],
      'coordination.k8s.io/Lease': [21, 0],
      'authentication.k8s.io/TokenReview': [2, 8],
      'authorization.k8s.io/SubjectAccessReview': [18, 4],
    });
    const svc = [...fieldsOf(SAMPLES['io.k8s.api.core.v1.Service']!, coreV1.Service, 'main')].map((p) => p.split('\u0000').join(' '));
    expect(svc.filter((p) => p.startsWith('f:spec f:ports') || p.startsWith('f:metadata f:ownerReferences')).sort()).toEqual([
      'f:metadata f:ownerReferences .',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} .',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:apiVersion',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:blockOwnerDeletion',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:controller',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:kind',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:name',
      'f:metadata f:ownerReferences k:{"uid":"u-2"} f:uid',
      'f:spec f:ports .',
      'f:spec f:ports k:{"port":53,"protocol":"UDP"} .',
      'f:spec f:ports k:{"port":53,"protocol":"UDP"} f:name',
      'f:spec f:ports k:{"port":53,"protocol":"UDP"} f:port',
      'f:spec f:ports k:{"port":53,"protocol":"UDP"} f:protocol',
      'f:spec f:ports k:{"port":53,"protocol":"UDP"} f:targetPort',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} .',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:appProtocol',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:name',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:nodePort',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:port',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:protocol',
      'f:spec f:ports k:{"port":80,"protocol":"TCP"} f:targetPort',
    ]);
  });

  it('server-side apply owns affinity field by field, as upstream (the hand-written schema had it one leaf)', () => {
    const pod = fieldsOf(SAMPLES['io.k8s.api.core.v1.Pod']!, coreV1.Pod, 'main');
    expect(
      [...pod]
        .map((p) => p.split('\u0000').join(' '))
        .filter((p) => p.includes('f:affinity'))
        .sort(),
    ).toEqual([
      'f:spec f:affinity f:nodeAffinity f:preferredDuringSchedulingIgnoredDuringExecution',
      // NodeSelector is an atomic struct upstream.
      'f:spec f:affinity f:nodeAffinity f:requiredDuringSchedulingIgnoredDuringExecution',
      'f:spec f:affinity f:podAntiAffinity f:preferredDuringSchedulingIgnoredDuringExecution',
      'f:spec f:affinity f:podAntiAffinity f:requiredDuringSchedulingIgnoredDuringExecution',
    ]);
  });

  it('strategic merge: which lists merge by key (fixed values)', () => {
    // The sample patched onto itself with every list reversed: lists merged by key keep the
    // target's (reversed) order, the others are replaced by the patch's.
    const keyed: Record<string, string[]> = {};
    for (const { def, schema, sample } of samples()) {
      const reversed = JSON.parse(JSON.stringify(sample), (_k, v: unknown) => (Array.isArray(v) ? [...v].reverse() : v)) as Json;
      const merged = applyStrategicMergePatch(reversed, structuredClone(sample), schema);
      const out: string[] = [];
      const walk = (a: unknown, b: unknown, p: string) => {
        if (Array.isArray(a) && Array.isArray(b)) {
          if (JSON.stringify(a) !== JSON.stringify(b)) out.push(p);
          a.forEach((x, i) => walk(x, b[b.length - 1 - i], `${p}[]`));
        } else if (a && typeof a === 'object' && b && typeof b === 'object')
          for (const k of Object.keys(a)) walk((a as Json)[k], (b as Json)[k], p ? `${p}.${k}` : k);
      };
      walk(merged, sample, '');
      if (out.length) keyed[kindKey(def)] = out;
    }
    expect(keyed).toEqual({
      'core/Service': ['spec.ports'],
      'core/Pod': [
        'spec.containers',
        'spec.containers[].env',
        'spec.initContainers',
        'spec.initContainers[].env',
        'spec.volumes',
        'status.conditions',
      ],
      'core/PodTemplate': ['template.spec.containers', 'template.spec.containers[].env'],
      'core/ReplicationController': ['spec.template.spec.containers', 'spec.template.spec.containers[].env'],
      'core/PersistentVolumeClaim': ['status.conditions'],
      'apps/Deployment': ['spec.template.spec.containers', 'spec.template.spec.containers[].env', 'status.conditions'],
      'apps/ReplicaSet': ['spec.template.spec.containers', 'spec.template.spec.containers[].env'],
      'apps/StatefulSet': ['spec.template.spec.containers', 'spec.template.spec.containers[].env'],
      'apps/DaemonSet': ['spec.template.spec.containers', 'spec.template.spec.containers[].env'],
      'autoscaling/v2/HorizontalPodAutoscaler': ['status.conditions'],
      // JobStatus.conditions: listType atomic, but patchStrategy merge on type.
      'batch/Job': ['spec.template.spec.containers', 'spec.template.spec.containers[].env', 'status.conditions'],
      'batch/CronJob': ['spec.jobTemplate.spec.template.spec.containers', 'spec.jobTemplate.spec.template.spec.containers[].env'],
    });
  });
});

function jsonPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
