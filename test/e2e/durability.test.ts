// Data and resourceVersions survive a restart; kill -9 during a stream of writes loses no write
// that was acknowledged to the client.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCli, readKubeconfig } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { startCluster } from '../../src/index.js';
import { api } from '../helpers/http.js';
import Database from 'better-sqlite3';
import { ipsOf, nodePortsOf, serviceAllocators } from '../../src/registry/service/allocation.js';
import { ipToSlot } from '../../src/allocators/clusterip.js';
import { resolveConfig } from '../../src/config/options.js';

describe('durability', () => {
  it('keeps objects and resourceVersions across a library restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-dur-'));
    try {
      let c = await startCluster({ dataDir: dir, apiListen: '127.0.0.1:0' });
      const r = await api(c, 'POST', '/api/v1/namespaces/default/configmaps', {
        body: { metadata: { name: 'persist' }, data: { a: '1' } },
      });
      const rv = r.json().metadata.resourceVersion;
      const uid = r.json().metadata.uid;
      const svc = (
        await api(c, 'POST', '/api/v1/namespaces/default/services', { body: { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } } })
      ).json();
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
      await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: 'start' });
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
      // Readers: what a LIST showed (names and the list's resourceVersion) was committed, so it
      // must all be there after the kill, and no later write may reuse a revision shown.
      const shown = new Set<string>();
      let maxShownRev = 0;
      const reader = async () => {
        while (!stop) {
          try {
            const res = await request(`${info.server}/api/v1/namespaces/default/configmaps`, {
              headers: { authorization: `Bearer ${info.token}` },
              dispatcher: agent,
            });
            const text = await res.body.text();
            if (res.statusCode !== 200) continue;
            const list = JSON.parse(text) as { metadata: { resourceVersion: string }; items: { metadata: { name: string } }[] };
            maxShownRev = Math.max(maxShownRev, Number(list.metadata.resourceVersion));
            for (const o of list.items) shown.add(o.metadata.name);
          } catch {
            return;
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      const readers = [reader(), reader()];
      await until(() => acked.length >= 200, { timeout: 20_000, what: 'writes' });
      run.proc.kill('SIGKILL');
      stop = true;
      await Promise.all([...writers, ...readers]);
      await run.exited;
      await agent.close();
      unlinkSync(kc);
      run = runCli(args);
      await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: 'restart' });
      info = readKubeconfig(kc);
      const a2 = new Agent({ connect: { ca: info.ca } });
      const res = await request(`${info.server}/api/v1/namespaces/default/configmaps`, {
        headers: { authorization: `Bearer ${info.token}` },
        dispatcher: a2,
      });
      const names = new Set((JSON.parse(await res.body.text()).items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
      const lost = acked.filter((n) => !names.has(n));
      expect(lost).toEqual([]);
      expect(acked.length).toBeGreaterThanOrEqual(200);
      expect([...shown].filter((n) => !names.has(n))).toEqual([]);
      expect(maxShownRev).toBeGreaterThan(0);
      const next = await request(`${info.server}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'after-restart' } }),
        dispatcher: a2,
      });
      expect(Number(JSON.parse(await next.body.text()).metadata.resourceVersion)).toBeGreaterThan(maxShownRev);
      await a2.close();
      run.proc.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kill -9 during a burst of Service creates leaves no duplicate and no leaked allocation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-kill-svc-'));
    try {
      const kc = join(dir, 'kc');
      const data = join(dir, 'data');
      // Small pinned ranges so writers collide: 127.97.0.0/24 is no host slot's, and the NodePorts sit on their own address so slot 0's (30000-32767) do not collide.
      const flags = ['--service-cidr', '127.97.0.0/24', '--service-node-port-range', '30000-30299', '--nodeport-addresses', '127.0.0.5/32'];
      const args = ['up', '--data-dir', data, '--api-listen', '127.0.0.1:0', '--kubeconfig', kc, ...flags];
      let run = runCli(args);
      await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: 'start' });
      let info = readKubeconfig(kc);
      const agent = new Agent({ connect: { ca: info.ca }, connections: 8 });
      const acked: string[] = [];
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `s${w}-${i}`;
          // Half NodePort, and every fifth one asks for a specific IP, so writers collide.
          const spec: Record<string, unknown> = { type: i % 2 ? 'NodePort' : 'ClusterIP', ports: [{ port: 80 }] };
          if (i % 5 === 0) spec.clusterIP = `127.97.0.${1 + ((w * 7 + i) % 40)}`;
          try {
            const res = await request(`${info.server}/api/v1/namespaces/default/services`, {
              method: 'POST',
              headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ metadata: { name }, spec }),
              dispatcher: agent,
            });
            await res.body.text();
            if (res.statusCode === 201) acked.push(name);
          } catch {
            return;
          }
        }
      };
      const writers = [0, 1, 2, 3, 4, 5, 6, 7].map(writer);
      await until(() => acked.length >= 60, { timeout: 20_000, what: 'creates' });
      run.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await run.exited;
      await agent.close();
      unlinkSync(kc);
      run = runCli(args);
      await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: 'restart' });
      info = readKubeconfig(kc);
      const a2 = new Agent({ connect: { ca: info.ca } });
      const res = await request(`${info.server}/api/v1/services`, { headers: { authorization: `Bearer ${info.token}` }, dispatcher: a2 });
      const items = JSON.parse(await res.body.text()).items as {
        metadata: { name: string; namespace: string };
        spec: Record<string, unknown>;
      }[];
      await a2.close();
      run.proc.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);

      const names = new Set(items.map((o) => o.metadata.name));
      expect(acked.filter((n) => !names.has(n))).toEqual([]);
      const ips = items.flatMap((s) => ipsOf(s as never));
      const ports = items.flatMap((s) => nodePortsOf(s as never));
      expect(new Set(ips).size).toBe(ips.length);
      expect(new Set(ports).size).toBe(ports.length);
      // The allocation table holds exactly what the stored Services hold.
      const alloc = serviceAllocators(resolveConfig({ serviceCIDR: '127.97.0.0/24', serviceNodePortRange: '30000-30299' }));
      const range = alloc.ranges.get('IPv4')!;
      const want = items
        .flatMap((s) => {
          const owner = `${s.metadata.namespace}/${s.metadata.name}`;
          return [
            ...ipsOf(s as never).map((ip) => `${range.band.key}#${ipToSlot(range, ip)}#${owner}`),
            ...nodePortsOf(s as never).map((p) => `${alloc.ports.band.key}#${p - alloc.ports.base}#${owner}`),
          ];
        })
        .sort();
      const db = new Database(join(data, 'state.db'), { readonly: true });
      const rows = (db.prepare('SELECT range, slot, owner FROM allocations').all() as { range: string; slot: number; owner: string }[])
        .map((r) => `${r.range}#${r.slot}#${r.owner}`)
        .sort();
      db.close();
      expect(rows).toEqual(want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
