// Which webhooks a request goes to (src/registry/admission/matching.ts): rules with their `*`,
// subresource and scope forms, matchPolicy Equivalent through the equivalents hook,
// namespaceSelector (the namespace's labels; a Namespace's own on create and update),
// objectSelector (object or old object), matchConditions through a fake evaluator, the ordering of
// webhooks, the exempt admission kinds and the cheap anyWebhookMayMatch check. Cases after
// upstream's predicates/rules, namespace and object matcher tests, with our own data.
import { describe, expect, it } from 'vitest';
import type {
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhook,
} from '../../src/api/generated/admissionregistration/v1.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import {
  anyWebhookMayMatch,
  isExemptAdmissionConfigurationResource,
  ruleMatches,
  shouldCallHook,
  webhookAccessors,
  type MatchConditionEvaluator,
  type MatchConditionInput,
  type MatchContext,
  type WebhookAccessor,
} from '../../src/registry/admission/matching.js';
import type { AdmissionAttributes } from '../../src/registry/admission/types.js';

const podAttrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  subresource: '',
  namespace: 'team-a',
  name: 'web',
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } } },
  oldObject: null,
  userInfo: { username: 'alice', groups: ['devs'] },
  dryRun: false,
  options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
  ...over,
});

const rule = (over: Partial<RuleWithOperations> = {}): RuleWithOperations => ({
  operations: ['CREATE'],
  apiGroups: [''],
  apiVersions: ['v1'],
  resources: ['pods'],
  scope: '*',
  ...over,
});

const hook = (over: Partial<ValidatingWebhook> = {}): ValidatingWebhook => ({
  name: 'check.example.com',
  clientConfig: { url: 'https://127.0.0.1:1/check' },
  rules: [rule()],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  failurePolicy: 'Fail',
  matchPolicy: 'Equivalent',
  namespaceSelector: {},
  objectSelector: {},
  timeoutSeconds: 10,
  ...over,
});

const accessor = (h: ValidatingWebhook): WebhookAccessor => ({ uid: `cfg/${h.name}/0`, configurationName: 'cfg', hook: h });

const namespaces: Record<string, Record<string, string>> = { 'team-a': { env: 'prod' }, 'team-b': { env: 'dev' } };

function ctx(over: Partial<MatchContext> = {}): MatchContext & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    namespaceLabels: (name) => {
      lookups.push(name);
      return namespaces[name];
    },
    versioned: async () => ({ object: null, oldObject: null }),
    ...over,
  };
}

