// The service-to-listener sync, as upstream's syncProxyRules: for each Service that changed
// (changes.ts), which listeners it wants (listeners.ts wantedListeners), its routes and backends
// (routes.ts), the warnings it deserves once per state (SCTP ports, externalIPs not served), its
// local endpoint count for the health check node port, and its tinykube.io/PortsBound condition
// (conditions.ts); then the connections to backends gone for good are reset. The sockets
// themselves are the listener set's (listeners.ts createListenerSet) and the connections'
// (connections.ts): this module reaches them only through SyncDeps, so it runs alone against fakes.
import type { ComponentLog } from '../base/log.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import { hostPort, localReadyEndpointCount, type NodeInfo } from './endpoints.js';
import {
  clusterIPsOf,
  wantedListeners,
  type ListenerFailure,
  type ListenerSet,
  type ListenerSetDeps,
  type ListenerSpec,
} from './listeners.js';
import { nextConditions, type ServiceStatusWriter } from './conditions.js';
import { dropServiceRoutes, newRouteTable, setServiceRoutes, type RouteTable } from './routes.js';
import { takeDirty, takeGone, takeStatusDirty, type Changes } from './changes.js';
import type { ServiceHealthAnswer } from './healthcheck.js';
import type { HostView } from './nodeport-addresses.js';

