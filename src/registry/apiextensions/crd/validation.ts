// Validation of apiextensions.k8s.io/v1 CustomResourceDefinitions, after upstream's
// apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go (create and update), run
// on the defaulted v1 object. Upstream validates the internal version, into which v1 converts by
// moving per-version schemas, subresources and columns that are identical in every version to the
// top level: so a CRD whose versions share one schema reports `spec.validation.openAPIV3Schema...`,
// one with differing schemas `spec.versions[i].schema.openAPIV3Schema...`, and the conversion webhook
// is reported as `spec.conversion.webhookClientConfig`. Those paths are kept here as upstream prints
// them. Not covered: CEL compilation and cost of x-kubernetes-validations rules, validation of
// defaults against their schema (ValidateDefaults), selectableFields paths, and the caBundle PEM
// check (upstream skips it until the CRD is established with a valid bundle).
import { fieldErr, GoLiteral, type FieldError } from '../../../apimachinery/field.js';
import type { ObjectMeta } from '../../../apimachinery/types.js';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  nameIsDNSSubdomain,
  validateImmutable,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../apimachinery/validation.js';
import { isCRDConditionTrue } from './conditions.js';
import { validateOpenAPISchema } from './openapi-schema.js';
import { validateStructural } from './structural.js';
import type { ColumnDefinition, CRD, CRDNames, CRDSpec, CRDVersion, JSONSchemaProps, Subresources } from './types.js';
import { validateWebhookService, validateWebhookURL } from './webhook.js';

export const KUBE_API_APPROVED_ANNOTATION = 'api-approved.kubernetes.io';
const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];
/** Fields of the root schema that keep their meaning when status is validated as properties[status] alone. */
const ALLOWED_AT_ROOT: Record<string, string> = {
  description: 'Description',
  type: 'Type',
  format: 'Format',
  title: 'Title',
  maximum: 'Maximum',
  exclusiveMaximum: 'ExclusiveMaximum',
  minimum: 'Minimum',
  exclusiveMinimum: 'ExclusiveMinimum',
  maxLength: 'MaxLength',
  minLength: 'MinLength',
  pattern: 'Pattern',
  maxItems: 'MaxItems',
  minItems: 'MinItems',
  uniqueItems: 'UniqueItems',
  multipleOf: 'MultipleOf',
  required: 'Required',
  items: 'Items',
  properties: 'Properties',
  externalDocs: 'ExternalDocs',
  example: 'Example',
  'x-kubernetes-preserve-unknown-fields': 'XPreserveUnknownFields',
  'x-kubernetes-validations': 'XValidations',
};
const ALLOWED_AT_ROOT_TEXT = `[${Object.values(ALLOWED_AT_ROOT).join(' ')}]`;

/** A struct-valued bad value: upstream prints Go's %#v of internal types, which has no JSON equivalent; JSON stands in. */
const structValue = (v: unknown) => new GoLiteral(JSON.stringify(v ?? null));
const dns1035 = (v: string) => isDNS1035Label(v).join(',');
const deepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What v1's conversion to the internal version puts at the top level (identical in every version). */
interface Internal {
  validation?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: Subresources;
  columns?: ColumnDefinition[];
  perVersion: { schema?: { openAPIV3Schema?: JSONSchemaProps }; subresources?: Subresources; columns?: ColumnDefinition[] }[];
}

function toInternal(versions: CRDVersion[]): Internal {
  const out: Internal = {
    perVersion: versions.map((v) => ({ schema: v.schema, subresources: v.subresources, columns: v.additionalPrinterColumns })),
  };
  if (versions.length === 0) return out;
  const first = versions[0]!;
  if (versions.every((v) => deepEqual(v.schema, first.schema))) {
    out.validation = first.schema;
    for (const p of out.perVersion) delete p.schema;
  }
  if (versions.every((v) => deepEqual(v.subresources, first.subresources))) {
    out.subresources = first.subresources;
    for (const p of out.perVersion) delete p.subresources;
  }
  if (versions.every((v) => deepEqual(v.additionalPrinterColumns, first.additionalPrinterColumns))) {
    out.columns = first.additionalPrinterColumns;
    for (const p of out.perVersion) delete p.columns;
  }
  return out;
}

