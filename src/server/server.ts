// The API server: fastify over HTTPS with bearer-token auth, Status errors for everything that
// goes wrong, health and version endpoints, discovery, OpenAPI v3 and the generic REST routes.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { timingSafeEqual } from 'node:crypto';
import type { Store } from '../storage/store.js';
import type { ComputedSource, ResourceDef } from '../registry/types.js';
import type { UserInfo } from '../auth/users.js';

import { impersonatedUser } from './auth/impersonation.js';
import { bearerTokenOf } from './auth/bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user (absent on the anonymous health and version paths). */
    user?: UserInfo;
  }
}
import type { Registry } from '../registry/generic-store.js';
import { StatusError, unauthorized, requestEntityTooLarge, internalError } from '../apimachinery/errors.js';
import { registerResource, unregisterResource } from './handlers/installer.js';
import { pageNotFound } from '../apimachinery/errors.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, groupVersions, subresourcesOf } from './discovery.js';
import { subresourcePath, type Subresource } from './subresource.js';
import { wantsAggregatedDiscovery, AGGREGATED_DISCOVERY_TYPE } from './negotiate.js';
import type { OpenAPIDocs } from './openapi.js';
import type { WatchSettings } from './handlers/watch.js';
import { VERSION_INFO } from '../base/version.js';
import { bearerToken, createUpgradeRouter } from './upgrade.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, installRequestTimeout } from './request-timeout.js';
import { installYamlOffload, YamlWorker } from '../apimachinery/yaml/offload.js';
import { requestQuery } from './query-params.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { StorageError } from '../storage/errors.js';
import { certificateUser } from './auth/x509.js';
import { authorizeRequest } from './auth/authorization.js';
import type { Authorizer } from '../auth/rbac/attributes.js';
import type { RulesForResult } from '../auth/rbac/rules-review.js';
import { statusOfStorageError } from '../registry/storage-errors.js';
import type { ServedKinds } from '../registry/served-kinds.js';
import type { AdmittedWrites } from '../registry/admitted.js';
import { createHash } from 'node:crypto';
import { createAggregator } from './aggregator/index.js';
import { loadOrCreateFrontProxy, type FrontProxyIdentity } from '../pki/front-proxy.js';

/** Upstream's request body limit (apiserver MaxRequestBodyBytes, 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ApiServerOptions {
  store: Store;
  registry: Registry;
  defs: ResourceDef[];
  /** Writes through admission webhooks (absent: none are called). */
  admitted?: AdmittedWrites;
  /** The kinds served beside `defs` that come and go (custom resources of established CRDs). */
  served?: ServedKinds;
  /** The OpenAPI v3 document of a custom resource group version (`apis/G/V`), when one serves it. */
  customOpenAPI?: (groupVersion: string) => Promise<Record<string, unknown> | undefined>;
  /** `clientCA`: client certificates it signed authenticate as their CN and O's (x509 users). */
  tls: { cert: string; key: string; clientCA?: string };
  /** The aggregator's front-proxy identity (default: a new one, for servers without a data dir). */
  frontProxy?: () => Promise<FrontProxyIdentity>;
  token: string;
  /** Who the admin token is. */
  adminUser: UserInfo;
  /** The audiences of the API server (service account tokens name one of them). */
  apiAudiences: string[];
  /** Where computed kinds (metrics) come from, by storage resource name. */
  computed?: (resource: string) => ComputedSource | undefined;
  /** Other bearer tokens (service account JWTs) for the API server's audiences. */
  authenticate?: (token: string, audiences?: string[], why?: (message: string) => void) => (UserInfo & { audiences: string[] }) | undefined;
  log: Logger;
  /** Decides what each user may do (`--authorization-mode RBAC`); undefined: AlwaysAllow. */
  authorizer?: Authorizer;
  /** The rules a user has in a namespace (SelfSubjectRulesReview), with the authorizer. */
  rulesFor?: (user: UserInfo, namespace: string) => RulesForResult;
  /** Readiness: true once the store and controllers run. */
  ready: () => boolean;
  /** A note on the store check of `/readyz?verbose` etc. (unreadable rows skipped at start). */
  storeDetail?: () => string | undefined;
  watch?: Partial<Pick<WatchSettings, 'bookmarkIntervalMs' | 'maxBufferedBytes'>>;
  /** Deadline of non-long-running requests, body included (upstream --request-timeout, 60 s; tests shorten it). */
  requestTimeoutMs?: number;
  /**
   * Subresources with their own handlers (pods/log, pods/exec, services/proxy, ...): each is
   * listed in discovery and installs its routes on the path its entry names.
   */
  subresources?: readonly Subresource[];
}

