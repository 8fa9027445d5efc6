import { describe, it, expect } from 'vitest';
import {
  priorityClassDef,
  validatePriorityClass,
  validatePriorityClassUpdate,
  defaultPriorityClass,
  SYSTEM_PRIORITY_CLASSES,
  type PriorityClassObj,
} from '../../src/registry/scheduling/priorityclass.js';
import { admitPodPriority } from '../../src/registry/scheduling/priority-admission.js';
import {
  runtimeClassDef,
  validateRuntimeClass,
  validateRuntimeClassUpdate,
  type RuntimeClassObj,
} from '../../src/registry/node/runtimeclass.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { WriteContext } from '../../src/registry/types.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { PodSpec } from '../../src/api/generated/core/v1.js';

const pc = (name: string, value: number, extra: Partial<PriorityClassObj> = {}): PriorityClassObj =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra }) as PriorityClassObj;
const msgs = (errs: { field: string; body: string }[]) => errs.map((e) => `${e.field}: ${e.body}`);

/** A write context whose transaction holds these PriorityClasses. */
function ctxWith(classes: PriorityClassObj[]): WriteContext {
  const tx = {
    get: (resource: string, _ns: string, name: string) =>
      resource === 'scheduling.k8s.io/priorityclasses' ? classes.find((c) => c.metadata.name === name) : undefined,
    list: (resource: string) => (resource === 'scheduling.k8s.io/priorityclasses' ? classes : []),
  };
  return { tx, config: undefined, now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
}
const refusal = (f: () => void): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(403);
    return (e as StatusError).message;
  }
  throw new Error('not refused');
};

describe('PriorityClass defaults and validation', () => {
  it('defaults preemptionPolicy (not an empty one) and a missing value', () => {
    const o = { metadata: { name: 'x' } } as PriorityClassObj;
    priorityClassDef.defaults!(o, ctxWith([]));
    expect(o).toMatchObject({ value: 0, preemptionPolicy: 'PreemptLowerPriority' });
    const empty = pc('x', 1, { preemptionPolicy: '' });
    priorityClassDef.defaults!(empty, ctxWith([]));
    expect(msgs(validatePriorityClass(empty))).toEqual(['preemptionPolicy: Required value']);
  });

  it('reserves the system- prefix and values above one billion', () => {
    expect(validatePriorityClass(pc('ok', 1_000_000_000))).toEqual([]);
    expect(msgs(validatePriorityClass(pc('big', 1_000_000_001)))).toEqual([
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    expect(msgs(validatePriorityClass(pc('system-x', 1)))).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class",
    ]);
    expect(msgs(validatePriorityClass(pc('system-node-critical', 5)))).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000",
    ]);
    expect(msgs(validatePriorityClass(pc('system-cluster-critical', 2_000_000_000, { globalDefault: true })))).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false",
    ]);
    for (const s of SYSTEM_PRIORITY_CLASSES) expect(validatePriorityClass(pc(s.name, s.value))).toEqual([]);
    expect(msgs(validatePriorityClass(pc('p', 1, { preemptionPolicy: 'Sometimes' })))).toEqual([
      'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    ]);
  });

  it('keeps value and preemptionPolicy on update, and nothing else', () => {
    const old = pc('p', 10, { preemptionPolicy: 'Never' });
    expect(validatePriorityClassUpdate(pc('p', 10, { preemptionPolicy: 'Never', description: 'new', globalDefault: true }), old)).toEqual(
      [],
    );
    expect(msgs(validatePriorityClassUpdate(pc('p', 11, { preemptionPolicy: 'PreemptLowerPriority' }), old))).toEqual([
      'value: Forbidden: may not be changed in an update.',
      'preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable',
    ]);
  });

  it('refuses to delete the system classes only', () => {
    expect(refusal(() => priorityClassDef.admitDelete!('system-cluster-critical'))).toBe(
      'priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted',
    );
    expect(() => priorityClassDef.admitDelete!('mine')).not.toThrow();
  });

  it('allows one global default (the lowest wins a race)', () => {
    const classes = [pc('a', 50, { globalDefault: true }), pc('b', 20, { globalDefault: true }), pc('c', 1)];
    expect(defaultPriorityClass(ctxWith(classes))?.metadata.name).toBe('b');
    const ctx = ctxWith([pc('first', 5, { globalDefault: true })]);
    expect(refusal(() => priorityClassDef.beginCreate!(pc('second', 6, { globalDefault: true }), ctx))).toBe(
      'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist',
    );
    expect(() => priorityClassDef.beginCreate!(pc('second', 6), ctx)).not.toThrow();
    expect(() => priorityClassDef.beginUpdate!(pc('first', 5, { globalDefault: true }), pc('first', 5), ctx)).not.toThrow();
    expect(refusal(() => priorityClassDef.beginUpdate!(pc('other', 6, { globalDefault: true }), pc('other', 6), ctx))).toMatch(
      /PriorityClass first is already marked as default/,
    );
  });

  it('prints upstream’s columns', () => {
    expect(priorityClassDef.table.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Value', 'integer'],
      ['Global-Default', 'boolean'],
      ['Age', 'string'],
      ['PreemptionPolicy', 'string'],
    ]);
    const now = new Date('2026-01-01T00:01:00Z');
    const o = pc('p', 7, {
      globalDefault: true,
      preemptionPolicy: 'Never',
      metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect(priorityClassDef.table.row(o, now)).toEqual(['p', 7, true, '60s', 'Never']);
  });
});

