// The ResourceDefs of a CRD's served versions (upstream apiextensions-apiserver
// pkg/registry/customresource: strategy.go, validator.go, status_strategy.go, and the serving
// pieces of customresource_handler.go). Custom resources go through the same generic registry as
// built-in kinds; what differs is here:
//   - decoding is unstructured: fields the schema does not declare are pruned (Strict refuses
//     them, Warn reports them) and type mismatches are the schema validation's 422, not a 400;
//   - defaults from the schema apply after pruning, before admission;
//   - validation is ObjectMeta (DNS-subdomain names), kind/apiVersion, the structural schema's
//     value validations, embedded resources, list-type invariants and the scale paths;
//   - the status subresource keeps status out of main writes and spec out of status writes;
//     generation counts every change outside metadata;
//   - all versions share one storage resource, in the storage version (conversion None rewrites
//     apiVersion only);
//   - tables print additionalPrinterColumns, field selectors take selectableFields, PUT without
//     a resourceVersion is refused and strategic merge patches are 415 (no Go structs to merge by).
import type { KubeObject } from '../../../apimachinery/types.js';
import type { Schema } from '../../../apimachinery/schema.js';
import { fieldErr, type FieldError } from '../../../apimachinery/field.js';
import { badRequest, methodNotSupported } from '../../../apimachinery/errors.js';
import { checkObject } from '../../../apimachinery/decode.js';
import { deepEqual } from '../../../apimachinery/meta.js';
import { schemas as metaSchemas } from '../../../api/generated/meta/v1.js';
import type { ResourceDef } from '../../types.js';
import { newStructural } from '../schema/structural.js';
import { prune } from '../schema/pruning.js';
import { applyDefaults, pruneNonNullableNullsWithoutDefaults } from '../schema/defaulting.js';
import { validateEmbeddedResources, validateListSetsAndMaps, validateSchemaValues } from '../schema/validate-values.js';
import { compileSchemaRulesLoaded, rulesBlockedBy } from '../../cel/index.js';
import type { CRD, CRDVersion, JSONSchemaProps } from '../crd/types.js';
import { isCRDConditionTrue } from '../crd/conditions.js';
import { schemaHas } from '../crd/validation.js';
import { customResourceTable } from './table.js';
import { pathFields, valueAt } from './paths.js';
import { WebhookConverter, type ConversionDeps } from './conversion.js';

type Obj = Record<string, unknown>;
const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

const MAX_INT32 = 2147483647;

/** What the CRD's versions share (upstream: per-version schema, subresources and columns may differ). */
interface VersionView {
  group: string;
  version: string;
  storageVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  v: CRDVersion;
  terminating: boolean;
  /** The CRD's conversion webhook client (strategy Webhook), shared by its versions. */
  converter?: WebhookConverter;
  /** Not served (the storage version of a CRD that serves others): in-process writers use it. */
  unserved?: boolean;
}

/**
 * Conversion webhook clients by CRD uid, kept across the CRD's events (its defs are rebuilt on
 * each) so their caches survive; a changed conversion configuration gets a new client.
 */
const converters = new Map<string, { config: string; converter: WebhookConverter }>();

function converterOf(crd: CRD, deps: ConversionDeps | undefined): WebhookConverter | undefined {
  const uid = crd.metadata?.uid ?? '';
  if (crd.spec?.conversion?.strategy !== 'Webhook' || !deps) {
    converters.delete(uid);
    return undefined;
  }
  const config = JSON.stringify(crd.spec.conversion);
  const had = converters.get(uid);
  if (had?.config === config) return had.converter;
  const converter = new WebhookConverter(crd, deps);
  converters.set(uid, { config, converter });
  return converter;
}

/**
 * The defs of every served version of an established CRD, in upstream's version order (none
 * before it is established); when the storage version is not served, an unserved def of it
 * follows, for in-process writers (the garbage collector, namespace deletion, the CRD's cleanup).
 */