describe('rules', () => {
  const matches = (r: Partial<RuleWithOperations>, a: Partial<AdmissionAttributes> = {}) => ruleMatches(rule(r), podAttrs(a));

  it('matches operations, groups, versions and resources exactly or by *', () => {
    expect(matches({})).toBe(true);
    expect(matches({ operations: ['UPDATE'] })).toBe(false);
    expect(matches({ operations: ['*'] }, { operation: 'DELETE' })).toBe(true);
    expect(matches({ apiGroups: ['apps'] })).toBe(false);
    expect(matches({ apiGroups: ['*'] })).toBe(true);
    expect(matches({ apiVersions: ['v2'] })).toBe(false);
    expect(matches({ apiVersions: ['*'] })).toBe(true);
    expect(matches({ resources: ['services'] })).toBe(false);
    expect(matches({ resources: ['services', 'pods'] })).toBe(true);
    expect(matches({ operations: [] })).toBe(false);
  });

  it('tells resources from subresources', () => {
    const status = { subresource: 'status', operation: 'UPDATE' as const };
    expect(matches({ operations: ['*'], resources: ['pods'] }, status)).toBe(false);
    expect(matches({ operations: ['*'], resources: ['pods/status'] }, status)).toBe(true);
    expect(matches({ operations: ['*'], resources: ['pods/*'] }, status)).toBe(true);
    expect(matches({ operations: ['*'], resources: ['*/status'] }, status)).toBe(true);
    expect(matches({ operations: ['*'], resources: ['*/scale'] }, status)).toBe(false);
    // `*` is every resource but none of their subresources; `*/*` everything.
    expect(matches({ operations: ['*'], resources: ['*'] }, status)).toBe(false);
    expect(matches({ operations: ['*'], resources: ['*/*'] }, status)).toBe(true);
    // `pods/*` takes the resource itself too: its `*` matches the empty subresource (rules.go).
    expect(matches({ resources: ['pods/*'] })).toBe(true);
    expect(matches({ resources: ['pods/status'] })).toBe(false);
    expect(matches({ resources: ['*'] })).toBe(true);
  });

  it('checks scope, counting a Namespace as cluster-scoped although it carries its own name as namespace', () => {
    expect(matches({ scope: 'Namespaced' })).toBe(true);
    expect(matches({ scope: 'Cluster' })).toBe(false);
    const node = { resource: { group: '', version: 'v1', resource: 'nodes' }, namespace: '' };
    expect(matches({ scope: 'Cluster', resources: ['nodes'] }, node)).toBe(true);
    expect(matches({ scope: 'Namespaced', resources: ['nodes'] }, node)).toBe(false);
    const ns = {
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      namespace: 'team-a',
      name: 'team-a',
      operation: 'DELETE' as const,
    };
    expect(matches({ scope: 'Cluster', resources: ['namespaces'], operations: ['DELETE'] }, ns)).toBe(true);
    expect(matches({ scope: 'Namespaced', resources: ['namespaces'], operations: ['DELETE'] }, ns)).toBe(false);
    expect(matches({ scope: undefined })).toBe(true);
    expect(matches({ scope: 'Elsewhere' })).toBe(false);
  });
});

