// ServiceAccount tokens end to end: `kubectl create token` (TokenRequest) and `kubectl --token`,
// what makes a token stop working (expiry, signature, a deleted Pod or ServiceAccount), the
// kube-root-ca.crt ConfigMap of every namespace, and the ServiceAccount admission of Pods
// (the kube-api-access projected volume and its mounts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';
import { loadOrCreateSigningKey } from '../../src/auth/tokens.js';
import { allResourceDefs } from '../../src/registry/kinds.js';

const ISS = 'https://kubernetes.default.svc.cluster.local';
const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 300, maxMs: 2000 } });
});
afterAll(async () => {
  await tc?.stop();
});

const apply = (yaml: string, o: { allowFail?: boolean } = {}) => tc.kubectl(['apply', '-f', '-'], { input: yaml, ...o });
const getJSON = async (...args: string[]) => JSON.parse((await tc.kubectl(['get', ...args, '-o', 'json'])).stdout);
const createToken = async (...args: string[]) => (await tc.kubectl(['create', 'token', ...args])).stdout.trim();
/** `kubectl --token T get pods -n NS`: the exit code and stderr. */
const useToken = async (token: string, ns = 'default') => {
  const r = await tc.kubectl(['--token', token, 'get', 'pods', '-n', ns], { allowFail: true });
  return { code: r.code, stderr: r.stderr.trim() };
};
const status = async (token: string) => (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods', { token })).status;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A JWT with these claims, signed with `key` (default: the in-memory cluster's own key). */
const signed = (claims: object, key: KeyObject = loadOrCreateSigningKey(undefined), header: object = { alg: 'ES256' }) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
const runningPod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
  - name: main
    image: local/sleep
    command: ["sleep", "1000"]