export function customResourceDefs(crd: CRD, conversion?: ConversionDeps): ResourceDef[] {
  if (!isCRDConditionTrue(crd, 'Established')) {
    converters.delete(crd.metadata?.uid ?? '');
    return [];
  }
  const spec = crd.spec ?? {};
  const names = crd.status?.acceptedNames ?? {};
  const storage = (spec.versions ?? []).find((v) => v.storage);
  const storageVersion = storage?.name ?? '';
  const terminating = !!crd.metadata?.deletionTimestamp || isCRDConditionTrue(crd, 'Terminating');
  const converter = converterOf(crd, conversion);
  const view = (v: CRDVersion, unserved = false): VersionView => ({
    group: spec.group ?? '',
    version: v.name ?? '',
    storageVersion,
    kind: names.kind ?? '',
    listKind: names.listKind ?? '',
    plural: names.plural ?? '',
    singular: names.singular ?? '',
    namespaced: spec.scope === 'Namespaced',
    shortNames: names.shortNames,
    categories: names.categories,
    v,
    terminating,
    converter,
    unserved,
  });
  // Discovery lists versions in upstream's kube-aware order; the first is the preferred version.
  const defs = sortVersions((spec.versions ?? []).filter((v) => v.served)).map((v) => versionDef(view(v)));
  if (storage && !storage.served) defs.push(versionDef(view(storage, true)));
  return defs;
}

/** version.CompareKubeAwareVersionStrings: GA, then beta, then alpha (higher numbers first), then the rest by name. */
export function sortVersions<T extends { name?: string }>(versions: T[]): T[] {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m || m[1]!.startsWith('0')) return [3, 0, 0, v];
    const kind = m[2] === 'beta' ? 1 : m[2] === 'alpha' ? 2 : 0;
    return [kind, -Number(m[1]), -Number(m[3] ?? 0), ''];
  };
  return [...versions].sort((a, b) => {
    const x = rank(a.name ?? '');
    const y = rank(b.name ?? '');
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0;
  });
}