export interface ApiServer {
  app: FastifyInstance;
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

const ANONYMOUS = /^\/(healthz|livez|readyz|version)(\/|\?|$)/;

const noSchemas = () => (): never => {
  throw new Error('tinykube routes declare no fastify schemas');
};

export function createApiServer(o: ApiServerOptions): ApiServer {
  // Typed as a plain FastifyInstance: route code does not care that the server is https.
  const app = Fastify({
    // A client certificate is asked for, not required: kubectl with a token sends none.
    https: {
      cert: o.tls.cert,
      key: o.tls.key,
      ...(o.tls.clientCA ? { ca: o.tls.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
    },
    bodyLimit: MAX_BODY_BYTES,
    loggerInstance: o.log,
    forceCloseConnections: true,
    return503OnClosing: false,
    // No route declares a fastify schema (bodies are decoded and validated by the handlers):
    // compilers that refuse schemas, so fastify never loads ajv and fast-json-stringify, which
    // the bundles leave out (scripts/bundle-stubs).
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    // Kubernetes paths are case sensitive and never have trailing slashes of meaning.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  }) as unknown as FastifyInstance;

  const watch: WatchSettings = {
    bookmarkIntervalMs: o.watch?.bookmarkIntervalMs ?? 60_000,
    maxBufferedBytes: o.watch?.maxBufferedBytes ?? 16 * 1024 * 1024,
    defaultTimeoutMs: () => (1800 + Math.floor(Math.random() * 1800)) * 1000,
    active: new Set(),
  };

  // Bodies are decoded by the handlers, by media type (JSON, YAML, the patch types); fastify
  // only collects the bytes (and enforces the size limit). Large YAML bodies are decoded before
  // the handler runs, off the main thread (yaml-offload.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const yaml = new YamlWorker(o.log);
  installYamlOffload(app, yaml);

  // Before authentication, as upstream's timeout filters wrap it: the deadline starts on arrival.
  installRequestTimeout(app, o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);

  const token = Buffer.from(o.token);
  /** Who a bearer token is; `audiences` (TokenReview) narrows the service account tokens taken. */
  const userOf = (
    raw: string | undefined,
    audiences?: string[],
    why?: (message: string) => void,
  ): { user: UserInfo; audiences: string[] } | undefined => {
    if (!raw) return undefined;
    const given = Buffer.from(raw);
    // The static token is no JWT and names no audience: it is good for any (as upstream's token file).
    if (given.length === token.length && timingSafeEqual(given, token))
      return { user: o.adminUser, audiences: audiences?.length ? audiences : o.apiAudiences };
    const sa = o.authenticate?.(raw, audiences, why);
    if (!sa) return undefined;
    const { audiences: matched, ...user } = sa;
    return { user, audiences: matched };
  };
  // upstream's request authenticators in their order: a client certificate, then the bearer token.
  const whoIs = (req: IncomingMessage, token = bearerTokenOf(req.headers.authorization)) => {
    const cert = o.tls.clientCA ? certificateUser(req.socket) : undefined;
    return cert ? { user: cert } : userOf(token);
  };
  /** Why an upgrade request may not go on: not authenticated (401), or not allowed (403). */
  const admitUpgrade = (req: IncomingMessage): StatusError | undefined => {
    // The token of an Authorization header, or of the bearer subprotocol browsers use.
    const who = whoIs(req, bearerToken(req));
    if (!who) return unauthorized();
    const as = impersonatedUser(req.headers);
    if (as instanceof Error) return internalError(as.message);
    return o.authorizer ? authorizeRequest(o.authorizer, req, who.user, as ?? who.user) : undefined;
  };
  app.decorateRequest('user', undefined);
  app.addHook('onRequest', async (req, reply) => {
    if (ANONYMOUS.test(req.url)) return;
    const who = whoIs(req.raw);
    if (!who) {
      const e = unauthorized();
      return reply.code(401).type('application/json').send(e.toStatus());
    }
    const as = impersonatedUser(req.headers);
    if (as instanceof Error) {
      const e = internalError(as.message);
      return reply.code(e.code).type('application/json').send(e.toStatus());
    }
    req.user = as ?? who.user;
    if (o.authorizer) {
      const denied = authorizeRequest(o.authorizer, req.raw, who.user, req.user);
      if (denied) return reply.code(denied.code).type('application/json').send(denied.toStatus());
    }
  });
  // API aggregation: a request for an aggregated group version, authenticated and authorized as
  // any other above, goes to its APIService's server instead of a route of this one.
  const aggregator = createAggregator({
    store: o.store,
    registry: o.registry,
    defs: o.defs,
    clientCA: o.tls.clientCA,
    frontProxy: o.frontProxy ?? (() => loadOrCreateFrontProxy(undefined)),
    log: o.log,
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!reply.sent && aggregator.handle(req.raw, reply.raw, req.user)) reply.hijack();
  });
  // Streaming subresources (exec, attach, portforward) arrive as upgrades, beside fastify's router.
  const upgrades = createUpgradeRouter((err, req) => o.log.error({ err, url: req.url }, 'upgrade failed'));
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrades.handle(req, socket, head, admitUpgrade));

  app.setErrorHandler((err: FastifyError | StatusError | StorageError, req, reply) => {
    let e: StatusError;
    if (err instanceof StatusError) e = err;
    // A store error that reached HTTP without passing the registry still gets its Status.
    else if (err instanceof StorageError) e = statusOfStorageError(err);
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = requestEntityTooLarge(MAX_BODY_BYTES);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new StatusError(415, 'UnsupportedMediaType', err.message);
    else if (err.statusCode && err.statusCode < 500) e = new StatusError(err.statusCode, 'BadRequest', err.message);
    else {
      req.log.error({ err, url: req.url, method: req.method }, 'internal error');
      e = internalError(err.message);
    }
    if (!reply.sent && !reply.raw.headersSent) reply.code(e.code).type('application/json').send(e.toStatus());
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type('application/json').send(pageNotFound().toStatus());
  });

  // Health: plain `ok` like upstream; `?verbose` lists the checks.
  const health = (name: string, check: () => boolean) => {
    app.get(`/${name}`, (req, reply) => {
      const ok = check();
      // healthz's handler: `verbose` counts when present, whatever its value.
      const verbose = requestQuery(req.url).has('verbose');
      reply.code(ok ? 200 : 500).type('text/plain; charset=utf-8');
      if (!verbose) return reply.send(ok ? 'ok' : `[-]${name} failed: reason withheld\n${name} check failed`);
      const detail = o.storeDetail?.();
      const lines = [
        `[${ok ? '+' : '-'}]ping ok`,
        `[${ok ? '+' : '-'}]store ok${detail ? `: ${detail}` : ''}`,
        `[${ok ? '+' : '-'}]controllers ${ok ? 'ok' : 'starting'}`,
      ];
      return reply.send(`${lines.join('\n')}\n${name} check ${ok ? 'passed' : 'failed'}\n`);
    });
  };
  health('healthz', () => true);
  health('livez', () => true);
  health('readyz', o.ready);
  app.get('/version', (_req, reply) => reply.send(VERSION_INFO));

  // Discovery, recomputed when the served kinds change (a CRD established or removed): the
  // documents are strings between changes, so a discovery request costs no serialisation.
  const allDefs = () => (o.served ? [...o.defs, ...o.served.custom().filter((d) => !d.unserved)] : o.defs);
  type Discovery = {
    gvs: ReturnType<typeof groupVersions>;
    aggCore: string;
    aggGroups: string;
    lists: Map<string, string>;
    groups: Map<string, string[]>;
  };
  let discovery: Discovery | undefined;
  aggregator.onChange(() => (discovery = undefined));
  const currentDiscovery = (): Discovery => {
    if (discovery) return discovery;
    const defs = allDefs();
    const gvs = groupVersions(defs);
    const subs = subresourcesOf(defs, o.subresources ?? []);
    const groupsDoc = aggregatedDiscovery(gvs, subs, false);
    const groups = new Map<string, string[]>();
    for (const gv of gvs) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
    const lists = new Map<string, string>();
    for (const gv of gvs) lists.set(gv.group ? `${gv.group}/${gv.version}` : gv.version, JSON.stringify(apiResourceList(gv, subs)));
    return (discovery = {
      gvs,
      aggCore: JSON.stringify(aggregatedDiscovery(gvs, subs, true)),
      // The aggregated groups come after this server's own, as their priorities (below 1000) put them.
      aggGroups: JSON.stringify({ ...groupsDoc, items: [...groupsDoc.items, ...aggregator.discoveryItems()] }),
      lists,
      groups,
    });
  };
  app.get('/api', (req, reply) => {
    if (wantsAggregatedDiscovery(req.headers.accept))
      return reply.type(AGGREGATED_DISCOVERY_TYPE).header('Vary', 'Accept').send(currentDiscovery().aggCore);
    const host = req.headers.host ?? `${req.hostname}`;
    return reply.send(apiVersions(host));
  });
  app.get('/apis', (req, reply) => {
    if (wantsAggregatedDiscovery(req.headers.accept))
      return reply.type(AGGREGATED_DISCOVERY_TYPE).header('Vary', 'Accept').send(currentDiscovery().aggGroups);
    const list = apiGroupList(currentDiscovery().gvs);
    for (const g of aggregator.groups().keys()) list.groups.push(aggregator.apiGroup(g)!);
    return reply.send(list);
  });
  app.get('/apis/:group', (req, reply) => {
    const g = (req.params as { group: string }).group;
    const versions = currentDiscovery().groups.get(g);
    if (!versions) {
      const aggregated = aggregator.apiGroup(g);
      if (!aggregated) throw pageNotFound();
      return reply.send(aggregated);
    }
    return reply.send(apiGroup(g, versions));
  });
  app.get('/api/:version', (req, reply) => {
    const body = currentDiscovery().lists.get((req.params as { version: string }).version);
    if (!body) throw pageNotFound();
    return reply.type('application/json').send(body);
  });
  app.get('/apis/:group/:version', (req, reply) => {
    const p = req.params as { group: string; version: string };
    const body = currentDiscovery().lists.get(`${p.group}/${p.version}`);
    if (!body) throw pageNotFound();
    return reply.type('application/json').send(body);
  });

  // OpenAPI v3, built once from the same schemas the server validates with, when first asked for
  // (kubectl asks for it on apply, explain, and client-side validation; a start need not wait).
  // Custom resource group versions are built from their CRDs when asked for, and again after a change.
  let openapiDocs: Promise<OpenAPIDocs> | undefined;
  const openapi = () => (openapiDocs ??= import('./openapi.js').then((m) => m.buildOpenAPI(o.defs)));
  const customDocs = new Map<string, Promise<{ body: string; hash: string } | undefined>>();
  const customDoc = (path: string): Promise<{ body: string; hash: string } | undefined> => {
    if (!o.customOpenAPI || !path.startsWith('apis/')) return Promise.resolve(undefined);
    let doc = customDocs.get(path);
    if (!doc) {
      doc = o.customOpenAPI(path.slice(5)).then((json) => {
        if (!json) return undefined;
        const body = JSON.stringify(json);
        return { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
      });
      customDocs.set(path, doc);
    }
    return doc;
  };
  const customGroupVersions = () => [
    ...new Set((o.served?.custom() ?? []).filter((d) => !d.unserved).map((d) => `apis/${d.group}/${d.version}`)),
  ];
  app.get('/openapi/v3', async (_req, reply) => {
    const index = (await openapi()).index;
    const extra: [string, { serverRelativeURL: string }][] = [];
    for (const p of customGroupVersions()) {
      const doc = await customDoc(p);
      if (doc) extra.push([p, { serverRelativeURL: `/openapi/v3/${p}?hash=${doc.hash}` }]);
    }
    for (const doc of aggregator.openapiDocs()) extra.push([doc.path, { serverRelativeURL: `/openapi/v3/${doc.path}?hash=${doc.hash}` }]);
    if (!extra.length) return reply.type('application/json').send(index);
    return reply.type('application/json').send({ paths: { ...index.paths, ...Object.fromEntries(extra) } });
  });
  app.get('/openapi/v3/*', async (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    const doc = (await openapi()).docs.get(path) ?? (await customDoc(path)) ?? aggregator.openapiDocs().find((d) => d.path === path);
    if (!doc) return reply.code(404).type('text/plain').send('404 page not found');
    return reply.type('application/json').header('Etag', `"${doc.hash}"`).header('Cache-Control', 'public, immutable').send(doc.body);
  });
  let openapiV2: Promise<ReturnType<typeof import('./openapi-v2.js').openAPIv2>> | undefined;
  app.get('/openapi/v2', async (req, reply) => {
    const v2 = await (openapiV2 ??= import('./openapi-v2.js').then((m) => m.openAPIv2()));
    return (req.headers.accept ?? '').includes(v2.protobufType)
      ? reply.type(v2.protobufType).send(v2.protobuf)
      : reply.type('application/json').send(v2.json);
  });

  const reviews = {
    authenticateToken: (t: string, audiences?: string[]) => {
      let error: string | undefined;
      return userOf(t, audiences, (m) => (error = m)) ?? (error ? { error } : undefined);
    },
    authorizer: o.authorizer,
    rulesFor: o.rulesFor,
  };
  const restDeps = { store: o.store, registry: o.registry, watch, reviews, computed: o.computed, admitted: o.admitted };
  for (const def of o.defs) registerResource(app, def, restDeps);
  for (const def of o.served?.custom() ?? []) if (!def.unserved) registerResource(app, def, restDeps);
  const unsubscribeServed = o.served?.onChange(({ removed, added }) => {
    for (const def of removed) if (!def.unserved) unregisterResource(app, def);
    for (const def of added) if (!def.unserved) registerResource(app, def, restDeps);
    discovery = undefined;
    for (const d of [...removed, ...added]) customDocs.delete(`apis/${d.group}/${d.version}`);
  });
  for (const s of o.subresources ?? []) {
    // Only a served resource's subresource is listed in discovery (a wiring mistake otherwise).
    const def = o.defs.find((d) => d.group === s.group && d.version === s.version && d.plural === s.plural);
    if (!def) throw new Error(`subresource ${s.plural}/${s.subresource}: no resource ${s.plural} in ${s.group || 'core'}/${s.version}`);
    s.install({ app, upgrades, path: subresourcePath(def, s.subresource) });
  }
  // Upgrades (WebSocket) under an aggregated group version, admitted by the router as any other.
  upgrades.add(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/apis/:group/:version/*', ({ req, socket, head }) => {
    const as = impersonatedUser(req.headers);
    const user = as instanceof Error ? undefined : (as ?? whoIs(req, bearerToken(req))?.user);
    if (!aggregator.upgrade(req, socket, head, user)) throw pageNotFound();
  });

  return {
    app,
    async listen(host, port) {
      await app.listen({ host, port });
      const addr = app.server.address();
      if (!addr || typeof addr === 'string') throw new Error('API server has no TCP address');
      return { host, port: addr.port };
    },
    async close() {
      unsubscribeServed?.();
      await aggregator.close();
      for (const close of [...watch.active]) close();
      upgrades.closeAll();
      await app.close();
      await yaml.close();
    },
  };
}
