// ConfigMap (core/v1): upstream ValidateConfigMap / ValidateConfigMapUpdate (key format, 1 MiB
// total, `immutable`).
import { schemas, type ConfigMap } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { maxLenError, regexError } from '../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from './printers.js';

export type ConfigMapObj = Obj<ConfigMap>;

/** upstream core.MaxSecretSize, shared by ConfigMaps and Secrets. */
export const MAX_DATA_SIZE = 1024 * 1024;

/** upstream IsConfigMapKey (also Secret keys). */
export function isConfigMapKey(k: string): string[] {
  const errs: string[] = [];
  if (k.length > 253) errs.push(maxLenError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(k)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (k === '.') errs.push("must not be '.'");
  else if (k === '..') errs.push("must not be '..'");
  else if (k.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export const base64Size = (v: string) => Buffer.from(v, 'base64').length;

function validateConfigMap(cm: ConfigMapObj): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(`data[${k}]`, k, m));
    if (cm.binaryData && Object.prototype.hasOwnProperty.call(cm.binaryData, k)) {
      errs.push(fieldErr.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    }
    total += Buffer.byteLength(String(v));
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(`binaryData[${k}]`, k, m));
    total += base64Size(String(v));
  }
  if (total > MAX_DATA_SIZE) errs.push(fieldErr.tooLong('', MAX_DATA_SIZE));
  return errs;
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export const configMapDef = defineKind<ConfigMapObj>({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  get schema() {
    return schemas.ConfigMap;
  },
  openapiName: 'io.k8s.api.core.v1.ConfigMap',
  validate: (cm) => validateConfigMap(cm),
  validateUpdate(cm, old) {
    const errs: FieldError[] = [];
    if (old.immutable) {
      const msg = 'field is immutable when `immutable` is set';
      if (!cm.immutable) errs.push(fieldErr.forbidden('immutable', msg));
      if (!same(cm.data, old.data)) errs.push(fieldErr.forbidden('data', msg));
      if (!same(cm.binaryData, old.binaryData)) errs.push(fieldErr.forbidden('binaryData', msg));
    }
    return [...errs, ...validateConfigMap(cm)];
  },
  table: {
    columns: [
      nameColumn(),
      column(
        'Data',
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
      ),
      ageColumn(),
    ],
    row: (cm, now) => [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
  },
});
