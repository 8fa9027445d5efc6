// ResourceQuota admission overhead (issue 25), against `tinykube up` as users run it: Pod creates
// one at a time in a namespace with three ResourceQuotas (pods and object counts, compute requests
// and limits, configmaps) beside the same creates in a namespace without any. The Pods name a node
// that does not exist, so nothing schedules or runs them: the figure is the API write alone.
// Goal: ≤ 1 ms added per Pod create.
import { Agent, request } from 'undici';

const CREATES = 600;

export async function quotaBench({ startTinykube, stopProc, report }) {
  const tk = await startTinykube(['--in-memory']);
  const agent = new Agent({ connect: { ca: tk.ca } });
  const call = async (method, path, body) => {
    const r = await request(`${tk.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${tk.token}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await r.body.text();
    if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`);
  };
  for (const ns of ['plain', 'quoted']) await call('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  const quotas = [
    { metadata: { name: 'counts' }, spec: { hard: { pods: '100000', 'count/pods': '100000', 'count/configmaps': '100' } } },
    { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '10000', 'requests.memory': '10000Gi', 'limits.cpu': '10000' } } },
    { metadata: { name: 'configmaps' }, spec: { hard: { configmaps: '100' } } },
  ];
  for (const q of quotas) await call('POST', '/api/v1/namespaces/quoted/resourcequotas', q);
  const pod = (name) => ({
    metadata: { name },
    spec: {
      nodeName: 'elsewhere',
      containers: [
        { name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '8Mi' }, limits: { cpu: '20m' } } },
      ],
    },
  });
  const meanMs = async (ns, tag) => {
    for (let i = 0; i < 100; i++) await call('POST', `/api/v1/namespaces/${ns}/pods`, pod(`warm-${tag}-${i}`));
    const t0 = performance.now();
    for (let i = 0; i < CREATES; i++) await call('POST', `/api/v1/namespaces/${ns}/pods`, pod(`p-${tag}-${i}`));
    return (performance.now() - t0) / CREATES;
  };
  const plain = await meanMs('plain', 'a');
  const quoted = await meanMs('quoted', 'a');
  const plain2 = await meanMs('plain', 'b');
  const quoted2 = await meanMs('quoted', 'b');
  const base = (plain + plain2) / 2;
  const withQuota = (quoted + quoted2) / 2;
  report('Pod create, namespace with 3 quotas', withQuota, 'ms', 'no quota', base, `≤ 1 ms added (+${(withQuota - base).toFixed(2)} ms)`);
  await agent.close();
  await stopProc(tk.p);
}
