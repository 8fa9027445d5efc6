// OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<group-version>), generated from the same
// per-kind schemas the server validates with. kubectl uses them for strict validation (its
// QueryParamVerifierV3 looks for `fieldValidation` on the PATCH operation of the kind's GVK),
// `kubectl explain` (field types come from component names: <[]ServicePort>) and list merge keys.
// Named schemas (x-tinykube-name) become components referenced with `allOf: [{$ref}]` like
// upstream's v3 documents. Built lazily on first request: most clusters never serve them.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resources/types.js';
import { apiVersionOf } from '../resources/types.js';
import { verbsOf } from './rest.js';

type Json = Record<string, unknown>;
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string) => `#/components/schemas/${name}`;

export interface OpenAPIDocs {
  index: Json;
  docs: Map<string, { body: string; hash: string }>;
}

export function buildOpenAPI(defs: ResourceDef[]): OpenAPIDocs {
  let built: OpenAPIDocs | undefined;
  const get = () => (built ??= build(defs));
  return {
    get index() {
      return get().index;
    },
    get docs() {
      return get().docs;
    },
  };
}

function gvKey(def: ResourceDef): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

function build(defs: ResourceDef[]): OpenAPIDocs {
  const byGV = new Map<string, ResourceDef[]>();
  for (const d of defs) byGV.set(gvKey(d), [...(byGV.get(gvKey(d)) ?? []), d]);
  const docs = new Map<string, { body: string; hash: string }>();
  const paths: Json = {};
  for (const [key, ds] of byGV) {
    const body = JSON.stringify(document(ds));
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    docs.set(key, { body, hash });
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index: { paths }, docs };
}

/** Converts one of our schemas into OpenAPI, hoisting named types into `components`. */
function convert(s: Json, components: Json, hoist: boolean): Json {
  const name = s['x-tinykube-name'] as string | undefined;
  if (name && hoist) {
    if (!(name in components)) {
      components[name] = {}; // reserve first: recursive types terminate
      components[name] = convert(s, components, false);
    }
    return { $ref: ref(name) };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'x-tinykube-name') continue;
    if (k === 'properties') {
      const props: Json = {};
      for (const [pk, pv] of Object.entries(v as Record<string, Json>)) props[pk] = useSite(pv, components);
      out.properties = props;
    } else if (k === 'items') out.items = useSite(v as Json, components, true);
    else if (k === 'additionalProperties' && typeof v === 'object') out.additionalProperties = convert(v as Json, components, true);
    else out[k] = v;
  }
  return out;
}

/** A property or array item: named types become `allOf: [{$ref}]` with the use-site description. */
function useSite(s: Json, components: Json, item = false): Json {
  const name = s['x-tinykube-name'] as string | undefined;
  if (!name) return convert(s, components, true);
  const r = convert(s, components, true);
  const out: Json = { allOf: [r] };
  if (item || s.type === 'object') out.default = {};
  if (s.description && !item) out.description = s.description;
  return out;
}

