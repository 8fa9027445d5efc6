// The service proxy's side of the data-plane feed on one thread: StoreFeed.attach relists the
// resources another consumer (the DNS index) follows already, the mirror holds them for the
// proxy's view (proxy-view.ts), which keeps Services, slices by Service, Pod addresses and Nodes
// and calls the proxy's handlers as informers do; and the condition the thread works out is
// written into the stored Service (conditions.ts withPortsBound).
import { describe, it, expect, afterEach } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { Store } from '../../src/storage/store.js';
import { StoreFeed, FeedMirror } from '../../src/dataplane/index.js';
import { mirrorSource, PROXY_RESOURCES } from '../../src/dataplane/proxy-view.js';
import { ClusterIndex, INDEX_RESOURCES, SLICES } from '../../src/dns/cluster-index.js';
import { createPolicyIndex } from '../../src/registry/networking/policy-evaluation.js';
import { PORTS_BOUND, withPortsBound, type Condition } from '../../src/proxy/conditions.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function setup() {
  const store = new Store();
  const { port1, port2 } = new MessageChannel();
  const posted = new Int32Array(new SharedArrayBuffer(4));
  const feed = new StoreFeed(store, port1, posted);
  const mirror = new FeedMirror(port2, posted);
  cleanup.push(() => {
    feed.close();
    mirror.close();
    store.close();
  });
  return { store, feed, mirror };
}

const tick = () => new Promise<void>((r) => process.nextTick(r));

const svc = (name: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name, uid: `uid-${name}`, annotations: { big: 'x'.repeat(100) }, managedFields: [{ manager: 'm' }] },
  spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ port: 80, protocol: 'TCP' }] },
});
const slice = (name: string, service: string, ips: string[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  ports: [{ name: '', port: 8080, protocol: 'TCP' }],
});
const pod = (name: string, ip: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'default', name, labels },
  spec: { containers: [{ name: 'c', image: 'i' }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});

/** Attaches a view, recording what its handlers are told. */
function attach(mirror: FeedMirror) {
  const source = mirrorSource(mirror);
  const seen: string[] = [];
  const name = (o: KubeObject) => o.metadata.name;
  const policy = createPolicyIndex();
  const detach = source.subscribe(
    {
      services: {
        add: (o) => seen.push(`svc add ${name(o)}`),
        update: (o, old) => seen.push(`svc update ${name(o)} ${(old.spec as { clusterIP: string }).clusterIP}`),
        delete: (o) => seen.push(`svc delete ${name(o)}`),
      },
      slices: {
        add: (o) => seen.push(`slice add ${name(o)}`),
        update: (o, old) => seen.push(`slice update ${name(o)} ${JSON.stringify((old.endpoints as unknown[]).length)}`),
        delete: (o) => seen.push(`slice delete ${name(o)}`),
      },
      pods: {
        delete: (o) =>
          seen.push(
            `pod delete ${name(o)} ${JSON.stringify((o.status as { podIPs: unknown }).podIPs)} ${(o.spec as { hostNetwork: boolean }).hostNetwork}`,
          ),
      },
    },
    policy,
  );
  cleanup.push(detach);
  return { source, seen, policy };
}

