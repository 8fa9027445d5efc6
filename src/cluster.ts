// Wires one cluster: store, registry, allocators, API server, controllers. This is the library
// API (`startCluster`) that the CLI and the test suites both use.
import { quotaAdmission } from './registry/quota/quota-admission.js';
import { ENDPOINTSLICES } from './registry/endpointslice.js';
import { requireDef } from './registry/kinds.js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Store, groupResource, type UnreadableRow } from './storage/store.js';
import { openDataDirStore, storeOpenError, DB_FILE } from './storage/open.js';
import { ensureDataDir } from './base/files.js';
import { InformerFactory } from './storage/informer.js';
import { Registry } from './registry/generic-store.js';
import { createApiServer, type ApiServer } from './server/server.js';
import { allResourceDefs } from './registry/kinds.js';
import { ensureAllocationTable } from './allocators/bands.js';
import { serviceAllocators, withServiceAllocation } from './registry/service/allocation.js';
import { repairServiceAllocations } from './registry/service/repair.js';
import { bootstrap, bootstrapDNSService, reconcileDNSEndpoints, serviceIP } from './registry/bootstrap.js';
import type { DnsServer } from './dns/index.js';
import { startDataPlane, type ServiceProxyHandle } from './dataplane/index.js';
import { serviceStatusWriter, PROXY_COMPONENT } from './proxy/index.js';
import { hostPort } from './proxy/endpoints.js';
import { eventRecorder } from './controllers/events.js';
import { startIngressController, INGRESSES, type IngressController, type ListenAddress } from './ingress/controller.js';
import { ingressListeners } from './ingress/listeners.js';
import { bootstrapIngressClass } from './registry/networking/builtin-ingress-class.js';
import type { IngressObj } from './registry/networking/ingress-validation.js';

import { startNodeAgent, podsDirFor, type NodeAgent } from './kubelet/index.js';
import { POD_BINDING, POD_EVICTION, POD_LOG, type PodApiDeps } from './kubelet/api.js';
import { POD_PROXY, SERVICE_PROXY, type ApiProxyDeps } from './server/apiproxy/handler.js';
import { POD_ATTACH, POD_EXEC, type StreamingDeps } from './kubelet/exec.js';
import { POD_PORTFORWARD, type PortForwardDeps } from './kubelet/portforward.js';
import { withDeps, type Subresource } from './server/subresource.js';
import { startControllers } from './controllers/index.js';
import { createLogger } from './base/log.js';
import { realClock } from './base/clock.js';
import { rbacModeAuthorizer } from './auth/rbac/authorizer.js';
import { informerRBACSource } from './auth/rbac/informer-source.js';
import { rbacRulesFor } from './auth/rbac/rules-review.js';
import type { RBACSource } from './auth/rbac/rule-resolver.js';
import { issueClientCertificate, loadOrCreatePKI, loadOrCreateToken } from './pki/certs.js';
import { loadOrCreateFrontProxy } from './pki/front-proxy.js';
import { createTokenAuthority, type TokenAuthority } from './auth/tokens.js';
import { createServiceAccountAuthenticator, type ServiceAccountAuthenticator } from './auth/authenticator.js';
import { SERVICEACCOUNT_TOKEN, type TokenRequestDeps } from './server/serviceaccount-token.js';
import { ADMIN_USER, type UserInfo } from './auth/users.js';
import { buildKubeconfig, buildUserKubeconfig, writeKubeconfig } from './config/kubeconfig.js';
import { loadYAMLParser } from './apimachinery/yaml/decode.js';
import { DEFAULTS, parseHostPort, resolveConfig, type StartOptions } from './config/options.js';
import { placeCluster } from './config/placement.js';
import { loadSavedRanges, saveRanges } from './config/saved-ranges.js';
import { watchParent } from './base/parent-watch.js';
import { slotOrder, type HostRanges, type RangeKind } from './config/slots.js';
import { defaultDataDir } from './config/paths.js';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { ClusterConfig } from './config/cluster-config.js';
import { storageResource, type ResourceDef } from './registry/types.js';
import { ServedKinds } from './registry/served-kinds.js';
import { serveStoredCRDs } from './controllers/crd.js';
import { startWebhookAdmission, type WebhookAdmission } from './registry/admission/webhooks.js';
import { startPolicyAdmission } from './registry/admission/policy-admission.js';
import { AgentCache, clusterIPEndpoint } from './registry/admission/webhook-client.js';
import type { Service } from './api/generated/core/v1.js';
import { crdDef, type CRDObj } from './registry/apiextensions/crd/strategy.js';
import { isCRDConditionTrue } from './registry/apiextensions/crd/conditions.js';
import type { KubeObject } from './apimachinery/types.js';

