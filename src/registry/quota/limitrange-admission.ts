// The LimitRanger admission plugin (upstream plugin/pkg/admission/limitranger), for Pod creates
// and PVC writes in a namespace with LimitRanges: a Pod's containers and init containers get the
// Container items' defaultRequest and default where they name none (recorded in the
// kubernetes.io/limit-ranger annotation), then every container is held to the Container items'
// min, max and maxLimitRequestRatio and the Pod's aggregate to the Pod items'; a PVC's storage
// request to the PersistentVolumeClaim items' min and max. A refusal is 403 Forbidden with
// upstream's texts (`maximum cpu usage per Container is 1, but limit is 2`), several aggregated.
import type { Container, PersistentVolumeClaim, Pod } from '../../api/generated/core/v1.js';
import type { WriteContext } from '../types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { forbidden } from '../../apimachinery/errors.js';
import { quantityMilliValue, quantityString, quantityValue, type Quantity } from '../../apimachinery/quantity.js';
import { objectsIn } from '../define.js';
import { decodeList, type ResourceList } from './resources.js';
import { podLimits, podRequests } from './pod-resources.js';
import { LIMIT_TYPE_CONTAINER, LIMIT_TYPE_POD, LIMIT_TYPE_PVC, type LimitRangeObj } from './limitrange.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;
const ZERO: Quantity = { num: 0n, den: 0, format: 'DecimalSI', value: 0n, scale: 0 };

/** requestLimitEnforcedValues: milli-precision where nothing overflows, whole values otherwise. */
function enforcedValues(req: Quantity | undefined, lim: Quantity | undefined, enforced: Quantity): [bigint, bigint, bigint] {
  const r = req ?? ZERO;
  const l = lim ?? ZERO;
  const whole: [bigint, bigint, bigint] = [quantityValue(r), quantityValue(l), quantityValue(enforced)];
  if (whole.every((v) => v <= MAX_MILLI_VALUE)) return [quantityMilliValue(r), quantityMilliValue(l), quantityMilliValue(enforced)];
  return whole;
}

const s = quantityString;

function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
}

/** maxRequestConstraint: for kinds whose limits are not the user's (PVCs). */
function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  const [r, , e] = enforcedValues(req, undefined, enforced);
  if (!req) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (r > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = enforcedValues(req, lim, enforced);
  if (!req || r === 0n)
    return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no limit is specified or limit is 0`;
  const observed = Number(l) / Number(r);
  let ratio = observed;
  let max = Number(quantityValue(enforced));
  if (quantityValue(enforced) <= MAX_MILLI_VALUE) {
    ratio = observed * 1000;
    max = Number(quantityMilliValue(enforced));
  }
  if (ratio > max) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

const sortedEntries = (m: Record<string, unknown> | null | undefined): [string, Quantity][] =>
  Object.keys(m ?? {})
    .sort()
    .flatMap((k) => {
      const q = decodeList({ [k]: m![k] }).get(k);
      return q ? [[k, q] as [string, Quantity]] : [];
    });

/** Min, max and ratio checks of one item against requests and limits. */
function checkItem(
  item: { min?: Record<string, unknown>; max?: Record<string, unknown>; maxLimitRequestRatio?: Record<string, unknown> },
  type: string,
  requests: ResourceList,
  limits: ResourceList,
  errs: string[],
): void {
  for (const [k, v] of sortedEntries(item.min)) push(errs, minConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.max)) push(errs, maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) push(errs, ratioConstraint(type, k, v, requests, limits));
}

const push = (errs: string[], e: string | undefined) => {
  if (e) errs.push(e);
};

/** defaultContainerResourceRequirements: the Container items' defaults (later items win). */
function containerDefaults(lr: LimitRangeObj): { requests: Record<string, string | number>; limits: Record<string, string | number> } {
  const requests: Record<string, string | number> = {};
  const limits: Record<string, string | number> = {};
  for (const item of objectsIn(lr.spec?.limits)) {
    if (item.type !== LIMIT_TYPE_CONTAINER) continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  return { requests, limits };
}

/** mergeContainerResources: fills what the container does not name; returns the annotation's phrases. */
function mergeContainer(c: Container, defaults: ReturnType<typeof containerDefaults>, label: string): string[] {
  const res = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(defaults.limits)) {
    if (res.limits && k in res.limits) continue;
    (res.limits ??= {})[k] = v;
    setLimits.push(k);
  }
  for (const [k, v] of Object.entries(defaults.requests)) {
    if (res.requests && k in res.requests) continue;
    (res.requests ??= {})[k] = v;
    setRequests.push(k);
  }
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${label} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${label} ${c.name}`);
  return out;
}

