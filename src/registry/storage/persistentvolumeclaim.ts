// PersistentVolumeClaim (core/v1), after upstream's pkg/registry/core/persistentvolumeclaim strategy
// and the admission plugins that act on claims: volumeMode defaults to Filesystem and status.phase
// to Pending; DefaultStorageClass gives a claim without storageClassName the default class
// (newest first, as storageutil.GetDefaultClass); StorageObjectInUseProtection adds the
// kubernetes.io/pvc-protection finalizer at create; PersistentVolumeClaimResize lets a bound
// claim's storage request grow only when its class allows expansion. Validation is
// ValidatePersistentVolumeClaim / ValidatePersistentVolumeClaimUpdate with upstream's texts and
// paths; the table is printPersistentVolumeClaim's.
import { admitClaimLimitRanges } from '../quota/limitrange-admission.js';
import { schemas, type PersistentVolumeClaim, type PersistentVolumeClaimSpec } from '../../api/generated/core/v1.js';
import type { StorageClass } from '../../api/generated/storage/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain, validateNamespaceName } from '../../apimachinery/validation.js';
import { compareQuantity, isNegative, parseQuantity, quantityString } from '../../apimachinery/quantity.js';
import { clone, deepEqual } from '../../apimachinery/meta.js';
import { forbidden } from '../../apimachinery/errors.js';
import { labelSelector } from '../pod/validation.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import type { WriteContext } from '../types.js';
import {
  ANN,
  PVC_PROTECTION,
  VOLUME_MODES,
  accessModesString,
  classOf,
  isDefaultClass,
  specDiff,
  storageOf,
  storageString,
  validateAccessModes,
} from './common.js';

export type PersistentVolumeClaimObj = Obj<PersistentVolumeClaim>;
type StorageClassObj = Obj<StorageClass>;

const STORAGE_CLASSES = 'storage.k8s.io/storageclasses';
const GR = { group: '', resource: 'persistentvolumeclaims' };

/** The Go field order of core.PersistentVolumeClaimSpec (for the immutability diff). */
const SPEC_FIELDS = [
  'accessModes',
  'selector',
  'resources',
  'volumeName',
  'storageClassName',
  'volumeMode',
  'dataSource',
  'dataSourceRef',
  'volumeAttributesClassName',
];

/** storageutil.GetDefaultClass: of the classes marked default, the newest (then by name). */
export function defaultStorageClass(classes: readonly StorageClassObj[]): StorageClassObj | undefined {
  const defaults = classes.filter((c) => isDefaultClass(c.metadata));
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  });
  return defaults[0];
}

/** Positive storage quantity (ValidatePositiveQuantityValue; storage is no integer resource). */
function positiveQuantity(raw: unknown, f: string): FieldError[] {
  const q = parseQuantity(raw);
  if (!q) return [];
  if (q.num <= 0n) return [fieldErr.invalid(f, quantityString(q), 'must be greater than zero')];
  return [];
}