export type { StartOptions } from './config/options.js';
export type { ClusterConfig } from './config/cluster-config.js';

/** What the subresources below need of the cluster (`log`: its root; each names its component). */
type SubresourceDeps = PodApiDeps & StreamingDeps & PortForwardDeps & ApiProxyDeps & TokenRequestDeps;

/**
 * The subresources served by their own handlers, each declared beside its handler with its
 * discovery entry (server/subresource.ts); discovery lists them in this order after the
 * ResourceDefs' own (status, ...).
 */
export const SUBRESOURCES: readonly Subresource<SubresourceDeps>[] = [
  POD_BINDING,
  POD_EVICTION,
  POD_LOG,
  POD_ATTACH,
  POD_EXEC,
  POD_PORTFORWARD,
  SERVICEACCOUNT_TOKEN,
  POD_PROXY,
  SERVICE_PROXY,
];

export interface RunningCluster {
  name: string;
  /** https://HOST:PORT of the API server. */
  server: string;
  /** A standalone kubeconfig (YAML) with the CA and a bearer token. */
  kubeconfig: string;
  /** Where the kubeconfig was written, when `kubeconfigPath` was given. */
  kubeconfigPath?: string;
  token: string;
  caCert: string;
  /**
   * A user for tests (envtest's AddUser): a client certificate of this cluster's CA for `name` in
   * `groups`, and a standalone kubeconfig that uses it. What the user may do is what RBAC gives it
   * (with `--authorization-mode RBAC`); `system:masters` may do anything.
   */
  addUser(u: { name: string; groups?: string[]; validDays?: number }): Promise<{ kubeconfig: string; certPem: string; keyPem: string }>;
  /** The API port, and the cluster DNS server's (UDP and TCP) and every address it serves. */
  ports: { api: number; dns: number };
  dns: {
    /** Every `HOST:PORT` served (UDP and TCP). */
    addresses: string[];
    /** The address ClusterFirst Pods use (port 53), when the server has one. */
    nameserver?: string;
    /** Where names outside the cluster domain are forwarded. */
    upstreams: string[];
    /** Without a nameserver: why Pods keep the host's resolvers (and get Services in /etc/hosts). */
    unavailable?: string;
  };
  /**
   * The host slot whose default ranges this cluster uses (undefined when every range was given);
   * see config/slots.ts.
   */
  slot?: number;
  /** What did not go as configured and how the cluster coped (the CLI prints them). */
  notices: string[];
  config: ClusterConfig;
  /** The service proxy (absent with `proxy: false`): its counters and listeners (asked of the data-plane thread). */
  proxy?: Pick<ServiceProxyHandle, 'stats' | 'listeners' | 'healthzPort'>;
  /**
   * Where the built-in ingress controller listens (absent with `ingress: false`): Ingresses of
   * IngressClass `tinykube` are reached at `http://<http.host>:<http.port>/...`.
   */
  ingress?: { http?: ListenAddress; https?: ListenAddress };
  /** In-process access for embedding and tests. */
  store: Store;
  registry: Registry;
  log: Logger;
  /** Resolves once the built-in controllers have worked off every queued change (tests, benchmarks). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The API server's authorizer and rule resolver of `--authorization-mode RBAC`. */
function rbacMode(source: RBACSource) {
  return { authorizer: rbacModeAuthorizer(source), rulesFor: (user: UserInfo, ns: string) => rbacRulesFor(user, ns, source) };
}

export async function startCluster(opts: StartOptions = {}): Promise<RunningCluster> {
  const mode = opts.cli ? 'cli' : 'library';
  // Every option is checked before anything is touched; the ranges left out come from the host
  // slot this cluster leases (config/placement.ts), so clusters never share addresses or ports.
  // An image map file is YAML (or JSON): its parser loads only for it.
  if (typeof opts.images === 'string') await loadYAMLParser();
  const asked = resolveConfig(opts, mode);
  // A data dir's cluster keeps the ranges it was made with (its Services hold their addresses).
  const saved = asked.dataDir ? loadSavedRanges(asked.dataDir) : undefined;
  const savedFrom = new Set<string>();
  if (saved) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    const kept = Object.fromEntries(Object.entries(saved).filter(([k]) => given[k] === undefined));
    opts = { ...opts, ...kept };
    for (const k of Object.keys(kept)) savedFrom.add(k);
  }
  const log = opts.logger ?? createLogger({ verbose: !!opts.verbose, name: asked.name });
  const t0 = performance.now();
  const record = {
    id: randomBytes(8).toString('hex'),
    name: asked.name,
    pid: process.pid,
    dataDir: asked.dataDir,
    kind: mode,
    kubeconfig: opts.cli?.kubeconfig,
    startedAt: Date.now(),
  } as const;
  const labels: Partial<Record<RangeKind, string>> = {};
  if (savedFrom.has('serviceCIDR')) labels.service = `the data dir's service CIDR (kept from its first start; ${asked.dataDir})`;
  if (savedFrom.has('podCIDR')) labels.pod = `the data dir's pod CIDR (kept from its first start; ${asked.dataDir})`;
  if (savedFrom.has('loadBalancerCIDR'))
    labels.loadBalancer = `the data dir's load-balancer CIDR (kept from its first start; ${asked.dataDir})`;
  if (savedFrom.has('serviceNodePortRange'))
    labels.nodePorts = `the data dir's NodePort range (kept from its first start; ${asked.dataDir})`;
  // The data dir's database first (created 0600, refused when it was lost, errors with path and
  // cause): what is wrong with the data dir is said before anything about other clusters.
  if (asked.dataDir) ensureDataDir(asked.dataDir);
  const store = asked.dataDir ? openDataDirStore(asked.dataDir, { groupCommit: true }) : new Store({ groupCommit: true });
  // Its thread starts now, while the cluster is placed and the API server starts (see dataplane/index.ts).
  const dataPlane = startDataPlane({ log: log.child({ component: 'dataplane' }) });
  const order = slotOrder(
    !asked.dataDir ? 'in-memory' : resolve(asked.dataDir) === resolve(defaultDataDir(DEFAULTS.name)) ? 'default-data-dir' : 'data-dir',
    asked.dataDir && resolve(asked.dataDir),
  );
  let placement: Awaited<ReturnType<typeof placeCluster>>;
  try {
    placement = await placeCluster({
      explicit: explicitRanges(opts),
      labels,
      order,
      rangesFor: (slot) => hostRanges(resolveConfig(opts, mode, slot ?? 0)),
      record,
    });
  } catch (err) {
    store.close();
    await dataPlane.stop();
    throw err;
  }
  const config = resolveConfig(opts, mode, placement.slot ?? 0);
  const publish = (server?: string) => placement.lease.publish({ ...record, slot: placement.slot, ranges: hostRanges(config), server });
  if (placement.slot !== undefined) log.debug({ slot: placement.slot, others: placement.others }, 'host slot leased');
  // The CLI's DNS default is the kube-dns ClusterIP, port 53, which needs privilege: without it, a
  // free port on that address (127.0.0.1 where the address is not on the loopback interface, as on
  // macOS without an alias).
  if (mode === 'cli' && opts.dnsListen === undefined) {
    if (!loopbackHas(config.dnsHost)) config.dnsHost = '127.0.0.1';
    opts = { ...opts, dnsFallbackListen: `${config.dnsHost.includes(':') ? `[${config.dnsHost}]` : config.dnsHost}:0` };
  }

