// The dispatchers' logic without a network (src/registry/admission/dispatcher.ts with its `post`
// replaced): webhooks matched through an equivalent resource get the object in their version and
// the request gets it back in its own, matchConditions decide calls, validating webhooks run
// together and the first failure to come back wins, audit annotations keep their first value, a
// v1beta1 review, and patch decoding errors.
import { describe, expect, it } from 'vitest';
import type { MutatingWebhook, ValidatingWebhook } from '../../src/api/generated/admissionregistration/v1.js';
import { createWebhookDispatcher, type WebhookDispatcherOptions } from '../../src/registry/admission/dispatcher.js';
import type { WebhookEndpoint } from '../../src/registry/admission/webhook-client.js';
import type { AdmissionAttributes, AdmissionReview } from '../../src/registry/admission/types.js';

type Handler = (review: AdmissionReview, endpoint: WebhookEndpoint) => object | Promise<object>;

/** A dispatcher whose webhooks are functions by URL path; records what each was sent. */
function dispatcherWith(handlers: Record<string, Handler>, over: Partial<WebhookDispatcherOptions> = {}) {
  const calls: { path: string; review: AdmissionReview }[] = [];
  const d = createWebhookDispatcher({
    resolveService: () => '127.0.0.1:1',
    namespaceLabels: () => ({}),
    post: async (endpoint, body) => {
      const review = JSON.parse(body) as AdmissionReview;
      calls.push({ path: endpoint.path, review });
      const out = await handlers[endpoint.path]!(review, endpoint);
      return { statusCode: 200, contentType: 'application/json', body: Buffer.from(JSON.stringify(out)) };
    },
    ...over,
  });
  return { d, calls };
}

