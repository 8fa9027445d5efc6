// Secret (core/v1): stringData is write-only convenience merged into data (upstream's v1→internal
// conversion), type defaults to Opaque, and the well-known types need their keys
// (upstream ValidateSecret / ValidateSecretUpdate).
import { schemas, type Secret } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { isConfigMapKey, base64Size, MAX_DATA_SIZE, same } from './configmap.js';
import { validateImmutable } from '../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from './printers.js';

export type SecretObj = Obj<Secret>;

const has = (m: Record<string, string> | undefined, k: string) => !!m && Object.prototype.hasOwnProperty.call(m, k);

/** Go's encoding/json error text for the common malformed cases (best effort). */
function jsonError(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      const kind = Array.isArray(v)
        ? 'array'
        : v === null
          ? undefined
          : typeof v === 'string'
            ? 'string'
            : typeof v === 'number'
              ? 'number'
              : 'bool';
      return kind ? `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` : undefined;
    }
    return undefined;
  } catch {
    const t = text.trim();
    if (!t.length) return 'unexpected end of JSON input';
    return `invalid character '${t[0]}' looking for beginning of value`;
  }
}

function validateSecret(s: SecretObj): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(`data[${k}]`, k, m));
    total += base64Size(String(v));
  }
  if (total > MAX_DATA_SIZE) errs.push(fieldErr.tooLong('data', MAX_DATA_SIZE));
  const data = s.data;
  const decoded = (k: string) => Buffer.from(data?.[k] ?? '', 'base64');
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(fieldErr.required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(data, key)) {
        errs.push(fieldErr.required(`data[${key}]`));
        break;
      }
      const e = jsonError(decoded(key));
      if (e) errs.push(fieldErr.invalid(`data[${key}]`, '<secret contents redacted>', e));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has(data, 'username') && !has(data, 'password')) {
        errs.push(fieldErr.required('data[username]'), fieldErr.required('data[password]'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded('ssh-privatekey').length) errs.push(fieldErr.required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has(data, 'tls.crt')) errs.push(fieldErr.required('data[tls.crt]'));
      if (!has(data, 'tls.key')) errs.push(fieldErr.required('data[tls.key]'));
      break;
    default:
      break;
  }
  return errs;
}

export const secretDef = defineKind<SecretObj>({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  get schema() {
    return schemas.Secret;
  },
  openapiName: 'io.k8s.api.core.v1.Secret',
  defaults(s) {
    if (s.stringData) {
      // stringData overwrites data and is never stored or returned.
      const data = { ...(s.data ?? {}) };
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      s.data = data;
      delete s.stringData;
    }
    if (!s.type) s.type = 'Opaque';
  },
  validate: (s) => validateSecret(s),
  validateUpdate(s, old) {
    const errs = validateImmutable(s.type, old.type, 'type');
    if (old.immutable) {
      const msg = 'field is immutable when `immutable` is set';
      if (!s.immutable) errs.push(fieldErr.forbidden('immutable', msg));
      if (!same(s.data, old.data)) errs.push(fieldErr.forbidden('data', msg));
    }
    return [...errs, ...validateSecret(s)];
  },
  table: {
    columns: [
      nameColumn(),
      column(
        'Type',
        'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
      ),
      column(
        'Data',
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
      ),
      ageColumn(),
    ],
    row: (s, now) => [s.metadata.name, s.type ?? '', Object.keys(s.data ?? {}).length, age(s, now)],
  },
  fieldSelectors: {
    type: (s) => s.type,
  },
});
