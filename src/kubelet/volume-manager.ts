// A Pod's volumes and its own files, as the kubelet's volume manager keeps them
// (pkg/kubelet/volumemanager; makeMounts of kubelet_pods.go for a container's binds): every
// volume is set up on the host before any container starts (until then they wait in
// ContainerCreating), API-data volumes are rewritten when their ConfigMap or Secret changes and
// projected tokens before they expire, and the Pod's /etc/hosts and /etc/resolv.conf are written
// beside them. volumes.ts sets up one volume; this keeps a Pod's set of them current.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceAccountObj } from '../registry/serviceaccount.js';
import type { PersistentVolumeObj } from '../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../registry/storage/persistentvolumeclaim.js';
import { expandSubPathExpr } from './env.js';
import {
  ClaimNotReadyError,
  materializeVolume,
  prepareSubPath,
  readOnlyKind,
  type MaterializedVolume,
  type VolumeContext,
} from './volumes.js';
import {
  formatResolvConf,
  hostAliasesBlock,
  hostResolvConf,
  hostsFile,
  podResolvConf,
  serviceHostsBlock,
  wantsClusterDNS,
  type Mount,
} from './sandbox.js';
import { podHostname } from './env.js';
import { podContext, specOf, type Ctr, type RuntimeContext, type Worker } from './pod-state.js';

/** What a volume reads to set itself up: the Pod's context, service accounts, the token issuer. */
export function volumeContext(rt: Pick<RuntimeContext, 'store' | 'config' | 'hostIP' | 'issueToken'>, w: Worker): VolumeContext {
  return {
    ...podContext(rt, w),
    getServiceAccount: (n, name) => rt.store.get('serviceaccounts', n, name) as ServiceAccountObj | undefined,
    getClaim: (n, name) => rt.store.get('persistentvolumeclaims', n, name) as PersistentVolumeClaimObj | undefined,
    getVolume: (name) => rt.store.get('persistentvolumes', '', name) as PersistentVolumeObj | undefined,
    nodeName: rt.config.nodeName,
    issueToken: rt.issueToken,
  };
}

/** The FailedMount event, once per distinct failure (a retry every 2 s must not repeat it). */
export function mountFailed(rt: Pick<RuntimeContext, 'record'>, w: Worker, volume: string, e: unknown) {
  const msg =
    e instanceof ClaimNotReadyError
      ? `Unable to attach or mount volumes: unmounted volumes=[${volume}], unattached volumes=[${volume}], failed to process volumes=[${volume}]: ${e.message}`
      : `MountVolume.SetUp failed for volume "${volume}" : ${(e as Error).message}`;
  if (w.lastMountError === msg) return;
  w.lastMountError = msg;
  rt.record(w.pod, 'Warning', 'FailedMount', msg);
}

/** The next retry delay of a Pod waiting for a claim. */
const claimRetry = new WeakMap<Worker, number>();

type SetupDeps = Pick<
  RuntimeContext,
  | 'store'
  | 'config'
  | 'hostIP'
  | 'issueToken'
  | 'record'
  | 'sync'
  | 'isolation'
  | 'clusterDNS'
  | 'clusterDNSUnavailable'
  | 'services'
  | 'hostsBlocks'
>;

/**
 * Sets up every volume and writes the Pod's hosts and resolv.conf. While a volume cannot be set
 * up (a missing ConfigMap, say) the containers wait in ContainerCreating, as on a kubelet; the
 * Pod is synced again in 2 s (or when the object appears: volumesObjectChanged).
 */
