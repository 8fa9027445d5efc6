// The shared helpers of src/kubelet/pod-state.ts: what a Pod's environment and volumes read of
// the Node, and timer delays that cannot overflow.
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { podContext, podKeyOf, specOf, timerMs } from '../../src/kubelet/pod-state.js';
import { fakeContext, pod, worker } from './kubelet-fakes.js';

describe('podContext', () => {
  it('reads the Node’s allocatable and the Pod’s objects from the store', () => {
    const node = {
      metadata: { name: 'node1' },
      status: { allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' } },
    } as unknown as KubeObject;
    const cm = { metadata: { name: 'c', namespace: 'ns' } } as KubeObject;
    const { rt } = fakeContext({ objects: { 'nodes//node1': node, 'configmaps/ns/c': cm } });
    const w = worker(pod());
    const ctx = podContext(rt, w);
    expect(ctx.node).toEqual({ cpu: '4', memory: '8Gi', ephemeralStorage: '100Gi' });
    expect(ctx).toMatchObject({ pod: w.pod, podIPs: ['127.244.0.5'], hostIP: '192.0.2.1' });
    expect(ctx.getConfigMap('ns', 'c')).toBe(cm);
    expect(ctx.getSecret('ns', 'c')).toBeUndefined();
    expect(podContext(fakeContext().rt, w).node).toEqual({ cpu: undefined, memory: undefined, ephemeralStorage: undefined });
  });
});

describe('timerMs', () => {
  it('holds a delay a Node timer can hold (a longer one would fire at once)', () => {
    expect(timerMs(5000)).toBe(5000);
    expect(timerMs(-3)).toBe(0);
    expect(timerMs(2 ** 40)).toBe(2 ** 31 - 1);
    expect(timerMs(Infinity)).toBe(2 ** 31 - 1);
    expect(timerMs(NaN)).toBe(2 ** 31 - 1);
  });
});

describe('specOf and podKeyOf', () => {
  it('read a Pod without a spec, and key it by namespace/name', () => {
    expect(specOf({ metadata: { name: 'x' } } as KubeObject)).toEqual({});
    expect(podKeyOf(pod())).toBe('ns/p');
  });
});
