// What clients other than our own compare with upstream: unconditional updates (PUT with
// resourceVersion "0" or none), the immortal system namespaces, Status key order, the error a
// patch that breaks an object's types gets, the in-cluster API variables and probe texts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer } from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ nodeName: 'parity-node' });
});
afterAll(async () => {
  await tc?.stop();
});

const json = async (...args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);

describe('unconditional update', () => {
  it('kubectl replace of a saved object with resourceVersion "0" overwrites it (AllowUnconditionalUpdate)', async () => {
    await tc.kubectl(['create', 'configmap', 'saved', '--from-literal=a=1']);
    const saved = await json('get', 'configmap', 'saved');
    await tc.kubectl(['patch', 'configmap', 'saved', '-p', '{"data":{"a":"2"}}']);
    saved.metadata.resourceVersion = '0';
    saved.data = { a: 'replaced' };
    const r = await tc.kubectl(['replace', '-f', '-'], { input: JSON.stringify(saved), allowFail: true });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('configmap/saved replaced');
    expect((await json('get', 'configmap', 'saved')).data).toEqual({ a: 'replaced' });
    // No resourceVersion at all is the same.
    delete saved.metadata.resourceVersion;
    saved.data = { a: 'again' };
    const put = await api(tc.cluster, 'PUT', '/api/v1/namespaces/default/configmaps/saved', { body: saved });
    expect(put.status).toBe(200);
    expect(put.json().data).toEqual({ a: 'again' });
    // A stale, non-zero resourceVersion is still a conflict.
    saved.metadata.resourceVersion = '1';
    const stale = await api(tc.cluster, 'PUT', '/api/v1/namespaces/default/configmaps/saved', { body: saved });
    expect(stale.status).toBe(409);
  });

  it('kinds whose strategy forbids it (Lease) answer 422 "must be specified for an update"', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1' }, spec: { holderIdentity: 'a' } };
    expect((await api(tc.cluster, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { body: lease })).status).toBe(201);
    for (const rv of ['0', undefined]) {
      const r = await api(tc.cluster, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/l1', {
        body: { ...lease, metadata: { name: 'l1', resourceVersion: rv } },
      });
      expect(r.status).toBe(422);
      expect(r.json()).toMatchObject({
        reason: 'Invalid',
        message:
          'leases.coordination.k8s.io "l1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
        details: {
          name: 'l1',
          group: 'coordination.k8s.io',
          kind: 'leases',
          causes: [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion' }],
        },
      });
    }
  });
});

