// Services as kubectl users make them: `kubectl create service …`, `kubectl expose`, type changes
// by patch (allocations taken and released), and dual stack with a second service CIDR.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { dynamicNodePorts, inCIDR, nthIP } from '../helpers/ranges.js';

let tc: TestCluster;
let dual: TestCluster;
beforeAll(async () => {
  [tc, dual] = await Promise.all([startTestCluster(), startTestCluster({ secondaryServiceCIDR: 'fd00:10:96::/112' })]);
});
afterAll(async () => {
  await Promise.all([tc?.stop(), dual?.stop()]);
});

const getSvc = async (c: TestCluster, name: string) => JSON.parse((await c.kubectl(['get', 'svc', name, '-o', 'json'])).stdout);
const row = async (name: string) => (await tc.kubectl(['get', 'svc', name, '--no-headers'])).stdout.trim().split(/\s+/);
const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
/** The cluster's primary service CIDR (its host slot's unless given). */
const svcCIDR = (c: TestCluster) => c.cluster.config.serviceCIDR;
/** Asserts ip is a ClusterIP of c's primary service CIDR. */
const expectInServiceCIDR = (c: TestCluster, ip: string) => expect(inCIDR(svcCIDR(c), ip), `${ip} in ${svcCIDR(c)}`).toBe(true);
/** Asserts port is one of c's NodePorts. */
const expectNodePort = (c: TestCluster, port: number) => {
  const { base, size } = c.cluster.config.nodePortRange;
  expect(port).toBeGreaterThanOrEqual(base);
  expect(port).toBeLessThan(base + size);
};