export function setupVolumes(rt: SetupDeps, w: Worker): boolean {
  const ctx = volumeContext(rt, w);
  const out = new Map<string, MaterializedVolume>();
  for (const v of specOf(w.pod).volumes ?? []) {
    try {
      out.set(v.name, materializeVolume({ disk: w.dir, mem: w.run }, v, ctx));
    } catch (e) {
      // A claim is usually bound within moments (its provisioner runs in this process; upstream's
      // scheduler would not even have bound the Pod yet): look again soon, backing off to the
      // usual 2 s, and say FailedMount for an unbound claim only once that wait is over.
      const prev = claimRetry.get(w);
      const delay = e instanceof ClaimNotReadyError ? Math.min(2000, (prev ?? 100) * 2) : 2000;
      if (e instanceof ClaimNotReadyError) claimRetry.set(w, delay);
      if (!(e instanceof ClaimNotReadyError && e.message.endsWith(': PVC is not bound') && (prev ?? 0) < 2000))
        mountFailed(rt, w, v.name, e);
      clearTimeout(w.volumeTimer);
      w.volumeTimer = setTimeout(() => rt.sync(w.key), delay);
      return false;
    }
  }
  claimRetry.delete(w);
  w.lastMountError = undefined;
  w.volumes = out;
  writePodFiles(rt, w);
  scheduleRefresh(rt, w);
  const iso = rt.isolation();
  if (w.dnsFallback) {
    rt.record(
      w.pod,
      'Warning',
      'ClusterDNSUnavailable',
      iso.mode === 'none'
        ? `the cluster DNS cannot serve this Pod (${rt.clusterDNSUnavailable ?? 'it has no address on port 53'}) and the Pod has no /etc/hosts of its own: it uses the host's resolvers; Services are in its <NAME>_SERVICE_HOST variables`
        : `the cluster DNS cannot serve this Pod (${rt.clusterDNSUnavailable ?? 'it has no address on port 53'}): the cluster's Service names are in its /etc/hosts (kept current) and other names use the host's resolvers`,
    );
  }
  if (iso.mode === 'none') {
    rt.record(
      w.pod,
      'Warning',
      'MountNamespaceUnavailable',
      `tinykube cannot give this Pod a mount namespace of its own here (${iso.reason}): volumes are not at their mountPath but under ${join(w.run, 'volumes')} (emptyDir: ${join(w.dir, 'volumes')}), and /etc/hosts, /etc/resolv.conf and /var/run/secrets/kubernetes.io/serviceaccount are the host's`,
    );
  }
  return true;
}

/**
 * The Services block of /etc/hosts for Pods without cluster DNS, built once per namespace and
 * Services generation (it names every Service of the cluster: rebuilding it per Pod would cost
 * the cluster's size each time). The cache is cleared when a Service changes (runtime.ts).
 */
function hostsBlockFor(rt: Pick<RuntimeContext, 'services' | 'config' | 'hostsBlocks'>, ns: string) {
  let b = rt.hostsBlocks.get(ns);
  if (b === undefined) rt.hostsBlocks.set(ns, (b = serviceHostsBlock(rt.services.list(), ns, rt.config.clusterDomain)));
  return b;
}

/** Writes the Pod's /etc/hosts (none with host networking and no aliases) and /etc/resolv.conf under its run dir. */
export function writePodFiles(rt: Pick<RuntimeContext, 'services' | 'config' | 'hostsBlocks' | 'clusterDNS'>, w: Worker) {
  const spec = specOf(w.pod);
  const ns = w.pod.metadata.namespace ?? 'default';
  let hosts: string | undefined;
  if (!spec.hostNetwork) {
    hosts = hostsFile({
      ips: w.ips,
      hostname: podHostname(w.pod),
      domain: spec.subdomain ? `${spec.subdomain}.${ns}.svc.${rt.config.clusterDomain}` : undefined,
      aliases: spec.hostAliases,
    });
    w.dnsFallback = wantsClusterDNS(w.pod) && !rt.clusterDNS?.();
    if (w.dnsFallback) hosts += hostsBlockFor(rt, ns);
  } else if (spec.hostAliases?.length) {
    // Host networking keeps the host's file; aliases are added to a copy of it.
    let base = '';
    try {
      base = readFileSync('/etc/hosts', 'utf8');
    } catch {
      base = '';
    }
    hosts = `${base}${base.endsWith('\n') || !base ? '' : '\n'}${hostAliasesBlock(spec.hostAliases)}`;
  }
  if (hosts !== undefined) writeFileSync(join(w.run, 'etc-hosts'), hosts);
  else rmSync(join(w.run, 'etc-hosts'), { force: true });
  writeFileSync(join(w.run, 'resolv.conf'), formatResolvConf(podResolvConf(w.pod, hostResolvConf(), rt.clusterDNS?.())));
}