describe('system namespaces', () => {
  it('default, kube-system and kube-public cannot be deleted (NamespaceLifecycle), also by --all and dry run', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const r = await tc.kubectl(['delete', 'namespace', ns], { allowFail: true });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`);
    }
    const dry = await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default?dryRun=All');
    expect(dry.status).toBe(403);
    expect(dry.json().details).toEqual({ name: 'default', kind: 'namespaces' });
    await tc.kubectl(['create', 'namespace', 'doomed']);
    const all = await tc.kubectl(['delete', 'namespace', '--all', '--wait=false'], { allowFail: true });
    expect(all.stdout).toContain('namespace "doomed" deleted');
    expect(all.stderr).toContain('namespaces "default" is forbidden: this namespace may not be deleted');
    const left = (await json('get', 'namespaces')).items
      .filter((n: { metadata: { deletionTimestamp?: string } }) => !n.metadata.deletionTimestamp)
      .map((n: { metadata: { name: string } }) => n.metadata.name);
    expect(left).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public']));
    // The Services that live there stay.
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/default/services/kubernetes')).status).toBe(200);
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/kube-system/services/kube-dns')).status).toBe(200);
    // namespaces have no deletecollection upstream.
    expect((await api(tc.cluster, 'DELETE', '/api/v1/namespaces')).status).toBe(405);
  });

  it('kube-node-lease may be deleted and is re-created by the system namespaces controller', async () => {
    const before = await json('get', 'namespace', 'kube-node-lease');
    await tc.kubectl(['delete', 'namespace', 'kube-node-lease']);
    const again = await until(async () => {
      const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/kube-node-lease');
      return r.status === 200 && r.json().metadata.uid !== before.metadata.uid && !r.json().metadata.deletionTimestamp && r.json();
    }, 20_000);
    expect(again.status.phase).toBe('Active');
  });
});

describe('texts clients compare', () => {
  it('Status bodies keep metav1.Status key order', async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods/nope');
    expect(r.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}',
    );
  });

  it('a patch that makes metadata.labels a string: the converter text for strategic, the decoder text for merge', async () => {
    await tc.kubectl(['create', 'configmap', 'lbl']);
    const smp = await tc.kubectl(['patch', 'configmap', 'lbl', '-p', '{"metadata":{"labels":"invalid"}}'], { allowFail: true });
    expect(smp.code).toBe(1);
    expect(smp.stderr).toContain('cannot restore map from string');
    const raw = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/configmaps/lbl', {
      body: { metadata: { labels: 'invalid' } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(raw.status).toBe(422);
    expect(raw.json()).toMatchObject({
      reason: 'Invalid',
      message: ' "" is invalid: patch: Invalid value: "map[metadata:map[labels:invalid]]": cannot restore map from string',
      details: {
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "map[metadata:map[labels:invalid]]": cannot restore map from string',
            field: 'patch',
          },
        ],
      },
    });
    const merge = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/configmaps/lbl', {
      body: { metadata: { labels: 'invalid' } },
      contentType: 'application/merge-patch+json',
    });
    expect(merge.status).toBe(422);
    expect(merge.json().message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal string into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string$/,
    );
    // Nothing was stored.
    expect((await json('get', 'configmap', 'lbl')).metadata.labels).toBeUndefined();
    // A wrong type deeper down: struct and scalar conversions.
    const port = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/configmaps/lbl', {
      body: { metadata: { ownerReferences: 'x' } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(port.json().message).toContain('cannot restore slice from string');
  });

  it('quantities are stored in their canonical form, as a decoded resource.Quantity marshals', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'quantities' },
      spec: {
        nodeName: 'elsewhere',
        containers: [
          { name: 'c', image: 'x', resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 1, memory: '2Gi' } } },
        ],
      },
    };
    const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', { body });
    expect(r.status).toBe(201);
    expect(r.json().spec.containers[0].resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '1', memory: '2Gi' },
    });
    const got = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods/quantities')).json();
    expect(got.spec.containers[0].resources.requests).toEqual({ cpu: '500m', memory: '1Gi' });
  });

  it('Pods see one API endpoint in KUBERNETES_SERVICE_HOST, _PORT and _PORT_HTTPS', async () => {
    await tc.kubectl([
      'run',
      'envp',
      '--image=local/sh',
      '--restart=Never',
      '--command',
      '--',
      'sh',
      '-c',
      'echo "$KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT $KUBERNETES_SERVICE_PORT_HTTPS"',
    ]);
    const line = await until(async () => (await tc.kubectl(['logs', 'envp'], { allowFail: true })).stdout.trim() || undefined, 15_000);
    const [host, port, https] = line.split(' ');
    const server = new URL(tc.cluster.server);
    expect(host).toBe(server.hostname);
    expect(port).toBe(server.port);
    expect(https).toBe(port);
  });

  it('a grace period longer than a Node timer holds is waited for, not turned into an immediate kill', async () => {
    const script = 'trap \'echo got-term; T=1\' TERM; echo ready; while true; do sleep 0.2; [ -n "$T" ] && echo alive; done';
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'long-grace' },
        spec: { terminationGracePeriodSeconds: 3_000_000, containers: [{ name: 'c', image: 'local/sh', command: ['sh', '-c', script] }] },
      }),
    });
    const logs = async () => (await tc.kubectl(['logs', 'long-grace'], { allowFail: true })).stdout;
    await until(async () => (await logs()).includes('ready'), 15_000);
    await tc.kubectl(['delete', 'pod', 'long-grace', '--wait=false']);
    // 34 days of grace: SIGTERM now, and the container keeps running (before: SIGKILL 1 ms later).
    await until(async () => (await logs()).split('alive').length > 4, 15_000);
    await tc.kubectl(['delete', 'pod', 'long-grace', '--grace-period=0', '--force'], { allowFail: true });
  });

  it('probe failures read as the kubelet words them (Go net errors)', async () => {
    // A port nobody listens on: bind one, note it, close it.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probed' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'local/sh',
              command: ['sleep', '3600'],
              readinessProbe: { httpGet: { host: '127.0.0.1', port: closed, path: '/healthz' }, periodSeconds: 1 },
              startupProbe: { tcpSocket: { host: '127.0.0.1', port: closed }, periodSeconds: 1, failureThreshold: 1000 },
            },
          ],
        },
      }),
    });
    const messages = await until(async () => {
      const ev = await json('get', 'events', '--field-selector', 'involvedObject.name=probed,reason=Unhealthy');
      const m = ev.items.map((e: { message: string }) => e.message) as string[];
      return m.some((x) => x.startsWith('Startup')) && m;
    }, 20_000);
    expect(messages).toContain(`Startup probe failed: dial tcp 127.0.0.1:${closed}: connect: connection refused`);
    await tc.kubectl(['delete', 'pod', 'probed', '--wait=false']);
    // The readiness probe only runs once startup succeeded: check its wording on its own.
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probed-http' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'local/sh',
              command: ['sleep', '3600'],
              readinessProbe: { httpGet: { host: '127.0.0.1', port: closed, path: '/healthz' }, periodSeconds: 1 },
            },
          ],
        },
      }),
    });
    const http = await until(async () => {
      const ev = await json('get', 'events', '--field-selector', 'involvedObject.name=probed-http,reason=Unhealthy');
      return ev.items[0]?.message as string | undefined;
    }, 20_000);
    expect(http).toBe(
      `Readiness probe failed: Get "http://127.0.0.1:${closed}/healthz": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    );
  });
});
