// Small fakes for the unit tests of the runtime's parts (src/kubelet/pod-state.ts and the modules
// that take a RuntimeContext): a Pod, its Worker and containers as plain data, and a context whose
// members record what the part under test asked of the rest of the runtime.
import Database, { type Database as DB } from 'better-sqlite3';
import { vi, type Mock } from 'vitest';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { ensureAllocationTable } from '../../src/allocators/bands.js';
import { podIPPool } from '../../src/kubelet/podips.js';
import type { Container } from '../../src/api/generated/core/v1.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';
import type { Ctr, RuntimeContext, State, Worker } from '../../src/kubelet/pod-state.js';
import type { Tracker } from '../../src/kubelet/tracker.js';

export function pod(spec: Record<string, unknown> = {}, meta: Partial<KubeObject['metadata']> = {}, status?: unknown): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-0001-aaaa', ...meta },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
    ...(status === undefined ? {} : { status }),
  } as PodObj;
}

/** A container (any spec fields: probes, lifecycle, volumeMounts) in `o`'s state. */
export function ctr(spec: { name: string; [field: string]: unknown }, o: Partial<Ctr> = {}): Ctr {
  return {
    spec: spec as unknown as Container,
    init: false,
    restartCount: 0,
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
    backoffMs: 0,
    containerID: '',
    ...o,
  };
}

export const running: State = { running: { startedAt: '2025-01-01T00:00:00Z' } };
export const exited = (exitCode: number): State => ({ terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' } });

export function worker(p: PodObj, ctrs: Ctr[] = [], o: Partial<Worker> = {}): Worker {
  return {
    key: `${p.metadata.namespace}/${p.metadata.name}`,
    uid: p.metadata.uid!,
    pod: p,
    dir: '/nonexistent/dir',
    run: '/nonexistent/run',
    ips: ['127.244.0.5'],
    ctrs: new Map(ctrs.map((c) => [c.spec.name, c])),
    ...o,
  };
}

/** A tracker that finds no process and records what it was asked. */
export function fakeTracker(): Tracker & { calls: { op: string; ref?: unknown; sig?: string }[] } {
  const calls: { op: string; ref?: unknown; sig?: string }[] = [];
  return {
    calls,
    mode: 'proc',
    reason: 'test',
    ready: Promise.resolve(),
    marker: (ref) => `test:${ref.pod}:${ref.name}:${ref.run}`,
    join: (_ref, argv) => argv,
    signal: async (ref, sig) => (calls.push({ op: 'signal', ref, sig }), 0),
    kill: async (ref) => void calls.push({ op: 'kill', ref }),
    signalAll: async () => 0,
    release: (pod) => void calls.push({ op: 'release', ref: pod }),
    close: () => void calls.push({ op: 'close' }),
  };
}

/** What the runtime's parts use of the store: the allocations table (Pod IPs), transactions, reads. */
export interface FakeStore {
  db: DB;
  txn<T>(f: () => T): T;
  get(resource: string, ns: string, name: string): KubeObject | undefined;
}

/** A store of `objects` (by `resource/namespace/name`) with an in-memory allocations table. */
export function ipStore(objects: Record<string, KubeObject> = {}): FakeStore {
  const db = new Database(':memory:');
  ensureAllocationTable(db);
  return {
    db,
    txn: <T>(f: () => T) => f(),
    get: (resource: string, ns: string, name: string) => objects[`${resource}/${ns}/${name}`],
  };
}

export type Events = { pod: string; type: string; reason: string; message: string }[];

/**
 * A RuntimeContext of fakes: every part's entry point is a vi.fn() (so a test sees what the part
 * under test asked of the others), events are collected, and the store holds `objects`
 * (`resource/namespace/name`). Override any member with `o`.
 */
export function fakeContext(o: Partial<RuntimeContext> & { objects?: Record<string, KubeObject> } = {}): {
  rt: RuntimeContext;
  events: Events;
  store: FakeStore;
  warn: Mock;
  debug: Mock;
} {
  const events: Events = [];
  const { objects, ...rest } = o;
  const store = ipStore(objects);
  const warn = vi.fn();
  const debug = vi.fn();
  const rt = {
    store,
    registry: { update: vi.fn(), delete: vi.fn() },
    podDef: { resource: 'pods' },
    config: {
      nodeName: 'node1',
      clusterDomain: 'cluster.local',
      apiHost: '127.0.0.1',
      apiPort: 6443,
      podBackoff: { initialMs: 10_000, maxMs: 300_000 },
    },
    pool: podIPPool('127.244.0.0/28'), // a few addresses: a test can use them all up
    hostIP: '192.0.2.1',
    podsDir: '/nonexistent/pods',
    runDir: '/nonexistent/run',
    record: (p: KubeObject, type: string, reason: string, message: string) =>
      void events.push({ pod: p.metadata.name!, type, reason, message }),
    log: { warn, debug, info: vi.fn(), error: vi.fn() },
    wrap: (argv: string[]) => argv,
    tracker: fakeTracker(),
    isolation: () => ({ mode: 'none', reason: 'a unit test' }),
    services: { list: vi.fn(() => []), get: vi.fn(() => undefined) },
    imageMaps: () => [],
    presentImages: new Map(),
    workers: new Map<string, Worker>(),
    stopped: false,
    hostsBlocks: new Map<string, string>(),
    markDirty: vi.fn(),
    flush: vi.fn(),
    sync: vi.fn(),
    setupVolumes: vi.fn(() => true),
    start: vi.fn(),
    terminate: vi.fn(async () => {}),
    finalize: vi.fn(),
    removed: vi.fn(),
    signalContainer: vi.fn(async () => {}),
    ...rest,
  } as unknown as RuntimeContext;
  return { rt, events, store, warn, debug };
}
