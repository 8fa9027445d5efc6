// ValidatingAdmissionPolicy evaluation (upstream's validating dispatcher and validator): params from
// a ConfigMap, namespaceSelector, Deny / Warn / Audit, messageExpression and reasons, variables,
// authorizer checks, failurePolicy on runtime and compile errors, matchConditions, configuration
// errors, audit annotations, with upstream's texts; and the time one policy takes.
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingAdmissionPolicySpec,
  ValidatingAdmissionPolicyBindingSpec,
} from '../../src/api/generated/admissionregistration/v1.js';
import type { Attributes } from '../../src/auth/rbac/attributes.js';
import {
  compilePolicy,
  evaluateValidatingPolicies,
  loadPolicyCompiler,
  policyExpressionErrors,
  type ParamSource,
  type PolicyEvaluationInput,
} from '../../src/registry/admission/policy/index.js';
import type { AdmissionAttributes, AdmissionObject } from '../../src/registry/admission/types.js';

function deployment(replicas: number, extra: Record<string, unknown> = {}): AdmissionObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'frontend' }, annotations: { team: 'payments' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'frontend' } },
        spec: {
          serviceAccountName: 'web',
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
              env: [
                { name: 'MODE', value: 'production' },
                { name: 'LOG_LEVEL', value: 'info' },
              ],
              resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5 },
              securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
            },
            {
              name: 'sidecar',
              image: 'busybox:1.36',
              command: ['sh', '-c', 'tail -f /dev/null'],
              resources: { limits: { cpu: '50m', memory: '32Mi' } },
            },
          ],
          volumes: [{ name: 'cache', emptyDir: {} }],
        },
      },
      ...extra,
    },
  };
}

const ALICE = { username: 'alice', groups: ['dev', 'system:authenticated'] };

function createAttrs(object: AdmissionObject, over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    subresource: '',
    namespace: 'default',
    name: 'web',
    object,
    oldObject: null,
    userInfo: ALICE,
    dryRun: false,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    ...over,
  };
}

const DEPLOYMENT_RULES = {
  resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'], scope: '*' }],
  matchPolicy: 'Equivalent',
  namespaceSelector: {},
  objectSelector: {},
};

let resourceVersion = 0;

function policy(name: string, spec: Partial<ValidatingAdmissionPolicySpec>): ValidatingAdmissionPolicy {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, uid: `uid-${name}`, resourceVersion: String(++resourceVersion) },
    spec: { failurePolicy: 'Fail', matchConstraints: DEPLOYMENT_RULES, ...spec },
  };
}

function binding(
  name: string,
  policyName: string,
  spec: Partial<ValidatingAdmissionPolicyBindingSpec> = {},
): ValidatingAdmissionPolicyBinding {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions: ['Deny'], ...spec },
  };
}

const NAMESPACES: Record<string, AdmissionObject> = {
  default: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default', environment: 'test' } },
  },
  prod: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'prod', labels: { 'kubernetes.io/metadata.name': 'prod', environment: 'prod' } },
  },
};

const namespaceLookup = (name: string): AdmissionObject | undefined => NAMESPACES[name];

/** ConfigMaps (namespaced) as params; the store leaves apiVersion and kind out, as typed objects in storage do. */
function configMaps(list: AdmissionObject[]): ParamSource {
  const ns = (o: AdmissionObject) => (o.metadata?.namespace as string | undefined) ?? '';
  return {
    scope: (apiVersion, kind) => (apiVersion === 'v1' && kind === 'ConfigMap' ? 'Namespaced' : undefined),
    get: (_v, _k, namespace, name) => list.find((o) => ns(o) === namespace && o.metadata?.name === name),
    list: (_v, _k, namespace) => list.filter((o) => ns(o) === namespace),
  };
}

const configMap = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): AdmissionObject => ({
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});

/** An authorizer that allows what `allowed` lists as `verb group/resource namespace` for alice, with a reason either way. */
function fakeAuthorizer(allowed: string[]) {
  const calls: Attributes[] = [];
  return {
    calls,
    authorize(attrs: Attributes, user: { username: string }) {
      calls.push(attrs);
      const key = attrs.isResourceRequest
        ? `${attrs.verb} ${attrs.apiGroup}/${attrs.resource} ${attrs.namespace}`
        : `${attrs.verb} ${attrs.path}`;
      const ok = user.username === 'alice' && allowed.includes(key);
      return ok
        ? { decision: 'allow' as const, reason: `allowed ${key}` }
        : { decision: 'no-opinion' as const, reason: `no rule for ${key}` };
    },
  };
}

