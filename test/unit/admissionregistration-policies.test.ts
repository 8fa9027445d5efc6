// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding: the v1 defaults, structural
// validation with upstream's texts (cases after pkg/apis/admissionregistration/validation's tests,
// with our own data; CEL is not compiled), generation, and the VALIDATIONS / PARAMREF tables.
import { describe, expect, it } from 'vitest';
import {
  labelSelectorGoString,
  validatingAdmissionPolicyBindingDef,
  validatingAdmissionPolicyDef,
} from '../../src/registry/admissionregistration/policies.js';
import { isCELIdentifier } from '../../src/registry/admissionregistration/policy-validation.js';
import { allResourceDefs } from '../../src/registry/kinds.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { WriteContext } from '../../src/registry/types.js';

const ctx = { now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
const msgs = (e: { field: string; body: string }[]) => e.map((x) => `${x.field}: ${x.body}`);

const matchConstraints = () => ({
  matchPolicy: 'Equivalent',
  namespaceSelector: {},
  objectSelector: {},
  resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }],
});
const spec = (over: object = {}) => ({
  failurePolicy: 'Fail',
  matchConstraints: matchConstraints(),
  validations: [{ expression: 'object.spec.replicas <= 5' }],
  ...over,
});
const policy = (s: object, name = 'max-replicas') => ({ metadata: { name }, spec: s }) as unknown as KubeObject;
const validatePolicy = (s: object, name?: string) => msgs(validatingAdmissionPolicyDef.validate!(policy(s, name), ctx));

const bspec = (over: object = {}) => ({ policyName: 'max-replicas', validationActions: ['Deny'], ...over });
const binding = (s: object) => ({ metadata: { name: 'b' }, spec: s }) as unknown as KubeObject;
const validateBinding = (s: object) => msgs(validatingAdmissionPolicyBindingDef.validate!(binding(s), ctx));