  if (config.dataDir) {
    // Before anything holds an address of them (see config/saved-ranges.ts).
    const np = config.nodePortRange;
    const r = {
      serviceCIDR: config.serviceCIDR,
      secondaryServiceCIDR: config.secondaryServiceCIDR,
      podCIDR: config.podCIDR,
      loadBalancerCIDR: config.loadBalancerCIDR,
      serviceNodePortRange: `${np.base}-${np.base + np.size - 1}`,
    };
    try {
      saveRanges(config.dataDir, r);
    } catch (err) {
      store.close();
      await dataPlane.stop();
      await placement.lease.release();
      throw err;
    }
  }
  let api: ApiServer | undefined;
  let webhooks: WebhookAdmission | undefined;
  let conversionAgents: AgentCache | undefined;
  let controllers: { stop(): void; idle(): Promise<void> } | undefined;
  let agent: NodeAgent | undefined;
  let dns: DnsServer | undefined;
  let proxy: ServiceProxyHandle | undefined;
  let ingress: IngressController | undefined;
  let saAuth: ServiceAccountAuthenticator | undefined;
  const podsDir = podsDirFor(config.dataDir);
  let compaction: NodeJS.Timeout | undefined;
  let stopReporting: (() => void) | undefined;
  const informers = new InformerFactory(store);
  let ready = false;
  const notices: string[] = [];

