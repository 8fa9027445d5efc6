// The ServiceAccount admission plugin's Pod mutation at create (upstream
// plugin/pkg/admission/serviceaccount): the Pod's ServiceAccount must exist; unless
// automountServiceAccountToken is false (on the Pod, else on the ServiceAccount), every container
// and init container that does not already mount /var/run/secrets/kubernetes.io/serviceaccount
// gets the `kube-api-access-xxxxx` projected volume there (a bound token, the cluster CA from
// ConfigMap kube-root-ca.crt, the namespace); imagePullSecrets come from the ServiceAccount when
// the Pod names none.
import type { WriteContext } from '../types.js';
import type { Container, PodSpec, ProjectedVolumeSource } from '../../api/generated/core/v1.js';
import type { PodObj } from './strategy.js';
import type { ServiceAccountObj } from '../serviceaccount.js';
import { forbidden } from '../../apimachinery/errors.js';
import { randomSuffix } from '../../apimachinery/meta.js';

export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** upstream ServiceAccountVolumeName, the prefix of the generated volume name. */
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
const DEFAULT_SERVICE_ACCOUNT = 'default';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** upstream TokenVolumeSource(): what the kubelet turns into token, ca.crt and namespace files. */
export function tokenVolumeSource(): ProjectedVolumeSource {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  };
}

export function admitPodServiceAccount(pod: PodObj, ctx: WriteContext): void {
  // Mirror pods are the kubelet's; their spec is left alone (upstream).
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  const spec = (pod.spec ??= {} as PodSpec);
  spec.serviceAccountName ||= DEFAULT_SERVICE_ACCOUNT;
  const ns = pod.metadata.namespace ?? '';
  const sa = ctx.tx?.get('serviceaccounts', ns, spec.serviceAccountName) as ServiceAccountObj | undefined;
  // Upstream refuses a Pod whose ServiceAccount does not exist, after retrying `default` for about
  // a second (its controller creates it right after the namespace). Here a missing `default` is
  // tolerated instead: our serviceaccount controller creates it on the next tick, and refusing would
  // make `kubectl create ns x && kubectl run -n x ...` racy, while a write transaction cannot wait.
  // The node agent waits for the ServiceAccount before it issues the Pod's token. A missing
  // ServiceAccount of any other name is refused with upstream's words. (Without a store, as in
  // unit tests of the kind, nothing is looked up.)
  if (!sa && ctx.tx && spec.serviceAccountName !== DEFAULT_SERVICE_ACCOUNT) {
    throw forbidden(
      { group: '', resource: 'pods' },
      pod.metadata.name ?? pod.metadata.generateName ?? '',
      `error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
    );
  }
  const automount = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
  if (automount) mountServiceAccountToken(spec);
  if (!spec.imagePullSecrets?.length && sa?.imagePullSecrets?.length) {
    spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name ?? '' }));
  }
}

function mountServiceAccountToken(spec: PodSpec): void {
  const volumes = spec.volumes ?? [];
  // A Pod that already has a kube-api-access-* volume (e.g. re-applied from `kubectl get -o yaml`)
  // keeps it: the mounts point at that volume and no second one is added.
  const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = existing?.name ?? SERVICE_ACCOUNT_VOLUME_PREFIX + randomSuffix(5);
  let needsVolume = false;
  const addMount = (c: Container) => {
    const mounts = c.volumeMounts ?? [];
    // An existing mount at the default path wins over the token volume.
    if (mounts.some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) return;
    c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
    needsVolume = true;
  };
  for (const c of spec.initContainers ?? []) addMount(c);
  for (const c of spec.containers ?? []) addMount(c);
  if (needsVolume && !existing) spec.volumes = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
}