describe('ValidatingAdmissionPolicy', () => {
  it('defaults failurePolicy and the match constraints', () => {
    const p = policy({
      matchConstraints: { resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] },
      validations: [{ expression: 'true' }],
    }) as unknown as { spec: Record<string, unknown> };
    validatingAdmissionPolicyDef.defaults!(p as unknown as KubeObject, ctx);
    expect(p.spec).toEqual({
      failurePolicy: 'Fail',
      matchConstraints: {
        matchPolicy: 'Equivalent',
        namespaceSelector: {},
        objectSelector: {},
        resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*' }],
      },
      validations: [{ expression: 'true' }],
    });
    expect(validatePolicy(p.spec)).toEqual([]);
  });

  it('requires failurePolicy, matchConstraints with resource rules, and validations or audit annotations', () => {
    expect(validatePolicy({})).toEqual([
      'spec.failurePolicy: Required value',
      'spec.matchConstraints: Required value',
      'spec.validations: Required value: validations or auditAnnotations must contain at least one item',
      'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item',
    ]);
    expect(validatePolicy(spec({ failurePolicy: 'Never' }))).toEqual([
      'spec.failurePolicy: Unsupported value: "Never": supported values: "Fail", "Ignore"',
    ]);
    expect(validatePolicy(spec({ matchConstraints: { ...matchConstraints(), resourceRules: [] } }))).toEqual([
      'spec.matchConstraints.resourceRules: Required value',
    ]);
    expect(validatePolicy(spec({ matchConstraints: { resourceRules: matchConstraints().resourceRules } }))).toEqual([
      'spec.matchConstraints.matchPolicy: Required value',
      'spec.matchConstraints.namespaceSelector: Required value',
      'spec.matchConstraints.objectSelector: Required value',
    ]);
  });

  it('checks named rules and their resource names', () => {
    const rule = {
      operations: ['DELETE'],
      apiGroups: [''],
      apiVersions: ['v1'],
      resources: ['pods/status'],
      resourceNames: ['a', 'b/c', 'a'],
    };
    expect(validatePolicy(spec({ matchConstraints: { ...matchConstraints(), excludeResourceRules: [rule] } }))).toEqual([
      `spec.matchConstraints.excludeResourceRules[0].resourceNames[1]: Invalid value: "b/c": may not contain '/'`,
      'spec.matchConstraints.excludeResourceRules[0].resourceNames[2]: Duplicate value: "a"',
    ]);
  });

  it('checks paramKind', () => {
    const pk = (paramKind: object) => validatePolicy(spec({ paramKind }));
    expect(pk({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
    expect(pk({ apiVersion: 'example.com/v1', kind: 'ReplicaLimit' })).toEqual([]);
    expect(pk({})).toEqual(['spec.paramKind.apiVersion: Required value', 'spec.paramKind.kind: Required value']);
    expect(pk({ apiVersion: 'a/b/c', kind: 'X' })).toEqual([
      'spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
    ]);
    expect(pk({ apiVersion: 'example.com/', kind: 'X' })).toEqual([
      'spec.paramKind.apiVersion: Invalid value: "example.com/": version must be specified',
    ]);
    expect(pk({ apiVersion: 'v1', kind: 'Config_Map' })).toEqual([
      `spec.paramKind.kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });

  it('checks validations, variables and audit annotations by structure', () => {
    expect(
      validatePolicy(
        spec({
          validations: [
            { expression: ' ', message: ' ', messageExpression: ' ', reason: 'Teapot' },
            { expression: 'true', message: 'one\ntwo' },
          ],
        }),
      ),
    ).toEqual([
      'spec.validations[0].expression: Required value: expression is not specified',
      'spec.validations[0].messageExpression: Invalid value: " ": must be non-empty if specified',
      'spec.validations[0].message: Invalid value: " ": message must be non-empty if specified',
      'spec.validations[0].reason: Unsupported value: "Teapot": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"',
      'spec.validations[1].message: Invalid value: "one\\ntwo": message must not contain line breaks',
    ]);
    expect(
      validatePolicy(
        spec({
          variables: [
            { name: 'in', expression: 'x' },
            { name: '', expression: '' },
            { name: 'ok_1', expression: '1' },
          ],
        }),
      ),
    ).toEqual([
      'spec.variables[0].name: Invalid value: "in": name is not a valid CEL identifier',
      'spec.variables[1].name: Required value: name is not specified',
      'spec.variables[1].expression: Required value: expression is not specified',
    ]);
    expect(
      validatePolicy(
        spec({
          validations: [],
          auditAnnotations: [
            { key: 'high-replicas', valueExpression: 'string(object.spec.replicas)' },
            { key: 'high-replicas', valueExpression: ' ' },
            { key: 'bad key', valueExpression: 'x' },
          ],
        }),
      ),
    ).toEqual([
      'spec.auditAnnotations[1].valueExpression: Required value: valueExpression is not specified',
      'spec.auditAnnotations[1].key: Duplicate value: "high-replicas"',
      `spec.auditAnnotations[2].key: Invalid value: "max-replicas/bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
    const many = Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, valueExpression: 'v' }));
    const tooMany = validatePolicy(spec({ auditAnnotations: many }));
    expect(tooMany).toHaveLength(1);
    expect(tooMany[0]).toMatch(
      /^spec\.auditAnnotations: Invalid value: \[\]admissionregistration\.AuditAnnotation\{admissionregistration\.AuditAnnotation\{Key:"k0", ValueExpression:"v"\}, .*: must not have more than 20 auditAnnotations$/,
    );
    expect(validatePolicy(spec({ matchConditions: [{ name: 'only-apps', expression: '' }] }))).toEqual([
      'spec.matchConditions[0].expression: Required value',
    ]);
  });

  it('knows CEL identifiers', () => {
    expect(isCELIdentifier('_x9')).toBe(true);
    expect(isCELIdentifier('9x')).toBe(false);
    expect(isCELIdentifier('while')).toBe(false);
    expect(isCELIdentifier('a-b')).toBe(false);
  });

  it('rechecks match conditions on update only when they or paramKind change', () => {
    const bad = spec({ matchConditions: [{ name: 'bad name', expression: 'true' }] });
    const upd = (next: object, old: object) => msgs(validatingAdmissionPolicyDef.validateUpdate!(policy(next), policy(old), ctx));
    expect(upd(bad, bad)).toEqual([]);
    expect(upd({ ...bad, paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } }, bad)).toHaveLength(1);
  });

  it('starts with an empty status and generation 1; spec changes raise the generation', () => {
    const p = policy(spec()) as unknown as { status?: unknown; metadata: { generation?: number } };
    validatingAdmissionPolicyDef.prepareForCreate!(p as unknown as KubeObject, ctx);
    expect(p.status).toEqual({});
    expect(p.metadata.generation).toBe(1);
    const next = policy(spec({ failurePolicy: 'Ignore' })) as unknown as { metadata: { generation?: number } };
    validatingAdmissionPolicyDef.prepareForUpdate!(next as unknown as KubeObject, p as unknown as KubeObject, ctx);
    expect(next.metadata.generation).toBe(2);
    expect(validatingAdmissionPolicyDef.statusSubresource).toBe(true);
  });

  it('prints NAME, VALIDATIONS, PARAMKIND, AGE', () => {
    const now = new Date('2026-01-01T01:00:00Z');
    const withMeta = (s: object) =>
      ({ metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: s }) as unknown as KubeObject;
    expect(validatingAdmissionPolicyDef.table.columns.map((c) => c.name)).toEqual(['Name', 'Validations', 'ParamKind', 'Age']);
    expect(validatingAdmissionPolicyDef.table.row(withMeta(spec()), now)).toEqual(['p', 1, '<unset>', '60m']);
    expect(
      validatingAdmissionPolicyDef.table.row(withMeta(spec({ paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' } })), now),
    ).toEqual(['p', 1, 'example.com/v1/Limit', '60m']);
  });
});

describe('ValidatingAdmissionPolicyBinding', () => {
  it('accepts a binding and defaults its match resources', () => {
    const b = binding(bspec({ matchResources: { namespaceSelector: { matchLabels: { env: 'test' } } } })) as unknown as {
      spec: { matchResources: object };
    };
    validatingAdmissionPolicyBindingDef.defaults!(b as unknown as KubeObject, ctx);
    expect(b.spec.matchResources).toEqual({
      matchPolicy: 'Equivalent',
      namespaceSelector: { matchLabels: { env: 'test' } },
      objectSelector: {},
    });
    expect(validateBinding(b.spec)).toEqual([]);
  });

  it('checks policyName and validationActions', () => {
    expect(validateBinding({})).toEqual([
      'spec.policyName: Required value',
      'spec.validationActions: Required value: at least one validation action is required',
    ]);
    expect(validateBinding(bspec({ policyName: 'Max_Replicas' }))).toHaveLength(1);
    expect(validateBinding(bspec({ validationActions: ['Deny', 'Warn', 'Log', 'Warn'] }))).toEqual([
      'spec.validationActions[2]: Unsupported value: "Log": supported values: "Audit", "Deny", "Warn"',
      'spec.validationActions[3]: Duplicate value: "Warn"',
      'spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn", "Log", "Warn"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ]);
    expect(validateBinding(bspec({ validationActions: ['Warn', 'Audit'] }))).toEqual([]);
  });

  it('checks paramRef: name or selector, and parameterNotFoundAction', () => {
    const pr = (paramRef: object) => validateBinding(bspec({ paramRef }));
    expect(pr({ name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' })).toEqual([]);
    expect(pr({ selector: { matchLabels: { a: 'b' } }, parameterNotFoundAction: 'Allow' })).toEqual([]);
    expect(pr({})).toEqual([
      'spec.paramRef: Required value: one of name or selector must be specified',
      'spec.paramRef.parameterNotFoundAction: Required value',
    ]);
    expect(pr({ name: 'x', selector: {}, parameterNotFoundAction: 'Ignore' })).toEqual([
      'spec.paramRef.name: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.parameterNotFoundAction: Unsupported value: "Ignore": supported values: "Deny", "Allow"',
    ]);
    expect(pr({ name: '..', parameterNotFoundAction: 'Deny' })).toEqual([`spec.paramRef.name: Invalid value: "..": may not be '..'`]);
  });

  it('prints NAME, POLICYNAME, PARAMREF, AGE', () => {
    const now = new Date('2026-01-01T00:00:05Z');
    const row = (s: object) =>
      validatingAdmissionPolicyBindingDef.table.row(
        { metadata: { name: 'b', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: s } as unknown as KubeObject,
        now,
      );
    expect(validatingAdmissionPolicyBindingDef.table.columns.map((c) => c.name)).toEqual(['Name', 'PolicyName', 'ParamRef', 'Age']);
    expect(row(bspec())).toEqual(['b', 'max-replicas', '<unset>', '5s']);
    expect(row(bspec({ paramRef: { name: 'limits', namespace: 'ns' } }))[2]).toBe('ns/limits');
    expect(row(bspec({ paramRef: { name: 'limits' } }))[2]).toBe('*/limits');
    expect(row(bspec({ paramRef: { selector: { matchLabels: { tier: 'web', app: 'x' } } } }))[2]).toBe(
      '&LabelSelector{MatchLabels:map[string]string{app: x,tier: web,},MatchExpressions:[]LabelSelectorRequirement{},}',
    );
    expect(labelSelectorGoString({ matchExpressions: [{ key: 'k', operator: 'In', values: ['a', 'b'] }] })).toBe(
      '&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[a b],},},}',
    );
  });

  it("is served with the policies, in upstream's (alphabetical) order of the group", () => {
    const kinds = allResourceDefs()
      .filter((d) => d.group === 'admissionregistration.k8s.io')
      .map((d) => d.kind);
    expect(kinds).toEqual([
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
    ]);
  });
});
