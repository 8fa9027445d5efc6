// Which sockets a Service wants, the reconciler that opens and closes them (failures reported
// once, retried, never blocking the others), and the health answers' exact text.
import { describe, it, expect } from 'vitest';
import { createListenerSet, listenErrorText, wantedListeners, type ListenerFailure, type ListenerSpec } from '../../src/proxy/listeners.js';
import { goTime, serviceHealthBody } from '../../src/proxy/healthcheck.js';
import type { ServiceObj, ServiceSpec } from '../../src/registry/service/strategy.js';

const svc = (spec: ServiceSpec, status: ServiceObj['status'] = {}, name = 'web'): ServiceObj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '127.96.0.5',
    clusterIPs: ['127.96.0.5'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    ...spec,
  },
  status,
});
const HOST = { nodePortAddresses: ['127.0.0.1', '::1'], isLocal: (ip: string) => ip.startsWith('127.') || ip === '::1' };
const keys = (s: ServiceObj) => wantedListeners(s, HOST).listeners.map((l) => `${l.key} ${l.role}${l.external ? ' ext' : ''}`);

describe('externalIPs on this host', () => {
  it('serves loopback externalIPs; a non-loopback host address only inside --external-ip-addresses', async () => {
    const { externalIPAllowed } = await import('../../src/proxy/nodeport-addresses.js');
    const { parseNodePortCIDRs } = await import('../../src/proxy/nodeport-addresses.js');
    // 192.0.2.2 stands for the host's own public address (API data: nothing connects to it).
    const host = (allowed: string[]) => ({
      nodePortAddresses: ['127.0.0.1'],
      isLocal: (ip: string) => ip.startsWith('127.') || ip === '192.0.2.2',
      externalIPAllowed: (ip: string) => externalIPAllowed(ip, parseNodePortCIDRs(allowed)),
    });
    const s = svc({ externalIPs: ['127.96.0.77', '192.0.2.2', '198.51.100.1'] });
    const def = wantedListeners(s, host([]));
    expect(def.listeners.map((l) => l.key)).toEqual(['TCP 127.96.0.5:80', 'TCP 127.96.0.77:80']);
    expect(def.refusedExternalIPs).toEqual(['192.0.2.2']);
    expect(def.foreignExternalIPs).toEqual(['198.51.100.1']);
    const allowed = wantedListeners(s, host(['192.0.2.0/24']));
    expect(allowed.listeners.map((l) => l.key)).toEqual(['TCP 127.96.0.5:80', 'TCP 127.96.0.77:80', 'TCP 192.0.2.2:80']);
    expect(allowed.refusedExternalIPs).toEqual([]);
  });
});

describe('wanted listeners', () => {
  it('serves each TCP and UDP port on every ClusterIP', () => {
    const s = svc({
      clusterIPs: ['127.96.0.5', 'fd00::5'],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    });
    expect(keys(s)).toEqual([
      'UDP 127.96.0.5:53 clusterIP',
      'UDP [fd00::5]:53 clusterIP',
      'TCP 127.96.0.5:53 clusterIP',
      'TCP [fd00::5]:53 clusterIP',
    ]);
    const l = wantedListeners(s, HOST).listeners[0]!;
    expect(l).toMatchObject({ service: 'default/web', route: 'default/web:53/UDP', family: 4, portName: 'dns' });
  });

  it('adds NodePorts (of the Service’s families), load-balancer IPs and local externalIPs as external listeners', () => {
    const s = svc(
      {
        type: 'LoadBalancer',
        externalIPs: ['127.96.0.77', '192.0.2.10'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30007 }],
      },
      {
        loadBalancer: {
          ingress: [{ ip: '127.240.0.1', ipMode: 'VIP' }, { ip: '127.240.0.2', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }],
        },
      },
    );
    expect(keys(s)).toEqual([
      'TCP 127.96.0.5:80 clusterIP',
      'TCP 127.0.0.1:30007 nodePort ext',
      'TCP 127.240.0.1:80 loadBalancer ext',
      'TCP 127.96.0.77:80 externalIP ext',
    ]);
    expect(wantedListeners(s, HOST).foreignExternalIPs).toEqual(['192.0.2.10']);
    // Ingress only counts for type LoadBalancer.
    expect(keys({ ...s, spec: { ...s.spec, type: 'NodePort' } })).not.toContain('TCP 127.240.0.1:80 loadBalancer ext');
  });

  it('serves the health check node port for LoadBalancer with externalTrafficPolicy Local', () => {
    const s = svc({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 31000,
      ports: [{ port: 80, protocol: 'TCP', nodePort: 30007 }],
    });
    const l = wantedListeners(s, HOST).listeners.find((x) => x.kind === 'health')!;
    expect(l).toMatchObject({
      key: 'TCP 127.0.0.1:31000',
      address: '127.0.0.1',
      port: 31000,
      route: 'default/web',
      role: 'healthCheckNodePort',
    });
  });

  it('gives headless and ExternalName Services nothing, and reports SCTP ports as unsupported', () => {
    expect(wantedListeners(svc({ clusterIP: 'None', clusterIPs: ['None'] }), HOST).listeners).toEqual([]);
    expect(
      wantedListeners(svc({ type: 'ExternalName', externalName: 'example.com', clusterIP: undefined, clusterIPs: undefined }), HOST)
        .listeners,
    ).toEqual([]);
    const w = wantedListeners(svc({ ports: [{ name: 's', port: 9000, protocol: 'SCTP' }, { port: 80 }] }), HOST);
    expect(w.unsupported).toEqual([{ name: 's', port: 9000, protocol: 'SCTP' }]);
    expect(w.listeners.map((l) => l.key)).toEqual(['TCP 127.96.0.5:80']);
  });
});

