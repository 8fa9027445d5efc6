// ValidatingWebhookConfiguration and MutatingWebhookConfiguration: the v1 defaults, validation with
// upstream's texts (cases after pkg/apis/admissionregistration/validation's tests, with our own
// data), the relaxations of an update, generation, the WEBHOOKS table, and that the kinds are not
// served yet.
import { describe, expect, it } from 'vitest';
import {
  defaultWebhook,
  mutatingWebhookConfigurationDef,
  validatingWebhookConfigurationDef,
  type MutatingWebhookConfigurationObj,
} from '../../src/registry/admissionregistration/webhook-configurations.js';
import { parseGoURL } from '../../src/registry/admissionregistration/webhook-client.js';
import { allResourceDefs } from '../../src/registry/kinds.js';
import { checkObject } from '../../src/apimachinery/decode.js';
import type { MutatingWebhook, ValidatingWebhook } from '../../src/api/generated/admissionregistration/v1.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { WriteContext } from '../../src/registry/types.js';

const ctx = { now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
const msgs = (e: { field: string; body: string }[]) => e.map((x) => `${x.field}: ${x.body}`);

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const FORM = '; desired format: https://host[/path]';

/** A webhook that passes validation; cases change one thing. */
const hook = (over: Partial<ValidatingWebhook & MutatingWebhook> = {}): ValidatingWebhook & MutatingWebhook =>
  ({
    name: 'check.example.com',
    clientConfig: { url: 'https://hooks.example.com/check' },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...over,
  }) as ValidatingWebhook & MutatingWebhook;

const config = (webhooks: unknown[], name = 'cfg') => ({ metadata: { name }, webhooks }) as unknown as KubeObject;
const validating = (...hooks: unknown[]) => msgs(validatingWebhookConfigurationDef.validate!(config(hooks), ctx));
const mutating = (...hooks: unknown[]) => msgs(mutatingWebhookConfigurationDef.validate!(config(hooks), ctx));
const update = (hooks: unknown[], old: unknown[]) =>
  msgs(validatingWebhookConfigurationDef.validateUpdate!(config(hooks), config(old), ctx));

describe('webhook configuration defaults', () => {
  it('fills in the v1 defaults and leaves sideEffects and admissionReviewVersions alone', () => {
    const h = {
      name: 'a.b.c',
      clientConfig: { service: { namespace: 'ns', name: 'svc' } },
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
    } as unknown as MutatingWebhook;
    defaultWebhook(h, true);
    expect(h).toEqual({
      name: 'a.b.c',
      clientConfig: { service: { namespace: 'ns', name: 'svc', port: 443 } },
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*' }],
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
      reinvocationPolicy: 'Never',
    });
  });

  it('keeps what was set, and gives validating webhooks no reinvocationPolicy', () => {
    const o = config([
      hook({
        failurePolicy: 'Ignore',
        matchPolicy: 'Exact',
        timeoutSeconds: 3,
        namespaceSelector: { matchLabels: { a: 'b' } },
        clientConfig: { service: { namespace: 'ns', name: 'svc', port: 8443 } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      }),
    ]) as unknown as { webhooks: Record<string, unknown>[] };
    validatingWebhookConfigurationDef.defaults!(o as unknown as KubeObject, ctx);
    const h = o.webhooks[0]!;
    expect(h.failurePolicy).toBe('Ignore');
    expect(h.matchPolicy).toBe('Exact');
    expect(h.timeoutSeconds).toBe(3);
    expect(h.namespaceSelector).toEqual({ matchLabels: { a: 'b' } });
    expect(h.objectSelector).toEqual({});
    expect(h.clientConfig).toEqual({ service: { namespace: 'ns', name: 'svc', port: 8443 } });
    expect((h.rules as { scope: string }[])[0]!.scope).toBe('Namespaced');
    expect('reinvocationPolicy' in h).toBe(false);
    expect(h.sideEffects).toBe('None');
  });
});

describe('webhook configuration validation', () => {
  it('accepts a well-formed configuration of either kind', () => {
    expect(validating(hook())).toEqual([]);
    expect(mutating(hook({ reinvocationPolicy: 'IfNeeded' }))).toEqual([]);
    expect(validating(hook({ clientConfig: { service: { namespace: 'ns', name: 'svc', path: '/a/b/', port: 443 } } }))).toEqual([]);
    expect(validating()).toEqual([]);
  });

  it('requires fully qualified, unique webhook names', () => {
    expect(validating(hook({ name: 'example.com' }))).toEqual([
      'webhooks[0].name: Invalid value: "example.com": should be a domain with at least three segments separated by dots',
    ]);
    expect(validating(hook({ name: '' }))).toEqual(['webhooks[0].name: Required value']);
    expect(validating(hook({ name: 'Check.example.com' }))).toEqual([
      `webhooks[0].name: Invalid value: "Check.example.com": ${SUBDOMAIN_MSG}`,
    ]);
    expect(validating(hook(), hook({ name: 'other.example.com' }), hook())).toEqual([
      'webhooks[2].name: Duplicate value: "check.example.com"',
    ]);
  });

  it('checks rules: operations, groups, versions, scope', () => {
    const rule = (r: object) =>
      hook({ rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], ...r }] });
    expect(validating(rule({ operations: [] }))).toEqual(['webhooks[0].rules[0].operations: Required value']);
    expect(validating(rule({ operations: ['CREATE', '*'] }))).toEqual([
      `webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"CREATE", "*"}: if '*' is present, must not specify other operations`,
    ]);
    expect(validating(rule({ operations: ['PATCH'] }))).toEqual([
      'webhooks[0].rules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    ]);
    expect(validating(rule({ apiGroups: [] }))).toEqual(['webhooks[0].rules[0].apiGroups: Required value']);
    expect(validating(rule({ apiGroups: ['', '*'] }))).toEqual([
      `webhooks[0].rules[0].apiGroups: Invalid value: []string{"", "*"}: if '*' is present, must not specify other API groups`,
    ]);
    expect(validating(rule({ apiVersions: ['*', 'v1'] }))).toEqual([
      `webhooks[0].rules[0].apiVersions: Invalid value: []string{"*", "v1"}: if '*' is present, must not specify other API versions`,
    ]);
    expect(validating(rule({ apiVersions: ['v1', ''] }))).toEqual(['webhooks[0].rules[0].apiVersions[1]: Required value']);
    expect(validating(rule({ apiVersions: undefined }))).toEqual(['webhooks[0].rules[0].apiVersions: Required value']);
    expect(validating(rule({ scope: 'Everywhere' }))).toEqual([
      'webhooks[0].rules[0].scope: Unsupported value: "Everywhere": supported values: "*", "Cluster", "Namespaced"',
    ]);
  });

  it('checks resources and their subresource wildcards', () => {
    const res = (resources: string[]) =>
      validating(hook({ rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources }] }));
    expect(res(['*'])).toEqual([]);
    expect(res(['*/*'])).toEqual([]);
    expect(res(['*', 'pods/status'])).toEqual([]);
    expect(res(['pods/*', 'services/status'])).toEqual([]);
    expect(res([])).toEqual(['webhooks[0].rules[0].resources: Required value']);
    expect(res(['pods', ''])).toEqual(['webhooks[0].rules[0].resources[1]: Required value']);
    expect(res(['*/*', 'pods'])).toEqual([
      `webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: if '*/*' is present, must not specify other resources`,
    ]);
    expect(res(['pods/*', 'pods/exec'])).toEqual([
      `webhooks[0].rules[0].resources[1]: Invalid value: "pods/exec": if 'pods/*' is present, must not specify pods/exec`,
    ]);
    expect(res(['*/scale', 'deployments/scale'])).toEqual([
      `webhooks[0].rules[0].resources[1]: Invalid value: "deployments/scale": if '*/scale' is present, must not specify deployments/scale`,
    ]);
    expect(res(['*', 'pods'])).toEqual([
      `webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if '*' is present, must not specify other resources without subresources`,
    ]);
  });

  it('requires exactly one of url and service', () => {
    const none = 'webhooks[0].clientConfig: Required value: exactly one of url or service is required';
    expect(validating(hook({ clientConfig: {} }))).toEqual([none]);
    expect(
      validating(hook({ clientConfig: { url: 'https://a.example.com', service: { namespace: 'ns', name: 'svc', port: 443 } } })),
    ).toEqual([none]);
    expect(validating(hook({ clientConfig: undefined }))).toEqual([none]);
  });

  it('checks the url as ValidateWebhookURL does', () => {
    const url = (u: string) => validating(hook({ clientConfig: { url: u } }));
    const f = 'webhooks[0].clientConfig.url';
    expect(url('https://10.0.0.1:8443/path')).toEqual([]);
    expect(url('http://hooks.example.com/x')).toEqual([`${f}: Invalid value: "http": 'https' is the only allowed URL scheme${FORM}`]);
    expect(url('https:///no-host')).toEqual([`${f}: Invalid value: "": host must be specified${FORM}`]);
    expect(url('https://me:secret@hooks.example.com/x?a=b#top')).toEqual([
      `${f}: Invalid value: "me:secret": user information is not permitted in the URL`,
      `${f}: Invalid value: "top": fragments are not permitted in the URL`,
      `${f}: Invalid value: "a=b": query parameters are not permitted in the URL`,
    ]);
    expect(url('')).toEqual([
      `${f}: Invalid value: "": 'https' is the only allowed URL scheme${FORM}`,
      `${f}: Invalid value: "": host must be specified${FORM}`,
    ]);
    expect(url('://hooks.example.com')).toEqual([
      `${f}: Required value: url must be a valid URL: parse "://hooks.example.com": missing protocol scheme${FORM}`,
    ]);
    expect(url('https://hooks.example.com:port/x')).toEqual([
      `${f}: Required value: url must be a valid URL: parse "https://hooks.example.com:port/x": invalid port ":port" after host${FORM}`,
    ]);
    expect(url('https://a.example.com/\n')).toEqual([
      `${f}: Required value: url must be a valid URL: parse "https://a.example.com/\\n": net/url: invalid control character in URL${FORM}`,
    ]);
  });

  it('parses URLs as Go net/url does', () => {
    expect(parseGoURL('HTTPS://[::1]:8443/p?x#y')).toEqual({ scheme: 'https', host: '[::1]:8443', rawQuery: 'x', fragment: 'y' });
    expect(parseGoURL('https:opaque')).toEqual({ scheme: 'https', host: '', rawQuery: '', fragment: '' });
    expect(parseGoURL('https://@h/')).toEqual({ scheme: 'https', user: '', host: 'h', rawQuery: '', fragment: '' });
    expect(parseGoURL('a:b/c')).toEqual({ scheme: 'a', host: '', rawQuery: '', fragment: '' });
    expect(parseGoURL('1a:b')).toEqual({ error: 'parse "1a:b": first path segment in URL cannot contain colon' });
    expect(parseGoURL('https://[::1/')).toEqual({ error: `parse "https://[::1/": missing ']' in host` });
  });

  it('checks the service reference as ValidateWebhookService does, argument order included', () => {
    const svc = (s: object) => validating(hook({ clientConfig: { service: { namespace: 'ns', name: 'svc', port: 443, ...s } as never } }));
    const f = 'webhooks[0].clientConfig.service';
    // Upstream passes (name, namespace) to a function declared (namespace, name).
    expect(svc({ namespace: '' })).toEqual([`${f}.name: Required value`]);
    expect(svc({ name: '' })).toEqual([`${f}.namespace: Required value`]);
    expect(svc({ port: 0 })).toEqual([`${f}.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive`]);
    expect(svc({ port: 65536 })).toEqual([`${f}.port: Invalid value: 65536: port is not valid: must be between 1 and 65535, inclusive`]);
    expect(svc({ path: '' })).toEqual([]);
    expect(svc({ path: '/' })).toEqual([]);
    expect(svc({ path: '//' })).toEqual([`${f}.path: Invalid value: "//": segment[0] may not be empty`]);
    expect(svc({ path: 'hook' })).toEqual([`${f}.path: Invalid value: "hook": must start with a '/'`]);
    expect(svc({ path: '/a//b' })).toEqual([`${f}.path: Invalid value: "/a//b": segment[1] may not be empty`]);
    expect(svc({ path: '/ok/Bad_Seg' })).toEqual([`${f}.path: Invalid value: "/ok/Bad_Seg": segment[1]: ${SUBDOMAIN_MSG}`]);
  });

  it('checks policies, side effects and the timeout', () => {
    expect(validating(hook({ failurePolicy: 'Maybe' }))).toEqual([
      'webhooks[0].failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"',
    ]);
    expect(validating(hook({ matchPolicy: 'Loose' }))).toEqual([
      'webhooks[0].matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"',
    ]);
    expect(validating(hook({ sideEffects: undefined }))).toEqual([
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
    ]);
    expect(validating(hook({ sideEffects: 'Some' }))).toEqual([
      'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
    ]);
    expect(validating(hook({ sideEffects: 'NoneOnDryRun', timeoutSeconds: 30 }))).toEqual([]);
    expect(validating(hook({ timeoutSeconds: 31 }))).toEqual([
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
    ]);
    expect(validating(hook({ timeoutSeconds: 0 }))).toEqual([
      'webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds',
    ]);
    // reinvocationPolicy is a mutating webhook's field only.
    expect(mutating(hook({ reinvocationPolicy: 'Always' }))).toEqual([
      'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"',
    ]);
    expect(validating(hook({ reinvocationPolicy: 'Always' }))).toEqual([]);
  });

  it('requires admissionReviewVersions that include v1 or v1beta1', () => {
    const f = 'webhooks[0].admissionReviewVersions';
    expect(validating(hook({ admissionReviewVersions: ['v1beta1'] }))).toEqual([]);
    expect(validating(hook({ admissionReviewVersions: ['v2', 'v1'] }))).toEqual([]);
    expect(validating(hook({ admissionReviewVersions: [] }))).toEqual([`${f}: Required value: must specify one of v1, v1beta1`]);
    expect(validating(hook({ admissionReviewVersions: ['v2'] }))).toEqual([
      `${f}: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1`,
    ]);
    expect(validating(hook({ admissionReviewVersions: ['v1', 'v1'] }))).toEqual([`${f}[1]: Invalid value: "v1": duplicate version`]);
    expect(validating(hook({ admissionReviewVersions: ['1v', 'v1'] }))).toEqual([
      `${f}[0]: Invalid value: "1v": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });

  it('checks matchConditions by structure, not by compiling them', () => {
    const f = 'webhooks[0].matchConditions';
    const mc = (...matchConditions: object[]) => validating(hook({ matchConditions: matchConditions as never }));
    expect(mc({ name: 'exclude-leases', expression: 'request.resource.resource != "leases"' })).toEqual([]);
    expect(mc({ name: 'x', expression: '  ' })).toEqual([`${f}[0].expression: Required value`]);
    expect(mc({ expression: 'true' })).toEqual([`${f}[0].name: Required value`]);
    expect(mc({ name: 'a b', expression: 'true' })).toEqual([
      `${f}[0].name: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
    expect(mc({ name: 'a', expression: 'true' }, { name: 'a', expression: 'false' })).toEqual([`${f}[1].name: Duplicate value: "a"`]);
    const many = Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: 'true' }));
    expect(mc(...many)).toEqual([`${f}: Too many: 65: must have at most 64 items`]);
  });

  it('checks the namespace and object selectors', () => {
    expect(
      validating(
        hook({
          namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'Near', values: ['x'] }] },
          objectSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['not valid!'] }] },
        }),
      ),
    ).toEqual([
      'webhooks[0].namespaceSelector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      `webhooks[0].objectSelector.matchExpressions[0].values[0]: Invalid value: "not valid!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]);
  });

  it('keeps accepting on update what the stored configuration already had', () => {
    const some = hook({ sideEffects: 'Some' });
    expect(update([some], [some])).toEqual([]);
    expect(update([some], [hook()])).toEqual([
      'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
    ]);
    const v2 = hook({ admissionReviewVersions: ['v2'] });
    expect(update([v2], [v2])).toEqual([]);
    expect(update([v2], [hook()])).toEqual([
      'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
    ]);
    expect(update([hook(), hook()], [hook(), hook()])).toEqual([]);
    expect(update([hook(), hook()], [hook()])).toEqual(['webhooks[1].name: Duplicate value: "check.example.com"']);
    const badValue = hook({ objectSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: ['bad value'] }] } });
    expect(update([badValue], [badValue])).toEqual([]);
    expect(update([badValue], [hook()])).toHaveLength(1);
    // Unchanged match conditions are not checked again; changed ones are.
    const oldMC = hook({ matchConditions: [{ name: 'bad name', expression: 'true' }] });
    expect(update([oldMC], [oldMC])).toEqual([]);
    const changed = hook({ matchConditions: [{ name: 'bad name', expression: 'false' }] });
    expect(update([changed], [oldMC])).toHaveLength(1);
  });
});