/** upstream's reversed-group definition name: `com.example.stable.v1.CronTab`. */
export function openapiNameOf(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function versionDef(x: VersionView): ResourceDef {
  const props: JSONSchemaProps = x.v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const structural = newStructural(props);
  const apiVersion = `${x.group}/${x.version}`;
  const storageAPIVersion = `${x.group}/${x.storageVersion}`;
  const statusEnabled = !!x.v.subresources?.status;
  const scale = x.v.subresources?.scale;
  const gr = { group: x.group, resource: x.plural };
  let schema: Schema | undefined;

  // Walks only schemas that need them ask for (each is a pass over the whole object per write).
  const walks = {
    embedded: schemaHas(props, (p) => !!p['x-kubernetes-embedded-resource']),
    listTypes: schemaHas(props, (p) => p['x-kubernetes-list-type'] === 'set' || p['x-kubernetes-list-type'] === 'map'),
    defaults: schemaHas(props, (p) => p.default !== undefined),
  };
  // The version's x-kubernetes-validations rules (the CRD's validation compiled them already).
  const rules = compileSchemaRulesLoaded(props, 'openAPIV3Schema').validator;

  /**
   * customResourceValidator.Validate and the strategy's checks after it, in upstream's order:
   * kind and apiVersion (alone when wrong), the schema's values, the scale paths (spec: the
   * spec's path too; status writes check status paths only), embedded resources, list types,
   * then the CEL rules unless a blocking schema error makes them moot. Rules failing on values
   * the update did not change are warnings (upstream's ratcheting).
   */
  const validate = (o: KubeObject, old: KubeObject | undefined, warnings: string[], spec = true): FieldError[] => {
    const typeErrs: FieldError[] = [];
    if (o.kind !== x.kind) typeErrs.push(fieldErr.invalid('kind', o.kind, `must be ${x.kind}`));
    if (o.apiVersion !== apiVersion) typeErrs.push(fieldErr.invalid('apiVersion', o.apiVersion, `must be ${apiVersion}`));
    if (typeErrs.length) return typeErrs;
    const errs = validateSchemaValues(o, structural);
    const schemaErrs = [...errs];
    if (scale) {
      if (spec) errs.push(...validateReplicas(o, scale.specReplicasPath ?? ''));
      errs.push(...validateReplicas(o, scale.statusReplicasPath ?? ''));
      if (scale.labelSelectorPath) errs.push(...validateSelector(o, scale.labelSelectorPath));
    }
    if (walks.embedded) errs.push(...validateEmbeddedResources(o, structural));
    if (walks.listTypes) errs.push(...validateListSetsAndMaps(o, structural));
    if (rules) {
      const blocked = rulesBlockedBy(schemaErrs);
      if (blocked) errs.push(blocked);
      else {
        const r = rules.validate(o, old);
        errs.push(...r.errors);
        warnings.push(...r.warnings);
      }
    }
    return errs;
  };

  const fieldSelectors: Record<string, (o: KubeObject) => string | undefined> = {};
  for (const f of x.v.selectableFields ?? []) {
    const path = f.jsonPath ?? '';
    fieldSelectors[pathFields(path).join('.')] = (o) => selectableValue(valueAt(o, path));
  }

  return {
    group: x.group,
    version: x.version,
    kind: x.kind,
    plural: x.plural,
    singular: x.singular,
    namespaced: x.namespaced,
    ...(x.shortNames?.length ? { shortNames: [...x.shortNames] } : {}),
    ...(x.categories?.length ? { categories: [...x.categories] } : {}),
    get schema() {
      return (schema ??= objectSchema(props));
    },
    openapiName: openapiNameOf(x.group, x.version, x.kind),
    statusSubresource: statusEnabled,
    ...(x.v.deprecated ? { deprecationWarning: x.v.deprecationWarning ?? `${apiVersion} ${x.kind} is deprecated` } : {}),
    ...(scale
      ? {
          scale: {
            selector: (o: KubeObject) => {
              const s = scale.labelSelectorPath ? valueAt(o, scale.labelSelectorPath) : undefined;
              return typeof s === 'string' ? s : '';
            },
            specReplicasPath: scale.specReplicasPath ?? '.spec.replicas',
            statusReplicasPath: scale.statusReplicasPath ?? '.status.replicas',
          },
        }
      : {}),
    // All versions share the storage version's objects: None conversion rewrites apiVersion, a
    // webhook converts (synchronously from its cache; the REST layer waits for what it lacks).
    storage: x.converter
      ? {
          resource: `${x.group}/${x.plural}`,
          toStorage: (o) => x.converter!.convertSync(o, storageAPIVersion),
          fromStorage: (o) => x.converter!.convertSync(o, apiVersion),
          prepare: (objs) => x.converter!.convert(objs, apiVersion),
        }
      : {
          resource: `${x.group}/${x.plural}`,
          toStorage: (o) => (o.apiVersion === storageAPIVersion ? o : { ...o, apiVersion: storageAPIVersion }),
          fromStorage: (o) => (o.apiVersion === apiVersion ? o : { ...o, apiVersion }),
        },
    ...(x.version === x.storageVersion ? { storageVersion: true } : {}),
    ...(x.unserved ? { unserved: true } : {}),
    allowUnconditionalUpdate: false,
    unsupportedPatchTypes: ['application/strategic-merge-patch+json'],
    ...(x.terminating
      ? {
          admitCreate: () => {
            throw Object.assign(methodNotSupported(gr, 'create'), {
              message: 'create not allowed while custom resource definition is terminating',
            });
          },
        }
      : {}),
    decode(o) {
      const unknown = decodeMetadata(o, x.kind, x.version);
      unknown.push(...prune(o, structural, true));
      return unknown;
    },
    defaults(o) {
      if (walks.defaults) applyDefaults(o, structural);
      pruneNonNullableNullsWithoutDefaults(o, structural);
    },
    prepareForCreate(o) {
      if (statusEnabled) delete (o as Obj).status;
      o.metadata.generation = 1;
    },
    prepareForUpdate(o, old, ctx) {
      if (ctx.subresource === 'status') return;
      if (!deepEqual(withoutMetadata(o), withoutMetadata(old))) o.metadata.generation = (old.metadata.generation ?? 0) + 1;
    },
    custom: true,
    validate: (o, ctx) => validate(o, undefined, ctx.warnings),
    validateUpdate: (o, old, ctx) => validate(o, old, ctx.warnings),
    validateStatusUpdate: (o, old, ctx) => validate(o, old, ctx.warnings, false),
    table: customResourceTable(x.v.additionalPrinterColumns),
    fieldSelectors,
  };
}

/** The metadata of an unstructured object still decodes into ObjectMeta: its unknown fields go, wrong types are a 400. */
function decodeMetadata(o: KubeObject, kind: string, version: string): string[] {
  const res = checkObject({ metadata: o.metadata }, META_WRAPPER(), kind, { prune: true, canonical: true });
  if (res.typeErrors.length) throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${res.typeErrors[0]}`);
  return res.unknownFields;
}

let metaWrapper: Schema | undefined;
const META_WRAPPER = (): Schema => (metaWrapper ??= { type: 'object', properties: { metadata: metaSchemas.ObjectMeta } });

/** The object without metadata (what a generation counts). */
function withoutMetadata(o: KubeObject): Obj {
  const { metadata: _m, ...rest } = o as Obj;
  return rest;
}

/** A selectable field's value as a field selector compares it (string, integer or boolean fields). */
function selectableValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * The def's schema for managed fields and server-side apply: the CRD's schema with typed
 * metadata (list types, map keys and the x-kubernetes extensions carry over as they are).
 */
function objectSchema(props: JSONSchemaProps): Schema {
  const root = toSchema(props) as { properties?: Record<string, Schema> } & Schema;
  return {
    ...root,
    type: 'object',
    properties: {
      ...root.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: metaSchemas.ObjectMeta,
    },
  };
}

function toSchema(p: JSONSchemaProps): Schema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'properties' && isObject(v))
      out.properties = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, toSchema(s as JSONSchemaProps)]));
    else if (k === 'items' && isObject(v)) out.items = toSchema(v as JSONSchemaProps);
    else if (k === 'additionalProperties') out.additionalProperties = isObject(v) ? toSchema(v as JSONSchemaProps) : v;
    else if (k === 'type' || k === 'format' || k === 'required' || k.startsWith('x-kubernetes-')) out[k] = v;
  }
  return out as Schema;
}

/** upstream ValidateScaleSpec / ValidateScaleStatus of one replicas path (the field is the path as written). */
function validateReplicas(o: KubeObject, path: string): FieldError[] {
  const v = valueAt(o, path);
  if (v === undefined) return [];
  if (typeof v !== 'number' || !Number.isInteger(v))
    return [fieldErr.invalid(path, 0, `${accessor(path)} accessor error: ${goValue(v)} is of the type ${goType(v)}, expected int64`)];
  if (v < 0) return [fieldErr.invalid(path, v, 'should be a non-negative integer')];
  if (v > MAX_INT32) return [fieldErr.invalid(path, v, `should be less than or equal to ${MAX_INT32}`)];
  return [];
}

/** The scale's label selector path must hold a string (NestedString). */
function validateSelector(o: KubeObject, path: string): FieldError[] {
  const v = valueAt(o, path);
  if (v === undefined || typeof v === 'string') return [];
  return [fieldErr.invalid(path, '', `${accessor(path)} accessor error: ${goValue(v)} is of the type ${goType(v)}, expected string`)];
}

/** fmt's %v of a decoded JSON value. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v !== null && typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return v === null ? '<nil>' : String(v);
}

/** unstructured's jsonPath(fields): the path with one leading dot. */
const accessor = (path: string) => `.${pathFields(path).join('.')}`;

/** The Go type unstructured values decode to, as upstream's accessor errors name them. */
function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null) return '<nil>';
  return 'map[string]interface {}';
}
