// Field numbers of the Kubernetes messages typed clients send (kubectl create namespace, drain,
// debug, auth, controller-runtime's clients ...), mapped to JSON field names: every type of core/v1,
// discovery.k8s.io/v1, coordination.k8s.io/v1, events.k8s.io/v1, apps/v1, batch/v1, policy/v1,
// autoscaling/v1 and v2, storage.k8s.io/v1, rbac.authorization.k8s.io/v1 and networking.k8s.io/v1 from types.generated.ts
// (as `<group prefix>.<Type>`), and here the meta/v1 types they use and the other groups' kinds.
// Pointer fields keep zero values ("ptr"); other zero values are left out, as Go's JSON omitempty
// does; an embedded struct ("inline") spreads its fields into the parent.
import { API_TYPES } from './types.generated.js';

export type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'microtime' | 'intstr' | 'quantity' | 'extravalue';
export type FieldType = Scalar | { msg: string } | { map: Scalar | { msg: string } };
export interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  ptr?: boolean;
  /** An embedded struct (`json:""`): its fields are the parent's. */
  inline?: boolean;
}
type Table = Record<number, FieldSpec>;

const f = (name: string, type: FieldType, o: { repeated?: boolean; ptr?: boolean } = {}): FieldSpec => ({ name, type, ...o });
const S = 'string' as const;
const msg = (m: string) => ({ msg: m });