describe('webhook configuration strategy and table', () => {
  it('starts generation at 1 and raises it when the webhooks change', () => {
    const o = config([hook()]) as unknown as MutatingWebhookConfigurationObj;
    mutatingWebhookConfigurationDef.prepareForCreate!(o as unknown as KubeObject, ctx);
    expect(o.metadata.generation).toBe(1);
    const same = config([hook()]) as unknown as MutatingWebhookConfigurationObj;
    same.metadata.labels = { a: 'b' };
    mutatingWebhookConfigurationDef.prepareForUpdate!(same as unknown as KubeObject, o as unknown as KubeObject, ctx);
    expect(same.metadata.generation).toBe(1);
    const changed = config([hook({ timeoutSeconds: 5 })]) as unknown as MutatingWebhookConfigurationObj;
    mutatingWebhookConfigurationDef.prepareForUpdate!(changed as unknown as KubeObject, o as unknown as KubeObject, ctx);
    expect(changed.metadata.generation).toBe(2);
  });

  it('prints NAME, WEBHOOKS, AGE', () => {
    for (const def of [validatingWebhookConfigurationDef, mutatingWebhookConfigurationDef]) {
      expect(def.table.columns.map((c) => [c.name, c.type])).toEqual([
        ['Name', 'string'],
        ['Webhooks', 'integer'],
        ['Age', 'string'],
      ]);
      expect(def.table.columns[1]!.description).toBe('Webhooks indicates the number of webhooks registered in this configuration');
      const now = new Date('2026-01-01T00:10:00Z');
      const o = {
        metadata: { name: 'cfg', creationTimestamp: '2026-01-01T00:00:00Z' },
        webhooks: [hook(), hook()],
      } as unknown as KubeObject;
      expect(def.table.row(o, now)).toEqual(['cfg', 2, '10m']);
      expect(def.table.row({ metadata: { name: 'empty', creationTimestamp: '2026-01-01T00:09:30Z' } } as KubeObject, now)).toEqual([
        'empty',
        0,
        '30s',
      ]);
      expect(def.namespaced).toBe(false);
    }
  });

  it('decodes caBundle as base64 bytes and knows the webhook fields (strict decoding, through the schema)', () => {
    const withBundle = (caBundle: string) =>
      checkObject(
        config([hook({ clientConfig: { url: 'https://a.example.com', caBundle } })]),
        validatingWebhookConfigurationDef.schema,
        'ValidatingWebhookConfiguration',
      );
    expect(withBundle('LS0tLS1CRUdJTg==').typeErrors).toEqual([]);
    expect(withBundle('LS0t!S1CRUdJTg==').typeErrors).toEqual(['illegal base64 data at input byte 4']);
    const mutatingOnly = checkObject(
      config([hook({ reinvocationPolicy: 'Never' })]),
      validatingWebhookConfigurationDef.schema,
      'ValidatingWebhookConfiguration',
    );
    expect(mutatingOnly.unknownFields).toEqual(['webhooks[0].reinvocationPolicy']);
    expect(
      checkObject(config([hook({ reinvocationPolicy: 'Never' })]), mutatingWebhookConfigurationDef.schema, 'MutatingWebhookConfiguration')
        .unknownFields,
    ).toEqual([]);
  });

  it("is served in upstream's order, after storage.k8s.io and before apiextensions.k8s.io", () => {
    const kinds = allResourceDefs().map((d) => d.kind);
    const at = kinds.indexOf('MutatingWebhookConfiguration');
    expect(kinds.slice(at - 1, at + 5)).toEqual([
      'StorageClass',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
      'CustomResourceDefinition',
    ]);
  });
});
