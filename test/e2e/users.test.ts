// Users for tests (envtest's AddUser): a client certificate of the cluster's CA for a name and
// groups, and a kubeconfig using it, from the library (`cluster.addUser`) and the CLI
// (`tinykube add-user`); kubectl, client-node and the Python client authenticate with it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request, Agent } from 'undici';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, runKubectl, type TestCluster } from '../helpers/cluster.js';
import { runPython } from '../helpers/python.js';
import { startCluster } from '../../src/index.js';

let tc: TestCluster;
let dir: string;
beforeAll(async () => {
  tc = await startTestCluster();
  dir = mkdtempSync(join(tmpdir(), 'tk-users-'));
});
afterAll(async () => {
  await tc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const kubeconfigFile = (name: string, text: string) => {
  const f = join(dir, `${name}.kubeconfig`);
  writeFileSync(f, text);
  return f;
};

describe('cluster.addUser', () => {
  it('gives a kubeconfig whose client certificate is the user with its groups (kubectl auth whoami)', async () => {
    const jane = await tc.cluster.addUser({ name: 'jane', groups: ['dev', 'qa'] });
    expect(jane.kubeconfig).toMatch(/^current-context: "?jane@/m);
    const f = kubeconfigFile('jane', jane.kubeconfig);
    const r = await runKubectl(['--kubeconfig', f, 'auth', 'whoami', '-o', 'json'], { env: { KUBECONFIG: f } });
    expect(JSON.parse(r.stdout).status.userInfo).toEqual({ username: 'jane', groups: ['dev', 'qa', 'system:authenticated'] });
  });

  it('works with client-node and the Python client', async () => {
    const bob = await tc.cluster.addUser({ name: 'bob', groups: ['system:masters'] });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(bob.kubeconfig);
    const ns = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toContain('kube-system');
    const f = kubeconfigFile('bob', bob.kubeconfig);
    const py = await runPython(
      { ...tc, kubeconfigPath: f },
      {
        code: `
import json, sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
names = [n.metadata.name for n in client.CoreV1Api().list_namespace().items]
print(json.dumps({"namespaces": "kube-system" in names}))
`,
      },
    );
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout.trim().split('\n').at(-1)!)).toEqual({ namespaces: true });
  });

  it("refuses a certificate of another cluster's CA (401), and names with characters a subject cannot carry", async () => {
    const other = await startCluster();
    try {
      const stranger = await other.addUser({ name: 'jane' });
      const r = await request(`${tc.cluster.server}/api/v1/namespaces`, {
        dispatcher: new Agent({ connect: { ca: tc.cluster.caCert, cert: stranger.certPem, key: stranger.keyPem } }),
      });
      expect(r.statusCode).toBe(401);
      expect(((await r.body.json()) as { reason: string }).reason).toBe('Unauthorized');
    } finally {
      await other.stop();
    }
    await expect(tc.cluster.addUser({ name: 'a,O=system:masters' })).rejects.toThrow(/invalid user or group name/);
  });
});

describe('tinykube add-user', () => {
  it('prints a kubeconfig for a user of a data dir cluster', async () => {
    const { spawnSync } = await import('node:child_process');
    const dataDir = join(dir, 'data');
    const c = await startCluster({ dataDir });
    try {
      // The CLI reads the data dir's CA and the kubeconfig the CLI would have written.
      writeFileSync(join(dataDir, 'kubeconfig'), c.kubeconfig);
      const out = spawnSync(process.execPath, ['dist/cli.js', 'add-user', 'carol', '--group', 'ops', '--data-dir', dataDir], {
        encoding: 'utf8',
      });
      expect(out.status, out.stderr).toBe(0);
      const f = kubeconfigFile('carol', out.stdout);
      const r = await runKubectl(['--kubeconfig', f, 'auth', 'whoami', '-o', 'json'], { env: { KUBECONFIG: f } });
      expect(JSON.parse(r.stdout).status.userInfo).toEqual({ username: 'carol', groups: ['ops', 'system:authenticated'] });
    } finally {
      await c.stop();
    }
  });
});