describe('kubectl create service', () => {
  it('clusterip: a ClusterIP from the dynamic band, kubectl-style port name and selector', async () => {
    await tc.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    const s = await getSvc(tc, 'web');
    expect(s.spec).toMatchObject({
      type: 'ClusterIP',
      selector: { app: 'web' },
      ports: [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
    });
    expect(s.spec.clusterIPs).toEqual([s.spec.clusterIP]);
    // A /16 or /18: the first 256 addresses are the static band.
    expectInServiceCIDR(tc, s.spec.clusterIP);
    expect(ipNum(s.spec.clusterIP) - ipNum(nthIP(svcCIDR(tc), 0))).toBeGreaterThan(256);
  });
  it('clusterip --clusterip=None: headless, nothing allocated', async () => {
    await tc.kubectl(['create', 'service', 'clusterip', 'hl', '--clusterip=None']);
    const s = await getSvc(tc, 'hl');
    expect(s.spec.clusterIP).toBe('None');
    expect(s.spec.clusterIPs).toEqual(['None']);
    expect((await row('hl')).slice(1, 5)).toEqual(['ClusterIP', 'None', '<none>', '<none>']);
  });
  it('nodeport: the chosen node port, or one from the dynamic band (30086-32767 of 30000-32767)', async () => {
    const chosen = tc.cluster.config.nodePortRange.base + 80;
    await tc.kubectl(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', `--node-port=${chosen}`]);
    expect((await row('np'))[4]).toBe(`80:${chosen}/TCP`);
    await tc.kubectl(['create', 'service', 'nodeport', 'np2', '--tcp=5353:53']);
    const s = await getSvc(tc, 'np2');
    expect(s.spec.externalTrafficPolicy).toBe('Cluster');
    const { first, last } = dynamicNodePorts(tc.cluster.config.nodePortRange);
    expect(s.spec.ports[0].nodePort).toBeGreaterThanOrEqual(first);
    expect(s.spec.ports[0].nodePort).toBeLessThanOrEqual(last);
  });
  it('loadbalancer: node port, LB defaults, and an EXTERNAL-IP once the load balancer is ready', async () => {
    await tc.kubectl(['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080']);
    const s = await getSvc(tc, 'lb');
    expect(s.spec).toMatchObject({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster' });
    expectNodePort(tc, s.spec.ports[0].nodePort);
    const ip = await until(async () => (await getSvc(tc, 'lb')).status?.loadBalancer?.ingress?.[0]?.ip as string | undefined);
    expect((await row('lb'))[3]).toBe(ip);
  });
  it('externalname: no cluster IP, the name under EXTERNAL-IP', async () => {
    await tc.kubectl(['create', 'service', 'externalname', 'ext', '--external-name=db.example.com']);
    const s = await getSvc(tc, 'ext');
    expect(s.spec).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com' });
    expect(s.spec.clusterIP).toBeUndefined();
    expect(s.spec.ipFamilies).toBeUndefined();
    expect((await row('ext')).slice(1, 4)).toEqual(['ExternalName', '<none>', 'db.example.com']);
  });
});

describe('system Services', () => {
  it('kubernetes holds the first address and kube-dns the tenth', async () => {
    expect((await getSvc(tc, 'kubernetes')).spec.clusterIP).toBe(nthIP(svcCIDR(tc), 1));
    const kubeDNS = nthIP(svcCIDR(tc), 10);
    const dns = JSON.parse((await tc.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'json'])).stdout);
    expect(dns.spec.clusterIP).toBe(kubeDNS);
    expect(dns.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name}:${p.port}/${p.protocol}`)).toEqual([
      'dns:53/UDP',
      'dns-tcp:53/TCP',
    ]);
    expect(dns.metadata.labels['k8s-app']).toBe('kube-dns');
    const r = await tc.kubectl(['create', 'service', 'clusterip', 'squatter', '--tcp=53:53', `--clusterip=${kubeDNS}`], {
      allowFail: true,
    });
    expect(r.stderr).toContain(`failed to allocate IP ${kubeDNS}: provided IP is already allocated`);
  });
});

describe('kubectl expose', () => {
  it('exposes a Pod with its labels as selector', async () => {
    await tc.kubectl(['run', 'echo', '--image=registry.k8s.io/echoserver:1.10', '--port=8080', '--labels=app=echo,tier=web']);
    await tc.kubectl(['expose', 'pod', 'echo', '--port=80', '--target-port=8080', '--name=echo-svc']);
    const s = await getSvc(tc, 'echo-svc');
    expect(s.spec.selector).toEqual({ app: 'echo', tier: 'web' });
    expect(s.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expectInServiceCIDR(tc, s.spec.clusterIP);
  });
  it('exposes a Service again as a NodePort', async () => {
    await tc.kubectl(['expose', 'service', 'echo-svc', '--name=echo-np', '--type=NodePort', '--port=81', '--target-port=8080']);
    const s = await getSvc(tc, 'echo-np');
    expect(s.spec.type).toBe('NodePort');
    expect(s.spec.selector).toEqual({ app: 'echo', tier: 'web' });
    expect(s.spec.ports[0]).toMatchObject({ port: 81, targetPort: 8080 });
    expectNodePort(tc, s.spec.ports[0].nodePort);
  });
});

describe('type changes by patch', () => {
  it('ClusterIP → NodePort keeps the IP and allocates a node port; back to ClusterIP releases it', async () => {
    await tc.kubectl(['create', 'service', 'clusterip', 'flip', '--tcp=80:80']);
    const ip = (await getSvc(tc, 'flip')).spec.clusterIP;
    await tc.kubectl(['patch', 'svc', 'flip', '-p', '{"spec":{"type":"NodePort"}}']);
    let s = await getSvc(tc, 'flip');
    expect(s.spec.clusterIP).toBe(ip);
    const nodePort = s.spec.ports[0].nodePort;
    expectNodePort(tc, nodePort);
    expect(s.spec.externalTrafficPolicy).toBe('Cluster');
    await tc.kubectl(['patch', 'svc', 'flip', '-p', '{"spec":{"type":"ClusterIP"}}']);
    s = await getSvc(tc, 'flip');
    expect(s.spec.ports[0].nodePort).toBeUndefined();
    expect(s.spec.externalTrafficPolicy).toBeUndefined();
    // The released node port can be taken by someone else.
    await tc.kubectl(['create', 'service', 'nodeport', 'taker', '--tcp=80:80', `--node-port=${nodePort}`]);
    expect((await row('taker'))[4]).toBe(`80:${nodePort}/TCP`);
  });
  it('ClusterIP → ExternalName releases the IP; ExternalName → ClusterIP allocates a new one', async () => {
    await tc.kubectl(['create', 'service', 'clusterip', 'ename', '--tcp=80:80']);
    const ip = (await getSvc(tc, 'ename')).spec.clusterIP;
    await tc.kubectl(['patch', 'svc', 'ename', '-p', '{"spec":{"type":"ExternalName","externalName":"db.example.com"}}']);
    let s = await getSvc(tc, 'ename');
    expect(s.spec.clusterIP).toBeUndefined();
    expect(s.spec.clusterIPs).toBeUndefined();
    expect(s.spec.ipFamilyPolicy).toBeUndefined();
    // The IP is free again: a user may pick it.
    await tc.kubectl(['create', 'service', 'clusterip', 'picker', '--tcp=80:80', `--clusterip=${ip}`]);
    await tc.kubectl(['patch', 'svc', 'ename', '--type=merge', '-p', '{"spec":{"type":"ClusterIP","externalName":null}}']);
    s = await getSvc(tc, 'ename');
    expectInServiceCIDR(tc, s.spec.clusterIP);
    expect(s.spec.clusterIP).not.toBe(ip);
    expect(s.spec.ipFamilyPolicy).toBe('SingleStack');
  });
  it('LoadBalancer → ClusterIP clears the ingress and the node ports', async () => {
    await tc.kubectl(['create', 'service', 'loadbalancer', 'lb2', '--tcp=80:80']);
    await until(async () => (await getSvc(tc, 'lb2')).status?.loadBalancer?.ingress?.[0]?.ip as string | undefined);
    await tc.kubectl(['patch', 'svc', 'lb2', '-p', '{"spec":{"type":"ClusterIP"}}']);
    const s = await getSvc(tc, 'lb2');
    expect(s.status).toEqual({ loadBalancer: {} });
    expect(s.spec.allocateLoadBalancerNodePorts).toBeUndefined();
    expect(s.spec.ports[0].nodePort).toBeUndefined();
    expect((await row('lb2'))[3]).toBe('<none>');
  });
  it('changing the clusterIP is refused like upstream', async () => {
    const other = nthIP(svcCIDR(tc), 77);
    const r = await tc.kubectl(['patch', 'svc', 'web', '-p', JSON.stringify({ spec: { clusterIP: other } })], { allowFail: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"${other}"}: may not change once set`,
    );
  });
});

describe('dual stack with a second service CIDR', () => {
  const create = (name: string, spec: string) =>
    dual.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n${spec}` });
  it('defaults to single-stack of the primary family', async () => {
    await create('single', '  selector: {app: a}\n  ports: [{port: 80}]\n');
    const s = await getSvc(dual, 'single');
    expect(s.spec.ipFamilies).toEqual(['IPv4']);
    expect(s.spec.ipFamilyPolicy).toBe('SingleStack');
    expect(s.spec.clusterIPs).toHaveLength(1);
  });
  it('PreferDualStack gets one IP of each family, primary first', async () => {
    await create('prefer', '  ipFamilyPolicy: PreferDualStack\n  selector: {app: a}\n  ports: [{port: 80}]\n');
    const s = await getSvc(dual, 'prefer');
    expect(s.spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expectInServiceCIDR(dual, s.spec.clusterIPs[0]);
    expect(s.spec.clusterIPs[1]).toMatch(/^fd00:10:96::/);
    expect(s.spec.clusterIP).toBe(s.spec.clusterIPs[0]);
  });
  it('ipFamilies [IPv6, IPv4] makes IPv6 primary', async () => {
    await create('six', '  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6, IPv4]\n  selector: {app: a}\n  ports: [{port: 80}]\n');
    const s = await getSvc(dual, 'six');
    expect(s.spec.clusterIP).toMatch(/^fd00:10:96::/);
    expectInServiceCIDR(dual, s.spec.clusterIPs[1]);
  });
  it('upgrades to dual stack and downgrades back, releasing the secondary IP', async () => {
    await dual.kubectl(['patch', 'svc', 'single', '-p', '{"spec":{"ipFamilyPolicy":"PreferDualStack"}}']);
    let s = await getSvc(dual, 'single');
    expect(s.spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(s.spec.clusterIPs).toHaveLength(2);
    const v6 = s.spec.clusterIPs[1];
    await dual.kubectl(['patch', 'svc', 'single', '-p', '{"spec":{"ipFamilyPolicy":"SingleStack"}}']);
    s = await getSvc(dual, 'single');
    expect(s.spec.ipFamilies).toEqual(['IPv4']);
    expect(s.spec.clusterIPs).toHaveLength(1);
    // The secondary is free: a user may take it.
    await create('v6only', `  ipFamilies: [IPv6]\n  clusterIP: "${v6}"\n  selector: {app: a}\n  ports: [{port: 80}]\n`);
    expect((await getSvc(dual, 'v6only')).spec.clusterIPs).toEqual([v6]);
  });
  it('a headless Service without selector is RequireDualStack with both families', async () => {
    await create('hl', '  clusterIP: None\n');
    const s = await getSvc(dual, 'hl');
    expect(s.spec.ipFamilyPolicy).toBe('RequireDualStack');
    expect(s.spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
  });
  it('refuses to drop the secondary IP without SingleStack', async () => {
    const s = await getSvc(dual, 'prefer');
    const r = await dual.kubectl(
      ['patch', 'svc', 'prefer', '--type=merge', '-p', JSON.stringify({ spec: { clusterIPs: [s.spec.clusterIPs[0]] } })],
      { allowFail: true },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP`,
    );
  });
});
