// What PersistentVolumes, PersistentVolumeClaims and StorageClasses share: upstream's access modes,
// reclaim policies and volume modes with their validation (pkg/apis/core/validation), the
// annotations and finalizers of the binding protocol (pkg/controller/volume/persistentvolume,
// plugin/pkg/admission/storage), GetAccessModesAsString and the class of a volume or claim as
// upstream's helpers read them, and the short diff under "spec is immutable" errors.
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { parseQuantity, quantityString, type Quantity } from '../../apimachinery/quantity.js';
import { deepEqual } from '../../apimachinery/meta.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];

/** The annotations and finalizers of upstream's binding protocol and storage admission. */
export const ANN = {
  bindCompleted: 'pv.kubernetes.io/bind-completed',
  boundByController: 'pv.kubernetes.io/bound-by-controller',
  provisionedBy: 'pv.kubernetes.io/provisioned-by',
  selectedNode: 'volume.kubernetes.io/selected-node',
  storageProvisioner: 'volume.kubernetes.io/storage-provisioner',
  betaStorageProvisioner: 'volume.beta.kubernetes.io/storage-provisioner',
  betaStorageClass: 'volume.beta.kubernetes.io/storage-class',
  isDefaultClass: 'storageclass.kubernetes.io/is-default-class',
  betaIsDefaultClass: 'storageclass.beta.kubernetes.io/is-default-class',
} as const;
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';

/** The storage request or capacity of a resource list (undefined: none, or not a quantity). */
export const storageOf = (list: Record<string, unknown> | null | undefined): Quantity | undefined => parseQuantity(list?.storage);

/** upstream Quantity.String() of a list's storage ("0" when absent, as the zero Quantity prints). */
export const storageString = (list: Record<string, unknown> | null | undefined): string => {
  const q = storageOf(list);
  return q ? quantityString(q) : '0';
};

/**
 * accessModes of a volume or claim (ValidatePersistentVolumeSpec / ValidatePersistentVolumeClaimSpec):
 * each one supported, ReadWriteOncePod alone.
 */
export function validateAccessModes(modes: readonly unknown[] | null | undefined, f: string, requiredDetail: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = Array.isArray(modes) ? modes : [];
  if (!list.length) errs.push(fieldErr.required(f, requiredDetail));
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(String(m))) errs.push(fieldErr.notSupported(f, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(String(m))) other = true;
  }
  if (rwop && other) errs.push(fieldErr.forbidden(f, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** helper.GetAccessModesAsString: `RWO,ROX,RWX,RWOP` in this order, each once. */
export function accessModesString(modes: readonly string[] | null | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** helper.GetPersistentVolumeClass / GetPersistentVolumeClaimClass: the beta annotation wins over the field. */
export function classOf(obj: { metadata: { annotations?: Record<string, string> }; spec?: { storageClassName?: string } }): string {
  const a = obj.metadata.annotations?.[ANN.betaStorageClass];
  if (a !== undefined) return a;
  return obj.spec?.storageClassName ?? '';
}

/** storageutil.IsDefaultAnnotation. */
export const isDefaultClass = (meta: { annotations?: Record<string, string> }) =>
  meta.annotations?.[ANN.isDefaultClass] === 'true' || meta.annotations?.[ANN.betaIsDefaultClass] === 'true';

/**
 * The changed fields of two specs, one `-`/`+` pair each, in the Go struct's field order, after
 * the Go type name: the shape of the cmp.Diff upstream appends to its "is immutable" errors
 * (go-cmp's own layout is unstable by design; tinykube prints the fields that differ).
 */
export function specDiff(goType: string, fields: readonly string[], oldSpec: object, newSpec: object): string {
  const o = oldSpec as Record<string, unknown>;
  const n = newSpec as Record<string, unknown>;
  const lines = [`  ${goType}{`];
  let same = 0;
  const keys = [...fields, ...new Set([...Object.keys(o), ...Object.keys(n)].filter((k) => !fields.includes(k)))];
  for (const k of keys) {
    if (deepEqual(o[k] ?? null, n[k] ?? null)) {
      same++;
      continue;
    }
    const goName = k.charAt(0).toUpperCase() + k.slice(1);
    if (o[k] !== undefined) lines.push(`- \t${goName}: ${JSON.stringify(o[k])},`);
    if (n[k] !== undefined) lines.push(`+ \t${goName}: ${JSON.stringify(n[k])},`);
  }
  if (same) lines.push(`  \t... // ${same} identical fields`);
  lines.push('  }');
  return lines.join('\n') + '\n';
}
