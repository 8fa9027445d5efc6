// The OpenAPI v3 document of a group-version served by CustomResourceDefinitions, as upstream's
// apiextensions-apiserver makes it: pkg/controller/openapi/builder (BuildOpenAPIV3 per CRD and
// version, through kube-openapi's builder3) merged by MergeSpecsV3 in the openapiv3 controller.
//   - the kind's component, named after the reversed group (`com.example.stable.v1.CronTab`), is
//     the version's structural schema as ToKubeOpenAPI writes it (int-or-string unfolded to its
//     anyOf), with apiVersion, kind and metadata (ObjectMeta through allOf) set at the root and in every
//     x-kubernetes-embedded-resource, and `x-kubernetes-group-version-kind`; a missing or
//     non-structural schema gives `{type: object}`, so kubectl neither explains nor rejects fields;
//   - `<ListKind>` lists it; the meta components come from upstream's definitions;
//   - the paths are the routes the builder registers (list for all namespaces, list, create,
//     deletecollection, read, replace, delete, patch, and the status and scale subresources when
//     enabled) with their parameters: those every operation of a path shares at the path, sorted
//     by name, the rest on each operation. Every PATCH declares `fieldValidation` and carries the
//     kind's GVK, which is how kubectl decides that the server validates fields (and skips its
//     own validation against /openapi/v2).
// Upstream's differences from the built-in documents show here too: responses and bodies are JSON
// and YAML only, PATCH takes JSON, merge and apply patches (no strategic merge, so client-side
// kubectl apply sends a JSON merge patch) and answers 200
// only, deletecollection takes the list options and no body, and scale operations carry the
// custom resource's GVK, not autoscaling/v1 Scale's.
import { componentSchemas } from '../api/generated/schemas.js';
import '../api/generated/meta/v1.js';
import '../api/generated/autoscaling/v1.js';
import { validateStructural } from '../registry/apiextensions/crd/structural.js';
import type { CRD, CRDVersion, JSONSchemaProps } from '../registry/apiextensions/crd/types.js';
import { schemaHas } from '../registry/apiextensions/crd/validation.js';

type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const OBJECT_META = `${META}.ObjectMeta`;
const LIST_META = `${META}.ListMeta`;
const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const PATCH = `${META}.Patch`;
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
/** A reference with a description: builder3's WrapRefs moves the $ref into allOf, as a $ref may have no siblings. */
const describedRef = (description: string, name: string): Json => ({ description, allOf: [ref(name)] });

// TypeMeta's and PartialObjectMetadata(List)'s descriptions, which the builder copies.
const API_VERSION_DESC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const EMBEDDED_API_VERSION_DESC =
  'apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const EMBEDDED_KIND_DESC =
  'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const METADATA_DESC =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA_DESC =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/**
 * The document of `group`/`version`: `crds` are the established CRDs serving it (CRDs of another
 * group, or not serving the version, are skipped). Asynchronous because upstream's meta
 * definitions load on first use.
 */
export async function crdGroupVersionDocument(crds: CRD[], group: string, version: string): Promise<Json> {
  const schemas: Record<string, Json> = {};
  const paths: Record<string, Json> = {};
  let scaled = false;
  for (const crd of crds) {
    const v = crd.spec?.versions?.find((x) => x.name === version && x.served);
    if (crd.spec?.group !== group || !v) continue;
    const b = namesOf(crd, version);
    schemas[b.component] = kindSchema(v, b);
    schemas[b.listComponent] = listSchema(b);
    Object.assign(paths, crdPaths(b, !!v.subresources?.status, !!v.subresources?.scale));
    scaled ||= !!v.subresources?.scale;
  }
  Object.assign(schemas, await componentSchemas([OBJECT_META, LIST_META, STATUS, DELETE_OPTIONS, PATCH, ...(scaled ? [SCALE] : [])]));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths: sortKeys(paths),
    components: { schemas: sortKeys(schemas) },
  };
}

const sortKeys = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

interface Names {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  namespaced: boolean;
  /** `<reversed group>.<version>.<Kind>`: kube-openapi's REST-friendly name of `group/version.Kind`. */
  component: string;
  listComponent: string;
}

function namesOf(crd: CRD, version: string): Names {
  const spec = crd.spec!;
  const group = spec.group ?? '';
  const kind = spec.names?.kind ?? '';
  const listKind = spec.names?.listKind ?? `${kind}List`;
  const prefix = `${group.split('.').reverse().join('.')}.${version}`;
  return {
    group,
    version,
    kind,
    listKind,
    plural: spec.names?.plural ?? '',
    namespaced: spec.scope === 'Namespaced',
    component: `${prefix}.${kind}`,
    listComponent: `${prefix}.${listKind}`,
  };
}

