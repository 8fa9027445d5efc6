// A bounded kill -9 soak: rounds of concurrent creates, read-modify-write updates and reads
// against `tinykube up` with a data dir, each ended by SIGKILL and a restart. Across all rounds:
// no acknowledged write is lost, no update is lost (a counter incremented with optimistic
// concurrency holds every acknowledged increment, plus at most the ones in flight at the kill,
// whose answer the kill swallowed), nothing a reader was shown disappears, and no
// resourceVersion a reader saw is handed out again.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCli, readKubeconfig } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const ROUNDS = 4;

describe('kill -9 soak', () => {
  it(`${ROUNDS} rounds of writes and SIGKILL lose nothing acknowledged or shown, and reuse no revision`, { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-soak-'));
    const kc = join(dir, 'kc');
    const args = [
      'up',
      '--data-dir',
      join(dir, 'data'),
      '--api-listen',
      '127.0.0.1:0',
      '--kubeconfig',
      kc,
      '--name',
      `soak-${process.pid}`,
    ];
    const acked = new Set<string>();
    const shown = new Set<string>();
    let increments = 0;
    let inFlight = 0;
    let maxShownRev = 0;
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const run = runCli(args);
        await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: `start ${round}` });
        const info = readKubeconfig(kc);
        const agent = new Agent({ connect: { ca: info.ca }, connections: 12 });
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await request(info.server + path, {
            method: method as 'GET',
            headers: { authorization: `Bearer ${info.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
            dispatcher: agent,
          });
          return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
        };
        // What the earlier rounds acknowledged and showed is all there, and the counter holds
        // every acknowledged increment.
        const list = await call('GET', '/api/v1/namespaces/default/configmaps');
        const names = new Set((list.json.items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
        expect([...acked].filter((n) => !names.has(n))).toEqual([]);
        expect([...shown].filter((n) => !names.has(n) && n !== 'counter')).toEqual([]);
        const counter = (list.json.items as { metadata: { name: string }; data?: { n?: string } }[]).find(
          (o) => o.metadata.name === 'counter',
        );
        const n = Number(counter?.data?.n ?? 0);
        expect(n).toBeGreaterThanOrEqual(increments);
        expect(n).toBeLessThanOrEqual(increments + inFlight);
        increments = n;
        inFlight = 0;
        // The first write after a restart takes a revision above any shown before the kill.
        const probe = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `probe-${round}` } });
        expect(probe.status).toBe(201);
        expect(Number(probe.json.metadata.resourceVersion)).toBeGreaterThan(maxShownRev);
        acked.add(`probe-${round}`);
        if (round === ROUNDS) {
          await agent.close();
          run.proc.kill('SIGTERM');
          expect((await run.exited).code).toBe(0);
          break;
        }
        if (!counter) await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'counter' }, data: { n: '0' } });

        let stop = false;
        const creator = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const name = `r${round}-w${w}-${i}`;
            try {
              const r = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name }, data: { i: String(i) } });
              if (r.status === 201) acked.add(name);
            } catch {
              return; // the connection died with the process
            }
          }
        };
        // Read-modify-write with optimistic concurrency: a 409 retries, a 200 counts.
        const incrementer = async () => {
          while (!stop) {
            try {
              const cur = await call('GET', '/api/v1/namespaces/default/configmaps/counter');
              if (cur.status !== 200) continue;
              const next = { ...cur.json, data: { n: String(Number(cur.json.data.n) + 1) } };
              inFlight++;
              const r = await call('PUT', '/api/v1/namespaces/default/configmaps/counter', next);
              inFlight--;
              if (r.status === 200) increments++;
            } catch {
              return;
            }
          }
        };
        const reader = async () => {
          while (!stop) {
            try {
              const r = await call('GET', '/api/v1/namespaces/default/configmaps');
              if (r.status !== 200) continue;
              maxShownRev = Math.max(maxShownRev, Number(r.json.metadata.resourceVersion));
              for (const o of r.json.items as { metadata: { name: string } }[]) shown.add(o.metadata.name);
            } catch {
              return;
            }
          }
        };
        const workers = [creator(0), creator(1), creator(2), incrementer(), incrementer(), reader()];
        const target = acked.size + 150;
        await until(() => acked.size >= target, { timeout: 20_000, what: `writes ${round}` });
        run.proc.kill('SIGKILL');
        stop = true;
        await Promise.all(workers);
        await run.exited;
        await agent.close();
        unlinkSync(kc);
      }
      expect(increments).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