const param = (name: string, description: string, schema: Json = { type: 'string', uniqueItems: true }): Json => ({ name, in: 'query', description, schema });
const P = {
  dryRun: param('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: param('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: param('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict'),
  force: param('force', 'Force is going to "force" Apply requests.', { type: 'boolean', uniqueItems: true }),
  pretty: param('pretty', "If 'true', then the output is pretty printed."),
  labelSelector: param('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  fieldSelector: param('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  limit: param('limit', 'limit is a maximum number of responses to return for a list call.', { type: 'integer', uniqueItems: true }),
  continue: param('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: param('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: param('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  watch: param('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', { type: 'boolean', uniqueItems: true }),
  allowWatchBookmarks: param('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', { type: 'boolean', uniqueItems: true }),
  timeoutSeconds: param('timeoutSeconds', 'Timeout for the list/watch call.', { type: 'integer', uniqueItems: true }),
  gracePeriodSeconds: param('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', { type: 'integer', uniqueItems: true }),
  propagationPolicy: param('propagationPolicy', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
  name: (kind: string): Json => ({ name: 'name', in: 'path', required: true, description: `name of the ${kind}`, schema: { type: 'string', uniqueItems: true } }),
  namespace: { name: 'namespace', in: 'path', required: true, description: 'object name and auth scope, such as for teams and projects', schema: { type: 'string', uniqueItems: true } } as Json,
};

const jsonBody = (schemaRef: string): Json => ({ required: true, content: { '*/*': { schema: { $ref: ref(schemaRef) } } } });
const responses = (schemaRef: string, codes: string[]): Json => {
  const r: Json = {};
  for (const c of codes) r[c] = { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: { 'application/json': { schema: { $ref: ref(schemaRef) } }, 'application/yaml': { schema: { $ref: ref(schemaRef) } } } };
  r['401'] = { description: 'Unauthorized' };
  return r;
};

function document(defs: ResourceDef[]): Json {
  const components: Json = {};
  for (const [n, s] of Object.entries(metaSchemas())) components[n] = s;
  const paths: Json = {};
  for (const def of defs) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const top = convert(def.schema as unknown as Json, components, false);
    // The same definition may serve two API versions (none here), so set the GVK on the component.
    top['x-kubernetes-group-version-kind'] = [gvk];
    components[def.openapiName] = top;
    const listName = `${def.openapiName}List`;
    components[listName] = {
      description: `${def.kind}List is a list of ${def.kind} objects.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        items: { type: 'array', description: `List of ${def.plural}.`, items: { allOf: [{ $ref: ref(def.openapiName) }], default: {} } },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: { allOf: [{ $ref: ref(`${META}.ListMeta`) }], default: {}, description: "Standard list metadata." },
      },
      'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${def.kind}List` }],
    };
    Object.assign(paths, resourcePaths(def, gvk, listName));
  }
  const title = defs[0]!.group ? `Kubernetes ${defs[0]!.group}/${defs[0]!.version}` : 'Kubernetes';
  return { openapi: '3.0.0', info: { title, version: 'v1.32.0' }, paths, components: { schemas: components, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } } };
}

function resourcePaths(def: ResourceDef, gvk: Json, listName: string): Json {
  const verbs = new Set(verbsOf(def));
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const coll = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const item = `${coll}/{name}`;
  const scope = def.namespaced ? [P.namespace] : [];
  const op = (action: string, id: string, extra: Json): Json => ({
    tags: [def.group ? `${def.group.replace(/\..*/, '')}_${def.version}` : `core_${def.version}`],
    operationId: `${id}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const K = def.kind;
  const ns = def.namespaced ? 'Namespaced' : '';
  const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
  const out: Json = {};
  const c: Json = { parameters: [...scope, P.pretty] };
  if (verbs.has('list')) c.get = op('list', `list${ns}${K}`, { description: `list or watch objects of kind ${K}`, parameters: [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.timeoutSeconds, P.watch], responses: responses(listName, ['200']) });
  if (verbs.has('create')) c.post = op('post', `create${ns}${K}`, { description: `create a ${K}`, parameters: writeParams, requestBody: jsonBody(def.openapiName), responses: responses(def.openapiName, ['200', '201', '202']) });
  if (verbs.has('deletecollection')) c.delete = op('deletecollection', `deletecollection${ns}${K}`, { description: `delete collection of ${K}`, parameters: [P.dryRun, P.gracePeriodSeconds, P.labelSelector, P.fieldSelector, P.propagationPolicy], responses: responses(`${META}.Status`, ['200']) });
  out[coll] = c;
  const i: Json = { parameters: [P.name(K), ...scope, P.pretty] };
  if (verbs.has('get')) i.get = op('get', `read${ns}${K}`, { description: `read the specified ${K}`, responses: responses(def.openapiName, ['200']) });
  if (verbs.has('update')) i.put = op('put', `replace${ns}${K}`, { description: `replace the specified ${K}`, parameters: writeParams, requestBody: jsonBody(def.openapiName), responses: responses(def.openapiName, ['200', '201']) });
  if (verbs.has('patch')) {
    i.patch = op('patch', `patch${ns}${K}`, {
      description: `partially update the specified ${K}`,
      parameters: [...writeParams, P.force],
      requestBody: { required: true, content: Object.fromEntries(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((t) => [t, { schema: { $ref: ref(`${META}.Patch`) } }])) },
      responses: responses(def.openapiName, ['200', '201']),
    });
  }
  if (verbs.has('delete')) i.delete = op('delete', `delete${ns}${K}`, { description: `delete a ${K}`, parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy], requestBody: { content: { '*/*': { schema: { $ref: ref(`${META}.DeleteOptions`) } } } }, responses: responses(`${META}.Status`, ['200', '202']) });
  out[item] = i;
  if (def.statusSubresource) {
    out[`${item}/status`] = {
      parameters: [P.name(K), ...scope, P.pretty],
      get: op('get', `read${ns}${K}Status`, { description: `read status of the specified ${K}`, responses: responses(def.openapiName, ['200']) }),
      put: op('put', `replace${ns}${K}Status`, { description: `replace status of the specified ${K}`, parameters: writeParams, requestBody: jsonBody(def.openapiName), responses: responses(def.openapiName, ['200', '201']) }),
      patch: op('patch', `patch${ns}${K}Status`, { description: `partially update status of the specified ${K}`, parameters: [...writeParams, P.force], requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { $ref: ref(`${META}.Patch`) } } } }, responses: responses(def.openapiName, ['200', '201']) }),
    };
  }
  void apiVersionOf;
  return out;
}

/** meta.k8s.io types every group-version document references. */
function metaSchemas(): Record<string, Json> {
  const s = (type: string, description: string, extra: Json = {}) => ({ type, description, ...extra });
  return {
    [`${META}.ListMeta`]: {
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
      type: 'object',
      properties: {
        continue: s('string', 'continue may be set if the user set a limit on the number of items returned.'),
        remainingItemCount: s('integer', 'remainingItemCount is the number of subsequent items in the list which are not included in this list response.', { format: 'int64' }),
        resourceVersion: s('string', "String that identifies the server's internal version of this object."),
        selfLink: s('string', 'Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      },
    },
    [`${META}.Status`]: {
      description: 'Status is a return value for calls that don\'t return other objects.',
      type: 'object',
      properties: {
        apiVersion: s('string', 'APIVersion defines the versioned schema of this representation of an object.'),
        code: s('integer', 'Suggested HTTP return code for this status, 0 if not set.', { format: 'int32' }),
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'Extended data associated with the reason.' },
        kind: s('string', 'Kind is a string value representing the REST resource this object represents.'),
        message: s('string', 'A human-readable description of the status of this operation.'),
        metadata: { allOf: [{ $ref: ref(`${META}.ListMeta`) }], default: {}, description: 'Standard list metadata.' },
        reason: s('string', 'A machine-readable description of why this operation is in the "Failure" status.'),
        status: s('string', 'Status of the operation. One of: "Success" or "Failure".'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [`${META}.DeleteOptions`]: {
      description: 'DeleteOptions may be provided when deleting an API object.',
      type: 'object',
      properties: {
        apiVersion: s('string', 'APIVersion defines the versioned schema of this representation of an object.'),
        dryRun: { type: 'array', items: { type: 'string', default: '' }, description: 'When present, indicates that modifications should not be persisted.', 'x-kubernetes-list-type': 'atomic' },
        gracePeriodSeconds: s('integer', 'The duration in seconds before the object should be deleted.', { format: 'int64' }),
        kind: s('string', 'Kind is a string value representing the REST resource this object represents.'),
        orphanDependents: s('boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.'),
        preconditions: { type: 'object', description: 'Must be fulfilled before a deletion is carried out.', properties: { resourceVersion: s('string', 'Specifies the target ResourceVersion'), uid: s('string', 'Specifies the target UID.') } },
        propagationPolicy: s('string', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'DeleteOptions', version: 'v1' }],
    },
    [`${META}.Patch`]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
  };
}
