// Pod volumes, materialised under the Pod's directory as the kubelet's volume plugins lay them out
// (`volumes/kubernetes.io~<plugin>/<name>`): emptyDir, hostPath, and the API-data volumes
// (configMap, secret, downwardAPI, projected) written with the atomic writer, so updates of the
// referenced objects reach running Pods without a restart; a persistentVolumeClaim is the
// directory of the PersistentVolume bound to it (hostPath or local; the Pod waits while the claim
// is not Bound). Where the host gives the Pod a mount namespace, src/kubelet/sandbox.ts binds these
// directories at their mountPath.
import { chmodSync, closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import type {
  ConfigMapVolumeSource,
  DownwardAPIVolumeFile,
  HostPathVolumeSource,
  PersistentVolumeClaimVolumeSource,
  SecretVolumeSource,
  Volume,
} from '../api/generated/core/v1.js';
import type { PersistentVolumeObj } from '../registry/storage/persistentvolume.js';
import type { PersistentVolumeClaimObj } from '../registry/storage/persistentvolumeclaim.js';
import type { ConfigMapObj } from '../registry/configmap.js';
import type { SecretObj } from '../registry/secret.js';
import type { ServiceAccountObj } from '../registry/serviceaccount.js';
import { ConfigError, fieldValue, podSpecOf, resourceValue, type EnvContext } from './env.js';
import { writeAtomic, type VolumeFile } from './atomic-writer.js';

/** A volume that cannot be set up yet (the kubelet's FailedMount); the Pod waits and retries. */
export class MountError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A persistentVolumeClaim volume whose claim cannot be used yet (missing, not Bound, its volume
 * missing): the kubelet's volume manager reports these as "Unable to attach or mount volumes".
 */
export class ClaimNotReadyError extends MountError {}

export type { Volume } from '../api/generated/core/v1.js';

/**
 * A configMap or secret source, of a volume or of a projected volume: the fields of
 * ConfigMapVolumeSource, SecretVolumeSource (secretName), ConfigMapProjection and SecretProjection.
 */
type ObjectSource = Partial<ConfigMapVolumeSource & SecretVolumeSource>;

export interface TokenIssuer {
  (req: {
    namespace: string;
    serviceAccount: { name: string; uid: string };
    pod: { name: string; uid: string };
    node?: { name: string; uid?: string };
    audiences?: string[];
    expirationSeconds: number;
  }): { token: string; expiresAt: Date };
}

export interface VolumeContext extends Pick<EnvContext, 'pod' | 'podIPs' | 'hostIP' | 'node' | 'getConfigMap' | 'getSecret'> {
  getServiceAccount(ns: string, name: string): ServiceAccountObj | undefined;
  getClaim?(ns: string, name: string): PersistentVolumeClaimObj | undefined;
  getVolume?(name: string): PersistentVolumeObj | undefined;
  nodeName: string;
  issueToken?: TokenIssuer;
}

export interface MaterializedVolume {
  /** Host path bound at the mountPath. */
  path: string;
  /** Set for volumes with a service account token: when to write it again. */
  refreshAt?: number;
  /** configMap/secret names it reads, to rewrite it when they change. */
  refs: { kind: 'configmaps' | 'secrets'; name: string }[];
}

const PLUGIN: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

export const volumeKind = (v: Volume): string | undefined =>
  (['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected'] as const).find((k) => v[k] !== undefined && v[k] !== null);

/** API-data volumes are mounted read-only whatever the mount says (kubelet since 1.9.4). */
export const readOnlyKind = (v: Volume) => ['configMap', 'secret', 'downwardAPI', 'projected'].includes(volumeKind(v) ?? '');

/** The bytes of a ConfigMap: data and binaryData. */
function configMapBytes(cm: ConfigMapObj): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** The bytes of a Secret: its data, base64-decoded. */
function secretBytes(s: SecretObj): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

const bytesOf = <T>(obj: T | undefined, bytes: (o: T) => Map<string, Buffer>) => (obj ? bytes(obj) : undefined);

/** configMap/secret sources: every key, or the listed items (a missing listed key fails unless optional). */
function objectFiles(
  vol: string,
  src: ObjectSource,
  secret: boolean,
  defaultMode: number,
  ctx: VolumeContext,
  out: Map<string, VolumeFile>,
  refs: MaterializedVolume['refs'],
): void {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  const name = (secret ? (src.secretName ?? src.name) : src.name) ?? '';
  refs.push({ kind: secret ? 'secrets' : 'configmaps', name });
  const data = secret ? bytesOf(ctx.getSecret(ns, name), secretBytes) : bytesOf(ctx.getConfigMap(ns, name), configMapBytes);
  if (!data) {
    if (src.optional) return;
    throw new MountError(vol, `${secret ? 'secret' : 'configmap'} "${name}" not found`);
  }
  if (!src.items?.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const it of src.items) {
    const v = data.get(it.key);
    if (!v) {
      if (src.optional) continue;
      throw new MountError(
        vol,
        secret ? `references non-existent secret key: ${it.key}` : `configmap references non-existent config key: ${it.key}`,
      );
    }
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
}

function downwardFiles(
  vol: string,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
  ctx: VolumeContext,
  out: Map<string, VolumeFile>,
): void {
  const spec = podSpecOf(ctx.pod);
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  for (const it of items) {
    let value: string;
    try {
      if (it.fieldRef) value = fieldValue(it.fieldRef.fieldPath, ctx);
      else if (it.resourceFieldRef) {
        const c = containers.find((x) => x.name === it.resourceFieldRef!.containerName) ?? containers[0];
        if (!c) throw new Error(`container ${it.resourceFieldRef.containerName} not found`);
        value = resourceValue(it.resourceFieldRef, c, ctx);
      } else continue;
    } catch (e) {
      throw new MountError(vol, `downward API item ${it.path}: ${(e as Error).message}`);
    }
    out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? defaultMode });
  }
}

