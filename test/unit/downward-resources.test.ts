// The downward API's resource values (resourceFieldRef), computed as the kubelet does: exact
// quantities, CPU in millis, rounded up; the node's allocatable for an unset limit.
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { containerEnv, resourceValue, type EnvContext } from '../../src/kubelet/env.js';
import type { Container, PodSpec } from '../../src/api/generated/core/v1.js';

const node = { node: { cpu: '2', memory: '1G', ephemeralStorage: '10G' } };
const c = (resources: Container['resources']): Container => ({ name: 'c', resources }) as Container;
const value = (resource: string, divisor: string | undefined, res: Container['resources']) =>
  resourceValue({ resource, divisor }, c(res), node);

describe('resourceFieldRef values', () => {
  it('are exact: 1001m over 1m is 1001 (floats gave 1002), and exponent quantities parse', () => {
    expect(value('requests.cpu', '1m', { requests: { cpu: '1001m' } })).toBe('1001');
    expect(value('requests.cpu', '1', { requests: { cpu: '1e3' } })).toBe('1000');
    expect(value('requests.memory', '1', { requests: { memory: '1e3' } })).toBe('1000');
    expect(value('limits.memory', '1Mi', { limits: { memory: '64Mi' } })).toBe('64');
  });

  it('round up, CPU in millis and the rest in whole units', () => {
    expect(value('limits.cpu', '1', { limits: { cpu: '250m' } })).toBe('1');
    expect(value('limits.cpu', undefined, { limits: { cpu: '1500m' } })).toBe('2');
    expect(value('requests.memory', '1Ki', { requests: { memory: '1025' } })).toBe('2');
    expect(value('requests.memory', '1', { requests: { memory: '0.5' } })).toBe('1');
  });

  it("give the node's allocatable for an unset limit, and 0 for an unset request", () => {
    expect(value('limits.cpu', '1m', {})).toBe('2000');
    expect(value('limits.memory', '1Mi', {})).toBe('954');
    expect(value('limits.ephemeral-storage', '1G', {})).toBe('10');
    expect(value('requests.cpu', '1m', {})).toBe('0');
  });
});

describe('HOSTNAME', () => {
  const env = (spec: Partial<PodSpec>, name: string, declared?: string) =>
    containerEnv(
      { name: 'c', env: declared ? [{ name: 'HOSTNAME', value: declared }] : [] } as Container,
      {
        pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [], ...spec } },
        podIPs: ['127.244.0.9'],
        hostIP: '127.0.0.1',
        services: [],
        getConfigMap: () => undefined,
        getSecret: () => undefined,
        ...node,
      } as unknown as EnvContext,
    ).env.HOSTNAME;

  it('is the hostname the container has: a long Pod name cut to 63 characters as the UTS hostname is', () => {
    expect(env({}, `${'a'.repeat(62)}-bcd`)).toBe('a'.repeat(62));
    expect(env({ hostname: 'h' }, 'p')).toBe('h');
    expect(env({}, 'short')).toBe('short');
  });

  it("is the host's own with hostNetwork, and a declared HOSTNAME wins", () => {
    expect(env({ hostNetwork: true }, 'p')).toBe(hostname());
    expect(env({}, 'p', 'mine')).toBe('mine');
  });
});
