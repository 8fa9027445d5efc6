// PersistentVolume (core/v1, cluster-scoped), after upstream's pkg/registry/core/persistentvolume
// strategy: SetDefaults_PersistentVolume (reclaim policy Retain, volumeMode Filesystem, phase
// Pending, hostPath type ""), status.lastPhaseTransitionTime set at create and whenever the phase
// changes, the kubernetes.io/pv-protection finalizer added at create (StorageObjectInUseProtection
// admission), ValidatePersistentVolume / ValidatePersistentVolumeUpdate with upstream's texts and
// paths (pkg/volume/validation's second hostPath check included), and printPersistentVolume's table.
import { schemas, type PersistentVolume, type PersistentVolumeSpec } from '../../api/generated/core/v1.js';
import { defineKind, type Obj } from '../define.js';
import { GoLiteral, fieldErr, goQuantity, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../../apimachinery/validation.js';
import { validateNodeSelector } from '../pod/validation.js';
import { parseQuantity, quantityString, quantityValue } from '../../apimachinery/quantity.js';
import { deepEqual, rfc3339 } from '../../apimachinery/meta.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { PV_PROTECTION, VOLUME_MODES, accessModesString, classOf, specDiff, storageString, validateAccessModes } from './common.js';

export type PersistentVolumeObj = Obj<PersistentVolume>;

const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

type SourceKey = keyof PersistentVolumeSpec;
type Check = (src: Record<string, unknown>, f: string) => FieldError[];

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const has = (v: unknown) => v !== undefined && v !== null;

/** Fields that must be set (`Required value`). */
const req =
  (...keys: string[]): Check =>
  (src, f) =>
    keys
      .filter((k) => !has(src[k]) || src[k] === '' || (Array.isArray(src[k]) && !(src[k] as unknown[]).length))
      .map((k) => fieldErr.required(`${f}.${k}`));

const noBacksteps = (p: string, f: string) =>
  p.replace(/\\/g, '/').split('/').includes('..') ? [fieldErr.invalid(f, p, "must not contain '..'")] : [];

/** The volume sources of a PersistentVolumeSpec in upstream's order: key, name in errors, path of nested errors, check. */
const SOURCES: [SourceKey, string, string, Check | undefined][] = [
  [
    'hostPath',
    'hostPath',
    'hostPath',
    (s, f) => {
      const p = text(s.path);
      if (!p) return [fieldErr.required(`${f}.path`)];
      const errs = noBacksteps(p, `${f}.path`);
      if (has(s.type) && !HOST_PATH_TYPES.includes(String(s.type))) errs.push(fieldErr.notSupported(`${f}.type`, s.type, HOST_PATH_TYPES));
      return errs;
    },
  ],
  ['gcePersistentDisk', 'gcePersistentDisk', 'persistentDisk', req('pdName')],
  ['awsElasticBlockStore', 'awsElasticBlockStore', 'awsElasticBlockStore', req('volumeID')],
  ['glusterfs', 'glusterfs', 'glusterfs', req('endpoints', 'path')],
  ['flocker', 'flocker', 'flocker', undefined],
  [
    'nfs',
    'nfs',
    'nfs',
    (s, f) => [
      ...req('server', 'path')(s, f),
      ...(text(s.path) && !text(s.path).startsWith('/') ? [fieldErr.invalid(`${f}.path`, text(s.path), 'must be an absolute path')] : []),
    ],
  ],
  ['rbd', 'rbd', 'rbd', req('monitors', 'image')],
  ['quobyte', 'quobyte', 'quobyte', req('registry', 'volume')],
  ['cephfs', 'cephFS', 'cephfs', req('monitors')],
  ['iscsi', 'iscsi', 'iscsi', req('targetPortal', 'iqn')],
  ['cinder', 'cinder', 'cinder', req('volumeID')],
  ['fc', 'fc', 'fc', undefined],
  ['flexVolume', 'flexVolume', 'flexVolume', req('driver')],
  ['azureFile', 'azureFile', 'azureFile', req('secretName', 'shareName')],
  ['vsphereVolume', 'vsphereVolume', 'vsphereVolume', req('volumePath')],
  ['photonPersistentDisk', 'photonPersistentDisk', 'photonPersistentDisk', req('pdID')],
  ['portworxVolume', 'portworxVolume', 'portworxVolume', req('volumeID')],
  ['azureDisk', 'azureDisk', 'azureDisk', req('diskName', 'diskURI')],
  ['scaleIO', 'scaleIO', 'scaleIO', req('gateway', 'system', 'volumeName')],
  [
    'local',
    'local',
    'local',
    (s, f) => {
      const p = text(s.path);
      return p ? noBacksteps(p, `${f}.path`) : [fieldErr.required(`${f}.path`)];
    },
  ],
  ['storageos', 'storageos', 'storageos', undefined],
  [
    'csi',
    'csi',
    'csi',
    (s, f) => {
      const errs: FieldError[] = [];
      const d = text(s.driver);
      if (!d) errs.push(fieldErr.required(`${f}.driver`));
      else {
        if (d.length > 63) errs.push(fieldErr.tooLongMaxLength(`${f}.driver`, 63));
        for (const m of isDNS1123Subdomain(d.toLowerCase())) errs.push(fieldErr.invalid(`${f}.driver`, d, m));
      }
      if (!text(s.volumeHandle)) errs.push(fieldErr.required(`${f}.volumeHandle`));
      return errs;
    },
  ],
];
export const PV_SOURCE_KEYS = SOURCES.map(([k]) => k);

/** Go's %#v of a core.ResourceList, as NotSupported prints a bad capacity. */
function resourceListLiteral(list: Record<string, unknown> | undefined): GoLiteral {
  if (!list) return new GoLiteral('core.ResourceList(nil)');
  const items = Object.keys(list)
    .sort()
    .map((k) => {
      const q = parseQuantity(list[k]);
      const body = q ? goQuantity(q).text : 'resource.Quantity{}';
      return `${JSON.stringify(k)}:${body}`;
    });
  return new GoLiteral(`core.ResourceList{${items.join(', ')}}`);
}

/** validateVolumeNodeAffinity: a required NodeSelector. */
function validateNodeAffinity(na: PersistentVolumeSpec['nodeAffinity'], f: string): FieldError[] {
  if (!na?.required) return [fieldErr.required(`${f}.required`, 'must specify required node constraints')];
  return validateNodeSelector(na.required, `${f}.required`, false);
}

/** ValidatePersistentVolumeSpec (not inline) and pkg/volume/validation's ValidatePersistentVolume. */
export function validatePersistentVolumeSpec(spec: PersistentVolumeSpec | undefined): FieldError[] {
  const s = spec ?? {};
  const f = 'spec';
  const errs = validateAccessModes(s.accessModes, `${f}.accessModes`, '');
  const cap = s.capacity ?? undefined;
  const capKeys = Object.keys(cap ?? {});
  if (!capKeys.length) errs.push(fieldErr.required(`${f}.capacity`));
  if (!cap || !Object.prototype.hasOwnProperty.call(cap, 'storage') || capKeys.length > 1)
    errs.push(fieldErr.notSupported(`${f}.capacity`, resourceListLiteral(cap), ['storage']));
  for (const k of capKeys) {
    const q = parseQuantity(cap![k]);
    if (!q) continue;
    const p = `${f}.capacity[${k}]`;
    if (quantityValue(q) < 0n) errs.push(fieldErr.invalid(p, Number(quantityValue(q)), 'must be a valid resource quantity'));
    if (q.num <= 0n) errs.push(fieldErr.invalid(p, quantityString(q), 'must be greater than zero'));
  }
  if (s.persistentVolumeReclaimPolicy && !RECLAIM_POLICIES.includes(s.persistentVolumeReclaimPolicy))
    errs.push(fieldErr.notSupported(`${f}.persistentVolumeReclaimPolicy`, s.persistentVolumeReclaimPolicy, RECLAIM_POLICIES));
  let affinity = false;
  if (s.nodeAffinity) {
    affinity = true;
    errs.push(...validateNodeAffinity(s.nodeAffinity, `${f}.nodeAffinity`));
  }
  let n = 0;
  for (const [key, name, nested, check] of SOURCES) {
    const src = s[key];
    if (!has(src)) continue;
    // upstream counts flexVolume without the "more than 1" check.
    if (n > 0 && key !== 'flexVolume') {
      errs.push(fieldErr.forbidden(`${f}.${name}`, 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    if (check) errs.push(...check(src as Record<string, unknown>, `${f}.${nested}`));
    if (key === 'local' && !affinity) errs.push(fieldErr.required(`${f}.nodeAffinity`, 'Local volume requires node affinity'));
  }
  if (n === 0) errs.push(fieldErr.required(f, 'must specify a volume type'));
  const hp = text(s.hostPath?.path);
  if (hp && hp.replace(/\/+/g, '/').replace(/(.)\/$/, '$1') === '/' && s.persistentVolumeReclaimPolicy === 'Recycle')
    errs.push(fieldErr.forbidden(`${f}.persistentVolumeReclaimPolicy`, "may not be 'recycle' for a hostPath mount of '/'"));
  if (s.storageClassName)
    for (const m of nameIsDNSSubdomain(s.storageClassName, false))
      errs.push(fieldErr.invalid(`${f}.storageClassName`, s.storageClassName, m));
  if (s.volumeMode !== undefined && s.volumeMode !== null && !VOLUME_MODES.includes(s.volumeMode))
    errs.push(fieldErr.notSupported(`${f}.volumeMode`, s.volumeMode, VOLUME_MODES));
  // pkg/volume/validation checks a hostPath's backsteps a second time.
  if (s.hostPath) errs.push(...noBacksteps(text(s.hostPath.path), `${f}.hostPath.path`));
  return errs;
}

/** The volume source of a spec (upstream's embedded PersistentVolumeSource). */
const sourceOf = (s: PersistentVolumeSpec | undefined) => {
  const out: Record<string, unknown> = {};
  for (const k of PV_SOURCE_KEYS) if (has(s?.[k])) out[k] = s![k];
  return out;
};

function validatePersistentVolumeUpdate(pv: PersistentVolumeObj, old: PersistentVolumeObj): FieldError[] {
  const errs = validatePersistentVolumeSpec(pv.spec);
  const a = sourceOf(old.spec);
  const b = sourceOf(pv.spec);
  if (!deepEqual(a, b))
    errs.push(
      fieldErr.forbidden(
        'spec.persistentvolumesource',
        `spec.persistentvolumesource is immutable after creation\n${specDiff('core.PersistentVolumeSource', PV_SOURCE_KEYS, a, b)}`,
      ),
    );
  if ((pv.spec?.volumeMode ?? null) !== (old.spec?.volumeMode ?? null))
    errs.push(fieldErr.invalid('volumeMode', pv.spec?.volumeMode ?? null, 'field is immutable'));
  if (old.spec?.nodeAffinity && !deepEqual(old.spec.nodeAffinity, pv.spec?.nodeAffinity ?? null))
    errs.push(fieldErr.invalid('nodeAffinity', new GoLiteral(JSON.stringify(pv.spec?.nodeAffinity ?? null)), 'field is immutable'));
  return errs;
}

export function volumeRow(pv: PersistentVolumeObj, now: Date): unknown[] {
  const ref = pv.spec?.claimRef;
  return [
    pv.metadata.name,
    storageString(pv.spec?.capacity),
    accessModesString(pv.spec?.accessModes),
    pv.spec?.persistentVolumeReclaimPolicy ?? '',
    pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
    ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
    classOf(pv),
    pv.spec?.volumeAttributesClassName ?? '<unset>',
    pv.status?.reason ?? '',
    age(pv, now),
    pv.spec?.volumeMode ?? '<unset>',
  ];
}

export const persistentVolumeDef = defineKind<PersistentVolumeObj>({
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  get schema() {
    return schemas.PersistentVolume;
  },
  openapiName: 'io.k8s.api.core.v1.PersistentVolume',
  statusSubresource: true,
  defaults(pv) {
    const spec = (pv.spec ??= {});
    if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = 'Retain';
    spec.volumeMode ??= 'Filesystem';
    if (spec.hostPath && typeof spec.hostPath === 'object') spec.hostPath.type ??= '';
    const st = (pv.status ??= {});
    if (!st.phase) st.phase = 'Pending';
  },
  prepareForCreate(pv, ctx) {
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: rfc3339(ctx.now) };
    // The VolumeAttributesClass feature is off in v1.32's defaults: the field is dropped.
    delete pv.spec?.volumeAttributesClassName;
    const fin = pv.metadata.finalizers ?? [];
    if (!fin.includes(PV_PROTECTION)) pv.metadata.finalizers = [...fin, PV_PROTECTION];
  },
  prepareForUpdate(pv, old, ctx) {
    if (!old.spec?.volumeAttributesClassName) delete pv.spec?.volumeAttributesClassName;
    const st = pv.status;
    if (
      st &&
      st.phase !== old.status?.phase &&
      (!st.lastPhaseTransitionTime || st.lastPhaseTransitionTime === old.status?.lastPhaseTransitionTime)
    )
      st.lastPhaseTransitionTime = rfc3339(ctx.now);
  },
  validate: (pv) => validatePersistentVolumeSpec(pv.spec),
  validateUpdate: (pv, old) => validatePersistentVolumeUpdate(pv, old),
  validateStatusUpdate: () => [],
  table: {
    columns: [
      nameColumn(),
      column(
        'Capacity',
        "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
      ),
      column(
        'Access Modes',
        'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes',
      ),
      column(
        'Reclaim Policy',
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming',
      ),
      column(
        'Status',
        'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase',
      ),
      column(
        'Claim',
        'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding',
      ),
      column('StorageClass', 'StorageClass of the pv'),
      column('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
      column(
        'Reason',
        'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
      ),
      ageColumn(),
      column(
        'VolumeMode',
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.',
        1,
      ),
    ],
    row: volumeRow,
  },
});
