// The tinykube.io/PortsBound condition (written only on a change, False with the cause, True again
// after recovery, other conditions untouched) and the listener set's side of it: per-Service state,
// change notifications, and which Service a shared socket goes to.
import { describe, it, expect } from 'vitest';
import { failureReason, nextConditions, PORTS_BOUND, type Condition, type ListenerState } from '../../src/proxy/conditions.js';
import {
  createListenerSet,
  listenErrorText,
  type ListenerFailure,
  type ListenerKind,
  type ListenerRole,
  type ListenerSpec,
} from '../../src/proxy/listeners.js';

const spec = (service: string, address: string, port = 80, role: ListenerRole = 'clusterIP', kind: ListenerKind = 'TCP'): ListenerSpec => ({
  key: `${kind === 'UDP' ? 'UDP' : 'TCP'} ${address}:${port}`,
  kind,
  address,
  port,
  family: 4,
  service,
  route: kind === 'health' ? service : `${service}:${port}/${kind}`,
  external: role !== 'clusterIP',
  role,
  portName: '',
});
const failure = (address: string, code: string, port = 80): ListenerFailure => ({
  spec: spec('ns/a', address, port),
  code,
  message: listenErrorText(code, port, code),
});
const describeF = (f: ListenerFailure) => `${f.spec.address}:${f.spec.port}/TCP (${f.spec.role})`;
const T0 = new Date('2025-01-02T03:04:05Z');
const T1 = new Date('2025-01-02T03:09:00Z');
const at = (now: Date, generation?: number) => ({ now, generation, describe: describeF });
const state = (failures: ListenerFailure[], wanted = 2, settled = true): ListenerState => ({ failures, wanted, settled });
const ours = (c: unknown[] | undefined) => (c as Condition[] | undefined)?.find((x) => x.type === PORTS_BOUND);

describe('the PortsBound condition', () => {
  const other = { type: 'example.com/Audited', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'Done', message: 'x' };

  it('writes nothing for a Service whose listeners all open', () => {
    expect(nextConditions(undefined, state([]), at(T0))).toBeUndefined();
    expect(nextConditions([other], state([]), at(T0))).toBeUndefined();
    expect(nextConditions([other], state([], 0), at(T0))).toBeUndefined();
  });

  it('turns False with the cause, once; True again after recovery; keeps other conditions', () => {
    const failed = nextConditions([other], state([failure('127.96.0.5', 'EADDRINUSE')]), at(T0))!;
    expect(failed[0]).toEqual(other);
    expect(ours(failed)).toEqual({
      type: 'tinykube.io/PortsBound',
      status: 'False',
      lastTransitionTime: '2025-01-02T03:04:05Z',
      reason: 'AddressInUse',
      message:
        "this cluster cannot listen on 127.96.0.5:80/TCP (clusterIP): address already in use (another process on this host holds it: another cluster or any other program). Nothing is forwarded for them until they can be opened (see the Service's events)",
    });
    // Retries of the same failure: no write.
    expect(nextConditions(failed, state([failure('127.96.0.5', 'EADDRINUSE')]), at(T1))).toBeUndefined();
    // A second failing listener changes the message, not the transition time.
    const two = nextConditions(failed, state([failure('127.96.0.5', 'EADDRINUSE'), failure('127.96.0.6', 'CONFLICT')]), at(T1))!;
    expect(ours(two)).toMatchObject({ status: 'False', reason: 'ListenFailed', lastTransitionTime: '2025-01-02T03:04:05Z' });
    // Still opening: no verdict yet.
    expect(nextConditions(two, state([], 2, false), at(T1))).toBeUndefined();
    const ok = nextConditions(two, state([]), at(T1, 3))!;
    expect(ok).toHaveLength(2);
    expect(ours(ok)).toEqual({
      type: 'tinykube.io/PortsBound',
      status: 'True',
      observedGeneration: 3,
      lastTransitionTime: '2025-01-02T03:09:00Z',
      reason: 'Listening',
      message: 'this cluster listens on every address and port of this Service',
    });
    expect(nextConditions(ok, state([]), at(T0, 3))).toBeUndefined();
    // No listener wanted any more (ExternalName): the condition goes, the others stay.
    expect(nextConditions(ok, state([], 0), at(T1))).toEqual([other]);
  });

  it('names the cause in its reason, the fix for a privileged port, and at most five listeners', () => {
    expect(failureReason([failure('127.96.0.5', 'EACCES')])).toBe('PermissionDenied');
    expect(failureReason([failure('127.96.0.5', 'EADDRNOTAVAIL')])).toBe('AddressNotAvailable');
    expect(failureReason([failure('127.96.0.5', 'CONFLICT')])).toBe('PortConflict');
    expect(failureReason([failure('127.96.0.5', 'EINVAL')])).toBe('ListenFailed');
    const denied = ours(nextConditions(undefined, state([failure('127.96.0.5', 'EACCES')]), at(T0)));
    expect(denied?.message).toContain('`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0`, or run tinykube as root');
    const many = Array.from({ length: 8 }, (_, i) => failure(`127.96.0.${i + 1}`, 'EADDRINUSE'));
    const msg = ours(nextConditions(undefined, state(many, 8), at(T0)))!.message;
    expect(msg).toContain('127.96.0.5:80/TCP');
    expect(msg).not.toContain('127.96.0.6:80/TCP');
    expect(msg).toContain('; and 3 more.');
  });
});