const REPLICA_LIMIT = policy('replica-limit.example.com', {
  paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
  validations: [{ expression: 'object.spec.replicas <= int(params.data.maxReplicas)' }],
});

function run(over: Partial<PolicyEvaluationInput> & Pick<PolicyEvaluationInput, 'policies' | 'bindings'>) {
  return evaluateValidatingPolicies({ attrs: createAttrs(deployment(7)), namespace: namespaceLookup, ...over });
}

beforeAll(async () => {
  await loadPolicyCompiler();
});

describe('ValidatingAdmissionPolicy: params and namespaceSelector', () => {
  const params = configMaps([configMap('default', 'replica-limits', { maxReplicas: '5' })]);
  const bindings = [
    binding('replica-limit-binding', 'replica-limit.example.com', {
      paramRef: { name: 'replica-limits', parameterNotFoundAction: 'Deny' },
    }),
  ];

  it('denies a Deployment over the limit its ConfigMap sets, as a 422 with the policy and binding named', () => {
    const r = run({ policies: [REPLICA_LIMIT], bindings, params });
    const message =
      "ValidatingAdmissionPolicy 'replica-limit.example.com' with binding 'replica-limit-binding' denied request: failed expression: object.spec.replicas <= int(params.data.maxReplicas)";
    expect(r.denied?.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `deployments.apps "web" is forbidden: ${message}`,
      reason: 'Invalid',
      details: { name: 'web', group: 'apps', kind: 'deployments', causes: [{ message }] },
      code: 422,
    });
    expect(r.warnings).toEqual([]);
  });

  it('admits a Deployment within the limit', () => {
    const r = run({ policies: [REPLICA_LIMIT], bindings, params, attrs: createAttrs(deployment(5)) });
    expect(r.denied).toBeUndefined();
  });

  it('reads the param from the paramRef namespace, else the request namespace', () => {
    const elsewhere = configMaps([configMap('limits', 'replica-limits', { maxReplicas: '10' })]);
    const named = [binding('b', 'replica-limit.example.com', { paramRef: { name: 'replica-limits', namespace: 'limits' } })];
    expect(run({ policies: [REPLICA_LIMIT], bindings: named, params: elsewhere }).denied).toBeUndefined();
    const fromRequest = [
      binding('b', 'replica-limit.example.com', { paramRef: { name: 'replica-limits', parameterNotFoundAction: 'Deny' } }),
    ];
    expect(run({ policies: [REPLICA_LIMIT], bindings: fromRequest, params: elsewhere }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replica-limit.example.com' with binding 'b' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
    );
  });

  it('skips a binding whose param is missing with parameterNotFoundAction Allow', () => {
    const allow = [binding('b', 'replica-limit.example.com', { paramRef: { name: 'absent', parameterNotFoundAction: 'Allow' } })];
    expect(run({ policies: [REPLICA_LIMIT], bindings: allow, params }).denied).toBeUndefined();
  });

  it('evaluates every param a selector picks', () => {
    const many = configMaps([
      configMap('default', 'loose', { maxReplicas: '10' }, { limits: 'replicas' }),
      configMap('default', 'strict', { maxReplicas: '2' }, { limits: 'replicas' }),
      configMap('default', 'other', { maxReplicas: '1' }),
    ]);
    const sel = [binding('b', 'replica-limit.example.com', { paramRef: { selector: { matchLabels: { limits: 'replicas' } } } })];
    expect(run({ policies: [REPLICA_LIMIT], bindings: sel, params: many, attrs: createAttrs(deployment(3)) }).denied?.code).toBe(422);
    expect(run({ policies: [REPLICA_LIMIT], bindings: sel, params: many, attrs: createAttrs(deployment(2)) }).denied).toBeUndefined();
  });

  it('fails the request when the paramKind is not served, unless failurePolicy is Ignore', () => {
    const none = configMaps([]);
    const noKind: ParamSource = { ...none, scope: () => undefined };
    expect(run({ policies: [REPLICA_LIMIT], bindings, params: noKind }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replica-limit.example.com' denied request: failed to configure policy: failed to find resource referenced by paramKind: '/v1, Kind=ConfigMap'",
    );
    const ignore = { ...REPLICA_LIMIT, spec: { ...REPLICA_LIMIT.spec, failurePolicy: 'Ignore' } };
    expect(run({ policies: [ignore], bindings, params: noKind }).denied).toBeUndefined();
  });

  it("is the documentation's example: a binding for namespaces labelled environment=test", () => {
    const demo = policy('demo-policy.example.com', { validations: [{ expression: 'object.spec.replicas <= 5' }] });
    const demoBinding = binding('demo-binding-test.example.com', 'demo-policy.example.com', {
      matchResources: { namespaceSelector: { matchLabels: { environment: 'test' } }, objectSelector: {}, matchPolicy: 'Equivalent' },
    });
    const inTest = run({ policies: [demo], bindings: [demoBinding] });
    expect(inTest.denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5",
    );
    const inProd = run({ policies: [demo], bindings: [demoBinding], attrs: createAttrs(deployment(7), { namespace: 'prod' }) });
    expect(inProd.denied).toBeUndefined();
  });

  it('reports a namespace that does not exist as 404 when a binding needs its labels', () => {
    const demo = policy('demo', { validations: [{ expression: 'true' }] });
    const b = binding('b', 'demo', { matchResources: { namespaceSelector: { matchLabels: { environment: 'test' } }, objectSelector: {} } });
    const r = run({ policies: [demo], bindings: [b], attrs: createAttrs(deployment(1), { namespace: 'gone' }) });
    expect(r.denied?.message).toBe(
      'deployments.apps "web" is forbidden: ValidatingAdmissionPolicy \'demo\' with binding \'b\' denied request: failed to configure binding: namespaces "gone" not found',
    );
  });

  it('gives namespaceObject to expressions', () => {
    const p = policy('ns', {
      validations: [{ expression: "namespaceObject.metadata.labels['environment'] != 'test'", message: 'not in test' }],
    });
    expect(run({ policies: [p], bindings: [binding('b', 'ns')] }).denied?.message).toContain(
      "with binding 'b' denied request: not in test",
    );
    expect(
      run({ policies: [p], bindings: [binding('b', 'ns')], attrs: createAttrs(deployment(1), { namespace: 'prod' }) }).denied,
    ).toBeUndefined();
  });
});

describe('ValidatingAdmissionPolicy: validation actions, messages and reasons', () => {
  const limit = policy('limit', { validations: [{ expression: 'object.spec.replicas <= 5', message: 'too many replicas' }] });

  it('Warn and Audit admit the request, with a warning and the validation_failure annotation', () => {
    const r = run({ policies: [limit], bindings: [binding('b', 'limit', { validationActions: ['Warn', 'Audit'] })] });
    expect(r.denied).toBeUndefined();
    expect(r.warnings).toEqual(["Validation failed for ValidatingAdmissionPolicy 'limit' with binding 'b': too many replicas"]);
    expect(r.auditAnnotations).toEqual({
      'validation.policy.admission.k8s.io/validation_failure':
        '[{"message":"too many replicas","policy":"limit","binding":"b","expressionIndex":0,"validationActions":["Warn","Audit"]}]',
    });
  });

  it('Deny and Warn both apply; the first denial is reported', () => {
    const other = policy('other', { validations: [{ expression: 'false', message: 'never' }] });
    const r = run({
      policies: [other, limit],
      bindings: [binding('warn', 'limit', { validationActions: ['Deny', 'Warn'] }), binding('deny', 'other')],
    });
    expect(r.warnings).toEqual(["Validation failed for ValidatingAdmissionPolicy 'limit' with binding 'warn': too many replicas"]);
    expect(r.denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'limit' with binding 'warn' denied request: too many replicas",
    );
  });

  it('uses the messageExpression, and the reason for the code', () => {
    const p = policy('msg', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [
        {
          expression: 'object.spec.replicas <= int(params.data.maxReplicas)',
          messageExpression: "'replicas must be no more than ' + params.data.maxReplicas + ', got ' + string(object.spec.replicas)",
          message: 'unused',
          reason: 'Forbidden',
        },
      ],
    });
    const params = configMaps([configMap('default', 'limits', { maxReplicas: '3' })]);
    const r = run({ policies: [p], bindings: [binding('b', 'msg', { paramRef: { name: 'limits' } })], params });
    expect(r.denied?.code).toBe(403);
    expect(r.denied?.reason).toBe('Forbidden');
    expect(r.denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'msg' with binding 'b' denied request: replicas must be no more than 3, got 7",
    );
  });

  it('falls back to the message when the messageExpression fails, is blank or has a newline', () => {
    const make = (messageExpression: string, reason?: string) =>
      policy('fallback', { validations: [{ expression: 'false', messageExpression, message: '  the message  ', reason }] });
    for (const m of ["object.spec.nope + 'x'", "'  '", "'two\\nlines'"]) {
      const r = run({ policies: [make(m)], bindings: [binding('b', 'fallback')] });
      expect(r.denied?.message).toBe(
        "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'fallback' with binding 'b' denied request: the message",
      );
    }
    const large = run({ policies: [make("'x'", 'RequestEntityTooLarge')], bindings: [binding('b', 'fallback')] });
    expect(large.denied?.code).toBe(413);
  });

  it('publishes auditAnnotations as <policy>/<key>, joining distinct values of several bindings', () => {
    const p = policy('annotate', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      auditAnnotations: [
        { key: 'replicas', valueExpression: "'replicas=' + string(object.spec.replicas) + ' limit=' + params.data.max" },
        { key: 'skipped', valueExpression: 'null' },
      ],
    });
    const params = configMaps([configMap('default', 'a', { max: '1' }), configMap('default', 'b', { max: '2' })]);
    const bindings = ['a', 'b', 'c'].map((n) => binding(n, 'annotate', { paramRef: { name: n === 'c' ? 'a' : n } }));
    expect(run({ policies: [p], bindings, params }).auditAnnotations).toEqual({
      'annotate/replicas': 'replicas=7 limit=1, replicas=7 limit=2',
    });
  });

  it('fails the request when an auditAnnotation gives neither a string nor null', () => {
    const p = policy('annotate', { auditAnnotations: [{ key: 'k', valueExpression: 'string(object.spec.replicas)' }] });
    const bad = compilePolicy(policy('bad', { auditAnnotations: [{ key: 'k', valueExpression: 'object.spec.replicas' }] }));
    expect(bad.compileErrors).toEqual([
      {
        field: 'spec.auditAnnotations[0].valueExpression',
        expression: 'object.spec.replicas',
        detail: 'must evaluate to one of [string null_type] but got dyn',
      },
    ]);
    expect(run({ policies: [p], bindings: [binding('b', 'annotate')] }).auditAnnotations).toEqual({ 'annotate/k': '7' });
  });
});

