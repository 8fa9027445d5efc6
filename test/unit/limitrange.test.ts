// LimitRange: defaults of Container items, validation texts, and the LimitRanger admission's
// defaulting and refusals of Pods and PVCs (texts as upstream's).
import { describe, it, expect } from 'vitest';
import { fieldErrorString } from '../../src/apimachinery/field.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { WriteContext } from '../../src/registry/types.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { limitRangeDef, validateLimitRange, type LimitRangeObj } from '../../src/registry/quota/limitrange.js';
import { admitClaimLimitRanges, admitLimitRanges, LIMIT_RANGER_ANNOTATION } from '../../src/registry/quota/limitrange-admission.js';

const lr = (limits: object[]): LimitRangeObj => {
  const o = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } } as LimitRangeObj;
  limitRangeDef.defaults!(o, {} as never);
  return o;
};
const texts = (o: LimitRangeObj) => validateLimitRange(o).map(fieldErrorString);
/** A write context whose transaction holds these LimitRanges. */
const ctxWith = (ranges: LimitRangeObj[]) =>
  ({ tx: { list: (r: string) => (r === 'limitranges' ? ranges : []) } }) as unknown as WriteContext;
type PodLike = KubeObject & { spec: { containers: { name: string; resources?: Record<string, Record<string, string>> }[] } };
const pod = (...containers: PodLike['spec']['containers']): PodLike =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers } }) as PodLike;
const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'admitted';
};

describe('LimitRange defaults and validation', () => {
  it('defaults a Container item: default from max, defaultRequest from default, then min', () => {
    const o = lr([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' } }]);
    expect(o.spec!.limits[0]).toEqual({
      type: 'Container',
      max: { cpu: '1' },
      min: { memory: '64Mi' },
      default: { cpu: '1' },
      defaultRequest: { cpu: '1', memory: '64Mi' },
    });
    const pod = lr([{ type: 'Pod', max: { cpu: '1' } }]);
    expect(pod.spec!.limits[0]).toEqual({ type: 'Pod', max: { cpu: '1' } });
  });

  it('refuses inverted bounds with upstream texts', () => {
    expect(
      texts(lr([{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, default: { cpu: '1' }, defaultRequest: { cpu: '1' } }])),
    ).toEqual([
      'spec.limits[0].min[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1", Format:"DecimalSI"}: min value 2 is greater than default request value 1',
      'spec.limits[0].default[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than default value 1',
    ]);
  });

  it('refuses defaults on Pod items, unknown types, duplicates and PVC items without bounds', () => {
    expect(
      texts(
        lr([
          { type: 'Pod', default: { cpu: '1' } },
          { type: 'Pod', max: { cpu: '1' } },
          { type: 'Widget' },
          { type: 'PersistentVolumeClaim', max: { cpu: '1' } },
        ]),
      ),
    ).toEqual([
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[1].type: Duplicate value: "Pod"',
      'spec.limits[2].type: Invalid value: "Widget": must be a standard limit type or fully qualified',
      'spec.limits[3].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
    ]);
  });

  it('refuses a ratio below 1 or above max/min', () => {
    expect(texts(lr([{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }]))[0]).toMatch(
      /maxLimitRequestRatio\[cpu\]: Invalid value: .*: ratio 500m is less than 1$/,
    );
    expect(texts(lr([{ type: 'Pod', min: { cpu: '1' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '3' } }]))[0]).toMatch(
      /ratio 3 is greater than max\/min = 2.000000$/,
    );
  });
});

describe('LimitRanger admission', () => {
  const range = lr([{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } }]);

  it('fills missing requests and limits and records them in the annotation', () => {
    // defaultRequest was defaulted from default: memory 128Mi.
    const p = pod({ name: 'a', resources: { requests: { memory: '64Mi' } } }, { name: 'b' });
    admitLimitRanges(p as never, ctxWith([range]));
    expect(p.spec.containers[0]!.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { memory: '64Mi', cpu: '100m' },
    });
    expect(p.spec.containers[1]!.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    expect(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      'LimitRanger plugin set: cpu request for container a; cpu, memory limit for container a; cpu, memory request for container b; cpu, memory limit for container b',
    );
  });

  it('leaves Pods alone in namespaces without LimitRanges', () => {
    const p = pod({ name: 'a' });
    admitLimitRanges(p as never, ctxWith([]));
    expect(p).toEqual(pod({ name: 'a' }));
  });

  it('refuses a container over max with upstream text', () => {
    expect(refusal(() => admitLimitRanges(pod({ name: 'a', resources: { limits: { cpu: '2' } } }) as never, ctxWith([range])))).toBe(
      '403 pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });

  it('aggregates several refusals, min and ratio included', () => {
    const strict = lr([{ type: 'Container', min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } }]);
    const p = pod({ name: 'a', resources: { requests: { memory: '32Mi', cpu: '100m' }, limits: { cpu: '500m' } } });
    expect(refusal(() => admitLimitRanges(p as never, ctxWith([strict])))).toBe(
      '403 pods "p" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000]',
    );
  });

  it('holds the Pod aggregate to Pod items', () => {
    const podItem = lr([{ type: 'Pod', max: { cpu: '1' } }]);
    const p = pod({ name: 'a', resources: { limits: { cpu: '600m' } } }, { name: 'b', resources: { limits: { cpu: '600m' } } });
    expect(refusal(() => admitLimitRanges(p as never, ctxWith([podItem])))).toBe(
      '403 pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m',
    );
  });

  it('holds a claim storage request within PersistentVolumeClaim items', () => {
    const pvcItem = lr([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }]);
    const claim = (storage: string) =>
      ({ metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage } } } }) as unknown as KubeObject;
    expect(refusal(() => admitClaimLimitRanges(claim('5Gi') as never, ctxWith([pvcItem])))).toBe(
      '403 persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi',
    );
    expect(refusal(() => admitClaimLimitRanges(claim('512Mi') as never, ctxWith([pvcItem])))).toBe(
      '403 persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 512Mi',
    );
    expect(refusal(() => admitClaimLimitRanges(claim('1536Mi') as never, ctxWith([pvcItem])))).toBe('admitted');
  });
});
