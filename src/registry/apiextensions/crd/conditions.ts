// The status conditions of a CRD as upstream's controllers set them (apiextensions-apiserver
// pkg/apihelpers/helpers.go SetCRDCondition, the naming and establishing controllers): setting a
// condition keeps its lastTransitionTime unless the status changes.
import type { CRD, CRDCondition } from './types.js';

export const ESTABLISHED_TRUE: Omit<CRDCondition, 'lastTransitionTime'> = {
  type: 'Established',
  status: 'True',
  reason: 'InitialNamesAccepted',
  message: 'the initial names have been accepted',
};

export function findCRDCondition(crd: CRD, type: string): CRDCondition | undefined {
  return crd.status?.conditions?.find((c) => c.type === type);
}

export function isCRDConditionTrue(crd: CRD, type: string): boolean {
  return findCRDCondition(crd, type)?.status === 'True';
}

/**
 * SetCRDCondition: replaces the condition of the same type (appending a new one), with `now` as
 * lastTransitionTime only when the status changed or the condition is new. Returns the new list.
 */
export function setCRDCondition(conditions: readonly CRDCondition[] | undefined, next: CRDCondition, now: string): CRDCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  if (i < 0) return [...list, { ...next, lastTransitionTime: now }];
  const old = list[i]!;
  const lastTransitionTime = old.status !== next.status || !old.lastTransitionTime ? now : old.lastTransitionTime;
  list[i] = { type: next.type, status: next.status, lastTransitionTime, reason: next.reason, message: next.message };
  return list;
}

/** The establishing controller's step: Established=True once NamesAccepted is True. */
export function establish(crd: CRD, now: string): CRDCondition[] | undefined {
  if (!isCRDConditionTrue(crd, 'NamesAccepted') || isCRDConditionTrue(crd, 'Established')) return undefined;
  return setCRDCondition(crd.status?.conditions, { ...ESTABLISHED_TRUE }, now);
}