// ---- the kind's schema ----

const OPENAPI_V3_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);

/** buildKubeNative: the structural schema with the object's own fields, or a bare object without one. */
function kindSchema(v: CRDVersion, b: Names): Json {
  const schema = v.schema?.openAPIV3Schema;
  const gvk = [{ group: b.group, kind: b.kind, version: b.version }];
  const usable =
    schema &&
    !schemaHas(schema, (s) => !!s.type && !OPENAPI_V3_TYPES.has(s.type)) &&
    !schemaHas(schema, (s) => Array.isArray(s.items)) &&
    validateStructural(schema, 'openAPIV3Schema').length === 0;
  if (!usable) return { type: 'object', 'x-kubernetes-group-version-kind': gvk };
  const out = toKubeOpenAPI(schema);
  const props = (out.properties ?? {}) as Record<string, Json>;
  props.metadata = describedRef(METADATA_DESC, OBJECT_META);
  props.apiVersion = { description: API_VERSION_DESC, type: 'string' };
  props.kind = { description: KIND_DESC, type: 'string' };
  out.properties = sortKeys(props);
  addEmbeddedProperties(out);
  out['x-kubernetes-group-version-kind'] = gvk;
  return out;
}

const isIntOrStringPair = (list: JSONSchemaProps[] | undefined): boolean =>
  !!list && list.length === 2 && list.every((x, i) => Object.keys(x).length === 1 && x.type === (i === 0 ? 'integer' : 'string'));

/** ToKubeOpenAPI of what NewStructural keeps of a schema (after Unfold); `nested` inside allOf/anyOf/oneOf/not. */
function toKubeOpenAPI(s: JSONSchemaProps, nested = false): Json {
  const out: Json = {};
  if (s.description) out.description = s.description;
  if (s.type) out.type = s.type;
  if (s.nullable) out.nullable = true;
  if (s.format) out.format = s.format;
  if (s.title) out.title = s.title;
  if (s.default !== undefined) out.default = s.default;
  if (s.maximum !== undefined) out.maximum = s.maximum;
  if (s.exclusiveMaximum) out.exclusiveMaximum = true;
  if (s.minimum !== undefined) out.minimum = s.minimum;
  if (s.exclusiveMinimum) out.exclusiveMinimum = true;
  if (s.maxLength !== undefined) out.maxLength = s.maxLength;
  if (s.minLength !== undefined) out.minLength = s.minLength;
  if (s.pattern) out.pattern = s.pattern;
  if (s.maxItems !== undefined) out.maxItems = s.maxItems;
  if (s.minItems !== undefined) out.minItems = s.minItems;
  if (s.uniqueItems) out.uniqueItems = true;
  if (s.multipleOf !== undefined) out.multipleOf = s.multipleOf;
  if (s.enum) out.enum = s.enum;
  if (s.maxProperties !== undefined) out.maxProperties = s.maxProperties;
  if (s.minProperties !== undefined) out.minProperties = s.minProperties;
  if (s.required?.length) out.required = s.required;
  if (s.items && !Array.isArray(s.items)) out.items = toKubeOpenAPI(s.items, nested);
  let allOf = s.allOf?.map((x) => toKubeOpenAPI(x, true));
  let anyOf = s.anyOf?.map((x) => toKubeOpenAPI(x, true));
  // Unfold: an int-or-string field states its two types as value validation, unless it already does
  if (!nested && s['x-kubernetes-int-or-string'] && !isIntOrStringPair(s.anyOf) && !isIntOrStringPair(s.allOf?.[0]?.anyOf)) {
    const pair = [{ type: 'integer' }, { type: 'string' }];
    if (!anyOf) anyOf = pair;
    else allOf = [{ anyOf: pair }, ...(allOf ?? [])];
  }
  if (allOf) out.allOf = allOf;
  if (s.oneOf) out.oneOf = s.oneOf.map((x) => toKubeOpenAPI(x, true));
  if (anyOf) out.anyOf = anyOf;
  if (s.not) out.not = toKubeOpenAPI(s.not, true);
  if (s.properties)
    out.properties = sortKeys(Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, toKubeOpenAPI(p, nested)])));
  const ap = s.additionalProperties;
  if (!nested && ap !== undefined) out.additionalProperties = typeof ap === 'boolean' ? ap : toKubeOpenAPI(ap);
  if (s['x-kubernetes-embedded-resource']) out['x-kubernetes-embedded-resource'] = true;
  if (s['x-kubernetes-int-or-string']) out['x-kubernetes-int-or-string'] = true;
  if (s['x-kubernetes-list-map-keys']?.length) out['x-kubernetes-list-map-keys'] = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type']) out['x-kubernetes-list-type'] = s['x-kubernetes-list-type'];
  if (s['x-kubernetes-map-type']) out['x-kubernetes-map-type'] = s['x-kubernetes-map-type'];
  if (s['x-kubernetes-preserve-unknown-fields']) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (s['x-kubernetes-validations']?.length) out['x-kubernetes-validations'] = s['x-kubernetes-validations'];
  return out;
}

