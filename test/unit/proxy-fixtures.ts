// Objects and fakes for the proxy's unit tests: Services, EndpointSlices, Pods, a logger that
// records its lines, and a socket that records resets.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Logger } from 'pino';
import type { EndpointSliceObj, SliceEndpoint, SlicePort } from '../../src/registry/endpointslice.js';
import type { ServiceObj, ServiceSpec } from '../../src/registry/service/strategy.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';

export const NODE = { name: 'node-a' };

export const svc = (spec: ServiceSpec = {}, name = 'web'): ServiceObj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', generation: 1 },
  spec: {
    type: 'ClusterIP',
    clusterIP: '127.96.0.5',
    clusterIPs: ['127.96.0.5'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    ...spec,
  },
});

let n = 0;
export const slice = (
  service: string | undefined,
  endpoints: SliceEndpoint[],
  ports: SlicePort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  addressType = 'IPv4',
): EndpointSliceObj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: `${service ?? 'other'}-${n++}`,
    namespace: 'default',
    labels: service ? { 'kubernetes.io/service-name': service } : {},
  },
  addressType,
  endpoints,
  ports,
});

export const ep = (ip: string, more: Partial<SliceEndpoint> = {}): SliceEndpoint => ({
  addresses: [ip],
  conditions: { ready: true, serving: true, terminating: false },
  nodeName: NODE.name,
  ...more,
});

export const pod = (name: string, ips: string[], hostNetwork = false): PodObj =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { hostNetwork, containers: [] },
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  }) as unknown as PodObj;

/** A pino stand-in that keeps `level: message` lines. */
export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (...a: unknown[]) =>
      lines.push(`${level}: ${String(typeof a[0] === 'string' ? a[0] : a[1])}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger & {
    lines: string[];
  };
}

/** A socket with addresses that records resetAndDestroy(). */
export function fakeSocket(remoteAddress: string, localAddress?: string): net.Socket & { resets: number } {
  const s = Object.assign(new EventEmitter(), {
    remoteAddress,
    localAddress,
    resets: 0,
    destroyed: false,
    resetAndDestroy() {
      s.resets++;
      s.destroyed = true;
      return s;
    },
    destroy() {
      s.destroyed = true;
      return s;
    },
  });
  return s as unknown as net.Socket & { resets: number };
}
