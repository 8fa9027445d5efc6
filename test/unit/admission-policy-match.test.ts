// Which requests a ValidatingAdmissionPolicy and its bindings select (upstream's policy matching
// over the webhook predicates): the fast path without the CEL engine, resource rules with
// exclusions and names, namespace and object selectors, matchPolicy Equivalent and Exact, and the
// request as the policy sees it (kind and resource matched, namespaceObject of cluster-scoped requests).
import { describe, expect, it } from 'vitest';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../src/api/generated/admissionregistration/v1.js';
import type { EquivalentResources } from '../../src/registry/admission/matching.js';
import { evaluateValidatingPolicies, loadPolicyCompiler, policyCompilerLoaded } from '../../src/registry/admission/policy/index.js';
import type { AdmissionAttributes, AdmissionObject } from '../../src/registry/admission/types.js';

let rv = 0;
const policy = (name: string, spec: ValidatingAdmissionPolicy['spec']): ValidatingAdmissionPolicy => ({
  metadata: { name, uid: name, resourceVersion: String(++rv) },
  spec: { failurePolicy: 'Fail', ...spec },
});
const binding = (policyName: string, spec: ValidatingAdmissionPolicyBinding['spec'] = {}): ValidatingAdmissionPolicyBinding => ({
  metadata: { name: `${policyName}-binding` },
  spec: { policyName, validationActions: ['Deny'], ...spec },
});
const rules = (over: Record<string, unknown> = {}) => ({
  namespaceSelector: {},
  objectSelector: {},
  matchPolicy: 'Equivalent',
  resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['*'], resources: ['deployments'], scope: '*' }],
  ...over,
});
/** A policy that denies everything it matches, with its request's kind, resource and name in the message. */
const denyAll = (name: string, matchConstraints: Record<string, unknown>) =>
  policy(name, {
    matchConstraints,
    validations: [
      {
        expression: 'false',
        messageExpression:
          "request.kind.group + '/' + request.kind.version + '/' + request.kind.kind + ' ' + request.resource.resource + ' as ' + request.requestResource.version + ' ' + object.apiVersion",
      },
    ],
  });

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    subresource: '',
    namespace: 'default',
    name: 'web',
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } } },
    oldObject: null,
    userInfo: { username: 'alice', groups: [] },
    dryRun: false,
    options: null,
    ...over,
  };
}

const namespaces: Record<string, AdmissionObject> = { default: { metadata: { name: 'default', labels: { env: 'test' } } } };
const evaluate = (policies: ValidatingAdmissionPolicy[], bindings: ValidatingAdmissionPolicyBinding[], a = attrs(), extra = {}) =>
  evaluateValidatingPolicies({ policies, bindings, attrs: a, namespace: (n) => namespaces[n], ...extra });
const deniedBy = (r: ReturnType<typeof evaluate>) => /denied request: (.*)$/.exec(r.denied?.message ?? '')?.[1];

describe('ValidatingAdmissionPolicy matching without the engine', () => {
  it('needs no engine when no policy has a binding or none matches', () => {
    const p = denyAll(
      'pods-only',
      rules({ resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: ['pods'], scope: '*' }] }),
    );
    expect(evaluate([p], [])).toEqual({ warnings: [], auditAnnotations: {} });
    expect(evaluate([p], [binding('pods-only')])).toEqual({ warnings: [], auditAnnotations: {} });
    expect(evaluate([denyAll('d', rules())], [binding('other')])).toEqual({ warnings: [], auditAnnotations: {} });
    expect(policyCompilerLoaded()).toBe(false);
    expect(() => evaluate([denyAll('d', rules())], [binding('d')])).toThrow('the CEL engine is not loaded (loadPolicyCompiler)');
  });
});