/** The kubelet refreshes a projected token at 80% of its lifetime, or after 24 hours. */
function tokenRefreshAt(issuedMs: number, expiresMs: number): number {
  return issuedMs + Math.min((expiresMs - issuedMs) * 0.8, 24 * 3600_000);
}

/** The files of an API-data volume, or undefined for emptyDir/hostPath. */
export function volumeFiles(
  v: Volume,
  ctx: VolumeContext,
): { files: Map<string, VolumeFile>; refs: MaterializedVolume['refs']; refreshAt?: number } | undefined {
  const files = new Map<string, VolumeFile>();
  const refs: MaterializedVolume['refs'] = [];
  if (v.configMap) objectFiles(v.name, v.configMap, false, v.configMap.defaultMode ?? 0o644, ctx, files, refs);
  else if (v.secret) objectFiles(v.name, v.secret, true, v.secret.defaultMode ?? 0o644, ctx, files, refs);
  else if (v.downwardAPI) downwardFiles(v.name, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, ctx, files);
  else if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    let refreshAt: number | undefined;
    for (const s of v.projected.sources ?? []) {
      if (s.configMap) objectFiles(v.name, s.configMap, false, mode, ctx, files, refs);
      else if (s.secret) objectFiles(v.name, s.secret, true, mode, ctx, files, refs);
      else if (s.downwardAPI) downwardFiles(v.name, s.downwardAPI.items ?? [], mode, ctx, files);
      else if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        const ns = ctx.pod.metadata.namespace ?? 'default';
        const saName = podSpecOf(ctx.pod).serviceAccountName || 'default';
        if (!ctx.issueToken) throw new MountError(v.name, 'failed to fetch token: this cluster issues no service account tokens');
        const sa = ctx.getServiceAccount(ns, saName);
        if (!sa) throw new MountError(v.name, `failed to fetch token: serviceaccounts "${saName}" not found`);
        const issued = Date.now();
        const tok = ctx.issueToken({
          namespace: ns,
          serviceAccount: { name: saName, uid: sa.metadata.uid! },
          pod: { name: ctx.pod.metadata.name!, uid: ctx.pod.metadata.uid! },
          node: { name: ctx.nodeName },
          audiences: t.audience ? [t.audience] : undefined,
          expirationSeconds: t.expirationSeconds ?? 3600,
        });
        files.set(t.path, { data: Buffer.from(tok.token), mode });
        const at = tokenRefreshAt(issued, tok.expiresAt.getTime());
        refreshAt = refreshAt === undefined ? at : Math.min(refreshAt, at);
      }
    }
    return { files, refs, refreshAt };
  } else return undefined;
  return { files, refs };
}