const OWN: Record<string, Table> = {
  TypeMeta: { 1: f('apiVersion', S), 2: f('kind', S) },
  ObjectMeta: {
    1: f('name', S),
    2: f('generateName', S),
    3: f('namespace', S),
    4: f('selfLink', S),
    5: f('uid', S),
    6: f('resourceVersion', S),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time'),
    10: f('deletionGracePeriodSeconds', 'int', { ptr: true }),
    11: f('labels', { map: S }),
    12: f('annotations', { map: S }),
    13: f('ownerReferences', msg('OwnerReference'), { repeated: true }),
    14: f('finalizers', S, { repeated: true }),
    17: f('managedFields', msg('ManagedFieldsEntry'), { repeated: true }),
  },
  OwnerReference: {
    1: f('kind', S),
    3: f('name', S),
    4: f('uid', S),
    5: f('apiVersion', S),
    6: f('controller', 'bool', { ptr: true }),
    7: f('blockOwnerDeletion', 'bool', { ptr: true }),
  },
  ManagedFieldsEntry: {
    1: f('manager', S),
    2: f('operation', S),
    3: f('apiVersion', S),
    4: f('time', 'time'),
    6: f('fieldsType', S),
    7: f('fieldsV1', msg('FieldsV1')),
    8: f('subresource', S),
  },
  FieldsV1: { 1: f('Raw', 'bytes') },
  LabelSelector: { 1: f('matchLabels', { map: S }), 2: f('matchExpressions', msg('LabelSelectorRequirement'), { repeated: true }) },
  LabelSelectorRequirement: { 1: f('key', S), 2: f('operator', S), 3: f('values', S, { repeated: true }) },
  Condition: {
    1: f('type', S),
    2: f('status', S),
    3: f('observedGeneration', 'int'),
    4: f('lastTransitionTime', 'time'),
    5: f('reason', S),
    6: f('message', S),
  },

  // authentication.k8s.io/v1 (kubectl create token)
  TokenRequest: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenRequestSpec')), 3: f('status', msg('TokenRequestStatus')) },
  TokenRequestSpec: {
    1: f('audiences', S, { repeated: true }),
    3: f('boundObjectRef', msg('BoundObjectReference')),
    4: f('expirationSeconds', 'int', { ptr: true }),
  },
  BoundObjectReference: { 1: f('kind', S), 2: f('apiVersion', S), 3: f('name', S), 4: f('uid', S) },
  TokenRequestStatus: { 1: f('token', S), 2: f('expirationTimestamp', 'time') },
  // meta/v1 DeleteOptions (typed clients send it with DELETE) and policy/v1 Eviction (kubectl drain)
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int', { ptr: true }),
    2: f('preconditions', msg('Preconditions')),
    3: f('orphanDependents', 'bool', { ptr: true }),
    4: f('propagationPolicy', S, { ptr: true }),
    5: f('dryRun', S, { repeated: true }),
    6: f('ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', { ptr: true }),
  },
  Preconditions: { 1: f('uid', S, { ptr: true }), 2: f('resourceVersion', S, { ptr: true }) },
  Eviction: { 1: f('metadata', msg('ObjectMeta')), 2: f('deleteOptions', msg('DeleteOptions')) },
  // authentication.k8s.io/v1 and authorization.k8s.io/v1 reviews (kubectl auth whoami, can-i)
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta')) },
  TokenReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenReviewSpec')) },
  TokenReviewSpec: { 1: f('token', S), 2: f('audiences', S, { repeated: true }) },
  SelfSubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SelfSubjectAccessReviewSpec')) },
  SelfSubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
  },
  SubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SubjectAccessReviewSpec')) },
  LocalSubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SubjectAccessReviewSpec')) },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
    3: f('user', S),
    4: f('groups', S, { repeated: true }),
    5: f('extra', { map: 'extravalue' }),
    6: f('uid', S),
  },
  ResourceAttributes: {
    1: f('namespace', S),
    2: f('verb', S),
    3: f('group', S),
    4: f('version', S),
    5: f('resource', S),
    6: f('subresource', S),
    7: f('name', S),
    8: f('fieldSelector', msg('SelectorAttributes')),
    9: f('labelSelector', msg('SelectorAttributes')),
  },
  // FieldSelectorAttributes and LabelSelectorAttributes share their shape.
  SelectorAttributes: { 1: f('rawSelector', S), 2: f('requirements', msg('SelectorRequirement'), { repeated: true }) },
  SelectorRequirement: { 1: f('key', S), 2: f('operator', S), 3: f('values', S, { repeated: true }) },
  NonResourceAttributes: { 1: f('path', S), 2: f('verb', S) },
  SelfSubjectRulesReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SelfSubjectRulesReviewSpec')) },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', S) },
  ExtraValue: { 1: f('items', S, { repeated: true }) },

  // certificates.k8s.io/v1 (kubectl certificate approve/deny: UpdateApproval)
  CertificateSigningRequest: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('CertificateSigningRequestSpec')),
    3: f('status', msg('CertificateSigningRequestStatus')),
  },
  CertificateSigningRequestSpec: {
    1: f('request', 'bytes'),
    2: f('username', S),
    3: f('uid', S),
    4: f('groups', S, { repeated: true }),
    5: f('usages', S, { repeated: true }),
    6: f('extra', { map: 'extravalue' }),
    7: f('signerName', S),
    8: f('expirationSeconds', 'int', { ptr: true }),
  },
  CertificateSigningRequestStatus: {
    1: f('conditions', msg('CertificateSigningRequestCondition'), { repeated: true }),
    2: f('certificate', 'bytes'),
  },
  CertificateSigningRequestCondition: {
    1: f('type', S),
    2: f('reason', S),
    3: f('message', S),
    4: f('lastUpdateTime', 'time'),
    5: f('lastTransitionTime', 'time'),
    6: f('status', S),
  },

  // scheduling.k8s.io/v1 (kubectl create priorityclass) and node.k8s.io/v1
  PriorityClass: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('value', 'int'),
    3: f('globalDefault', 'bool'),
    4: f('description', S),
    5: f('preemptionPolicy', S, { ptr: true }),
  },
  RuntimeClass: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('handler', S),
    3: f('overhead', msg('node.Overhead')),
    4: f('scheduling', msg('node.Scheduling')),
  },
  'node.Overhead': { 1: f('podFixed', { map: 'quantity' }) },
  'node.Scheduling': { 1: f('nodeSelector', { map: S }), 2: f('tolerations', msg('core.Toleration'), { repeated: true }) },
  // apiregistration.k8s.io/v1 (kubectl's typed clients of kube-aggregator's types)
  APIService: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('apiregistration.APIServiceSpec')),
    3: f('status', msg('apiregistration.APIServiceStatus')),
  },
  'apiregistration.APIServiceSpec': {
    1: f('service', msg('apiregistration.ServiceReference'), { ptr: true }),
    2: f('group', S),
    3: f('version', S),
    4: f('insecureSkipTLSVerify', 'bool'),
    5: f('caBundle', 'bytes'),
    7: f('groupPriorityMinimum', 'int'),
    8: f('versionPriority', 'int'),
  },
  'apiregistration.ServiceReference': { 1: f('namespace', S), 2: f('name', S), 3: f('port', 'int', { ptr: true }) },
  'apiregistration.APIServiceStatus': { 1: f('conditions', msg('apiregistration.APIServiceCondition'), { repeated: true }) },
  'apiregistration.APIServiceCondition': {
    1: f('type', S),
    2: f('status', S),
    3: f('lastTransitionTime', 'time'),
    4: f('reason', S),
    5: f('message', S),
  },

  Quantity: { 1: f('string', S) },
  IntOrString: { 1: f('type', 'int'), 2: f('intVal', 'int'), 3: f('strVal', S) },
  Time: { 1: f('seconds', 'int'), 2: f('nanos', 'int') },
};

export const MESSAGES: Record<string, Table> = { ...OWN, ...API_TYPES };

/** The generated tables' prefix of each group version. */
const PREFIX: Record<string, string> = {
  v1: 'core',
  'discovery.k8s.io/v1': 'discovery',
  'coordination.k8s.io/v1': 'coordination',
  'events.k8s.io/v1': 'events',
  'apps/v1': 'apps',
  'batch/v1': 'batch',
  'policy/v1': 'policy',
  'autoscaling/v1': 'autoscaling',
  'autoscaling/v2': 'autoscalingv2',
  'storage.k8s.io/v1': 'storage',
  'rbac.authorization.k8s.io/v1': 'rbac',
  'networking.k8s.io/v1': 'networking',
};

/** The message of a top-level object: generated groups by their Go type, the others by kind. */
export function messageFor(apiVersion: string | undefined, kind: string): string | undefined {
  const prefix = PREFIX[apiVersion ?? ''];
  if (prefix && MESSAGES[`${prefix}.${kind}`]) return `${prefix}.${kind}`;
  return OWN[kind] ? kind : undefined;
}