describe("the proxy's view on the data-plane thread", () => {
  it('gets the objects of resources the DNS index took already, current as of its listing', async () => {
    const { store, feed, mirror } = setup();
    store.txn((tx) => {
      tx.create('services', svc('web', '10.0.0.5'));
      tx.create(SLICES, slice('web-1', 'web', ['10.1.0.7']));
      tx.create('pods', pod('p', '10.1.0.7'));
      tx.create('pods', pod('old', '10.1.0.9'));
    });
    feed.follow(INDEX_RESOURCES);
    mirror.sync();
    const idx = ClusterIndex.attach(mirror);
    cleanup.push(() => idx.detach());
    // The index took them: the mirror holds none of them now.
    expect(mirror.listObjects('services')).toEqual([]);
    const told: string[] = [];
    mirror.subscribe('services', (ev) => told.push(`${ev.type} ${ev.name}`));

    feed.attach(PROXY_RESOURCES);
    // Changes after the relist and before the view lists: the held copies follow them.
    store.txn((tx) => tx.update('services', svc('web', '10.0.0.6')));
    store.txn((tx) => tx.delete('pods', 'default', 'old'));
    store.txn((tx) => tx.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
    await tick();
    mirror.sync();
    // The subscribers were told of the changes only, not of the relist.
    expect(told).toEqual(['MODIFIED web']);
    expect(idx.service('default', 'web')!.clusterIPs.map((a) => a.text)).toEqual(['10.0.0.6']);

    const { source, seen } = attach(mirror);
    expect(seen.sort()).toEqual(['slice add web-1', 'svc add web']);
    const web = source.service('default/web')!;
    expect(web.spec!.clusterIP).toBe('10.0.0.6');
    // What the proxy never reads is not kept.
    expect(web.metadata.annotations).toBeUndefined();
    expect((web.metadata as { managedFields?: unknown }).managedFields).toBeUndefined();
    expect(web.metadata.uid).toBe('uid-web');
    expect(source.slicesOf('default/web').map((s) => s.metadata.name)).toEqual(['web-1']);
    expect(source.podHas('10.1.0.7')).toBe(true);
    expect(source.podHas('10.1.0.9')).toBe(false);
    expect(source.node('n1')?.metadata.name).toBe('n1');
    expect([...source.services()].map((s) => s.metadata.name)).toEqual(['web']);
    // Handed over: a second listing finds nothing held.
    expect(mirror.listObjects('services')).toEqual([]);
  });

  it('calls the handlers as informers do: updates with the old object, deletions with what the proxy reads', async () => {
    const { store, feed, mirror } = setup();
    feed.attach(PROXY_RESOURCES);
    mirror.sync();
    const { source, seen, policy } = attach(mirror);
    store.txn((tx) => {
      tx.create('services', svc('web', '10.0.0.5'));
      tx.create(SLICES, slice('web-1', 'web', ['10.1.0.7']));
      tx.create('pods', pod('p', '10.1.0.7', { app: 'web' }));
      tx.create('networking.k8s.io/networkpolicies', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { namespace: 'default', name: 'deny' },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
      });
    });
    await tick();
    mirror.sync();
    // The policy index was fed: the Pod is isolated.
    expect(policy.allows({ srcIP: '10.1.0.8', dstIP: '10.1.0.7', dstPort: 8080, protocol: 'TCP' })).toBe(false);
    store.txn((tx) => {
      tx.update('services', svc('web', '10.0.0.6'));
      tx.update(SLICES, slice('web-1', 'other', ['10.1.0.7', '10.1.0.8']));
    });
    await tick();
    mirror.sync();
    // The slice moved to another Service: indexed there only.
    expect(source.slicesOf('default/web')).toEqual([]);
    expect(source.slicesOf('default/other').map((s) => s.metadata.name)).toEqual(['web-1']);
    store.txn((tx) => {
      tx.delete('pods', 'default', 'p');
      tx.delete(SLICES, 'default', 'web-1');
      tx.delete('services', 'default', 'web');
      tx.delete('networking.k8s.io/networkpolicies', 'default', 'deny');
    });
    await tick();
    mirror.sync();
    expect(seen).toEqual([
      'svc add web',
      'slice add web-1',
      'svc update web 10.0.0.5',
      'slice update web-1 1',
      'pod delete p [{"ip":"10.1.0.7"}] false',
      'slice delete web-1',
      'svc delete web',
    ]);
    expect(source.podHas('10.1.0.7')).toBe(false);
    expect(source.service('default/web')).toBeUndefined();
    expect(policy.policyCount).toBe(0);
  });
});

