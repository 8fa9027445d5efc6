// The API aggregation layer (k8s.io/kube-aggregator, which upstream runs inside kube-apiserver):
// requests under /apis/<group>/<version> of an APIService with spec.service go to that Service's
// server (proxy.ts) once the API server has authenticated and authorized them, WebSocket upgrades
// there too (http-proxy-3); an aggregated group version that is not Available is answered 503
// `service unavailable`. Beside it run the parts of the aggregator that are not controllers of the
// controller manager: the availability checks of remote APIServices (available.ts; on every
// APIService, Service and EndpointSlice change that concerns one, every 30 s, and after a request
// could not reach its server), the local APIServices' Local condition, the discovery of the
// aggregated group versions (discovery.ts) and their OpenAPI v3 documents, and the front-proxy
// identity with the ConfigMap that publishes it (front-proxy.ts).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Store } from '../../storage/store.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { UserInfo } from '../../auth/users.js';
import type { Service } from '../../api/generated/core/v1.js';
import type { EndpointSlice } from '../../api/generated/discovery/v1.js';
import { StatusError } from '../../apimachinery/errors.js';
import { ENDPOINTSLICES } from '../../registry/endpointslice.js';
import {
  APISERVICE_GROUP,
  APISERVICE_RESOURCE,
  LOCAL_AVAILABLE,
  availableCondition,
  setAPIServiceCondition,
  type APIServiceObj,
} from '../../registry/apiregistration/apiservice.js';
import { checkAvailability } from './available.js';
import { answerUpgrade, createTunneler, upgradeHeaders } from './tunnel.js';
import { createClients } from './clients.js';
import { resolveEndpoint, SERVICE_NAME_LABEL, type ServiceLookup } from './resolve.js';
import { forward, proxyError } from './proxy.js';
import { aggregatedAPIGroup, versionDiscovery } from './discovery.js';
import { fetchOpenAPIDocument, fetchResourceList } from './remote-docs.js';
import { AUTHENTICATION_CONFIGMAP, authenticationConfigData, authenticationConfigMap, type FrontProxyIdentity } from './front-proxy.js';

/** upstream's resync of the availability controller's APIService informer. */
const RESYNC_MS = 30_000;
const MANAGER = { fieldManager: 'kube-apiserver' };

export interface AggregatorOptions {
  store: Store;
  registry: Registry;
  defs: readonly ResourceDef[];
  /** The cluster CA that client certificates are checked with (client-ca-file of the published ConfigMap). */
  clientCA?: string;
  /** The front-proxy identity (pki/front-proxy.ts: kept in the data dir, made at start in memory). */
  frontProxy: () => Promise<FrontProxyIdentity>;
  log: Logger;
}

export interface Aggregator {
  /** Proxies the request when it is for an aggregated group version; false: it is the local server's. */
  handle(req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined): boolean;
  /**
   * Tunnels a WebSocket upgrade for an aggregated group version to its server; false: it is not
   * for one. Other upgrades (SPDY, which kubectl falls back to) are refused with a StatusError.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo | undefined): boolean;
  /** The aggregated groups (not served locally), by name, with their APIServices. */
  groups(): Map<string, APIServiceObj[]>;
  /** The APIGroup of an aggregated group, or undefined. */
  apiGroup(group: string): ReturnType<typeof aggregatedAPIGroup> | undefined;
  /** The aggregated discovery items of the aggregated groups whose resources are known. */
  discoveryItems(): unknown[];
  /** The OpenAPI v3 documents of the aggregated group versions (`apis/<group>/<version>`), as their servers serve them. */
  openapiDocs(): { path: string; body: string; hash: string }[];
  /** Called when what discovery lists changes. */
  onChange(fn: () => void): void;
  close(): Promise<void>;
}

const gvKey = (group: string, version: string) => `${group}/${version}`;
const isRemote = (s: APIServiceObj) => !!s.spec?.service;