describe('shouldCallHook', () => {
  it('returns the invocation with the request resource and kind when a rule matches', async () => {
    const inv = await shouldCallHook(accessor(hook()), podAttrs(), ctx());
    expect(inv).toMatchObject({ resource: { group: '', version: 'v1', resource: 'pods' }, kind: { kind: 'Pod' }, subresource: '' });
    expect(await shouldCallHook(accessor(hook({ rules: [rule({ resources: ['services'] })] })), podAttrs(), ctx())).toBeNull();
  });

  describe('matchPolicy', () => {
    const deployments = {
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    };
    const equivalents = {
      resourcesFor: () => [
        { resource: { group: 'apps', version: 'v1', resource: 'deployments' }, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
        {
          resource: { group: 'extensions', version: 'v1beta1', resource: 'deployments' },
          kind: { group: 'extensions', version: 'v1beta1', kind: 'Deployment' },
        },
      ],
    };
    const oldRule = rule({ apiGroups: ['extensions'], apiVersions: ['v1beta1'], resources: ['deployments'] });

    it('Equivalent sends the request as the equivalent resource a rule names', async () => {
      const inv = await shouldCallHook(accessor(hook({ rules: [oldRule] })), podAttrs(deployments), ctx({ equivalents }));
      expect(inv?.resource).toEqual({ group: 'extensions', version: 'v1beta1', resource: 'deployments' });
      expect(inv?.kind).toEqual({ group: 'extensions', version: 'v1beta1', kind: 'Deployment' });
    });

    it('Exact does not, nor does Equivalent without the hook', async () => {
      expect(
        await shouldCallHook(accessor(hook({ rules: [oldRule], matchPolicy: 'Exact' })), podAttrs(deployments), ctx({ equivalents })),
      ).toBeNull();
      expect(await shouldCallHook(accessor(hook({ rules: [oldRule] })), podAttrs(deployments), ctx())).toBeNull();
    });

    it('prefers a direct match over an equivalent one', async () => {
      const both = [oldRule, rule({ apiGroups: ['apps'], resources: ['deployments'] })];
      const inv = await shouldCallHook(accessor(hook({ rules: both })), podAttrs(deployments), ctx({ equivalents }));
      expect(inv?.resource.group).toBe('apps');
    });
  });

  describe('namespaceSelector', () => {
    const prod = { matchLabels: { env: 'prod' } };

    it('matches the labels of the request namespace, looked up once per dispatch', async () => {
      const c = ctx();
      expect(await shouldCallHook(accessor(hook({ namespaceSelector: prod })), podAttrs(), c)).not.toBeNull();
      expect(await shouldCallHook(accessor(hook({ namespaceSelector: { matchLabels: { env: 'dev' } } })), podAttrs(), c)).toBeNull();
      expect(c.lookups).toEqual(['team-a']);
      const exprs = { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] };
      expect(await shouldCallHook(accessor(hook({ namespaceSelector: exprs })), podAttrs({ namespace: 'team-b' }), ctx())).not.toBeNull();
    });

    it('never exempts cluster-scoped requests other than for Namespaces, and does not look anything up for an empty selector', async () => {
      const node = podAttrs({
        namespace: '',
        kind: { group: '', version: 'v1', kind: 'Node' },
        resource: { group: '', version: 'v1', resource: 'nodes' },
      });
      const c = ctx();
      expect(
        await shouldCallHook(accessor(hook({ namespaceSelector: prod, rules: [rule({ resources: ['nodes'] })] })), node, c),
      ).not.toBeNull();
      expect(await shouldCallHook(accessor(hook()), podAttrs(), c)).not.toBeNull();
      expect(c.lookups).toEqual([]);
    });

    it("reads a Namespace's own new labels on create and update, the stored ones on delete", async () => {
      const nsRule = rule({ operations: ['*'], resources: ['namespaces'] });
      const nsAttrs = (operation: 'CREATE' | 'DELETE', labels: Record<string, string>) =>
        podAttrs({
          operation,
          kind: { group: '', version: 'v1', kind: 'Namespace' },
          resource: { group: '', version: 'v1', resource: 'namespaces' },
          namespace: operation === 'CREATE' ? '' : 'team-b',
          name: 'team-b',
          object: operation === 'CREATE' ? { metadata: { name: 'team-b', labels } } : null,
        });
      const h = accessor(hook({ namespaceSelector: prod, rules: [nsRule] }));
      const c = ctx();
      expect(await shouldCallHook(h, nsAttrs('CREATE', { env: 'prod' }), c)).not.toBeNull();
      expect(await shouldCallHook(h, nsAttrs('CREATE', { env: 'dev' }), c)).toBeNull();
      expect(c.lookups).toEqual([]);
      expect(await shouldCallHook(h, nsAttrs('DELETE', {}), c)).toBeNull();
      expect(c.lookups).toEqual(['team-b']);
    });

    it('fails with 404 for a missing namespace, only when a rule matches too', async () => {
      const c = ctx();
      const err = await shouldCallHook(accessor(hook({ namespaceSelector: prod })), podAttrs({ namespace: 'gone' }), c).catch((e) => e);
      expect(err).toBeInstanceOf(StatusError);
      expect(err).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "gone" not found' });
      const other = accessor(hook({ namespaceSelector: prod, rules: [rule({ resources: ['services'] })] }));
      expect(await shouldCallHook(other, podAttrs({ namespace: 'gone' }), ctx())).toBeNull();
    });

    it('turns a lookup failure into an internal error, and an invalid operator into its text', async () => {
      const failing = ctx({
        namespaceLabels: () => {
          throw new Error('store closed');
        },
      });
      await expect(shouldCallHook(accessor(hook({ namespaceSelector: prod })), podAttrs(), failing)).rejects.toMatchObject({
        code: 500,
        message: 'Internal error occurred: store closed',
      });
      const bad = { matchExpressions: [{ key: 'env', operator: 'Like', values: ['x'] }] };
      await expect(shouldCallHook(accessor(hook({ namespaceSelector: bad })), podAttrs(), ctx())).rejects.toMatchObject({
        code: 500,
        message: 'Internal error occurred: "Like" is not a valid label selector operator',
      });
    });
  });

  describe('objectSelector', () => {
    const web = { matchLabels: { app: 'web' } };
    it('matches the object or the old object', async () => {
      expect(await shouldCallHook(accessor(hook({ objectSelector: web })), podAttrs(), ctx())).not.toBeNull();
      const del = podAttrs({ operation: 'DELETE', object: null, oldObject: { metadata: { labels: { app: 'web' } } } });
      expect(
        await shouldCallHook(accessor(hook({ objectSelector: web, rules: [rule({ operations: ['DELETE'] })] })), del, ctx()),
      ).not.toBeNull();
      const relabel = podAttrs({ operation: 'UPDATE', object: { metadata: { labels: { app: 'db' } } }, oldObject: { metadata: {} } });
      expect(
        await shouldCallHook(accessor(hook({ objectSelector: web, rules: [rule({ operations: ['UPDATE'] })] })), relabel, ctx()),
      ).toBeNull();
      const none = podAttrs({ object: { metadata: {} } });
      expect(
        await shouldCallHook(
          accessor(hook({ objectSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } })),
          none,
          ctx(),
        ),
      ).not.toBeNull();
    });
  });

  describe('matchConditions', () => {
    const conditions = [
      { name: 'not-system', expression: "!request.userInfo.username.startsWith('system:')" },
      { name: 'labelled', expression: 'has(object.metadata.labels)' },
    ];
    const evaluator = (results: (boolean | string)[], seen: MatchConditionInput[] = []): MatchConditionEvaluator => ({
      evaluate: (input) => {
        seen.push(input);
        return input.conditions.map((c, i) =>
          typeof results[i] === 'string' ? { name: c.name, error: results[i] as string } : { name: c.name, value: results[i] as boolean },
        );
      },
    });

    it('calls the webhook when every condition is true, with the request CEL sees', async () => {
      const seen: MatchConditionInput[] = [];
      const c = ctx({
        matchConditions: evaluator([true, true], seen),
        versioned: async () => ({ object: { metadata: { name: 'web' } }, oldObject: null }),
      });
      expect(await shouldCallHook(accessor(hook({ matchConditions: conditions })), podAttrs(), c)).not.toBeNull();
      expect(seen[0]).toMatchObject({
        webhookName: 'check.example.com',
        configurationName: 'cfg',
        object: { metadata: { name: 'web' } },
        request: {
          operation: 'CREATE',
          name: 'web',
          namespace: 'team-a',
          userInfo: { username: 'alice', groups: ['devs'] },
          dryRun: false,
        },
      });
      expect(seen[0]!.request).not.toHaveProperty('uid');
    });

    it('skips it when any is false, even beside errors', async () => {
      expect(
        await shouldCallHook(
          accessor(hook({ matchConditions: conditions })),
          podAttrs(),
          ctx({ matchConditions: evaluator([true, false]) }),
        ),
      ).toBeNull();
      expect(
        await shouldCallHook(
          accessor(hook({ matchConditions: conditions })),
          podAttrs(),
          ctx({ matchConditions: evaluator(['no such key: x', false]) }),
        ),
      ).toBeNull();
    });

    it('fails on errors with failurePolicy Fail (403 with the errors), skips with Ignore', async () => {
      const err = await shouldCallHook(
        accessor(hook({ matchConditions: conditions })),
        podAttrs(),
        ctx({ matchConditions: evaluator(['no such key: labels', true]) }),
      ).catch((e) => e);
      expect(err).toMatchObject({ code: 403, reason: 'Forbidden', message: 'pods "web" is forbidden: no such key: labels' });
      const two = await shouldCallHook(
        accessor(hook({ matchConditions: conditions })),
        podAttrs(),
        ctx({ matchConditions: evaluator(['a', 'b']) }),
      ).catch((e) => e);
      expect(two.message).toBe('pods "web" is forbidden: [a, b]');
      expect(
        await shouldCallHook(
          accessor(hook({ matchConditions: conditions, failurePolicy: 'Ignore' })),
          podAttrs(),
          ctx({ matchConditions: evaluator(['a', true]) }),
        ),
      ).toBeNull();
      const throwing = { evaluate: () => Promise.reject(new Error('compilation failed')) };
      await expect(
        shouldCallHook(accessor(hook({ matchConditions: conditions })), podAttrs(), ctx({ matchConditions: throwing })),
      ).rejects.toMatchObject({
        message: 'pods "web" is forbidden: compilation failed',
      });
    });
  });
});

