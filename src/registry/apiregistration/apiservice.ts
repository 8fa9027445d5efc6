// APIService (apiregistration.k8s.io/v1, cluster-scoped), after upstream's kube-aggregator
// pkg/registry/apiservice: SetDefaults_ServiceReference (port 443), the strategy (status cleared on
// create, a local APIService Available at once; status kept by updates, spec and metadata by
// status writes; no unconditional updates), the validation of ./validation.ts and the etcd
// store's table (NAME, SERVICE `Local` or `namespace/name`, AVAILABLE `True` or `False (Reason)`,
// AGE) and category api-extensions. Also the local APIServices kube-apiserver registers for the
// group versions it serves (cmd/kube-apiserver/app/aggregator.go, apiVersionPriorities) and
// those of CRDs (pkg/controlplane/controller/crdregistration).
import { schemas } from '../../api/generated/apiregistration/v1.js';
import type { APIServiceCondition } from '../../api/generated/apiregistration/v1.js';
import { defineKind } from '../define.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { validateObjectMetaUpdate } from '../../apimachinery/validation.js';
import { validateAPIService, validateAPIServiceStatus, type APIServiceObj } from './validation.js';

export type { APIServiceObj } from './validation.js';

export const APISERVICE_GROUP = 'apiregistration.k8s.io';
/** Where APIServices are stored. */
export const APISERVICE_RESOURCE = 'apiregistration.k8s.io/apiservices';

/** upstream AutoRegisterManagedLabel: `onstart` (built-in group versions) or `true` (CRDs'). */
export const AUTO_MANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

