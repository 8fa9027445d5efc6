import { describe, it, expect } from 'vitest';
import { podDef, podRow, podGracePeriod, defaultPullPolicy, type PodObj } from '../../src/registry/pod/strategy.js';
import type { WriteContext } from '../../src/registry/types.js';

const ctx = { tx: undefined, config: undefined, now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
const pod = (spec: Record<string, unknown>, status?: Record<string, unknown>, meta: Record<string, unknown> = {}): PodObj =>
  ({ metadata: { name: 'p', namespace: 'default', creationTimestamp: '2025-01-01T00:00:00Z', ...meta }, spec, status }) as PodObj;

describe('Pod defaults', () => {
  it('applies upstream defaults and admission additions on create', () => {
    const p = pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] });
    podDef.defaults!(p, ctx);
    podDef.admit!(p, ctx);
    podDef.prepareForCreate!(p, ctx);
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    expect(p.spec!.containers![0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'Always',
      resources: {},
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
    expect(p.spec!.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(podDef.validate!(p, ctx)).toEqual([]);
  });
  it('pull policy follows the tag', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.27')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('app@sha256:abc')).toBe('IfNotPresent');
  });
  it('computes Guaranteed QoS when limits (and defaulted requests) are set', () => {
    const p = pod({ containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
    podDef.defaults!(p, ctx);
    podDef.admit!(p, ctx);
    podDef.prepareForCreate!(p, ctx);
    expect(p.spec!.containers![0]!.resources!.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(p.status!.qosClass).toBe('Guaranteed');
  });
});

describe('Pod validation', () => {
  it('requires containers, names and images', () => {
    const errs = (spec: Record<string, unknown>) => {
      const p = pod(spec);
      podDef.defaults!(p, ctx);
      return podDef.validate!(p, ctx).map((e) => `${e.field}: ${e.body}`);
    };
    expect(errs({})).toContain('spec.containers: Required value');
    const m = errs({
      containers: [
        { name: 'a', image: '' },
        { name: 'a', image: 'x' },
      ],
      restartPolicy: 'Sometimes',
    });
    expect(m).toContain('spec.containers[0].image: Required value');
    expect(m).toContain('spec.containers[1].name: Duplicate value: "a"');
    expect(m).toContain('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  });
  it('allows image changes on update but not other spec fields', () => {
    const old = pod({ containers: [{ name: 'c', image: 'x:1' }] });
    podDef.defaults!(old, ctx);
    const img = structuredClone(old);
    img.spec!.containers![0]!.image = 'x:2';
    expect(podDef.validateUpdate!(img, old, ctx)).toEqual([]);
    const bad = structuredClone(old);
    bad.spec!.restartPolicy = 'Never';
    const errs = podDef.validateUpdate!(bad, old, ctx);
    expect(errs[0]!.field).toBe('spec');
    expect(errs[0]!.body).toMatch(/^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  });
});

describe('Pod STATUS and RESTARTS columns (printPod)', () => {
  const now = new Date('2025-01-01T01:00:00Z');
  const spec = {
    containers: [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ],
  };
  it('Pending pod', () => {
    expect(podRow(pod(spec, { phase: 'Pending' }), now).slice(0, 5)).toEqual(['p', '0/2', 'Pending', '0', '60m']);
  });
  it('waiting reason wins, restarts show the last restart age', () => {
    const st = {
      phase: 'Running',
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
        {
          name: 'b',
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: '2025-01-01T00:55:00Z' } },
        },
      ],
    };
    expect(podRow(pod(spec, st), now).slice(1, 4)).toEqual(['1/2', 'CrashLoopBackOff', '2 (5m ago)']);
  });
  it('Completed and terminating pods', () => {
    const done = { phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
    expect(podRow(pod({ containers: [{ name: 'a', image: 'x' }] }, done), now)[2]).toBe('Completed');
    const running = { phase: 'Running', containerStatuses: [{ name: 'a', ready: true, state: { running: {} } }] };
    expect(podRow(pod({ containers: [{ name: 'a', image: 'x' }] }, running, { deletionTimestamp: '2025-01-01T01:00:30Z' }), now)[2]).toBe(
      'Terminating',
    );
  });
  it('init containers and exit codes', () => {
    const s2 = { initContainers: [{ name: 'i', image: 'x' }], containers: [{ name: 'a', image: 'x' }] };
    expect(podRow(pod(s2, { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] }), now)[2]).toBe('Init:0/1');
    expect(
      podRow(pod(s2, { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { terminated: { exitCode: 3 } } }] }), now)[2],
    ).toBe('Init:ExitCode:3');
    const term = { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, signal: 9 } } }] };
    expect(podRow(pod({ containers: [{ name: 'a', image: 'x' }] }, term), now)[2]).toBe('Signal:9');
  });
  it('wide columns', () => {
    const r = podRow(
      pod(
        { ...spec, nodeName: 'n1', readinessGates: [{ conditionType: 'x' }] },
        { phase: 'Running', podIPs: [{ ip: '127.244.0.5' }], conditions: [{ type: 'x', status: 'True' }] },
      ),
      now,
    );
    expect(r.slice(5)).toEqual(['127.244.0.5', 'n1', '<none>', '1/1']);
  });
});

describe('Pod graceful deletion', () => {
  it('uses terminationGracePeriodSeconds for scheduled running pods only', () => {
    expect(podGracePeriod(pod({ nodeName: 'n', terminationGracePeriodSeconds: 30 }, { phase: 'Running' }), undefined)).toBe(30);
    expect(podGracePeriod(pod({ nodeName: 'n', terminationGracePeriodSeconds: 30 }, { phase: 'Running' }), 5)).toBe(5);
    expect(podGracePeriod(pod({ nodeName: 'n', terminationGracePeriodSeconds: 30 }, { phase: 'Running' }), 0)).toBe(0);
    expect(podGracePeriod(pod({ terminationGracePeriodSeconds: 30 }, { phase: 'Pending' }), undefined)).toBe(0);
    expect(podGracePeriod(pod({ nodeName: 'n', terminationGracePeriodSeconds: 30 }, { phase: 'Succeeded' }), undefined)).toBe(0);
    expect(podGracePeriod(pod({ nodeName: 'n' }, { phase: 'Running' }), -5)).toBe(1);
  });
});
