// StorageClass (storage.k8s.io/v1, cluster-scoped), after upstream's pkg/registry/storage/storageclass
// strategy: SetDefaults_StorageClass (reclaimPolicy Delete, volumeBindingMode Immediate),
// ValidateStorageClass / ValidateStorageClassUpdate (provisioner, parameters and reclaimPolicy may
// not change, volumeBindingMode is immutable) and printStorageClass's table with "(default)". Every
// cluster has the class `local-path` of the built-in provisioner (src/controllers/volume), created
// at start when missing, as k3s does with its local-path-provisioner manifest.
import { schemas, type StorageClass } from '../../api/generated/storage/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { isQualifiedName, validateImmutable } from '../../apimachinery/validation.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { StatusError } from '../../apimachinery/errors.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import type { Registry } from '../generic-store.js';
import type { ResourceDef } from '../types.js';
import { ANN, isDefaultClass } from './common.js';

export type StorageClassObj = Obj<StorageClass>;

/** The built-in provisioner's name and its class (k3s: rancher.io/local-path, class local-path). */
export const LOCAL_PATH_PROVISIONER = 'tinykube.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;

function validateStorageClass(sc: StorageClassObj): FieldError[] {
  const errs: FieldError[] = [];
  const prov = sc.provisioner ?? '';
  if (!prov) errs.push(fieldErr.required('provisioner'));
  else for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldErr.invalid('provisioner', prov.toLowerCase(), m));
  const params = sc.parameters ?? {};
  const keys = Object.keys(params);
  if (keys.length > MAX_PARAMETERS) errs.push(fieldErr.tooLong('parameters', MAX_PARAMETERS));
  else {
    let size = 0;
    for (const k of keys) {
      if (!k.length) errs.push(fieldErr.invalid('parameters', k, 'field can not be empty.'));
      size += Buffer.byteLength(k) + Buffer.byteLength(String(params[k]));
    }
    if (size > MAX_PARAMETERS_SIZE) errs.push(fieldErr.tooLong('parameters', MAX_PARAMETERS_SIZE));
  }
  if (sc.reclaimPolicy && !RECLAIM_POLICIES.includes(sc.reclaimPolicy))
    errs.push(fieldErr.notSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM_POLICIES));
  if (sc.volumeBindingMode === undefined || sc.volumeBindingMode === null) errs.push(fieldErr.required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(sc.volumeBindingMode))
    errs.push(fieldErr.notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  // validateAllowedTopologies / ValidateTopologySelectorTerm
  const seenTerms: string[] = [];
  (sc.allowedTopologies ?? []).forEach((term, i) => {
    const tf = `allowedTopologies[${i}]`;
    const exprs: Record<string, string[]> = {};
    (term.matchLabelExpressions ?? []).forEach((r, j) => {
      const p = `${tf}.matchLabelExpressions[${j}]`;
      const values = r.values ?? [];
      if (!values.length) errs.push(fieldErr.required(`${p}.values`, 'must specify as least one value'));
      const seen = new Set<string>();
      values.forEach((v, k) => {
        if (seen.has(v)) errs.push(fieldErr.duplicate(`${p}.values[${k}]`, v));
        seen.add(v);
      });
      for (const m of isQualifiedName(r.key ?? '')) errs.push(fieldErr.invalid(`${p}.key`, r.key ?? '', m));
      if (r.key !== undefined && r.key in exprs) errs.push(fieldErr.duplicate(`${p}.key`, r.key));
      exprs[r.key ?? ''] = [...seen].sort();
    });
    const canon = JSON.stringify(
      Object.keys(exprs)
        .sort()
        .map((k) => [k, exprs[k]]),
    );
    if (seenTerms.includes(canon)) errs.push(fieldErr.duplicate(`${tf}.matchLabelExpressions`, ''));
    seenTerms.push(canon);
  });
  return errs;
}

function validateStorageClassUpdate(sc: StorageClassObj, old: StorageClassObj): FieldError[] {
  const errs = validateStorageClass(sc);
  if (!deepEqual(old.parameters ?? null, sc.parameters ?? null))
    errs.push(fieldErr.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(fieldErr.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if ((sc.reclaimPolicy ?? '') !== (old.reclaimPolicy ?? ''))
    errs.push(fieldErr.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutable(sc.volumeBindingMode ?? null, old.volumeBindingMode ?? null, 'volumeBindingMode'));
  return errs;
}

export const storageClassDef = defineKind<StorageClassObj>({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  get schema() {
    return schemas.StorageClass;
  },
  openapiName: 'io.k8s.api.storage.v1.StorageClass',
  defaults(sc) {
    if (!sc.reclaimPolicy) sc.reclaimPolicy = 'Delete';
    sc.volumeBindingMode ??= 'Immediate';
  },
  validate: (sc) => validateStorageClass(sc),
  validateUpdate: (sc, old) => validateStorageClassUpdate(sc, old),
  table: {
    columns: [
      nameColumn(),
      column('Provisioner', 'provisioner indicates the type of the provisioner.'),
      column(
        'ReclaimPolicy',
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
      ),
      column(
        'VolumeBindingMode',
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
      ),
      column('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
      ageColumn(),
    ],
    row: (sc, now) => [
      isDefaultClass(sc.metadata) ? `${sc.metadata.name} (default)` : sc.metadata.name,
      sc.provisioner,
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      age(sc, now),
    ],
  },
});

/**
 * The default class `local-path` of the built-in provisioner, created when the cluster has no
 * class of that name (every start, as k3s applies its manifest): WaitForFirstConsumer, Delete.
 */
export function bootstrapStorageClass(registry: Registry, defs: readonly ResourceDef[]): void {
  const def = defs.find((d) => d.group === 'storage.k8s.io' && d.plural === 'storageclasses');
  if (!def) return;
  try {
    registry.get(def, '', LOCAL_PATH_CLASS);
    return;
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
  }
  const body: StorageClassObj = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [ANN.isDefaultClass]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  try {
    registry.create(def, '', body, { fieldManager: 'tinykube' });
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
  }
}