export interface SyncDeps {
  log: ComponentLog;
  node: NodeInfo;
  /** The Service of a `namespace/name` key, from the informer's cache. */
  service(key: string): ServiceObj | undefined;
  /** The Service's EndpointSlices. */
  slicesOf(key: string): EndpointSliceObj[];
  /** Some Pod has this address now. */
  podHas(ip: string): boolean;
  /** Read on every sync: host addresses change. */
  host(): HostView;
  /** Sockets tinykube serves itself, as `PROTO ADDRESS:PORT` (brackets removed): no listener there. */
  reserved: ReadonlySet<string>;
  listeners: Pick<ListenerSet, 'apply' | 'stateOf'>;
  /** Ends the Service's UDP flows whose backend left (connections.ts pruneFlows). */
  pruneFlows(service: string): void;
  /** Resets the connections and flows to an address gone for good (connections.ts killAddress). */
  killAddress(ip: string): void;
  recordEvent?: (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  /** Absent: no condition is kept. */
  serviceStatus?: ServiceStatusWriter;
}

/** What Service events need. */
export type EventDeps = Pick<SyncDeps, 'log' | 'node' | 'service' | 'recordEvent'>;

export interface SyncState {
  table: RouteTable;
  /** Ready local endpoints per Service (the health check node port's answer). */
  healthCounts: Map<string, number>;
  /** Warnings already given per Service (SCTP ports, foreign externalIPs): once per state. */
  warned: Map<string, Set<string>>;
}

export function newSyncState(table: RouteTable = newRouteTable()): SyncState {
  return { table, healthCounts: new Map(), warned: new Map() };
}

const splitKey = (key: string) => key.split('/') as [string, string];

/** An Event about the Service (none when it is gone or there is no recorder). */
export function serviceEvent(d: EventDeps, service: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
  if (!d.recordEvent) return;
  const svc = d.service(service);
  if (!svc) return;
  try {
    d.recordEvent(svc, type, reason, message);
  } catch (err) {
    d.log.debug({ err }, 'proxy: event not recorded');
  }
}

/** `127.96.0.5:80/TCP (clusterIP of port "http")`. */
export function describeListener(s: ListenerSpec): string {
  const proto = s.kind === 'UDP' ? 'UDP' : 'TCP';
  const what = s.role === 'healthCheckNodePort' ? 'health check node port' : `${s.role}${s.portName ? ` of port "${s.portName}"` : ''}`;
  return `${hostPort(s.address, s.port)}/${proto} (${what})`;
}

/**
 * What the listener set reports, said as log lines and Service events: once per failure (a new
 * one, or another cause), never per retry.
 */
export function listenerReports(d: EventDeps): Pick<ListenerSetDeps, 'failed' | 'recovered'> {
  return {
    failed(f: ListenerFailure) {
      const s = f.spec;
      // A socket another Service of this cluster has is not retried on a timer: it passes to
      // this Service when that one lets it go.
      const next = f.code === 'CONFLICT' ? 'served for this Service once that one no longer wants it' : 'retrying';
      d.log.warn(
        { service: s.service, address: s.address, port: s.port, protocol: s.kind, code: f.code },
        `proxy: cannot listen on ${describeListener(s)}: ${f.message}; ${next}`,
      );
      if (s.kind === 'health')
        serviceEvent(
          d,
          s.service,
          'Warning',
          'FailedToStartServiceHealthcheck',
          `node ${d.node.name} failed to start healthcheck "${s.service}" on ${hostPort(s.address, s.port)}: ${f.message}; ${next}`,
        );
      else serviceEvent(d, s.service, 'Warning', 'ListenFailed', `Failed to listen on ${describeListener(s)}: ${f.message}; ${next}`);
    },
    recovered(s) {
      d.log.info(
        { service: s.service, address: s.address, port: s.port, protocol: s.kind },
        `proxy: listening on ${describeListener(s)} after earlier failures`,
      );
    },
  };
}

/** Brings the Service's tinykube.io/PortsBound condition in line with its listeners (conditions.ts). */
export function checkStatus(d: SyncDeps, key: string): void {
  if (!d.serviceStatus) return;
  const svc = d.service(key);
  if (!svc || svc.metadata.deletionTimestamp) return;
  const state = d.listeners.stateOf(key);
  const opts = (s: ServiceObj) => ({
    generation: s.metadata.generation,
    now: new Date(),
    describe: (f: ListenerFailure) => describeListener(f.spec),
  });
  // The informer's copy first: most checks end here without touching the store.
  if (!nextConditions(svc.status?.conditions, state, opts(svc))) return;
  const [ns, name] = splitKey(key);
  try {
    d.serviceStatus(ns, name, (cur) => {
      const status = { ...cur.status };
      const conditions = nextConditions(status.conditions, state, opts(cur));
      if (!conditions) return undefined;
      if (conditions.length) status.conditions = conditions;
      else delete status.conditions;
      return status;
    });
  } catch (err) {
    d.log.warn({ err, service: key }, 'proxy: cannot write the Service status condition');
  }
}

/** Gives each warning once while it holds (keys: what it is about); forgets those that no longer do. */
function warnOnce(s: SyncState, service: string, keys: Map<string, () => void>): void {
  const before = s.warned.get(service) ?? new Set<string>();
  for (const [k, emit] of keys) if (!before.has(k)) emit();
  if (keys.size) s.warned.set(service, new Set(keys.keys()));
  else s.warned.delete(service);
}

/** The Service is no longer served: no listeners, no routes. */
export function dropService(s: SyncState, d: SyncDeps, key: string): void {
  d.listeners.apply(key, []);
  dropServiceRoutes(s.table, key);
  s.healthCounts.delete(key);
  s.warned.delete(key);
}

/** Brings one Service's listeners, routes, warnings and health count in line with the API. */
export function syncService(s: SyncState, d: SyncDeps, key: string): void {
  const svc = d.service(key);
  if (!svc || !clusterIPsOf(svc).length) {
    dropService(s, d, key);
    return;
  }
  const svcSlices = d.slicesOf(key);
  const want = wantedListeners(svc, d.host());

  const warnings = new Map<string, () => void>();
  for (const p of want.unsupported) {
    const label = `${p.name ? `port "${p.name}" ` : ''}${p.port}/${p.protocol}`;
    warnings.set(`proto:${p.port}/${p.protocol}`, () =>
      serviceEvent(
        d,
        key,
        'Warning',
        'UnsupportedProtocol',
        `${label}: ${p.protocol} is not supported by the service proxy (only TCP and UDP); the port is not served`,
      ),
    );
  }
  for (const ip of want.foreignExternalIPs) {
    warnings.set(`extip:${ip}`, () =>
      serviceEvent(
        d,
        key,
        'Warning',
        'ExternalIPNotLocal',
        `externalIP ${ip} is not an address of this host: no listener is opened for it`,
      ),
    );
  }
  for (const ip of want.refusedExternalIPs) {
    warnings.set(`extip-refused:${ip}`, () => {
      serviceEvent(
        d,
        key,
        'Warning',
        'ExternalIPNotAllowed',
        `externalIP ${ip} is an address of this host outside --external-ip-addresses: no listener is opened for it (start tinykube with --external-ip-addresses ${ip.includes(':') ? `${ip}/128` : `${ip}/32`} to serve it)`,
      );
      d.log.warn(
        { service: key, externalIP: ip },
        'proxy: externalIP on a non-loopback host address not served (see --external-ip-addresses)',
      );
    });
  }
  warnOnce(s, key, warnings);

  setServiceRoutes(s.table, key, svc, svcSlices, d.node);
  s.healthCounts.set(key, localReadyEndpointCount(svcSlices, d.node));
  d.pruneFlows(key);
  d.listeners.apply(
    key,
    d.reserved.size ? want.listeners.filter((l) => !d.reserved.has(`${l.kind} ${l.address}:${l.port}`)) : want.listeners,
  );
}

/**
 * One pass (upstream's syncProxyRules run): syncs the changed Services, checks the conditions
 * that may have moved, and resets what goes to addresses gone for good. Returns how many Services
 * it synced.
 */
export function syncChanges(s: SyncState, d: SyncDeps, c: Changes): number {
  const t0 = performance.now();
  const keys = takeDirty(c);
  for (const key of keys) {
    try {
      syncService(s, d, key);
    } catch (err) {
      d.log.error({ err, service: key }, 'proxy: sync failed');
    }
  }
  if (d.serviceStatus) for (const key of takeStatusDirty(c, keys)) checkStatus(d, key);
  for (const ip of takeGone(c, d.podHas)) d.killAddress(ip);
  const ms = performance.now() - t0;
  if (keys.length) d.log.debug({ services: keys.length, ms: Math.round(ms * 100) / 100 }, 'proxy: synced');
  return keys.length;
}

/** The answer of the Service's health check node port; undefined once the Service is not served. */
export function healthAnswer(s: SyncState, service: string, proxyHealthy: boolean): ServiceHealthAnswer | undefined {
  if (!s.table.byService.has(service)) return undefined;
  const [namespace, name] = splitKey(service);
  return { namespace, name, localEndpoints: s.healthCounts.get(service) ?? 0, proxyHealthy };
}