  try {
    ensureAllocationTable(store.db);
    const alloc = serviceAllocators(config);
    const repaired = repairServiceAllocations(store, alloc, log.child({ component: 'allocators' }));
    if (repaired.released || repaired.restored || repaired.conflicts) log.warn(repaired, 'repaired Service allocations');
    opts.progress?.(config.dataDir ? `store ${join(config.dataDir, 'state.db')} opened` : 'in-memory store ready');
    const defs: ResourceDef[] = allResourceDefs().map((d) =>
      d.group === '' && d.plural === 'services' ? withServiceAllocation(d, alloc) : d,
    );
    const registry = new Registry(store, config);
    const namespaces = informers.for('namespaces');
    registry.namespaces = (name) => namespaces.get('', name);
    // Custom resources of the established CRDs are served from the first request on.
    const served = new ServedKinds(defs);
    // CRD conversion webhooks: Service references resolve to ClusterIPs, as admission webhooks'.
    conversionAgents = new AgentCache();
    served.conversion = {
      resolveService: (ns, name, port) => clusterIPEndpoint(store.get('services', ns, name) as Service | undefined, name, port),
      agents: conversionAgents,
    };
    await serveStoredCRDs(store, served, log.child({ component: 'crd' }));

    const pki = await loadOrCreatePKI(config.dataDir ? join(config.dataDir, 'pki') : undefined, {
      ips: unique(['127.0.0.1', '::1', serviceIP(config, 0), ...(isWildcard(config.apiHost) ? [] : [config.apiHost])]),
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${config.clusterDomain}`],
    });
    const token = loadOrCreateToken(config.dataDir);
    // Service account tokens: upstream's default issuer (and API audience) for this cluster domain.
    const tokens = createTokenAuthority({ dataDir: config.dataDir, issuer: `https://kubernetes.default.svc.${config.clusterDomain}` });
    saAuth = createServiceAccountAuthenticator({ store, tokens });
    // The node agent names its Node; the token also carries the Node's uid (upstream
    // ServiceAccountTokenPodNodeInfo).
    const agentTokens: TokenAuthority = {
      ...tokens,
      issue: (req) =>
        tokens.issue(
          req.node && req.node.uid === undefined
            ? { ...req, node: { name: req.node.name, uid: store.get('nodes', '', req.node.name)?.metadata.uid } }
            : req,
        ),
    };
    const authenticator = saAuth;
    opts.progress?.('certificates and tokens ready');

    // RBAC reads the four kinds from shared informers (a decision costs ~2 us, no SQLite read);
    // the registry checks RBAC writes for escalation with the same objects.
    const rbacSource = config.authorizationMode === 'RBAC' ? informerRBACSource(informers) : undefined;
    const rbac = rbacSource && rbacMode(rbacSource);
    if (rbac && rbacSource) registry.authorization = { authorizer: rbac.authorizer, source: rbacSource };
    // Admission webhooks: API writes a configuration may match go through them.
    const authorizer = rbac?.authorizer;
    webhooks = startWebhookAdmission({ store, informers, registry, served, log: log.child({ component: 'admission' }), authorizer });
    // ValidatingAdmissionPolicies: evaluated inside every write (the CEL engine loads first when one is stored).
    const policies = startPolicyAdmission({ store, informers, served, authorizer });
    await policies.ready();
    registry.policies = policies.admit;
    // Quota admission reads a namespace's quotas in the write's transaction; the informer answers
    // first whether it has any, so writes in namespaces without quotas query nothing.
    const quotas = informers.for('resourcequotas');
    registry.quota = (a) => {
      if (a.namespace && quotas.list(a.namespace).length) quotaAdmission(a);
    };
    api = createApiServer({
      ...(rbac ?? {}),
      store,
      registry,
      defs,
      served,
      admitted: webhooks.writes,
      customOpenAPI: (gv) => crdOpenAPI(store, gv),
      tls: { cert: pki.certPem, key: pki.keyPem, clientCA: pki.caCertPem },
      frontProxy: () => loadOrCreateFrontProxy(config.dataDir ? join(config.dataDir, 'pki') : undefined),
      token,
      authenticate: (t, audiences, why) => authenticator.authenticate(t, audiences, why),
      adminUser: ADMIN_USER,
      apiAudiences: [tokens.issuer],
      // metrics.k8s.io comes from the node agent once it runs (until then: no metrics).
      computed: (resource) => {
        if (resource === 'metrics.k8s.io/pods') return { list: async (ns) => (agent ? agent.metrics.pods(ns) : []) };
        if (resource === 'metrics.k8s.io/nodes') return { list: async () => (agent ? agent.metrics.nodes() : []) };
        return undefined;
      },
      log: log.child({ component: 'api' }),
      ready: () => ready,
      storeDetail: () => unreadableSummary(store),
      watch: opts.watchBookmarkIntervalMs ? { bookmarkIntervalMs: opts.watchBookmarkIntervalMs } : undefined,
      requestTimeoutMs: opts.requestTimeoutMs,
      subresources: withDeps(SUBRESOURCES, {
        store,
        registry,
        informers,
        tokens,
        podDef: requireDef(defs, '', 'pods'),
        podsDir: podsDir.dir,
        container: (key, name) => agent?.container(key, name),
        log,
      }),
    });
    let port: number;
    try {
      ({ port } = await api.listen(config.apiHost, config.apiPort));
    } catch (err) {
      // The CLI's default port (6443) taken, by another cluster or a real Kubernetes: a free one.
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !opts.apiFallbackListen) throw err;
      const fb = parseHostPort('--api-listen', opts.apiFallbackListen);
      ({ port } = await api.listen(fb.host, fb.port));
      notices.push(
        `${hostPort(config.apiHost, config.apiPort)} is in use (by another program or cluster): the API server listens on port ${port} instead`,
      );
      config.apiHost = fb.host;
    }
    config.apiPort = port;
    log.debug({ port, ms: Math.round(performance.now() - t0) }, 'api server listening');
    opts.progress?.(`API server listening on port ${port}`);

    bootstrap(registry, defs, config, port);
    bootstrapDNSService(registry, defs, config, log);
    stopReporting = reportUnreadable(store, registry, defs, log);
    // Shared informers for the kinds most consumers read (parsed once, kept current by events);
    // the DNS index starts from them too.
    for (const r of ['pods', 'services', 'nodes', ENDPOINTSLICES]) informers.for(r);
    dns = await dataPlane.startDns({
      store,
      config,
      log: log.child({ component: 'dns' }),
      fallbackListen: opts.dnsFallbackListen,
      informers,
    });
    config.dnsHost = dns.host;
    config.dnsPort = dns.udpPort;
    reconcileDNSEndpoints(registry, defs, dns.host, dns.udpPort);
    opts.progress?.(`cluster DNS serving on ${dns.addresses.join(', ')}`);
    const clusterDNS = dns.clusterDNS;
    controllers = startControllers({
      store,
      informers,
      registry,
      defs,
      log: log.child({ component: 'controllers' }),
      config,
      caCertPem: pki.caCertPem,
      caKeyPem: pki.caKeyPem,
      tokens,
      clock: opts.clock ?? realClock,
      served,
      admitted: webhooks.writes,
      podMetrics: { list: async (ns) => (agent ? agent.metrics.pods(ns) : []) },
    });
    agent = startNodeAgent(
      {
        store,
        informers,
        registry,
        defs,
        log: log.child({ component: 'node' }),
        config,
        caCertPem: pki.caCertPem,
        tokens: agentTokens,
        clock: opts.clock ?? realClock,
      },
      podsDir,
      {
        clusterDNS: clusterDNS.nameserver ? () => ({ nameserver: clusterDNS.nameserver!, domain: clusterDNS.domain }) : undefined,
        clusterDNSUnavailable: clusterDNS.unavailable,
      },
    );
    opts.progress?.('controllers and node agent started');
    if (config.proxy) {
      const proxyLog = log.child({ component: 'proxy' });
      proxy = await dataPlane.startProxy({
        store,
        informers,
        log: proxyLog,
        nodeName: config.nodeName,
        zone: config.zone,
        nodePortAddresses: config.nodePortAddresses,
        externalIPAddresses: config.externalIPAddresses,
        recordEvent: eventRecorder(registry, requireDef(defs, '', 'events'), PROXY_COMPONENT, (err) =>
          proxyLog.debug({ err }, 'event not recorded'),
        ),
        // The tinykube.io/PortsBound condition on Services whose sockets cannot all be opened.
        serviceStatus: serviceStatusWriter(registry, requireDef(defs, '', 'services')),
        // The DNS server answers on these itself.
        reserved: dns.addresses.flatMap((a) => [`UDP ${a}`, `TCP ${a}`]),
      });
    }
    if (proxy) opts.progress?.('service proxy started');
    const listeners = ingressListeners(config, loopbackHas);
    if (listeners) {
      ingress = await startBuiltinIngress(listeners, { informers, registry, defs, store, nodeName: config.nodeName, log });
      opts.progress?.(
        `ingress controller listening on ${[ingress.addresses.http, ingress.addresses.https]
          .map((a) => a && hostPort(a.host, a.port))
          .filter(Boolean)
          .join(', ')}`,
      );
    }
    compaction = setInterval(() => {
      try {
        const r = store.compact({ maxAgeMs: config.compaction.maxAgeMs, keepRevisions: config.compaction.keepRevisions });
        if (r.deleted) log.debug(r, 'compacted change log');
      } catch (err) {
        log.error({ err }, 'compaction failed');
      }
    }, config.compaction.intervalMs);
    compaction.unref();
    ready = true;

    const host = isWildcard(config.apiHost) ? '127.0.0.1' : config.apiHost;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    publish(server);
    const kubeconfig = buildKubeconfig({ name: config.name, server, caPem: pki.caCertPem, token });
    if (opts.kubeconfigPath) writeKubeconfig(opts.kubeconfigPath, kubeconfig);
    log.debug({ ms: Math.round(performance.now() - t0) }, 'cluster ready');

    let stopped: Promise<void> | undefined;
    let unwatch: (() => void) | undefined;
    const running: RunningCluster = {
      name: config.name,
      server,
      kubeconfig,
      kubeconfigPath: opts.kubeconfigPath,
      token,
      caCert: pki.caCertPem,
      async addUser(u) {
        if (!pki.caKeyPem) throw new Error('this cluster has no CA key to sign user certificates with');
        const { certPem, keyPem } = await issueClientCertificate(pki.caCertPem, pki.caKeyPem, {
          user: u.name,
          groups: u.groups,
          validDays: u.validDays,
        });
        return {
          certPem,
          keyPem,
          kubeconfig: buildUserKubeconfig({ name: config.name, server, caPem: pki.caCertPem, user: u.name, certPem, keyPem }),
        };
      },
      ports: { api: port, dns: dns.udpPort },
      dns: { addresses: dns.addresses, nameserver: clusterDNS.nameserver, unavailable: clusterDNS.unavailable, upstreams: dns.upstreams },
      slot: placement.slot,
      notices,
      proxy,
      ingress: ingress?.addresses,
      config,
      store,
      registry,
      log,
      idle: async () => {
        // Controller writes are published when their group-commit batch commits, which may
        // queue more work for the others: settle until controllers, node agent and proxy are all
        // idle in one pass with no batch left open.
        // (Bounded: Pods that write their status without pause must not make it wait for ever.)
        for (let round = 0; round < 100; round++) {
          const rev = store.rev;
          await controllers?.idle();
          await agent?.idle();
          await proxy?.idle();
          await ingress?.idle();
          if (store.batchOpen) {
            await store.durable();
            continue;
          }
          if (store.rev === rev) break;
        }
      },
      stop: () =>
        (stopped ??= (async () => {
          unwatch?.();
          ready = false;
          clearInterval(compaction);
          stopReporting?.();
          controllers?.stop();
          await ingress?.stop();
          await proxy?.stop();
          await agent?.stop();
          await dns?.stop();
          await dataPlane.stop();
          await api?.close();
          webhooks?.close();
          conversionAgents?.close();
          saAuth?.stop();
          informers.stop();
          store.close();
          await placement.lease.release();
        })()),
    };
    if (opts.stopWithParent !== false) {
      unwatch = watchParent((why) => {
        log.warn({ why }, 'the process that started this one is gone: stopping the cluster');
        if (opts.onOrphaned) opts.onOrphaned(why);
        else running.stop().catch((err) => log.error({ err }, 'stopping after the parent process went'));
      });
    }
    return running;
  } catch (err) {
    clearInterval(compaction);
    stopReporting?.();
    controllers?.stop();
    await ingress?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await dns?.stop().catch(() => undefined);
    await dataPlane.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    webhooks?.close();
    conversionAgents?.close();
    saAuth?.stop();
    informers.stop();
    try {
      store.close();
    } catch {
      // Closing writes too (a read-only or full disk fails it again): the first error is the cause.
    }
    // A temporary Pod directory made before the failure (the node agent removes it when it ran).
    if (podsDir.temporary) rmSync(podsDir.dir, { recursive: true, force: true });
    await placement.lease.release();
    throw config.dataDir ? storeOpenError(err, join(config.dataDir, DB_FILE), 'use') : err;
  }
}

/**
 * The built-in ingress controller (src/ingress) on these listeners, with its IngressClass made
 * when missing, status written through the status subresource and events as `tinykube-ingress`.
 */
async function startBuiltinIngress(
  listen: ReturnType<typeof ingressListeners> & object,
  c: { informers: InformerFactory; registry: Registry; defs: ResourceDef[]; store: Store; nodeName: string; log: Logger },
): Promise<IngressController> {
  const { registry, defs, store } = c;
  const log = c.log.child({ component: 'ingress' });
  bootstrapIngressClass(registry, defs);
  const ingDef = requireDef(defs, 'networking.k8s.io', 'ingresses');
  return startIngressController({
    informers: c.informers,
    listen,
    nodeName: c.nodeName,
    log,
    recordEvent: eventRecorder(registry, requireDef(defs, '', 'events'), 'tinykube-ingress', (err) =>
      log.debug({ err }, 'event not recorded'),
    ),
    writeStatus: (ing: IngressObj, lb) => {
      const ns = ing.metadata.namespace ?? '';
      const name = ing.metadata.name ?? '';
      // The stored object, not the informer's copy (which may be a version behind): the status
      // is the controller's alone to set.
      const cur = store.get(INGRESSES, ns, name) as IngressObj | undefined;
      if (!cur || cur.metadata.uid !== ing.metadata.uid || cur.metadata.deletionTimestamp) return;
      registry.update(
        ingDef,
        ns,
        name,
        { ...cur, status: { ...cur.status, loadBalancer: { ingress: lb } } },
        { subresource: 'status', fieldManager: 'tinykube-ingress' },
      );
    },
  });
}

/**
 * Stored objects the store cannot read (see Store.unreadable): the cluster runs without them and
 * says so once each, whenever one is found (at start, or by the store's background check): a log
 * line, a Warning Event about the object, and `/readyz?verbose`.
 */
/** The OpenAPI v3 document of a custom resource group version, from the established CRDs serving it. */
async function crdOpenAPI(store: Store, groupVersion: string): Promise<Record<string, unknown> | undefined> {
  const [group, version] = groupVersion.split('/');
  const crds = (store.listObjects(storageResource(crdDef)) as CRDObj[]).filter(
    (c) =>
      c.spec?.group === group &&
      isCRDConditionTrue(c, 'Established') &&
      (c.spec?.versions ?? []).some((v) => v.served && v.name === version),
  );
  if (!crds.length) return undefined;
  const { crdGroupVersionDocument } = await import('./server/openapi-crd.js');
  return crdGroupVersionDocument(crds, group!, version!);
}

function reportUnreadable(store: Store, registry: Registry, defs: ResourceDef[], log: Logger): () => void {
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'tinykube-store', (err) =>
    log.warn({ err }, 'event not recorded'),
  );
  let stopped = false;
  const report = (u: UnreadableRow) => {
    const { group, resource } = groupResource(u.resource);
    const def = defs.find((d) => d.group === group && d.plural === resource);
    const where = u.namespace ? `${u.namespace}/${u.name}` : u.name;
    log.error(
      { resource: u.resource, namespace: u.namespace, name: u.name, resourceVersion: u.rev, error: u.error },
      'skipping an unreadable stored object',
    );
    const message = `the stored object ${u.resource} ${where} (resourceVersion ${u.rev}) cannot be read (${u.error}): it is skipped and left in the database as it was; repair or delete that row of the objects table while tinykube is stopped`;
    const apiVersion = def ? (def.group ? `${def.group}/${def.version}` : def.version) : undefined;
    // Later, never inside the read (or write) that found it.
    setImmediate(() => {
      if (stopped) return;
      record(
        {
          apiVersion,
          kind: def?.kind,
          metadata: { name: u.name, namespace: u.namespace || undefined, resourceVersion: String(u.rev) },
        } as KubeObject,
        'Warning',
        'UnreadableObject',
        message,
      );
    });
  };
  for (const u of store.unreadable) report(u);
  const off = store.onUnreadable(report);
  return () => {
    stopped = true;
    off();
  };
}

