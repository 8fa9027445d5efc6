// ResourceQuota: validation texts, the printer's cells, usage evaluators, quota admission inside
// a real registry transaction (with the kinds' create and update hooks standing in for the
// Registry's quota hook) and the quota controller's status.used.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import pino from 'pino';
import { Store } from '../../src/storage/store.js';
import { Registry } from '../../src/registry/generic-store.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import { fieldErrorString } from '../../src/apimachinery/field.js';
import { resolveConfig } from '../../src/config/options.js';
import { realClock } from '../../src/base/clock.js';
import { allResourceDefs, requireDef } from '../../src/registry/kinds.js';
import type { ResourceDef } from '../../src/registry/types.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { ControllerContext } from '../../src/controllers/context.js';
import { resourceQuotaDef, quotaCells, validateResourceQuotaSpec, type ResourceQuotaObj } from '../../src/registry/quota/resourcequota.js';
import { claimUsage, podConstraints, podUsage, serviceUsage, matchingResources } from '../../src/registry/quota/evaluators.js';
import { encodeList, prettyPrint, decodeList } from '../../src/registry/quota/resources.js';
import { quotaAdmission } from '../../src/registry/quota/quota-admission.js';
import { startResourceQuotaController } from '../../src/controllers/resourcequota.js';

const texts = (errs: { field: string; body: string }[]) => errs.map((e) => fieldErrorString(e as never));

describe('ResourceQuota validation', () => {
  it('refuses unknown names, negative and fractional counts with upstream texts', () => {
    expect(texts(validateResourceQuotaSpec({ hard: { foo: '1', pods: '-1', secrets: '1500m' } }))).toEqual([
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
      'spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0',
      'spec.hard[secrets]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer',
    ]);
  });

  it('accepts count/<resource> names and standard quota resources', () => {
    expect(validateResourceQuotaSpec({ hard: { 'count/deployments.apps': '2', 'count/configmaps': '3', 'requests.cpu': '1' } })).toEqual(
      [],
    );
  });

  it('checks scopes against the resources and each other', () => {
    expect(texts(validateResourceQuotaSpec({ hard: { cpu: '1' }, scopes: ['BestEffort', 'NotBestEffort'] }))).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: unsupported scope applied to resource',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
    ]);
    expect(texts(validateResourceQuotaSpec({ hard: { pods: '1' }, scopes: ['Sometimes'] }))).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope',
    ]);
  });

  it('checks scope selector operators', () => {
    const errs = texts(
      validateResourceQuotaSpec({
        hard: { pods: '1' },
        scopeSelector: { matchExpressions: [{ scopeName: 'Terminating', operator: 'In', values: [] }] },
      }),
    );
    expect(errs).toEqual([
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "In": must be \'Exist\' only operator when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort and ResourceQuotaScopeNotBestEffort',
      "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
    ]);
  });

  it('keeps scopes immutable and clears status on create', () => {
    const old = { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } } as ResourceQuotaObj;
    const next = { ...old, spec: { hard: { pods: '1' }, scopes: ['NotBestEffort'] } } as ResourceQuotaObj;
    expect(texts(resourceQuotaDef.validateUpdate!(next, old, {} as never))).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotBestEffort"}: field is immutable',
    ]);
    const created = { ...old, status: { used: { pods: '5' } } } as ResourceQuotaObj;
    resourceQuotaDef.prepareForCreate!(created, {} as never);
    expect(created.status).toEqual({});
  });

  it('prints REQUEST and LIMIT as used/hard, limits.* apart', () => {
    const rq = {
      metadata: { name: 'q' },
      status: { hard: { pods: '2', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '1', 'limits.cpu': '500m' } },
    } as ResourceQuotaObj;
    expect(quotaCells(rq)).toEqual(['pods: 1/2, requests.memory: 0/1Gi', 'limits.cpu: 500m/2']);
  });
});

