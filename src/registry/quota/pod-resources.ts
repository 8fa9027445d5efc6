// A Pod's aggregate requests and limits (upstream component-helpers/resource PodRequests and
// PodLimits): the sum of its containers, raised to what any init container needs while it runs
// (a regular init container beside the sidecars started before it; sidecars, restartPolicy
// Always, keep running and add up), plus spec.overhead (for limits: only where a limit is set).
import type { Container, PodSpec } from '../../api/generated/core/v1.js';
import { objectsIn } from '../define.js';
import { addLists, addQuantity, compareQuantity, decodeList, type ResourceList } from './resources.js';

type Field = 'requests' | 'limits';

const containerList = (c: Container, field: Field): ResourceList => decodeList(c.resources?.[field] as Record<string, unknown> | undefined);

/** maxResourceList: each name raised to the other list's value where that is larger. */
function maxInto(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of other) {
    const cur = into.get(k);
    if (!cur || compareQuantity(q, cur) > 0) into.set(k, q);
  }
}

function aggregate(spec: PodSpec | undefined, field: Field): ResourceList {
  let sum: ResourceList = new Map();
  for (const c of objectsIn(spec?.containers)) sum = addLists(sum, containerList(c, field));
  let sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of objectsIn(spec?.initContainers)) {
    const own = containerList(c, field);
    let running: ResourceList;
    if (c.restartPolicy === 'Always') {
      sum = addLists(sum, own);
      sidecars = addLists(sidecars, own);
      running = sidecars;
    } else running = addLists(own, sidecars);
    maxInto(initMax, running);
  }
  maxInto(sum, initMax);
  return sum;
}

/** PodRequests. */
export function podRequests(spec: PodSpec | undefined): ResourceList {
  const reqs = aggregate(spec, 'requests');
  const overhead = decodeList(spec?.overhead as Record<string, unknown> | undefined);
  return overhead.size ? addLists(reqs, overhead) : reqs;
}

/** PodLimits. */
export function podLimits(spec: PodSpec | undefined): ResourceList {
  const limits = aggregate(spec, 'limits');
  const overhead = decodeList(spec?.overhead as Record<string, unknown> | undefined);
  for (const [k, q] of overhead) {
    const cur = limits.get(k);
    if (cur) limits.set(k, addQuantity(cur, q));
  }
  return limits;
}
