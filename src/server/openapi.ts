// OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<group-version>): upstream's v1.32 definitions
// of the kinds served (src/api/generated: componentSchemas, the definitions the server's schemas
// are generated from, descriptions included) and the paths of the verbs served, shaped like
// upstream's where kubectl reads them:
//   - kubectl's QueryParamVerifierV3 decides on server-side field validation by finding a PATCH
//     operation whose `x-kubernetes-group-version-kind` is the kind and that declares the
//     `fieldValidation` query parameter (every PATCH here declares it, status ones too);
//   - `kubectl explain` finds the component carrying the kind in `x-kubernetes-group-version-kind`
//     and names field types after referenced components (<[]ServicePort>, <ObjectMeta>);
//   - kubectl apply reads x-kubernetes-patch-merge-key/strategy through `allOf: [{$ref}]`.
// Each document holds the components its kinds reference, their List types and the meta types its
// paths name (Status, DeleteOptions, Patch, ListMeta), sorted by name as upstream's. Built on the first
// request (upstream's definitions load then: dist/ keeps them out of the start), into strings with
// upstream's ETag-style hash (uppercase hex SHA-512 of the document).
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../registry/types.js';
import { componentSchemas, hasDefinition } from '../api/generated/schemas.js';
import '../api/generated/meta/v1.js';
import { verbsOf } from './handlers/scope.js';

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
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

export async function buildOpenAPI(defs: ResourceDef[]): Promise<OpenAPIDocs> {
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
    const body = JSON.stringify(await gvDocument(ds));
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    docs.set(key, { body, hash });
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index: { paths }, docs };
}

function gvPath(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

// ---- the document of one group-version ----

/** Components of one document, by name. */
type Components = Record<string, Json>;

/** The meta types the paths (and the List types made here) name. */
const PATH_TYPES = [`${META}.Status`, `${META}.DeleteOptions`, `${META}.Patch`, `${META}.ListMeta`];

/** The scale subresource's kind (autoscaling/v1 Scale), in the documents of kinds that have one. */
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const SCALE_GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

async function gvDocument(defs: ResourceDef[]): Promise<Json> {
  const listed = defs.filter((d) => verbsOf(d).includes('list'));
  // Upstream's List types where it has them (metrics.k8s.io, metrics-server's, has none here).
  const lists = new Set(listed.map((d) => `${d.openapiName}List`).filter(hasDefinition));
  const scaled = defs.some((d) => d.scale);
  const comps: Components = await componentSchemas([
    ...defs.map((d) => d.openapiName),
    ...lists,
    ...PATH_TYPES,
    ...(scaled ? [SCALE] : []),
  ]);
  if (scaled) comps[SCALE]!['x-kubernetes-group-version-kind'] = [SCALE_GVK];
  const paths: Json = {};
  for (const def of defs) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    comps[def.openapiName]!['x-kubernetes-group-version-kind'] = [gvk];
    const listName = `${def.openapiName}List`;
    Object.assign(paths, resourcePaths(def, gvk, listName));
    if (!listed.includes(def) || lists.has(listName)) continue;
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
  if (def.scale) {
    const sop = (action: string, opId: string, description: string, extra: Json): Json => ({
      ...op(action, opId, description, extra),
      'x-kubernetes-group-version-kind': SCALE_GVK,
    });
    out[`${item}/scale`] = {
      get: sop('get', `read${id}${ns}${K}Scale`, `read scale of the specified ${K}`, { responses: responses(SCALE, ['200']) }),
      put: sop('put', `replace${id}${ns}${K}Scale`, `replace scale of the specified ${K}`, {
        parameters: WRITE_PARAMS,
        requestBody: requestBody(SCALE),
        responses: responses(SCALE, ['200', '201']),
      }),
      patch: sop('patch', `patch${id}${ns}${K}Scale`, `partially update scale of the specified ${K}`, {
        parameters: PATCH_PARAMS,
        requestBody: patchBody(),
        responses: responses(SCALE, ['200', '201']),
      }),
      parameters: [P.name('Scale'), ...scope, P.pretty],
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