export interface ValidationOptions {
  /** False when the old object stored a non-structural schema: upstream does not tighten validation of persisted data. */
  requireStructuralSchema: boolean;
  /** False when the old object lacked schemas. */
  requireOpenAPISchema: boolean;
  /** True when the old object was Established: scope and kind are then immutable. */
  requireImmutableNames: boolean;
  /** False when the old object's conversionReviewVersions had none this server understands. */
  requireRecognizedConversionReviewVersion: boolean;
}

const CREATE_OPTIONS: ValidationOptions = {
  requireStructuralSchema: true,
  requireOpenAPISchema: true,
  requireImmutableNames: false,
  requireRecognizedConversionReviewVersion: true,
};

/** ValidateCustomResourceDefinition: a CRD being created (already defaulted). */
export function validateCRD(crd: CRD): FieldError[] {
  const spec = crd.spec ?? {};
  const errs = validateCRDMeta(crd);
  errs.push(...validateSpec(spec, CREATE_OPTIONS));
  errs.push(...validateNames(crd.status?.acceptedNames ?? {}, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(crd.status?.storedVersions, spec.versions ?? []));
  errs.push(...validateAPIApproval(crd));
  errs.push(...validatePreserveUnknownFields(crd));
  return errs;
}

/** ValidateCustomResourceDefinitionUpdate. */
export function validateCRDUpdate(crd: CRD, old: CRD): FieldError[] {
  const spec = crd.spec ?? {};
  const oldSpec = old.spec ?? {};
  const opts: ValidationOptions = {
    requireStructuralSchema: !specHasNonStructuralSchema(oldSpec),
    requireOpenAPISchema: allVersionsHaveSchema(oldSpec),
    requireImmutableNames: isCRDConditionTrue(old, 'Established'),
    requireRecognizedConversionReviewVersion: hasRecognizedReviewVersionOrNone(oldSpec.conversion?.webhook?.conversionReviewVersions),
  };
  const errs = validateObjectMetaUpdate(crd.metadata ?? ({} as ObjectMeta), old.metadata ?? ({} as ObjectMeta));
  errs.push(...validateSpec(spec, opts));
  if (opts.requireImmutableNames) {
    errs.push(...validateImmutable(spec.scope ?? '', oldSpec.scope ?? '', 'spec.scope'));
    errs.push(...validateImmutable(spec.names?.kind ?? '', oldSpec.names?.kind ?? '', 'spec.names.kind'));
  }
  // group and plural make up the object's name, which never changes
  errs.push(...validateImmutable(spec.group ?? '', oldSpec.group ?? '', 'spec.group'));
  errs.push(...validateImmutable(spec.names?.plural ?? '', oldSpec.names?.plural ?? '', 'spec.names.plural'));
  errs.push(...validateNames(crd.status?.acceptedNames ?? {}, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(crd.status?.storedVersions, spec.versions ?? []));
  errs.push(...validateAPIApproval(crd, old));
  errs.push(...validatePreserveUnknownFields(crd, old));
  return errs;
}

/** ValidateUpdateCustomResourceDefinitionStatus: the status subresource's update. */
export function validateCRDStatusUpdate(crd: CRD, old: CRD): FieldError[] {
  const errs = validateObjectMetaUpdate(crd.metadata ?? ({} as ObjectMeta), old.metadata ?? ({} as ObjectMeta));
  errs.push(...validateNames(crd.status?.acceptedNames ?? {}, 'status.acceptedNames'));
  return errs;
}

/** ObjectMeta with the CRD's name rule: a DNS subdomain equal to `<plural>.<group>`. */
export function validateCRDMeta(crd: CRD): FieldError[] {
  const required = `${crd.spec?.names?.plural ?? ''}.${crd.spec?.group ?? ''}`;
  return validateObjectMeta(crd.metadata ?? ({} as ObjectMeta), {
    namespaced: false,
    name: (name, prefix) => {
      const msgs = nameIsDNSSubdomain(name, prefix);
      if (name !== required) msgs.push('must be spec.names.plural+"."+spec.group');
      return msgs;
    },
  });
}

function validateSpec(spec: CRDSpec, opts: ValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  const group = spec.group ?? '';
  if (!group) errs.push(fieldErr.required('spec.group'));
  else if (isDNS1123Subdomain(group).length) errs.push(fieldErr.invalid('spec.group', group, isDNS1123Subdomain(group).join(',')));
  else if (group.split('.').length < 2) errs.push(fieldErr.invalid('spec.group', group, 'should be a domain with at least one dot'));

  const scope = spec.scope ?? '';
  if (!scope) errs.push(fieldErr.required('spec.scope'));
  else if (scope !== 'Cluster' && scope !== 'Namespaced') errs.push(fieldErr.notSupported('spec.scope', scope, ['Cluster', 'Namespaced']));

  const versions = spec.versions ?? [];
  const internal = toInternal(versions);
  const preserveUnknownFields = spec.preserveUnknownFields === true;
  const schemas = versions.map((v) => v.schema?.openAPIV3Schema);
  // pruning, defaulting and the x-kubernetes extensions all need a structural schema
  const requireStructural =
    opts.requireStructuralSchema ||
    !preserveUnknownFields ||
    schemas.some((s) => schemaHas(s, (x) => x.default !== undefined || hasKubernetesExtensions(x)));

  if (!internal.validation?.openAPIV3Schema) {
    versions.forEach((v, i) => {
      const schemaPath = `spec.versions[${i}].schema.openAPIV3Schema`;
      if (opts.requireOpenAPISchema) {
        if (!internal.perVersion[i]!.schema?.openAPIV3Schema) errs.push(fieldErr.required(schemaPath, 'schemas are required'));
      } else if (!preserveUnknownFields && v.served && !internal.perVersion[i]!.schema?.openAPIV3Schema) {
        errs.push(fieldErr.required(schemaPath, 'because otherwise all fields are pruned'));
      }
    });
  }
  if (schemas.some((s) => schemaHas(s, (x) => x.default !== undefined)) && preserveUnknownFields) {
    errs.push(fieldErr.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));
  }

  let storageCount = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const name = v.name ?? '';
    if (v.storage) storageCount++;
    if (seen.has(name)) unique = false;
    seen.add(name);
    if (isDNS1035Label(name).length) errs.push(fieldErr.invalid(`spec.versions[${i}].name`, name, dns1035(name)));
    const per = internal.perVersion[i]!;
    const subresources = internal.subresources ?? per.subresources;
    errs.push(...validateVersion(v, per, `spec.versions[${i}]`, !!subresources?.status, requireStructural));
  });
  if (!unique) errs.push(fieldErr.invalid('spec.versions', structValue(versions), 'must contain unique version names'));
  if (storageCount !== 1)
    errs.push(fieldErr.invalid('spec.versions', structValue(versions), 'must have exactly one version marked as storage version'));
  // the internal version's spec.version is versions[0].name
  const first = versions[0]?.name ?? '';
  if (first && isDNS1035Label(first).length) errs.push(fieldErr.invalid('spec.version', first, dns1035(first)));

  const names = spec.names ?? {};
  if (!names.plural) errs.push(fieldErr.required('spec.names.plural'));
  if (!names.singular) errs.push(fieldErr.required('spec.names.singular'));
  if (!names.kind) errs.push(fieldErr.required('spec.names.kind'));
  if (!names.listKind) errs.push(fieldErr.required('spec.names.listKind'));
  errs.push(...validateNames(names, 'spec.names'));

  const anyStatus = !!internal.subresources?.status || internal.perVersion.some((p) => !!p.subresources?.status);
  errs.push(...validateSchema(internal.validation, anyStatus, 'spec.validation', requireStructural));
  errs.push(...validateSubresources(internal.subresources, 'spec.subresources'));
  (internal.columns ?? []).forEach((c, i) => errs.push(...validateColumn(c, `spec.additionalPrinterColumns[${i}]`)));

  const strategy = spec.conversion?.strategy;
  if (spec.conversion && strategy !== 'None' && preserveUnknownFields) {
    errs.push(fieldErr.invalid('spec.conversion.strategy', strategy ?? '', 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(spec, opts.requireRecognizedConversionReviewVersion));
  return errs;
}

function validateVersion(
  v: CRDVersion,
  per: Internal['perVersion'][number],
  f: string,
  statusEnabled: boolean,
  requireStructural: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of deprecationWarningErrors(!!v.deprecated, v.deprecationWarning))
    errs.push(fieldErr.invalid(`${f}.deprecationWarning`, v.deprecationWarning ?? null, msg));
  errs.push(...validateSchema(per.schema, statusEnabled, `${f}.schema`, requireStructural));
  errs.push(...validateSubresources(per.subresources, `${f}.subresources`));
  (per.columns ?? []).forEach((c, i) => errs.push(...validateColumn(c, `${f}.additionalPrinterColumns[${i}]`)));
  return errs;
}