describe('usage evaluators', () => {
  const pod = (containers: object[], extra: object = {}) =>
    ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers, ...extra }, status: { phase: 'Running' } }) as never;

  it('charges a Pod its count, requests and limits; a finished Pod only its count', () => {
    const p = pod([
      { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } } },
      { name: 'b', resources: { requests: { cpu: '150m', memory: '64Mi' } } },
    ]);
    expect(encodeList(podUsage(p, new Date()))).toEqual({
      'count/pods': '1',
      pods: '1',
      cpu: '250m',
      'requests.cpu': '250m',
      memory: '128Mi',
      'requests.memory': '128Mi',
      'limits.cpu': '200m',
    });
    const done = { ...(p as object), status: { phase: 'Succeeded' } } as never;
    expect(encodeList(podUsage(done, new Date()))).toEqual({ 'count/pods': '1' });
  });

  it('raises a Pod to its largest init container and adds sidecars', () => {
    const p = pod([{ name: 'a', resources: { requests: { cpu: '100m' } } }], {
      initContainers: [
        { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
        { name: 'init', resources: { requests: { cpu: '1' } } },
      ],
    });
    expect(encodeList(podUsage(p, new Date()))['requests.cpu']).toBe('1050m');
  });

  it('names the containers that lack a compute resource the quota limits', () => {
    const p = pod([{ name: 'b', resources: { limits: { cpu: '1' } } }, { name: 'a' }]) as never;
    expect(podConstraints(['limits.cpu', 'requests.memory', 'pods'], p)).toBe(
      'must specify limits.cpu for: a; must specify requests.memory for: a,b',
    );
    expect(podConstraints(['pods'], p)).toBeUndefined();
  });

  it('charges Services node ports and load balancers', () => {
    const svc = { spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } } as never;
    expect(encodeList(serviceUsage(svc))).toEqual({
      'count/services': '1',
      services: '1',
      'services.loadbalancers': '1',
      'services.nodeports': '2',
    });
  });

  it('charges claims their storage, also per storage class', () => {
    const pvc = { spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } } as never;
    expect(encodeList(claimUsage(pvc))).toEqual({
      'count/persistentvolumeclaims': '1',
      persistentvolumeclaims: '1',
      'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'requests.storage': '1Gi',
      'fast.storageclass.storage.k8s.io/requests.storage': '1Gi',
    });
  });

  it('matches quota names to the resources that charge them', () => {
    const names = ['pods', 'count/configmaps', 'configmaps', 'count/deployments.apps', 'services'];
    expect(matchingResources('', 'configmaps', names)).toEqual(['count/configmaps', 'configmaps']);
    expect(matchingResources('apps', 'deployments', names)).toEqual(['count/deployments.apps']);
    expect(matchingResources('', 'pods', names)).toEqual(['pods']);
    expect(prettyPrint(decodeList({ pods: '1', cpu: '500m' }))).toBe('cpu=500m,pods=1');
  });
});

