// ValidatingAdmissionPolicies and their bindings on a real cluster with kubectl: a replica limit
// taken from a ConfigMap param (Deny with messageExpression and reason), the Warn action, a
// missing param, policies on the Pods controllers create, and expressions that do not compile
// refused at create with cel-go's text.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const fail = async (args: string[], input?: string) => {
  const r = await tc.kubectl(args, { allowFail: true, ...(input ? { input } : {}) });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};

const policy = (actions: string, paramNamespace = 'default') => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit.example.com}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas must be no greater than ' + params.data.maxReplicas"
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-binding.example.com}
spec:
  policyName: replica-limit.example.com
  validationActions: [${actions}]
  paramRef: {name: limits, namespace: ${paramNamespace}, parameterNotFoundAction: Deny}
`;

describe('ValidatingAdmissionPolicy', () => {
  it('denies with its messageExpression, its params read from a ConfigMap', async () => {
    await tc.kubectl(['create', 'configmap', 'limits', '--from-literal=maxReplicas=3']);
    await tc.kubectl(['apply', '-f', '-'], { input: policy('Deny') });
    expect(await fail(['create', 'deployment', 'big', '--image=registry.k8s.io/pause:3.10', '--replicas=5'])).toBe(
      "error: failed to create deployment: deployments.apps \"big\" is forbidden: ValidatingAdmissionPolicy 'replica-limit.example.com' with binding 'replica-limit-binding.example.com' denied request: replicas must be no greater than 3",
    );
    await tc.kubectl(['create', 'deployment', 'small', '--image=registry.k8s.io/pause:3.10', '--replicas=2']);
    // The param is read at each request: raising the limit lets the next request through.
    await tc.kubectl(['patch', 'configmap', 'limits', '--type=merge', '-p', '{"data":{"maxReplicas":"6"}}']);
    await tc.kubectl(['create', 'deployment', 'big', '--image=registry.k8s.io/pause:3.10', '--replicas=5']);
    await tc.kubectl(['delete', 'deployment', 'big', 'small']);
  });

  it('warns instead with the Warn action', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: policy('Warn') });
    await tc.kubectl(['patch', 'configmap', 'limits', '--type=merge', '-p', '{"data":{"maxReplicas":"1"}}']);
    const r = await tc.kubectl(['create', 'deployment', 'warned', '--image=registry.k8s.io/pause:3.10', '--replicas=2']);
    expect(r.stderr).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'replica-limit.example.com' with binding 'replica-limit-binding.example.com': replicas must be no greater than 1",
    );
    await tc.kubectl(['delete', 'deployment', 'warned']);
  });

  it('denies when its param is missing and parameterNotFoundAction is Deny', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: policy('Deny', 'nowhere') });
    expect(await fail(['create', 'deployment', 'lost', '--image=registry.k8s.io/pause:3.10'])).toMatch(
      /^error: failed to create deployment: deployments\.apps "lost" is forbidden: ValidatingAdmissionPolicy 'replica-limit\.example\.com' with binding 'replica-limit-binding\.example\.com' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction$/,
    );
    await tc.kubectl(['delete', 'validatingadmissionpolicybinding', 'replica-limit-binding.example.com']);
  });

  // Policies run after the name is generated (upstream's validating admission follows BeforeCreate),
  // so the refusal names the Pod.
  it('applies to the Pods controllers create', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-latest.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: images must be pinned
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest-binding.example.com}
spec:
  policyName: no-latest.example.com
  validationActions: [Deny]
`,
    });
    await tc.kubectl(['create', 'deployment', 'latest', '--image=busybox:latest']);
    const event = await until(async () => {
      const rs = JSON.parse((await tc.kubectl(['get', 'rs', '-l', 'app=latest', '-o', 'json'])).stdout).items[0];
      if (!rs) return undefined;
      const evs = JSON.parse(
        (await tc.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${rs.metadata.name}`, '-o', 'json'])).stdout,
      ).items;
      return evs.find((e: { reason: string }) => e.reason === 'FailedCreate');
    });
    expect(event.message).toMatch(
      /^Error creating: pods "latest-[a-z0-9]+-[a-z0-9]{5}" is forbidden: ValidatingAdmissionPolicy 'no-latest\.example\.com' with binding 'no-latest-binding\.example\.com' denied request: images must be pinned$/,
    );
  });

  it('refuses expressions that do not compile, with cel-go’s text', async () => {
    expect(
      await fail(
        ['apply', '-f', '-'],
        `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: bad.example.com}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations: [{expression: "object.spec.nope("}]
`,
      ),
    ).toBe(
      "The ValidatingAdmissionPolicy \"bad.example.com\" is invalid: spec.validations[0].expression: Invalid value: \"object.spec.nope(\": compilation failed: ERROR: <input>:1:18: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n" +
        ' | object.spec.nope(\n' +
        ' | .................^',
    );
  });

  it('see scale subresource writes as Scales', async () => {
    await tc.kubectl(['create', 'deployment', 'scalable', '--image=registry.k8s.io/pause:3.10']);
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: scale-limit.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments/scale]}
  validations:
  - expression: "object.kind == 'Scale' && object.spec.replicas <= 3"
    message: at most 3 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: scale-limit-binding.example.com}
spec:
  policyName: scale-limit.example.com
  validationActions: [Deny]
`,
    });
    await tc.kubectl(['scale', 'deployment', 'scalable', '--replicas=3']);
    expect(await fail(['scale', 'deployment', 'scalable', '--replicas=4'])).toBe(
      // kubectl's form of an Invalid status, as upstream's documentation shows it for such a policy.
      "The deployments \"scalable\" is invalid: : ValidatingAdmissionPolicy 'scale-limit.example.com' with binding 'scale-limit-binding.example.com' denied request: at most 3 replicas",
    );
  });
});