function deprecationWarningErrors(deprecated: boolean, warning: string | undefined): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const out: string[] = [];
  if (Buffer.byteLength(warning) > 256) out.push('must be <= 256 characters long');
  if (warning.length === 0) out.push('must not be an empty string');
  let i = 0;
  for (const ch of warning) {
    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space; Go
    // reports the byte offset of the first other rune
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      out.push(`must only contain printable UTF-8 characters; non-printable character found at index ${i}`);
      break;
    }
    i += Buffer.byteLength(ch);
  }
  return out;
}

/** validateCustomResourceDefinitionValidation (without CEL, default validation and the validator build). */
function validateSchema(
  v: { openAPIV3Schema?: JSONSchemaProps } | undefined,
  statusEnabled: boolean,
  f: string,
  requireStructural: boolean,
): FieldError[] {
  const schema = v?.openAPIV3Schema;
  if (!schema) return [];
  const errs: FieldError[] = [];
  const root = `${f}.openAPIV3Schema`;
  if (statusEnabled) {
    // status is validated by properties[status] alone, so the root may only hold what survives that
    for (const key of goFieldOrder(Object.keys(schema)) as (keyof JSONSchemaProps)[]) {
      if (isZero(schema[key])) continue;
      if (key === 'type') {
        if (schema.type !== 'object') {
          errs.push(
            fieldErr.invalid(
              `${root}.type`,
              schema.type ?? '',
              'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
            ),
          );
          break;
        }
        continue;
      }
      if (!(key in ALLOWED_AT_ROOT)) {
        errs.push(
          fieldErr.invalid(
            root,
            structValue(schema),
            `only ${ALLOWED_AT_ROOT_TEXT} fields are allowed at the root of the schema if the status subresource is enabled`,
          ),
        );
        break;
      }
    }
  }
  if (schema.nullable) errs.push(fieldErr.forbidden(`${root}.nullable`, 'nullable cannot be true at the root'));
  if (requireStructural) errs.push(...validateStructural(schema, root));
  errs.push(...validateOpenAPISchema(schema, root));
  return errs;
}