/** validateDataSource / validateDataSourceRef. */
function dataSourceErrs(
  ds: { name?: string; kind?: string; apiGroup?: string; namespace?: string },
  f: string,
  ref: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ds.name) errs.push(fieldErr.required(`${f}.name`));
  if (!ds.kind) errs.push(fieldErr.required(`${f}.kind`));
  const group = ds.apiGroup ?? '';
  if (!group && ds.kind !== 'PersistentVolumeClaim')
    errs.push(fieldErr.invalid(f, ds.kind ?? '', "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  if (group) for (const m of isDNS1123Subdomain(group)) errs.push(fieldErr.invalid(`${f}.apiGroup`, group, m));
  if (ref && ds.namespace)
    for (const m of validateNamespaceName(ds.namespace)) errs.push(fieldErr.invalid(`${f}.namespace`, ds.namespace, m));
  return errs;
}

/** ValidatePersistentVolumeClaimSpec (also for StatefulSet volumeClaimTemplates). */
export function validatePersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec | undefined, f = 'spec'): FieldError[] {
  const s = spec ?? {};
  const modes = validateAccessModes(s.accessModes, `${f}.accessModes`, 'at least 1 access mode is required');
  // Upstream checks the selector between "at least 1 access mode" and the modes themselves.
  const required = modes[0]?.type === 'FieldValueRequired' ? modes.splice(0, 1) : [];
  const errs = [...required, ...(s.selector ? labelSelector(s.selector, `${f}.selector`) : []), ...modes];
  const req = s.resources?.requests;
  if (!req || !Object.prototype.hasOwnProperty.call(req, 'storage')) errs.push(fieldErr.required(`${f}.resources[storage]`));
  else errs.push(...positiveQuantity(req.storage, `${f}.resources[storage]`));
  if (s.storageClassName)
    for (const m of nameIsDNSSubdomain(s.storageClassName, false))
      errs.push(fieldErr.invalid(`${f}.storageClassName`, s.storageClassName, m));
  if (s.volumeMode !== undefined && s.volumeMode !== null && !VOLUME_MODES.includes(s.volumeMode))
    errs.push(fieldErr.notSupported(`${f}.volumeMode`, s.volumeMode, VOLUME_MODES));
  if (s.dataSource) errs.push(...dataSourceErrs(s.dataSource, `${f}.dataSource`, false));
  if (s.dataSourceRef) errs.push(...dataSourceErrs(s.dataSourceRef, `${f}.dataSourceRef`, true));
  if (s.dataSourceRef?.namespace) {
    if (s.dataSource) errs.push(fieldErr.invalid(f, `${f}.dataSource`, 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (s.dataSource && s.dataSourceRef) {
    const a = s.dataSource;
    const b = s.dataSourceRef;
    if ((a.apiGroup ?? null) !== (b.apiGroup ?? null) || a.kind !== b.kind || a.name !== b.name)
      errs.push(fieldErr.invalid(f, `${f}.dataSource`, 'must match dataSourceRef'));
  }
  return errs;
}

/** ValidatePersistentVolumeClaimUpdate (ObjectMeta is the generic layer's). */
function validateClaimUpdate(pvc: PersistentVolumeClaimObj, old: PersistentVolumeClaimObj): FieldError[] {
  const errs = validatePersistentVolumeClaimSpec(pvc.spec);
  const next: PersistentVolumeClaimSpec = clone(pvc.spec ?? {});
  const prev: PersistentVolumeClaimSpec = clone(old.spec ?? {});
  // The binder sets volumeName once.
  if (!prev.volumeName) {
    if (next.volumeName === undefined) delete prev.volumeName;
    else prev.volumeName = next.volumeName;
  }
  // A class may be set where none was (retroactive default class assignment).
  const oldHasAnnotation = old.metadata.annotations?.[ANN.betaStorageClass] !== undefined;
  if (!oldHasAnnotation && (prev.storageClassName === undefined || prev.storageClassName === null) && next.storageClassName)
    prev.storageClassName = next.storageClassName;
  const newAnn = pvc.metadata.annotations?.[ANN.betaStorageClass];
  const oldAnn = old.metadata.annotations?.[ANN.betaStorageClass];
  if (newAnn !== oldAnn) errs.push(fieldErr.invalid(`metadata.annotations.${ANN.betaStorageClass}`, newAnn ?? '', 'field is immutable'));
  // A bound claim's storage request may change (expansion, checked at admission).
  if (pvc.status?.phase === 'Bound' && next.resources?.requests) {
    const o = prev.resources?.requests?.storage;
    if (o === undefined) delete next.resources.requests.storage;
    else next.resources.requests.storage = o;
  }
  delete next.volumeAttributesClassName;
  delete prev.volumeAttributesClassName;
  if (!deepEqual(next, prev)) {
    errs.push(
      fieldErr.forbidden(
        'spec',
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff('core.PersistentVolumeClaimSpec', SPEC_FIELDS, prev, next)}`,
      ),
    );
  }
  const oldSize = storageOf(old.spec?.resources?.requests);
  const newSize = storageOf(pvc.spec?.resources?.requests);
  const statusSize = storageOf(old.status?.capacity);
  // RecoverVolumeExpansionFailure (beta, on in v1.32): down to the capacity the volume has.
  if (oldSize && newSize && compareQuantity(newSize, oldSize) < 0 && (!statusSize || compareQuantity(newSize, statusSize) <= 0))
    errs.push(fieldErr.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  if ((pvc.spec?.volumeMode ?? null) !== (old.spec?.volumeMode ?? null))
    errs.push(fieldErr.invalid('volumeMode', pvc.spec?.volumeMode ?? null, 'field is immutable'));
  return errs;
}

/** PersistentVolumeClaimResize admission: a larger request needs a bound claim of an expandable class. */
function admitResize(pvc: PersistentVolumeClaimObj, old: PersistentVolumeClaimObj, ctx: WriteContext): void {
  const newSize = storageOf(pvc.spec?.resources?.requests);
  const oldSize = storageOf(old.spec?.resources?.requests);
  if (!newSize || !oldSize || compareQuantity(newSize, oldSize) <= 0) return;
  if (old.status?.phase !== 'Bound') throw forbidden(GR, pvc.metadata.name ?? '', 'Only bound persistent volume claims can be expanded');
  const cls = classOf(pvc);
  const sc = cls ? (ctx.tx.get(STORAGE_CLASSES, '', cls) as StorageClassObj | undefined) : undefined;
  if (!sc?.allowVolumeExpansion)
    throw forbidden(
      GR,
      pvc.metadata.name ?? '',
      'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    );
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** SetDefaults_PersistentVolumeClaim and SetDefaults_PersistentVolumeClaimSpec (also a StatefulSet's claim templates'): Filesystem, phase Pending. */
export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  if (!isObj(pvc.spec)) pvc.spec = {};
  pvc.spec.volumeMode ??= 'Filesystem';
  if (!isObj(pvc.status)) pvc.status = {};
  if (!pvc.status.phase) pvc.status.phase = 'Pending';
}

export function claimRow(pvc: PersistentVolumeClaimObj, now: Date): unknown[] {
  const bound = !!pvc.spec?.volumeName;
  return [
    pvc.metadata.name,
    pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
    pvc.spec?.volumeName ?? '',
    bound ? storageString(pvc.status?.capacity) : '',
    bound ? accessModesString(pvc.status?.accessModes) : '',
    classOf(pvc),
    pvc.spec?.volumeAttributesClassName ?? '<unset>',
    age(pvc, now),
    pvc.spec?.volumeMode ?? '<unset>',
  ];
}

export const persistentVolumeClaimDef = defineKind<PersistentVolumeClaimObj>({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  get schema() {
    return schemas.PersistentVolumeClaim;
  },
  openapiName: 'io.k8s.api.core.v1.PersistentVolumeClaim',
  statusSubresource: true,
  defaults: (pvc) => defaultPersistentVolumeClaim(pvc),
  admit: (pvc, ctx) => admitClaimLimitRanges(pvc, ctx),
  prepareForCreate(pvc, ctx) {
    pvc.status = { phase: 'Pending' };
    // The VolumeAttributesClass feature is off in v1.32's defaults: the field is dropped.
    delete pvc.spec?.volumeAttributesClassName;
    // DefaultStorageClass admission.
    const spec = (pvc.spec ??= {});
    if (
      (spec.storageClassName === undefined || spec.storageClassName === null) &&
      pvc.metadata.annotations?.[ANN.betaStorageClass] === undefined
    ) {
      const def = defaultStorageClass(ctx.tx.list(STORAGE_CLASSES) as StorageClassObj[]);
      if (def?.metadata.name) spec.storageClassName = def.metadata.name;
    }
    // StorageObjectInUseProtection admission.
    const fin = pvc.metadata.finalizers ?? [];
    if (!fin.includes(PVC_PROTECTION)) pvc.metadata.finalizers = [...fin, PVC_PROTECTION];
  },
  prepareForUpdate(pvc, old, ctx) {
    if (!old.spec?.volumeAttributesClassName) delete pvc.spec?.volumeAttributesClassName;
    admitResize(pvc, old, ctx);
    // LimitRanger checks claim updates too (a resize), not their status writes.
    if (!ctx.subresource) admitClaimLimitRanges(pvc, ctx);
  },
  validate: (pvc) => validatePersistentVolumeClaimSpec(pvc.spec),
  validateUpdate: (pvc, old) => validateClaimUpdate(pvc, old),
  validateStatusUpdate(pvc) {
    const errs: FieldError[] = [];
    for (const [k, v] of Object.entries(pvc.status?.capacity ?? {})) {
      const q = parseQuantity(v);
      if (q && isNegative(q)) errs.push(fieldErr.invalid(`status.capacity[${k}]`, quantityString(q), 'must be greater than or equal to 0'));
    }
    return errs;
  },
  table: {
    columns: [
      nameColumn(),
      column('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      column('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      column('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      column(
        'Access Modes',
        'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1',
      ),
      column('StorageClass', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
      ageColumn(),
      column(
        'VolumeMode',
        'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.',
        1,
      ),
    ],
    row: claimRow,
  },
});