/** addEmbeddedProperties: an embedded object gets TypeMeta and ObjectMeta, and requires kind and apiVersion. */
function addEmbeddedProperties(s: Json): void {
  for (const p of Object.values((s.properties ?? {}) as Record<string, Json>)) addEmbeddedProperties(p);
  if (s.items) addEmbeddedProperties(s.items as Json);
  if (typeof s.additionalProperties === 'object') addEmbeddedProperties(s.additionalProperties as Json);
  if (!s['x-kubernetes-embedded-resource']) return;
  const props = (s.properties ?? {}) as Record<string, Json>;
  props.apiVersion = { description: EMBEDDED_API_VERSION_DESC, type: 'string' };
  props.kind = { description: EMBEDDED_KIND_DESC, type: 'string' };
  props.metadata = describedRef(METADATA_DESC, OBJECT_META);
  s.properties = sortKeys(props);
  const required = [...((s.required as string[] | undefined) ?? [])];
  for (const r of ['kind', 'apiVersion']) if (!required.includes(r)) required.push(r);
  s.required = required;
}

/** buildListSchema. */
function listSchema(b: Names): Json {
  return {
    description: `${b.listKind} is a list of ${b.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { description: API_VERSION_DESC, type: 'string' },
      items: {
        description: `List of ${b.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        type: 'array',
        items: ref(b.component),
      },
      kind: { description: KIND_DESC, type: 'string' },
      metadata: describedRef(LIST_METADATA_DESC, LIST_META),
    },
    'x-kubernetes-group-version-kind': [{ group: b.group, kind: b.listKind, version: b.version }],
  };
}

// ---- paths ----

interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: 'string' | 'boolean' | 'integer';
}

const query = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description });

// The options' SwaggerDoc texts, which AddObjectParams makes the query parameters' descriptions.
const RESOURCE_VERSION = query(
  'resourceVersion',
  'string',
  'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
);
const DRY_RUN = query(
  'dryRun',
  'string',
  'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
);
const FIELD_MANAGER_DESC =
  'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.';
const FIELD_VALIDATION = query(
  'fieldValidation',
  'string',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
);