/** JSONSchemaProps' fields in the order of upstream's struct, which its reflection walks (the first offender is reported). */
const GO_FIELD_ORDER = [
  'id',
  '$schema',
  '$ref',
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'patternProperties',
  'dependencies',
  'additionalItems',
  'definitions',
  'externalDocs',
  'example',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
];
const goFieldOrder = (keys: string[]) => {
  const rank = (k: string) => (GO_FIELD_ORDER.includes(k) ? GO_FIELD_ORDER.indexOf(k) : GO_FIELD_ORDER.length);
  return [...keys].sort((a, b) => rank(a) - rank(b));
};

const isZero = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === false ||
  v === '' ||
  v === 0 ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && Object.keys(v).length === 0);

function simpleJSONPathErrors(s: string, f: string): FieldError[] {
  if (!s) return [fieldErr.invalid(f, s, 'must not be empty')];
  if (!s.startsWith('.')) return [fieldErr.invalid(f, s, 'must be a simple json path starting with .')];
  return [];
}

export function validateSubresources(sub: Subresources | undefined, f: string): FieldError[] {
  const scale = sub?.scale;
  if (!scale) return [];
  const errs: FieldError[] = [];
  const spec = scale.specReplicasPath ?? '';
  if (!spec) errs.push(fieldErr.required(`${f}.scale.specReplicasPath`));
  else {
    const e = simpleJSONPathErrors(spec, `${f}.scale.specReplicasPath`);
    if (e.length) errs.push(...e);
    else if (!spec.startsWith('.spec.'))
      errs.push(fieldErr.invalid(`${f}.scale.specReplicasPath`, spec, 'should be a json path under .spec'));
  }
  const status = scale.statusReplicasPath ?? '';
  if (!status) errs.push(fieldErr.required(`${f}.scale.statusReplicasPath`));
  else {
    const e = simpleJSONPathErrors(status, `${f}.scale.statusReplicasPath`);
    if (e.length) errs.push(...e);
    else if (!status.startsWith('.status.'))
      errs.push(fieldErr.invalid(`${f}.scale.statusReplicasPath`, status, 'should be a json path under .status'));
  }
  const selector = scale.labelSelectorPath ?? '';
  if (selector) {
    const e = simpleJSONPathErrors(selector, `${f}.scale.labelSelectorPath`);
    if (e.length) errs.push(...e);
    else if (!selector.startsWith('.spec.') && !selector.startsWith('.status.'))
      errs.push(fieldErr.invalid(`${f}.scale.labelSelectorPath`, selector, 'should be a json path under either .spec or .status'));
  }
  return errs;
}