describe('ValidatingAdmissionPolicy matching', () => {
  it('loads the engine', async () => {
    await loadPolicyCompiler();
    expect(policyCompilerLoaded()).toBe(true);
  });

  it('honours excludeResourceRules and resourceNames', () => {
    const excluded = denyAll(
      'excl',
      rules({
        excludeResourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE'], resources: ['*'], resourceNames: ['web'] }],
      }),
    );
    expect(evaluate([excluded], [binding('excl')]).denied).toBeUndefined();
    expect(evaluate([excluded], [binding('excl')], attrs({ name: 'api' })).denied?.code).toBe(422);
    const named = denyAll(
      'named',
      rules({
        resourceRules: [
          { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['*'], resources: ['deployments'], resourceNames: ['api'] },
        ],
      }),
    );
    expect(evaluate([named], [binding('named')]).denied).toBeUndefined();
    expect(evaluate([named], [binding('named')], attrs({ name: 'api' })).denied?.code).toBe(422);
  });

  it('matches the object selector against the object or the old object', () => {
    const p = denyAll('obj', rules({ objectSelector: { matchLabels: { app: 'db' } } }));
    expect(evaluate([p], [binding('obj')]).denied).toBeUndefined();
    const update = attrs({ operation: 'UPDATE', oldObject: { metadata: { name: 'web', labels: { app: 'db' } } } });
    expect(evaluate([p], [binding('obj')], update).denied?.code).toBe(422);
  });

  it("matches a Namespace's create by its own new labels, and gives cluster-scoped requests a null namespaceObject", () => {
    const p = policy('ns', {
      matchConstraints: rules({
        namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'], scope: '*' }],
      }),
      validations: [
        { expression: 'namespaceObject == null && object.metadata.name.startsWith("prod-")', message: 'prod namespaces are named prod-*' },
      ],
    });
    const ns = (name: string, env: string) =>
      attrs({
        kind: { group: '', version: 'v1', kind: 'Namespace' },
        resource: { group: '', version: 'v1', resource: 'namespaces' },
        namespace: '',
        name,
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { env } } },
      });
    expect(deniedBy(evaluate([p], [binding('ns')], ns('payments', 'prod')))).toBe('prod namespaces are named prod-*');
    expect(evaluate([p], [binding('ns')], ns('prod-payments', 'prod')).denied).toBeUndefined();
    expect(evaluate([p], [binding('ns')], ns('payments', 'dev')).denied).toBeUndefined();
  });

  it('matches through an equivalent resource with matchPolicy Equivalent, converting the object', () => {
    const equivalents: EquivalentResources = {
      resourcesFor: () => [
        { resource: { group: 'apps', version: 'v1', resource: 'deployments' }, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
        {
          resource: { group: 'apps', version: 'v1beta1', resource: 'deployments' },
          kind: { group: 'apps', version: 'v1beta1', kind: 'Deployment' },
        },
      ],
    };
    const convert = (o: AdmissionObject, to: { group: string; version: string }) => ({ ...o, apiVersion: `${to.group}/${to.version}` });
    const v1beta1 = {
      resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1beta1'], operations: ['*'], resources: ['deployments'], scope: '*' }],
    };
    const equivalent = denyAll('eq', rules(v1beta1));
    expect(deniedBy(evaluate([equivalent], [binding('eq')], attrs(), { equivalents, convert }))).toBe(
      'apps/v1beta1/Deployment deployments as v1 apps/v1beta1',
    );
    const exact = denyAll('exact', rules({ ...v1beta1, matchPolicy: 'Exact' }));
    expect(evaluate([exact], [binding('exact')], attrs(), { equivalents, convert }).denied).toBeUndefined();
  });

  it('never applies to policies and bindings themselves', () => {
    const all = denyAll(
      'all',
      rules({ resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: '*' }] }),
    );
    const vap = attrs({
      kind: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy' },
      resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicies' },
      namespace: '',
    });
    expect(evaluate([all], [binding('all')], vap).denied).toBeUndefined();
    const webhookConfig = attrs({
      kind: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration' },
      resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations' },
      namespace: '',
    });
    expect(evaluate([all], [binding('all')], webhookConfig).denied?.code).toBe(422);
  });

  it('reports a bad selector only for requests the rules select', () => {
    const bad = denyAll('bad', rules({ objectSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }));
    expect(evaluate([bad], [binding('bad')]).denied?.message).toBe(
      `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'bad' denied request: failed to configure policy: Internal error occurred: values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`,
    );
    expect(evaluate([bad], [binding('bad')], attrs({ resource: { group: '', version: 'v1', resource: 'pods' } })).denied).toBeUndefined();
  });
});
