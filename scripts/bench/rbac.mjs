// RBAC benchmark (issue 24): GETs of one ConfigMap by a user whose RoleBinding allows them, with
// `--authorization-mode RBAC` beside the same GETs on an AlwaysAllow cluster, 16 keep-alive
// clients, the user authenticated by a client certificate (`tinykube add-user`) in both runs, so
// the difference is the authorization alone. Goal: RBAC ≤ 10% slower.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import YAML from 'yaml';

const GETS = 20_000;
const CLIENTS = 16;

function userAgent(cli, dataDir, name) {
  const out = spawnSync(process.execPath, [cli, 'add-user', name, '--group', 'bench', '--data-dir', dataDir], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`add-user: ${out.stderr}`);
  const kc = YAML.parse(out.stdout);
  const u = kc.users[0].user;
  const dec = (s) => Buffer.from(s, 'base64').toString();
  return new Agent({
    connections: CLIENTS,
    connect: {
      ca: dec(kc.clusters[0].cluster['certificate-authority-data']),
      cert: dec(u['client-certificate-data']),
      key: dec(u['client-key-data']),
    },
  });
}

async function admin(tk, method, path, body) {
  const r = await request(`${tk.server}${path}`, {
    method,
    headers: { authorization: `Bearer ${tk.token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
    dispatcher: new Agent({ connect: { ca: tk.ca } }),
  });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`);
}

/** GETs/s of one ConfigMap by `agent`'s user, CLIENTS at a time. */
async function getsPerSecond(tk, agent) {
  const url = `${tk.server}/api/v1/namespaces/default/configmaps/bench`;
  const one = async () => {
    const r = await request(url, { dispatcher: agent });
    if (r.statusCode !== 200) throw new Error(`GET: ${r.statusCode} ${await r.body.text()}`);
    await r.body.dump();
  };
  for (let i = 0; i < 500; i++) await one(); // warm up
  let left = GETS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (left-- > 0) await one();
    }),
  );
  return GETS / ((performance.now() - t0) / 1000);
}

export async function rbacBench({ startTinykube, stopProc, report, work, cli }) {
  const run = async (mode) => {
    const dataDir = join(work, `rbac-${mode}`);
    const tk = await startTinykube(['--data-dir', dataDir, '--authorization-mode', mode]);
    await admin(tk, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'bench' }, data: { a: '1' } });
    await admin(tk, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
      metadata: { name: 'cm-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    await admin(tk, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      metadata: { name: 'bench-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'bench' }],
    });
    const agent = userAgent(cli, dataDir, 'reader');
    const rate = await getsPerSecond(tk, agent);
    await agent.close();
    await stopProc(tk.p);
    return rate;
  };
  const allow = await run('AlwaysAllow');
  const rbac = await run('RBAC');
  const slower = Math.round((1 - rbac / allow) * 100);
  report(`GET by a user, ${CLIENTS} clients, RBAC enforced`, rbac, '/s', 'AlwaysAllow', allow, `≤ 10% slower (${slower}%)`);
}
