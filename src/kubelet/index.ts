// The node agent (the kubelet of this one-node cluster): registers the Node and keeps its Lease,
// schedules Pods onto it, and runs the Pods bound to it as local processes. It consumes the store
// through in-process subscriptions, never through HTTP.
import { requireDef } from '../registry/kinds.js';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ControllerContext } from '../controllers/context.js';
import type { PodObj } from '../registry/pod/strategy.js';

import { eventRecorder } from '../controllers/events.js';
import { startNode, hostIP } from './node.js';
import { startScheduler } from '../controllers/scheduler.js';
import { createRuntime, killLeftovers, type ContainerHandle } from './runtime.js';
import type { ObjectKind } from './volume-manager.js';
import { createMetrics, type Metrics } from './metrics.js';
import { podIPPool, podIPOwners, releasePodIP } from './podips.js';
import { detectIsolation, which, type IsolationInfo } from './sandbox.js';
import { createTracker } from './tracker.js';
import { claimRuntimeDir, makeTempPodsDir, reclaimDeadRuntimeDirs, runDirFor } from './runtime-dirs.js';

export { runDirFor };
import type { TokenIssuer } from './volumes.js';
import { imageMapNeedsYAML, imageMapReader } from './image-maps.js';
import { nodeImages, type PresentImage } from './image-pull.js';
import { IMAGE_MAP_CONFIGMAP } from '../config/images/image-map.js';
import { loadYAMLParser } from '../apimachinery/yaml/decode.js';
import { selfArgv } from './self.js';
import { bindRewriteEnvFor } from './bind-rewrite.js';

export interface NodeAgent {
  podsDir: string;
  /** A container of a Pod this node runs, for exec and attach. */
  container(key: string, name: string): ContainerHandle | undefined;
  /** Resource usage of this node and its Pods (metrics.k8s.io). */
  metrics: Metrics;
  stop(): Promise<void>;
  idle(): Promise<void>;
}

/** Where Pod directories (logs, volumes) live: under the data dir, or a temp dir for in-memory clusters. */
export function podsDirFor(dataDir: string | undefined): { dir: string; temporary: boolean } {
  if (dataDir) {
    const dir = join(dataDir, 'pods');
    // Container logs and emptyDirs: the owner's only, whatever the data dir's mode (as the
    // kubelet's 0750 pods dir; Pods reach their volumes through binds, not through this path).
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return { dir, temporary: false };
  }
  return { dir: makeTempPodsDir(), temporary: true };
}

export interface NodeAgentOptions {
  /** The cluster DNS nameserver for ClusterFirst Pods (undefined: it cannot be reached on port 53). */
  clusterDNS?: () => { nameserver: string; domain: string } | undefined;
  /** Why there is none (said in the Pods' ClusterDNSUnavailable event). */
  clusterDNSUnavailable?: string;
}