function unreadableSummary(store: Store): string | undefined {
  const left = store.unreadable.filter((u) => !u.preserved);
  if (!left.length) return undefined;
  const names = left.slice(0, 5).map((u) => `${u.resource} ${u.namespace ? `${u.namespace}/` : ''}${u.name}`);
  return `${left.length} unreadable stored object${left.length === 1 ? '' : 's'} skipped (${names.join(', ')}${left.length > 5 ? ', …' : ''})`;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The ranges of this host a cluster's config takes (for the host registry). */
function hostRanges(c: ClusterConfig): HostRanges {
  return {
    service: [c.serviceCIDR, ...(c.secondaryServiceCIDR ? [c.secondaryServiceCIDR] : [])],
    pod: c.podCIDR,
    loadBalancer: c.loadBalancerCIDR,
    nodePorts: c.nodePortRange,
    nodePortAddresses: c.nodePortAddresses,
  };
}

function explicitRanges(o: StartOptions): Set<RangeKind> {
  const s = new Set<RangeKind>();
  if (o.serviceCIDR !== undefined) s.add('service');
  if (o.podCIDR !== undefined) s.add('pod');
  if (o.loadBalancerCIDR !== undefined) s.add('loadBalancer');
  if (o.serviceNodePortRange !== undefined) s.add('nodePorts');
  return s;
}

/** Can we bind this loopback address? All of 127.0.0.0/8 on Linux; elsewhere only configured ones. */
function loopbackHas(ip: string): boolean {
  if (process.platform === 'linux' || ip === '127.0.0.1' || ip === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === ip));
}
