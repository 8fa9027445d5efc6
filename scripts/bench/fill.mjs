// Throughput as the cluster fills (issue 19): creates/s with 16 keep-alive clients against
// `tinykube up` with a data dir (every controller, the DNS server, the proxy and the node agent
// running), in steps of 1,000 Services up to 10,000 and of 500 Pods up to 2,000, each step beside
// the first step's rate (goal: flat within 20%), and the last Service step beside the bare
// fastify + better-sqlite3 insert baseline of the same run (goal ≥ 30%). Services have selectors
// (each one also gets an EndpointSlice and an Endpoints object); Pods run `sleep` on the node, in
// a namespace of their own (in `default` each would get the docker-link variables of 10,000
// Services, which is what enableServiceLinks does upstream too, but not what this measures).
// Both series start after a warm-up of 500 creates, so the first step is not the JIT's.
import { Pool } from 'undici';
import { join } from 'node:path';

async function load(server, ca, token, path, from, count, clients, body) {
  const pool = new Pool(server, { connections: clients, pipelining: 1, connect: { ca, rejectUnauthorized: false } });
  let next = from;
  const end = from + count;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < end) {
        const i = next++;
        const r = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body(i)),
        });
        await r.body.text();
        if (r.statusCode !== 201) failed++;
      }
    }),
  );
  const rate = count / ((performance.now() - t0) / 1000);
  await pool.close();
  if (failed) console.log(`  (${failed} requests failed)`);
  return rate;
}

const svc = (i) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `fill-${i}`, labels: { app: 'fill' } },
  spec: { selector: { app: `f${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});
const pod = (i) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `fill-pod-${i}`, namespace: 'fill-pods', labels: { app: `f${i % 1000}` } },
  spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'local/sleep', command: ['sleep', '3600'] }] },
});

export async function fillBench({ work, startTinykube, startBaseline, stopProc, report, services = 10_000, pods = 2_000 }) {
  const tk = await startTinykube(['--data-dir', join(work, 'fill'), '--max-pods', String(pods + 500)]);
  const insert = await startBaseline('insert', join(work, 'fill', 'pki'));
  await load(insert.server, undefined, undefined, '/api/v1/namespaces/default/services', 0, 500, 16, svc); // JIT warm-up
  // As many inserts as Services below: a short run (1,000) measures connection set-up and JIT
  // more than inserts and reads a third of the sustained rate.
  const base = await load(insert.server, undefined, undefined, '/api/v1/namespaces/default/services', 1000, services, 16, svc);
  await stopProc(insert.p);
  await load(tk.server, tk.ca, tk.token, '/api/v1/namespaces/default/services', services, 500, 16, svc); // JIT warm-up
  const step = 1000;
  let first;
  for (let n = 0; n < services; n += step) {
    const rate = await load(tk.server, tk.ca, tk.token, '/api/v1/namespaces/default/services', n, step, 16, svc);
    first ??= rate;
    report(
      `Service creates/s, ${n + 1}–${n + step} (16 clients)`,
      rate,
      '/s',
      'first 1,000',
      first,
      n + step === services ? `flat within 20%, ≥ 30% of insert (${((rate / base) * 100).toFixed(0)}%)` : 'flat within 20%',
    );
  }
  report('bare fastify+sqlite insert baseline', base, '/s');
  await load(tk.server, tk.ca, tk.token, '/api/v1/namespaces', 0, 1, 1, () => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'fill-pods' },
  }));
  await load(tk.server, tk.ca, tk.token, '/api/v1/namespaces/fill-pods/pods', pods, 200, 16, pod); // warm-up
  const podStep = 500;
  let firstPods;
  for (let n = 0; n < pods; n += podStep) {
    const rate = await load(tk.server, tk.ca, tk.token, '/api/v1/namespaces/fill-pods/pods', n, podStep, 16, pod);
    firstPods ??= rate;
    report(`Pod creates/s, ${n + 1}–${n + podStep} (16 clients)`, rate, '/s', 'first 500', firstPods, 'flat within 20%');
  }
  await stopProc(tk.p);
}