export function startNodeAgent(
  ctx: ControllerContext & { tokens?: { issue: TokenIssuer } },
  podsDir: { dir: string; temporary: boolean },
  opts: NodeAgentOptions = {},
): NodeAgent {
  const { store, registry, defs, config, log } = ctx;
  const podDef = requireDef(defs, '', 'pods');
  const eventsDef = requireDef(defs, '', 'events');
  const kubeletEvents = eventRecorder(registry, eventsDef, 'kubelet', (err) => log.debug({ err }, 'event not recorded'));
  const heartbeat = startNode(
    registry,
    { node: requireDef(defs, '', 'nodes'), lease: requireDef(defs, 'coordination.k8s.io', 'leases') },
    config,
    (err) => log.debug({ err }, 'lease renew failed'),
    {
      kubelet: kubeletEvents,
      nodeController: eventRecorder(registry, eventsDef, 'node-controller', (err) => log.debug({ err }, 'event not recorded')),
    },
  );
  // Runtime directories of clusters that died without stopping (their containers first).
  reclaimDeadRuntimeDirs(log);
  killLeftovers(podsDir.dir, log);
  // After the leftovers are gone: the tracker records its own cgroup for the next start.
  const tracker = createTracker({ podsDir: podsDir.dir, log });
  void tracker.ready.then(() =>
    log.child({ component: 'kubelet' }).info({ mode: tracker.mode, reason: tracker.reason }, 'container processes are tracked'),
  );
  const pool = podIPPool(config.podCIDR);
  // Addresses of Pods deleted while we were down.
  const live = new Set(ctx.informers.list('pods').map((p) => p.metadata.uid));
  store.txn(() => {
    for (const uid of podIPOwners(store.db, pool)) if (!live.has(uid)) releasePodIP(store.db, pool, uid);
  });
  // setpriv --pdeathsig makes each container's main process die with tinykube, even on kill -9.
  const setpriv = which('setpriv');
  const runDir = runDirFor(podsDir.dir);
  // Runtime files of Pods that are gone (deleted while we were down).
  for (const uid of readdirSync(runDir))
    if (!uid.startsWith('.') && !live.has(uid)) rmSync(join(runDir, uid), { recursive: true, force: true });
  claimRuntimeDir(runDir);
  // What the host allows for Pod mounts is decided once (a spawn of `unshare`); Pods wait for it.
  let isolation: IsolationInfo | undefined;
  const agentLog = log.child({ component: 'kubelet' });
  const tokens = ctx.tokens;
  const presentImages = new Map<string, PresentImage>();
  let imagesTimer: NodeJS.Timeout | undefined;
  const images = imageMapReader({ store, start: config.images, record: kubeletEvents, log: agentLog });
  const runtime = createRuntime({
    store,
    registry,
    podDef,
    config,
    pool,
    hostIP: hostIP(config),
    podsDir: podsDir.dir,
    runDir,
    record: kubeletEvents,
    log: agentLog,
    wrap: (argv) => (setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv),
    tracker,
    isolation: () => isolation!,
    issueToken: tokens ? (req) => tokens.issue(req) : undefined,
    clusterDNS: opts.clusterDNS,
    clusterDNSUnavailable: opts.clusterDNSUnavailable,
    services: ctx.informers.for('services'),
    imageMaps: () => images.maps(),
    selfArgv: selfArgv(),
    presentImages,
    // node.status.images follows, once per burst of new images.
    imagesPresentChanged: () => {
      imagesTimer ??= setTimeout(() => {
        imagesTimer = undefined;
        if (!stopped) heartbeat.reportImages(nodeImages(presentImages));
      }, 200);
    },
    bindRewriteEnv: bindRewriteEnvFor(agentLog, kubeletEvents, store, config.nodeName),
  });
  const scheduler = startScheduler({ ...ctx, log: log.child({ component: 'scheduler' }) });
  // Pod work (spawning processes above all) runs after the API has answered, a few Pods per
  // event-loop turn, so a burst of creates does not hold up requests.
  const pendingKeys = new Set<string>();
  let scheduled = false;
  let stopped = false;
  const drain = () => {
    scheduled = false;
    if (stopped || !isolation) return;
    let n = 0;
    for (const key of pendingKeys) {
      pendingKeys.delete(key);
      const [ns, name] = key.split('/') as [string, string];
      const p = store.get('pods', ns, name);
      if (p && ours(p)) runtime.observe(p);
      if (++n >= 16) break;
    }
    if (pendingKeys.size && !scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const observeSoon = (key: string) => {
    pendingKeys.add(key);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const ours = (p: PodObj | undefined) => p?.spec?.nodeName === config.nodeName;
  const unsub = store.subscribe('pods', (ev) => {
    if (ev.type === 'DELETED') {
      if (ours(ev.object)) runtime.removed(`${ev.namespace}/${ev.name}`, ev.object.metadata.uid!);
      return;
    }
    if (ours(ev.object)) observeSoon(`${ev.namespace}/${ev.name}`);
  });
  const objectChanged = (kind: ObjectKind) => store.subscribe(kind, (ev) => runtime.objectChanged(kind, ev.namespace, ev.name));
  // An edit of the image map: containers waiting for an image try again.
  // A map in YAML loads the YAML parser first (it is not loaded for the map tinykube made).
  const unsubImages = store.subscribe('configmaps', (ev) => {
    if (ev.namespace !== IMAGE_MAP_CONFIGMAP.namespace || ev.name !== IMAGE_MAP_CONFIGMAP.name) return;
    if (imageMapNeedsYAML(store)) void loadYAMLParser().then(() => runtime.imagesChanged());
    else runtime.imagesChanged();
  });
  const unsubObjects = [
    unsubImages,
    objectChanged('configmaps'),
    objectChanged('secrets'),
    objectChanged('serviceaccounts'),
    objectChanged('persistentvolumeclaims'),
  ];
  // Pods without cluster DNS carry the Services in /etc/hosts: rewrite them (once per burst).
  // A rewrite costs every such Pod's file: under a burst of Service writes the next one waits at
  // least ten times as long as the last took, so rewriting never takes over the event loop.
  let hostsTimer: NodeJS.Timeout | undefined;
  let hostsDelayMs = 20;
  if (!opts.clusterDNS) {
    unsubObjects.push(
      store.subscribe('services', () => {
        runtime.servicesStale();
        hostsTimer ??= setTimeout(() => {
          hostsTimer = undefined;
          const t0 = performance.now();
          runtime.servicesChanged();
          hostsDelayMs = Math.max(20, Math.min(10_000, 10 * (performance.now() - t0)));
        }, hostsDelayMs);
      }),
    );
  }
  for (const p of ctx.informers.list('pods')) if (ours(p)) pendingKeys.add(`${p.metadata.namespace}/${p.metadata.name}`);
  // Pods also wait for the tracker's cgroup probe (a shell, spawned as the isolation's).
  // (and for the YAML parser, when the image map is YAML).
  const yamlReady = imageMapNeedsYAML(store) ? loadYAMLParser() : undefined;
  const isolationKnown = Promise.all([detectIsolation(config.podIsolation), tracker.ready, yamlReady]).then(([iso]) => {
    isolation = iso;
    agentLog.info(
      { mode: iso.mode, reason: iso.reason },
      iso.mode === 'none' ? 'Pods run without a mount namespace of their own' : 'Pods get a mount namespace of their own',
    );
    if (pendingKeys.size && !scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  });
  const metrics = createMetrics({
    nodeName: config.nodeName,
    nodeLabels: () => store.get('nodes', '', config.nodeName)?.metadata.labels,
    running: () => runtime.running(),
  });
  return {
    podsDir: podsDir.dir,
    container: (key, name) => runtime.container(key, name),
    metrics,
    async stop() {
      stopped = true;
      metrics.stop();
      unsub();
      for (const u of unsubObjects) u();
      clearTimeout(hostsTimer);
      clearTimeout(imagesTimer);
      scheduler.stop();
      heartbeat.stop();
      await runtime.stop();
      // Runtime files are rebuilt at every Pod start: nothing of them outlives the cluster.
      rmSync(runDir, { recursive: true, force: true });
      if (podsDir.temporary) rmSync(podsDir.dir, { recursive: true, force: true });
    },
    // Scheduled, and every Pod change handed to the runtime (processes start on their own time).
    idle: async () => {
      for (;;) {
        await scheduler.idle();
        if (pendingKeys.size && !isolation) await isolationKnown;
        if (!scheduled && !pendingKeys.size) return;
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}