/** A fake opener: keys in `busy` fail with EADDRINUSE; opens resolve on the next tick. */
function setup() {
  const busy = new Set<string>();
  const open = new Map<string, () => ListenerSpec>();
  const kinds = new Map<string, ListenerKind>();
  let opens = 0;
  const changed: string[] = [];
  const failed: ListenerFailure[] = [];
  const set = createListenerSet({
    async open(s, current) {
      opens++;
      await new Promise((r) => setImmediate(r));
      if (busy.has(s.key)) throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
      open.set(s.key, current);
      kinds.set(s.key, s.kind);
      return { close: async () => void open.delete(s.key) };
    },
    failed: (f) => failed.push(f),
    recovered: () => undefined,
    changed: (svc) => changed.push(svc),
    retryBaseMs: 1_000,
    retryMaxMs: 4_000,
  });
  return { busy, open, kinds, changed, failed, set, opens: () => opens };
}

describe('listener set: per-Service state and shared sockets', () => {
  it('tells when a Service’s sockets open or fail, and reports its state', async () => {
    const t = setup();
    t.busy.add('TCP 127.0.0.6:80');
    t.set.apply('ns/a', [spec('ns/a', '127.0.0.5'), spec('ns/a', '127.0.0.6')]);
    expect(t.set.stateOf('ns/a')).toEqual({ failures: [], wanted: 2, settled: false });
    await t.set.idle();
    const s = t.set.stateOf('ns/a');
    expect(s.settled).toBe(true);
    expect(s.failures.map((f) => [f.spec.key, f.code])).toEqual([['TCP 127.0.0.6:80', 'EADDRINUSE']]);
    expect(new Set(t.changed)).toEqual(new Set(['ns/a']));
    // Retries that fail the same way say nothing.
    t.changed.length = 0;
    t.set.retryDue(Date.now() + 60_000);
    await t.set.idle();
    expect(t.changed).toEqual([]);
    t.busy.clear();
    t.set.retryDue(Date.now() + 60_000);
    await t.set.idle();
    expect(t.changed).toContain('ns/a');
    expect(t.set.stateOf('ns/a')).toEqual({ failures: [], wanted: 2, settled: true });
    expect(t.set.stateOf('ns/none')).toEqual({ failures: [], wanted: 0, settled: true });
  });

  it('gives a ClusterIP’s socket to its Service even when another Service claimed the address first as an externalIP', async () => {
    const t = setup();
    t.set.apply('ns/claimer', [spec('ns/claimer', '127.96.0.9', 80, 'externalIP')]);
    await t.set.idle();
    expect(t.open.get('TCP 127.96.0.9:80')!().service).toBe('ns/claimer');
    const opens = t.opens();
    t.set.apply('ns/owner', [spec('ns/owner', '127.96.0.9', 80, 'clusterIP')]);
    await t.set.idle();
    // Same socket, now carrying the owner's traffic; the claimer is told why it has none.
    expect(t.open.get('TCP 127.96.0.9:80')!().service).toBe('ns/owner');
    expect(t.opens()).toBe(opens);
    expect(t.failed.map((f) => [f.spec.service, f.code, f.message])).toEqual([
      ['ns/claimer', 'CONFLICT', 'Service ns/owner of this cluster already has it (as its clusterIP)'],
    ]);
    expect(t.set.stateOf('ns/owner')).toEqual({ failures: [], wanted: 1, settled: true });
    expect(t.set.stateOf('ns/claimer').failures.map((f) => f.code)).toEqual(['CONFLICT']);
    expect(t.changed).toEqual(expect.arrayContaining(['ns/owner', 'ns/claimer']));
    // And the claimer cannot take it back by updating.
    t.set.apply('ns/claimer', [spec('ns/claimer', '127.96.0.9', 80, 'externalIP')]);
    await t.set.idle();
    expect(t.open.get('TCP 127.96.0.9:80')!().service).toBe('ns/owner');
  });

  it('reopens a socket that passes between a health check server and a TCP port', async () => {
    const t = setup();
    t.set.apply('ns/lb', [spec('ns/lb', '127.0.0.1', 30100, 'externalIP', 'TCP')]);
    await t.set.idle();
    expect(t.kinds.get('TCP 127.0.0.1:30100')).toBe('TCP');
    t.set.apply('ns/local', [spec('ns/local', '127.0.0.1', 30100, 'healthCheckNodePort', 'health')]);
    await t.set.idle();
    expect(t.open.get('TCP 127.0.0.1:30100')!()).toMatchObject({ service: 'ns/local', kind: 'health' });
    expect(t.kinds.get('TCP 127.0.0.1:30100')).toBe('health');
    expect(t.set.stateOf('ns/local').settled).toBe(true);
  });
});