`;

describe('kubectl create token', () => {
  it('prints a token that `kubectl --token` authenticates with; the TokenRequest carries the defaults', async () => {
    const token = await createToken('default');
    expect(await useToken(token)).toEqual({ code: 0, stderr: 'No resources found in default namespace.' });
    const c = claimsOf(token);
    const sa = await getJSON('serviceaccount', 'default');
    expect(c).toMatchObject({
      iss: ISS,
      aud: [ISS],
      sub: 'system:serviceaccount:default:default',
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata.uid } },
    });
    expect(c.exp - c.iat).toBe(3600);

    const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
    });
    expect(r.status).toBe(201);
    const tr = r.json();
    expect(tr).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'default', namespace: 'default' },
      spec: { audiences: [ISS], expirationSeconds: 3600, boundObjectRef: null },
    });
    expect(Date.parse(tr.status.expirationTimestamp) / 1000).toBe(claimsOf(tr.status.token).exp);
    expect(Date.parse(tr.metadata.creationTimestamp)).toBeLessThanOrEqual(Date.now());
  });

  it('refuses too short durations, unknown ServiceAccounts and bad bound objects with upstream messages', async () => {
    const short = await tc.kubectl(['create', 'token', 'default', '--duration=5m'], { allowFail: true });
    expect(short.code).not.toBe(0);
    expect(short.stderr.trim()).toBe(
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes',
    );
    const missing = await tc.kubectl(['create', 'token', 'nobody'], { allowFail: true });
    expect(missing.stderr.trim()).toBe('error: failed to create token: serviceaccounts "nobody" not found');
    const nopod = await tc.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'ghost'], {
      allowFail: true,
    });
    expect(nopod.stderr.trim()).toBe('error: failed to create token: pods "ghost" not found');

    const post = (body: object, sa = 'default') =>
      api(tc.cluster, 'POST', `/api/v1/namespaces/default/serviceaccounts/${sa}/token`, { body });
    const nowhere = await api(tc.cluster, 'POST', '/api/v1/namespaces/nowhere/serviceaccounts/default/token', { body: {} });
    expect([nowhere.status, nowhere.json().message]).toEqual([404, 'namespaces "nowhere" not found']);
    const long = await post({ spec: { expirationSeconds: 2 ** 32 + 1 } });
    expect(long.status).toBe(422);
    expect(long.json().message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
    );
    const cm = await post({ spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'kube-root-ca.crt' } } });
    expect(cm.status).toBe(400);
    expect(cm.json().message).toBe('cannot bind token to object of type /v1, Kind=ConfigMap');
    const name = await post({ metadata: { name: 'other' }, spec: {} });
    expect(name.status).toBe(422);
    expect(name.json().message).toBe(
      'TokenRequest.authentication.k8s.io "default" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
    );

    await tc.kubectl(['create', 'serviceaccount', 'worker']);
    await apply(runningPod('as-worker', '  serviceAccountName: worker\n'));
    const wrongSA = await post({ spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'as-worker' } } });
    expect(wrongSA.status).toBe(400);
    expect(wrongSA.json().message).toBe(
      'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.',
    );
    const wrongUID = await post(
      { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'as-worker', uid: 'not-the-uid' } } },
      'worker',
    );
    expect(wrongUID.status).toBe(409);
    expect(wrongUID.json().message).toBe(
      'Operation cannot be fulfilled on Pod "as-worker": the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated',
    );
    await tc.kubectl(['delete', 'pod', 'as-worker', '--grace-period=0', '--force'], { allowFail: true });
  });

  it('is listed in discovery as serviceaccounts/token (authentication.k8s.io/v1 TokenRequest, create)', async () => {
    const list = (await api(tc.cluster, 'GET', '/api/v1')).json();
    expect(list.resources.find((r: { name: string }) => r.name === 'serviceaccounts/token')).toEqual({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  });
});

describe('tokens that do not authenticate', () => {
  it('garbage, expired, not yet valid, wrongly signed, alg none, another issuer or audience: 401 Status', async () => {
    const good = await createToken('default');
    const c = claimsOf(good);
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      garbage: 'not-a-token',
      expired: signed({ ...c, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
      notYetValid: signed({ ...c, nbf: now + 3600 }),
      wrongSignature: signed(c, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      algNone: `${b64({ alg: 'none' })}.${b64(c)}.`,
      otherIssuer: signed({ ...c, iss: 'https://issuer.example' }),
      audienceOnlyForVault: await createToken('default', '--audience', 'vault'),
    };
    expect(await status(signed(c))).toBe(200); // the forging helper itself makes good tokens
    for (const [what, token] of Object.entries(bad)) {
      const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods', { token });
      expect({ what, status: r.status }).toEqual({ what, status: 401 });
      expect(r.json()).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    expect(await useToken(bad.expired)).toEqual({ code: 1, stderr: 'error: You must be logged in to the server (Unauthorized)' });
  });

  it('a token bound to a Pod works while the Pod exists and stops when it is deleted', async () => {
    await apply(runningPod('bound'));
    const pod = await getJSON('pod', 'bound');
    const token = await createToken('default', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound');
    expect(claimsOf(token)['kubernetes.io'].pod).toEqual({ name: 'bound', uid: pod.metadata.uid });
    expect((await useToken(token)).code).toBe(0);
    await tc.kubectl(['delete', 'pod', 'bound']); // waits until it is gone
    expect(await useToken(token)).toEqual({ code: 1, stderr: 'error: You must be logged in to the server (Unauthorized)' });
    // A new Pod of the same name is another Pod.
    await apply(runningPod('bound'));
    expect(await status(token)).toBe(401);
    await tc.kubectl(['delete', 'pod', 'bound', '--grace-period=0', '--force'], { allowFail: true });
  });

  it('a token of a ServiceAccount stops when the ServiceAccount is deleted, also when one of the same name comes back', async () => {
    await tc.kubectl(['create', 'serviceaccount', 'bot']);
    const token = await createToken('bot');
    expect((await useToken(token)).code).toBe(0);
    await tc.kubectl(['delete', 'serviceaccount', 'bot']);
    expect(await status(token)).toBe(401);
    await tc.kubectl(['create', 'serviceaccount', 'bot']);
    expect(await status(token)).toBe(401);
    expect((await useToken(await createToken('bot'))).code).toBe(0);
  });

  it('a token bound to a Secret or a Node lives as long as that object', async () => {
    await tc.kubectl(['create', 'secret', 'generic', 'holder', '--from-literal=a=b']);
    const bySecret = await createToken('default', '--bound-object-kind', 'Secret', '--bound-object-name', 'holder');
    expect(claimsOf(bySecret)['kubernetes.io'].secret.name).toBe('holder');
    expect(await status(bySecret)).toBe(200);
    await tc.kubectl(['delete', 'secret', 'holder']);
    expect(await status(bySecret)).toBe(401);

    const node = (await getJSON('nodes')).items[0];
    const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
      body: { spec: { boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: node.metadata.name } } },
    });
    expect(r.status).toBe(201);
    expect(claimsOf(r.json().status.token)['kubernetes.io'].node).toEqual({ name: node.metadata.name, uid: node.metadata.uid });
    expect(await status(r.json().status.token)).toBe(200);
  });
});

describe('kube-root-ca.crt', () => {
  it('appears in a new namespace with the cluster CA and is restored after delete and after edits', async () => {
    await tc.kubectl(['create', 'namespace', 'rootca']);
    const get = () => getJSON('configmap', 'kube-root-ca.crt', '-n', 'rootca');
    const first = await until(() => get().catch(() => undefined));
    expect(first.data).toEqual({ 'ca.crt': tc.cluster.caCert });
    expect(first.metadata.annotations).toEqual({ 'kubernetes.io/description': DESCRIPTION });

    await tc.kubectl(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'rootca']);
    const again = await until(async () => {
      const cm = await get().catch(() => undefined);
      return cm && cm.metadata.uid !== first.metadata.uid ? cm : undefined;
    });
    expect(again.data).toEqual({ 'ca.crt': tc.cluster.caCert });

    await tc.kubectl([
      'patch',
      'configmap',
      'kube-root-ca.crt',
      '-n',
      'rootca',
      '--type=merge',
      '-p',
      '{"data":{"ca.crt":"tampered","extra":"x"}}',
    ]);
    await until(async () => {
      const cm = await get();
      return cm.data['ca.crt'] === tc.cluster.caCert && cm.data.extra === undefined;
    });
    await tc.kubectl(['annotate', 'configmap', 'kube-root-ca.crt', '-n', 'rootca', 'kubernetes.io/description-', 'team=platform']);
    const restored = await until(async () => {
      const cm = await get();
      return cm.metadata.annotations?.['kubernetes.io/description'] ? cm : undefined;
    });
    expect(restored.metadata.annotations).toEqual({ 'kubernetes.io/description': DESCRIPTION, team: 'platform' });
  });
});

describe('ServiceAccount admission of Pods', () => {
  const tokenVolume = {
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  };

  it('adds the kube-api-access volume and a read-only mount to every container and init container', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: mounted}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - {name: init, image: local/x, command: ["true"]}
  containers:
  - name: main
    image: local/x
    command: ["sh", "-c", "cat ${MOUNT}/token; echo; cat ${MOUNT}/namespace; echo; sleep 1000"]
  - name: own
    image: local/x
    command: ["sleep", "1000"]
    volumeMounts: [{name: scratch, mountPath: ${MOUNT}}]
  volumes:
  - {name: scratch, emptyDir: {}}
`);
    const p = await getJSON('pod', 'mounted');
    const vol = p.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(vol.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(p.spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: vol.name, ...tokenVolume },
    ]);
    const mount = { name: vol.name, readOnly: true, mountPath: MOUNT };
    expect(p.spec.initContainers[0].volumeMounts).toEqual([mount]);
    expect(p.spec.containers[0].volumeMounts).toEqual([mount]);
    // A container that mounts something of its own at that path keeps it.
    expect(p.spec.containers[1].volumeMounts).toEqual([{ name: 'scratch', mountPath: MOUNT }]);

    // The token the node agent wrote is a Pod-bound, extended kubelet token that authenticates.
    const out = await until(async () => {
      const l = (await tc.kubectl(['logs', 'mounted', '-c', 'main'], { allowFail: true })).stdout;
      return l.includes('\ndefault') ? l : undefined;
    }, 20_000);
    const token = out.split('\n')[0]!;
    const c = claimsOf(token);
    const node = await getJSON('node', p.spec.nodeName);
    expect(c['kubernetes.io']).toMatchObject({
      namespace: 'default',
      pod: { name: 'mounted', uid: p.metadata.uid },
      node: { name: p.spec.nodeName, uid: node.metadata.uid },
    });
    expect(c['kubernetes.io'].warnafter).toBe(c.iat + 3607);
    expect(c.exp - c.iat).toBe(365 * 24 * 3600);
    expect((await useToken(token)).code).toBe(0);
    await tc.kubectl(['delete', 'pod', 'mounted']);
    expect(await status(token)).toBe(401);
  });

  it('skips it when automountServiceAccountToken is false on the Pod or on its ServiceAccount (the Pod wins)', async () => {
    await apply(`apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet}
automountServiceAccountToken: false
imagePullSecrets: [{name: registry}]
`);
    await apply(runningPod('no-automount', '  automountServiceAccountToken: false\n'));
    await apply(runningPod('quiet-sa', '  serviceAccountName: quiet\n'));
    await apply(runningPod('quiet-sa-but-pod-wants', '  serviceAccountName: quiet\n  automountServiceAccountToken: true\n'));
    const a = await getJSON('pod', 'no-automount');
    expect(a.spec.volumes).toBeUndefined();
    expect(a.spec.containers[0].volumeMounts).toBeUndefined();
    const b = await getJSON('pod', 'quiet-sa');
    expect(b.spec.volumes).toBeUndefined();
    expect(b.spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
    const d = await getJSON('pod', 'quiet-sa-but-pod-wants');
    expect(d.spec.volumes).toHaveLength(1);
    expect(d.spec.containers[0].volumeMounts[0].mountPath).toBe(MOUNT);
    await tc.kubectl(['delete', 'pod', 'no-automount', 'quiet-sa', 'quiet-sa-but-pod-wants', '--grace-period=0', '--force'], {
      allowFail: true,
    });
  });

  it('keeps a kube-api-access volume the Pod already has (a re-applied manifest)', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: reapplied}
spec:
  containers:
  - name: main
    image: local/x
    command: ["sleep", "1000"]
    volumeMounts: [{name: kube-api-access-abcde, mountPath: ${MOUNT}, readOnly: true}]
  - name: second
    image: local/x
    command: ["sleep", "1000"]
  volumes:
  - name: kube-api-access-abcde
    projected:
      sources:
      - serviceAccountToken: {expirationSeconds: 3607, path: token}
`);
    const p = await getJSON('pod', 'reapplied');
    expect(p.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['kube-api-access-abcde']);
    expect(p.spec.containers[1].volumeMounts).toEqual([{ name: 'kube-api-access-abcde', readOnly: true, mountPath: MOUNT }]);
    await tc.kubectl(['delete', 'pod', 'reapplied', '--grace-period=0', '--force'], { allowFail: true });
  });

  it("refuses a Pod naming a missing ServiceAccount with upstream's 403", async () => {
    const r = await apply(runningPod('orphan', '  serviceAccountName: missing\n'), { allowFail: true });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "orphan" is forbidden: error looking up service account default/missing: serviceaccount "missing" not found',
    );
    const raw = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', {
      body: { metadata: { name: 'orphan' }, spec: { serviceAccountName: 'missing', containers: [{ name: 'c', image: 'x' }] } },
    });
    expect(raw.status).toBe(403);
    expect(raw.json()).toMatchObject({ reason: 'Forbidden', details: { name: 'orphan', kind: 'pods' } });
  });

  it('tolerates a default ServiceAccount that is not there yet (created right after the namespace)', async () => {
    // Namespace and Pod in one event-loop turn: the serviceaccount controller has not run yet.
    const def = (plural: string) => allResourceDefs().find((d) => d.group === '' && d.plural === plural)!;
    const { registry, store } = tc.cluster;
    registry.create(def('namespaces'), '', { metadata: { name: 'fresh' } });
    expect(store.get('serviceaccounts', 'fresh', 'default')).toBeUndefined();
    const created = registry.create(def('pods'), 'fresh', {
      metadata: { name: 'early' },
      spec: { containers: [{ name: 'c', image: 'x', command: ['sleep', '1000'] }] },
    }).object;
    expect((created.spec as { volumes: { name: string }[] }).volumes[0]!.name).toMatch(/^kube-api-access-/);
    await until(
      () =>
        tc
          .kubectl(['wait', '--for=condition=Ready', 'pod/early', '-n', 'fresh', '--timeout=20s'], { allowFail: true })
          .then((r) => r.code === 0),
      25_000,
    );
    await tc.kubectl(['delete', 'pod', 'early', '-n', 'fresh', '--grace-period=0', '--force'], { allowFail: true });
  });
});

describe('with a data dir', () => {
  it('keeps the signing key in pki/sa.key (0600): tokens survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-sa-'));
    let c = await startTestCluster({ dataDir });
    try {
      const token = (await c.kubectl(['create', 'token', 'default'])).stdout.trim();
      expect(statSync(join(dataDir, 'pki', 'sa.key')).mode & 0o777).toBe(0o600);
      await c.stop();
      c = await startTestCluster({ dataDir });
      expect((await c.kubectl(['--token', token, 'get', 'pods'])).code).toBe(0);
    } finally {
      await c.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