/** ValidateCustomResourceColumnDefinition; the internal field is JSONPath, and upstream's path says so. */
export function validateColumn(c: ColumnDefinition, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fieldErr.required(`${f}.name`));
  const types = `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`;
  if (!c.type) errs.push(fieldErr.required(`${f}.type`, types));
  else if (!PRINTER_COLUMN_TYPES.includes(c.type)) errs.push(fieldErr.invalid(`${f}.type`, c.type, types));
  if (c.format && !PRINTER_COLUMN_FORMATS.includes(c.format))
    errs.push(fieldErr.invalid(`${f}.format`, c.format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`));
  if (!c.jsonPath) errs.push(fieldErr.required(`${f}.JSONPath`));
  else errs.push(...simpleJSONPathErrors(c.jsonPath, `${f}.JSONPath`));
  return errs;
}

/** ValidateCustomResourceDefinitionNames: spec.names and status.acceptedNames. */
export function validateNames(names: CRDNames, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const { plural = '', singular = '', kind = '', listKind = '' } = names;
  if (plural && isDNS1035Label(plural).length) errs.push(fieldErr.invalid(`${f}.plural`, plural, dns1035(plural)));
  if (singular && isDNS1035Label(singular).length) errs.push(fieldErr.invalid(`${f}.singular`, singular, dns1035(singular)));
  const mixedCase = 'may have mixed case, but should otherwise match: ';
  if (kind && isDNS1035Label(kind.toLowerCase()).length)
    errs.push(fieldErr.invalid(`${f}.kind`, kind, mixedCase + dns1035(kind.toLowerCase())));
  if (listKind && isDNS1035Label(listKind.toLowerCase()).length)
    errs.push(fieldErr.invalid(`${f}.listKind`, listKind, mixedCase + dns1035(listKind.toLowerCase())));
  (names.shortNames ?? []).forEach((s, i) => {
    if (isDNS1035Label(s).length) errs.push(fieldErr.invalid(`${f}.shortNames[${i}]`, s, dns1035(s)));
  });
  // a kind equal to its list kind would make decoding ambiguous
  if (kind && kind === listKind) errs.push(fieldErr.invalid(`${f}.listKind`, listKind, 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((c, i) => {
    if (isDNS1035Label(c).length) errs.push(fieldErr.invalid(`${f}.categories[${i}]`, c, dns1035(c)));
  });
  return errs;
}

function validateConversion(spec: CRDSpec, requireRecognized: boolean): FieldError[] {
  const conversion = spec.conversion;
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const strategy = conversion.strategy ?? '';
  if (!strategy) errs.push(fieldErr.required('spec.conversion.strategy'));
  else if (strategy !== 'None' && strategy !== 'Webhook')
    errs.push(fieldErr.notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  const cc = conversion.webhook?.clientConfig;
  const reviewVersions = conversion.webhook?.conversionReviewVersions ?? [];
  if (strategy === 'Webhook') {
    if (!cc) errs.push(fieldErr.required('spec.conversion.webhookClientConfig', 'required when strategy is set to Webhook'));
    else if ((cc.url === undefined) === (cc.service === undefined))
      errs.push(fieldErr.required('spec.conversion.webhookClientConfig', 'exactly one of url or service is required'));
    else if (cc.url !== undefined) errs.push(...validateWebhookURL('spec.conversion.webhookClientConfig.url', cc.url, true));
    else if (cc.service)
      errs.push(
        ...validateWebhookService(
          'spec.conversion.webhookClientConfig.service',
          cc.service.name ?? '',
          cc.service.namespace ?? '',
          cc.service.path,
          cc.service.port,
        ),
      );
    errs.push(...validateReviewVersions(reviewVersions, requireRecognized, 'spec.conversion.conversionReviewVersions'));
  } else {
    if (cc) errs.push(fieldErr.forbidden('spec.conversion.webhookClientConfig', 'should not be set when strategy is not set to Webhook'));
    if (reviewVersions.length)
      errs.push(fieldErr.forbidden('spec.conversion.conversionReviewVersions', 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

function validateReviewVersions(versions: string[], requireRecognized: boolean, f: string): FieldError[] {
  if (versions.length === 0) return [fieldErr.required(f)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let recognized = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldErr.invalid(`${f}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const msg of isDNS1035Label(v)) errs.push(fieldErr.invalid(`${f}[${i}]`, v, msg));
    if (CONVERSION_REVIEW_VERSIONS.includes(v)) recognized = true;
  });
  if (requireRecognized && !recognized)
    errs.push(fieldErr.invalid(f, versions, `must include at least one of ${CONVERSION_REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

const hasRecognizedReviewVersionOrNone = (versions: string[] | undefined) =>
  !versions?.length || versions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v));

/** ValidateCustomResourceDefinitionStoredVersions. */
export function validateStoredVersions(stored: string[] | undefined, versions: CRDVersion[]): FieldError[] {
  const f = 'status.storedVersions';
  if (!stored || stored.length === 0)
    return [fieldErr.invalid(f, new GoLiteral(stored ? '[]string{}' : '[]string(nil)'), 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const remaining = new Map<string, number>();
  stored.forEach((v, i) => remaining.set(v, i));
  for (const v of versions) {
    const name = v.name ?? '';
    if (v.storage && !remaining.has(name)) errs.push(fieldErr.invalid(f, stored, `must have the storage version ${name}`));
    remaining.delete(name);
  }
  // upstream walks a map here; index order keeps the message stable
  for (const [v, i] of [...remaining].sort((a, b) => a[1] - b[1])) {
    errs.push(
      fieldErr.invalid(
        `${f}[${i}]`,
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}

export function isProtectedCommunityGroup(group: string): boolean {
  return group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
}

type ApprovalState = 'Invalid' | 'Approved' | 'Bypassed' | 'Missing';

/** GetAPIApprovalState. */
export function apiApprovalState(annotations: Record<string, string> | undefined): { state: ApprovalState; reason: string } {
  const a = annotations?.[KUBE_API_APPROVED_ANNOTATION] ?? '';
  const q = JSON.stringify(KUBE_API_APPROVED_ANNOTATION);
  if (!a)
    return {
      state: 'Missing',
      reason: `protected groups must have approval annotation ${q}, see https://github.com/kubernetes/enhancements/pull/1111`,
    };
  if (a.startsWith('unapproved')) return { state: 'Bypassed', reason: `not approved: ${JSON.stringify(a)}` };
  // url.ParseRequestURI: an absolute URL with a scheme and a host
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]+)/.exec(a);
  if (m && !/\s/.test(a)) return { state: 'Approved', reason: `approved in ${a}` };
  return {
    state: 'Invalid',
    reason: `protected groups must have approval annotation ${q} with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`,
  };
}