describe("the proxy's view keeps what the proxy reads", () => {
  it('of a Service without ClusterIPs its name, type, ClusterIPs, generation and conditions only', async () => {
    const { store, feed, mirror } = setup();
    feed.attach(PROXY_RESOURCES);
    mirror.sync();
    const { source } = attach(mirror);
    const condition = { type: PORTS_BOUND, status: 'True', lastTransitionTime: 't', reason: 'Listening', message: 'm' };
    store.txn((tx) => {
      tx.create('services', {
        ...svc('hl', 'None'),
        spec: { clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP' }] },
        status: { conditions: [condition], loadBalancer: {} },
      });
      tx.create('services', { ...svc('ext', ''), spec: { type: 'ExternalName', externalName: 'example.com' } });
    });
    await tick();
    mirror.sync();
    const hl = source.service('default/hl')!;
    expect(hl.spec).toEqual({ clusterIP: 'None', clusterIPs: ['None'] });
    expect(hl.status).toEqual({ conditions: [condition] });
    expect(hl.metadata.uid).toBe('uid-hl');
    expect(hl.metadata.labels).toBeUndefined();
    expect(source.service('default/ext')!.spec).toEqual({ type: 'ExternalName' });
    // A Service with a ClusterIP is kept whole (but for managedFields and annotations).
    store.txn((tx) => tx.create('services', svc('web', '10.0.0.5')));
    await tick();
    mirror.sync();
    expect(source.service('default/web')!.spec).toEqual(svc('web', '10.0.0.5').spec);
  });
});

describe('withPortsBound (the condition of the thread, written into the stored Service)', () => {
  const cond = (status: 'True' | 'False', reason: string, at: string, gen = 1): Condition => ({
    type: PORTS_BOUND,
    status,
    observedGeneration: gen,
    lastTransitionTime: at,
    reason,
    message: `m ${reason}`,
  });
  const stored = (conditions?: Condition[]): ServiceObj =>
    ({
      metadata: { name: 's' },
      status: { loadBalancer: { ingress: [{ ip: '127.0.0.9' }] }, ...(conditions ? { conditions } : {}) },
    }) as ServiceObj;
  const other: Condition = { type: 'Other', status: 'True', lastTransitionTime: 't0', reason: 'R', message: 'x' };

  it('adds, replaces and removes it, keeping the other conditions and the rest of the status', () => {
    const added = withPortsBound(stored([other]), cond('False', 'AddressInUse', 't1'))!;
    expect(added.conditions).toEqual([other, cond('False', 'AddressInUse', 't1')]);
    expect(added.loadBalancer).toEqual({ ingress: [{ ip: '127.0.0.9' }] });
    const replaced = withPortsBound(stored([cond('False', 'AddressInUse', 't1'), other]), cond('True', 'Listening', 't2'))!;
    expect(replaced.conditions).toEqual([cond('True', 'Listening', 't2'), other]);
    expect(withPortsBound(stored([other, cond('True', 'Listening', 't2')]), null)!.conditions).toEqual([other]);
    expect(withPortsBound(stored([cond('True', 'Listening', 't2')]), null)!.conditions).toBeUndefined();
  });

  it('writes nothing when the stored condition says the same, and keeps its transition time when only the reason moves', () => {
    expect(withPortsBound(stored([cond('False', 'AddressInUse', 't1')]), cond('False', 'AddressInUse', 't9'))).toBeUndefined();
    expect(withPortsBound(stored([other]), null)).toBeUndefined();
    const moved = withPortsBound(stored([cond('False', 'AddressInUse', 't1')]), cond('False', 'PermissionDenied', 't9'))!;
    expect(moved.conditions).toEqual([cond('False', 'PermissionDenied', 't1')]);
    // A new generation observed is a change.
    expect(withPortsBound(stored([cond('True', 'Listening', 't1')]), cond('True', 'Listening', 't9', 2))!.conditions).toEqual([
      cond('True', 'Listening', 't1', 2),
    ]);
  });
});
