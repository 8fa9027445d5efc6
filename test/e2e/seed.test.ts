// Every manifest of the seed document applies with kubectl and comes back as upstream writes it.
// The seed's 10.x / 192.0.2.x / 198.51.100.x addresses are API data only: nothing connects to them.
import { until, untilPasses } from '../helpers/wait.js';
import { request } from 'undici';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

// A copy of ../shared/seed/kubernetes-services.txt, so CI's clean clone has it.
const SEED = fileURLToPath(new URL('../fixtures/kubernetes-services.txt', import.meta.url));

/** The YAML manifests embedded in the seed text, in order. */
function seedManifests(): Record<string, any>[] {
  const text = readFileSync(SEED, 'utf8');
  const out: Record<string, any>[] = [];
  for (const block of text.split(/\n(?=apiVersion: )/).slice(1)) {
    const lines: string[] = [];
    for (const l of block.split('\n')) {
      if (l.startsWith('---')) break;
      // Manifest lines: indented, list items, blank, or a top-level field of the kinds in the seed
      // (prose such as "Note: ..." ends the manifest).
      if (l.trim() === '' || /^[ -]/.test(l) || /^(apiVersion|kind|metadata|spec|status|addressType|ports|endpoints|data):/.test(l))
        lines.push(l);
      else break;
    }
    out.push(YAML.parse(lines.join('\n')));
  }
  return out;
}

let tc: TestCluster;
let wide: TestCluster;
const manifests = seedManifests();
beforeAll(async () => {
  // Pinned to upstream's NodePort range (the seed's `nodePort: 30007`, the 30086 below), on addresses of their own so slot 0's NodePorts on 127.0.0.1 do not collide.
  [tc, wide] = await Promise.all([
    // The seed's nginx, whatever this host has installed: a web server on its port 80.
    startTestCluster({
      serviceNodePortRange: '30000-32767',
      nodePortAddresses: '127.0.0.2/32',
      images: [{ image: 'nginx', entrypoint: ['sh', '-c', 'echo "Welcome to nginx!" > index.html && exec python3 -m http.server 80'] }],
    }),
    startTestCluster({ serviceCIDR: '10.0.0.0/16', serviceNodePortRange: '30000-32767', nodePortAddresses: '127.0.0.7/32' }),
  ]);
});
afterAll(async () => {
  await Promise.all([tc?.stop(), wide?.stop()]);
});

async function apply(c: TestCluster, m: Record<string, any>, ns = 'default') {
  const r = await c.kubectl(['apply', '-n', m.metadata.namespace ?? ns, '-f', '-'], { input: YAML.stringify(m), allowFail: true });
  return r;
}
async function get(c: TestCluster, kind: string, name: string, ns = 'default') {
  return JSON.parse((await c.kubectl(['get', kind, name, '-n', ns, '-o', 'json'])).stdout);
}
async function del(c: TestCluster, kind: string, name: string, ns = 'default') {
  await c.kubectl(['delete', kind, name, '-n', ns, '--wait=true']);
}