const ok = (r: AdmissionReview, extra: object = {}) => ({
  apiVersion: r.apiVersion,
  kind: 'AdmissionReview',
  response: { uid: r.request!.uid, allowed: true, ...extra },
});
const patchOf = (ops: object[]) => ({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

const hook = (name: string, path: string, over: Partial<MutatingWebhook> = {}): MutatingWebhook & ValidatingWebhook => ({
  name,
  clientConfig: { url: `https://127.0.0.1:1${path}` },
  rules: [{ operations: ['*'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  failurePolicy: 'Fail',
  matchPolicy: 'Equivalent',
  reinvocationPolicy: 'Never',
  timeoutSeconds: 10,
  ...over,
});

const attrs = (): AdmissionAttributes => ({
  operation: 'CREATE',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subresource: '',
  namespace: 'default',
  name: 'web',
  object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } },
  oldObject: null,
  userInfo: { username: 'alice', groups: [] },
  dryRun: false,
  options: null,
});

describe('equivalent resources', () => {
  const equivalents = {
    resourcesFor: () => [
      { resource: { group: 'apps', version: 'v1', resource: 'deployments' }, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
      {
        resource: { group: 'apps', version: 'v1beta2', resource: 'deployments' },
        kind: { group: 'apps', version: 'v1beta2', kind: 'Deployment' },
      },
    ],
  };
  const v1beta2 = hook('old.example.com', '/old', {
    rules: [{ operations: ['*'], apiGroups: ['apps'], apiVersions: ['v1beta2'], resources: ['deployments'] }],
  });

  it('sends the object converted to the version the rule names, and returns the patched one in the request version', async () => {
    const conversions: string[] = [];
    const { d, calls } = dispatcherWith(
      { '/old': (r) => ok(r, patchOf([{ op: 'replace', path: '/spec/replicas', value: 3 }])) },
      {
        equivalents,
        convert: (o, to) => {
          conversions.push(`${o.apiVersion} -> ${to.version}`);
          return { ...o, apiVersion: `${to.group}/${to.version}` };
        },
      },
    );
    const out = await d.mutate([{ metadata: { name: 'm' }, webhooks: [v1beta2] }], attrs());
    expect(calls[0]!.review.request).toMatchObject({
      kind: { group: 'apps', version: 'v1beta2', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1beta2', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      object: { apiVersion: 'apps/v1beta2' },
    });
    expect(out.object).toMatchObject({ apiVersion: 'apps/v1', spec: { replicas: 3 } });
    expect(conversions).toEqual(['apps/v1 -> v1beta2', 'apps/v1beta2 -> v1']);
  });

  it('does not match the other version with matchPolicy Exact', async () => {
    const { d, calls } = dispatcherWith({ '/old': (r) => ok(r) }, { equivalents });
    await d.validate([{ metadata: { name: 'v' }, webhooks: [{ ...v1beta2, matchPolicy: 'Exact' }] }], attrs());
    expect(calls).toHaveLength(0);
  });
});

describe('dispatching', () => {
  it('lets matchConditions decide, with the object the webhook would get', async () => {
    const { d, calls } = dispatcherWith(
      { '/a': (r) => ok(r) },
      {
        matchConditions: {
          evaluate: (input) =>
            input.conditions.map((c) => ({ name: c.name, value: (input.object?.spec as { replicas: number }).replicas > 1 })),
        },
      },
    );
    const h = hook('a.example.com', '/a', { matchConditions: [{ name: 'big', expression: 'object.spec.replicas > 1' }] });
    await d.validate([{ metadata: { name: 'v' }, webhooks: [h] }], attrs());
    expect(calls).toHaveLength(0);
    const big = attrs();
    (big.object!.spec as { replicas: number }).replicas = 5;
    await d.validate([{ metadata: { name: 'v' }, webhooks: [h] }], big);
    expect(calls).toHaveLength(1);
  });

  it('calls validating webhooks together and fails with the first failure to come back', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const { d } = dispatcherWith({
      '/slow': async (r) => {
        started.push('slow');
        await slow;
        return { ...ok(r), response: { uid: r.request!.uid, allowed: false, status: { message: 'slow says no' } } };
      },
      '/fast': (r) => {
        started.push('fast');
        release();
        return { ...ok(r), response: { uid: r.request!.uid, allowed: false, status: { message: 'fast says no' } } };
      },
    });
    const err = await d
      .validate([{ metadata: { name: 'v' }, webhooks: [hook('slow.example.com', '/slow'), hook('fast.example.com', '/fast')] }], attrs())
      .then(
        () => new Error('expected a denial'),
        (e: Error) => e,
      );
    // Both were asked before either answered, and the one that answered first decides.
    expect(started).toEqual(['slow', 'fast']);
    expect(err.message).toBe('admission webhook "fast.example.com" denied the request: fast says no');
  });

  it('looks the namespace up once per request, however many webhooks select on it', async () => {
    const lookups: string[] = [];
    const { d, calls } = dispatcherWith(
      { '/a': (r) => ok(r), '/b': (r) => ok(r) },
      {
        namespaceLabels: (ns) => {
          lookups.push(ns);
          return { team: 'web' };
        },
      },
    );
    const sel = { namespaceSelector: { matchLabels: { team: 'web' } } };
    const webhooks = [hook('a.example.com', '/a', sel), hook('b.example.com', '/b', sel)];
    await d.mutate([{ metadata: { name: 'm' }, webhooks }], attrs());
    expect(lookups).toEqual(['default']);
    await d.validate([{ metadata: { name: 'v' }, webhooks }], attrs());
    expect(lookups).toEqual(['default', 'default']);
    expect(calls).toHaveLength(4);
  });

  it('keeps the first value of an audit annotation key', async () => {
    const { d } = dispatcherWith({
      '/one': (r) => ok(r, { auditAnnotations: { k: 'first' } }),
      '/two': (r) => ok(r, { auditAnnotations: { k: 'second' } }),
    });
    const same = (path: string) => hook('same.example.com', path);
    const out = await d.mutate(
      [
        { metadata: { name: 'a' }, webhooks: [same('/one')] },
        { metadata: { name: 'b' }, webhooks: [same('/two')] },
      ],
      attrs(),
    );
    expect(out.annotations['same.example.com/k']).toBe('first');
  });

  it('speaks v1beta1 to a webhook that only accepts it', async () => {
    const { d, calls } = dispatcherWith({
      '/beta': (r) => ({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        response: { uid: 'anything', allowed: true, patch: patchOf([{ op: 'add', path: '/metadata/labels', value: { b: '1' } }]).patch },
      }),
    });
    const out = await d.mutate(
      [{ metadata: { name: 'm' }, webhooks: [hook('beta.example.com', '/beta', { admissionReviewVersions: ['v1beta1'] })] }],
      attrs(),
    );
    expect(calls[0]!.review.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(out.object?.metadata?.labels).toEqual({ b: '1' });
  });

  it('words undecodable patches and unknown patch types as upstream', async () => {
    const { d } = dispatcherWith({
      '/obj': (r) => ok(r, { patchType: 'JSONPatch', patch: Buffer.from('{"op":"add"}').toString('base64') }),
      '/syntax': (r) => ok(r, { patchType: 'JSONPatch', patch: Buffer.from('[{').toString('base64') }),
      '/merge': (r) => ok(r, { patchType: 'MergePatch', ...{ patch: patchOf([{ op: 'add', path: '/a', value: 1 }]).patch } }),
    });
    const fail = (path: string) =>
      d.mutate([{ metadata: { name: 'm' }, webhooks: [hook('p.example.com', path)] }], attrs()).then(
        () => '',
        (e: Error) => e.message,
      );
    expect(await fail('/obj')).toBe(
      'Internal error occurred: failed calling webhook "p.example.com": received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
    expect(await fail('/syntax')).toBe(
      'Internal error occurred: failed calling webhook "p.example.com": received undecodable patch in webhook response: unexpected end of JSON input',
    );
    expect(await fail('/merge')).toBe(
      'Internal error occurred: failed calling webhook "p.example.com": unsupported patch type "MergePatch"',
    );
  });

  it('hands a patched object to normalizePatched before the next webhook, and counts only real changes', async () => {
    const { d, calls } = dispatcherWith(
      {
        '/noop': (r) => ok(r, patchOf([{ op: 'add', path: '/status', value: {} }])),
        '/again': (r) => ok(r),
      },
      {
        // Drops what the kind does not keep, as decoding into the type would.
        normalizePatched: (o) => {
          const { status: _status, ...rest } = o;
          return rest;
        },
      },
    );
    const out = await d.mutate(
      [
        {
          metadata: { name: 'm' },
          webhooks: [hook('again.example.com', '/again', { reinvocationPolicy: 'IfNeeded' }), hook('noop.example.com', '/noop')],
        },
      ],
      attrs(),
    );
    expect(out.object).not.toHaveProperty('status');
    expect(JSON.parse(out.annotations['mutation.webhook.admission.k8s.io/round_0_index_1']!).mutated).toBe(false);
    // Nothing changed, so nothing is reinvoked.
    expect(calls.map((c) => c.path)).toEqual(['/again', '/noop']);
  });
});