const LIST_OPTIONS: Param[] = [
  query('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  query('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  query(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
  ),
  query(
    'allowWatchBookmarks',
    'boolean',
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.',
  ),
  RESOURCE_VERSION,
  query(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  ),
  query(
    'timeoutSeconds',
    'integer',
    'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
  ),
  query(
    'limit',
    'integer',
    'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned.',
  ),
  query(
    'continue',
    'string',
    'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the "next key".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications.',
  ),
  query(
    'sendInitialEvents',
    'boolean',
    '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `"k8s.io/initial-events-end": "true"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as "data at least as new as the provided `resourceVersion`"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as "consistent read" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=""` or `resourceVersion="0"` (for backward compatibility reasons) and to false otherwise.',
  ),
];
const CREATE_OPTIONS: Param[] = [DRY_RUN, query('fieldManager', 'string', FIELD_MANAGER_DESC), FIELD_VALIDATION];
const PATCH_OPTIONS: Param[] = [
  DRY_RUN,
  query(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  ),
  query(
    'fieldManager',
    'string',
    `${FIELD_MANAGER_DESC} This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).`,
  ),
  FIELD_VALIDATION,
];
const DELETE_OPTIONS_PARAMS: Param[] = [
  query(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
  ),
  query(
    'orphanDependents',
    'boolean',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
  ),
  query(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
  DRY_RUN,
  query(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it',
  ),
];
const OPTIONS: Record<string, Param[]> = {
  get: [RESOURCE_VERSION],
  list: LIST_OPTIONS,
  deletecollection: LIST_OPTIONS,
  put: CREATE_OPTIONS,
  post: CREATE_OPTIONS,
  patch: PATCH_OPTIONS,
  delete: DELETE_OPTIONS_PARAMS,
};
const PRETTY = query(
  'pretty',
  'string',
  "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
);

function parameterJson(p: Param): Json {
  const out: Json = { name: p.name, in: p.in, description: p.description };
  if (p.in === 'path') out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

const byNameIn = (a: Param, b: Param) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.in < b.in ? -1 : a.in > b.in ? 1 : 0);

type Sample = 'kind' | 'list' | 'status' | 'scale';

interface Route {
  root: string;
  /** '', '/{name}', '/{name}/status', '/{name}/scale'. */
  sub: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  verb: string;
  sample: Sample;
  /** The request body's schema; DeleteOptions' is optional. */
  reads?: Sample | 'patch' | 'deleteOptions';
  operation?: string;
}

const JSON_YAML = ['application/json', 'application/yaml'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

/** endpoints.GetArticleForNoun with a space of padding. */
const article = (noun: string) => (!noun.endsWith('ss') && noun.endsWith('s') ? ' ' : /^[aeiou]/i.test(noun) ? ' an ' : ' a ');

/** openapi.ToValidOperationID: letters, underscores and non-leading digits, capitalized after what is dropped. */
function validOperationId(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  let i = 0;
  for (const ch of s) {
    if (/[\p{L}_]/u.test(ch) || (i !== 0 && /\p{Nd}/u.test(ch))) {
      out += capitalize ? ch.toUpperCase() : ch;
      capitalize = false;
    } else capitalize = true;
    i += ch.length;
  }
  return out;
}

/** The verbs kube-openapi knows operation names to start with; the shortest match wins, as its trie does. */
const VERB_PREFIXES = ['get', 'log', 'read', 'replace', 'patch', 'delete', 'watch', 'connect', 'proxy', 'list', 'create'];

/** openapi.GetOperationIDAndTags for a /apis/<group>/<version>/... route. */
function operationIdAndTag(operation: string, b: Names): { id: string; tag: string } {
  const prefix = VERB_PREFIXES.filter((p) => operation.startsWith(p)).sort((x, y) => x.length - y.length)[0]!;
  const group = b.group.endsWith('.k8s.io') ? b.group.slice(0, -'.k8s.io'.length) : b.group;
  const id =
    prefix + validOperationId(group, true) + validOperationId(b.version, true) + validOperationId(operation.slice(prefix.length), true);
  return { id, tag: `${validOperationId(group, false)}_${validOperationId(b.version, false)}` };
}

/** builder.descriptionFor. */
function descriptionFor(sub: string, verb: string, kind: string): string {
  const parts = sub.split('/');
  const subresource = parts.length === 3 ? ` ${parts[2]} of` : '';
  switch (verb) {
    case 'list':
      return `list${subresource} objects of kind ${kind}`;
    case 'read':
    case 'replace':
      return `${verb}${subresource} the specified ${kind}`;
    case 'patch':
      return `partially update${subresource} the specified ${kind}`;
    case 'create':
    case 'delete':
      return `${verb}${subresource}${article(kind)}${kind}`;
    case 'deletecollection':
      return `delete collection of${subresource ? `${subresource} a` : ''} ${kind}`;
    default:
      return `${verb}${subresource}${kind}`;
  }
}

function crdPaths(b: Names, status: boolean, scale: boolean): Record<string, Json> {
  const routes: Route[] = [];
  let root = `/apis/${b.group}/${b.version}/${b.plural}`;
  if (b.namespaced) {
    routes.push({ root, sub: '', method: 'get', action: 'list', verb: 'list', sample: 'list', operation: `list${b.kind}ForAllNamespaces` });
    root = `/apis/${b.group}/${b.version}/namespaces/{namespace}/${b.plural}`;
  }
  routes.push(
    { root, sub: '', method: 'get', action: 'list', verb: 'list', sample: 'list' },
    { root, sub: '', method: 'post', action: 'post', verb: 'create', sample: 'kind', reads: 'kind' },
    { root, sub: '', method: 'delete', action: 'deletecollection', verb: 'deletecollection', sample: 'status' },
    { root, sub: '/{name}', method: 'get', action: 'get', verb: 'read', sample: 'kind' },
    { root, sub: '/{name}', method: 'put', action: 'put', verb: 'replace', sample: 'kind', reads: 'kind' },
    { root, sub: '/{name}', method: 'delete', action: 'delete', verb: 'delete', sample: 'status', reads: 'deleteOptions' },
    { root, sub: '/{name}', method: 'patch', action: 'patch', verb: 'patch', sample: 'kind', reads: 'patch' },
  );
  if (status)
    routes.push(
      { root, sub: '/{name}/status', method: 'get', action: 'get', verb: 'read', sample: 'kind' },
      { root, sub: '/{name}/status', method: 'put', action: 'put', verb: 'replace', sample: 'kind', reads: 'kind' },
      { root, sub: '/{name}/status', method: 'patch', action: 'patch', verb: 'patch', sample: 'kind', reads: 'patch' },
    );
  if (scale)
    routes.push(
      { root, sub: '/{name}/scale', method: 'get', action: 'get', verb: 'read', sample: 'scale' },
      { root, sub: '/{name}/scale', method: 'put', action: 'put', verb: 'replace', sample: 'scale', reads: 'scale' },
      { root, sub: '/{name}/scale', method: 'patch', action: 'patch', verb: 'patch', sample: 'scale', reads: 'patch' },
    );

  const byPath = new Map<string, Route[]>();
  for (const r of routes) {
    const path = r.root + r.sub;
    byPath.set(path, [...(byPath.get(path) ?? []), r]);
  }
  const out: Record<string, Json> = {};
  for (const [path, rs] of byPath) {
    const params = rs.map((r) => routeParams(r, b));
    // kube-openapi's findCommonParameters: what every operation of the path takes moves to the path
    const key = (p: Param) => `${p.in} ${p.name}`;
    const common = params[0]!.filter((p) => params.every((ps) => ps.some((q) => key(q) === key(p))));
    const item: Json = {};
    rs.forEach((r, i) => {
      const own = params[i]!.filter((p) => !common.some((c) => key(c) === key(p))).sort(byNameIn);
      item[r.method] = operation(r, own, b);
    });
    // spec3.Path's field order: get, put, post, delete, patch, parameters
    const ordered: Json = {};
    for (const m of ['get', 'put', 'post', 'delete', 'patch']) if (item[m]) ordered[m] = item[m];
    ordered.parameters = [...common].sort(byNameIn).map(parameterJson);
    out[path] = ordered;
  }
  return out;
}

function routeParams(r: Route, b: Names): Param[] {
  const out: Param[] = [PRETTY];
  const path = r.root + r.sub;
  if (path.includes('{namespace}'))
    out.push({ name: 'namespace', in: 'path', type: 'string', description: 'object name and auth scope, such as for teams and projects' });
  if (path.includes('{name}')) out.push({ name: 'name', in: 'path', type: 'string', description: `name of the ${b.kind}` });
  return [...out, ...OPTIONS[r.action]!];
}

function sampleSchema(s: Sample | 'patch' | 'deleteOptions', b: Names): string {
  switch (s) {
    case 'kind':
      return b.component;
    case 'list':
      return b.listComponent;
    case 'status':
      return STATUS;
    case 'scale':
      return SCALE;
    case 'patch':
      return PATCH;
    case 'deleteOptions':
      return DELETE_OPTIONS;
  }
}

const content = (schemaName: string, types: string[]): Json =>
  Object.fromEntries([...types].sort().map((t) => [t, { schema: ref(schemaName) }]));

/** buildRoute's responses: 200 always, 201 and 202 for create, 201 for replace, 202 for delete, and the common 401. */
function responses(r: Route, b: Names): Json {
  const codes: [string, string][] = [['200', 'OK']];
  if (r.action === 'post') codes.push(['201', 'Created'], ['202', 'Accepted']);
  if (r.action === 'put') codes.push(['201', 'Created']);
  if (r.action === 'delete') codes.push(['202', 'Accepted']);
  const out: Json = {};
  for (const [code, text] of codes) out[code] = { description: text, content: content(sampleSchema(r.sample, b), JSON_YAML) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function operation(r: Route, params: Param[], b: Names): Json {
  const name = r.operation ?? `${r.verb}${b.namespaced ? 'Namespaced' : ''}${b.kind}${titleCase(r.sub.split('/')[2] ?? '')}`;
  const { id, tag } = operationIdAndTag(name, b);
  const op: Json = { tags: [tag], description: descriptionFor(r.sub, r.verb, b.kind), operationId: id };
  if (params.length) op.parameters = params.map(parameterJson);
  if (r.reads) {
    const body: Json = { content: content(sampleSchema(r.reads, b), r.reads === 'patch' ? PATCH_TYPES : JSON_YAML) };
    if (r.reads !== 'deleteOptions') body.required = true;
    op.requestBody = body;
  }
  op.responses = responses(r, b);
  op['x-kubernetes-action'] = r.action;
  op['x-kubernetes-group-version-kind'] = { group: b.group, version: b.version, kind: b.kind };
  return op;
}

const titleCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