describe('ValidatingAdmissionPolicy: variables', () => {
  it('composes variables, each seeing the ones before it', () => {
    const p = policy('vars', {
      variables: [
        { name: 'containers', expression: 'object.spec.template.spec.containers' },
        { name: 'images', expression: 'variables.containers.map(c, c.image)' },
        { name: 'untagged', expression: "variables.images.filter(i, !i.contains(':'))" },
      ],
      validations: [
        { expression: 'size(variables.untagged) == 0', messageExpression: "'untagged images: ' + variables.untagged.join(', ')" },
        { expression: "variables.images.all(i, !i.startsWith('evil/'))", message: 'no evil images' },
      ],
    });
    const withImages = (...images: string[]) =>
      createAttrs(
        deployment(1, {
          template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
        }),
      );
    const b = [binding('b', 'vars')];
    expect(run({ policies: [p], bindings: b, attrs: withImages('nginx:1', 'redis:7') }).denied).toBeUndefined();
    expect(run({ policies: [p], bindings: b, attrs: withImages('nginx', 'redis:7', 'busybox') }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'vars' with binding 'b' denied request: untagged images: nginx, busybox",
    );
  });

  it('reports a variable that fails to evaluate in the expression that used it', () => {
    const p = policy('vars', {
      variables: [{ name: 'paused', expression: 'object.spec.paused' }],
      validations: [{ expression: 'variables.paused == false' }],
    });
    expect(run({ policies: [p], bindings: [binding('b', 'vars')] }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'vars' with binding 'b' denied request: expression 'variables.paused == false' resulted in error: composited variable \"paused\" fails to evaluate: no such key: paused",
    );
  });

  it('refuses a variable used before it is defined, at compile time', () => {
    const c = compilePolicy(
      policy('order', {
        variables: [
          { name: 'a', expression: 'variables.b' },
          { name: 'b', expression: '1' },
        ],
        validations: [{ expression: 'variables.b > 0' }],
      }),
    );
    expect(c.compileErrors.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      "spec.variables[0].expression: compilation failed: ERROR: <input>:1:10: undefined field 'b'\n | variables.b\n | .........^",
    ]);
  });
});

describe('ValidatingAdmissionPolicy: authorizer', () => {
  const p = policy('authz', {
    validations: [
      {
        expression: "authorizer.group('apps').resource('deployments').namespace(object.metadata.namespace).check('delete').allowed()",
        message: 'only those who may delete Deployments may create them',
        reason: 'Forbidden',
      },
      {
        expression: "authorizer.requestResource.check('create').allowed() || authorizer.requestResource.check('create').reason() == ''",
        message: 'unreachable',
      },
    ],
  });

  it('checks as the requesting user, and checks the request resource', () => {
    const authz = fakeAuthorizer(['delete apps/deployments default', 'create apps/deployments default']);
    expect(run({ policies: [p], bindings: [binding('b', 'authz')], authorizer: authz }).denied).toBeUndefined();
    expect(authz.calls.map((a) => [a.verb, a.apiGroup, a.apiVersion, a.resource, a.namespace, a.name])).toEqual([
      ['delete', 'apps', '*', 'deployments', 'default', ''],
      ['create', 'apps', '*', 'deployments', 'default', 'web'],
    ]);
  });

  it('denies when the check is not allowed; the reason is readable', () => {
    const authz = fakeAuthorizer([]);
    const r = run({ policies: [p], bindings: [binding('b', 'authz')], authorizer: authz });
    expect(r.denied?.code).toBe(403);
    expect(r.denied?.message).toContain('denied request: only those who may delete Deployments may create them');
    const why = policy('why', {
      validations: [
        {
          expression: "authorizer.path('/metrics').check('get').allowed()",
          messageExpression: "authorizer.path('/metrics').check('get').reason()",
        },
      ],
    });
    // messageExpressions do not see the authorizer: the message falls back to the expression.
    expect(compilePolicy(why).compileErrors[0]?.detail).toMatch(
      /^compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer'/,
    );
    const r2 = run({ policies: [why], bindings: [binding('b', 'why')], authorizer: authz });
    expect(r2.denied?.message).toContain("denied request: failed expression: authorizer.path('/metrics').check('get').allowed()");
  });

  it('checks as a service account', () => {
    const authz = fakeAuthorizer([]);
    const sa = policy('sa', {
      validations: [{ expression: "authorizer.serviceAccount('default', 'web').group('').resource('pods').check('list').reason() == 'x'" }],
    });
    run({
      policies: [sa],
      bindings: [binding('b', 'sa')],
      authorizer: { authorize: (a, u) => (authz.calls.push({ ...a, name: u.username }), { decision: 'no-opinion', reason: '' }) },
    });
    expect(authz.calls.map((a) => a.name)).toEqual(['system:serviceaccount:default:web']);
  });
});

describe('ValidatingAdmissionPolicy: errors and failurePolicy', () => {
  const broken = (failurePolicy: string) =>
    policy('broken', { failurePolicy, validations: [{ expression: 'object.spec.paused == false' }] });

  it('fails the request on a runtime error with failurePolicy Fail', () => {
    expect(run({ policies: [broken('Fail')], bindings: [binding('b', 'broken')] }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'broken' with binding 'b' denied request: expression 'object.spec.paused == false' resulted in error: no such key: paused",
    );
  });

  it('admits on a runtime error with failurePolicy Ignore', () => {
    const r = run({ policies: [broken('Ignore')], bindings: [binding('b', 'broken', { validationActions: ['Deny', 'Warn'] })] });
    expect(r.denied).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('fails the request with the compile error of an expression that did not compile', () => {
    const p = policy('nonbool', { validations: [{ expression: 'object.spec.replicas' }, { expression: 'object.spec.replicas < ' }] });
    expect(compilePolicy(p).compileErrors.map((e) => e.field)).toEqual([
      'spec.validations[0].expression',
      'spec.validations[1].expression',
    ]);
    expect(run({ policies: [p], bindings: [binding('b', 'nonbool')] }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'nonbool' with binding 'b' denied request: compilation error: must evaluate to bool but got dyn",
    );
  });

  it('reports a policy without matchConstraints', () => {
    const p = { ...policy('nomatch', { validations: [{ expression: 'true' }] }) };
    delete p.spec!.matchConstraints;
    expect(run({ policies: [p], bindings: [binding('b', 'nomatch')] }).denied?.message).toBe(
      'deployments.apps "web" is forbidden: ValidatingAdmissionPolicy \'nomatch\' denied request: failed to configure policy: policy contained no match constraints, a required field',
    );
  });
});

describe('ValidatingAdmissionPolicy: matchConditions', () => {
  const conditional = (failurePolicy: string, expression: string) =>
    policy('cond', {
      failurePolicy,
      matchConditions: [
        { name: 'not-admin', expression: "request.userInfo.username != 'admin'" },
        { name: 'other', expression },
      ],
      validations: [{ expression: 'false', message: 'denied' }],
    });

  it('skips the policy when a condition is false', () => {
    const r = run({
      policies: [conditional('Fail', 'true')],
      bindings: [binding('b', 'cond')],
      attrs: createAttrs(deployment(1), { userInfo: { username: 'admin', groups: [] } }),
    });
    expect(r.denied).toBeUndefined();
    expect(run({ policies: [conditional('Fail', 'true')], bindings: [binding('b', 'cond')] }).denied?.message).toContain(
      'denied request: denied',
    );
  });

  it('fails on a condition error with Fail, and skips the policy with Ignore', () => {
    const failing = conditional('Fail', 'object.spec.nope');
    expect(compilePolicy(failing).compileErrors[0]?.detail).toBe('must evaluate to bool but got dyn');
    expect(run({ policies: [failing], bindings: [binding('b', 'cond')] }).denied?.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'cond' with binding 'b' denied request: compilation error: must evaluate to bool but got dyn",
    );
    const runtime = conditional('Fail', "object.spec.nope == 'x'");
    expect(run({ policies: [runtime], bindings: [binding('b', 'cond')] }).denied?.message).toContain(
      "denied request: expression 'object.spec.nope == 'x'' resulted in error: no such key: nope",
    );
    expect(run({ policies: [conditional('Ignore', "object.spec.nope == 'x'")], bindings: [binding('b', 'cond')] }).denied).toBeUndefined();
  });
});

describe('ValidatingAdmissionPolicy: cost', () => {
  it('evaluates one policy with 3 validations against a Deployment in well under a millisecond', () => {
    const p = policy('three', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [
        { expression: 'object.spec.replicas <= int(params.data.maxReplicas)' },
        { expression: "object.spec.template.spec.containers.all(c, c.image.contains(':') && !c.image.endsWith(':latest'))" },
        {
          expression:
            "object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits)",
        },
      ],
    });
    const input: PolicyEvaluationInput = {
      policies: [p],
      bindings: [binding('b', 'three', { paramRef: { name: 'limits' } })],
      params: configMaps([configMap('default', 'limits', { maxReplicas: '10' })]),
      attrs: createAttrs(deployment(3)),
      namespace: namespaceLookup,
    };
    expect(evaluateValidatingPolicies(input).denied).toBeUndefined();
    const n = 2000;
    const start = performance.now();
    for (let i = 0; i < n; i++) evaluateValidatingPolicies({ ...input, attrs: createAttrs(deployment(3)) });
    const perRequest = (performance.now() - start) / n;
    console.log(`one policy, 3 validations, Deployment object: ${(perRequest * 1000).toFixed(1)} us per request`);
    expect(perRequest).toBeLessThan(1);
  });
});

describe('ValidatingAdmissionPolicy: create-time expression errors', () => {
  it('gives the field errors upstream validation reports', () => {
    const p = policy('bad', {
      paramKind: undefined,
      variables: [{ name: 'ok', expression: 'object.spec.replicas' }],
      matchConditions: [{ name: 'm', expression: "params.mode == 'strict'" }],
      validations: [{ expression: 'object.spec.paused', messageExpression: '1 + 1' }, { expression: 'variables.ok > 1' }],
      auditAnnotations: [{ key: 'k', valueExpression: "'v'" }],
    });
    expect(policyExpressionErrors(p).map((e) => `${e.field}: ${e.body}`)).toEqual([
      "spec.matchConditions[0].expression: Invalid value: \"params.mode == 'strict'\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.mode == 'strict'\n | ^",
      'spec.validations[0].expression: Invalid value: "object.spec.paused": must evaluate to bool but got dyn',
      'spec.validations[0].messageExpression: Invalid value: "1 + 1": must evaluate to string but got int',
    ]);
  });
});
