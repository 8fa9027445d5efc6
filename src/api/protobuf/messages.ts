// Field numbers of the Kubernetes messages kubectl's typed clients send (k8s.io/api core/v1
// generated.proto), mapped to JSON field names. Pointer fields keep zero values ("ptr"); other
// zero values are left out, as Go's JSON omitempty does.
export type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intstr' | 'quantity' | 'extravalue';
export type FieldType = Scalar | { msg: string } | { map: Scalar | { msg: string } };
export interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  ptr?: boolean;
}
type Table = Record<number, FieldSpec>;

const f = (name: string, type: FieldType, o: { repeated?: boolean; ptr?: boolean } = {}): FieldSpec => ({ name, type, ...o });
const S = 'string' as const;
const msg = (m: string) => ({ msg: m });

export const MESSAGES: Record<string, Table> = {
  TypeMeta: { 1: f('apiVersion', S), 2: f('kind', S) },
  ObjectMeta: {
    1: f('name', S), 2: f('generateName', S), 3: f('namespace', S), 4: f('selfLink', S), 5: f('uid', S), 6: f('resourceVersion', S),
    7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time'), 10: f('deletionGracePeriodSeconds', 'int', { ptr: true }),
    11: f('labels', { map: S }), 12: f('annotations', { map: S }), 13: f('ownerReferences', msg('OwnerReference'), { repeated: true }),
    14: f('finalizers', S, { repeated: true }), 17: f('managedFields', msg('ManagedFieldsEntry'), { repeated: true }),
  },
  OwnerReference: { 1: f('kind', S), 3: f('name', S), 4: f('uid', S), 5: f('apiVersion', S), 6: f('controller', 'bool', { ptr: true }), 7: f('blockOwnerDeletion', 'bool', { ptr: true }) },
  ManagedFieldsEntry: { 1: f('manager', S), 2: f('operation', S), 3: f('apiVersion', S), 4: f('time', 'time'), 6: f('fieldsType', S), 7: f('fieldsV1', msg('FieldsV1')), 8: f('subresource', S) },
  FieldsV1: { 1: f('Raw', 'bytes') },
  ObjectReference: { 1: f('kind', S), 2: f('namespace', S), 3: f('name', S), 4: f('uid', S), 5: f('apiVersion', S), 6: f('resourceVersion', S), 7: f('fieldPath', S) },
  LocalObjectReference: { 1: f('name', S) },

  Namespace: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('NamespaceSpec')), 3: f('status', msg('NamespaceStatus')) },
  NamespaceSpec: { 1: f('finalizers', S, { repeated: true }) },
  NamespaceStatus: { 1: f('phase', S) },
  ConfigMap: { 1: f('metadata', msg('ObjectMeta')), 2: f('data', { map: S }), 3: f('binaryData', { map: 'bytes' }), 4: f('immutable', 'bool', { ptr: true }) },
  Secret: { 1: f('metadata', msg('ObjectMeta')), 2: f('data', { map: 'bytes' }), 3: f('type', S), 4: f('stringData', { map: S }), 5: f('immutable', 'bool', { ptr: true }) },
  ServiceAccount: {
    1: f('metadata', msg('ObjectMeta')), 2: f('secrets', msg('ObjectReference'), { repeated: true }),
    3: f('imagePullSecrets', msg('LocalObjectReference'), { repeated: true }), 4: f('automountServiceAccountToken', 'bool', { ptr: true }),
  },
  // authentication.k8s.io/v1 (kubectl create token)
  TokenRequest: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenRequestSpec')), 3: f('status', msg('TokenRequestStatus')) },
  TokenRequestSpec: { 1: f('audiences', S, { repeated: true }), 3: f('boundObjectRef', msg('BoundObjectReference')), 4: f('expirationSeconds', 'int', { ptr: true }) },
  BoundObjectReference: { 1: f('kind', S), 2: f('apiVersion', S), 3: f('name', S), 4: f('uid', S) },
  TokenRequestStatus: { 1: f('token', S), 2: f('expirationTimestamp', 'time') },
  // meta/v1 DeleteOptions (typed clients send it with DELETE) and policy/v1 Eviction (kubectl drain)
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int', { ptr: true }), 2: f('preconditions', msg('Preconditions')), 3: f('orphanDependents', 'bool', { ptr: true }),
    4: f('propagationPolicy', S, { ptr: true }), 5: f('dryRun', S, { repeated: true }), 6: f('ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', { ptr: true }),
  },
  Preconditions: { 1: f('uid', S, { ptr: true }), 2: f('resourceVersion', S, { ptr: true }) },
  Eviction: { 1: f('metadata', msg('ObjectMeta')), 2: f('deleteOptions', msg('DeleteOptions')) },
  // authentication.k8s.io/v1 and authorization.k8s.io/v1 reviews (kubectl auth whoami, can-i)
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta')) },
  TokenReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenReviewSpec')) },
  TokenReviewSpec: { 1: f('token', S), 2: f('audiences', S, { repeated: true }) },
  SelfSubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SelfSubjectAccessReviewSpec')) },
  SelfSubjectAccessReviewSpec: { 1: f('resourceAttributes', msg('ResourceAttributes')), 2: f('nonResourceAttributes', msg('NonResourceAttributes')) },
  SubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SubjectAccessReviewSpec')) },
  LocalSubjectAccessReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SubjectAccessReviewSpec')) },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')), 2: f('nonResourceAttributes', msg('NonResourceAttributes')), 3: f('user', S),
    4: f('groups', S, { repeated: true }), 5: f('extra', { map: 'extravalue' }), 6: f('uid', S),
  },
  ResourceAttributes: {
    1: f('namespace', S), 2: f('verb', S), 3: f('group', S), 4: f('version', S), 5: f('resource', S), 6: f('subresource', S), 7: f('name', S),
    8: f('fieldSelector', msg('SelectorAttributes')), 9: f('labelSelector', msg('SelectorAttributes')),
  },
  // FieldSelectorAttributes and LabelSelectorAttributes share their shape.
  SelectorAttributes: { 1: f('rawSelector', S), 2: f('requirements', msg('SelectorRequirement'), { repeated: true }) },
  SelectorRequirement: { 1: f('key', S), 2: f('operator', S), 3: f('values', S, { repeated: true }) },
  NonResourceAttributes: { 1: f('path', S), 2: f('verb', S) },
  SelfSubjectRulesReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('SelfSubjectRulesReviewSpec')) },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', S) },
  ExtraValue: { 1: f('items', S, { repeated: true }) },
  Service: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('ServiceSpec')), 3: f('status', msg('ServiceStatus')) },
  ServiceSpec: {
    1: f('ports', msg('ServicePort'), { repeated: true }), 2: f('selector', { map: S }), 3: f('clusterIP', S), 4: f('type', S), 5: f('externalIPs', S, { repeated: true }),
    7: f('sessionAffinity', S), 8: f('loadBalancerIP', S), 9: f('loadBalancerSourceRanges', S, { repeated: true }), 10: f('externalName', S),
    11: f('externalTrafficPolicy', S), 12: f('healthCheckNodePort', 'int'), 13: f('publishNotReadyAddresses', 'bool'), 14: f('sessionAffinityConfig', msg('SessionAffinityConfig')),
    17: f('ipFamilyPolicy', S, { ptr: true }), 18: f('clusterIPs', S, { repeated: true }), 19: f('ipFamilies', S, { repeated: true }),
    20: f('allocateLoadBalancerNodePorts', 'bool', { ptr: true }), 21: f('loadBalancerClass', S, { ptr: true }), 22: f('internalTrafficPolicy', S, { ptr: true }), 23: f('trafficDistribution', S, { ptr: true }),
  },
  ServicePort: { 1: f('name', S), 2: f('protocol', S), 3: f('port', 'int'), 4: f('targetPort', 'intstr'), 5: f('nodePort', 'int'), 6: f('appProtocol', S, { ptr: true }) },
  SessionAffinityConfig: { 1: f('clientIP', msg('ClientIPConfig')) },
  ClientIPConfig: { 1: f('timeoutSeconds', 'int', { ptr: true }) },
  ServiceStatus: {},

  Pod: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('PodSpec')), 3: f('status', msg('PodStatus')) },
  PodStatus: { 1: f('phase', S) },
  PodSpec: {
    1: f('volumes', msg('Volume'), { repeated: true }), 2: f('containers', msg('Container'), { repeated: true }), 3: f('restartPolicy', S),
    4: f('terminationGracePeriodSeconds', 'int', { ptr: true }), 5: f('activeDeadlineSeconds', 'int', { ptr: true }), 6: f('dnsPolicy', S), 7: f('nodeSelector', { map: S }),
    8: f('serviceAccountName', S), 9: f('serviceAccount', S), 10: f('nodeName', S), 11: f('hostNetwork', 'bool'), 12: f('hostPID', 'bool'), 13: f('hostIPC', 'bool'),
    15: f('imagePullSecrets', msg('LocalObjectReference'), { repeated: true }), 16: f('hostname', S), 17: f('subdomain', S), 19: f('schedulerName', S),
    20: f('initContainers', msg('Container'), { repeated: true }), 21: f('automountServiceAccountToken', 'bool', { ptr: true }), 24: f('priorityClassName', S),
    25: f('priority', 'int', { ptr: true }), 27: f('shareProcessNamespace', 'bool', { ptr: true }), 30: f('enableServiceLinks', 'bool', { ptr: true }),
  },
  Volume: { 1: f('name', S) },
  Container: {
    1: f('name', S), 2: f('image', S), 3: f('command', S, { repeated: true }), 4: f('args', S, { repeated: true }), 5: f('workingDir', S),
    6: f('ports', msg('ContainerPort'), { repeated: true }), 7: f('env', msg('EnvVar'), { repeated: true }), 8: f('resources', msg('ResourceRequirements')),
    13: f('terminationMessagePath', S), 14: f('imagePullPolicy', S), 16: f('stdin', 'bool'), 17: f('stdinOnce', 'bool'), 18: f('tty', 'bool'), 20: f('terminationMessagePolicy', S),
  },
  ContainerPort: { 1: f('name', S), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', S), 5: f('hostIP', S) },
  EnvVar: { 1: f('name', S), 2: f('value', S) },
  ResourceRequirements: { 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) },
  Quantity: { 1: f('string', S) },
  IntOrString: { 1: f('type', 'int'), 2: f('intVal', 'int'), 3: f('strVal', S) },
  Time: { 1: f('seconds', 'int'), 2: f('nanos', 'int') },
};