/** A fake opener: addresses in `busy` fail with EADDRINUSE; opens resolve on the next tick. */
function fakeOpener() {
  const busy = new Set<string>();
  const open = new Map<string, () => ListenerSpec>();
  let opens = 0;
  return {
    busy,
    open,
    get opens() {
      return opens;
    },
    async opener(spec: ListenerSpec, current: () => ListenerSpec) {
      opens++;
      await new Promise((r) => setImmediate(r));
      if (busy.has(spec.key)) throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
      open.set(spec.key, current);
      return { close: async () => void open.delete(spec.key) };
    },
  };
}

const spec = (service: string, address: string, port = 80, route = `${service}:${port}/TCP`): ListenerSpec => ({
  key: `TCP ${address}:${port}`,
  kind: 'TCP',
  address,
  port,
  family: 4,
  service,
  route,
  external: false,
  role: 'clusterIP',
  portName: '',
});

describe('listener reconciler', () => {
  const setup = () => {
    const f = fakeOpener();
    const failed: ListenerFailure[] = [];
    const recovered: string[] = [];
    const set = createListenerSet({
      open: f.opener,
      failed: (x) => failed.push(x),
      recovered: (s) => recovered.push(s.key),
      retryBaseMs: 1_000,
      retryMaxMs: 4_000,
    });
    return { f, failed, recovered, set };
  };

  it('opens and closes to match, and updates the route of an open socket in place', async () => {
    const { f, set } = setup();
    set.apply('ns/a', [spec('ns/a', '127.0.0.5'), spec('ns/a', '127.0.0.6')]);
    await set.idle();
    expect([...f.open.keys()].sort()).toEqual(['TCP 127.0.0.5:80', 'TCP 127.0.0.6:80']);
    set.apply('ns/a', [spec('ns/a', '127.0.0.5', 80, 'ns/a:80/TCP-moved')]);
    await set.idle();
    expect([...f.open.keys()]).toEqual(['TCP 127.0.0.5:80']);
    expect(f.open.get('TCP 127.0.0.5:80')!().route).toBe('ns/a:80/TCP-moved');
    expect(f.opens).toBe(2);
    set.apply('ns/a', []);
    await set.idle();
    expect(f.open.size).toBe(0);
  });

  it('reports a failure once, keeps the other sockets, retries with back-off and recovers', async () => {
    const { f, failed, recovered, set } = setup();
    f.busy.add('TCP 127.0.0.6:80');
    set.apply('ns/a', [spec('ns/a', '127.0.0.5'), spec('ns/a', '127.0.0.6')]);
    await set.idle();
    expect([...f.open.keys()]).toEqual(['TCP 127.0.0.5:80']);
    expect(failed.map((x) => [x.spec.key, x.code, x.message])).toEqual([
      [
        'TCP 127.0.0.6:80',
        'EADDRINUSE',
        'address already in use (another process on this host holds it: another cluster or any other program)',
      ],
    ]);
    // Not yet due: nothing happens; due (the clock moved past the back-off): retried.
    const before = f.opens;
    set.retryDue();
    await set.idle();
    expect(f.opens).toBe(before);
    for (let i = 0; i < 5; i++) {
      set.retryDue(Date.now() + 60_000);
      await set.idle();
    }
    expect(set.failures()[0]!.attempts).toBe(6);
    // A Service update retries at once, too; still one report.
    set.apply('ns/a', [spec('ns/a', '127.0.0.5'), spec('ns/a', '127.0.0.6')]);
    await set.idle();
    expect(f.opens).toBeGreaterThanOrEqual(7);
    expect(failed).toHaveLength(1);
    expect(set.failures().map((x) => x.code)).toEqual(['EADDRINUSE']);
    f.busy.clear();
    set.retryDue(Date.now() + 60_000);
    await set.idle();
    expect([...f.open.keys()].sort()).toEqual(['TCP 127.0.0.5:80', 'TCP 127.0.0.6:80']);
    expect(recovered).toEqual(['TCP 127.0.0.6:80']);
    expect(set.failures()).toEqual([]);
  });

  it('gives an address two Services want to the first, reports the conflict, and hands it over when freed', async () => {
    const { f, failed, set } = setup();
    set.apply('ns/a', [spec('ns/a', '127.0.0.5')]);
    set.apply('ns/b', [spec('ns/b', '127.0.0.5')]);
    await set.idle();
    expect(f.open.get('TCP 127.0.0.5:80')!().service).toBe('ns/a');
    expect(failed.map((x) => [x.spec.service, x.code, x.message])).toEqual([
      ['ns/b', 'CONFLICT', 'Service ns/a of this cluster already has it (as its clusterIP)'],
    ]);
    set.apply('ns/a', []);
    await set.idle();
    expect(f.open.get('TCP 127.0.0.5:80')!().service).toBe('ns/b');
    expect(set.failures()).toEqual([]);
  });

  it('does not report a failure for a listener no longer wanted, and closes everything on closeAll', async () => {
    const { f, failed, set } = setup();
    f.busy.add('TCP 127.0.0.7:80');
    set.apply('ns/a', [spec('ns/a', '127.0.0.7'), spec('ns/a', '127.0.0.8')]);
    set.apply('ns/a', [spec('ns/a', '127.0.0.8')]);
    await set.idle();
    expect(failed).toEqual([]);
    await set.closeAll();
    expect(f.open.size).toBe(0);
  });
});