/** upstream NewLocalAvailableAPIServiceCondition, without its time. */
export const LOCAL_AVAILABLE = { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' };

/**
 * upstream apiVersionPriorities (kube-apiserver's aggregator.go), for the group versions tinykube
 * serves. metrics.k8s.io is served here too (by metrics-server upstream, whose APIService asks for
 * 100/100): it is listed with those numbers, so `kubectl get apiservice v1beta1.metrics.k8s.io`
 * answers as on a cluster with metrics-server.
 */
const PRIORITIES: Record<string, { group: number; version: number }> = {
  v1: { group: 18000, version: 1 },
  'apps/v1': { group: 17800, version: 15 },
  'events.k8s.io/v1': { group: 17750, version: 15 },
  'authentication.k8s.io/v1': { group: 17700, version: 15 },
  'authorization.k8s.io/v1': { group: 17600, version: 15 },
  'autoscaling/v1': { group: 17500, version: 15 },
  'autoscaling/v2': { group: 17500, version: 30 },
  'batch/v1': { group: 17400, version: 15 },
  'certificates.k8s.io/v1': { group: 17300, version: 15 },
  'networking.k8s.io/v1': { group: 17200, version: 15 },
  'policy/v1': { group: 17100, version: 15 },
  'rbac.authorization.k8s.io/v1': { group: 17000, version: 15 },
  'storage.k8s.io/v1': { group: 16800, version: 15 },
  'apiextensions.k8s.io/v1': { group: 16700, version: 15 },
  'admissionregistration.k8s.io/v1': { group: 16700, version: 15 },
  'scheduling.k8s.io/v1': { group: 16600, version: 15 },
  'coordination.k8s.io/v1': { group: 16500, version: 15 },
  'node.k8s.io/v1': { group: 16300, version: 15 },
  'discovery.k8s.io/v1': { group: 16200, version: 15 },
  'metrics.k8s.io/v1beta1': { group: 100, version: 100 },
};

/** A group version's APIService name: `<version>.<group>` (`v1.` for the core group). */
export const apiServiceName = (group: string, version: string) => `${version}.${group}`;

/** The label value of an automanaged APIService (undefined: a user's). */
export const autoManaged = (svc: APIServiceObj): string | undefined => svc.metadata.labels?.[AUTO_MANAGED_LABEL];

/**
 * The local APIService kube-apiserver registers for a built-in group version (`onstart`), or for a
 * CRD's (`true`, upstream crdRegistrationController: 1000/100); undefined for a built-in group
 * version upstream has no priority for (makeAPIService skips those).
 */
export function localAPIService(group: string, version: string, crd: boolean): APIServiceObj | undefined {
  const p = crd ? { group: 1000, version: 100 } : PRIORITIES[group ? `${group}/${version}` : version];
  if (!p) return undefined;
  return {
    apiVersion: `${APISERVICE_GROUP}/v1`,
    kind: 'APIService',
    metadata: { name: apiServiceName(group, version), labels: { [AUTO_MANAGED_LABEL]: crd ? 'true' : 'onstart' } },
    spec: { ...(group ? { group } : {}), version, groupPriorityMinimum: p.group, versionPriority: p.version },
  };
}

/** upstream SetAPIServiceCondition: the condition replaced, its transition time kept while its status is unchanged. */
export function setAPIServiceCondition(svc: APIServiceObj, c: Omit<APIServiceCondition, 'lastTransitionTime'>, now: Date): void {
  const conditions = (svc.status ??= {}).conditions ?? [];
  const cur = conditions.find((x) => x.type === c.type);
  const next: APIServiceCondition = {
    type: c.type,
    status: c.status,
    lastTransitionTime: cur && cur.status === c.status && cur.lastTransitionTime ? cur.lastTransitionTime : rfc3339(now),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
  svc.status.conditions = cur ? conditions.map((x) => (x === cur ? next : x)) : [...conditions, next];
}

/** The Available condition, if any. */
export const availableCondition = (svc: APIServiceObj): APIServiceCondition | undefined =>
  svc.status?.conditions?.find((c) => c.type === 'Available');

export const apiServiceDef = defineKind<APIServiceObj>({
  group: APISERVICE_GROUP,
  version: 'v1',
  kind: 'APIService',
  plural: 'apiservices',
  singular: 'apiservice',
  namespaced: false,
  categories: ['api-extensions'],
  get schema() {
    return schemas.APIService;
  },
  openapiName: 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
  statusSubresource: true,
  allowUnconditionalUpdate: false,
  ownMetaValidation: true,
  defaults(svc) {
    if (svc.spec?.service && svc.spec.service.port == null) svc.spec.service.port = 443;
    if (svc.spec) {
      // Plain int32s upstream: absent decodes as 0 (and fails validation).
      svc.spec.groupPriorityMinimum ??= 0;
      svc.spec.versionPriority ??= 0;
    }
  },
  prepareForCreate(svc, ctx) {
    delete svc.status;
    // Local APIServices are available from their creation on.
    if (!svc.spec?.service) setAPIServiceCondition(svc, LOCAL_AVAILABLE, ctx.now);
  },
  prepareForUpdate(svc, old, ctx) {
    if (ctx.subresource !== 'status') return;
    // upstream's status strategy: a status write changes nothing of the metadata users own.
    const m = svc.metadata;
    for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      if (old.metadata[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = structuredClone(old.metadata[k]);
    }
  },
  validate: (svc) => validateAPIService(svc),
  validateUpdate: (svc, old) => [...validateObjectMetaUpdate(svc.metadata, old.metadata), ...validateAPIService(svc)],
  validateStatusUpdate: (svc, old) => [...validateObjectMetaUpdate(svc.metadata, old.metadata), ...validateAPIServiceStatus(svc)],
  table: {
    columns: [
      nameColumn(),
      column('Service', 'The reference to the service that hosts this API endpoint.'),
      column('Available', 'Whether this service is available.'),
      ageColumn(),
    ],
    row(svc, now) {
      const ref = svc.spec?.service;
      const c = availableCondition(svc);
      let available = 'Unknown';
      if (c) available = c.status === 'True' || !c.reason ? c.status : `${c.status} (${c.reason})`;
      return [svc.metadata.name, ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : 'Local', available, age(svc, now)];
    },
  },
});