export function createAggregator(o: AggregatorOptions): Aggregator {
  const { store, registry, log } = o;
  const def = o.defs.find((d) => d.group === APISERVICE_GROUP && d.plural === 'apiservices');
  const cmDef = o.defs.find((d) => d.group === '' && d.plural === 'configmaps');
  // A group the server serves itself keeps its own discovery (an APIService of one of its versions still routes).
  const localGroups = new Set(o.defs.map((d) => d.group));

  const lookup: ServiceLookup = {
    service: (ns, name) => store.get('services', ns, name) as (Service & KubeObject) | undefined,
    slices: (ns, name) =>
      (store.listObjects(ENDPOINTSLICES, ns) as (EndpointSlice & KubeObject)[]).filter(
        (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name,
      ),
  };

  // ---- the APIServices, by name and by the group version they route ----
  const byName = new Map<string, APIServiceObj>();
  let remote = new Map<string, APIServiceObj>();
  const rebuild = () => {
    const next = new Map<string, APIServiceObj>();
    for (const s of byName.values()) if (isRemote(s) && s.spec?.version) next.set(gvKey(s.spec.group ?? '', s.spec.version), s);
    remote = next;
  };
  for (const s of store.listObjects(APISERVICE_RESOURCE) as APIServiceObj[]) byName.set(s.metadata.name!, s);
  rebuild();

  const listeners: (() => void)[] = [];
  const changed = () => {
    for (const fn of listeners) fn();
  };

  // ---- the front-proxy identity and its ConfigMap ----
  let identity: FrontProxyIdentity | undefined;
  const identityReady = o.frontProxy().then(
    (fp) => (identity = fp),
    (err) => {
      log.error({ err }, 'aggregator: front-proxy identity not made');
      return undefined;
    },
  );
  let published = false;
  let closed = false;
  const publish = () => {
    if (closed || published || !identity || !cmDef) return;
    const data = authenticationConfigData(o.clientCA, identity);
    const { namespace, name } = AUTHENTICATION_CONFIGMAP;
    try {
      // Written once kube-system exists (the namespace's event calls again).
      if (!store.get('namespaces', '', namespace)) return;
      const cur = store.get('configmaps', namespace, name) as (KubeObject & { data?: Record<string, string> }) | undefined;
      if (!cur) registry.create(cmDef, namespace, authenticationConfigMap(data), MANAGER);
      else if (JSON.stringify(cur.data) !== JSON.stringify(data))
        registry.update(cmDef, namespace, name, { ...cur, data } as KubeObject, MANAGER);
      published = true;
    } catch (err) {
      log.debug({ err }, 'aggregator: extension-apiserver-authentication not written yet');
    }
  };
  void identityReady.then(publish);

  const clients = createClients(async () => identity ?? (await identityReady));
  const tunnels = createTunneler();

  /** The remote APIService a request path is for, if any. */
  const routed = (url: string): APIServiceObj | undefined => {
    if (!url.startsWith('/apis/') || !remote.size) return undefined;
    const q = url.indexOf('?');
    const parts = (q < 0 ? url : url.slice(0, q)).split('/');
    if (parts.length < 4 || !parts[3]) return undefined;
    return remote.get(gvKey(parts[2]!, parts[3]));
  };
  /** Where a routed request goes: `host:port`, or undefined when it is to be answered 503. */
  const destination = (s: APIServiceObj): string | undefined => {
    if (availableCondition(s)?.status !== 'True') return undefined;
    const ref = s.spec!.service!;
    try {
      return resolveEndpoint(lookup, ref.namespace ?? '', ref.name ?? '', ref.port ?? 443);
    } catch (err) {
      log.debug({ apiservice: s.metadata.name, err: (err as Error).message }, 'aggregated API server not resolved');
      return undefined;
    }
  };

  // ---- discovery and OpenAPI documents of the remote group versions ----
  const resources = new Map<string, { key: string; version: ReturnType<typeof versionDiscovery> }>();
  const openapi = new Map<string, { path: string; body: string; hash: string }>();
  const fetchDocuments = async (s: APIServiceObj): Promise<void> => {
    const ref = s.spec!.service!;
    const group = s.spec!.group ?? '';
    const version = s.spec!.version!;
    const host = resolveEndpoint(lookup, ref.namespace ?? '', ref.name ?? '', ref.port ?? 443);
    const client = await clients.dispatcher(s);
    const list = await fetchResourceList(client, host, group, version);
    const next = { key: `${s.metadata.uid}/${s.metadata.resourceVersion}`, version: versionDiscovery(group, version, list) };
    const prev = resources.get(s.metadata.name!);
    resources.set(s.metadata.name!, next);
    if (JSON.stringify(prev?.version) !== JSON.stringify(next.version)) changed();
    const path = `apis/${group}/${version}`;
    try {
      const body = await fetchOpenAPIDocument(client, host, path);
      if (body) openapi.set(s.metadata.name!, { path, body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() });
      else openapi.delete(s.metadata.name!);
    } catch (err) {
      // Served without a document, as upstream serves a server's group version whose download failed.
      log.debug({ apiservice: s.metadata.name, err: (err as Error).message }, 'aggregated OpenAPI not fetched');
      openapi.delete(s.metadata.name!);
    }
  };

  // ---- availability ----
  const pending = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();

  const writeCondition = (name: string, c: { type: string; status: string; reason: string; message: string }) => {
    const cur = store.get(APISERVICE_RESOURCE, '', name) as APIServiceObj | undefined;
    if (!cur || !def) return;
    const have = availableCondition(cur);
    if (have && have.status === c.status && have.reason === c.reason && have.message === c.message) return;
    const next = structuredClone(cur);
    setAPIServiceCondition(next, c, new Date());
    if (have?.status !== c.status)
      log.info({ apiservice: name, status: c.status, reason: c.reason, message: c.message }, 'changing APIService availability');
    try {
      registry.update(def, '', name, next as KubeObject, { ...MANAGER, subresource: 'status' });
    } catch (e) {
      // Changed meanwhile: its event brings it back.
      if (!(e instanceof StatusError && (e.code === 409 || e.code === 404))) throw e;
    }
  };

  const check = async (name: string) => {
    const s = store.get(APISERVICE_RESOURCE, '', name) as APIServiceObj | undefined;
    if (!s) {
      resources.delete(name);
      openapi.delete(name);
      clients.forget(name);
      return;
    }
    if (!isRemote(s)) {
      // upstream's local availability controller.
      writeCondition(name, LOCAL_AVAILABLE);
      return;
    }
    const c = await checkAvailability(s, lookup, identity ?? (await identityReady));
    if (closed) return;
    writeCondition(name, c);
    if (c.status === 'True' && !closed) {
      const known = resources.get(name);
      if (!known || known.key !== `${s.metadata.uid}/${s.metadata.resourceVersion}` || !timers.has(name)) {
        try {
          await fetchDocuments(s);
        } catch (err) {
          log.debug({ apiservice: name, err: (err as Error).message }, 'aggregated discovery not fetched');
        }
      }
    } else {
      openapi.delete(name);
      if (resources.delete(name)) changed();
    }
    schedule(name, RESYNC_MS);
  };

  // Each APIService is checked on its own (a slow server holds up no other), never twice at once:
  // a change during a check has it checked again after.
  const inFlight = new Set<string>();
  let flushing = false;
  const run = async (name: string) => {
    try {
      await check(name);
    } catch (err) {
      log.warn({ apiservice: name, err }, 'APIService availability check failed');
      schedule(name, 1000);
    } finally {
      inFlight.delete(name);
      if (pending.has(name)) enqueue(name);
    }
  };
  const flush = () => {
    flushing = false;
    for (const name of [...pending]) {
      if (closed || inFlight.has(name)) continue;
      pending.delete(name);
      inFlight.add(name);
      void run(name);
    }
  };
  /** Checks `name` soon (after the event that asked for it has been handled). */
  const enqueue = (name: string) => {
    if (closed) return;
    pending.add(name);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  function schedule(name: string, ms: number) {
    clearTimeout(timers.get(name));
    const t = setTimeout(() => {
      timers.delete(name);
      enqueue(name);
    }, ms);
    t.unref();
    timers.set(name, t);
  }
  /** The remote APIServices routed to a Service. */
  const servedBy = (ns: string, svcName: string) =>
    [...byName.values()].filter((s) => s.spec?.service?.namespace === ns && s.spec.service.name === svcName).map((s) => s.metadata.name!);

  const unsubs = [
    store.subscribe(APISERVICE_RESOURCE, (ev) => {
      const s = ev.object as APIServiceObj;
      const before = remote;
      if (ev.type === 'DELETED') byName.delete(ev.name);
      else byName.set(ev.name, s);
      rebuild();
      enqueue(ev.name);
      if (before.size !== remote.size || [...remote.keys()].some((k) => before.get(k)?.metadata.name !== remote.get(k)?.metadata.name))
        changed();
    }),
    store.subscribe('services', (ev) => {
      for (const n of servedBy(ev.namespace, ev.name)) enqueue(n);
    }),
    store.subscribe(ENDPOINTSLICES, (ev) => {
      const svcName = ev.object.metadata.labels?.[SERVICE_NAME_LABEL] ?? ev.prev?.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svcName) for (const n of servedBy(ev.namespace, svcName)) enqueue(n);
    }),
    store.subscribe('namespaces', (ev) => {
      if (ev.name === AUTHENTICATION_CONFIGMAP.namespace && ev.type !== 'DELETED') setImmediate(publish);
    }),
    store.subscribe('configmaps', (ev) => {
      if (ev.namespace !== AUTHENTICATION_CONFIGMAP.namespace || ev.name !== AUTHENTICATION_CONFIGMAP.name || !identity) return;
      // Someone changed or removed the published ConfigMap: written again.
      const data = (ev.object as KubeObject & { data?: Record<string, string> }).data;
      if (ev.type === 'DELETED' || JSON.stringify(data) !== JSON.stringify(authenticationConfigData(o.clientCA, identity))) {
        published = false;
        setImmediate(publish);
      }
    }),
  ];
  for (const s of byName.values()) if (isRemote(s)) enqueue(s.metadata.name!);

  return {
    handle(req, res, user) {
      const s = routed(req.url ?? '/');
      if (!s) return false;
      if (!user) {
        proxyError(res, 500, 'missing user');
        return true;
      }
      const host = destination(s);
      if (!host) {
        req.resume();
        proxyError(res, 503, 'service unavailable');
        return true;
      }
      clients.dispatcher(s).then(
        (client) => forward(req, res, { host, client, user, onFailure: () => enqueue(s.metadata.name!) }),
        (err) => {
          log.error({ err }, 'aggregator: no client');
          proxyError(res, 500, String(err));
        },
      );
      return true;
    },
    upgrade(req, socket, head, user) {
      const s = routed(req.url ?? '/');
      if (!s) return false;
      if (req.method !== 'GET' || String(req.headers.upgrade).toLowerCase() !== 'websocket')
        throw new StatusError(
          400,
          'BadRequest',
          `upgrade to ${req.headers.upgrade} is not tunneled to aggregated API servers: use WebSocket`,
        );
      if (!user) {
        answerUpgrade(socket, '500 Internal Server Error', 'missing user');
        return true;
      }
      const host = destination(s);
      if (!host) {
        answerUpgrade(socket, '503 Service Unavailable', 'service unavailable');
        return true;
      }
      upgradeHeaders(req, user, host);
      clients.httpsAgent(s).then(
        (agent) =>
          tunnels.tunnel(req, socket, head, {
            host,
            agent,
            verify: !s.spec?.insecureSkipTLSVerify,
            onFailure: () => enqueue(s.metadata.name!),
            onLoadError: (err) => log.error({ err }, 'aggregator: loading http-proxy-3 failed'),
          }),
        () => socket.destroy(),
      );
      return true;
    },
    groups() {
      const out = new Map<string, APIServiceObj[]>();
      for (const s of remote.values()) {
        const g = s.spec!.group ?? '';
        if (!g || localGroups.has(g)) continue;
        out.set(g, [...(out.get(g) ?? []), s]);
      }
      return out;
    },
    apiGroup(group) {
      const services = this.groups().get(group);
      return services ? aggregatedAPIGroup(group, services) : undefined;
    },
    discoveryItems() {
      const items: unknown[] = [];
      for (const [group, services] of this.groups()) {
        const versions = aggregatedAPIGroup(group, services)
          .versions.map((v) => services.find((s) => s.spec!.version === v.version)!)
          .map((s) => resources.get(s.metadata.name!)?.version)
          .filter((v) => v !== undefined);
        if (versions.length) items.push({ metadata: { name: group, creationTimestamp: null }, versions });
      }
      return items;
    },
    openapiDocs() {
      const routedNames = new Set([...remote.values()].map((x) => x.metadata.name!));
      return [...openapi].filter(([n]) => routedNames.has(n)).map(([, d]) => d);
    },
    onChange(fn) {
      listeners.push(fn);
    },
    async close() {
      closed = true;
      for (const u of unsubs) u();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      // In-flight exchanges (watches) end with the server: nothing is waited for.
      await clients.close();
      await tunnels.close();
    },
  };
}