describe('listen errors in plain words', () => {
  it('names the usual causes', () => {
    expect(listenErrorText('EADDRINUSE', 8000, 'x')).toBe(
      'address already in use (another process on this host holds it: another cluster or any other program)',
    );
    expect(listenErrorText('EADDRNOTAVAIL', 8000, 'x')).toBe('address not available on this host (no network interface has it)');
    expect(listenErrorText('EACCES', 80, 'x')).toBe(
      'permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE (allow them with `sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0`, or run tinykube as root)',
    );
    expect(listenErrorText('EACCES', 8080, 'x')).toBe('permission denied');
    expect(listenErrorText('EINVAL', 80, 'listen EINVAL')).toBe('listen EINVAL');
  });
});

describe('health answers', () => {
  it('writes kube-proxy’s service health body byte for byte', () => {
    expect(serviceHealthBody('default', 'web', 2, true)).toBe(
      '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}',
    );
  });

  it('prints times as Go’s time.Time String()', () => {
    expect(goTime(undefined)).toBe('0001-01-01 00:00:00 +0000 UTC');
    expect(goTime(Date.UTC(2025, 0, 2, 3, 4, 5, 120))).toBe('2025-01-02 03:04:05.12 +0000 UTC');
    expect(goTime(Date.UTC(2025, 0, 2, 3, 4, 5), 1234.5)).toBe('2025-01-02 03:04:05 +0000 UTC m=+1.234500000');
  });
});