/** upstream hostPath type checks (pkg/volume/hostpath checkType), with its messages. */
function prepareHostPath(vol: string, hp: HostPathVolumeSource): void {
  const st = (() => {
    try {
      return statSync(hp.path);
    } catch {
      return undefined;
    }
  })();
  const fail = (what: string) => {
    throw new MountError(vol, `hostPath type check failed: ${hp.path} is not ${what}`);
  };
  switch (hp.type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(hp.path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('a directory');
      return;
    case 'FileOrCreate':
      if (!st) closeSync(openSync(hp.path, 'a', 0o644));
      else if (!st.isFile()) fail('a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('a block device');
      return;
    default:
      throw new MountError(vol, `hostPath type check failed: unknown type ${hp.type}`);
  }
}

/**
 * The host directory of a claim's volume, with the kubelet's checks (desired_state_of_world_populator
 * getPVCExtractPV / getPVSpec): the claim exists, is not being deleted, is Bound, and its volume
 * exists and is bound to it. The volume's own source must be a directory on this host (hostPath,
 * checked as a hostPath volume is, or local).
 */
function claimPath(vol: string, src: PersistentVolumeClaimVolumeSource, ctx: VolumeContext): string {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  const name = src.claimName;
  const notReady = (why: string) => new ClaimNotReadyError(vol, `error processing PVC ${ns}/${name}: ${why}`);
  const claim = ctx.getClaim?.(ns, name);
  if (!claim) throw notReady(`failed to fetch PVC from API server: persistentvolumeclaims "${name}" not found`);
  if (claim.metadata.deletionTimestamp) throw notReady(`can't start pod because PVC is being deleted`);
  const pvName = claim.spec?.volumeName;
  if (claim.status?.phase !== 'Bound' || !pvName) throw notReady('PVC is not bound');
  const pv = ctx.getVolume?.(pvName);
  if (!pv) throw notReady(`failed to fetch PV ${JSON.stringify(pvName)} from API server: persistentvolumes "${pvName}" not found`);
  if (pv.spec?.claimRef?.uid !== claim.metadata.uid)
    throw notReady(
      `PV ${JSON.stringify(pvName)} is bound to a different claim (${pv.spec?.claimRef?.namespace ?? ''}/${pv.spec?.claimRef?.name ?? ''})`,
    );
  const spec = pv.spec ?? {};
  if (spec.hostPath) {
    prepareHostPath(vol, spec.hostPath);
    return spec.hostPath.path;
  }
  if (spec.local) {
    let ok = false;
    try {
      ok = statSync(spec.local.path).isDirectory() || statSync(spec.local.path).isFile();
    } catch {
      ok = false;
    }
    if (!ok) throw new MountError(vol, `path "${spec.local.path}" does not exist`);
    return spec.local.path;
  }
  throw new MountError(vol, `the volume type of PersistentVolume "${pvName}" is not supported by tinykube (supported: hostPath, local)`);
}

/**
 * Sets up one volume and returns where it lives on the host: emptyDir on the node's disk (`disk`,
 * the Pod directory under the data dir), API data and `medium: Memory` in memory (`mem`, the Pod's
 * runtime directory on a tmpfs: the kubelet keeps secrets off the disk the same way). Throws
 * MountError when a referenced object is missing; the caller reports FailedMount and retries.
 */
export function materializeVolume(dirs: { disk: string; mem: string }, v: Volume, ctx: VolumeContext): MaterializedVolume {
  // The name becomes a directory name below: API validation makes it a DNS label; anything that
  // could climb out (a `/`, `.`, `..`) is never used as a path.
  if (!v.name || v.name.includes('/') || v.name === '.' || v.name === '..')
    throw new MountError(v.name, `invalid volume name ${JSON.stringify(v.name)}`);
  if (v.hostPath) {
    prepareHostPath(v.name, v.hostPath);
    return { path: v.hostPath.path, refs: [] };
  }
  if (v.persistentVolumeClaim) return { path: claimPath(v.name, v.persistentVolumeClaim, ctx), refs: [] };
  if (v.emptyDir) {
    const path = join(v.emptyDir.medium === 'Memory' ? dirs.mem : dirs.disk, 'volumes', PLUGIN.emptyDir!, v.name);
    mkdirSync(path, { recursive: true, mode: 0o777 });
    return { path, refs: [] };
  }
  const kind = volumeKind(v);
  const r = volumeFiles(v, ctx);
  if (!r || !kind)
    throw new MountError(
      v.name,
      `volume type of "${v.name}" is not supported by tinykube (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim)`,
    );
  const path = join(dirs.mem, 'volumes', PLUGIN[kind]!, v.name);
  writeAtomic(path, r.files);
  return { path, refs: r.refs, ...(r.refreshAt ? { refreshAt: r.refreshAt } : {}) };
}

// ---- subPath: paths an API caller chooses, kept inside their volume ----

/**
 * A volumeMount the kubelet refuses when it builds the container's mounts (makeMounts): the
 * container stays Waiting with CreateContainerConfigError and this message, nothing is mounted
 * or created.
 */
export class SubPathError extends ConfigError {}

/** mount.PathWithinBase (k8s.io/mount-utils): `p` is `base` or below it (both absolute, clean). */
export function pathWithinBase(p: string, base: string): boolean {
  const rel = relative(base, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

// Directory walks that never follow a symlink: each step opens the next component relative to
// the directory already open (openat/mkdirat through /proc/self/fd), so a component swapped for
// a symlink meanwhile (a running container of the Pod shares the volume) fails instead of being
// followed. Where there is no /proc (macOS: Pods run without mounts there) plain paths are used.
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');
// O_PATH (Linux; node:fs has no constant for it): a handle on the directory that needs no read
// permission on it, as upstream's openFDFlags.
const O_PATH = PROC_FD ? 0o10000000 : constants.O_RDONLY;
const NOFOLLOW_DIR = O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY;
const at = (fd: number, path: string, name: string) => (PROC_FD ? `/proc/self/fd/${fd}/${name}` : join(path, name));
/** fchmod, which an O_PATH handle refuses: chmod through its /proc/self/fd link instead. */
const chmodFd = (fd: number, perm: number) => (PROC_FD ? chmodSync(`/proc/self/fd/${fd}`, perm) : fchmodSync(fd, perm));

/** doSafeOpen (pkg/volume/util/subpath/subpath_linux.go): opens base/segs... with no symlink on the way. */
function safeOpen(base: string, segs: string[]): { fd: number; path: string } {
  let fd = openSync(base, NOFOLLOW_DIR);
  let path = base;
  try {
    for (const seg of segs) {
      const next = openSync(at(fd, path, seg), NOFOLLOW_DIR);
      closeSync(fd);
      fd = next;
      path = join(path, seg);
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return { fd, path };
}

const segments = (rel: string) => rel.split('/').filter((s) => s !== '' && s !== '.');

/**
 * SafeMakeDir (pkg/volume/util/subpath/subpath_linux.go doSafeMakeDir): creates `rel` below the
 * real directory `base` with mode `perm`. The existing prefix may go through symlinks as long as
 * it resolves inside `base`; every directory created is made with mkdirat in its verified parent.
 */
export function safeMakeDir(base: string, rel: string, perm: number): void {
  const segs = segments(rel);
  let i = 0;
  let existing = base;
  for (; i < segs.length; i++) {
    const next = join(existing, segs[i]!);
    if (!existsSync(next)) break;
    existing = next;
  }
  if (i === segs.length) {
    if (!statSync(existing).isDirectory()) throw Object.assign(new Error(`mkdir ${existing}: not a directory`), { code: 'ENOTDIR' });
    return;
  }
  const real = realpathSync(existing);
  if (!pathWithinBase(real, base)) throw new Error(`path ${real} is outside of allowed base ${base}`);
  let { fd, path } = safeOpen(base, segments(relative(base, real)));
  try {
    for (const seg of segs.slice(i)) {
      mkdirSync(at(fd, path, seg), { mode: perm });
      const child = openSync(at(fd, path, seg), NOFOLLOW_DIR);
      closeSync(fd);
      fd = child;
      path = join(path, seg);
      // mkdir's mode went through the umask; the container must get the volume's own mode.
      chmodFd(fd, perm);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A mount point for a volume mounted inside another volume (`rel` below the outer volume's host
 * directory `base`), made without leaving it: a symlink the Pod put there that leads outside is
 * refused, so nothing is created on the host outside the volume.
 */
export function makeMountPointWithin(base: string, rel: string, file: boolean): void {
  const realBase = realpathSync(base);
  const dir = file ? dirname(rel) : rel;
  safeMakeDir(realBase, dir === '.' ? '' : dir, 0o755);
  // SafeMakeDir accepts a directory that already exists wherever it leads; a mount point must not.
  const real = realpathSync(join(realBase, dir));
  if (!pathWithinBase(real, realBase)) throw new Error(`path ${real} is outside of allowed base ${realBase}`);
  if (!file) return;
  const { fd, path } = safeOpen(realBase, segments(relative(realBase, real)));
  try {
    const p = at(fd, path, basename(rel));
    let st;
    try {
      st = lstatSync(p);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) throw new Error(`unexpected symlink found ${join(path, basename(rel))}`);
    if (!st) closeSync(openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644));
  } finally {
    closeSync(fd);
  }
}

/**
 * The host path to bind for a volumeMount with subPath/subPathExpr, with the kubelet's checks and
 * messages (pkg/kubelet/kubelet_pods.go makeMounts): an absolute subPath or one with a `..`
 * element is refused (API validation refuses them in subPath and in the unexpanded subPathExpr,
 * but an expanded subPathExpr is only known here); a missing subPath is created as a directory
 * inside the volume (SafeMakeDir); and the result, symlinks resolved, must still lie inside the
 * volume (PrepareSafeSubpath): a symlink in the volume that leads out of it is not followed.
 */
export function prepareSubPath(volumePath: string, subPath: string, mountName: string, containerName: string): string {
  if (isAbsolute(subPath)) throw new SubPathError(`error SubPath \`${subPath}\` must not be an absolute path`);
  // volumevalidation.ValidatePathNoBacksteps
  if (subPath.split('/').includes('..')) throw new SubPathError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const full = join(volumePath, subPath);
  // The kubelet does not pass the details on: they would tell the Pod about the host's files.
  const createFailed = new SubPathError(
    `failed to create subPath directory for volumeMount "${mountName}" of container "${containerName}"`,
  );
  const prepareFailed = new SubPathError(`failed to prepare subPath for volumeMount "${mountName}" of container "${containerName}"`);
  let base: string;
  try {
    base = realpathSync(volumePath);
  } catch {
    throw createFailed;
  }
  if (!existsSync(full)) {
    try {
      safeMakeDir(base, subPath, statSync(base).mode & 0o7777);
    } catch {
      throw createFailed;
    }
  }
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw prepareFailed;
  }
  if (!pathWithinBase(real, base)) throw prepareFailed;
  try {
    // Every component of the resolved path is a real directory (the last one may be any file)
    // inside the volume, none a symlink (doSafeOpen's walk, then its S_IFLNK check).
    const segs = segments(relative(base, real));
    const { fd, path } = safeOpen(base, segs.slice(0, -1));
    try {
      if (segs.length && lstatSync(at(fd, path, segs[segs.length - 1]!)).isSymbolicLink()) throw new Error('unexpected symlink');
    } finally {
      closeSync(fd);
    }
  } catch {
    throw prepareFailed;
  }
  return real;
}