describe('Priority admission', () => {
  type PodLike = KubeObject & { spec: PodSpec };
  const pod = (spec: Partial<PodSpec> = {}): PodLike =>
    ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...spec } }) as PodLike;
  const classes = [pc('high', 1000, { preemptionPolicy: 'PreemptLowerPriority' }), pc('never', 5, { preemptionPolicy: 'Never' })];

  it('takes priority and preemptionPolicy from the named class', () => {
    const p = pod({ priorityClassName: 'never' });
    admitPodPriority(p, ctxWith(classes));
    expect(p.spec).toMatchObject({ priorityClassName: 'never', priority: 5, preemptionPolicy: 'Never' });
  });

  it('uses the global default class, naming it, else priority 0', () => {
    const p = pod();
    admitPodPriority(p, ctxWith([...classes, pc('dflt', -3, { globalDefault: true, preemptionPolicy: 'Never' })]));
    expect(p.spec).toMatchObject({ priorityClassName: 'dflt', priority: -3, preemptionPolicy: 'Never' });
    const q = pod();
    admitPodPriority(q, ctxWith(classes));
    expect(q.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(q.spec.priorityClassName).toBeUndefined();
  });

  it('refuses unknown classes and values that differ from the computed ones', () => {
    expect(refusal(() => admitPodPriority(pod({ priorityClassName: 'nope' }), ctxWith(classes)))).toBe(
      'pods "p" is forbidden: no PriorityClass with name nope was found',
    );
    expect(refusal(() => admitPodPriority(pod({ priority: 7 }), ctxWith(classes)))).toBe(
      'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
    );
    expect(refusal(() => admitPodPriority(pod({ priorityClassName: 'high', preemptionPolicy: 'Never' }), ctxWith(classes)))).toBe(
      'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    );
    const named = {
      metadata: { generateName: 'web-', namespace: 'default' },
      spec: { containers: [], priorityClassName: 'nope' },
    } as unknown as PodLike;
    expect(refusal(() => admitPodPriority(named, ctxWith(classes)))).toBe(
      'pods "web-" is forbidden: no PriorityClass with name nope was found',
    );
    const same = pod({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    admitPodPriority(same, ctxWith(classes));
    expect(same.spec.priority).toBe(1000);
  });
});

describe('RuntimeClass', () => {
  const rc = (handler: string, extra: Partial<RuntimeClassObj> = {}): RuntimeClassObj =>
    ({ metadata: { name: 'r' }, handler, ...extra }) as RuntimeClassObj;

  it('validates the handler, overhead and scheduling as upstream does', () => {
    expect(validateRuntimeClass(rc('runc', { overhead: { podFixed: { cpu: '100m' } }, scheduling: { nodeSelector: { a: 'b' } } }))).toEqual(
      [],
    );
    expect(msgs(validateRuntimeClass(rc('')))).toEqual([
      "handler: Invalid value: \"\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    const tol = { key: 'k', operator: 'Exists', effect: 'NoSchedule' };
    expect(msgs(validateRuntimeClass(rc('runc', { scheduling: { tolerations: [tol, { ...tol }] } })))).toEqual([
      expect.stringMatching(/^scheduling\.tolerations\[1\]: Duplicate value: /),
    ]);
    expect(msgs(validateRuntimeClass(rc('runc', { scheduling: { tolerations: [{ key: 'k', operator: 'Sometimes' }] } })))).toEqual([
      'scheduling.tolerations[0].operator: Unsupported value: "Sometimes": supported values: "Equal", "Exists"',
    ]);
    expect(msgs(validateRuntimeClass(rc('runc', { scheduling: { nodeSelector: { 'bad key!': 'x' } } })))).toEqual([
      expect.stringMatching(/^scheduling\.nodeSelector: Invalid value: "bad key!": /),
    ]);
    expect(msgs(validateRuntimeClass(rc('runc', { overhead: { podFixed: { cpu: '-1' } } })))).toEqual([
      expect.stringMatching(/^overhead\.limits\[cpu\]: Invalid value: "-1": must be greater than or equal to 0/),
    ]);
  });

  it('keeps the handler on update and prints NAME HANDLER AGE', () => {
    expect(msgs(validateRuntimeClassUpdate(rc('kata'), rc('runc')))).toEqual(['handler: Invalid value: "kata": field is immutable']);
    expect(validateRuntimeClassUpdate(rc('runc', { scheduling: { nodeSelector: { a: 'c' } } }), rc('runc'))).toEqual([]);
    expect(runtimeClassDef.table.columns.map((c) => c.name)).toEqual(['Name', 'Handler', 'Age']);
    expect(runtimeClassDef.shortNames).toBeUndefined();
  });
});
