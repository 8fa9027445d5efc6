// OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<group-version>), generated from the same
// per-kind schemas the server validates with, shaped like upstream's where kubectl reads them:
//   - kubectl's QueryParamVerifierV3 decides on server-side field validation by finding a PATCH
//     operation whose `x-kubernetes-group-version-kind` is the kind and that declares the
//     `fieldValidation` query parameter (every PATCH here declares it, status ones too);
//   - `kubectl explain` finds the component carrying the kind in `x-kubernetes-group-version-kind`
//     and names field types after referenced components (<[]ServicePort>, <ObjectMeta>);
//   - kubectl apply reads x-kubernetes-patch-merge-key/strategy through `allOf: [{$ref}]`.
// Schemas with `x-tinykube-name` become components; single references are `allOf: [{$ref}]` like
// upstream v3 (plain `$ref` inside additionalProperties). All `x-tinykube-*` keys are stripped.
// Everything is built once, at startup, into strings with upstream's ETag-style hash
// (uppercase hex SHA-512 of the document).
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../registry/types.js';
import { verbsOf } from './rest.js';

type Json = Record<string, unknown>;

export interface OpenAPIDoc {
  body: string;
  hash: string;
}

export interface OpenAPIDocs {
  /** The /openapi/v3 discovery document. */
  index: { paths: Record<string, { serverRelativeURL: string }> };
  /** Keyed by the path after /openapi/v3/: 'api/v1', 'apis/discovery.k8s.io/v1', ... */
  docs: Map<string, OpenAPIDoc>;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

export function buildOpenAPI(defs: ResourceDef[]): OpenAPIDocs {
  const byGV = new Map<string, ResourceDef[]>();
  for (const d of defs) {
    const key = gvPath(d);
    const list = byGV.get(key);
    if (list) list.push(d);
    else byGV.set(key, [d]);
  }
  const docs = new Map<string, OpenAPIDoc>();
  const paths: OpenAPIDocs['index']['paths'] = {};
  for (const [key, ds] of byGV) {
    const body = JSON.stringify(gvDocument(ds));
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    docs.set(key, { body, hash });
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index: { paths }, docs };
}

function gvPath(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

// ---- schemas ----

/** Components of one document, filled as schemas are converted. */
type Components = Record<string, Json>;

const typeDescription = (s: Json): unknown => s['x-tinykube-type-description'] ?? s.description;

const SCALAR_TYPES: Record<string, Json> = {
  [INT_OR_STRING]: {
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  },
  [QUANTITY]: {
    description:
      'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [`${META}.Time`]: {
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.MicroTime`]: {
    description: 'MicroTime is version of Time with microsecond level precision.',
    type: 'string',
    format: 'date-time',
  },
};

/** The component body of a named schema (the schema itself, minus our keys). */
function component(name: string, s: Json, comps: Components): Json {
  // Types with their own JSON form are described as upstream's v3 documents do (the schemas
  // carry the description of the field they were made for, not the type's).
  const fixed = SCALAR_TYPES[name];
  if (fixed) return { ...fixed };
  const description = typeDescription(s);
  const out = body(s, comps);
  if (description !== undefined) out.description = description;
  else delete out.description;
  return out;
}

/** Copies a schema's keywords, converting nested schemas; our private keys are dropped. */
function body(s: Json, comps: Components): Json {
  const out: Json = {};
  for (const k in s) {
    if (k.startsWith('x-tinykube-')) continue;
    const v = s[k];
    if (k === 'properties') {
      const props: Json = {};
      for (const pk in v as Json) props[pk] = useSite((v as Record<string, Json>)[pk]!, comps, 'property');
      out.properties = props;
    } else if (k === 'items') out.items = useSite(v as Json, comps, 'item');
    else if (k === 'additionalProperties' && typeof v === 'object' && v !== null)
      out.additionalProperties = useSite(v as Json, comps, 'map');
    else out[k] = v;
  }
  return out;
}

/** Registers a named schema as a component (once per document) and returns its name. */
function hoist(s: Json, comps: Components): string {
  const name = s['x-tinykube-name'] as string;
  if (!(name in comps)) {
    comps[name] = {}; // reserve first so recursive types terminate
    comps[name] = component(name, s, comps);
  }
  return name;
}

/**
 * A schema where it is used: named types become references. Properties and list items wrap
 * them in `allOf` with upstream's `default: {}` for objects; map values use a plain `$ref`.
 */
function useSite(s: Json, comps: Components, where: 'property' | 'item' | 'map'): Json {
  const name = s['x-tinykube-name'] as string | undefined;
  if (!name) return body(s, comps);
  hoist(s, comps);
  if (where === 'map') return ref(name);
  const out: Json = { allOf: [ref(name)] };
  if (s.type === 'object') out.default = {};
  // Only a field's own text belongs here; the type's text lives on the component. Named objects
  // carry the type's text unless a use site replaced it (Field); named scalars (IntOrString,
  // Quantity, Time) always carry the field's.
  const own = s['x-tinykube-type-description'] !== undefined || s.type !== 'object';
  if (where === 'property' && own && s.description !== undefined) out.description = s.description;
  return out;
}

// ---- the document of one group-version ----

function gvDocument(defs: ResourceDef[]): Json {
  const comps: Components = {};
  for (const [n, s] of Object.entries(metaComponents())) comps[n] = s;
  const paths: Json = {};
  for (const def of defs) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const schema = def.schema as unknown as Json;
    const top = component(def.openapiName, schema, comps);
    top['x-kubernetes-group-version-kind'] = [gvk];
    comps[def.openapiName] = top;
    const listName = `${def.openapiName}List`;
    comps[listName] = {
      description: `${def.kind}List is a list of ${def.kind} objects.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        items: { type: 'array', description: `List of ${def.plural}.`, items: { allOf: [ref(def.openapiName)], default: {} } },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: { allOf: [ref(`${META}.ListMeta`)], default: {}, description: 'Standard list metadata.' },
      },
      'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${def.kind}List` }],
    };
    Object.assign(paths, resourcePaths(def, gvk, listName));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: sortKeys(comps),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

const sortKeys = (o: Components): Components => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

// ---- paths and operations ----

const q = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Json => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: q(
    'pretty',
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  ),
  dryRun: q(
    'dryRun',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: q(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldValidation: q(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: q(
    'force',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
    'boolean',
  ),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.', 'boolean'),
  timeoutSeconds: q(
    'timeoutSeconds',
    'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
    'integer',
  ),
  watch: q(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
    'boolean',
  ),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  ignoreStoreReadErrorWithClusterBreakingPotential: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.',
    'boolean',
  ),
  orphanDependents: q('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.', 'boolean'),
  propagationPolicy: q(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  ),
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  } as Json,
  name: (kind: string): Json => ({
    name: 'name',
    in: 'path',
    description: `name of the ${kind}`,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  }),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [...WRITE_PARAMS, P.force];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadErrorWithClusterBreakingPotential,
  P.orphanDependents,
  P.propagationPolicy,
];
const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

const content = (schema: Json, types: string[]): Json => Object.fromEntries(types.map((t) => [t, { schema }]));
const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const LIST_RESPONSE_TYPES = [...RESPONSE_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };

function responses(schemaName: string, codes: string[], types = RESPONSE_TYPES): Json {
  const r: Json = {};
  for (const c of codes) r[c] = { description: STATUS_TEXT[c], content: content(ref(schemaName), types) };
  r['401'] = { description: 'Unauthorized' };
  return r;
}

const requestBody = (schemaName: string): Json => ({ content: content(ref(schemaName), ['*/*']), required: true });
const patchBody = (): Json => ({ content: content(ref(`${META}.Patch`), PATCH_TYPES), required: true });
const deleteBody = (): Json => ({ content: content(ref(`${META}.DeleteOptions`), ['*/*']) });

/** coreV1 / discoveryV1: upstream's operationId infix and tag. */
function groupNames(def: ResourceDef): { id: string; tag: string } {
  const g = def.group ? def.group.split('.')[0]! : 'core';
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return { id: `${cap(g)}${cap(def.version)}`, tag: `${g}_${def.version}` };
}

function resourcePaths(def: ResourceDef, gvk: Json, listName: string): Json {
  const verbs = new Set(verbsOf(def));
  const { id, tag } = groupNames(def);
  const K = def.kind;
  const ns = def.namespaced ? 'Namespaced' : '';
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const coll = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const item = `${coll}/{name}`;
  const scope = def.namespaced ? [P.namespace] : [];
  const op = (action: string, opId: string, description: string, extra: Json): Json => ({
    tags: [tag],
    description,
    operationId: opId,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const out: Json = {};

  const c: Json = {};
  if (verbs.has('list'))
    c.get = op('list', `list${id}${ns}${K}`, `list or watch objects of kind ${K}`, {
      parameters: LIST_PARAMS,
      responses: responses(listName, ['200'], LIST_RESPONSE_TYPES),
    });
  if (verbs.has('create'))
    c.post = op('post', `create${id}${ns}${K}`, `create ${article(K)} ${K}`, {
      parameters: WRITE_PARAMS,
      requestBody: requestBody(def.openapiName),
      responses: responses(def.openapiName, ['200', '201', '202']),
    });
  if (verbs.has('deletecollection')) {
    c.delete = op('deletecollection', `deletecollection${id}${ns}${K}`, `delete collection of ${K}`, {
      parameters: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS],
      requestBody: deleteBody(),
      responses: responses(`${META}.Status`, ['200']),
    });
  }
  if (Object.keys(c).length) out[coll] = { ...c, parameters: [...scope, P.pretty] };

  const i: Json = {};
  if (verbs.has('get'))
    i.get = op('get', `read${id}${ns}${K}`, `read the specified ${K}`, { responses: responses(def.openapiName, ['200']) });
  if (verbs.has('update'))
    i.put = op('put', `replace${id}${ns}${K}`, `replace the specified ${K}`, {
      parameters: WRITE_PARAMS,
      requestBody: requestBody(def.openapiName),
      responses: responses(def.openapiName, ['200', '201']),
    });
  if (verbs.has('patch'))
    i.patch = op('patch', `patch${id}${ns}${K}`, `partially update the specified ${K}`, {
      parameters: PATCH_PARAMS,
      requestBody: patchBody(),
      responses: responses(def.openapiName, ['200', '201']),
    });
  if (verbs.has('delete'))
    i.delete = op('delete', `delete${id}${ns}${K}`, `delete ${article(K)} ${K}`, {
      parameters: DELETE_PARAMS,
      requestBody: deleteBody(),
      responses: responses(`${META}.Status`, ['200', '202']),
    });
  if (Object.keys(i).length) out[item] = { ...i, parameters: [P.name(K), ...scope, P.pretty] };

  if (def.statusSubresource) {
    out[`${item}/status`] = {
      get: op('get', `read${id}${ns}${K}Status`, `read status of the specified ${K}`, { responses: responses(def.openapiName, ['200']) }),
      put: op('put', `replace${id}${ns}${K}Status`, `replace status of the specified ${K}`, {
        parameters: WRITE_PARAMS,
        requestBody: requestBody(def.openapiName),
        responses: responses(def.openapiName, ['200', '201']),
      }),
      patch: op('patch', `patch${id}${ns}${K}Status`, `partially update status of the specified ${K}`, {
        parameters: PATCH_PARAMS,
        requestBody: patchBody(),
        responses: responses(def.openapiName, ['200', '201']),
      }),
      parameters: [P.name(K), ...scope, P.pretty],
    };
  }
  if (def.namespaced && verbs.has('list')) {
    out[`${base}/${def.plural}`] = {
      get: op('list', `list${id}${K}ForAllNamespaces`, `list or watch objects of kind ${K}`, {
        responses: responses(listName, ['200'], LIST_RESPONSE_TYPES),
      }),
      parameters: [...LIST_PARAMS, P.pretty],
    };
  }
  return out;
}

const article = (kind: string) => (/^[AEIOU]/.test(kind) ? 'an' : 'a');

// ---- meta.k8s.io types every document references ----

function metaComponents(): Components {
  const s = (type: string, description: string, extra: Json = {}): Json => ({ description, type, ...extra });
  const typeMeta = {
    apiVersion: s('string', 'APIVersion defines the versioned schema of this representation of an object.'),
    kind: s('string', 'Kind is a string value representing the REST resource this object represents.'),
  };
  return {
    [`${META}.ListMeta`]: {
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
      type: 'object',
      properties: {
        continue: s(
          'string',
          'continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.',
        ),
        remainingItemCount: s(
          'integer',
          'remainingItemCount is the number of subsequent items in the list which are not included in this list response.',
          { format: 'int64' },
        ),
        resourceVersion: s(
          'string',
          "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed.",
        ),
        selfLink: s('string', 'Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      },
    },
    [`${META}.StatusCause`]: {
      description:
        'StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.',
      type: 'object',
      properties: {
        field: s('string', 'The field of the resource that has caused this error, as named by its JSON serialization.'),
        message: s('string', 'A human-readable description of the cause of the error.'),
        reason: s(
          'string',
          'A machine-readable description of the cause of the error. If this value is empty there is no information available.',
        ),
      },
    },
    [`${META}.StatusDetails`]: {
      description:
        'StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.',
      type: 'object',
      properties: {
        causes: {
          description: 'The Causes array includes more details associated with the StatusReason failure.',
          type: 'array',
          items: { allOf: [ref(`${META}.StatusCause`)], default: {} },
          'x-kubernetes-list-type': 'atomic',
        },
        group: s('string', 'The group attribute of the resource associated with the status StatusReason.'),
        kind: s('string', 'The kind attribute of the resource associated with the status StatusReason.'),
        name: s(
          'string',
          'The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).',
        ),
        retryAfterSeconds: s('integer', 'If specified, the time in seconds before the operation should be retried.', { format: 'int32' }),
        uid: s('string', 'UID of the resource. (when there is a single resource which can be described).'),
      },
    },
    [`${META}.Status`]: {
      description: "Status is a return value for calls that don't return other objects.",
      type: 'object',
      properties: {
        ...typeMeta,
        code: s('integer', 'Suggested HTTP return code for this status, 0 if not set.', { format: 'int32' }),
        details: { allOf: [ref(`${META}.StatusDetails`)], description: 'Extended data associated with the reason.' },
        message: s('string', 'A human-readable description of the status of this operation.'),
        metadata: { allOf: [ref(`${META}.ListMeta`)], default: {}, description: 'Standard list metadata.' },
        reason: s('string', 'A machine-readable description of why this operation is in the "Failure" status.'),
        status: s('string', 'Status of the operation. One of: "Success" or "Failure".'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [`${META}.Preconditions`]: {
      description: 'Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.',
      type: 'object',
      properties: { resourceVersion: s('string', 'Specifies the target ResourceVersion'), uid: s('string', 'Specifies the target UID.') },
    },
    [`${META}.DeleteOptions`]: {
      description: 'DeleteOptions may be provided when deleting an API object.',
      type: 'object',
      properties: {
        ...typeMeta,
        dryRun: {
          description: 'When present, indicates that modifications should not be persisted.',
          type: 'array',
          items: { type: 'string', default: '' },
          'x-kubernetes-list-type': 'atomic',
        },
        gracePeriodSeconds: s('integer', 'The duration in seconds before the object should be deleted.', { format: 'int64' }),
        ignoreStoreReadErrorWithClusterBreakingPotential: s(
          'boolean',
          'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.',
        ),
        orphanDependents: s('boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.'),
        preconditions: {
          allOf: [ref(`${META}.Preconditions`)],
          description: 'Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.',
        },
        propagationPolicy: s(
          'string',
          "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
        ),
      },
      'x-kubernetes-group-version-kind': [
        '',
        'admission.k8s.io',
        'apps',
        'batch',
        'coordination.k8s.io',
        'discovery.k8s.io',
        'events.k8s.io',
        'networking.k8s.io',
        'policy',
        'rbac.authorization.k8s.io',
        'storage.k8s.io',
      ].map((group) => ({ group, kind: 'DeleteOptions', version: 'v1' })),
    },
    [`${META}.Patch`]: {
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
      type: 'object',
    },
  };
}
