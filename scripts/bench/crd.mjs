// CustomResourceDefinition benchmarks (issue 24), against `tinykube up` as users run it:
//   CRD create → its first custom resource accepted (POST retried at once until 201), the median of
//   20 CRDs, beside one ConfigMap create → GET round trip on the same cluster. Goal < 100 ms
//   (upstream's apiextensions-apiserver takes seconds: discovery, establishing and the handler).
//   Custom resource creates/s with 16 keep-alive clients (a schema with defaults, a pattern and
//   bounds, pruning, a status subresource) beside ConfigMap creates/s on the same cluster. Goal ≥ 80%.
import { Agent, request } from 'undici';

const CLIENTS = 16;
const CREATES = 4_000;
const CRDS = 20;

function crd(i) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets${i}.bench.example.com` },
    spec: {
      group: 'bench.example.com',
      scope: 'Namespaced',
      names: { plural: `widgets${i}`, singular: `widget${i}`, kind: `Widget${i}` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['image'],
                  properties: {
                    image: { type: 'string', pattern: '^[a-z0-9./:-]+$' },
                    replicas: { type: 'integer', minimum: 0, maximum: 100, default: 1 },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  },
                },
                status: { type: 'object', properties: { ready: { type: 'boolean' } } },
              },
            },
          },
        },
      ],
    },
  };
}

export async function crdBench({ startTinykube, stopProc, report }) {
  const tk = await startTinykube(['--in-memory']);
  const agent = new Agent({ connections: CLIENTS, connect: { ca: tk.ca } });
  const call = async (method, path, body) => {
    const r = await request(`${tk.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${tk.token}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await r.body.text();
    return { status: r.statusCode, text };
  };
  const must = async (method, path, body, want = 201) => {
    const r = await call(method, path, body);
    if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  };

  // ---- CRD create → first custom resource accepted ----
  const firsts = [];
  const roundTrips = [];
  for (let i = 0; i < CRDS; i++) {
    const t0 = performance.now();
    await must('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd(i));
    const obj = { apiVersion: 'bench.example.com/v1', kind: `Widget${i}`, metadata: { name: 'first' }, spec: { image: 'nginx:1' } };
    for (let tries = 0; ; tries++) {
      const r = await call('POST', `/apis/bench.example.com/v1/namespaces/default/widgets${i}`, obj);
      if (r.status === 201) break;
      if (tries > 10_000) throw new Error(`custom resource never accepted: ${r.status} ${r.text}`);
    }
    firsts.push(performance.now() - t0);
    const t1 = performance.now();
    await must('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `rt${i}` }, data: { a: '1' } });
    await must('GET', `/api/v1/namespaces/default/configmaps/rt${i}`, undefined, 200);
    roundTrips.push(performance.now() - t1);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  report('CRD create → first custom resource (median)', median(firsts), 'ms', 'ConfigMap create+GET', median(roundTrips), '< 100 ms');

  // ---- creates/s: custom resources vs ConfigMaps ----
  const rate = async (path, body) => {
    let left = CREATES;
    let n = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (left-- > 0) await must('POST', path, body(n++));
      }),
    );
    return CREATES / ((performance.now() - t0) / 1000);
  };
  const cm = (n) => ({ metadata: { name: `cm-${n}`, labels: { app: 'bench' } }, data: { image: 'nginx:1', replicas: '1' } });
  const cr = (n) => ({
    apiVersion: 'bench.example.com/v1',
    kind: 'Widget0',
    metadata: { name: `w-${n}`, labels: { app: 'bench' } },
    spec: { image: 'nginx:1', tags: ['a', 'b'] },
  });
  // Warm both paths, then measure the baseline first and the custom resources second.
  await rate('/api/v1/namespaces/default/configmaps', (n) => cm(`warm-${n}`));
  await rate('/apis/bench.example.com/v1/namespaces/default/widgets0', (n) => cr(`warm-${n}`));
  const cms = await rate('/api/v1/namespaces/default/configmaps', cm);
  const crs = await rate('/apis/bench.example.com/v1/namespaces/default/widgets0', cr);
  report(`custom resource creates, ${CLIENTS} clients`, crs, '/s', 'ConfigMap creates', cms, `≥ 80% (${Math.round((crs / cms) * 100)}%)`);
  await agent.close();
  await stopProc(tk.p);
}