function validateAPIApproval(crd: CRD, old?: CRD): FieldError[] {
  if (!isProtectedCommunityGroup(crd.spec?.group ?? '')) return [];
  const next = apiApprovalState(crd.metadata?.annotations);
  // an unchanged state never fails, so controllers updating only the spec keep working
  if (old && apiApprovalState(old.metadata?.annotations).state === next.state) return [];
  const f = `metadata.annotations[${KUBE_API_APPROVED_ANNOTATION}]`;
  if (next.state === 'Missing') return [fieldErr.required(f, next.reason)];
  if (next.state === 'Invalid') return [fieldErr.invalid(f, crd.metadata?.annotations?.[KUBE_API_APPROVED_ANNOTATION] ?? '', next.reason)];
  return [];
}

function validatePreserveUnknownFields(crd: CRD, old?: CRD): FieldError[] {
  // existing objects that had it keep it, for compatibility with their stored data
  if (old?.spec?.preserveUnknownFields === true) return [];
  if (crd.spec?.preserveUnknownFields === true)
    return [
      fieldErr.invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    ];
  return [];
}

/** SchemaHas: does any schema in the tree satisfy `pred`. */
export function schemaHas(s: JSONSchemaProps | undefined, pred: (s: JSONSchemaProps) => boolean): boolean {
  if (!s) return false;
  if (pred(s)) return true;
  const kids: (JSONSchemaProps | undefined)[] = [
    ...(Array.isArray(s.items) ? s.items : [s.items]),
    ...(s.allOf ?? []),
    ...(s.anyOf ?? []),
    ...(s.oneOf ?? []),
    s.not,
    ...Object.values(s.properties ?? {}),
    typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined,
    ...Object.values(s.patternProperties ?? {}),
    typeof s.additionalItems === 'object' ? s.additionalItems : undefined,
    ...Object.values(s.definitions ?? {}),
    ...Object.values(s.dependencies ?? {}).map((d) => (Array.isArray(d) ? undefined : d)),
  ];
  return kids.some((k) => schemaHas(k, pred));
}

const hasKubernetesExtensions = (s: JSONSchemaProps) =>
  s['x-kubernetes-embedded-resource'] === true ||
  s['x-kubernetes-preserve-unknown-fields'] !== undefined ||
  s['x-kubernetes-int-or-string'] === true ||
  !!s['x-kubernetes-list-map-keys']?.length ||
  s['x-kubernetes-list-type'] !== undefined ||
  !!s['x-kubernetes-validations']?.length;

function specHasNonStructuralSchema(spec: CRDSpec): boolean {
  return (spec.versions ?? []).some((v) => !!v.schema?.openAPIV3Schema && validateStructural(v.schema.openAPIV3Schema, '').length > 0);
}

function allVersionsHaveSchema(spec: CRDSpec): boolean {
  return (spec.versions ?? []).every((v) => !!v.schema?.openAPIV3Schema);
}
