// The Node this process is (the kubelet's node status manager and lease heartbeat): registers
// one Node with host capacity, labels and Ready condition, and renews its Lease in
// kube-node-lease every 10 s (upstream's default renew interval, lease duration 40 s).
import { parseQuantity, quantityString } from '../apimachinery/quantity.js';
import { cpus, totalmem, release } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Registry } from '../registry/generic-store.js';
import type { ResourceDef } from '../registry/types.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { NodeCondition } from '../api/generated/core/v1.js';
import type { NodeObj } from '../registry/node.js';
import type { LeaseObj } from '../registry/lease.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { StatusError } from '../apimachinery/errors.js';
import { VERSION_INFO } from '../base/version.js';
import type { EventRecorder } from '../controllers/events.js';

const LEASE_DURATION_S = 40;
const RENEW_MS = 10_000;

/** The address Pods reach this host on: loopback of the pod CIDR's family. */
export function hostIP(config: ClusterConfig): string {
  return config.podCIDR.includes(':') ? '::1' : '127.0.0.1';
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not every host has it
  }
  return process.platform;
}

const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function nodeObject(config: ClusterConfig, now: Date): NodeObj {
  const arch = ARCH[process.arch] ?? process.arch;
  const mem = `${Math.floor(totalmem() / 1024)}Ki`;
  // The kubelet builds these with resource.NewQuantity, so they serialise canonically (2000 pods: "2k").
  const canonical = (v: string) => quantityString(parseQuantity(v)!);
  const capacity = {
    cpu: canonical(String(cpus().length)),
    memory: canonical(mem),
    pods: canonical(String(config.maxPods)),
    'ephemeral-storage': '0',
    'hugepages-2Mi': '0',
  };
  const t = rfc3339(now);
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.nodeName,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': config.nodeName,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
        ...(config.zone ? { 'topology.kubernetes.io/zone': config.zone } : {}),
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR] },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: hostIP(config) },
        { type: 'Hostname', address: config.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: `tinykube://${VERSION_INFO.gitVersion}`,
        kubeletVersion: VERSION_INFO.gitVersion,
        kubeProxyVersion: VERSION_INFO.gitVersion,
        operatingSystem: 'linux',
        architecture: arch,
      },
    },
  };
}

export interface NodeHeartbeat {
  /** Writes node.status.images (the kubelet reports what its runtime has). */
  reportImages(images: { names: string[]; sizeBytes: number }[]): void;
  stop(): void;
}

/**
 * Registers (or refreshes) the Node and keeps its Lease renewed. The events a kubelet and the
 * node lifecycle controller record at start go on the Node (what `kubectl describe node` lists):
 * Starting and NodeAllocatableEnforced every time, the condition events when the Node is new,
 * RegisteredNode from the controller.
 */
export function startNode(
  registry: Registry,
  defs: { node: ResourceDef; lease: ResourceDef },
  config: ClusterConfig,
  onError: (err: unknown) => void,
  events?: { kubelet: EventRecorder; nodeController: EventRecorder },
): NodeHeartbeat {
  const now = new Date();
  const want = nodeObject(config, now);
  let node: KubeObject;
  let created = false;
  try {
    const cur = registry.get(defs.node, '', config.nodeName);
    // Keep user-set labels, taints and spec; refresh what the node reports about itself.
    const labels = { ...(cur.metadata.labels ?? {}), ...want.metadata.labels };
    node = registry.update(
      defs.node,
      '',
      config.nodeName,
      { ...cur, metadata: { ...cur.metadata, labels } },
      { fieldManager: 'kubelet' },
    ).object;
    node = registry.update(
      defs.node,
      '',
      config.nodeName,
      { ...node, status: want.status },
      { subresource: 'status', fieldManager: 'kubelet' },
    ).object;
  } catch (e) {
    if (!(e instanceof StatusError) || e.code !== 404) throw e;
    const { status, ...rest } = want;
    node = registry.create(defs.node, '', rest, { fieldManager: 'kubelet' }).object;
    node = registry.update(defs.node, '', config.nodeName, { ...node, status }, { subresource: 'status', fieldManager: 'kubelet' }).object;
    created = true;
  }
  if (events) {
    const name = config.nodeName;
    // The kubelet refers to its Node by name, also as uid (kubectl describe node looks for both).
    const self: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: name } };
    events.kubelet(self, 'Normal', 'Starting', 'Starting kubelet.');
    if (created)
      for (const c of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID'])
        events.kubelet(self, 'Normal', c, `Node ${name} status is now: ${c}`);
    events.kubelet(self, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    if (created) events.kubelet(self, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    events.nodeController(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
  }
  const renew = () => {
    const lease: LeaseObj = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: config.nodeName,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: config.nodeName, uid: node.metadata.uid! }],
      },
      spec: { holderIdentity: config.nodeName, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime(new Date()) },
    };
    try {
      const cur = ((): LeaseObj | undefined => {
        try {
          return registry.get(defs.lease, 'kube-node-lease', config.nodeName);
        } catch {
          return undefined;
        }
      })();
      if (cur)
        registry.update(
          defs.lease,
          'kube-node-lease',
          config.nodeName,
          { ...cur, spec: { ...cur.spec, ...lease.spec } },
          { fieldManager: 'kubelet' },
        );
      else registry.create(defs.lease, 'kube-node-lease', lease, { fieldManager: 'kubelet' });
    } catch (err) {
      onError(err);
    }
  };
  renew();
  const timer = setInterval(renew, RENEW_MS);
  timer.unref();
  return {
    reportImages(images) {
      try {
        const cur = registry.get(defs.node, '', config.nodeName);
        registry.update(
          defs.node,
          '',
          config.nodeName,
          { ...cur, status: { ...(cur.status as object), images } },
          { subresource: 'status', fieldManager: 'kubelet' },
        );
      } catch (err) {
        onError(err);
      }
    },
    stop: () => clearInterval(timer),
  };
}