describe('seed manifests', () => {
  it('finds the ten manifests of the seed', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Service/my-service',
      'Pod/nginx',
      'Service/nginx-service',
      'Service/my-service',
      'EndpointSlice/my-service-1',
      'Service/my-service',
      'Service/my-service',
      'Service/my-service',
      'Service/my-service',
      'Service/my-service',
    ]);
  });

  it('1: a selector Service gets upstream defaults and a ClusterIP', async () => {
    expect((await apply(tc, manifests[0]!)).stdout.trim()).toBe('service/my-service created');
    const s = await get(tc, 'svc', 'my-service');
    expect(s.spec).toEqual({
      selector: { 'app.kubernetes.io/name': 'MyApp' },
      ports: [{ protocol: 'TCP', port: 80, targetPort: 9376 }],
      clusterIP: s.spec.clusterIP,
      clusterIPs: [s.spec.clusterIP],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    expect(s.status).toEqual({ loadBalancer: {} });
    await del(tc, 'svc', 'my-service');
  });

  it('2–3: a Pod with a named port and a Service targeting it by name', async () => {
    expect((await apply(tc, manifests[1]!)).stdout.trim()).toBe('pod/nginx created');
    expect((await apply(tc, manifests[2]!)).stdout.trim()).toBe('service/nginx-service created');
    const s = await get(tc, 'svc', 'nginx-service');
    expect(s.spec.ports).toEqual([{ name: 'name-of-service-port', protocol: 'TCP', port: 80, targetPort: 'http-web-svc' }]);
    const p = await get(tc, 'pod', 'nginx');
    expect(p.spec.containers[0].ports).toEqual([{ containerPort: 80, name: 'http-web-svc', protocol: 'TCP' }]);
    // The named targetPort resolves through the Pod's containerPorts. The Pod serves port 80
    // where it may bind it (root, as CI runs): then it is ready and traffic flows through the Service.
    const serves = process.getuid?.() === 0;
    const slice = await until(async () => {
      const items = JSON.parse(
        (await tc.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=nginx-service', '-o', 'json'])).stdout,
      ).items;
      return items[0]?.endpoints?.length === 1 && items[0].endpoints[0].conditions.ready === serves ? items[0] : undefined;
    });
    expect(slice.ports).toEqual([{ name: 'name-of-service-port', port: 80, protocol: 'TCP' }]);
    const ip = (await get(tc, 'pod', 'nginx')).status.podIP;
    expect(slice.endpoints.map((e: any) => [e.addresses[0], e.targetRef.name, e.conditions.ready])).toEqual([[ip, 'nginx', serves]]);
    if (serves)
      await untilPasses(async () =>
        expect(await (await request(`http://${s.spec.clusterIP}:80/`)).body.text()).toBe('Welcome to nginx!\n'),
      );
  });

  it('4–5: a Service without selector and its hand-made EndpointSlice', async () => {
    expect((await apply(tc, manifests[3]!)).stdout.trim()).toBe('service/my-service created');
    expect((await apply(tc, manifests[4]!)).stdout.trim()).toBe('endpointslice.discovery.k8s.io/my-service-1 created');
    const s = await get(tc, 'svc', 'my-service');
    expect(s.spec.selector).toBeUndefined();
    const es = await get(tc, 'endpointslice', 'my-service-1');
    expect(es.endpoints.map((e: any) => e.addresses[0])).toEqual(['10.4.5.6', '10.1.2.3']);
    expect(es.ports).toEqual([{ name: 'http', appProtocol: 'http', protocol: 'TCP', port: 9376 }]);
    // Without a selector the controller makes no slice of its own: the user's is the only one.
    const all = JSON.parse(
      (await tc.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=my-service', '-o', 'json'])).stdout,
    ).items;
    expect(all.map((x: any) => x.metadata.name)).toEqual(['my-service-1']);
    await del(tc, 'endpointslice', 'my-service-1');
    await del(tc, 'svc', 'my-service');
  });

  it('6: a multi-port Service', async () => {
    await apply(tc, manifests[5]!);
    const s = await get(tc, 'svc', 'my-service');
    expect(s.spec.ports.map((p: any) => `${p.name}:${p.port}->${p.targetPort}`)).toEqual(['http:80->9376', 'https:443->9377']);
    await del(tc, 'svc', 'my-service');
  });

  it('7: a NodePort Service keeps its chosen nodePort', async () => {
    await apply(tc, manifests[6]!);
    const s = await get(tc, 'svc', 'my-service');
    expect(s.spec).toMatchObject({
      type: 'NodePort',
      externalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, targetPort: 80, nodePort: 30007, protocol: 'TCP' }],
    });
    const out = (await tc.kubectl(['get', 'svc', 'my-service', '--no-headers'])).stdout;
    expect(out.split(/\s+/)[4]).toBe('80:30007/TCP');
    await del(tc, 'svc', 'my-service');
  });

  it('8: a LoadBalancer with a clusterIP outside the range is refused; inside a 10.0.0.0/16 cluster it is kept', async () => {
    const r = await apply(tc, manifests[7]!);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `The Service "my-service" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.171.239"}: failed to allocate IP 10.0.171.239: the provided IP (10.0.171.239) is not in the valid range. The range of valid IPs is ${tc.cluster.config.serviceCIDR}`,
    );
    expect((await apply(wide, manifests[7]!)).code).toBe(0);
    const s = await get(wide, 'svc', 'my-service');
    expect(s.spec).toMatchObject({
      type: 'LoadBalancer',
      clusterIP: '10.0.171.239',
      allocateLoadBalancerNodePorts: true,
      externalTrafficPolicy: 'Cluster',
    });
    expect(s.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30086);
  });

  it('9: an ExternalName Service in namespace prod', async () => {
    await tc.kubectl(['create', 'namespace', 'prod']);
    await apply(tc, manifests[8]!);
    const s = await get(tc, 'svc', 'my-service', 'prod');
    expect(s.spec).toEqual({ type: 'ExternalName', externalName: 'my.database.example.com', sessionAffinity: 'None' });
    const row = (await tc.kubectl(['get', 'svc', 'my-service', '-n', 'prod', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row.slice(0, 5)).toEqual(['my-service', 'ExternalName', '<none>', 'my.database.example.com', '<none>']);
  });

  it('10: externalIPs are stored and shown', async () => {
    await apply(tc, manifests[9]!);
    const s = await get(tc, 'svc', 'my-service');
    expect(s.spec.externalIPs).toEqual(['198.51.100.32']);
    const row = (await tc.kubectl(['get', 'svc', 'my-service', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row[3]).toBe('198.51.100.32');
  });
});
