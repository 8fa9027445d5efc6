// Quota usage of objects (upstream pkg/quota/v1/evaluator/core and quota/v1/generic): what one
// object charges, which quota resource names an evaluator tracks, and which objects a quota's
// scopes select. Pods charge pods, count/pods and their compute requests and limits (requests.*,
// limits.*, cpu and memory as requests; extended resources as requests.<name>) while not
// terminal; Services charge services, services.nodeports and services.loadbalancers; PVCs charge
// persistentvolumeclaims and requests.storage, also per storage class
// (<class>.storageclass.storage.k8s.io/...); every other namespaced resource charges
// count/<resource>[.<group>] and, for the legacy object-count names, configmaps, secrets,
// replicationcontrollers and resourcequotas.
import type { Container, PersistentVolumeClaim, Pod, ScopedResourceSelectorRequirement, Service } from '../../api/generated/core/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { objectsIn } from '../define.js';
import {
  addLists,
  count,
  decodeList,
  isExtendedResource,
  zero,
  SCOPE_BEST_EFFORT,
  SCOPE_CROSS_NAMESPACE_POD_AFFINITY,
  SCOPE_NOT_BEST_EFFORT,
  SCOPE_NOT_TERMINATING,
  SCOPE_PRIORITY_CLASS,
  SCOPE_TERMINATING,
  type ResourceList,
} from './resources.js';
import { podLimits, podRequests } from './pod-resources.js';
import type { ResourceQuotaObj } from './resourcequota.js';

/** The resources whose usage an evaluator computes (everything else: count/<resource> only). */
export type EvaluatorKind = 'pods' | 'services' | 'persistentvolumeclaims' | 'count';

/** Legacy object-count names (quota's `configmaps` before `count/configmaps` existed). */
const LEGACY_COUNT = new Set(['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas']);
const POD_RESOURCES = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);
const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.loadbalancers', 'services.nodeports']);
const PVC_RESOURCES = new Set(['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage']);
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/** The count/ name of a resource: count/<plural> in the core group, count/<plural>.<group> otherwise. */
export const countName = (group: string, plural: string) => (group ? `count/${plural}.${group}` : `count/${plural}`);

export function evaluatorKind(group: string, plural: string): EvaluatorKind {
  if (group === '' && (plural === 'pods' || plural === 'services' || plural === 'persistentvolumeclaims')) return plural;
  return 'count';
}

/** MatchingResources: the quota resource names (of a quota's hard) this resource's evaluator tracks. */
export function matchingResources(group: string, plural: string, names: Iterable<string>): string[] {
  const kind = evaluatorKind(group, plural);
  const own = countName(group, plural);
  const out: string[] = [];
  for (const n of names) {
    let match: boolean;
    if (kind === 'pods')
      match =
        POD_RESOURCES.has(n) ||
        n.startsWith('hugepages-') ||
        n.startsWith('requests.hugepages-') ||
        (n.startsWith('requests.') && isExtendedResource(n.slice('requests.'.length)));
    else if (kind === 'services') match = SERVICE_RESOURCES.has(n);
    else if (kind === 'persistentvolumeclaims')
      match =
        PVC_RESOURCES.has(n) ||
        (n.includes(STORAGE_CLASS_SUFFIX) && ['requests.storage', 'persistentvolumeclaims'].includes(n.split(STORAGE_CLASS_SUFFIX)[1]!));
    else match = n === own || (group === '' && LEGACY_COUNT.has(plural) && n === plural);
    if (match) out.push(n);
  }
  return out;
}

// ---- pods ----

/** QuotaV1Pod: terminal Pods, and Pods past their deletion grace, no longer charge compute. */
export function podChargesCompute(pod: Pod & KubeObject, now: Date): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const dt = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (dt && grace !== undefined && grace !== null && now.getTime() > Date.parse(dt) + grace * 1000) return false;
  return true;
}

/** podComputeUsageHelper. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', count(1)]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [k, q] of requests) {
    if (k.startsWith('hugepages-')) {
      out.set(k, q);
      out.set(`requests.${k}`, q);
    }
    if (isExtendedResource(k)) out.set(`requests.${k}`, q);
  }
  return out;
}

/** PodUsageFunc. */
export function podUsage(pod: Pod & KubeObject, now: Date): ResourceList {
  const base: ResourceList = new Map([['count/pods', count(1)]]);
  if (!podChargesCompute(pod, now)) return base;
  return addLists(base, computeUsage(podRequests(pod.spec), podLimits(pod.spec)));
}

const COMPUTE_VALIDATION = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/**
 * The pod evaluator's Constraints: a quota on cpu or memory requires every container to state
 * them (`must specify limits.cpu for: c1,c2`), or undefined when all do.
 */
export function podConstraints(required: readonly string[], pod: Pod): string | undefined {
  const need = required.filter((r) => COMPUTE_VALIDATION.has(r));
  if (!need.length) return undefined;
  const missing = new Map<string, Set<string>>();
  const check = (c: Container) => {
    const have = computeUsage(decodeList(c.resources?.requests), decodeList(c.resources?.limits));
    for (const r of need) if (!have.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name ?? '');
  };
  objectsIn(pod.spec?.containers).forEach(check);
  objectsIn(pod.spec?.initContainers).forEach(check);
  if (!missing.size) return undefined;
  return [...missing.keys()]
    .sort()
    .map((r) => `must specify ${r} for: ${[...missing.get(r)!].sort().join(',')}`)
    .join('; ');
}

function isBestEffort(pod: Pod): boolean {
  for (const c of [...objectsIn(pod.spec?.containers), ...objectsIn(pod.spec?.initContainers)]) {
    for (const l of [decodeList(c.resources?.requests), decodeList(c.resources?.limits)])
      for (const r of ['cpu', 'memory']) if ((l.get(r)?.num ?? 0n) !== 0n) return false;
  }
  return true;
}