/** PodMutateLimitFunc. */
export function defaultPodResources(pod: Pod & KubeObject, lr: LimitRangeObj): void {
  const defaults = containerDefaults(lr);
  if (!Object.keys(defaults.requests).length && !Object.keys(defaults.limits).length) return;
  const notes: string[] = [];
  for (const c of objectsIn(pod.spec?.containers)) notes.push(...mergeContainer(c, defaults, 'container'));
  for (const c of objectsIn(pod.spec?.initContainers)) notes.push(...mergeContainer(c, defaults, 'init container'));
  if (notes.length) (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
}

/** PodValidateLimitFunc: the refusals, in upstream's order. */
export function validatePodLimits(pod: Pod, lr: LimitRangeObj): string[] {
  const errs: string[] = [];
  for (const item of objectsIn(lr.spec?.limits)) {
    if (item.type === LIMIT_TYPE_CONTAINER) {
      for (const c of [...objectsIn(pod.spec?.containers), ...objectsIn(pod.spec?.initContainers)])
        checkItem(item, LIMIT_TYPE_CONTAINER, decodeList(c.resources?.requests), decodeList(c.resources?.limits), errs);
    } else if (item.type === LIMIT_TYPE_POD) {
      checkItem(item, LIMIT_TYPE_POD, podRequests(pod.spec), podLimits(pod.spec), errs);
    }
  }
  return errs;
}

/** PersistentVolumeClaimValidateLimitFunc: the claim's storage request within min and max. */
export function validateClaimLimits(pvc: PersistentVolumeClaim, lr: LimitRangeObj): string[] {
  const errs: string[] = [];
  const requests = decodeList(pvc.spec?.resources?.requests);
  for (const item of objectsIn(lr.spec?.limits)) {
    if (item.type !== LIMIT_TYPE_PVC) continue;
    for (const [k, v] of sortedEntries(item.min)) push(errs, minConstraint(LIMIT_TYPE_PVC, k, v, requests, new Map()));
    for (const [k, v] of sortedEntries(item.max)) push(errs, maxRequestConstraint(LIMIT_TYPE_PVC, k, v, requests));
  }
  return errs;
}

/** utilerrors.NewAggregate's text: one message alone, several (duplicates dropped) as `[a, b]`. */
export function aggregateText(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0]! : `[${uniq.join(', ')}]`;
}

function refuse(resource: string, obj: KubeObject, msgs: string[]): void {
  if (msgs.length) throw forbidden({ group: '', resource }, obj.metadata.name || obj.metadata.generateName || '', aggregateText(msgs));
}

/**
 * LimitRanger for a Pod create (upstream skips Pod updates: containers cannot be added and their
 * resources are immutable): defaults from every LimitRange of the namespace, then their checks.
 */
export function admitLimitRanges(pod: Pod & KubeObject, ctx: WriteContext): void {
  const ranges = (ctx.tx?.list('limitranges', pod.metadata.namespace ?? '') ?? []) as LimitRangeObj[];
  if (!ranges.length) return;
  for (const lr of ranges) defaultPodResources(pod, lr);
  refuse(
    'pods',
    pod,
    ranges.flatMap((lr) => validatePodLimits(pod, lr)),
  );
}

/** LimitRanger for a PVC create or update: the storage request within every LimitRange's bounds. */
export function admitClaimLimitRanges(pvc: PersistentVolumeClaim & KubeObject, ctx: WriteContext): void {
  const ranges = (ctx.tx?.list('limitranges', pvc.metadata.namespace ?? '') ?? []) as LimitRangeObj[];
  if (!ranges.length) return;
  refuse(
    'persistentvolumeclaims',
    pvc,
    ranges.flatMap((lr) => validateClaimLimits(pvc, lr)),
  );
}
