// serviceaccounts/token (upstream pkg/registry/core/serviceaccount/storage/token.go): POST a
// TokenRequest (authentication.k8s.io/v1), get it back with status.token and
// status.expirationTimestamp. expirationSeconds defaults to 3600 and must lie in [10 min, 2^32 s];
// audiences default to the API server's; a token may be bound to a Pod (it then also names the
// Pod's Node), a Secret or a Node of this cluster. `kubectl create token` uses it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../storage/store.js';
import type { KubeObject } from '../apimachinery/types.js';
import { coreSubresource, type Subresource } from './subresource.js';
import type { FieldError } from '../apimachinery/field.js';
import { fieldErr } from '../apimachinery/field.js';
import { badRequest, conflict, forbidden, invalid, notFound } from '../apimachinery/errors.js';
import { BODY_TYPES, decodeBody } from './handlers/body.js';
import { createOptions, requestQuery } from './query-params.js';
import { rfc3339 } from '../apimachinery/meta.js';
import type { TokenAuthority, TokenIssueRequest } from '../auth/tokens.js';
import type { BoundObjectReference, TokenRequest, TokenRequestSpec } from '../api/generated/authentication/v1.js';
import type { NullableTimes } from '../registry/define.js';
import type { PodObj, PodSpec } from '../registry/pod/strategy.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;
const KIND = 'TokenRequest';
/** upstream MinTokenAgeSec. */
const MIN_TOKEN_AGE_SECONDS = 10 * 60;
const MAX_TOKEN_AGE_SECONDS = 2 ** 32;

/**
 * A TokenRequest as decodeTokenRequest lets it through (it checks the fields read here): spec
 * optional, its fields possibly null; metadata as every object's (it is answered back).
 */
type TokenRequestBody = Omit<TokenRequest, 'metadata' | 'spec' | 'status'> & {
  metadata?: KubeObject['metadata'];
  spec?: NullableTimes<Partial<TokenRequestSpec>, keyof TokenRequestSpec> | null;
};

export interface TokenRequestDeps {
  store: Store;
  tokens: TokenAuthority;
}

export const SERVICEACCOUNT_TOKEN: Subresource<TokenRequestDeps> = {
  ...coreSubresource('serviceaccounts', 'token', KIND, ['create']),
  responseGroup: GROUP,
  responseVersion: 'v1',
  install: ({ app, path }, o) => {
    app.post(path, async (req: FastifyRequest, reply: FastifyReply) => {
      const { ns, name } = req.params as { ns: string; name: string };
      // A create: its CreateOptions are decoded and validated first (create.go).
      createOptions(requestQuery(req.url));
      const body = decodeBody(req, BODY_TYPES);
      const out = createTokenRequest(o.store, o.tokens, ns, name, body);
      return reply.code(201).type('application/json').send(out);
    });
  },
};

const cannotHandle = (why: string) => badRequest(`${KIND} in version "v1" cannot be handled as a ${KIND}: ${why}`);
const jsonType = (v: unknown) =>
  Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'number' ? `number ${v}` : typeof v === 'object' ? 'object' : typeof v;
const unmarshal = (v: unknown, field: string, goType: string) =>
  cannotHandle(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${field} of type ${goType}`);

/** The body's shape, as upstream's decoder would refuse it. */
function decodeTokenRequest(raw: unknown): TokenRequestBody {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(raw)}'`);
  const b = raw as TokenRequestBody;
  if (b.kind !== undefined && b.kind !== KIND) throw cannotHandle(`no kind "${String(b.kind)}" is registered for version "${API_VERSION}"`);
  if (b.apiVersion !== undefined && b.apiVersion !== API_VERSION)
    throw badRequest(`the API version in the data (${String(b.apiVersion)}) does not match the expected API version (${API_VERSION})`);
  if (b.metadata !== undefined && b.metadata !== null && (typeof b.metadata !== 'object' || Array.isArray(b.metadata)))
    throw unmarshal(b.metadata, `${KIND}.metadata`, 'v1.ObjectMeta');
  for (const k of ['name', 'namespace'] as const) {
    const v = b.metadata?.[k];
    if (v !== undefined && v !== null && typeof v !== 'string') throw unmarshal(v, `${KIND}.metadata.${k}`, 'string');
  }
  const s = b.spec;
  if (s === undefined || s === null) return b;
  if (typeof s !== 'object' || Array.isArray(s)) throw unmarshal(s, `${KIND}.spec`, 'v1.TokenRequestSpec');
  if (s.audiences != null && (!Array.isArray(s.audiences) || s.audiences.some((a) => typeof a !== 'string'))) {
    throw unmarshal(
      Array.isArray(s.audiences) ? s.audiences.find((a) => typeof a !== 'string') : s.audiences,
      'TokenRequestSpec.spec.audiences',
      Array.isArray(s.audiences) ? 'string' : '[]string',
    );
  }
  if (s.expirationSeconds != null && !Number.isSafeInteger(s.expirationSeconds))
    throw unmarshal(s.expirationSeconds, 'TokenRequestSpec.spec.expirationSeconds', 'int64');
  const r = s.boundObjectRef;
  if (r != null) {
    if (typeof r !== 'object' || Array.isArray(r)) throw unmarshal(r, 'TokenRequestSpec.spec.boundObjectRef', 'v1.BoundObjectReference');
    for (const k of ['kind', 'apiVersion', 'name', 'uid'] as const) {
      if (r[k] !== undefined && r[k] !== null && typeof r[k] !== 'string')
        throw unmarshal(r[k], `BoundObjectReference.spec.boundObjectRef.${k}`, 'string');
    }
  }
  return b;
}