describe('quota admission and the quota controller', () => {
  let store: Store;
  let registry: Registry;
  let defs: ResourceDef[];
  let stop: () => void;
  let idle: () => Promise<void>;

  /** The kinds with the quota check where the Registry's quota hook will call it (inside the write). */
  const withQuota = (def: ResourceDef): ResourceDef => ({
    ...def,
    beginCreate(obj, ctx) {
      def.beginCreate?.(obj, ctx);
      quotaAdmission({ def, operation: 'CREATE', namespace: obj.metadata.namespace ?? '', object: obj, ctx });
    },
    beginUpdate(obj, old, ctx) {
      def.beginUpdate?.(obj, old, ctx);
      quotaAdmission({
        def,
        operation: 'UPDATE',
        namespace: obj.metadata.namespace ?? '',
        object: obj,
        old,
        ctx,
        subresource: ctx.subresource,
      });
    },
  });
  const def = (plural: string) => requireDef(defs, '', plural);
  const quota = (name = 'q') => store.get('resourcequotas', 'ns', name) as ResourceQuotaObj;
  const pod = (name: string, resources?: object): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'busybox', resources }] },
    }) as never;
  const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      if (e instanceof StatusError) return `${e.code} ${e.message}`;
      throw e;
    }
    return 'admitted';
  };
  const createQuota = async (name: string, spec: object) => {
    registry.create(def('resourcequotas'), 'ns', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name, namespace: 'ns' },
      spec,
    } as never);
    await idle();
  };

  beforeEach(() => {
    store = new Store();
    registry = new Registry(store, resolveConfig({}));
    defs = allResourceDefs().map((d) => (d.group === '' && ['pods', 'configmaps', 'services'].includes(d.plural) ? withQuota(d) : d));
    registry.create(def('namespaces'), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    registry.create(def('serviceaccounts'), 'ns', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'ns' },
    });
    const ctx = { store, registry, defs, log: pino({ level: 'silent' }), clock: realClock } as unknown as ControllerContext;
    const c = startResourceQuotaController(ctx);
    stop = () => c.stop();
    idle = () => c.idle();
  });
  afterEach(() => {
    stop();
    store.close();
  });

  it('counts what exists when a quota is created, then refuses the pod over the limit', async () => {
    registry.create(def('pods'), 'ns', pod('p0'));
    await createQuota('q', { hard: { pods: '2', 'count/configmaps': '3' } });
    expect(quota().status).toEqual({ hard: { pods: '2', 'count/configmaps': '3' }, used: { pods: '1', 'count/configmaps': '0' } });
    registry.create(def('pods'), 'ns', pod('p1'));
    expect(quota().status?.used).toEqual({ pods: '2', 'count/configmaps': '0' });
    expect(refusal(() => registry.create(def('pods'), 'ns', pod('p2')))).toBe(
      '403 pods "p2" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    expect(store.get('pods', 'ns', 'p2')).toBeUndefined();
    expect(quota().status?.used?.pods).toBe('2');
  });

  it('gives usage back when an object goes away', async () => {
    await createQuota('q', { hard: { 'count/configmaps': '2', configmaps: '2' } });
    registry.create(def('configmaps'), 'ns', cm('a'));
    registry.create(def('configmaps'), 'ns', cm('b'));
    expect(refusal(() => registry.create(def('configmaps'), 'ns', cm('c')))).toBe(
      '403 configmaps "c" is forbidden: exceeded quota: q, requested: configmaps=1,count/configmaps=1, used: configmaps=2,count/configmaps=2, limited: configmaps=2,count/configmaps=2',
    );
    registry.delete(def('configmaps'), 'ns', 'a');
    await idle();
    expect(quota().status?.used).toEqual({ 'count/configmaps': '1', configmaps: '1' });
    expect(refusal(() => registry.create(def('configmaps'), 'ns', cm('c')))).toBe('admitted');
  });

  it('requires compute resources a quota limits and charges them', async () => {
    await createQuota('compute', { hard: { 'limits.cpu': '1', 'requests.memory': '1Gi' } });
    expect(refusal(() => registry.create(def('pods'), 'ns', pod('bare')))).toBe(
      '403 pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: c; must specify requests.memory for: c',
    );
    registry.create(def('pods'), 'ns', pod('a', { limits: { cpu: '600m' }, requests: { memory: '512Mi' } }));
    expect(quota('compute').status?.used).toEqual({ 'limits.cpu': '600m', 'requests.memory': '512Mi' });
    expect(refusal(() => registry.create(def('pods'), 'ns', pod('b', { limits: { cpu: '600m' }, requests: { memory: '512Mi' } })))).toBe(
      '403 pods "b" is forbidden: exceeded quota: compute, requested: limits.cpu=600m, used: limits.cpu=600m, limited: limits.cpu=1',
    );
  });

  it('applies scoped quotas only to the pods they select', async () => {
    await createQuota('besteffort', { hard: { pods: '1' }, scopes: ['BestEffort'] });
    registry.create(def('pods'), 'ns', pod('be1'));
    registry.create(def('pods'), 'ns', pod('burstable', { requests: { cpu: '100m' } }));
    expect(quota('besteffort').status?.used).toEqual({ pods: '1' });
    expect(refusal(() => registry.create(def('pods'), 'ns', pod('be2')))).toMatch(/exceeded quota: besteffort/);
  });

  it('refuses while the controller has not computed usage, and dry runs change nothing', async () => {
    await createQuota('q', { hard: { pods: '5' } });
    const rq = quota();
    // A quota whose status lost its usage (as before the controller's first sync).
    store.txn((tx) => tx.update('resourcequotas', { ...rq, status: { hard: { pods: '5' } } }));
    expect(refusal(() => registry.create(def('pods'), 'ns', pod('x')))).toBe(
      '403 pods "x" is forbidden: status unknown for quota: q, resources: pods',
    );
    await idle();
    registry.create(def('pods'), 'ns', pod('dry'), { dryRun: true });
    expect(quota().status?.used).toEqual({ pods: '0' });
  });

  it('charges a Service update only for what it adds', async () => {
    await createQuota('svc', { hard: { 'services.nodeports': '1', services: '5' } });
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'ns' },
      spec: { ports: [{ port: 80 }] },
    } as KubeObject;
    registry.create(def('services'), 'ns', svc);
    const cur = store.get('services', 'ns', 's')!;
    const next = {
      ...cur,
      spec: {
        ...(cur.spec as object),
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      },
    } as KubeObject;
    expect(refusal(() => registry.update(def('services'), 'ns', 's', next))).toBe(
      '403 services "s" is forbidden: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
  });
});
