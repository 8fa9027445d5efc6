// Admission webhook overhead (issue 24), against `tinykube up` as users run it: ConfigMap creates
// one at a time (mean latency) and from 16 keep-alive clients (creates/s), first with no webhook,
// then with a ValidatingWebhookConfiguration whose HTTPS webhook (in this process, on 127.0.0.1,
// trusted by its caBundle) allows everything. Goal: ≤ 2 ms added per request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';

const SEQUENTIAL = 1_000;
const CLIENTS = 16;
const CONCURRENT = 4_000;

/** A self-signed certificate for 127.0.0.1 (its own CA: the caBundle). */
function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), 'tinykube-bench-hook-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=bench-hook',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return { cert, key };
}

export async function webhookBench({ startTinykube, stopProc, report }) {
  const { cert, key } = selfSigned();
  let calls = 0;
  const hook = createServer({ cert, key }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const review = JSON.parse(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        }),
      );
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  const hookPort = hook.address().port;

  const tk = await startTinykube(['--in-memory']);
  const agent = new Agent({ connections: CLIENTS, connect: { ca: tk.ca } });
  const post = async (path, body) => {
    const r = await request(`${tk.server}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tk.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await r.body.text();
    if (r.statusCode !== 201) throw new Error(`POST ${path}: ${r.statusCode} ${text}`);
  };
  let n = 0;
  const create = () => post('/api/v1/namespaces/default/configmaps', { metadata: { name: `cm-${n++}` }, data: { a: '1' } });
  const sequentialMs = async () => {
    for (let i = 0; i < 200; i++) await create(); // warm up
    const t0 = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) await create();
    return (performance.now() - t0) / SEQUENTIAL;
  };
  const rate = async () => {
    let left = CONCURRENT;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (left-- > 0) await create();
      }),
    );
    return CONCURRENT / ((performance.now() - t0) / 1000);
  };

  const baseMs = await sequentialMs();
  const baseRate = await rate();
  await post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    metadata: { name: 'bench.example.com' },
    webhooks: [
      {
        name: 'bench.example.com',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig: { url: `https://127.0.0.1:${hookPort}/validate`, caBundle: Buffer.from(cert).toString('base64') },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
      },
    ],
  });
  const before = calls;
  const hookMs = await sequentialMs();
  const hookRate = await rate();
  if (calls - before < SEQUENTIAL + CONCURRENT) throw new Error(`the webhook was called ${calls - before} times`);
  report(
    'ConfigMap create with a validating webhook',
    hookMs,
    'ms',
    'no webhook',
    baseMs,
    `≤ 2 ms added (+${(hookMs - baseMs).toFixed(2)} ms)`,
  );
  report(`  creates/s, ${CLIENTS} clients, with the webhook`, hookRate, '/s', 'no webhook', baseRate);
  await agent.close();
  await stopProc(tk.p);
  await new Promise((r) => hook.close(r));
}