/** The Pod's own files, bound over the host's inside its mount namespace. */
export function podFileMounts(w: Worker): Mount[] {
  const out: Mount[] = [];
  if (existsSync(join(w.run, 'etc-hosts'))) out.push({ source: join(w.run, 'etc-hosts'), target: '/etc/hosts', readOnly: false });
  out.push({ source: join(w.run, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: false });
  return out;
}

type RefreshDeps = Pick<RuntimeContext, 'store' | 'config' | 'hostIP' | 'issueToken' | 'record'>;

/** Writes the volumes matching `which` again (a changed ConfigMap/Secret, a token due for refresh). */
export function refreshVolumes(rt: RefreshDeps, w: Worker, which: (mv: MaterializedVolume) => boolean) {
  if (!w.volumes || w.gone) return;
  const ctx = volumeContext(rt, w);
  for (const v of specOf(w.pod).volumes ?? []) {
    const mv = w.volumes.get(v.name);
    if (!mv || !which(mv)) continue;
    try {
      w.volumes.set(v.name, materializeVolume({ disk: w.dir, mem: w.run }, v, ctx));
    } catch (e) {
      // The old content stays, as on a kubelet.
      mountFailed(rt, w, v.name, e);
    }
  }
  scheduleRefresh(rt, w);
}

/** Arms the Pod's volume timer for the earliest refresh any volume asks for (projected tokens), at least 1 s away. */
export function scheduleRefresh(rt: RefreshDeps, w: Worker) {
  clearTimeout(w.volumeTimer);
  const due = Math.min(...[...(w.volumes?.values() ?? [])].map((v) => v.refreshAt ?? Infinity));
  if (!Number.isFinite(due)) return;
  w.volumeTimer = setTimeout(
    () => refreshVolumes(rt, w, (v) => (v.refreshAt ?? Infinity) <= Date.now() + 1000),
    Math.min(Math.max(due - Date.now(), 1000), 2 ** 31 - 1),
  );
  w.volumeTimer.unref();
}

/** A container's volumeMounts as host → container binds (subPath and subPathExpr resolved). */
export function containerMounts(w: Worker, c: Ctr, env: Record<string, string>): Mount[] {
  const mounts: Mount[] = [];
  const vols = specOf(w.pod).volumes ?? [];
  for (const vm of c.spec.volumeMounts ?? []) {
    const vol = vols.find((v) => v.name === vm.name);
    const mv = w.volumes?.get(vm.name);
    if (!vol || !mv) continue;
    // Throws SubPathError (CreateContainerConfigError) for a subPath that would leave the volume.
    const subPath = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, env) : vm.subPath;
    const source = subPath ? prepareSubPath(mv.path, subPath, vm.name, c.spec.name) : mv.path;
    const readOnly = !!vm.readOnly || readOnlyKind(vol) || !!vol.persistentVolumeClaim?.readOnly;
    mounts.push({ source, target: vm.mountPath, readOnly });
  }
  return mounts;
}

/**
 * A ConfigMap, Secret or ServiceAccount changed: rewrite the volumes of the namespace's Pods that
 * read it, or sync a Pod whose setup waits for it (a service account only matters to the latter:
 * its tokens are refreshed by time).
 */
/** The objects whose changes reach Pods' volumes (a claim: only Pods still waiting for it). */
export type ObjectKind = 'configmaps' | 'secrets' | 'serviceaccounts' | 'persistentvolumeclaims';

export function volumesObjectChanged(
  rt: RefreshDeps & Pick<RuntimeContext, 'workers' | 'sync'>,
  kind: ObjectKind,
  ns: string,
  name: string,
) {
  for (const w of rt.workers.values()) {
    if (w.gone || w.pod.metadata.namespace !== ns) continue;
    if (!w.volumes) {
      // A Pod waiting for its claim to be bound starts as soon as it is, not at its next retry.
      if (w.lastMountError || (kind === 'persistentvolumeclaims' && claimRetry.has(w))) rt.sync(w.key);
      continue;
    }
    if (kind === 'persistentvolumeclaims') continue;
    if (kind !== 'serviceaccounts') refreshVolumes(rt, w, (mv) => mv.refs.some((r) => r.kind === kind && r.name === name));
  }
}

/** Services changed: rewrite the /etc/hosts of Pods that carry them (in place: it is bind-mounted). */
export function rewriteServiceHosts(rt: Parameters<typeof writePodFiles>[0] & Pick<RuntimeContext, 'workers' | 'log'>) {
  for (const w of rt.workers.values()) {
    if (w.gone || !w.volumes || !w.dnsFallback) continue;
    try {
      writePodFiles(rt, w);
    } catch (err) {
      rt.log.debug({ err, pod: w.key }, 'hosts file not rewritten');
    }
  }
}
