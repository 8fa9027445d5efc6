// The downward API's resource values (resourceFieldRef), computed as the kubelet does: exact
// quantities, CPU in millis, rounded up; the node's allocatable for an unset limit.
import { describe, expect, it } from 'vitest';
import { resourceValue, type ContainerSpec } from '../../src/kubelet/env.js';

const node = { node: { cpu: '2', memory: '1G', ephemeralStorage: '10G' } };
const c = (resources: ContainerSpec['resources']): ContainerSpec => ({ name: 'c', resources }) as ContainerSpec;
const value = (resource: string, divisor: string | undefined, res: ContainerSpec['resources']) =>
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
