// Every kind tinykube serves. The REST layer, discovery, OpenAPI and controllers iterate this
// list; nothing else names kinds.
import type { ResourceDef } from './types.js';
import { namespaceDef } from './namespace.js';
import { configMapDef } from './configmap.js';
import { secretDef } from './secret.js';
import { serviceAccountDef } from './serviceaccount.js';
import { serviceDef } from './service/strategy.js';
import { endpointsDef } from './endpoints.js';
import { podDef } from './pod/strategy.js';
import { podTemplateDef } from './podtemplate.js';
import { nodeDef } from './node.js';
import { coreEventDef, eventsV1EventDef } from './event.js';
import { endpointSliceDef } from './endpointslice.js';
import { leaseDef } from './lease.js';
import { reviewDefs } from './reviews.js';
import { nodeMetricsDef, podMetricsDef } from './metrics.js';
import { podDisruptionBudgetDef } from './policy/poddisruptionbudget.js';
import { hpaV1Def, hpaV2Def } from './autoscaling/horizontalpodautoscaler.js';
import { persistentVolumeClaimDef } from './storage/persistentvolumeclaim.js';
import { limitRangeDef } from './quota/limitrange.js';
import { resourceQuotaDef } from './quota/resourcequota.js';
import { persistentVolumeDef } from './storage/persistentvolume.js';
import { storageClassDef } from './storage/storageclass.js';
import { jobDef } from './batch/job-strategy.js';
import { cronJobDef } from './batch/cronjob.js';
import { certificateSigningRequestDef } from './certificates/certificatesigningrequest.js';
import { ingressClassDef } from './networking/ingressclass.js';
import { ingressDef } from './networking/ingress.js';
import { networkPolicyDef } from './networking/networkpolicy.js';
import { controllerRevisionDef } from './apps/controllerrevision.js';
import { daemonSetDef } from './apps/daemonset.js';
import { statefulSetDef } from './apps/statefulset.js';
import { replicaSetDef } from './apps/replicaset.js';
import { deploymentDef } from './apps/deployment.js';
import { replicationControllerDef } from './replicationcontroller.js';
import { clusterRoleDef, roleDef } from './rbac/roles.js';
import { clusterRoleBindingDef, roleBindingDef } from './rbac/bindings.js';
import { crdDef } from './apiextensions/crd/strategy.js';
import { mutatingWebhookConfigurationDef, validatingWebhookConfigurationDef } from './admissionregistration/webhook-configurations.js';
import { validatingAdmissionPolicyBindingDef, validatingAdmissionPolicyDef } from './admissionregistration/policies.js';
import { priorityClassDef } from './scheduling/priorityclass.js';
import { runtimeClassDef } from './node/runtimeclass.js';
import { apiServiceDef } from './apiregistration/apiservice.js';

/** A fresh array of all defs (callers may wrap entries, e.g. with service allocation hooks). */
export function allResourceDefs(): ResourceDef[] {
  return [
    // core/v1
    namespaceDef,
    configMapDef,
    secretDef,
    serviceAccountDef,
    serviceDef,
    endpointsDef,
    podDef,
    podTemplateDef,
    replicationControllerDef,
    nodeDef,
    coreEventDef,
    persistentVolumeDef,
    persistentVolumeClaimDef,
    limitRangeDef,
    resourceQuotaDef,
    // the other groups in upstream's discovery order (apiregistration.k8s.io first: the aggregator lists its own group above all)
    apiServiceDef,
    deploymentDef,
    replicaSetDef,
    statefulSetDef,
    daemonSetDef,
    controllerRevisionDef,
    eventsV1EventDef,
    ...reviewDefs,
    hpaV2Def, // autoscaling/v2 first: the preferred version
    hpaV1Def,
    jobDef,
    cronJobDef,
    certificateSigningRequestDef,
    // networking.k8s.io/v1, its resources in upstream's (alphabetical) order
    ingressClassDef,
    ingressDef,
    networkPolicyDef,
    podDisruptionBudgetDef,
    // rbac.authorization.k8s.io/v1, its resources in upstream's (alphabetical) order
    clusterRoleBindingDef,
    clusterRoleDef,
    roleBindingDef,
    roleDef,
    storageClassDef,
    // admissionregistration.k8s.io/v1, its resources in upstream's (alphabetical) order
    mutatingWebhookConfigurationDef,
    validatingAdmissionPolicyDef,
    validatingAdmissionPolicyBindingDef,
    validatingWebhookConfigurationDef,
    crdDef,
    priorityClassDef,
    leaseDef,
    runtimeClassDef,
    endpointSliceDef,
    nodeMetricsDef,
    podMetricsDef,
  ];
}

export function findDef(defs: readonly ResourceDef[], group: string, plural: string): ResourceDef | undefined {
  return defs.find((d) => d.group === group && d.plural === plural);
}

/** The def of group/plural; throws when there is none (a wiring mistake, never a request's). */
export function requireDef(defs: readonly ResourceDef[], group: string, plural: string): ResourceDef {
  const d = findDef(defs, group, plural);
  if (!d) throw new Error(`no resource ${plural}${group ? `.${group}` : ''}`);
  return d;
}