const isTerminating = (pod: Pod) => typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0;

function usesCrossNamespaceAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  const terms = [
    ...objectsIn(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    ...objectsIn(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    ...objectsIn(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution).map((w) => w.podAffinityTerm),
    ...objectsIn(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).map((w) => w.podAffinityTerm),
  ];
  return terms.some((t) => !!t && ((t.namespaces?.length ?? 0) > 0 || !!t.namespaceSelector));
}

/** podMatchesScopeFunc of one selector requirement. */
function podMatchesScope(req: ScopedResourceSelectorRequirement, pod: Pod): boolean {
  switch (req.scopeName) {
    case SCOPE_TERMINATING:
      return isTerminating(pod);
    case SCOPE_NOT_TERMINATING:
      return !isTerminating(pod);
    case SCOPE_BEST_EFFORT:
      return isBestEffort(pod);
    case SCOPE_NOT_BEST_EFFORT:
      return !isBestEffort(pod);
    case SCOPE_PRIORITY_CLASS: {
      const pc = pod.spec?.priorityClassName;
      switch (req.operator) {
        case 'Exists':
          return !!pc;
        case 'DoesNotExist':
          return !pc;
        case 'In':
          return !!pc && (req.values ?? []).includes(pc);
        case 'NotIn':
          return !pc || !(req.values ?? []).includes(pc);
        default:
          return false;
      }
    }
    case SCOPE_CROSS_NAMESPACE_POD_AFFINITY:
      return usesCrossNamespaceAffinity(pod);
    default:
      return false;
  }
}

/** getScopeSelectorsFromQuota: spec.scopes as Exists requirements, then spec.scopeSelector's. */
export function quotaScopeSelectors(rq: ResourceQuotaObj): ScopedResourceSelectorRequirement[] {
  return [
    ...(rq.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })),
    ...objectsIn(rq.spec?.scopeSelector?.matchExpressions),
  ];
}

// ---- services and claims ----

/** The service evaluator's Usage. */
export function serviceUsage(svc: Service): ResourceList {
  const ports = objectsIn(svc.spec?.ports);
  const out: ResourceList = new Map([
    ['count/services', count(1)],
    ['services', count(1)],
    ['services.loadbalancers', zero()],
    ['services.nodeports', zero()],
  ]);
  if (svc.spec?.type === 'NodePort') out.set('services.nodeports', count(ports.length));
  else if (svc.spec?.type === 'LoadBalancer') {
    // Without node port allocation only explicitly requested node ports count.
    const n = svc.spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length;
    out.set('services.nodeports', count(n));
    out.set('services.loadbalancers', count(1));
  }
  return out;
}

/** The PVC evaluator's Usage: the request (or more, once a resize is allocated), also per storage class. */
export function claimUsage(pvc: PersistentVolumeClaim): ResourceList {
  const out: ResourceList = new Map([
    ['count/persistentvolumeclaims', count(1)],
    ['persistentvolumeclaims', count(1)],
  ]);
  const cls = pvc.spec?.storageClassName;
  if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, count(1));
  let storage = decodeList(pvc.spec?.resources?.requests).get('storage');
  const allocated = decodeList(pvc.status?.allocatedResources).get('storage');
  if (allocated && (!storage || allocated.num * 10n ** BigInt(storage.den) > storage.num * 10n ** BigInt(allocated.den)))
    storage = allocated;
  if (storage) {
    out.set('requests.storage', storage);
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return out;
}

// ---- any object ----

/** What one object charges. */
export function usageOf(group: string, plural: string, obj: KubeObject, now: Date): ResourceList {
  switch (evaluatorKind(group, plural)) {
    case 'pods':
      return podUsage(obj as Pod & KubeObject, now);
    case 'services':
      return serviceUsage(obj as Service);
    case 'persistentvolumeclaims':
      return claimUsage(obj as PersistentVolumeClaim);
    default: {
      const out: ResourceList = new Map([[countName(group, plural), count(1)]]);
      if (group === '' && LEGACY_COUNT.has(plural)) out.set(plural, count(1));
      return out;
    }
  }
}

/** Whether every scope of the quota selects the object (only Pods have scopes; other kinds match unscoped quotas). */
export function matchesScopes(group: string, plural: string, rq: ResourceQuotaObj, obj: KubeObject): boolean {
  const selectors = quotaScopeSelectors(rq);
  if (!selectors.length) return true;
  if (evaluatorKind(group, plural) !== 'pods') return false;
  return selectors.every((s) => podMatchesScope(s, obj as Pod));
}

/** Whether a quota, as its status.hard stands, constrains this object (generic Matches). */
export function quotaMatches(group: string, plural: string, rq: ResourceQuotaObj, obj: KubeObject): boolean {
  return matchingResources(group, plural, Object.keys(rq.status?.hard ?? {})).length > 0 && matchesScopes(group, plural, rq, obj);
}

/**
 * CalculateUsage of one resource for a quota: the named (hard) resources this resource tracks,
 * zero by default, summed over the objects its scopes select.
 */
export function usageStats(
  group: string,
  plural: string,
  rq: ResourceQuotaObj,
  hardNames: readonly string[],
  objects: readonly KubeObject[],
  now: Date,
): ResourceList {
  const names = matchingResources(group, plural, hardNames);
  if (!names.length) return new Map();
  let used: ResourceList = new Map(names.map((n) => [n, zero()]));
  for (const o of objects) if (matchesScopes(group, plural, rq, o)) used = addLists(used, usageOf(group, plural, o, now));
  return used;
}
