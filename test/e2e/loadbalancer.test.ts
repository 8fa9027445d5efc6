// The built-in load balancer: ingress IPs from --loadbalancer-cidr for LoadBalancer Services of
// no class (or tinykube.io/local), other classes left pending, IPs released on type change.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { inCIDR, nthIP } from '../helpers/ranges.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const svc = async (name: string) => JSON.parse((await tc.kubectl(['get', 'svc', name, '-o', 'json'])).stdout);
/** An address of the pool to ask for (x.x.7.7 of the cluster's load-balancer CIDR). */
const fixedIP = () => nthIP(tc.cluster.config.loadBalancerCIDR, 7 * 256 + 7);
const ingressOf = async (name: string) => {
  const s = await svc(name);
  return s.status?.loadBalancer?.ingress?.length ? s.status.loadBalancer.ingress : undefined;
};

describe('built-in load balancer', () => {
  it('assigns an ingress IP from the pool and shows it as EXTERNAL-IP', async () => {
    await tc.kubectl(['create', 'service', 'loadbalancer', 'web', '--tcp=80:8080']);
    const ingress = await until(() => ingressOf('web'));
    expect(ingress).toHaveLength(1);
    expect(inCIDR(tc.cluster.config.loadBalancerCIDR, ingress[0].ip), `${ingress[0].ip} in ${tc.cluster.config.loadBalancerCIDR}`).toBe(
      true,
    );
    expect(ingress[0].ipMode).toBe('VIP');
    const row = (await tc.kubectl(['get', 'svc', 'web', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row[1]).toBe('LoadBalancer');
    expect(row[3]).toBe(ingress[0].ip);
    const nodePort = (await svc('web')).spec.ports[0].nodePort;
    const { base, size } = tc.cluster.config.nodePortRange;
    expect(nodePort).toBeGreaterThanOrEqual(base);
    expect(nodePort).toBeLessThan(base + size);
    expect(row[4]).toBe(`80:${nodePort}/TCP`);
    const events = JSON.parse(
      (await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'json'])).stdout,
    ).items;
    expect(events.map((e: any) => e.reason)).toEqual(expect.arrayContaining(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']));
  });

  it('honours spec.loadBalancerIP in the pool and never hands an IP out twice', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Service\nmetadata:\n  name: fixed\nspec:\n  type: LoadBalancer\n  loadBalancerIP: ${fixedIP()}\n  ports:\n  - port: 53\n    protocol: UDP\n    name: dns-udp\n  - port: 53\n    protocol: TCP\n    name: dns-tcp\n`,
    });
    const ingress = await until(() => ingressOf('fixed'));
    expect(ingress[0].ip).toBe(fixedIP());
    const s = await svc('fixed');
    // TCP and UDP on the same port share one nodePort.
    expect(s.spec.ports[0].nodePort).toBe(s.spec.ports[1].nodePort);
    const web = await ingressOf('web');
    expect(web[0].ip).not.toBe(fixedIP());
  });

  it('leaves other load balancer classes pending', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: other\nspec:\n  type: LoadBalancer\n  loadBalancerClass: example.com/cloud\n  ports:\n  - port: 80\n',
    });
    await tc.cluster.idle();
    expect(await ingressOf('other')).toBeUndefined();
    const row = (await tc.kubectl(['get', 'svc', 'other', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row[3]).toBe('<pending>');
  });

  it('releases the IP when the type changes and reuses it', async () => {
    await tc.kubectl(['patch', 'svc', 'fixed', '--type=merge', '-p', '{"spec":{"type":"ClusterIP","loadBalancerIP":null}}']);
    const s = await until(async () => {
      const x = await svc('fixed');
      return x.status?.loadBalancer?.ingress ? undefined : x;
    });
    expect(s.spec.type).toBe('ClusterIP');
    expect(s.spec.ports.every((p: any) => p.nodePort === undefined)).toBe(true);
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Service\nmetadata:\n  name: again\nspec:\n  type: LoadBalancer\n  loadBalancerIP: ${fixedIP()}\n  ports:\n  - port: 80\n`,
    });
    expect((await until(() => ingressOf('again')))[0].ip).toBe(fixedIP());
  });
});
