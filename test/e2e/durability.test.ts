// Data and resourceVersions survive a restart; kill -9 during a stream of writes loses no write
// that was acknowledged to the client.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCli, readKubeconfig, waitFor } from '../helpers/cli.js';
import { startCluster } from '../../src/index.js';
import { api } from '../helpers/http.js';

describe('durability', () => {
  it('keeps objects and resourceVersions across a library restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-dur-'));
    try {
      let c = await startCluster({ dataDir: dir, apiListen: '127.0.0.1:0' });
      const r = await api(c, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'persist' }, data: { a: '1' } } });
      const rv = r.json().metadata.resourceVersion;
      const uid = r.json().metadata.uid;
      const svc = (await api(c, 'POST', '/api/v1/namespaces/default/services', { body: { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } } })).json();
      await c.stop();
      c = await startCluster({ dataDir: dir, apiListen: '127.0.0.1:0' });
      const got = (await api(c, 'GET', '/api/v1/namespaces/default/configmaps/persist')).json();
      expect(got.metadata.resourceVersion).toBe(rv);
      expect(got.metadata.uid).toBe(uid);
      expect((await api(c, 'GET', '/api/v1/namespaces/default/services/s')).json().spec.clusterIP).toBe(svc.spec.clusterIP);
      const next = (await api(c, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'after' } } })).json();
      expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(svc.metadata.resourceVersion));
      // The CA and token are kept: the old kubeconfig still works.
      await c.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loses no acknowledged write when killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-kill-'));
    try {
      const kc = join(dir, 'kc');
      const args = ['up', '--data-dir', join(dir, 'data'), '--api-listen', '127.0.0.1:0', '--kubeconfig', kc];
      let run = runCli(args);
      await waitFor(() => existsSync(kc) && run.stdout().length > 0, 20_000, 'start');
      let info = readKubeconfig(kc);
      const agent = new Agent({ connect: { ca: info.ca }, pipelining: 1, connections: 8 });
      const acked: string[] = [];
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `w${w}-${i}`;
          try {
            const res = await request(`${info.server}/api/v1/namespaces/default/configmaps`, {
              method: 'POST',
              headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ metadata: { name }, data: { i: String(i) } }),
              dispatcher: agent,
            });
            await res.body.text();
            if (res.statusCode === 201) acked.push(name);
          } catch {
            return; // connection died with the process
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      await waitFor(() => acked.length >= 200, 20_000, 'writes');
      run.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await run.exited;
      await agent.close();
      unlinkSync(kc);
      run = runCli(args);
      await waitFor(() => existsSync(kc) && run.stdout().length > 0, 20_000, 'restart');
      info = readKubeconfig(kc);
      const a2 = new Agent({ connect: { ca: info.ca } });
      const res = await request(`${info.server}/api/v1/namespaces/default/configmaps`, { headers: { authorization: `Bearer ${info.token}` }, dispatcher: a2 });
      const names = new Set((JSON.parse(await res.body.text()).items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
      const lost = acked.filter((n) => !names.has(n));
      expect(lost).toEqual([]);
      expect(acked.length).toBeGreaterThanOrEqual(200);
      await a2.close();
      run.proc.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