describe('webhook order and the fast path', () => {
  const cfg = (name: string, hooks: string[]): MutatingWebhookConfiguration => ({
    metadata: { name },
    webhooks: hooks.map((h) => ({ ...hook({ name: h }), reinvocationPolicy: 'Never' })),
  });

  it('walks configurations by name, then webhooks as listed', () => {
    const order = webhookAccessors([cfg('b', ['b1.x.io', 'b2.x.io']), cfg('a', ['a2.x.io', 'a1.x.io'])]).map((w) => w.uid);
    expect(order).toEqual(['a/a2.x.io/0', 'a/a1.x.io/1', 'b/b1.x.io/0', 'b/b2.x.io/1']);
  });

  it('exempts admission configuration kinds', () => {
    expect(
      isExemptAdmissionConfigurationResource({
        group: 'admissionregistration.k8s.io',
        version: 'v1',
        kind: 'ValidatingWebhookConfiguration',
      }),
    ).toBe(true);
    expect(
      isExemptAdmissionConfigurationResource({
        group: 'admissionregistration.k8s.io',
        version: 'v1',
        kind: 'ValidatingAdmissionPolicyBinding',
      }),
    ).toBe(true);
    expect(isExemptAdmissionConfigurationResource({ group: '', version: 'v1', kind: 'Pod' })).toBe(false);
  });

  it('anyWebhookMayMatch reads rules only, any group and version under Equivalent', () => {
    const pods = { group: '', version: 'v1', resource: 'pods' };
    const configs = [cfg('a', ['a.x.io'])];
    expect(anyWebhookMayMatch(configs, pods, 'CREATE')).toBe(true);
    expect(anyWebhookMayMatch(configs, pods, 'DELETE')).toBe(false);
    expect(anyWebhookMayMatch(configs, { group: '', version: 'v1', resource: 'services' }, 'CREATE')).toBe(false);
    expect(anyWebhookMayMatch(configs, pods, 'CREATE', 'status')).toBe(false);
    expect(anyWebhookMayMatch(configs, pods, 'CREATE', '')).toBe(true);
    const statusOnly: MutatingWebhookConfiguration = {
      metadata: { name: 's' },
      webhooks: [{ ...hook({ rules: [rule({ resources: ['pods/status'] })] }) }],
    };
    expect(anyWebhookMayMatch([statusOnly], pods, 'CREATE', '')).toBe(false);
    // Without a subresource, a rule for any subresource of the resource counts.
    expect(anyWebhookMayMatch([statusOnly], pods, 'CREATE')).toBe(true);
    expect(anyWebhookMayMatch(configs, { group: 'other.io', version: 'v9', resource: 'pods' }, 'CREATE')).toBe(true);
    const exact: MutatingWebhookConfiguration = { metadata: { name: 'e' }, webhooks: [{ ...hook({ matchPolicy: 'Exact' }) }] };
    expect(anyWebhookMayMatch([exact], { group: 'other.io', version: 'v9', resource: 'pods' }, 'CREATE')).toBe(false);
    expect(anyWebhookMayMatch([], pods, 'CREATE')).toBe(false);
  });
});