/** Go's schema.GroupVersionKind.String() of a reference. */
function gvkString(ref: BoundObjectReference): { group: string; text: string } {
  const av = ref.apiVersion ?? '';
  const slash = av.indexOf('/');
  const group = slash >= 0 ? av.slice(0, slash) : '';
  const version = slash >= 0 ? av.slice(slash + 1) : av;
  return { group, text: `${group}/${version}, Kind=${ref.kind ?? ''}` };
}

export function createTokenRequest(store: Store, tokens: TokenAuthority, ns: string, name: string, raw: unknown): KubeObject {
  const body = decodeTokenRequest(raw);
  const meta = { ...(body.metadata ?? {}) };
  // The body may name the ServiceAccount and namespace, but only those of the URL.
  if (meta.name && meta.name !== name)
    throw invalid(KIND, GROUP, name, [fieldErr.invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
  if (meta.namespace && meta.namespace !== ns)
    throw invalid(KIND, GROUP, name, [
      fieldErr.invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified'),
    ]);

  // NamespaceLifecycle admission: no creates in a missing or terminating namespace.
  const nsObj = store.get('namespaces', '', ns);
  if (!nsObj) throw notFound({ group: '', resource: 'namespaces' }, ns);
  if (nsObj.metadata.deletionTimestamp)
    throw forbidden(
      { group: '', resource: 'serviceaccounts' },
      name,
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
  const sa = store.get('serviceaccounts', ns, name);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, name);

  const spec = body.spec ?? {};
  const audiences = spec.audiences?.length ? spec.audiences : [tokens.issuer];
  const expirationSeconds = spec.expirationSeconds ?? 3600; // SetDefaults_TokenRequestSpec
  const now = new Date();
  meta.name ||= name;
  meta.namespace ||= ns;
  meta.creationTimestamp = rfc3339(now);

  const errs: FieldError[] = [];
  if (expirationSeconds < MIN_TOKEN_AGE_SECONDS)
    errs.push(fieldErr.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (expirationSeconds > MAX_TOKEN_AGE_SECONDS)
    errs.push(fieldErr.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  if (errs.length) throw invalid(KIND, GROUP, '', errs);

  const issue: TokenIssueRequest = {
    namespace: ns,
    serviceAccount: { name, uid: sa.metadata.uid! },
    audiences,
    expirationSeconds,
  };
  const ref = spec.boundObjectRef ?? undefined;
  if (ref) {
    const gvk = gvkString(ref);
    const refName = ref.name ?? '';
    let uid: string;
    if (gvk.group === '' && ref.kind === 'Pod') {
      const pod = store.get('pods', ns, refName) as PodObj | undefined;
      if (!pod) throw notFound({ group: '', resource: 'pods' }, refName);
      const podSpec: Partial<PodSpec> = pod.spec ?? {};
      if (name !== podSpec.serviceAccountName)
        throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = pod.metadata.uid!;
      issue.pod = { name: refName, uid };
      if (podSpec.nodeName) {
        // A missing Node still leaves its name in the token (upstream ServiceAccountTokenPodNodeInfo).
        const node = store.get('nodes', '', podSpec.nodeName);
        issue.node = node ? { name: podSpec.nodeName, uid: node.metadata.uid } : { name: podSpec.nodeName };
      }
    } else if (gvk.group === '' && ref.kind === 'Node') {
      const node = store.get('nodes', '', refName);
      if (!node) throw notFound({ group: '', resource: 'nodes' }, refName);
      uid = node.metadata.uid!;
      issue.node = { name: refName, uid };
    } else if (gvk.group === '' && ref.kind === 'Secret') {
      const secret = store.get('secrets', ns, refName);
      if (!secret) throw notFound({ group: '', resource: 'secrets' }, refName);
      uid = secret.metadata.uid!;
      issue.secret = { name: refName, uid };
    } else {
      throw badRequest(`cannot bind token to object of type ${gvk.text}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw conflict(
        { group: gvk.group, resource: ref.kind! },
        refName,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
  }

  const { token, expiresAt } = tokens.issue(issue);
  return {
    kind: KIND,
    apiVersion: API_VERSION,
    metadata: meta,
    spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp: rfc3339(expiresAt) },
  };
}
